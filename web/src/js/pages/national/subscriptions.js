// `/national/abonnements`: every subscription of the platform, with the referential's main filters
// (procedure, status, SIRET), 20 a page by offset (the answer's `Content-Range` gives the total);
// each one links to its page, where the national team takes its decisions.

import { national } from '../../api.js';
import { add, fill, focus, h, srOnly } from '../../dom.js';
import { dateTime, plural } from '../../format.js';
import { ACCESS_MODES, procedureName, subscriptionBadge } from '../../labels.js';
import { SUBSCRIPTION_STATUSES, isSiret } from '../../national.js';
import { announce, errorAlert } from '../../ui/feedback.js';
import { button, clearProblems, form, selectField, showProblems, textField } from '../../ui/forms.js';
import { loading, table } from '../../ui/layout.js';
import { offsetPager, parseContentRange } from '../../ui/pager.js';
import { nationalTitle, organisationHref, subscriptionHref } from './common.js';

const PAGE_SIZE = 20;
const FILTERS = ['processCode', 'status', 'siret'];

export async function render(view, { query, isCurrent }) {
  const procedures = await national.procedures();
  if (!isCurrent()) return;
  procedures.sort((a, b) => a.code.localeCompare(b.code));
  const titles = new Map(procedures.map((p) => [p.code, p.title]));

  const fields = {
    processCode: selectField({
      label: 'Démarche',
      name: 'processCode',
      placeholder: 'Toutes',
      options: procedures.map((p) => ({ value: p.code, label: procedureName(p.code, p.title) })),
    }),
    status: selectField({
      label: 'Statut',
      name: 'status',
      placeholder: 'Tous',
      options: SUBSCRIPTION_STATUSES.map((s) => ({ value: s, label: s })),
    }),
    siret: textField({
      label: 'SIRET de l’organisation',
      name: 'siret',
      type: 'search',
      inputmode: 'numeric',
      hint: '14 chiffres',
    }),
  };
  for (const name of FILTERS) fields[name].value = query.get(name) ?? '';

  const problems = h('div', {});
  const status = h('p', { class: 'fr-mb-2w', role: 'status' });
  const results = h('div', {}, loading('Chargement des abonnements…'));
  const pager = offsetPager({
    label: 'Pages des abonnements',
    pageSize: PAGE_SIZE,
    onMove: async () => {
      await load();
      focus(status);
    },
  });
  pager.restart(query.get('page') ?? 1);

  const siretOf = () => fields.siret.value.replace(/\s/g, '');

  const filters = form(
    {
      class: 'hubee-filters fr-mb-4w',
      role: 'search',
      'aria-label': 'Filtrer les abonnements',
      on: {
        submit: (event) => {
          event.preventDefault();
          clearProblems(problems, fields);
          if (siretOf() && !isSiret(siretOf())) {
            return showProblems(
              problems,
              [{ field: 'siret', message: 'Numéro SIRET invalide\u00a0: 14 chiffres, clé de contrôle comprise.' }],
              fields,
            );
          }
          pager.restart();
          load();
          return undefined;
        },
      },
    },
    h(
      'div',
      { class: 'fr-grid-row fr-grid-row--gutters' },
      FILTERS.map((name) => h('div', { class: 'fr-col-12 fr-col-md-4' }, fields[name].element)),
      h(
        'div',
        { class: 'fr-col-12 hubee-filters__buttons' },
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
                  announce('Filtres réinitialisés.');
                },
              },
            }),
          ),
        ),
      ),
    ),
  );

  add(
    view,
    ...nationalTitle('Abonnements', {
      lead: 'Les abonnements des organisations aux démarches. Depuis la page d’un abonnement, l’administration nationale le valide, le refuse, le suspend, le rétablit ou y met fin.',
    }),
    problems,
    filters,
    status,
    results,
    pager.element,
  );

  let loads = 0;
  async function load() {
    loads += 1;
    const ticket = loads;
    const chosen = { processCode: fields.processCode.value, status: fields.status.value, siret: siretOf() };
    const params = new URLSearchParams(Object.entries(chosen).filter(([, v]) => v));
    if (pager.page > 1) params.set('page', String(pager.page));
    if (isCurrent()) window.history.replaceState(null, '', `/national/abonnements${params.size ? `?${params}` : ''}`);
    results.setAttribute('aria-busy', 'true');
    try {
      const { items, contentRange } = await national.subscriptions({
        processCode: chosen.processCode,
        status: chosen.status,
        companyRegister: chosen.siret,
        offSet: pager.offset,
        maxResult: PAGE_SIZE,
      });
      if (!isCurrent() || ticket !== loads) return;
      const total = parseContentRange(contentRange)?.total ?? items.length;
      // A page past the end (an old address, fewer subscriptions since): the last one.
      if (items.length === 0 && total > 0 && pager.page > 1) {
        pager.restart(Math.ceil(total / PAGE_SIZE));
        await load();
        return;
      }
      const count = plural(total, 'abonnement', 'abonnements');
      status.textContent =
        total > PAGE_SIZE ? `${count} : page ${pager.page} sur ${Math.ceil(total / PAGE_SIZE)}.` : `${count}.`;
      fill(
        results,
        items.length === 0
          ? h('p', { class: 'hubee-empty' }, 'Aucun abonnement ne correspond à ces filtres.')
          : table({
              caption: `Abonnements, page ${pager.page}`,
              id: 'abonnements',
              columns: [
                { label: 'Démarche' },
                { label: 'Organisation' },
                { label: 'N° DataPass' },
                { label: 'Statut' },
                { label: 'Modalité d’accès' },
                { label: 'Date d’activation' },
                { label: 'Date de fin' },
                { label: 'Actions', srOnly: true },
              ],
              rows: items.map((s) => {
                const { companyRegister: siret, branchCode } = s.subscriber;
                return [
                  {
                    header: h(
                      'span',
                      {},
                      s.processCode,
                      titles.has(s.processCode) && h('span', { class: 'fr-hint-text' }, titles.get(s.processCode)),
                    ),
                  },
                  h('a', { href: organisationHref(siret, branchCode) }, `${siret} (${branchCode})`),
                  s.datapassId ?? '—',
                  subscriptionBadge(s.status),
                  ACCESS_MODES[s.accessMode] ?? 'Non choisie',
                  dateTime(s.activateDateTime) || '—',
                  dateTime(s.endDateTime) || '—',
                  h(
                    'a',
                    {
                      class: 'fr-btn fr-btn--sm fr-btn--secondary',
                      href: subscriptionHref(siret, branchCode, s.processCode),
                    },
                    'Gérer',
                    srOnly(` l’abonnement ${s.processCode} de ${siret} (${branchCode})`),
                  ),
                ];
              }),
            }),
      );
      pager.shown(total);
    } catch (error) {
      if (ticket !== loads) return;
      status.textContent = '';
      fill(results, errorAlert(error, { title: 'La liste des abonnements est indisponible' }));
      pager.shown(0);
    } finally {
      if (ticket === loads) results.removeAttribute('aria-busy');
    }
  }

  await load();
}
