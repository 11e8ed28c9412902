// `/activation?token=…`: the link of the activation e-mail (valid 48 hours).

import { renderSetPassword } from './set-password.js';

export function render(view, context) {
  return renderSetPassword(view, context, {
    title: 'Activer votre compte',
    lead: 'Bienvenue sur le Portail HubEE. Choisissez le mot de passe de votre compte\u00a0: vous vous connecterez ensuite avec votre adresse électronique et ce mot de passe.',
    done: 'Votre compte est activé',
  });
}
