// `/mot-de-passe-oublie`: a reset link by e-mail. The answer is the same for any address, so
// the page never tells whether the address has an account.

import { auth } from '../api.js';
import { add, fill, h } from '../dom.js';
import { alert } from '../ui/feedback.js';
import { button, clearProblems, form, requiredNote, showError, showProblems, textField } from '../ui/forms.js';
import { pageTitle } from '../ui/layout.js';

export async function render(view) {
  const problems = h('div', {});
  const result = h('div', {});
  const email = textField({
    label: 'Adresse électronique',
    name: 'email',
    type: 'email',
    required: true,
    autocomplete: 'username',
    spellcheck: 'false',
    hint: 'Format attendu\u00a0: nom@domaine.fr',
  });
  const submit = button('Réinitialiser mon mot de passe', { type: 'submit' });
  const resetForm = form(
    {
      on: {
        submit: async (event) => {
          event.preventDefault();
          clearProblems(problems, { email });
          fill(result);
          if (!email.value) {
            return showProblems(problems, [{ field: 'email', message: 'Saisissez votre adresse électronique.' }], {
              email,
            });
          }
          submit.disabled = true;
          try {
            await auth.forgottenPassword(email.value);
            const done = alert({
              type: 'success',
              title: 'Demande enregistrée',
              text: `Si l’adresse ${email.value} correspond à un compte du portail, un lien de réinitialisation valable 48 heures vient d’y être envoyé. Pas de message\u00a0? Vérifiez vos courriers indésirables, puis contactez l’administrateur local HubEE de votre service.`,
            });
            fill(result, done);
            done.querySelector('.fr-alert__title').setAttribute('tabindex', '-1');
            done.querySelector('.fr-alert__title').focus();
          } catch (error) {
            showError(problems, error, { email });
          } finally {
            submit.disabled = false;
          }
          return undefined;
        },
      },
    },
    requiredNote(),
    email.element,
    h(
      'ul',
      { class: 'fr-btns-group fr-btns-group--inline-md' },
      h('li', {}, submit),
      h('li', {}, h('a', { class: 'fr-btn fr-btn--secondary', href: '/connexion' }, 'Retour à la connexion')),
    ),
  );
  add(
    view,
    h(
      'div',
      { class: 'fr-grid-row fr-grid-row--center' },
      h(
        'div',
        { class: 'fr-col-12 fr-col-md-8 fr-col-lg-6' },
        ...pageTitle('Mot de passe oublié\u00a0?'),
        h(
          'p',
          {},
          'Vous allez recevoir un e-mail vous permettant de choisir un nouveau mot de passe. En cas de problème, contactez l’administrateur de votre service.',
        ),
        result,
        problems,
        resetForm,
      ),
    ),
  );
}
