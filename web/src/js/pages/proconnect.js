// `/connexion/proconnect`: why a ProConnect sign-in opened no session (docs/PROCONNECT.md). The
// hub's callback sends the browser here with the reason, the address and the establishment
// ProConnect gave, and ProConnect's sign-out address in the fragment (`#raison=…`), which no
// server or log sees; the page reads it once, then removes it from the address bar.

import { auth } from '../api.js';
import { add, h } from '../dom.js';
import { alert } from '../ui/feedback.js';
import { pageTitle } from '../ui/layout.js';

/** What each reason says, in the users' words: a title and what to do. */
const REASONS = {
  inconnu: [
    'Aucun compte HubEE ne correspond à cette adresse',
    'ProConnect vous a bien identifié, mais aucun compte du Portail HubEE n’a été créé pour cette adresse. ' +
      'Demandez à l’administrateur local de votre organisation de vous créer un compte avec cette adresse.',
  ],
  organisation: [
    'Votre compte HubEE ne relève pas de l’établissement indiqué par ProConnect',
    'ProConnect vous a identifié comme agent d’un établissement qui n’est aucune des organisations de votre compte ' +
      'HubEE. Connectez-vous avec le compte de l’organisation concernée, ou demandez à son administrateur local de ' +
      'vérifier votre compte.',
  ],
  'double-authentification': [
    'Une double authentification est nécessaire',
    'Votre rôle sur le Portail HubEE demande une connexion avec un second facteur (code, clé ou application), que ' +
      'votre fournisseur d’identité n’a pas fourni. Recommencez en choisissant une méthode avec double ' +
      'authentification, ou contactez le support de votre organisation.',
  ],
  suspendu: [
    'Votre compte HubEE est suspendu',
    'Votre compte a été suspendu par l’administrateur local de votre organisation\u00a0: contactez-le pour le réactiver.',
  ],
  'adresse-changee': [
    'Votre identité ProConnect est liée à une autre adresse',
    'L’identité ProConnect utilisée est déjà liée à un autre compte HubEE. Si votre adresse a changé, demandez à ' +
      'l’administrateur local de votre organisation de mettre votre compte à jour.',
  ],
  annulee: ['Connexion annulée', 'La connexion avec ProConnect a été annulée\u00a0: vous n’êtes pas connecté.'],
  expiree: [
    'La connexion a expiré',
    'Cette tentative de connexion n’est plus valable (elle a déjà servi, ou plus de 10 minutes se sont écoulées). ' +
      'Recommencez depuis la page de connexion.',
  ],
  proconnect: [
    'ProConnect n’a pas pu vous identifier',
    'ProConnect a répondu par une erreur. Recommencez, ou utilisez votre mot de passe si votre compte en a un.',
  ],
  technique: [
    'La connexion avec ProConnect a échoué',
    'Un problème technique a empêché la connexion. Réessayez dans quelques instants.',
  ],
};

/** The fragment's fields (`raison`, `adresse`, `siret`, `adresse-liee`, `deconnexion`). */
function fieldsOf(hash) {
  return new URLSearchParams(hash.replace(/^#/, ''));
}

export async function render(view) {
  const fields = fieldsOf(window.location.hash);
  // Read once: the address (a personal datum) and the ID token do not stay in the address bar.
  window.history.replaceState(window.history.state, '', window.location.pathname);
  // The hub's support address (HUBEE_SUPPORT_EMAIL), when it has one.
  const support = (await auth.proconnect().catch(() => null))?.support;
  const [title, text] = REASONS[fields.get('raison')] ?? REASONS.technique;
  const details = [
    fields.get('adresse') && ['Adresse utilisée', fields.get('adresse')],
    fields.get('siret') && ['Établissement indiqué par ProConnect (SIRET)', fields.get('siret')],
    fields.get('adresse-liee') && ['Adresse du compte lié', fields.get('adresse-liee')],
  ].filter(Boolean);
  // ProConnect's own sign-out, to come back with another account: only an address of the
  // ProConnect the hub sent (an https URL, or a loopback one in tests).
  const signOut = fields.get('deconnexion');
  const anotherAccount = signOut && /^(https:\/\/|http:\/\/(127\.0\.0\.1|localhost)[:/])/.test(signOut);
  add(
    view,
    h(
      'div',
      { class: 'fr-grid-row fr-grid-row--center' },
      h(
        'div',
        { class: 'fr-col-12 fr-col-md-10 fr-col-lg-8' },
        ...pageTitle('Connexion avec ProConnect'),
        alert({ type: 'error', title, text }),
        details.length > 0 &&
          h(
            'dl',
            { class: 'hubee-details' },
            details.flatMap(([label, value]) => [h('dt', {}, label), h('dd', {}, value)]),
          ),
        support
          ? h(
              'p',
              {},
              'Besoin d’aide\u00a0? L’administrateur local de votre organisation gère les comptes du Portail HubEE\u00a0; ' +
                'le support de HubEE répond à ',
              h('a', { href: `mailto:${support}` }, support),
              '.',
            )
          : h(
              'p',
              {},
              'Besoin d’aide\u00a0? Contactez l’administrateur local de votre organisation, qui gère les comptes du ' +
                'Portail HubEE.',
            ),
        h(
          'ul',
          { class: 'fr-btns-group fr-btns-group--inline-md' },
          anotherAccount && h('li', {}, h('a', { class: 'fr-btn', href: signOut }, 'Essayer avec un autre compte')),
          h(
            'li',
            {},
            h(
              'a',
              { class: ['fr-btn', anotherAccount && 'fr-btn--secondary'], href: '/connexion' },
              'Retour à la connexion',
            ),
          ),
        ),
      ),
    ),
  );
}
