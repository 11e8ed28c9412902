// DSFR modal dialogs: the DSFR's script traps the focus inside, closes on Escape and gives the
// focus back to the button that opened it. Dialogs belong to the page that created them and are
// closed before the router shows another page.

import { h, uid } from '../dom.js';
import { dsfrInstance } from './dsfr.js';

const open = new Set();

/**
 * A modal dialog. `content`: nodes under the title; `actions`: the footer's buttons (the first
 * is the main one, shown last on the right as the DSFR wants). Returns `{element, open(),
 * close(), opener(label, attributes)}`: `opener` makes a button that opens it.
 */
export function modal({ title, content, actions = [], onClose, size = 'md' }) {
  const id = uid('modale');
  const titleId = `${id}-titre`;
  const columns = size === 'lg' ? 'fr-col-12 fr-col-md-10 fr-col-lg-8' : 'fr-col-12 fr-col-md-8 fr-col-lg-6';
  const element = h(
    'dialog',
    { id, class: 'fr-modal', 'aria-labelledby': titleId },
    h(
      'div',
      { class: 'fr-container fr-container--fluid fr-container-md' },
      h(
        'div',
        { class: 'fr-grid-row fr-grid-row--center' },
        h(
          'div',
          { class: columns },
          h(
            'div',
            { class: 'fr-modal__body' },
            h(
              'div',
              { class: 'fr-modal__header' },
              h(
                'button',
                { class: 'fr-btn--close fr-btn', type: 'button', 'aria-controls': id, title: 'Fermer' },
                'Fermer',
              ),
            ),
            h(
              'div',
              { class: 'fr-modal__content' },
              h('h2', { id: titleId, class: 'fr-modal__title' }, title),
              content,
            ),
            actions.length > 0 &&
              h(
                'div',
                { class: 'fr-modal__footer' },
                h(
                  'ul',
                  {
                    class: 'fr-btns-group fr-btns-group--right fr-btns-group--inline-reverse fr-btns-group--inline-lg',
                  },
                  actions.map((action) => h('li', {}, action)),
                ),
              ),
          ),
        ),
      ),
    ),
  );
  element.addEventListener('dsfr.conceal', () => {
    open.delete(dialog);
    onClose?.();
  });
  element.addEventListener('dsfr.disclose', () => open.add(dialog));

  const dialog = {
    element,
    id,
    async open() {
      if (!element.isConnected) document.body.append(element);
      (await dsfrInstance(element, 'modal')).disclose();
    },
    async close() {
      if (!element.isConnected) return;
      (await dsfrInstance(element, 'modal')).conceal();
    },
    /** A button that opens the dialog (the DSFR gives the focus back to it on close). */
    opener(label, attributes = {}) {
      return h(
        'button',
        {
          type: 'button',
          'data-fr-opened': 'false',
          'aria-controls': id,
          ...attributes,
          class: ['fr-btn', attributes.class],
        },
        label,
      );
    },
  };
  return dialog;
}

/** Closes every open dialog (before another page is shown). */
export async function closeAll() {
  await Promise.all([...open].map((dialog) => dialog.close().catch(() => {})));
  open.clear();
}
