// `/donnees-personnelles`: what the hub processes (accounts, dossiers transmitted by operators,
// the audit journal), on whose behalf, how long it keeps it (docs/RETENTION.md, docs/AUDIT.md),
// the rights of the people concerned and whom to ask.

import { add, h } from '../../dom.js';
import { supportParagraph } from '../../support.js';
import { pageTitle, section, table } from '../../ui/layout.js';

/** `[what, data, who decides, how long]`. */
const PROCESSING = [
  [
    'Comptes des utilisateurs du portail',
    'Civilité, nom, prénom, fonction, adresse électronique professionnelle, téléphones, organisation, type d’acteur, rôles et habilitations, empreinte du mot de passe (jamais le mot de passe lui-même), date de dernière connexion.',
    'L’administration qui exploite HubEE\u00a0; les administrateurs locaux créent et tiennent à jour les comptes de leur organisation.',
    'Tant que le compte sert\u00a0: le portail ne supprime pas les comptes de lui-même. Quand une personne quitte le service, son administrateur local suspend son compte.',
  ],
  [
    'Télédossiers transmis par les opérateurs de démarches',
    'Identité de la personne concernée par la demande, contenu de la demande et pièces jointes, statuts, commentaires internes et historique des actions des agents.',
    'Chaque organisation destinataire (service instructeur) pour les télédossiers qu’elle reçoit et instruit, l’opérateur de la démarche pour leur collecte\u00a0; HubEE les transporte et les conserve pour leur compte.',
    'Selon les règles de chaque démarche. Par défaut\u00a0: pièces jointes effacées 30 jours après que le télédossier est traité, refusé ou clos\u00a0; télédossier archivé 90 jours après sa clôture, puis supprimé avec tout son historique 365 jours après l’archivage.',
  ],
  [
    'Journal d’audit',
    'Qui a fait quoi et quand (adresse ou identifiant du client API, action, objet, résultat, motif d’un refus, adresse IP source). Ni mot de passe, ni code, ni jeton, ni contenu de télédossier.',
    'L’administration qui exploite HubEE, pour la sécurité de la plateforme et la traçabilité des accès.',
    'Un an dans la base, consultable par les administrateurs locaux pour leur organisation\u00a0; puis une copie scellée, non modifiable, est gardée cinq ans pour le contrôle.',
  ],
  [
    'Courriels envoyés par le portail',
    'Adresse du destinataire et message (activation, mot de passe, code de connexion, avis de nouveaux télédossiers sans donnée de l’usager).',
    'L’administration qui exploite HubEE.',
    'Le temps de l’envoi, et des nouvelles tentatives en cas d’échec.',
  ],
];

export async function render(view) {
  add(
    view,
    ...pageTitle('Données personnelles', {
      lead: 'Ce que le Hub d’Échange de l’État traite, pour le compte de qui, combien de temps, et comment exercer vos droits.',
    }),
    section(
      'Ce que HubEE traite',
      h(
        'p',
        {},
        'HubEE transporte les demandes faites en ligne par les usagers jusqu’aux services chargés de les instruire. Il traite pour cela les données suivantes, hébergées en France (région de Paris).',
      ),
      table({
        multiline: true,
        caption: 'Les traitements de données personnelles du portail',
        columns: [
          { label: 'Traitement' },
          { label: 'Données' },
          { label: 'Pour le compte de' },
          { label: 'Durée de conservation' },
        ],
        rows: PROCESSING.map(([what, data, controller, retention]) => [{ header: what }, data, controller, retention]),
      }),
    ),
    section(
      'Qui peut voir quoi',
      h(
        'ul',
        {},
        h(
          'li',
          {},
          'Les agents d’une organisation ne voient que les télédossiers des démarches auxquelles ils sont habilités, et jamais ceux d’une autre organisation.',
        ),
        h(
          'li',
          {},
          'L’équipe nationale de HubEE administre les organisations, démarches et abonnements\u00a0: elle n’a pas accès au contenu des télédossiers ni à leurs pièces jointes.',
        ),
        h(
          'li',
          {},
          'Chaque consultation, téléchargement et changement de statut est enregistré dans l’historique du télédossier.',
        ),
      ),
    ),
    section(
      'Vos droits',
      h(
        'p',
        {},
        'Vous disposez d’un droit d’accès, de rectification, d’effacement, de limitation et d’opposition sur vos données (articles 15 à 21 du règlement général sur la protection des données).',
      ),
      h(
        'ul',
        {},
        h(
          'li',
          {},
          'Pour une demande faite en ligne (un télédossier)\u00a0: adressez-vous au service qui instruit votre demande (votre mairie, par exemple), responsable de ce traitement.',
        ),
        h(
          'li',
          {},
          'Pour votre compte d’utilisateur du portail\u00a0: adressez-vous à l’administrateur local de votre organisation, ou au support.',
        ),
      ),
      supportParagraph(),
      h(
        'p',
        {},
        'Si vous estimez, après nous avoir contactés, que vos droits ne sont pas respectés, vous pouvez adresser une réclamation à la Commission nationale de l’informatique et des libertés (CNIL).',
      ),
    ),
  );
}
