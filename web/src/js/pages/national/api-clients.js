// `/national/clients-api`: the platform's API clients, filtered by organisation, scope, procedure
// and state, 20 a page; each one disabled (after a confirmation: its tokens are refused at once)
// or enabled again, and given a new secret, shown once (the previous one kept 24 hours unless
// revoked at once); "Créer un client API".

import { national } from '../../api.js';
import { add, fill, focus, h, srOnly } from '../../dom.js';
import { dateTime, plural } from '../../format.js';
import { SCOPES, isBranchCode, isProcessCode, isSiret } from '../../national.js';
import { alert, errorAlert, show } from '../../ui/feedback.js';
import { button, checkboxGroup, clearProblems, form, selectField, showProblems, textField } from '../../ui/forms.js';
import { list, loading, table } from '../../ui/layout.js';
import { modal } from '../../ui/modal.js';
import { cursorPager } from '../../ui/pager.js';
import { clientBadge, issuedSecret, nationalTitle, organisationHref, procedureHref } from './common.js';

const PAGE_SIZE = 20;
const FILTERS = ['siret', 'branchCode', 'scope', 'processCode', 'disabled'];

/** A client's secrets: when each was issued, until when the previous one works. */
function secretsOf(c) {
  const secrets = list(
    c.secrets.map((s) =>
      s.expires
        ? `Créé le ${dateTime(s.created)}, valable jusqu’au ${dateTime(s.expires)}`
        : `Créé le ${dateTime(s.created)}`,
    ),
  );
  secrets.classList.add('hubee-wrap');
  return secrets;
}

export async function render(view, { query, isCurrent }) {
  const fields = {
    siret: textField({ label: 'SIRET', name: 'siret', type: 'search', inputmode: 'numeric', hint: '14 chiffres' }),
    branchCode: textField({ label: 'Code établissement', name: 'branchCode', type: 'search', hint: 'Avec un SIRET' }),
    scope: selectField({
      label: 'Portée',
      name: 'scope',
      placeholder: 'Toutes',
      options: Object.entries(SCOPES).map(([value, label]) => ({ value, label })),
    }),
    processCode: textField({ label: 'Code de la démarche', name: 'processCode', type: 'search', hint: 'Clients SI' }),
    disabled: selectField({
      label: 'État',
      name: 'disabled',
      placeholder: 'Tous',
      options: [
        { value: 'false', label: 'Actifs' },
        { value: 'true', label: 'Désactivés ou suspendus' },
      ],
    }),
  };
  for (const name of FILTERS) fields[name].value = query.get(name) ?? '';

  const problems = h('div', {});
  const messages = h('div', {});
  const status = h('p', { class: 'fr-mb-2w', role: 'status' });
  const results = h('div', {}, loading('Chargement des clients API…'));
  const pager = cursorPager({
    label: 'Pages des clients API',
    onMove: async () => {
      await load();
      focus(status);
    },
  });

  function check() {
    const found = [];
    const v = (name) => fields[name].value;
    if (v('siret') && !isSiret(v('siret').replace(/\s/g, '')))
      found.push({ field: 'siret', message: 'Numéro SIRET invalide\u00a0: 14 chiffres, clé de contrôle comprise.' });
    if (v('branchCode') && !isBranchCode(v('branchCode')))
      found.push({ field: 'branchCode', message: 'Code établissement invalide\u00a0: 1 à 10 lettres ou chiffres.' });
    if (v('branchCode') && !v('siret'))
      found.push({ field: 'branchCode', message: 'Le code établissement ne filtre qu’avec un SIRET.' });
    if (v('processCode') && !isProcessCode(v('processCode')))
      found.push({
        field: 'processCode',
        message: 'Code de démarche invalide\u00a0: 1 à 30 lettres, chiffres, _ ou -.',
      });
    return found;
  }

  const filters = form(
    {
      class: 'hubee-filters fr-mb-4w',
      role: 'search',
      'aria-label': 'Filtrer les clients API',
      on: {
        submit: (event) => {
          event.preventDefault();
          clearProblems(problems, fields);
          const found = check();
          if (found.length) return showProblems(problems, found, fields);
          pager.restart();
          load();
          return undefined;
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
                  clearProblems(problems, fields);
                  pager.restart();
                  load();
                },
              },
            }),
          ),
        ),
      ),
    ),
  );

  // --- Disabling, enabling, new secrets -------------------------------------------------------------
  let current = null;
  const disableTarget = h('p', {});
  const disableDialog = modal({
    title: 'Désactiver le client API',
    content: [
      disableTarget,
      h(
        'p',
        {},
        'Ses jetons déjà délivrés sont refusés immédiatement, et il ne peut plus en obtenir. Vous pourrez le réactiver\u00a0: il devra alors demander de nouveaux jetons.',
      ),
    ],
    actions: [
      button('Désactiver le client', { on: { click: () => setDisabled(current, true) } }),
      button('Annuler', { kind: 'secondary', on: { click: () => disableDialog.close() } }),
    ],
  });
  const rotateTarget = h('p', {});
  const revoke = checkboxGroup({
    legend: 'Ancien secret',
    name: 'revokePrevious',
    options: [
      {
        value: 'true',
        label: 'Révoquer l’ancien secret immédiatement',
        hint: 'S’il a pu être divulgué\u00a0: il cesse de fonctionner tout de suite, avec les jetons obtenus avec lui. Sinon il reste valable 24 heures, le temps de mettre à jour le logiciel.',
      },
    ],
  });
  const rotateDialog = modal({
    title: 'Générer un nouveau secret',
    content: [rotateTarget, h('p', {}, 'Le nouveau secret sera affiché une seule fois.'), revoke.element],
    actions: [
      button('Générer le secret', { on: { click: () => rotate(current, revoke.value.includes('true')) } }),
      button('Annuler', { kind: 'secondary', on: { click: () => rotateDialog.close() } }),
    ],
  });

  async function setDisabled(c, disabled) {
    try {
      await national.setApiClientDisabled(c.clientId, disabled);
      await disableDialog.close();
      await load();
      show(
        messages,
        alert({
          type: 'success',
          title: disabled ? 'Client API désactivé' : 'Client API réactivé',
          text: disabled
            ? `${c.clientId} : ses jetons sont refusés et il ne peut plus en obtenir.`
            : `${c.clientId} peut de nouveau obtenir des jetons avec ses secrets.`,
        }),
      );
    } catch (error) {
      await disableDialog.close();
      show(
        messages,
        errorAlert(error, { title: disabled ? 'Le client n’a pas été désactivé' : 'Le client n’a pas été réactivé' }),
      );
    }
  }

  async function rotate(c, revokePrevious) {
    try {
      const issued = await national.rotateSecret(c.clientId, revokePrevious);
      await rotateDialog.close();
      revoke.value = [];
      await load();
      fill(
        messages,
        alert({
          type: 'success',
          title: revokePrevious ? 'Nouveau secret généré, l’ancien est révoqué' : 'Nouveau secret généré',
        }),
        issuedSecret(issued),
      );
      focus(messages.querySelector('[data-credentials] .fr-alert__title'));
    } catch (error) {
      await rotateDialog.close();
      show(messages, errorAlert(error, { title: 'Le secret n’a pas été généré' }));
    }
  }

  add(
    view,
    ...nationalTitle('Clients API'),
    h(
      'p',
      {},
      h(
        'a',
        { class: 'fr-btn fr-icon-add-line fr-btn--icon-left', href: '/national/clients-api/nouveau' },
        'Créer un client API',
      ),
    ),
    problems,
    filters,
    messages,
    status,
    results,
    pager.element,
    disableDialog.element,
    rotateDialog.element,
  );

  let loads = 0;
  async function load() {
    loads += 1;
    const ticket = loads;
    const chosen = Object.fromEntries(FILTERS.map((name) => [name, fields[name].value.replace(/\s/g, '')]));
    const params = new URLSearchParams(Object.entries(chosen).filter(([, v]) => v));
    if (isCurrent()) window.history.replaceState(null, '', `/national/clients-api${params.size ? `?${params}` : ''}`);
    results.setAttribute('aria-busy', 'true');
    try {
      const page = await national.apiClients({ ...chosen, cursor: pager.cursor, limit: PAGE_SIZE });
      if (!isCurrent() || ticket !== loads) return;
      const count = plural(page.items.length, 'client API', 'clients API');
      status.textContent = pager.page > 1 || page.nextCursor ? `Page ${pager.page} : ${count}.` : `${count}.`;
      fill(
        results,
        page.items.length === 0
          ? h('p', { class: 'hubee-empty' }, 'Aucun client API ne correspond à ces filtres.')
          : table({
              caption: `Clients API, page ${pager.page}`,
              columns: [
                { label: 'Identifiant client' },
                { label: 'Portée' },
                { label: 'Organisation' },
                { label: 'Démarche' },
                { label: 'État' },
                { label: 'Actions', srOnly: true },
                { label: 'Secrets' },
              ],
              rows: page.items.map((c) => [
                { header: h('span', { class: 'hubee-credential' }, c.clientId) },
                c.scopes.map((s) => SCOPES[s] ?? s).join(', '),
                h('a', { href: organisationHref(c.siret, c.branchCode) }, `${c.siret} (${c.branchCode})`),
                c.processCode ? h('a', { href: procedureHref(c.processCode) }, c.processCode) : '—',
                clientBadge(c),
                h(
                  'ul',
                  { class: 'fr-btns-group fr-btns-group--sm' },
                  h(
                    'li',
                    {},
                    c.disabled
                      ? button(['Réactiver', srOnly(` le client ${c.clientId}`)], {
                          kind: 'secondary',
                          size: 'sm',
                          on: { click: () => setDisabled(c, false) },
                        })
                      : disableDialog.opener(['Désactiver', srOnly(` le client ${c.clientId}`)], {
                          class: 'fr-btn--secondary fr-btn--sm',
                          on: {
                            click: () => {
                              current = c;
                              fill(
                                disableTarget,
                                'Client\u00a0: ',
                                h('strong', { class: 'hubee-credential' }, c.clientId),
                              );
                            },
                          },
                        }),
                  ),
                  h(
                    'li',
                    {},
                    rotateDialog.opener(['Nouveau secret', srOnly(` pour le client ${c.clientId}`)], {
                      class: 'fr-btn--tertiary fr-btn--sm',
                      on: {
                        click: () => {
                          current = c;
                          revoke.value = [];
                          fill(rotateTarget, 'Client\u00a0: ', h('strong', { class: 'hubee-credential' }, c.clientId));
                        },
                      },
                    }),
                  ),
                ),
                secretsOf(c),
              ]),
            }),
      );
      pager.shown(page.nextCursor);
    } catch (error) {
      if (ticket !== loads) return;
      status.textContent = '';
      fill(results, errorAlert(error, { title: 'La liste des clients API est indisponible' }));
      pager.shown(null);
    } finally {
      if (ticket === loads) results.removeAttribute('aria-busy');
    }
  }

  await load();
}
