// The parts every page has: its title (which takes the focus after a navigation), the message
// the previous page left, a back link, sections, description lists, tables, loading states.

import { takeFlash } from '../session.js';
import { h } from '../dom.js';
import { alert } from './feedback.js';

/** A back link above the title ("Retour à la recherche"). */
export function backLink(href, label) {
  return h(
    'p',
    { class: 'fr-mb-2w' },
    h('a', { class: 'fr-link fr-icon-arrow-left-line fr-link--icon-left', href }, label),
  );
}

/** The page's `h1`, then the message the previous page left for it, if any. */
export function pageTitle(title, { back, lead } = {}) {
  const flash = takeFlash();
  return [
    back && backLink(back.href, back.label),
    h('h1', { 'data-page-title': true }, title),
    lead && h('p', { class: 'fr-text--lead' }, lead),
    flash && alert(flash),
  ];
}

/** A section with its `h2`. */
export function section(title, ...children) {
  return h('section', { class: 'fr-mb-6w' }, h('h2', {}, title), ...children);
}

/** A description list: `[[term, value]]`; rows without value are left out. */
export function details(rows) {
  return h(
    'dl',
    { class: 'hubee-details' },
    rows
      .filter(([, value]) => value !== null && value !== undefined && value !== '')
      .map(([term, value]) => h('div', { class: 'hubee-details__row' }, h('dt', {}, term), h('dd', {}, value))),
  );
}

/**
 * A DSFR table. `columns`: `[{label, srOnly}]`; `rows`: arrays of cells (nodes or text; a cell
 * `{header: content}` is a row header). The table scrolls sideways on narrow screens; a table of
 * sentences (`multiline`, its caption a text) wraps its cells' text, and scrolls only when it must.
 */
export function table({ caption, columns, rows, captionHidden = false, id, multiline = false }) {
  const cellClass = multiline ? 'fr-cell--multiline' : null;
  return h(
    'div',
    { class: ['fr-table', captionHidden && 'fr-table--no-caption'], id },
    h(
      'div',
      { class: 'fr-table__wrapper' },
      h(
        'div',
        // A table of sentences may still scroll on a narrow screen: its frame then takes the
        // keyboard's focus (arrows scroll it), named by the caption.
        {
          class: 'fr-table__container',
          tabindex: multiline ? '0' : null,
          role: multiline ? 'region' : null,
          'aria-label': multiline ? caption : null,
        },
        h(
          'div',
          { class: 'fr-table__content' },
          h(
            'table',
            {},
            h('caption', {}, caption),
            h(
              'thead',
              {},
              h(
                'tr',
                {},
                columns.map((c) =>
                  h('th', { scope: 'col' }, c.srOnly ? h('span', { class: 'fr-sr-only' }, c.label) : c.label),
                ),
              ),
            ),
            h(
              'tbody',
              {},
              rows.map((cells) =>
                h(
                  'tr',
                  {},
                  cells.map((cell) =>
                    cell && typeof cell === 'object' && 'header' in cell
                      ? h('th', { scope: 'row', class: cellClass }, cell.header)
                      : h('td', { class: cellClass }, cell),
                  ),
                ),
              ),
            ),
          ),
        ),
      ),
    ),
  );
}

/** A list of values, or a dash for none. */
export function list(values) {
  if (!values?.length) return h('span', {}, '—');
  return h(
    'ul',
    { class: 'hubee-plain-list' },
    values.map((v) => h('li', {}, v)),
  );
}

export function loading(text = 'Chargement…') {
  return h('p', { class: 'hubee-loading', role: 'status' }, text);
}

/** `<time datetime>` with its French text. */
export function time(iso, text) {
  return iso ? h('time', { datetime: iso }, text) : '';
}
