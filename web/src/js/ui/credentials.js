// API credentials shown once (a subscription put in API mode, a client created or given a new
// secret by the national team): each value in a read-only field with a "Copier" button, under a
// warning that the secret will not be shown again.

import { h } from '../dom.js';
import { dateTime } from '../format.js';
import { alert, announce } from './feedback.js';
import { button } from './forms.js';

/** Copies a value, and says so. */
export async function copy(value, what) {
  try {
    await navigator.clipboard.writeText(value);
    announce(`${what} copié dans le presse-papiers.`);
  } catch {
    announce(`La copie automatique n’est pas possible\u00a0: sélectionnez le texte du champ ${what}, puis copiez-le.`);
  }
}

/**
 * The credentials `{clientId, clientSecret, previousSecretValidUntil?}`, each with a "Copier"
 * button. `title` and `text`: the warning's, which say to whom the secret goes.
 */
export function credentialsPanel(
  credentials,
  {
    title = 'Identifiants de l’API\u00a0: copiez-les maintenant',
    text = 'Collez-les dans votre logiciel métier. Le secret ne sera plus jamais affiché\u00a0: en cas de perte, régénérez-en un nouveau.',
  } = {},
) {
  const line = (label, value, name) => {
    const id = `identifiant-${name}`;
    return h(
      'div',
      { class: 'fr-input-group' },
      h('label', { class: 'fr-label', for: id }, label),
      h(
        'div',
        { class: 'fr-input-wrap fr-input-wrap--addon' },
        h('input', {
          class: 'fr-input hubee-credential',
          id,
          name,
          type: 'text',
          readonly: true,
          value,
          'data-credential': name,
          spellcheck: 'false',
          autocomplete: 'off',
        }),
        button('Copier', {
          kind: 'secondary',
          'aria-label': `Copier\u00a0: ${label}`,
          on: { click: () => copy(value, label) },
        }),
      ),
    );
  };
  return h(
    'div',
    { class: 'fr-mb-4w', 'data-credentials': '' },
    alert({ type: 'warning', title, text, level: 3 }),
    line('Identifiant client (client_id)', credentials.clientId, 'client_id'),
    line('Secret (client_secret)', credentials.clientSecret, 'client_secret'),
    credentials.previousSecretValidUntil &&
      h(
        'p',
        { class: 'fr-hint-text' },
        `L’ancien secret reste valable jusqu’au ${dateTime(credentials.previousSecretValidUntil)}, le temps de mettre à jour votre logiciel.`,
      ),
  );
}
