// Choosing a password from an e-mailed link: the same page for the activation of a new account
// (`/activation?token=…`) and for a reset (`/mot-de-passe?token=…`), with the rule shown as
// the person types. Setting it ends every session of the account: the person signs in again.

import { auth } from '../api.js';
import { add, h } from '../dom.js';
import { flash, signedOut, user } from '../session.js';
import { alert } from '../ui/feedback.js';
import {
  button,
  clearProblems,
  form,
  PASSWORD_RULES,
  passwordField,
  requiredNote,
  showError,
  showProblems,
} from '../ui/forms.js';
import { pageTitle } from '../ui/layout.js';

/** `texts`: `{title, lead, done}` for the page at hand. */
export async function renderSetPassword(view, { query, navigate }, texts) {
  const token = query.get('token') ?? '';
  const column = h('div', { class: 'fr-col-12 fr-col-md-8 fr-col-lg-6' }, ...pageTitle(texts.title));
  add(view, h('div', { class: 'fr-grid-row fr-grid-row--center' }, column));
  if (!token) {
    add(
      column,
      alert({
        type: 'error',
        title: 'Lien incomplet',
        text: 'L’adresse ouverte ne contient pas de jeton\u00a0: copiez le lien complet reçu par e-mail, ou demandez-en un nouveau.',
      }),
      h('p', {}, h('a', { class: 'fr-link', href: '/mot-de-passe-oublie' }, 'Demander un nouveau lien')),
    );
    return;
  }
  const problems = h('div', {});
  const password = passwordField({
    label: 'Nouveau mot de passe',
    name: 'password',
    autocomplete: 'new-password',
    rules: PASSWORD_RULES,
  });
  const confirmation = passwordField({
    label: 'Confirmation du mot de passe',
    name: 'confirmation',
    autocomplete: 'new-password',
  });
  const submit = button('Enregistrer le mot de passe', { type: 'submit' });
  const fields = { password, confirmation };
  const passwordForm = form(
    {
      on: {
        submit: async (event) => {
          event.preventDefault();
          clearProblems(problems, fields);
          const found = [];
          for (const rule of PASSWORD_RULES) {
            if (!rule.test(password.value))
              found.push({ field: 'password', message: `Il manque\u00a0: ${rule.text}.` });
          }
          if (password.value !== confirmation.value) {
            found.push({ field: 'confirmation', message: 'Les deux mots de passe ne sont pas identiques.' });
          }
          if (found.length) return showProblems(problems, found, fields);
          submit.disabled = true;
          try {
            await auth.setPassword(token, password.value);
            if (user()) signedOut();
            flash({
              type: 'success',
              title: texts.done,
              text: 'Connectez-vous avec votre adresse électronique et ce mot de passe.',
            });
            await navigate('/connexion', { replace: true });
          } catch (error) {
            showError(problems, error, fields);
            if (error.problems?.some((p) => /lien/i.test(p.message))) {
              add(
                problems,
                h('p', {}, h('a', { class: 'fr-link', href: '/mot-de-passe-oublie' }, 'Demander un nouveau lien')),
              );
            }
            submit.disabled = false;
          }
          return undefined;
        },
      },
    },
    requiredNote(),
    password.element,
    confirmation.element,
    h('ul', { class: 'fr-btns-group' }, h('li', {}, submit)),
  );
  add(column, h('p', {}, texts.lead), problems, passwordForm);
}
