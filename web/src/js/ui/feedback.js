// Messages to the person: DSFR alerts (with a title, never colour alone), the error summary of
// a form, and a polite live region for what happens without a page change.

import { ApiError } from '../api.js';
import { NETWORK } from '../messages.js';
import { fill, focus, h } from '../dom.js';

const TYPES = new Set(['success', 'info', 'warning', 'error']);

/**
 * A DSFR alert. `level`: the heading level of its title (2 under the page title, 3 in a section).
 * `items`: a list under the text. `focused`: moves focus to it (after an action).
 */
export function alert({ type = 'info', title, text, items, level = 2, small = false }) {
  const kind = TYPES.has(type) ? type : 'info';
  return h(
    'div',
    { class: ['fr-alert', `fr-alert--${kind}`, small && 'fr-alert--sm', 'fr-mb-3w'], 'data-alert': kind },
    title && h(`h${level}`, { class: 'fr-alert__title' }, title),
    text && h('p', {}, text),
    items?.length > 0 &&
      h(
        'ul',
        {},
        items.map((item) => h('li', {}, item)),
      ),
  );
}

/** The French message of anything a call may throw. */
export function messageOf(error) {
  if (error instanceof ApiError) return error.message;
  console.error(error);
  return error instanceof TypeError ? NETWORK : 'Une erreur inattendue s’est produite\u00a0: rechargez la page.';
}

/** An error alert for a failed call: one line per problem. */
export function errorAlert(error, { title = 'L’opération n’a pas abouti', level = 2 } = {}) {
  const problems = error instanceof ApiError ? error.problems.map((p) => p.message) : [messageOf(error)];
  const unique = [...new Set(problems)];
  return unique.length === 1
    ? alert({ type: 'error', title, text: unique[0], level })
    : alert({ type: 'error', title, items: unique, level });
}

/** Puts a message in a slot (an element kept for it) and focuses it. */
export function show(slot, message) {
  fill(slot, message ?? '');
  if (message) focus(message.querySelector('.fr-alert__title') ?? message);
}

let liveRegion = null;

/** Says something to screen readers without moving focus (a download started, a list updated). */
export function announce(text) {
  if (!liveRegion) {
    liveRegion = h('div', { class: 'fr-sr-only', 'aria-live': 'polite', 'aria-atomic': 'true' });
    document.body.append(liveRegion);
  }
  liveRegion.textContent = '';
  // A change after an empty frame is announced even when the text repeats.
  requestAnimationFrame(() => {
    liveRegion.textContent = text;
  });
}
