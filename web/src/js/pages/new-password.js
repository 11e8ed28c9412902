// `/mot-de-passe?token=…`: the link of the "Mot de passe oublié ?" e-mail (valid 48 hours).

import { renderSetPassword } from './set-password.js';

export function render(view, context) {
  return renderSetPassword(view, context, {
    title: 'Choisir un nouveau mot de passe',
    lead: 'Choisissez votre nouveau mot de passe. Pensez à bien le mémoriser pour la prochaine fois\u00a0!',
    done: 'Votre mot de passe est enregistré',
  });
}
