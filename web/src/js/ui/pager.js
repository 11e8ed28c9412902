// Paging by cursor, as the hub's listings answer (`nextCursor`): the cursors of the pages seen,
// the page shown, and the DSFR pagination ("Première page", "Page précédente", its number,
// "Page suivante"). Only the next page's cursor is known, so there is no "Dernière page".

import { fill, h } from '../dom.js';

/**
 * `onMove()`: reads and shows the page whose cursor is `pager.cursor` (then calls
 * `pager.shown(nextCursor)`) and moves the focus to it. `label`: the navigation's name.
 */
export function cursorPager({ onMove, label = 'Pages de résultats' }) {
  let cursors = [null];
  let page = 0;
  let next = null;
  const element = h('div', {});

  const link = (text, modifier, enabled, onClick) =>
    enabled
      ? h(
          'button',
          {
            type: 'button',
            class: `fr-pagination__link fr-pagination__link--${modifier} fr-pagination__link--lg-label`,
            on: { click: onClick },
          },
          text,
        )
      : h(
          'a',
          {
            class: `fr-pagination__link fr-pagination__link--${modifier} fr-pagination__link--lg-label`,
            role: 'link',
            'aria-disabled': 'true',
          },
          text,
        );

  const go = (target) => {
    if (target === page + 1) cursors[target] = next;
    page = target;
    return onMove();
  };

  function render() {
    if (page === 0 && !next) {
      fill(element);
      return;
    }
    fill(
      element,
      h(
        'nav',
        { class: 'fr-pagination fr-mt-3w', role: 'navigation', 'aria-label': label },
        h(
          'ul',
          { class: 'fr-pagination__list' },
          h(
            'li',
            {},
            link('Première page', 'first', page > 0, () => go(0)),
          ),
          h(
            'li',
            {},
            link('Page précédente', 'prev', page > 0, () => go(page - 1)),
          ),
          h(
            'li',
            {},
            h(
              'a',
              { class: 'fr-pagination__link', 'aria-current': 'page', title: `Page ${page + 1}` },
              String(page + 1),
            ),
          ),
          h(
            'li',
            {},
            link('Page suivante', 'next', Boolean(next), () => go(page + 1)),
          ),
        ),
      ),
    );
  }

  return {
    element,
    /** The cursor of the page to read (`null` for the first). */
    get cursor() {
      return cursors[page];
    },
    /** The number of the page shown, from 1. */
    get page() {
      return page + 1;
    },
    /** Back to the first page (new filters). */
    restart() {
      cursors = [null];
      page = 0;
      next = null;
    },
    /** The page is shown; `nextCursor` reads the one after it, if any. */
    shown(nextCursor) {
      next = nextCursor ?? null;
      render();
    },
  };
}
