// The national back office's words and checks (`/national/…`, the API's `/portail/v1/national`):
// organisation types, scopes, the decisions a subscription's status allows, support's and the
// failed e-mails' words, the journal's actions and fields in French, SIRET and size checks, and
// the changes between two states the journal records. No DOM here: node tests it as is.

import { plural, size } from './format.js';
import { ACCESS_MODES, ACTOR_TYPES, FREQUENCIES, statusLabel } from './labels.js';

export const ORG_TYPES = {
  SI: 'Service instructeur (SI)',
  OSL: 'Opérateur de service en ligne (OSL)',
  ADMIN: 'Administration de la plateforme (ADMIN)',
};

/** The same, short, for tables. */
export const ORG_TYPES_SHORT = { SI: 'Service instructeur', OSL: 'Opérateur', ADMIN: 'Plateforme' };

export const SCOPES = {
  OSL: 'Opérateur (OSL)',
  SI: 'Service instructeur (SI)',
  ADMIN: 'Administration (ADMIN)',
  DATAPASS: 'DataPass (DATAPASS)',
};

/** The organisation type a scope's clients belong to (the hub refuses any other). */
export const SCOPE_ORG_TYPE = { OSL: 'OSL', SI: 'SI', ADMIN: 'ADMIN', DATAPASS: 'ADMIN' };

export const STATUS_POLICIES = {
  compatible: 'Souple\u00a0: tout statut documenté, de chaque partie',
  strict: 'Stricte\u00a0: seules les transitions du circuit de traitement',
};

export const NATIONAL_ACTOR = 'Administrateur national';

/** Every actor type, the national one included. */
export const ALL_ACTOR_TYPES = { ...ACTOR_TYPES, NATIONAL_ADMIN: NATIONAL_ACTOR };

// --- Subscriptions ----------------------------------------------------------------------------

/** The referential's statuses, as the API writes them (and the filter sends them). */
export const SUBSCRIPTION_STATUSES = ['Actif', 'Inactif', 'Refusé', 'Suspendu'];

/**
 * The national team's decisions about a subscription (`POST …/subscriptions/{id}/decision`), in
 * the order the panel offers them: the statuses each applies to (as the hub's
 * `SubscriptionDecision::apply`), its button, dialog and result in French. `END` applies once.
 */
export const DECISIONS = {
  VALIDATE: {
    from: ['Inactif'],
    button: 'Valider l’abonnement',
    done: 'Abonnement validé',
    effect:
      'L’abonnement devient actif dès maintenant\u00a0: l’organisation reçoit les télédossiers de la démarche à partir de cet instant.',
  },
  REFUSE: {
    from: ['Inactif'],
    needsReason: true,
    button: 'Refuser l’abonnement',
    done: 'Abonnement refusé',
    effect:
      'L’abonnement est refusé\u00a0: l’organisation ne recevra pas les télédossiers de la démarche. Le motif lui est communiqué.',
  },
  SUSPEND: {
    from: ['Actif'],
    button: 'Suspendre l’abonnement',
    done: 'Abonnement suspendu',
    effect:
      'L’organisation ne reçoit plus de nouveau télédossier de la démarche et ses clients API pour cet abonnement sont refusés, jusqu’à son rétablissement.',
  },
  RESUME: {
    from: ['Suspendu'],
    button: 'Rétablir l’abonnement',
    done: 'Abonnement rétabli',
    effect:
      'L’abonnement redevient actif\u00a0: l’organisation reçoit de nouveau les télédossiers de la démarche et ses clients API fonctionnent de nouveau.',
  },
  END: {
    from: ['Actif', 'Suspendu'],
    button: 'Mettre fin à l’abonnement',
    done: 'Fin de l’abonnement enregistrée',
    effect:
      'L’abonnement prend fin aujourd’hui\u00a0: il est suspendu avec sa date de fin. Il pourra encore être rétabli.',
  },
};

/** The decisions that fit a subscription as the API answers it (`status`, `endDateTime`). */
export function decisionsFor(subscription) {
  return Object.keys(DECISIONS).filter(
    (code) => DECISIONS[code].from.includes(subscription?.status) && !(code === 'END' && subscription?.endDateTime),
  );
}

// --- Support ----------------------------------------------------------------------------------

/** How an account relates to an organisation it acts for. */
export const ACCOUNT_RELATIONS = {
  HOME: 'Organisation d’appartenance',
  INVITED: 'Délégué technique invité (invitation en attente)',
  ACCEPTED: 'Délégué technique (invitation acceptée)',
};

/** An address (exact) or the beginning of a last name, as support searches accounts. */
export function accountSearch(text) {
  const q = String(text ?? '').trim();
  if (q === '') return { q, problem: 'Saisissez une adresse électronique ou le début d’un nom de famille.' };
  if (q.includes('@')) {
    return /^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(q)
      ? { q, by: 'email' }
      : { q, problem: 'Adresse électronique invalide (format attendu\u00a0: nom@domaine.fr).' };
  }
  // The hub compares names without accents, case or punctuation: at least a letter or a digit.
  if (!/[\p{L}\p{N}]/u.test(q)) return { q, problem: 'Saisissez au moins une lettre du nom de famille.' };
  return { q, by: 'name' };
}

// --- Failed e-mails -----------------------------------------------------------------------------

/** What a failed e-mail said (`message`). */
export const DELIVERY_MESSAGES = {
  NEW_CASE: 'Nouveau télédossier',
  REOPENED_CASE: 'Télédossier de nouveau transmis',
  DIGEST: 'Récapitulatif des télédossiers',
  RESET_LINK: 'Réinitialisation du mot de passe',
  CREDENTIALS_CHANGED: 'Changement des accès à l’API',
  SUBSCRIPTION_DECIDED: 'Décision sur un abonnement',
};

/** Who it was for (`kind`). */
export const DELIVERY_KINDS = {
  NOTIFICATION: 'Notification à l’adresse d’un abonnement',
  MAIL: 'E-mail à une personne',
};

export const DELIVERY_STATUSES = {
  PENDING: 'en attente d’envoi',
  SENT: 'envoyé',
  FAILED: 'en échec',
  CLOSED: 'sans objet',
};

/**
 * Why it failed, in words: e-mails to people record the kind of failure only (`refused`,
 * `unavailable`), notifications the mailer's message (`message refused: invalid recipient address`).
 */
export function deliveryReason(lastError) {
  const error = String(lastError ?? '').trim();
  if (error === '') return 'Inconnu';
  if (error === 'refused') return 'Adresse refusée par le service d’envoi';
  if (error === 'unavailable') return 'Service d’envoi indisponible';
  const refused = /^message refused: (.+)$/.exec(error);
  if (refused) return `Adresse refusée par le service d’envoi (${refused[1]})`;
  return error;
}

// --- Commune mergers ----------------------------------------------------------------------------

/** The outcome of the calls so far: each call answers what it moved and whether all is done. */
export function addMigration(total, outcome) {
  return {
    caseUpdated: (total?.caseUpdated ?? 0) + (outcome?.caseUpdated ?? 0),
    notificationsUpdated: (total?.notificationsUpdated ?? 0) + (outcome?.notificationsUpdated ?? 0),
    done: Boolean(outcome?.done),
    calls: (total?.calls ?? 0) + 1,
  };
}

/** `12 télédossiers et 30 notifications déplacés`. */
export function migrationCounts(total) {
  const cases = plural(total?.caseUpdated ?? 0, 'télédossier déplacé', 'télédossiers déplacés');
  const notifications = plural(total?.notificationsUpdated ?? 0, 'notification déplacée', 'notifications déplacées');
  return `${cases}, ${notifications}`;
}

/** The journal's actions (`<thing>.<verb>`); an action added since shows its code. */
export const JOURNAL_ACTIONS = {
  'organisation.create': 'Création d’une organisation',
  'organisation.update': 'Modification d’une organisation',
  'procedure.create': 'Création d’une démarche',
  'procedure.update': 'Modification d’une démarche',
  'procedure.close': 'Fermeture d’une démarche',
  'procedure.open': 'Réouverture d’une démarche',
  'apiClient.create': 'Création d’un client API',
  'apiClient.disable': 'Désactivation d’un client API',
  'apiClient.enable': 'Réactivation d’un client API',
  'apiClient.rotateSecret': 'Nouveau secret d’un client API',
  'subscription.validate': 'Validation d’un abonnement',
  'subscription.refuse': 'Refus d’un abonnement',
  'subscription.suspend': 'Suspension d’un abonnement',
  'subscription.resume': 'Rétablissement d’un abonnement',
  'subscription.end': 'Fin d’un abonnement',
  'account.unlock': 'Déverrouillage d’un compte',
  'account.resendActivation': 'Nouvel e-mail d’activation d’un compte',
  'account.suspend': 'Suspension d’un compte',
  'account.reinstate': 'Rétablissement d’un compte',
  'delivery.resend': 'Nouvel envoi d’un e-mail en échec',
  'cases.migrate': 'Fusion\u00a0: télédossiers déplacés',
};

export function journalAction(code) {
  return JOURNAL_ACTIONS[code] ?? code;
}

/** The statuses a procedure's purge clock may start from (SENT and later), in the portal's words. */
export const PURGE_STATUSES = {
  SENT: 'Transmis au service (Nouveau)',
  SI_RECEIVED: 'Reçu',
  IN_PROGRESS: 'En cours',
  DONE: 'Traité, refusé ou clos',
  ARCHIVED: 'Archivé',
};

/** The hub's retention defaults (docs/RETENTION.md), shown as hints. */
export const RETENTION_DEFAULTS = {
  purgeAfterStatus: 'DONE',
  purgeDelayDays: 30,
  archiveDelayDays: 90,
  deleteDelayDays: 365,
};
export const MAX_DELAY_DAYS = 36_525;

/** The largest attachment of a procedure without a limit of its own: 1 Gio. */
export const DEFAULT_MAX_SIZE = 1024 ** 3;

const MEBIBYTE = 1024 * 1024;

/**
 * A SIRET as the hub checks it: 14 digits and the Luhn key (La Poste's establishments, SIREN
 * 356000000, follow their own rule: the sum of the digits is a multiple of 5).
 */
export function isSiret(value) {
  if (!/^\d{14}$/.test(value ?? '')) return false;
  const digits = [...value].map(Number);
  if (value.startsWith('356000000') && value !== '35600000000048') {
    return digits.reduce((a, b) => a + b, 0) % 5 === 0;
  }
  const sum = digits
    .reverse()
    .map((d, i) => (i % 2 === 1 ? (d * 2 > 9 ? d * 2 - 9 : d * 2) : d))
    .reduce((a, b) => a + b, 0);
  return sum % 10 === 0;
}

/** A branch code ("code établissement"): 1 to 10 letters or digits. */
export function isBranchCode(value) {
  return /^[A-Za-z0-9]{1,10}$/.test(value ?? '');
}

/** A procedure code: 1 to 30 letters, digits, `_` or `-`. */
export function isProcessCode(value) {
  return /^[A-Za-z0-9_-]{1,30}$/.test(value ?? '');
}

/** An operator code (`DGS`): 1 to 30 capitals, digits, `_` or `-`. */
export function isOperatorCode(value) {
  return /^[A-Z0-9_-]{1,30}$/.test(value ?? '');
}

/** A size field's value (`1,5` or `1.5` Mo) in bytes; `null` when empty, `NaN` when not a size. */
export function parseMegabytes(text) {
  const value = String(text ?? '')
    .trim()
    .replace(/\s/g, '')
    .replace(',', '.');
  if (value === '') return null;
  if (!/^\d+(\.\d+)?$/.test(value)) return Number.NaN;
  const bytes = Math.round(Number(value) * MEBIBYTE);
  return bytes > 0 ? bytes : Number.NaN;
}

/** Bytes as a size field shows them, in Mo with a decimal comma (`1024`, `0,5`). */
export function megabytes(bytes) {
  if (typeof bytes !== 'number') return '';
  const value = Math.round((bytes / MEBIBYTE) * 1000) / 1000;
  return String(value).replace('.', ',');
}

/** A whole number of days from a field; `null` when empty, `NaN` when not 0 to the maximum. */
export function parseDays(text) {
  const value = String(text ?? '').trim();
  if (value === '') return null;
  if (!/^\d+$/.test(value)) return Number.NaN;
  const days = Number(value);
  return days <= MAX_DELAY_DAYS ? days : Number.NaN;
}

/** MIME types typed one per line (or separated by commas), without blanks or repeats. */
export function mimeTypes(text) {
  const seen = new Set();
  for (const line of String(text ?? '').split(/[\n,;]/)) {
    const type = line.trim().toLowerCase();
    if (type) seen.add(type);
  }
  return [...seen];
}

/** A MIME type's shape: `type/subtype`. */
export function isMimeType(value) {
  return /^[a-z0-9][a-z0-9!#$&^_.+-]*\/[a-z0-9][a-z0-9!#$&^_.+-]*$/i.test(value);
}

/** `PJ ≤ 1 Go, PDF…`: a procedure's rules in a few words, for the list. */
export function rulesSummary(p) {
  const formats = p.allowedMimeTypes?.length ? p.allowedMimeTypes.join(', ') : 'tous formats';
  return [
    `Pièces jointes\u00a0: ${size(p.maxAttachmentSize)} au plus, ${formats}`,
    `Dépôts des services\u00a0: ${p.instructingDeposits ? 'oui' : 'non'}`,
    `Demande de compléments\u00a0: ${p.awaitingComplements ? 'oui' : 'non'}`,
    `Messages\u00a0: ${p.messages ? 'oui' : 'non'}`,
    ...(p.sensitive ? ['Sensible\u00a0: double authentification'] : []),
    `Statuts\u00a0: ${p.statusPolicy === 'strict' ? 'contrôle strict' : 'contrôle souple'}`,
  ];
}

// --- The journal's before and after -----------------------------------------------------------

/** The fields the journal's states carry, in French. */
export const FIELD_LABELS = {
  siret: 'SIRET',
  branchCode: 'Code établissement',
  name: 'Nom',
  type: 'Type',
  code: 'Code',
  contacts: 'Contacts',
  closedAt: 'Fermée le',
  toComplete: 'À compléter',
  proconnectOnly: 'ProConnect uniquement',
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
  sensitive: 'Démarche sensible',
  closed: 'Fermée',
  retention: 'Conservation',
  clientId: 'Identifiant client',
  scopes: 'Portée',
  processCode: 'Démarche',
  enabled: 'Actif',
  disabled: 'Désactivé',
  subscriptionSuspended: 'Abonnement suspendu',
  secrets: 'Secrets',
  // Subscriptions.
  id: 'Identifiant',
  datapassId: 'N° DataPass',
  subscriber: 'Organisation abonnée',
  accessMode: 'Modalité d’accès',
  notificationFrequency: 'Fréquence des notifications',
  activateDateTime: 'Date d’activation',
  validateDateTime: 'Date de validation',
  rejectDateTime: 'Date de refus',
  endDateTime: 'Date de fin',
  updateDateTime: 'Mis à jour le',
  delegationActor: 'Délégué technique',
  rejectionReason: 'Motif du refus',
  status: 'Statut',
  email: 'Adresse électronique',
  localAdministrator: 'Administrateur local',
  // Accounts.
  firstName: 'Prénom',
  lastName: 'Nom de famille',
  actorType: 'Type d’acteur',
  organisations: 'Organisations',
  active: 'Actif',
  activated: 'Activé',
  recentFailures: 'Échecs de connexion récents',
  lockedUntil: 'Verrouillé jusqu’au',
  lastSignIn: 'Dernière connexion',
  // Failed e-mails.
  kind: 'Type d’envoi',
  message: 'Message',
  to: 'Destinataire',
  subscriptionId: 'Abonnement',
  recipient: 'Organisation destinataire',
  attempts: 'Tentatives',
  lastError: 'Motif de l’échec',
  created: 'Créé le',
  failedAt: 'En échec depuis le',
  // Commune mergers.
  processCodes: 'Démarches',
  caseUpdated: 'Télédossiers déplacés',
  notificationsUpdated: 'Notifications déplacées',
  done: 'Terminée',
};

const SIZE_FIELDS = new Set(['maxAttachmentSize', 'instructingMaxAttachmentSize']);
const DATE_FIELDS = new Set(['closedAt', 'lockedUntil', 'lastSignIn', 'failedAt', 'created']);

const RETENTION_LABELS = {
  purgeAfterStatus: 'purge après le statut',
  purgeDelayDays: 'purge',
  archiveDelayDays: 'archivage',
  deleteDelayDays: 'suppression',
};

/** A value of a journal state in words (`oui`, `1 Go`, `Support <support@x.fr>`…). */
export function describe(field, value, formatDate = (v) => v) {
  if (value === null || value === undefined || value === '') return '—';
  if (typeof value === 'boolean') return value ? 'oui' : 'non';
  if (SIZE_FIELDS.has(field) && typeof value === 'number') return size(value);
  if (DATE_FIELDS.has(field) || /DateTime$/.test(field)) return formatDate(value);
  if (field === 'type') return ORG_TYPES[value] ?? String(value);
  if (field === 'actorType') return ALL_ACTOR_TYPES[value] ?? String(value);
  if (field === 'accessMode') return ACCESS_MODES[value] ?? String(value);
  if (field === 'notificationFrequency') return FREQUENCIES[value] ?? String(value);
  if (field === 'kind') return DELIVERY_KINDS[value] ?? String(value);
  if (field === 'message') return DELIVERY_MESSAGES[value] ?? String(value);
  if (field === 'lastError') return deliveryReason(value);
  if (field === 'status') return DELIVERY_STATUSES[value] ?? String(value);
  if ((field === 'subscriber' || field === 'recipient') && typeof value === 'object') {
    return `${value.companyRegister ?? value.siret} (${value.branchCode})`;
  }
  if ((field === 'localAdministrator' || field === 'delegationActor') && typeof value === 'object') {
    return String(value.email ?? '—');
  }
  if (field === 'organisations' && Array.isArray(value)) {
    return value.length
      ? value
          .map(
            (o) =>
              `${o.siret} (${o.branchCode})${o.relation && o.relation !== 'HOME' ? ` : ${ACCOUNT_RELATIONS[o.relation] ?? o.relation}` : ''}`,
          )
          .join(' ; ')
      : 'aucune';
  }
  if (field === 'statusPolicy') return value === 'strict' ? 'stricte' : 'souple';
  if (field === 'contacts' && Array.isArray(value)) {
    return value.length
      ? value.map((c) => [c.name, c.email && `<${c.email}>`, c.phone].filter(Boolean).join(' ')).join(' ; ')
      : 'aucun';
  }
  if (field === 'secrets' && Array.isArray(value)) {
    const lines = value.map((s) =>
      s.expires
        ? `créé le ${formatDate(s.created)}, valable jusqu’au ${formatDate(s.expires)}`
        : `créé le ${formatDate(s.created)}`,
    );
    return lines.length ? lines.join(' ; ') : 'aucun';
  }
  if (field === 'retention' && value && typeof value === 'object') {
    const parts = Object.entries(value).map(([name, v]) =>
      name === 'purgeAfterStatus'
        ? `${RETENTION_LABELS[name]} « ${PURGE_STATUSES[v] ?? statusLabel(v)} »`
        : `${RETENTION_LABELS[name] ?? name} ${plural(v, 'jour')}`,
    );
    return parts.length ? parts.join(', ') : 'par défaut';
  }
  if (field === 'scopes' && Array.isArray(value)) return value.map((s) => SCOPES[s] ?? s).join(', ') || '—';
  if (Array.isArray(value)) return value.length ? value.join(', ') : 'aucun (tous)';
  if (typeof value === 'object') return JSON.stringify(value);
  return String(value);
}

/** JSON with sorted keys: two states compare equal whatever their key order. */
function canonical(value) {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value && typeof value === 'object') {
    return `{${Object.keys(value)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonical(value[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(value ?? null);
}

/**
 * The fields that differ between two states of the journal (`before` absent for a creation):
 * `[{field, label, before, after}]`, in the order the states give their fields.
 */
export function changes(before, after) {
  const names = [...new Set([...Object.keys(before ?? {}), ...Object.keys(after ?? {})])];
  return names
    .filter((name) => canonical(before?.[name]) !== canonical(after?.[name]))
    .map((name) => ({ field: name, label: FIELD_LABELS[name] ?? name, before: before?.[name], after: after?.[name] }));
}

const SUBSCRIPTION_TARGET = /^subscription [0-9a-f-]{36} \((\d{14})-([A-Za-z0-9]{1,10}) ([A-Za-z0-9_-]{1,30})\)$/;

/**
 * Where a journal target is shown (`organisation <siret>-<branch>`, `procedure <code>`,
 * `subscription <id> (<siret>-<branch> <code>)`, `account <email>`), or `null`: API clients and
 * e-mails have no page of their own, a merger names two organisations.
 */
export function targetHref(target) {
  const org = /^organisation (\d{14})-([A-Za-z0-9]{1,10})$/.exec(target ?? '');
  if (org) return `/national/organisations/${org[1]}/${org[2]}`;
  const procedure = /^procedure ([A-Za-z0-9_-]{1,30})$/.exec(target ?? '');
  if (procedure) return `/national/demarches/${encodeURIComponent(procedure[1])}`;
  const subscription = SUBSCRIPTION_TARGET.exec(target ?? '');
  if (subscription)
    return `/national/abonnements/${subscription[1]}/${subscription[2]}/${encodeURIComponent(subscription[3])}`;
  const account = /^account (\S+@\S+)$/.exec(target ?? '');
  if (account) return `/national/support/${encodeURIComponent(account[1])}`;
  return null;
}

/**
 * A journal target in French (`Organisation 110…-75108`, `Démarche CERTDC`, `Client API x`,
 * `Abonnement CERTDC de 110…-75108`, `Compte x@y.fr`, `E-mail <id>`, `Organisation A → Organisation B`).
 */
export function targetLabel(target) {
  const text = String(target ?? '');
  const subscription = SUBSCRIPTION_TARGET.exec(text);
  if (subscription) return `Abonnement ${subscription[3]} de ${subscription[1]}-${subscription[2]}`;
  return text
    .replace(/(^|→ )organisation /g, '$1Organisation ')
    .replace(/^procedure /, 'Démarche ')
    .replace(/^API client /, 'Client API ')
    .replace(/^account /, 'Compte ')
    .replace(/^delivery /, 'E-mail ');
}
