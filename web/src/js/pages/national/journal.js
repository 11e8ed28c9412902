// `/national/journal`: what the national team changed on the platform, newest first, 10 a page:
// when, who, what, on what, and the fields changed (before → after; a creation lists what it set).

import { national } from '../../api.js';
import { add, fill, focus, h, srOnly } from '../../dom.js';
import { dateTime, isoDateTime, plural } from '../../format.js';
import { changes, describe, journalAction, targetHref, targetLabel } from '../../national.js';
import { errorAlert } from '../../ui/feedback.js';
import { loading, table, time } from '../../ui/layout.js';
import { cursorPager } from '../../ui/pager.js';
import { nationalTitle } from './common.js';

const PAGE_SIZE = 10;

/** The fields an action changed, one line each: `Fermée : non → oui`. */
function diff(entry) {
  const changed = changes(entry.before, entry.after);
  if (changed.length === 0) return '—';
  const creation = entry.before === undefined || entry.before === null;
  return h(
    'ul',
    { class: 'hubee-plain-list hubee-diff hubee-wrap' },
    changed.map((c) =>
      h(
        'li',
        {},
        h('span', { class: 'hubee-diff__field' }, `${c.label} : `),
        creation
          ? describe(c.field, c.after, dateTime)
          : [
              h('span', { class: 'hubee-diff__before' }, describe(c.field, c.before, dateTime)),
              h('span', { 'aria-hidden': 'true' }, ' → '),
              srOnly(' devient '),
              h('span', { class: 'hubee-diff__after' }, describe(c.field, c.after, dateTime)),
            ],
      ),
    ),
  );
}

export async function render(view, { isCurrent }) {
  const status = h('p', { class: 'fr-mb-2w', role: 'status' });
  const results = h('div', {}, loading('Chargement du journal…'));
  const pager = cursorPager({
    label: 'Pages du journal',
    onMove: async () => {
      await load();
      focus(status);
    },
  });
  add(
    view,
    ...nationalTitle('Journal des actions nationales', {
      lead: 'Chaque modification faite par l’administration nationale, avec son auteur, son heure et les champs modifiés.',
    }),
    status,
    results,
    pager.element,
  );

  let loads = 0;
  async function load() {
    loads += 1;
    const ticket = loads;
    results.setAttribute('aria-busy', 'true');
    try {
      const page = await national.journal({ cursor: pager.cursor, limit: PAGE_SIZE });
      if (!isCurrent() || ticket !== loads) return;
      status.textContent = `Page ${pager.page} : ${plural(page.items.length, 'action', 'actions')}, les plus récentes d’abord.`;
      fill(
        results,
        page.items.length === 0
          ? h('p', { class: 'hubee-empty' }, 'Aucune action nationale n’a encore été enregistrée.')
          : table({
              caption: `Actions nationales, page ${pager.page}`,
              id: 'journal',
              columns: [
                { label: 'Date' },
                { label: 'Auteur' },
                { label: 'Action' },
                { label: 'Cible' },
                { label: 'Modifications' },
              ],
              rows: page.items.map((entry) => {
                const href = targetHref(entry.target);
                const target = targetLabel(entry.target);
                return [
                  time(isoDateTime(entry.at), dateTime(entry.at)),
                  h('span', {}, entry.actorName, h('span', { class: 'fr-hint-text' }, entry.actor)),
                  { header: journalAction(entry.action) },
                  href ? h('a', { href }, target) : target,
                  diff(entry),
                ];
              }),
            }),
      );
      pager.shown(page.nextCursor);
    } catch (error) {
      if (ticket !== loads) return;
      status.textContent = '';
      fill(results, errorAlert(error, { title: 'Le journal est indisponible' }));
      pager.shown(null);
    } finally {
      if (ticket === loads) results.removeAttribute('aria-busy');
    }
  }

  await load();
}
