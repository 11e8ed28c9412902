// The audit journal's words (docs/AUDIT.md, the "Journal d'audit" pages): actions, actors,
// outcomes and the reasons the hub records, in French. Pure functions: tested under node.

/** The actions people look for most, by their code. */
const ACTIONS = {
  'signIn.password': 'Connexion\u00a0: mot de passe',
  'signIn.code': 'Connexion\u00a0: code',
  'token.issue': 'Jeton d’API',
  'access.denied': 'Accès refusé',
};

/** What the hub's other actions are about: their code's segments (`accounts.update`). */
const SUBJECTS = {
  accounts: 'comptes',
  archives: 'archives',
  attachments: 'pièces jointes',
  bulk: 'action groupée',
  cases: 'télédossiers',
  comments: 'commentaires',
  credentials: 'identifiants API',
  delegation: 'délégation',
  events: 'événements',
  history: 'historique',
  invitations: 'invitations',
  me: 'mon compte',
  migrate: 'fusion',
  migrations: 'fusions',
  national: 'national',
  notifications: 'notifications',
  organisations: 'organisations',
  password: 'mot de passe',
  procedures: 'démarches',
  secret: 'secret',
  status: 'statut',
  subscriptions: 'abonnements',
  suspension: 'suspension',
  unlock: 'déverrouillage',
  activation: 'activation',
  clients: 'clients API',
  apiClients: 'clients API',
  deliveries: 'envois',
  zip: 'archive zip',
};

/** The last segment of a route's action: what the method did. */
const VERBS = {
  read: 'Consultation',
  create: 'Création',
  update: 'Modification',
  delete: 'Suppression',
  other: 'Action',
};

/**
 * An action in words: `signIn.code` → `Connexion : code`; the others from their segments,
 * `accounts.update` → `Modification : comptes`, `cases.attachments.read` → `Consultation :
 * télédossiers › pièces jointes`; an unknown word stays as it is.
 */
export function auditAction(code) {
  if (!code) return '';
  if (ACTIONS[code]) return ACTIONS[code];
  const parts = code.split('.').filter(Boolean);
  const verb = parts.length > 1 && VERBS[parts.at(-1)] ? VERBS[parts.pop()] : null;
  const subject = parts.map((p) => SUBJECTS[p] ?? p).join(' › ');
  return verb ? `${verb} : ${subject}` : subject;
}

/** The actor kinds, in words. */
export const ACTOR_KINDS = {
  ACCOUNT: 'compte',
  API_CLIENT: 'client API',
  ANONYMOUS: 'anonyme',
  SYSTEM: 'système',
};

export function actorKind(kind) {
  return ACTOR_KINDS[kind] ?? kind ?? '';
}

export const OUTCOMES = { GRANTED: 'Autorisé', DENIED: 'Refusé' };

/** The DSFR badge of an outcome: its word and its modifier. */
export function outcomeBadge(outcome) {
  return outcome === 'GRANTED'
    ? { label: OUTCOMES.GRANTED, modifier: 'success' }
    : outcome === 'DENIED'
      ? { label: OUTCOMES.DENIED, modifier: 'error' }
      : { label: outcome ?? '', modifier: null };
}

/** The reasons the hub records (in English, for the security team), in French when known. */
const REASONS = {
  'password right, code sent': 'Mot de passe correct, code envoyé',
  'session opened': 'Session ouverte',
  'wrong password, or account not activated': 'Mot de passe incorrect, ou compte non activé',
  'no account with this address': 'Aucun compte à cette adresse',
  'account locked after repeated failures': 'Compte verrouillé après des échecs répétés',
  'account suspended': 'Compte suspendu',
  'wrong code': 'Code incorrect',
  'wrong code: account locked': 'Code incorrect\u00a0: compte verrouillé',
  'challenge unknown, expired or spent, or account no longer allowed':
    'Code inconnu, expiré ou déjà utilisé, ou compte plus autorisé',
};

/** A reason in French when the portal knows it, as recorded otherwise; `''` for none. */
export function auditReason(reason) {
  if (!reason) return '';
  return REASONS[reason] ?? reason;
}

/** A chain's organisation: `11001401600015#75108` → `{siret, branchCode}`, `PLATFORM` → `null`. */
export function chainOrganisation(chain) {
  const match = /^(\d{14})#(.+)$/.exec(chain ?? '');
  return match ? { siret: match[1], branchCode: match[2] } : null;
}

const YMD = /^\d{4}-\d{2}-\d{2}$/;

/** Whether a value is a real `YYYY-MM-DD` day. */
export function isDay(value) {
  if (!YMD.test(value ?? '')) return false;
  const date = new Date(`${value}T00:00:00Z`);
  return !Number.isNaN(date.getTime()) && date.toISOString().slice(0, 10) === value;
}

/** The days from `from` to `to`, both included. */
export function daysBetween(from, to) {
  return Math.round((Date.parse(`${to}T00:00:00Z`) - Date.parse(`${from}T00:00:00Z`)) / 86_400_000) + 1;
}

/** The most days one reading spans (the hub's rule). */
export const MAX_DAYS = 366;

/**
 * The problems of a period the form holds (`from`, `to`: `YYYY-MM-DD` or empty), as the hub
 * would find them: `[{field, message}]`.
 */
export function periodProblems(from, to) {
  const problems = [];
  if (from && !isDay(from))
    problems.push({ field: 'from', message: 'Date invalide\u00a0: format attendu JJ/MM/AAAA.' });
  if (to && !isDay(to)) problems.push({ field: 'to', message: 'Date invalide\u00a0: format attendu JJ/MM/AAAA.' });
  if (problems.length === 0 && from && to) {
    const days = daysBetween(from, to);
    if (days < 1) problems.push({ field: 'to', message: 'La fin de période doit suivre le début de période.' });
    else if (days > MAX_DAYS) {
      problems.push({ field: 'from', message: `La période ne doit pas dépasser ${MAX_DAYS} jours.` });
    }
  }
  return problems;
}

const PARIS = new Intl.DateTimeFormat('fr-FR', {
  timeZone: 'Europe/Paris',
  day: '2-digit',
  month: '2-digit',
  year: 'numeric',
  hour: '2-digit',
  minute: '2-digit',
  second: '2-digit',
});

/** `07/12/2026 à 04:10:23`, Paris time: an entry's moment, to the second. */
export function auditTime(value) {
  const date = new Date(value ?? '');
  if (Number.isNaN(date.getTime())) return '';
  const parts = Object.fromEntries(PARIS.formatToParts(date).map((p) => [p.type, p.value]));
  return `${parts.day}/${parts.month}/${parts.year} à ${parts.hour}:${parts.minute}:${parts.second}`;
}
