// `/gestion-des-cookies`: the portal sets only cookies strictly necessary to the service it
// offers (the session, and for a few minutes a ProConnect sign-in's), so it asks no consent and
// shows no banner; it says so, and what each cookie is.

import { add, h } from '../../dom.js';
import { pageTitle, section, table } from '../../ui/layout.js';

/** `[name, purpose, lifetime]`: the cookies the hub sets (shared/src/http/session.rs, auth). */
const COOKIES = [
  [
    '__Host-hubee_session',
    'Vous garder connecté d’une page à l’autre, et protéger vos actions (jeton anti-falsification).',
    'Jusqu’à la déconnexion ou la fermeture du navigateur\u00a0; la session qu’il désigne prend fin au plus tard après 30 minutes sans activité (15 pour l’administration nationale) ou 12 heures après la connexion.',
  ],
  [
    '__Host-hubee_proconnect',
    'Relier votre retour de ProConnect à la connexion que vous avez commencée (seulement si vous vous connectez avec ProConnect).',
    '10 minutes au plus, effacé dès la connexion terminée.',
  ],
];

export async function render(view) {
  add(
    view,
    ...pageTitle('Gestion des cookies'),
    h(
      'p',
      {},
      'Un cookie est un petit fichier déposé sur votre terminal par un site. Le Portail HubEE n’en dépose que pour fonctionner\u00a0: aucun cookie de mesure d’audience, de publicité ou de réseau social, aucun cookie d’un tiers.',
    ),
    section(
      'Les cookies du portail',
      table({
        multiline: true,
        caption: 'Cookies déposés par le Portail HubEE',
        columns: [{ label: 'Nom' }, { label: 'À quoi il sert' }, { label: 'Durée' }],
        rows: COOKIES.map(([name, purpose, lifetime]) => [{ header: h('code', {}, name) }, purpose, lifetime]),
      }),
      h(
        'p',
        {},
        'Ces cookies sont réservés au portail (ils ne sont envoyés qu’à lui, en connexion chiffrée) et inaccessibles aux scripts des pages.',
      ),
    ),
    section(
      'Pourquoi aucun bandeau ne vous demande votre accord',
      h(
        'p',
        {},
        'Ces cookies sont strictement nécessaires au service que vous demandez\u00a0: sans eux, vous ne pourriez pas vous connecter. L’article 82 de la loi Informatique et Libertés les dispense du consentement\u00a0; le portail n’a donc pas de bandeau de cookies, et n’en aura pas tant qu’il ne dépose que ceux-ci.',
      ),
      h('p', {}, 'Vous pouvez les effacer depuis les réglages de votre navigateur\u00a0: vous serez alors déconnecté.'),
    ),
  );
}
