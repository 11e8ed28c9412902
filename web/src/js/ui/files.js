// Saving what the API sends as a file (a zip, an attachment, a CSV export) under the name it gives.

import { fill, focus, h, uid } from '../dom.js';
import { announce, errorAlert } from './feedback.js';
import { button } from './forms.js';

/** Offers `blob` for download as `fileName`. */
export function save({ blob, fileName }, fallbackName = 'telechargement') {
  const url = URL.createObjectURL(blob);
  const link = document.createElement('a');
  link.href = url;
  link.download = fileName || fallbackName;
  link.hidden = true;
  document.body.append(link);
  link.click();
  link.remove();
  // The browser has taken the file once the click is handled.
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
}

/**
 * "Exporter (CSV)" with its hint: saves the file `read()` answers (a list as the hub exports it,
 * fetched like every download, docs/WEB.md) and says so in the live region; a refusal (a list too
 * long, an expired session…) shows in the export's own slot, which takes the focus.
 * `hint`: what the file holds; `fallbackName`: the file's name if the hub gives none.
 */
export function exportControl({ read, hint, fallbackName }) {
  const hintId = uid('export-aide');
  const problems = h('div', {});
  let running = false;
  const control = button('Exporter (CSV)', {
    kind: 'secondary',
    size: 'sm',
    icon: 'fr-icon-download-line',
    'aria-describedby': hintId,
    'data-export': '',
    on: {
      click: async () => {
        if (running) return;
        running = true;
        fill(problems);
        announce('Export en cours.');
        try {
          save(await read(), fallbackName);
          announce('Le fichier CSV est téléchargé.');
        } catch (error) {
          fill(problems, errorAlert(error, { title: 'L’export n’a pas abouti', level: 3 }));
          focus(problems.querySelector('.fr-alert__title'));
        } finally {
          running = false;
        }
      },
    },
  });
  return h(
    'div',
    { class: 'hubee-export fr-mb-2w' },
    control,
    h('p', { id: hintId, class: 'fr-hint-text fr-mt-1v fr-mb-0' }, hint),
    problems,
  );
}
