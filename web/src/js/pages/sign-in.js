// `/connexion`: the ProConnect button when the hub is registered with it (docs/PROCONNECT.md),
// then e-mail and password, then « Vérification de votre identité » with the code e-mailed to the address
// shown. After sign-in, back to the page the person wanted (`?retour=`), or home.

import { auth } from '../api.js';
import { add, fill, focus, h } from '../dom.js';
import { home } from '../router.js';
import { invitations, signedIn } from '../session.js';
import {
  button,
  clearProblems,
  form,
  passwordField,
  requiredNote,
  showError,
  showProblems,
  textField,
} from '../ui/forms.js';
import { alert, announce } from '../ui/feedback.js';
import { pageTitle } from '../ui/layout.js';

/** Only a path of this portal: never another site. */
function returnTo(query) {
  const target = query.get('retour') ?? '';
  return /^\/(?!\/)[^\\]*$/.test(target) && !target.startsWith('/connexion') ? target : null;
}

/**
 * The ProConnect button, as ProConnect's charter asks of a site in the DSFR: the DSFR's
 * FranceConnect button with ProConnect's name, and the link saying what ProConnect is. A form
 * posted to the hub, which sends the browser on to ProConnect.
 */
function proconnectButton() {
  return h(
    'div',
    { class: 'fr-connect-group hubee-proconnect' },
    h(
      'form',
      { method: 'post', action: '/portail/v1/proconnect/login' },
      h(
        'button',
        { class: 'fr-connect', type: 'submit' },
        h('span', { class: 'fr-connect__login' }, 'S’identifier avec'),
        h('span', { class: 'fr-connect__brand' }, 'ProConnect'),
      ),
    ),
    h(
      'p',
      {},
      h(
        'a',
        {
          href: 'https://www.proconnect.gouv.fr/',
          target: '_blank',
          rel: 'noopener',
          title: 'Qu’est-ce que ProConnect ? - nouvelle fenêtre',
        },
        'Qu’est-ce que ProConnect ?',
      ),
    ),
  );
}

export async function render(view, { query, navigate }) {
  const content = h('div', { class: 'fr-col-12 fr-col-md-8 fr-col-lg-6' });
  add(view, h('div', { class: 'fr-grid-row fr-grid-row--center' }, content));
  // Without an answer (an older hub, a network failure), the password form alone.
  const proconnect = await auth.proconnect().catch(() => null);

  function passwordStep() {
    const problems = h('div', {});
    const email = textField({
      label: 'Adresse électronique',
      name: 'email',
      type: 'email',
      required: true,
      autocomplete: 'username',
      spellcheck: 'false',
      hint: 'Format attendu : nom@domaine.fr',
    });
    const password = passwordField({ label: 'Mot de passe', name: 'password', autocomplete: 'current-password' });
    const submit = button('Se connecter', { type: 'submit' });
    const fields = { email, password };
    const signInForm = form(
      {
        'aria-labelledby': 'titre-connexion',
        on: {
          submit: async (event) => {
            event.preventDefault();
            clearProblems(problems, fields);
            const missing = [];
            if (!email.value) missing.push({ field: 'email', message: 'Saisissez votre adresse électronique.' });
            if (!password.value) missing.push({ field: 'password', message: 'Saisissez votre mot de passe.' });
            if (missing.length) return showProblems(problems, missing, fields);
            submit.disabled = true;
            try {
              const challenge = await auth.signIn(email.value, password.value);
              codeStep(challenge);
            } catch (error) {
              showError(problems, error, fields);
            } finally {
              submit.disabled = false;
            }
            return undefined;
          },
        },
      },
      h(
        'fieldset',
        { class: 'fr-fieldset' },
        h(
          'legend',
          { class: 'fr-fieldset__legend', id: 'titre-connexion' },
          h('h2', {}, 'Se connecter avec son compte'),
        ),
        h('div', { class: 'fr-fieldset__element' }, requiredNote()),
        h('div', { class: 'fr-fieldset__element' }, email.element),
        h('div', { class: 'fr-fieldset__element' }, password.element),
        h(
          'div',
          { class: 'fr-fieldset__element' },
          h('p', {}, h('a', { class: 'fr-link', href: '/mot-de-passe-oublie' }, 'Mot de passe oublié ?')),
        ),
      ),
      h('ul', { class: 'fr-btns-group' }, h('li', {}, submit)),
    );
    if (proconnect?.enabled && proconnect.password === false) {
      // Only ProConnect signs people in on this hub.
      fill(
        content,
        ...pageTitle('Connexion au Portail HubEE'),
        h('h2', {}, 'Se connecter avec ProConnect'),
        proconnectButton(),
      );
      return;
    }
    const withProConnect = proconnect?.enabled
      ? [h('h2', {}, 'Se connecter avec ProConnect'), proconnectButton(), h('p', { class: 'fr-hr-or' }, 'ou')]
      : [];
    fill(content, ...pageTitle('Connexion au Portail HubEE'), problems, ...withProConnect, signInForm);
  }

  function codeStep(challenge) {
    const problems = h('div', {});
    const code = textField({
      label: 'Code de vérification',
      name: 'code',
      required: true,
      inputmode: 'numeric',
      autocomplete: 'one-time-code',
      maxlength: '6',
      pattern: '[0-9]{6}',
      hint: '6 chiffres, valable 10 minutes. Le code change à chaque connexion ; pensez à vérifier vos courriers indésirables.',
    });
    const submit = button('S’authentifier', { type: 'submit' });
    // "Renvoyer le code": the same challenge, a new code (3 at most), the previous one void.
    const resend = button('Renvoyer le code', {
      kind: 'tertiary',
      icon: 'fr-icon-mail-line',
      on: {
        click: async () => {
          clearProblems(problems, { code });
          resend.disabled = true;
          try {
            const sent = await auth.resendCode(challenge.challengeId);
            code.value = '';
            const text = `Un nouveau code a été envoyé à ${sent.email}. Le code précédent n’est plus valable.`;
            fill(problems, alert({ type: 'success', title: 'Nouveau code envoyé', text }));
            announce(text);
            resend.disabled = false;
          } catch (error) {
            showError(problems, error, { code });
            // A fourth code, or a spent challenge: only a new sign-in helps.
            resend.disabled = error?.status === 429 || error?.status === 400;
          }
        },
      },
    });
    const heading = h('h1', { 'data-page-title': true }, 'Vérification de votre identité');
    const codeForm = form(
      {
        'aria-labelledby': 'titre-otp',
        on: {
          submit: async (event) => {
            event.preventDefault();
            clearProblems(problems, { code });
            const value = code.value.replace(/\s/g, '');
            if (!/^\d{6}$/.test(value)) {
              return showProblems(problems, [{ field: 'code', message: 'Le code est composé de 6 chiffres.' }], {
                code,
              });
            }
            submit.disabled = true;
            try {
              const me = await auth.answerCode(challenge.challengeId, value);
              signedIn(me);
              // Invitations waiting for an answer are shown first, on the home page.
              await navigate(returnTo(query) ?? (invitations().length ? '/' : home()) ?? '/', { replace: true });
            } catch (error) {
              showError(problems, error, { code });
              submit.disabled = false;
            }
            return undefined;
          },
        },
      },
      h(
        'p',
        { id: 'titre-otp' },
        'Saisissez le code envoyé à votre adresse électronique (',
        h('strong', {}, challenge.email),
        ').',
      ),
      code.element,
      h(
        'ul',
        { class: 'fr-btns-group fr-btns-group--inline-md' },
        h('li', {}, submit),
        h('li', {}, button('Recommencer la connexion', { kind: 'secondary', on: { click: passwordStep } })),
      ),
      h(
        'p',
        { class: 'fr-hint-text fr-mb-1w' },
        'Vous n’avez pas reçu le code ? Vous pouvez en demander un nouveau (3 envois au plus).',
      ),
      resend,
    );
    fill(content, heading, problems, codeForm);
    focus(heading);
  }

  passwordStep();
}
