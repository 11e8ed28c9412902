// The hub's support address (`HUBEE_SUPPORT_EMAIL`, given by `GET /portail/v1/proconnect` to
// anyone, signed in or not), read once and shown in the footer, on the help page and on the
// error pages. A hub without one shows the local administrator as the first contact instead.

import { auth } from './api.js';
import { h } from './dom.js';

let answer = null;

/** The support address, or `null` when the hub has none (or could not be asked). */
export function supportAddress() {
  answer ??= auth
    .proconnect()
    .then((found) => (typeof found?.support === 'string' && found.support.includes('@') ? found.support : null))
    .catch(() => null);
  return answer;
}

/** "Besoin d’aide ?" with the support address when there is one: a paragraph's children. */
export function supportSentence(address) {
  return address
    ? [
        'Besoin d’aide\u00a0? Consultez l’',
        h('a', { href: '/aide' }, 'aide du portail'),
        ', votre administrateur local, ou écrivez au support de HubEE\u00a0: ',
        h('a', { href: `mailto:${address}` }, address),
        '.',
      ]
    : [
        'Besoin d’aide\u00a0? Consultez l’',
        h('a', { href: '/aide' }, 'aide du portail'),
        ', ou adressez-vous à l’administrateur local de votre organisation.',
      ];
}

/** A paragraph saying where to find help, filled when the address is known. */
export function supportParagraph(attributes = {}) {
  const paragraph = h('p', { 'data-support': true, ...attributes }, ...supportSentence(null));
  supportAddress().then((address) => {
    if (address) paragraph.replaceChildren(...supportSentence(address));
  });
  return paragraph;
}
