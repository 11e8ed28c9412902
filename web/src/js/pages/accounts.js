// `/comptes`: "Gestion des comptes". The organisation's accounts (Actif oui/non, nom, prénom,
// adresse électronique — two people may share a name —, type d'acteur, rôles, habilitations),
// filtered by actor type, role, procedure, name and state; "Ajouter un utilisateur"; a warning
// while the organisation has a single active local administrator (the guide: "Pensez à créer 2
// comptes d'administrateurs locaux"). A technical delegate serving several organisations picks one.

import { accounts } from '../api.js';
import { add, fill, h, srOnly } from '../dom.js';
import { plural } from '../format.js';
import { ACTOR_TYPES, ROLES } from '../labels.js';
import { procedureLabel, subscribedProcedures } from '../procedures.js';
import { organisation, organisationKey, organisationsWith } from '../session.js';
import { alert, errorAlert, announce } from '../ui/feedback.js';
import { exportControl } from '../ui/files.js';
import { button, form, selectField, textField } from '../ui/forms.js';
import { list, loading, pageTitle, table } from '../ui/layout.js';

const FILTERS = ['actorType', 'role', 'processCode', 'name', 'active'];

export async function render(view, { query, navigate, isCurrent }) {
  const organisations = organisationsWith('GESTION_UTILISATEURS');
  const org =
    query.get('organisation') ?? organisationKey(organisationsWith('GESTION_UTILISATEURS')[0] ?? organisation());
  const suffix = query.get('organisation') ? `?organisation=${encodeURIComponent(org)}` : '';
  const procedures = await subscribedProcedures().catch(() => []);
  if (!isCurrent()) return;
  const titles = new Map(procedures.map((p) => [p.code, p.title ?? p.code]));

  add(
    view,
    ...pageTitle('Gestion des comptes'),
    h(
      'p',
      {},
      h(
        'a',
        { class: 'fr-btn fr-icon-user-add-line fr-btn--icon-left', href: `/comptes/nouveau${suffix}` },
        'Ajouter un utilisateur',
      ),
    ),
  );

  if (organisations.length > 1) {
    const choice = selectField({
      label: 'Organisation',
      name: 'organisation',
      value: org,
      options: organisations.map((o) => ({
        value: organisationKey(o),
        label: `${o.name ?? 'Organisation'} (SIRET ${o.siret})`,
      })),
    });
    choice.input.addEventListener('change', () => {
      navigate(`/comptes?organisation=${encodeURIComponent(choice.value)}`);
    });
    add(view, h('div', { class: 'fr-mb-3w' }, choice.element));
  }

  const fields = {
    actorType: selectField({
      label: 'Type d’acteur',
      name: 'actorType',
      placeholder: 'Tous',
      options: Object.entries(ACTOR_TYPES).map(([value, label]) => ({ value, label })),
    }),
    role: selectField({
      label: 'Rôle',
      name: 'role',
      placeholder: 'Tous',
      options: Object.entries(ROLES).map(([value, label]) => ({ value, label })),
    }),
    processCode: selectField({
      label: 'Démarche',
      name: 'processCode',
      placeholder: 'Toutes',
      options: procedures.map((p) => ({ value: p.code, label: procedureLabel(p) })),
    }),
    name: textField({ label: 'Nom', name: 'name', type: 'search', hint: 'Début du nom ou du prénom' }),
    active: selectField({
      label: 'Actif',
      name: 'active',
      placeholder: 'Tous',
      options: [
        { value: 'true', label: 'Oui' },
        { value: 'false', label: 'Non (suspendu)' },
      ],
    }),
  };
  for (const name of FILTERS) fields[name].value = query.get(name) ?? '';

  const results = h('div', {}, loading('Chargement des comptes…'));
  const filters = form(
    {
      class: 'hubee-filters fr-mb-4w',
      role: 'search',
      'aria-label': 'Filtrer les comptes',
      on: {
        submit: (event) => {
          event.preventDefault();
          load();
        },
      },
    },
    h(
      'div',
      { class: 'fr-grid-row fr-grid-row--gutters' },
      FILTERS.map((name) => h('div', { class: 'fr-col-12 fr-col-sm-6 fr-col-lg-4' }, fields[name].element)),
      h(
        'div',
        { class: 'fr-col-12 fr-col-lg-4 hubee-filters__buttons' },
        h(
          'ul',
          { class: 'fr-btns-group fr-btns-group--inline-sm fr-btns-group--icon-left' },
          h('li', {}, button('Filtrer', { type: 'submit', icon: 'fr-icon-filter-line' })),
          h(
            'li',
            {},
            button('Réinitialiser', {
              kind: 'secondary',
              icon: 'fr-icon-refresh-line',
              on: {
                click: () => {
                  for (const name of FILTERS) fields[name].value = '';
                  load();
                },
              },
            }),
          ),
        ),
      ),
    ),
  );
  // The filters of the list shown (those of its last load), not what the fields hold since.
  let shown = {};
  const exporting = exportControl({
    read: () => accounts.exportCsv(shown, org),
    hint: 'Un fichier pour tableur avec les comptes de la liste : nom, prénom, adresse électronique, type d’acteur, rôles, habilitations, statut.',
    fallbackName: 'comptes.csv',
  });
  const warning = h('div', {});
  add(view, warning, filters, exporting, results);

  /** The guide's advice, while the organisation has one active local administrator (or none). */
  async function checkAdministrators() {
    try {
      const { items } = await accounts.list({ actorType: 'LOCAL_ADMIN', active: 'true' }, org);
      // Its own accounts only: a delegate of another organisation is no administrator here.
      const admins = items.filter((a) => !a.delegation).length;
      if (!isCurrent() || admins > 1) return;
      fill(
        warning,
        alert({
          type: 'warning',
          title:
            admins === 1
              ? 'Votre organisation n’a qu’un administrateur local actif'
              : 'Votre organisation n’a aucun administrateur local actif',
          text: 'Pensez à créer 2 comptes d’administrateurs locaux, a minima pour gérer les absences.',
        }),
      );
    } catch {
      // The list below says when accounts cannot be read.
    }
  }

  // Of several loads under way, only the last one asked shows.
  let loads = 0;
  async function load() {
    loads += 1;
    const ticket = loads;
    const chosen = Object.fromEntries(FILTERS.map((name) => [name, fields[name].value]));
    shown = chosen;
    const params = new URLSearchParams(
      Object.entries({ ...chosen, organisation: query.get('organisation') ?? '' }).filter(([, v]) => v),
    );
    window.history.replaceState(null, '', `/comptes${params.size ? `?${params}` : ''}`);
    results.setAttribute('aria-busy', 'true');
    try {
      const { items } = await accounts.list(chosen, org);
      if (!isCurrent() || ticket !== loads) return;
      announce(`${plural(items.length, 'compte trouvé', 'comptes trouvés')}.`);
      fill(
        results,
        items.length === 0
          ? h('p', { class: 'hubee-empty' }, 'Aucun compte ne correspond à ces filtres.')
          : table({
              caption: `Liste des résultats : ${plural(items.length, 'compte', 'comptes')}`,
              columns: [
                { label: 'Actif' },
                { label: 'Nom' },
                { label: 'Prénom' },
                { label: 'Adresse électronique' },
                { label: 'Type d’acteur' },
                { label: 'Rôles' },
                { label: 'Habilitations démarches' },
                { label: 'Actions', srOnly: true },
              ],
              rows: items.map((a) => [
                h(
                  'span',
                  {},
                  a.active ? 'Oui' : 'Non',
                  !a.activated && h('span', { class: 'fr-hint-text' }, 'Activation en attente'),
                  a.delegation?.status === 'INVITED' && h('span', { class: 'fr-hint-text' }, 'Invitation en attente'),
                ),
                { header: a.lastName },
                a.firstName,
                h('span', { class: 'hubee-email' }, a.email),
                ACTOR_TYPES[a.actorType] ?? a.actorType,
                list(a.roles.map((r) => ROLES[r] ?? r)),
                a.actorType === 'LOCAL_ADMIN'
                  ? 'Toutes (administrateur local)'
                  : list(a.habilitations.map((c) => titles.get(c) ?? c)),
                h(
                  'a',
                  {
                    class: 'fr-btn fr-btn--sm fr-btn--secondary',
                    href: `/comptes/${encodeURIComponent(a.email)}${suffix}`,
                  },
                  'Modifier',
                  srOnly(` le compte de ${a.firstName} ${a.lastName}`),
                ),
              ]),
            }),
      );
    } catch (error) {
      if (ticket === loads) fill(results, errorAlert(error, { title: 'La liste des comptes est indisponible' }));
    } finally {
      if (ticket === loads) results.removeAttribute('aria-busy');
    }
  }

  await Promise.all([load(), checkAdministrators()]);
}
