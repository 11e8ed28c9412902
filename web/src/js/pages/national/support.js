// `/national/support`: finds any account of the platform by its address (exact) or the beginning of
// its last name (accents and case ignored), 20 a page; each one links to its support page. Support
// never sees nor asks for a password or a sign-in code.

import { national } from '../../api.js';
import { add, fill, focus, h } from '../../dom.js';
import { dateTime, personName, plural } from '../../format.js';
import { ALL_ACTOR_TYPES, accountSearch } from '../../national.js';
import { errorAlert } from '../../ui/feedback.js';
import { button, clearProblems, form, showProblems, textField } from '../../ui/forms.js';
import { table } from '../../ui/layout.js';
import { cursorPager } from '../../ui/pager.js';
import { accountBadges, accountHref, nationalTitle, organisationHref } from './common.js';

const PAGE_SIZE = 20;

export const SUPPORT_NOTICE =
  'Le support ne voit jamais de mot de passe ni de code de connexion, et n’en demande jamais\u00a0: une personne qui a oublié son mot de passe utilise « Mot de passe oublié\u00a0? » sur la page de connexion.';

export async function render(view, { query, isCurrent }) {
  const fields = {
    q: textField({
      label: 'Adresse électronique ou nom de famille',
      name: 'q',
      type: 'search',
      spellcheck: 'false',
      autocomplete: 'off',
      hint: 'Une adresse complète, ou le début d’un nom de famille (accents et majuscules indifférents)',
    }),
  };
  fields.q.value = query.get('q') ?? '';

  const problems = h('div', {});
  const status = h('p', { class: 'fr-mb-2w', role: 'status' });
  const results = h('div', {});
  const pager = cursorPager({
    label: 'Pages des comptes trouvés',
    onMove: async () => {
      await load();
      focus(status);
    },
  });
  let searched = null;

  const search = form(
    {
      class: 'hubee-filters fr-mb-4w',
      role: 'search',
      'aria-label': 'Rechercher un compte',
      on: {
        submit: (event) => {
          event.preventDefault();
          clearProblems(problems, fields);
          const { q, problem } = accountSearch(fields.q.value);
          if (problem) return showProblems(problems, [{ field: 'q', message: problem }], fields);
          searched = q;
          pager.restart();
          load();
          return undefined;
        },
      },
    },
    h(
      'div',
      { class: 'fr-grid-row fr-grid-row--gutters fr-grid-row--bottom' },
      h('div', { class: 'fr-col-12 fr-col-md-8' }, fields.q.element),
      h(
        'div',
        { class: 'fr-col-12 fr-col-md-4 hubee-filters__buttons' },
        button('Rechercher', { type: 'submit', icon: 'fr-icon-search-line' }),
      ),
    ),
  );

  add(
    view,
    ...nationalTitle('Support', {
      lead: 'Retrouvez le compte d’une personne pour la dépanner\u00a0: le déverrouiller, lui renvoyer son e-mail d’activation, le suspendre ou le rétablir.',
    }),
    h('p', { class: 'fr-hint-text' }, SUPPORT_NOTICE),
    problems,
    search,
    status,
    results,
    pager.element,
  );

  let loads = 0;
  async function load() {
    loads += 1;
    const ticket = loads;
    const q = searched;
    if (isCurrent()) window.history.replaceState(null, '', `/national/support?${new URLSearchParams({ q })}`);
    results.setAttribute('aria-busy', 'true');
    try {
      const page = await national.accounts({ q, cursor: pager.cursor, limit: PAGE_SIZE });
      if (!isCurrent() || ticket !== loads) return;
      const count = plural(page.items.length, 'compte trouvé', 'comptes trouvés');
      status.textContent = pager.page > 1 || page.nextCursor ? `Page ${pager.page} : ${count}.` : `${count}.`;
      fill(
        results,
        page.items.length === 0
          ? h('p', { class: 'hubee-empty' }, `Aucun compte ne correspond à « ${q} ».`)
          : table({
              caption: `Comptes trouvés pour « ${q} », page ${pager.page}`,
              id: 'comptes',
              columns: [
                { label: 'Nom' },
                { label: 'Adresse électronique' },
                { label: 'Type d’acteur' },
                { label: 'Organisation d’appartenance' },
                { label: 'État' },
              ],
              rows: page.items.map((a) => {
                const home = a.organisations.find((o) => o.relation === 'HOME') ?? a.organisations[0];
                return [
                  { header: h('a', { href: accountHref(a.email, q) }, personName(a)) },
                  h('span', { class: 'hubee-wrap' }, a.email),
                  ALL_ACTOR_TYPES[a.actorType] ?? a.actorType,
                  home
                    ? h(
                        'a',
                        { href: organisationHref(home.siret, home.branchCode) },
                        `${home.siret} (${home.branchCode})`,
                      )
                    : '—',
                  accountBadges(a, dateTime),
                ];
              }),
            }),
      );
      pager.shown(page.nextCursor);
    } catch (error) {
      if (ticket !== loads) return;
      status.textContent = '';
      fill(results, errorAlert(error, { title: 'La recherche a échoué' }));
      pager.shown(null);
    } finally {
      if (ticket === loads) results.removeAttribute('aria-busy');
    }
  }

  const initial = accountSearch(fields.q.value);
  if (!initial.problem) {
    searched = initial.q;
    await load();
  }
}
