// Paging, in the DSFR pagination ("Première page", "Page précédente", page numbers, "Page
// suivante"): by cursor, as the hub's listings answer (`nextCursor`: only the next page is known,
// so there is no "Dernière page"), and by offset, as the referential's listings answer
// (`Content-Range: subscriptions 0-19/57`: every page is known).

import { fill, h } from '../dom.js';
import { busyWhileLoading } from './forms.js';

/** An enabled pagination control is a button (it changes the list, not the address). */
function link(text, modifier, enabled, onClick, attributes = {}) {
  const classes = [
    'fr-pagination__link',
    modifier && `fr-pagination__link--${modifier}`,
    modifier && 'fr-pagination__link--lg-label',
  ];
  return enabled
    ? h('button', { type: 'button', class: classes, on: { click: onClick }, ...attributes }, text)
    : h('a', { class: classes, role: 'link', 'aria-disabled': 'true', ...attributes }, text);
}

function current(number) {
  return h('a', { class: 'fr-pagination__link', 'aria-current': 'page', title: `Page ${number}` }, String(number));
}

function navigation(label, ...items) {
  return h(
    'nav',
    { class: 'fr-pagination fr-mt-3w', role: 'navigation', 'aria-label': label },
    h(
      'ul',
      { class: 'fr-pagination__list' },
      items.flat().map((item) => h('li', {}, item)),
    ),
  );
}

/**
 * The element a pagination lives in, busy while a page loads on a slow network (its buttons
 * refused meanwhile, a status line saying so), and `whileMoving(onMove)`, which runs a move so.
 */
function pagerElement() {
  const status = h('p', { class: 'fr-hint-text fr-mb-0 hubee-busy-status', role: 'status' });
  const nav = h('div', {});
  const start = busyWhileLoading(nav, status, 'Chargement de la page…');
  const whileMoving = (onMove) => {
    const moved = onMove();
    start();
    return moved;
  };
  return { element: h('div', {}, nav, status), nav, whileMoving };
}

/**
 * `onMove()`: reads and shows the page whose cursor is `pager.cursor` (then calls
 * `pager.shown(nextCursor)`) and moves the focus to it. `label`: the navigation's name.
 */
export function cursorPager({ onMove, label = 'Pages de résultats' }) {
  let cursors = [null];
  let page = 0;
  let next = null;
  const { element, nav, whileMoving } = pagerElement();

  const go = (target) => {
    if (target === page + 1) cursors[target] = next;
    page = target;
    return whileMoving(onMove);
  };

  function render() {
    if (page === 0 && !next) {
      fill(nav);
      return;
    }
    fill(
      nav,
      navigation(
        label,
        link('Première page', 'first', page > 0, () => go(0)),
        link('Page précédente', 'prev', page > 0, () => go(page - 1)),
        current(page + 1),
        link('Page suivante', 'next', Boolean(next), () => go(page + 1)),
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

/**
 * A `Content-Range` header (`subscriptions 0-19/57`, or `subscriptions *\/0` for an empty page):
 * `{unit, first, last, total}` (`first` and `last` from 0, `null` for an empty page), or `null`.
 */
export function parseContentRange(header) {
  const match = /^\s*([\w-]+) (?:(\d+)-(\d+)|\*)\/(\d+)\s*$/.exec(header ?? '');
  if (!match) return null;
  const [, unit, first, last, total] = match;
  return {
    unit,
    first: first === undefined ? null : Number(first),
    last: last === undefined ? null : Number(last),
    total: Number(total),
  };
}

/**
 * The page numbers a pagination shows, from 1: the first, the last, and the current one with its
 * neighbours; a gap of several pages is `'…'` (of one page, that page).
 */
export function pageNumbers(currentPage, count) {
  if (!(count > 0)) return [];
  const shown = [...new Set([1, count, currentPage - 1, currentPage, currentPage + 1])]
    .filter((n) => n >= 1 && n <= count)
    .sort((a, b) => a - b);
  const numbers = [];
  let previous = 0;
  for (const n of shown) {
    if (n - previous === 2) numbers.push(previous + 1);
    else if (n - previous > 2) numbers.push('…');
    numbers.push(n);
    previous = n;
  }
  return numbers;
}

/**
 * Paging by offset, `pageSize` a page. `onMove()`: reads and shows the page at `pager.offset`
 * (then calls `pager.shown(total)`) and moves the focus to it. `label`: the navigation's name.
 */
export function offsetPager({ onMove, pageSize, label = 'Pages de résultats' }) {
  let page = 0;
  let total = 0;
  const { element, nav, whileMoving } = pagerElement();
  const count = () => Math.max(1, Math.ceil(total / pageSize));

  const go = (target) => {
    page = target;
    return whileMoving(onMove);
  };

  function render() {
    const pages = count();
    if (pages <= 1 && page === 0) {
      fill(nav);
      return;
    }
    const last = pages - 1;
    fill(
      nav,
      navigation(
        label,
        link('Première page', 'first', page > 0, () => go(0)),
        link('Page précédente', 'prev', page > 0, () => go(page - 1)),
        pageNumbers(page + 1, pages).map((n) =>
          n === '…'
            ? h('a', { class: 'fr-pagination__link fr-displayed-lg' }, '…')
            : n === page + 1
              ? current(n)
              : h(
                  'button',
                  { type: 'button', class: 'fr-pagination__link', title: `Page ${n}`, on: { click: () => go(n - 1) } },
                  String(n),
                ),
        ),
        link('Page suivante', 'next', page < last, () => go(page + 1)),
        link('Dernière page', 'last', page < last, () => go(last)),
      ),
    );
  }

  return {
    element,
    /** The offset of the page to read. */
    get offset() {
      return page * pageSize;
    },
    /** The number of the page shown, from 1. */
    get page() {
      return page + 1;
    },
    /** How many pages the last answer makes. */
    get pageCount() {
      return count();
    },
    /** Back to the first page (new filters), or to page `number` (from 1: an address's `page`). */
    restart(number = 1) {
      page = Math.max(0, Math.floor(Number(number) || 1) - 1);
      total = 0;
    },
    /** The page is shown; `totalItems` is the listing's total (`Content-Range`). */
    shown(totalItems) {
      total = totalItems ?? 0;
      render();
    },
  };
}
