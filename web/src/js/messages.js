// Every error the portal API answers, in French. The API's messages are English and stable
// (docs/PORTAL-API.md): each known one has its sentence here, validation lines
// (`[ERROR][REQUEST][POST /portail/v1/accounts @body.phoneNumber] …`) name the field they are
// about, and anything else falls back to a sentence for its HTTP status.

import { ACTIONS, statusLabel } from './labels.js';

export const NOT_SIGNED_IN = 'Not signed in, or the session has expired: sign in again';
export const CSRF_REFUSED = 'Missing or wrong X-CSRF-Token header';
export const NETWORK = 'Le portail ne répond pas\u00a0: vérifiez votre connexion à Internet, puis réessayez.';
export const UPLOAD_FAILED =
  'L’envoi du fichier n’a pas abouti\u00a0: vérifiez votre connexion à Internet, puis déposez le fichier à nouveau.';
export const DEPOSIT_REFUSED =
  'Le fichier reçu ne correspond pas au fichier annoncé (taille ou empreinte)\u00a0: le dépôt a été annulé, déposez le fichier à nouveau.';
export const DEPOSIT_PENDING =
  'Le fichier a été envoyé mais sa vérification prend plus de temps que prévu\u00a0: rechargez la page dans quelques minutes pour vérifier qu’il figure dans les pièces jointes.';

/** Messages that say it all, whatever the route. */
const EXACT = {
  'Invalid e-mail address or password':
    'Adresse électronique ou mot de passe incorrect. Après 5 échecs, la connexion est bloquée pendant 15 minutes.',
  'This code has expired or can no longer be used: sign in again':
    'Ce code a expiré ou ne peut plus être utilisé\u00a0: reconnectez-vous pour recevoir un nouveau code.',
  'This link is invalid, has expired or was already used: ask for a new one':
    'Ce lien n’est pas valide\u00a0: il a expiré (il est valable 48 heures) ou a déjà été utilisé. Demandez-en un nouveau avec « Mot de passe oublié\u00a0? ».',
  [NOT_SIGNED_IN]: 'Votre session a expiré ou vous n’êtes pas connecté\u00a0: reconnectez-vous.',
  [CSRF_REFUSED]: 'Votre session a changé (connexion dans un autre onglet ?) : rechargez la page puis recommencez.',
  'Cross-site request refused':
    'Cette demande venait d’un autre site\u00a0: elle a été refusée. Ouvrez le portail à son adresse habituelle, puis recommencez.',
  'Unsupported Media Type: the body must be application/json':
    'Le portail n’a pas pu lire cette demande\u00a0: rechargez la page puis recommencez.',
  'Unauthorized user':
    'Vous n’avez pas les droits nécessaires pour cette action\u00a0: un rôle ou une habilitation vous manque. Adressez-vous à l’administrateur local de votre service.',
  'Case is not found': 'Ce télédossier n’existe pas ou ne vous est pas accessible.',
  'File is not found': 'Ce fichier n’est pas disponible\u00a0: il n’a pas encore été reçu ou a été supprimé.',
  'Binary meta-data is not found': 'Ce fichier n’est pas disponible.',
  'Event is not found': 'Cet élément de l’historique n’existe pas.',
  'Folder is not found': 'Ce télédossier n’existe pas ou ne vous est pas accessible.',
  'Subscription is not found': 'Cet abonnement n’existe pas ou ne concerne pas votre organisation.',
  'Account is not found': 'Ce compte n’existe pas dans votre organisation.',
  'An account already exists with this e-mail address': 'Un compte existe déjà avec cette adresse électronique.',
  'This technical delegate belongs to another organisation: only its roles and habilitations in yours change here':
    'Ce délégué technique appartient à une autre organisation\u00a0: vous ne pouvez modifier que ses rôles et habilitations dans la vôtre (ou le retirer), pas son profil ni le suspendre.',
  'This account belongs to the organisation: it cannot be detached (suspend it instead)':
    'Ce compte appartient à votre organisation\u00a0: il ne peut pas être retiré, mais il peut être suspendu.',
  'Invitation is not found': 'Cette invitation n’existe pas ou a été retirée par l’organisation.',
  'You cannot suspend your own account': 'Vous ne pouvez pas suspendre votre propre compte.',
  'You cannot remove your own account': 'Vous ne pouvez pas retirer votre propre compte.',
  "This account is the organisation's last active local administrator: name another local administrator before removing it":
    'Ce compte est le dernier administrateur local actif de l’organisation\u00a0: désignez un autre administrateur local avant de le retirer.',
  'Three codes were already sent for this sign-in: sign in again':
    'Trois codes ont déjà été envoyés pour cette connexion\u00a0: reconnectez-vous pour recevoir un nouveau code.',
  'At least one role is required': 'Cochez au moins un rôle.',
  'The activation date cannot be in the past: choose today or a later day':
    'La date d’activation ne peut pas être passée\u00a0: choisissez aujourd’hui ou une date à venir.',
  'You cannot remove your own GESTION_UTILISATEURS role: another administrator of the organisation must':
    'Vous ne pouvez pas retirer votre propre rôle « Gestion des utilisateurs » : un autre administrateur de l’organisation doit le faire.',
  'A refusal needs a reason': 'Un refus doit être motivé\u00a0: indiquez le motif du refus.',
  'An address is needed to receive notifications':
    'Indiquez l’adresse électronique qui recevra les notifications, ou choisissez la fréquence « Aucune ».',
  'This address belongs to an account that cannot be a technical delegate':
    'Cette adresse est celle d’un compte agent ou administrateur\u00a0: elle ne peut pas être celle d’un délégué technique.',
  'The subscription is not in API mode':
    'L’abonnement n’est pas en mode API\u00a0: choisissez d’abord la modalité d’accès API.',
  'Service unavailable, please retry':
    'Le service est momentanément indisponible\u00a0: réessayez dans quelques instants.',
  'Internal server error':
    'Une erreur inattendue s’est produite. Réessayez\u00a0; si elle se reproduit, contactez le support HubEE.',
  'Not Found': 'Cette adresse n’existe pas.',
  'Method not allowed': 'Cette opération n’est pas possible ici.',
  'The case is archived': 'Ce télédossier est archivé\u00a0: il ne peut plus être modifié.',
  'The case is not transmitted yet: its folder must be completed first':
    'Ce télédossier n’est pas encore complètement transmis par l’opérateur.',
  'Size does not match with attachment meta-data':
    'Le fichier reçu n’a pas la taille annoncée\u00a0: le dépôt a été interrompu, recommencez.',
  'The password must contain a digit': 'Le mot de passe doit contenir au moins un chiffre.',
  'The password must contain an upper-case letter': 'Le mot de passe doit contenir au moins une lettre majuscule.',
  'The password must contain a special character among !@#$%&*()':
    'Le mot de passe doit contenir au moins un caractère spécial parmi\u00a0! @ # $ % & * ( ).',
  'A local administrator has no habilitations: they see every procedure of the organisation':
    'Un administrateur local n’a pas d’habilitation\u00a0: il voit les télédossiers de toutes les démarches de l’organisation.',
  'A technical delegate serving other organisations keeps its actor type':
    'Un délégué technique qui sert d’autres organisations garde son type d’acteur.',
  'Instance is null: this field cannot be cleared': 'Ce champ est obligatoire\u00a0: il ne peut pas être vidé.',
  'String is empty': 'Ce champ est obligatoire.',
  'Input string is not a valid UUID': 'Identifiant invalide.',
  'Input is not a valid UUID': 'Identifiant invalide.',
  'Unknown query parameter': 'Critère de recherche inconnu.',
  'not a cursor this inbox issued': 'Cette page de résultats a expiré\u00a0: relancez la recherche.',
  'More than 50,000 dossiers match: narrow the search (tab, procedure, transmission dates) to export them':
    'Plus de 50 000 télédossiers correspondent à la recherche\u00a0: précisez-la (onglet, démarche, période de transmission) pour l’exporter.',
  'The export is larger than this deployment can answer: narrow the search to export it':
    'L’export est trop volumineux pour être téléchargé en une fois\u00a0: précisez la recherche (onglet, démarche, période de transmission).',
  // The national back office.
  'Organisation is not found': 'Cette organisation n’existe pas.',
  'Procedure is not found': 'Cette démarche n’existe pas.',
  'API client is not found': 'Ce client API n’existe pas.',
  'An operator (OSL) needs the code its procedures name':
    'Un opérateur (OSL) a besoin du code que ses démarches citent.',
  'Only an operator (OSL) has a code': 'Seul un opérateur (OSL) a un code opérateur.',
  'An SI client belongs to one subscription: processCode is required':
    'Un client SI sert un abonnement de l’organisation\u00a0: choisissez sa démarche.',
  'Only an SI client names a procedure': 'Seul le client d’un service instructeur (SI) est lié à une démarche.',
  'not a cursor this listing issued': 'Cette page de résultats a expiré\u00a0: relancez la recherche.',
  '1 to 14 digits': 'Saisissez de 1 à 14 chiffres (un SIRET ou un SIREN).',
  'only with siret': 'Le code établissement ne filtre qu’avec un SIRET.',
  'code, title and operator are required': 'Le code, l’intitulé et l’opérateur de la démarche sont obligatoires.',
  'Numeric instance is lower than the required minimum (minimum: 0) or not an integer':
    'Saisissez un nombre entier positif.',
  'The account is activated: its holder uses "Mot de passe oublié" instead':
    'Ce compte est déjà activé\u00a0: pour changer de mot de passe, la personne utilise « Mot de passe oublié\u00a0? » sur la page de connexion.',
  'Only an e-mail that failed is sent again': 'Cet e-mail n’est plus en échec\u00a0: il a déjà été renvoyé.',
  'Delivery is not found': 'Cet e-mail n’existe pas.',
  'Password sign-in is turned off: sign in with ProConnect':
    'La connexion par mot de passe est désactivée pour votre compte\u00a0: connectez-vous avec ProConnect.',
  'The antivirus is unavailable: the binary was not stored, please retry later':
    'L’antivirus est momentanément indisponible\u00a0: le fichier n’a pas été enregistré, réessayez plus tard.',
  'an address or a name is required': 'Saisissez une adresse électronique ou le début d’un nom de famille.',
  'an address or a name': 'Saisissez une adresse électronique ou le début d’un nom de famille.',
  'Organization is not found': 'Aucune organisation n’a ce SIRET et ce code établissement.',
  'organizationSource and organizationTarget are the same organisation':
    'L’organisation source et l’organisation cible sont la même organisation.',
  'organizationTarget must be an open instructing service (SI)':
    'L’organisation cible doit être un service instructeur (SI) ouvert.',
};

/** Messages with values in them: a pattern, and the French sentence built from its groups. */
const PATTERNS = [
  [/^Wrong code: (\d+) attempts? left$/, (n) => `Code incorrect\u00a0: il vous reste ${n} essai${n > 1 ? 's' : ''}.`],
  [
    /^The password must have at least (\d+) characters$/,
    (n) => `Le mot de passe doit contenir au moins ${n} caractères.`,
  ],
  [
    /^The password must have at most (\d+) characters$/,
    (n) => `Le mot de passe doit contenir au plus ${n} caractères.`,
  ],
  [
    /^(\w+) is not possible on a dossier in status (\w+)$/,
    (action, status) =>
      `Action « ${actionLabel(action)} » impossible sur un télédossier au statut « ${statusLabel(status)} ».`,
  ],
  [/^The reason is longer than (\d+) characters$/, (n) => `Le motif ne doit pas dépasser ${n} caractères.`],
  [/^A comment has 1 to (\d+) characters$/, (n) => `Le commentaire doit contenir entre 1 et ${n} caractères.`],
  [/^A (?:bulk action|download) takes 1 to (\d+) dossiers$/, (n) => `Sélectionnez entre 1 et ${n} télédossiers.`],
  [/^A subscription .* cannot be activated$/, () => 'Un abonnement refusé ou suspendu ne peut pas être activé.'],
  [/^Request body larger than (\d+) bytes$/, () => 'Le contenu envoyé est trop volumineux.'],
  [/^Case status (\S+) cannot be set/, () => 'Ce statut est géré par le hub\u00a0: il ne peut pas être choisi.'],
  [
    /^Case status cannot change from (\S+) to (\S+) by/,
    (from, to) =>
      `La démarche n’autorise pas ce changement de statut (de « ${statusLabel(from)} » à « ${statusLabel(to)} »).`,
  ],
  [/^The upload was interrupted/, () => 'Le dépôt du fichier a été interrompu\u00a0: recommencez.'],
  [
    /^The antivirus is still scanning the binary of attachment \S+/,
    () => 'L’antivirus analyse encore ce fichier\u00a0: réessayez dans quelques secondes.',
  ],
  [
    /^File is not found: the binary of attachment \S+ was rejected by the antivirus/,
    () => 'Ce fichier a été rejeté par l’antivirus\u00a0: il ne peut pas être téléchargé.',
  ],
  [
    /^The binary \(\d+ bytes\) is larger than the \d+ bytes a request to this API carries/,
    () => 'Le fichier est trop volumineux pour être envoyé directement\u00a0: déposez-le à nouveau.',
  ],
  [
    /^Attachment \d+ \(.*\) is larger than the (\d+) bytes procedure (\S+) accepts$/,
    (max, code) => `Le fichier dépasse la taille maximale acceptée par la démarche ${code} (${max} octets).`,
  ],
  [
    /^Attachment \d+ \(.*\): procedure (\S+) does not accept the format (\S+)$/,
    (code, mime) => `La démarche ${code} n’accepte pas ce format de fichier (${mime}).`,
  ],
  [
    /^Attachment \S+ \(\d+ bytes\) is larger than the \d+ bytes an upload URL takes$/,
    () => 'Le fichier est trop volumineux\u00a0: 5 Go au plus.',
  ],
  [
    /^Digest .* is not a base64-encoded SHA-256 value$/,
    () => 'L’empreinte du fichier n’a pas pu être calculée\u00a0: recommencez.',
  ],
  [
    /is not a phone number/,
    () =>
      'Numéro invalide\u00a0: un numéro français (par exemple 06 12 34 56 78) ou avec l’indicatif du pays (par exemple +33612345678).',
  ],
  [/is not a valid e-mail address$/, () => 'Adresse électronique invalide (format attendu\u00a0: nom@domaine.fr).'],
  [/^"?.*"? is not a valid (?:process code|procedure code)/, () => 'Code de démarche invalide.'],
  [
    /^The organisation does not subscribe to procedure (\S+): it cannot be given$/,
    (code) => `Votre organisation n’est pas abonnée à la démarche ${code} : elle ne peut pas être attribuée.`,
  ],
  [/^Object has missing required properties \(\["(\w+)"\]\)$/, () => 'Ce champ est obligatoire.'],
  [
    /^String is too long \(length: \d+, maximum allowed: (\d+)\)$/,
    (max) => `Ce champ ne doit pas dépasser ${max} caractères.`,
  ],
  [/is not an RFC 3339 date-time$|is neither a date \(YYYY-MM-DD\) nor a date-time$/, () => 'Date invalide.'],
  [
    /X-File-Name .* and Content-Length are required$/,
    () => 'Le nom du fichier est obligatoire (255 caractères au plus).',
  ],
  // The national back office.
  [
    /^Organisation (\d+)-(\w+) already exists$/,
    (siret, branch) => `L’organisation de SIRET ${siret} et de code établissement ${branch} existe déjà.`,
  ],
  [
    /^Operator code (\S+) is already taken$/,
    (code) => `Le code opérateur ${code} est déjà pris par une autre organisation.`,
  ],
  [
    /^Organisation \S+ or its operator code was created meanwhile$/,
    () =>
      'L’organisation ou son code opérateur vient d’être créé par ailleurs\u00a0: vérifiez la liste des organisations.',
  ],
  [
    /^Operator (\S+) does not exist$/,
    (code) => `L’opérateur ${code} n’existe pas\u00a0: créez d’abord l’organisation opérateur (OSL) avec ce code.`,
  ],
  [/^Procedure (\S+) already exists$/, (code) => `La démarche ${code} existe déjà.`],
  [
    /^A (\w+) client belongs to an organisation of type (\w+)$/,
    (scope, type) =>
      `Un client ${scope} appartient à une organisation de type ${{ Osl: 'OSL', Si: 'SI', Admin: 'ADMIN' }[type] ?? type} : vérifiez le SIRET ou la portée.`,
  ],
  [
    /^Organisation (\S+) does not exist$/,
    (org) => `Aucune organisation n’a ce SIRET et ce code établissement (${org}).`,
  ],
  [
    /^Organisation (\S+) is closed$/,
    (org) => `L’organisation ${org} est fermée\u00a0: elle ne reçoit plus de client API.`,
  ],
  [
    /^Organisation (\S+) has no subscription to (\S+)$/,
    (org, code) => `L’organisation ${org} n’est pas abonnée à la démarche ${code}.`,
  ],
  [
    /^(VALIDATE|REFUSE|SUSPEND|RESUME|END) does not apply to a subscription (.+)$/,
    (decision, status) =>
      `Cette décision ne s’applique pas à un abonnement au statut « ${status} » : rechargez la page pour voir son statut actuel.`,
  ],
  [
    /^organizationTarget is not subscribed to (\S+)$/,
    (code) => `L’organisation cible n’est pas abonnée à la démarche ${code} : abonnez-la d’abord.`,
  ],
  [/is not a valid SIRET$/, () => 'Numéro SIRET invalide\u00a0: 14 chiffres, clé de contrôle comprise.'],
  [/is not a valid branch code$/, () => 'Code établissement invalide\u00a0: 1 à 10 lettres ou chiffres.'],
  [
    /is not an operator code/,
    () => 'Code opérateur invalide\u00a0: 1 à 30 caractères parmi les majuscules, les chiffres, _ et -.',
  ],
  [
    /^purgeAfterStatus must be SENT or a later status/,
    () =>
      'La purge ne peut être décomptée qu’à partir d’un télédossier transmis au service, ou d’un statut plus avancé.',
  ],
  [/^\w+ must be at most (\d+) days$/, (max) => `Le délai ne doit pas dépasser ${max} jours.`],
  [/^String is empty or longer than (\d+)$/, (max) => `Chaque valeur doit contenir de 1 à ${max} caractères.`],
  [/^Array is too long \(must have at most (\d+) elements/, (max) => `${max} éléments au plus.`],
  [/is not SI, OSL or ADMIN$|is not compatible or strict$|is not a scope \(/, () => 'Valeur non reconnue.'],
  // The audit journal's query (GET /portail/v1/audit).
  [/^"[^"]*" is not a date \(YYYY-MM-DD\)$/, () => 'Date invalide\u00a0: format attendu JJ/MM/AAAA.'],
  [/^\d{4}-\d{2}-\d{2} comes after \d{4}-\d{2}-\d{2}$/, () => 'La fin de période doit suivre le début de période.'],
  [/^\d+ days asked: at most (\d+) at once$/, (max) => `La période ne doit pas dépasser ${max} jours.`],
  [/^"[^"]*" is not GRANTED or DENIED$/, () => 'Valeur non reconnue.'],
  [/^a number from 1 to (\d+)$/, (max) => `Un nombre de 1 à ${max}.`],
  [/^siret and branchCode go together$/, () => 'Le SIRET et le code établissement vont ensemble.'],
  [
    /^not a cursor this journal issued$/,
    () => 'Cette page du journal n’existe plus\u00a0: revenez à la première page.',
  ],
  [/^Malformed JSON/, () => 'La demande envoyée n’a pas pu être lue\u00a0: rechargez la page puis recommencez.'],
  [
    /^Object instance has properties which are not allowed/,
    () => 'La demande contient des champs non reconnus\u00a0: rechargez la page puis recommencez.',
  ],
  [
    /is not (?:a civility|an actor type|a role|a frequency|PORTAIL or API|a tab|an action|a boolean)|not found in enum|does not match any allowed primitive type/,
    () => 'Valeur non reconnue.',
  ],
];

/** The fields of the API's bodies and queries, as the forms name them. */
export const FIELDS = {
  email: 'Adresse électronique',
  password: 'Mot de passe',
  code: 'Code',
  challengeId: 'Code',
  file: 'Pièce jointe',
  token: 'Lien',
  actorType: 'Type d’acteur',
  civility: 'Civilité',
  firstName: 'Prénom',
  lastName: 'Nom',
  function: 'Fonction',
  phoneNumber: 'Téléphone principal',
  secondaryPhoneNumber: 'Téléphone secondaire',
  roles: 'Rôles',
  habilitations: 'Habilitations aux démarches',
  activateDateTime: 'Date d’activation',
  accessMode: 'Modalité d’accès',
  notificationFrequency: 'Fréquence de notification',
  action: 'Action',
  reason: 'Motif',
  text: 'Commentaire',
  caseIds: 'Télédossiers',
  q: 'Recherche',
  status: 'Statut',
  processCode: 'Démarche',
  from: 'Début de période de transmission',
  to: 'Fin de période de transmission',
  cursor: 'Page',
  limit: 'Nombre de résultats',
  active: 'Actif',
  role: 'Rôle',
  name: 'Nom',
  // The national back office.
  siret: 'SIRET',
  branchCode: 'Code établissement',
  type: 'Type d’organisation',
  contacts: 'Contacts',
  toComplete: 'À compléter',
  closed: 'Fermeture',
  title: 'Intitulé',
  description: 'Description',
  legalFramework: 'Cadre juridique',
  operator: 'Opérateur',
  statusPolicy: 'Contrôle des statuts',
  maxAttachmentSize: 'Taille maximale (pièces de l’opérateur)',
  allowedMimeTypes: 'Formats acceptés (pièces de l’opérateur)',
  instructingDeposits: 'Dépôts des services instructeurs',
  instructingMaxAttachmentSize: 'Taille maximale (dépôts des services)',
  instructingAllowedMimeTypes: 'Formats acceptés (dépôts des services)',
  awaitingComplements: 'Demande de compléments',
  messages: 'Messages',
  retention: 'Conservation',
  purgeAfterStatus: 'Début du décompte de la purge',
  purgeDelayDays: 'Délai de purge',
  archiveDelayDays: 'Délai d’archivage',
  deleteDelayDays: 'Délai de suppression',
  scope: 'Portée',
  disabled: 'État',
  revokePrevious: 'Ancien secret',
  sourceSiret: 'SIRET de l’organisation source',
  sourceBranchCode: 'Code établissement de l’organisation source',
  targetSiret: 'SIRET de l’organisation cible',
  targetBranchCode: 'Code établissement de l’organisation cible',
  source: 'Organisation source',
  target: 'Organisation cible',
};

function actionLabel(code) {
  const words = code.replace(/([a-z])([A-Z])/g, '$1_$2').toUpperCase();
  return ACTIONS[words]?.label ?? code;
}

/** The French sentence for one English message, or `null` when it is not known. */
export function translate(message) {
  if (typeof message !== 'string') return null;
  const text = message.trim();
  if (EXACT[text]) return EXACT[text];
  for (const [pattern, sentence] of PATTERNS) {
    const match = pattern.exec(text);
    if (match) return sentence(...match.slice(1));
  }
  return null;
}

const BY_STATUS = {
  0: NETWORK,
  400: 'La demande n’a pas pu être traitée\u00a0: vérifiez les informations saisies.',
  401: EXACT[NOT_SIGNED_IN],
  403: EXACT['Unauthorized user'],
  404: 'L’élément demandé n’existe pas ou ne vous est pas accessible.',
  405: EXACT['Method not allowed'],
  409: 'Cette modification entre en conflit avec une autre\u00a0: rechargez la page puis recommencez.',
  413: 'Le fichier ou le contenu envoyé est trop volumineux.',
  429: 'Trop de demandes en peu de temps\u00a0: patientez un instant, puis réessayez.',
  500: EXACT['Internal server error'],
  502: EXACT['Service unavailable, please retry'],
  503: EXACT['Service unavailable, please retry'],
  504: EXACT['Service unavailable, please retry'],
};

/** The sentence for an HTTP status whose message is unknown. */
export function forStatus(status) {
  return BY_STATUS[status] ?? (status >= 500 ? BY_STATUS[500] : BY_STATUS[400]);
}

// `[ERROR][REQUEST][POST /portail/v1/accounts @body.phoneNumber] message`,
// `[ERROR][REQUEST] @query.status: message` or `[ERROR][REQUEST][GET /portail/v1/…] @query.siret: message`.
const VALIDATION_LINE =
  /^\[ERROR\]\[REQUEST\](?:\[[^\]@]*@(?:body|query|header|path)(\S*?)\](?:\s|$)|(?:\[[^\]@]*\])?\s*@(?:body|query|header|path)([^:\s]*):)\s*(.*)$/;

/** Rule messages that are about one field of the form that sent them. */
const RULE_FIELDS = [
  [/^The password must/, 'password'],
  [/^A refusal needs a reason|^The reason is longer/, 'reason'],
  [/^A comment has/, 'text'],
  [/^An address is needed to receive notifications/, 'email'],
  [/^An account already exists with this e-mail address/, 'email'],
  [/^This address belongs to an account that cannot be a technical delegate/, 'email'],
];

/** The field a validation path is about: `.habilitations[0]` → `habilitations`. */
function fieldOf(path) {
  const name = (path ?? '').replace(/^\./, '').split(/[.[]/)[0];
  return name || null;
}

/**
 * The problems of one error answer: `[{field, message}]`, in French. `field` is the body or query
 * property a validation line names (or `null`); a missing required property names itself.
 */
export function problemsOf(status, body) {
  const errors = Array.isArray(body?.errors) ? body.errors : [];
  const problems = [];
  for (const error of errors) {
    const lines = String(error?.message ?? '')
      .split('\n')
      .map((line) => line.trim())
      .filter((line) => line && line !== 'Bad Request : Validation failed.');
    for (const line of lines) {
      const validation = VALIDATION_LINE.exec(line);
      if (validation) {
        const [, bracketPath, colonPath, text] = validation;
        const missing = /missing required properties \(\["(\w+)"\]\)/.exec(text);
        const field = missing ? missing[1] : fieldOf(bracketPath ?? colonPath);
        problems.push({ field, message: translate(text) ?? translate(line) ?? 'Valeur refusée.', raw: line });
      } else {
        const field = RULE_FIELDS.find(([pattern]) => pattern.test(line))?.[1] ?? null;
        problems.push({ field, message: translate(line) ?? forStatus(status), raw: line });
      }
    }
  }
  if (problems.length === 0) problems.push({ field: null, message: forStatus(status), raw: '' });
  return problems;
}
