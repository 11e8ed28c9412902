// `/aide`: help for agents and local administrators, from the official user guides (first steps
// of a local administrator, subscribing a service, what each status means, frequent questions),
// and where to ask: the local administrator, then the hub's support address when it has one.

import { add, h, uid } from '../../dom.js';
import { statusBadge } from '../../labels.js';
import { supportAddress, supportSentence } from '../../support.js';
import { pageTitle, section, table } from '../../ui/layout.js';

const NBSP = '\u00a0';

/** The first steps of a local administrator once a subscription is validated. */
const FIRST_STEPS = [
  [
    'Régler les notifications de vos abonnements',
    'Dans «' +
      NBSP +
      'Gestion des abonnements' +
      NBSP +
      '», ouvrez chaque abonnement et indiquez l’adresse qui recevra l’avis d’arrivée des nouveaux télédossiers. Une adresse générique de service (boîte partagée) est recommandée, pour que toute l’équipe les voie.',
  ],
  [
    'Vous donner le rôle «' + NBSP + 'Gestion des télédossiers' + NBSP + '» si vous instruisez vous-même',
    'Dans «' +
      NBSP +
      'Gestion des comptes' +
      NBSP +
      '», ouvrez votre propre compte et ajoutez ce rôle. Un administrateur local n’a pas d’habilitation\u00a0: avec ce rôle, il voit les télédossiers de toutes les démarches de son organisation.',
  ],
  [
    'Créer les comptes des agents qui instruisent',
    'Chaque personne a un compte personnel. Choisissez le type d’acteur «' +
      NBSP +
      'Agent' +
      NBSP +
      '» et ses habilitations (les démarches dont il traitera les télédossiers). L’agent reçoit un courriel d’activation valable 48' +
      NBSP +
      'heures pour choisir son mot de passe\u00a0; passé ce délai, il utilise «' +
      NBSP +
      'Mot de passe oublié' +
      NBSP +
      '?' +
      NBSP +
      '» sur la page de connexion.',
  ],
  [
    'Habiliter les agents existants aux nouvelles démarches',
    'Ouvrez le compte de l’agent dans «' +
      NBSP +
      'Gestion des comptes' +
      NBSP +
      '» et ajoutez la démarche à ses habilitations. Sans habilitation, un agent ne voit aucun télédossier.',
  ],
  [
    'Prévoir au moins deux administrateurs locaux',
    'Pour que les comptes et les abonnements restent gérés pendant les absences.',
  ],
];

/** Subscribing a service to an online procedure, from the request to the first dossiers. */
const SUBSCRIBING = [
  'La demande d’abonnement se fait sur DataPass, avec le SIRET de votre organisation et des adresses électroniques professionnelles\u00a0: un abonnement par démarche (par exemple un pour les actes d’état civil, un autre pour les dossiers de PACS).',
  'L’opérateur de la démarche (la DILA pour les démarches de service-public.fr, la DGS pour le certificat de décès électronique…) valide la demande, en trois jours ouvrés en moyenne. Vous recevez un courriel de confirmation\u00a0; l’abonnement est visible dans le portail le lendemain.',
  'Le demandeur devient administrateur local, avec les rôles «' +
    NBSP +
    'Gestion des utilisateurs' +
    NBSP +
    '» et «' +
    NBSP +
    'Gestion des abonnements' +
    NBSP +
    '». S’il n’a pas encore de mot de passe, il en choisit un avec «' +
    NBSP +
    'Mot de passe oublié' +
    NBSP +
    '?' +
    NBSP +
    '».',
  'Dans «' +
    NBSP +
    'Gestion des abonnements' +
    NBSP +
    '», ouvrez l’abonnement, choisissez «' +
    NBSP +
    'Activer l’abonnement' +
    NBSP +
    '» et une date d’activation dans le calendrier\u00a0: les télédossiers arrivent à partir de cette date. Créez les comptes des agents avant elle, sinon personne ne pourra les traiter.',
  'Choisissez la modalité d’accès\u00a0: «' +
    NBSP +
    'Portail' +
    NBSP +
    '» pour traiter les télédossiers ici, ou «' +
    NBSP +
    'API' +
    NBSP +
    '» pour qu’ils arrivent dans votre logiciel métier. En mode API, l’identifiant et la clé secrète ne s’affichent qu’une fois\u00a0: copiez-les dans le logiciel\u00a0; la clé peut être régénérée en cas de doute.',
  'Un délégué technique (par exemple l’éditeur de votre logiciel), extérieur à votre organisation, peut gérer vos abonnements\u00a0: indiquez son adresse électronique dans l’abonnement.',
  'Réglez enfin les notifications\u00a0: la fréquence (unitaire, quotidienne, biquotidienne ou aucune) et l’adresse à prévenir.',
];

/** Each status of a dossier, what it means and who sets it. */
const STATUSES = [
  [
    'NOUVEAU',
    'Le télédossier vient d’être transmis\u00a0; personne ne l’a encore ouvert. L’ouvrir demande de confirmer sa réception.',
  ],
  ['RECU', 'Sa réception est confirmée\u00a0: l’opérateur en est informé.'],
  ['EN_COURS', 'Le traitement a commencé. Télécharger toutes les pièces d’un télédossier le fait passer en cours.'],
  ['EN_ATTENTE', 'Des compléments ont été demandés à l’usager, par l’intermédiaire de l’opérateur de la démarche.'],
  ['TRAITE', 'Le traitement est fini\u00a0; l’usager en est informé par l’opérateur.'],
  ['REFUSE', 'La demande est refusée, avec un motif que l’opérateur transmet à l’usager.'],
  ['CLOS', 'L’opérateur a clos le télédossier (par exemple, l’usager a abandonné sa demande).'],
  [
    'ERREUR',
    'Le logiciel métier n’a pas pu intégrer le télédossier (mode API)\u00a0: voyez avec son éditeur ou votre délégué technique.',
  ],
];

/** Frequent questions: `[question, answer]`. */
const QUESTIONS = [
  [
    'Je n’ai pas reçu le courriel d’activation, ou son lien a expiré.',
    'Le lien est valable 48' +
      NBSP +
      'heures. Passé ce délai, utilisez «' +
      NBSP +
      'Mot de passe oublié' +
      NBSP +
      '?' +
      NBSP +
      '» sur la page de connexion avec votre adresse professionnelle\u00a0; vérifiez aussi vos courriels indésirables.',
  ],
  [
    'Le code de vérification reçu par courriel ne fonctionne pas.',
    'Le code à six chiffres ne sert qu’une fois et n’est valable que quelques minutes\u00a0; un nouveau code est envoyé à chaque connexion. Après plusieurs essais manqués, recommencez la connexion depuis le début.',
  ],
  [
    'Mon compte est bloqué ou suspendu.',
    'Après plusieurs mots de passe erronés, le compte est bloqué un moment\u00a0: réessayez plus tard ou choisissez un nouveau mot de passe. Un compte suspendu ne peut plus se connecter\u00a0: seul l’administrateur local de votre organisation peut le réactiver.',
  ],
  [
    'Je ne vois pas les télédossiers d’une démarche.',
    'Il faut le rôle «' +
      NBSP +
      'Consultation des télédossiers' +
      NBSP +
      '» ou «' +
      NBSP +
      'Gestion des télédossiers' +
      NBSP +
      '», et, pour un agent, une habilitation à cette démarche\u00a0: demandez-les à votre administrateur local. L’abonnement doit aussi être actif depuis la date de transmission.',
  ],
  [
    'Je ne peux ni télécharger ni changer le statut d’un télédossier.',
    'Ces actions demandent le rôle «' +
      NBSP +
      'Gestion des télédossiers' +
      NBSP +
      '»\u00a0; la consultation seule ne les permet pas.',
  ],
  [
    'Qui prévient l’usager quand le statut change\u00a0?',
    'Chaque changement de statut est transmis à l’opérateur de la démarche, qui informe l’usager. Les commentaires internes, eux, ne sont jamais transmis.',
  ],
  [
    'Puis-je voir les télédossiers d’une autre organisation\u00a0?',
    'Non\u00a0: personne ne voit les télédossiers d’une autre organisation que la sienne, pas même l’équipe nationale de HubEE.',
  ],
  [
    'Combien de temps les pièces jointes restent-elles disponibles\u00a0?',
    'Chaque démarche fixe ses délais\u00a0: par défaut, les pièces sont effacées 30 jours après que le télédossier est traité, refusé ou clos. Téléchargez-les dans votre logiciel ou votre classement avant. Voir la page «' +
      NBSP +
      'Données personnelles' +
      NBSP +
      '».',
  ],
];

/** A DSFR accordion of the frequent questions (the DSFR's script opens and closes them). */
function accordions(items) {
  return h(
    'div',
    { class: 'fr-accordions-group' },
    items.map(([question, answer]) => {
      const id = uid('question');
      return h(
        'section',
        { class: 'fr-accordion' },
        h(
          'h3',
          { class: 'fr-accordion__title' },
          h(
            'button',
            { class: 'fr-accordion__btn', type: 'button', 'aria-expanded': 'false', 'aria-controls': id },
            question,
          ),
        ),
        h('div', { class: 'fr-collapse', id }, h('p', {}, answer)),
      );
    }),
  );
}

export async function render(view) {
  const contact = h('p', {}, ...supportSentence(null));
  add(
    view,
    ...pageTitle('Aide', {
      lead: 'Les premiers pas d’un administrateur local, l’abonnement d’un service à une démarche, les statuts des télédossiers et les questions fréquentes.',
    }),
    section(
      'Premiers pas d’un administrateur local',
      h('p', {}, 'Quand l’abonnement de votre organisation à une démarche est validé\u00a0:'),
      h(
        'ol',
        {},
        FIRST_STEPS.map(([title, text]) => h('li', {}, h('strong', {}, title), ' — ', text)),
      ),
    ),
    section(
      'Abonner votre service à une démarche',
      h(
        'ol',
        {},
        SUBSCRIBING.map((text) => h('li', {}, text)),
      ),
      h('p', {}, 'Un abonnement engage votre service à traiter toutes les demandes transmises par ce canal.'),
    ),
    section(
      'Les statuts d’un télédossier',
      table({
        multiline: true,
        caption: 'Les statuts d’un télédossier et ce qu’ils signifient',
        captionHidden: true,
        columns: [{ label: 'Statut' }, { label: 'Ce qu’il signifie' }],
        rows: STATUSES.map(([code, text]) => [{ header: statusBadge(code) }, text]),
      }),
      h(
        'p',
        {},
        'Un télédossier est instruit quand toutes ses pièces sont téléchargées et que son statut est «' +
          NBSP +
          'Traité' +
          NBSP +
          '».',
      ),
    ),
    section('Questions fréquentes', accordions(QUESTIONS)),
    section(
      'Contacter le support',
      h(
        'p',
        {},
        'Pour un compte, un rôle ou une habilitation, adressez-vous d’abord à l’administrateur local de votre organisation\u00a0: il gère les comptes de votre service.',
      ),
      contact,
    ),
  );
  const address = await supportAddress();
  if (address) {
    contact.replaceChildren(
      'Pour une question sur le portail que cette aide ne règle pas, écrivez au support de HubEE\u00a0: ',
      h('a', { href: `mailto:${address}` }, address),
      '.',
    );
  } else {
    contact.replaceChildren(
      'Ce portail n’indique pas d’adresse de support\u00a0: votre administrateur local vous orientera.',
    );
  }
}
