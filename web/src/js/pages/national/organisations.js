// `/national/organisations`: every organisation of the platform, by SIRET, filtered by SIRET or
// SIREN (its first digits), name, type and "à compléter" (created by an onboarding that could not
// name it), 20 a page; "Créer une organisation".

import { national } from '../../api.js';
import { add, fill, focus, h } from '../../dom.js';
import { plural } from '../../format.js';
import { ORG_TYPES, ORG_TYPES_SHORT } from '../../national.js';
import { announce, errorAlert } from '../../ui/feedback.js';
import { button, checkboxGroup, form, selectField, showProblems, textField } from '../../ui/forms.js';
import { loading, table } from '../../ui/layout.js';
import { cursorPager } from '../../ui/pager.js';
import { nationalTitle, organisationBadges, organisationHref } from './common.js';

const PAGE_SIZE = 20;

export async function render(view, { query, isCurrent }) {
  const fields = {
    siret: textField({
      label: 'SIRET ou SIREN',
      name: 'siret',
      type: 'search',
      inputmode: 'numeric',
      hint: 'Un SIRET (14 chiffres) ou ses premiers chiffres\u00a0: un SIREN (9) liste tous ses établissements',
    }),
    name: textField({
      label: 'Nom',
      name: 'name',
      type: 'search',
      hint: 'Une partie du nom, accents et majuscules indifférents',
    }),
    type: selectField({
      label: 'Type d’organisation',
      name: 'type',
      placeholder: 'Tous',
      options: Object.entries(ORG_TYPES).map(([value, label]) => ({ value, label })),
    }),
    toComplete: checkboxGroup({
      legend: 'À compléter',
      name: 'toComplete',
      options: [{ value: 'true', label: 'Seulement les organisations à compléter', hint: 'Créées sans nom connu' }],
    }),
  };
  fields.siret.value = query.get('siret') ?? '';
  fields.name.value = query.get('name') ?? '';
  fields.type.value = query.get('type') ?? '';
  fields.toComplete.value = query.get('toComplete') === 'true' ? ['true'] : [];

  const problems = h('div', {});
  const status = h('p', { class: 'fr-mb-2w', role: 'status' });
  const results = h('div', {}, loading('Chargement des organisations…'));
  const pager = cursorPager({
    label: 'Pages des organisations',
    onMove: async () => {
      await load();
      focus(status);
    },
  });

  const filters = form(
    {
      class: 'hubee-filters fr-mb-4w',
      role: 'search',
      'aria-label': 'Filtrer les organisations',
      on: {
        submit: (event) => {
          event.preventDefault();
          const siret = fields.siret.value.replace(/\s/g, '');
          if (siret && !/^\d{1,14}$/.test(siret)) {
            showProblems(
              problems,
              [{ field: 'siret', message: 'Saisissez de 1 à 14 chiffres (un SIRET ou un SIREN).' }],
              {
                siret: fields.siret,
              },
            );
            return;
          }
          fill(problems);
          fields.siret.setError(null);
          pager.restart();
          load();
        },
      },
    },
    h(
      'div',
      { class: 'fr-grid-row fr-grid-row--gutters' },
      h('div', { class: 'fr-col-12 fr-col-md-6' }, fields.siret.element),
      h('div', { class: 'fr-col-12 fr-col-md-6' }, fields.name.element),
      h('div', { class: 'fr-col-12 fr-col-md-6' }, fields.type.element),
      h('div', { class: 'fr-col-12 fr-col-md-6' }, fields.toComplete.element),
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
                  fields.siret.value = '';
                  fields.name.value = '';
                  fields.type.value = '';
                  fields.toComplete.value = [];
                  fill(problems);
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
    ...nationalTitle('Organisations'),
    h(
      'p',
      {},
      h(
        'a',
        { class: 'fr-btn fr-icon-add-line fr-btn--icon-left', href: '/national/organisations/nouvelle' },
        'Créer une organisation',
      ),
    ),
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
    const chosen = {
      siret: fields.siret.value.replace(/\s/g, ''),
      name: fields.name.value,
      type: fields.type.value,
      toComplete: fields.toComplete.value.includes('true') ? 'true' : '',
    };
    const params = new URLSearchParams(Object.entries(chosen).filter(([, v]) => v));
    if (isCurrent()) window.history.replaceState(null, '', `/national/organisations${params.size ? `?${params}` : ''}`);
    results.setAttribute('aria-busy', 'true');
    try {
      const page = await national.organisations({ ...chosen, cursor: pager.cursor, limit: PAGE_SIZE });
      if (!isCurrent() || ticket !== loads) return;
      const count = plural(page.items.length, 'organisation', 'organisations');
      status.textContent =
        pager.page > 1 || page.nextCursor
          ? `Page ${pager.page} : ${count}.`
          : `${count} trouvée${page.items.length > 1 ? 's' : ''}.`;
      fill(
        results,
        page.items.length === 0
          ? h('p', { class: 'hubee-empty' }, 'Aucune organisation ne correspond à ces filtres.')
          : table({
              caption: `Organisations, page ${pager.page}`,
              columns: [
                { label: 'Nom' },
                { label: 'SIRET' },
                { label: 'Code établissement' },
                { label: 'Type' },
                { label: 'État' },
                { label: 'Code opérateur' },
              ],
              rows: page.items.map((o) => [
                { header: h('a', { href: organisationHref(o.siret, o.branchCode) }, o.name) },
                o.siret,
                o.branchCode,
                ORG_TYPES_SHORT[o.type] ?? o.type,
                organisationBadges(o),
                o.code ?? '—',
              ]),
            }),
      );
      pager.shown(page.nextCursor);
    } catch (error) {
      if (ticket !== loads) return;
      status.textContent = '';
      fill(results, errorAlert(error, { title: 'La liste des organisations est indisponible' }));
      pager.shown(null);
    } finally {
      if (ticket === loads) results.removeAttribute('aria-busy');
    }
  }

  await load();
}
