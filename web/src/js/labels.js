// The portal's words for the API's codes (PORTAL.md), and the status badges: each badge carries
// its text, colour is never the only signal.

import { h } from './dom.js';

/** The inbox tabs, in the guides' order; `ERREUR` only shows when it holds dossiers. */
export const TABS = [
  { key: 'MES', label: 'Mes télédossiers' },
  { key: 'TOUS', label: 'Tous' },
  { key: 'NOUVEAU', label: 'Nouveaux' },
  { key: 'RECU', label: 'Reçus' },
  { key: 'EN_COURS', label: 'En cours' },
  { key: 'EN_ATTENTE', label: 'En attente de compléments' },
  { key: 'REFUSE', label: 'Refusés' },
  { key: 'TRAITE', label: 'Traités' },
  { key: 'CLOS', label: 'Clos' },
  { key: 'ERREUR', label: 'Erreur d’intégration', onlyWhenPresent: true },
  { key: 'ARCHIVE', label: 'Archivés', onlyWhenPresent: true },
];

/** A dossier's status, by tab: label and DSFR badge modifier. */
const DOSSIER_STATUS = {
  NOUVEAU: ['Nouveau', 'new'],
  RECU: ['Reçu', 'info'],
  EN_COURS: ['En cours', 'info'],
  EN_ATTENTE: ['En attente de compléments', 'warning'],
  REFUSE: ['Refusé', 'error'],
  TRAITE: ['Traité', 'success'],
  CLOS: ['Clos', null],
  ERREUR: ['Erreur d’intégration', 'error'],
  ARCHIVE: ['Archivé', null],
};

/** The case statuses of the exchange (CONTRACT.md) and the tab each belongs to. */
const CASE_STATUS_TAB = {
  HUBEE_NOTIFIED: 'NOUVEAU',
  SENT: 'NOUVEAU',
  SI_RECEIVED: 'RECU',
  IN_PROGRESS: 'EN_COURS',
  ADD_AWAITING: 'EN_ATTENTE',
  REFUSED: 'REFUSE',
  DONE: 'TRAITE',
  CLOSED: 'CLOS',
  SI_INTG_ERROR: 'ERREUR',
  ARCHIVED: 'ARCHIVE',
};

/** The inbox tab of a case status (`SI_RECEIVED` → `RECU`). */
export function tabOf(status) {
  return CASE_STATUS_TAB[status] ?? null;
}

/** `Reçu` for `RECU` (a tab) or `SI_RECEIVED` (a case status); the code itself when unknown. */
export function statusLabel(code) {
  const tab = DOSSIER_STATUS[code] ? code : CASE_STATUS_TAB[code];
  return tab ? DOSSIER_STATUS[tab][0] : (code ?? '');
}

function badge(label, modifier) {
  return h('p', { class: ['fr-badge', 'fr-badge--sm', modifier && `fr-badge--${modifier}`] }, label);
}

/** A dossier's status badge, from its tab or case status. */
export function statusBadge(code) {
  const tab = DOSSIER_STATUS[code] ? code : CASE_STATUS_TAB[code];
  const [label, modifier] = DOSSIER_STATUS[tab] ?? [code ?? 'Inconnu', null];
  return badge(label, modifier);
}

/**
 * What the dossier page says of a file's status, when an agent must know it: a file the antivirus
 * rejected (`CORRUPTED`) is listed, never downloadable (docs/ANTIVIRUS.md).
 */
const FILE_STATUS = {
  CORRUPTED: ['Rejeté par l’antivirus', 'error'],
};

/** `[label, badge modifier]` for a file's status worth showing; `null` for a received file. */
export function fileStatusLabel(status) {
  return FILE_STATUS[status] ?? null;
}

/** The badge of a file's status worth showing (`Rejeté par l'antivirus`), else nothing. */
export function fileStatusBadge(status) {
  const known = fileStatusLabel(status);
  return known ? badge(...known) : null;
}

/**
 * The portal's status changes ("Modifier le statut" and the bulk actions), and the statuses each
 * starts from (docs/PORTAL-DOSSIERS.md). The dossier page gets its actions from the hub when it
 * loads, and follows this table after the changes it makes.
 */
export const ACTIONS = {
  CONFIRM_RECEPTION: { label: 'Accuser réception', target: 'Reçu', from: ['HUBEE_NOTIFIED', 'SENT'] },
  START_PROCESSING: { label: 'Commencer le traitement', target: 'En cours', from: ['SI_RECEIVED', 'ADD_AWAITING'] },
  REQUEST_COMPLEMENTS: {
    label: 'Demander des compléments',
    target: 'En attente de compléments',
    from: ['SI_RECEIVED', 'IN_PROGRESS'],
  },
  REFUSE: {
    label: 'Refuser',
    target: 'Refusé',
    needsReason: true,
    from: ['SI_RECEIVED', 'IN_PROGRESS', 'ADD_AWAITING'],
  },
  FINISH: { label: 'Finaliser le traitement', target: 'Traité', from: ['IN_PROGRESS', 'ADD_AWAITING'] },
};

/** The actions the workflow offers from a case status. */
export function actionsFrom(status) {
  return Object.keys(ACTIONS).filter((action) => ACTIONS[action].from.includes(status));
}

export const ROLES = {
  CONSULTATION_TELEDOSSIERS: 'Consultation des télédossiers',
  GESTION_TELEDOSSIERS: 'Gestion des télédossiers',
  GESTION_UTILISATEURS: 'Gestion des utilisateurs',
  CONSULTATION_ABONNEMENTS: 'Consultation des abonnements',
  GESTION_ABONNEMENTS: 'Gestion des abonnements',
};

export const ACTOR_TYPES = {
  LOCAL_ADMIN: 'Administrateur local',
  TECHNICAL_DELEGATE: 'Délégué technique',
  AGENT: 'Agent',
};

export const CIVILITIES = { MADAME: 'Madame', MONSIEUR: 'Monsieur' };

export const FREQUENCIES = {
  unitaire: 'Unitaire',
  quotidienne: 'Quotidienne',
  biquotidienne: 'Biquotidienne',
  aucune: 'Aucune',
};

export const ACCESS_MODES = { PORTAIL: 'Portail', API: 'API' };

const SUBSCRIPTION_STATUS = {
  Actif: 'success',
  Inactif: null,
  Refusé: 'error',
  Suspendu: 'warning',
};

export function subscriptionBadge(status) {
  return badge(status ?? 'Inconnu', SUBSCRIPTION_STATUS[status] ?? null);
}

export function accountBadge(account) {
  if (!account.active) return badge('Suspendu', 'error');
  return account.activated ? badge('Actif', 'success') : badge('En attente d’activation', 'info');
}

export function deliveryBadge(status) {
  return status === 'SENT' ? badge('Envoyé', 'success') : badge('Échec', 'error');
}

/** `CERTDC - Certificat de décès électronique`, as the subscription list names procedures. */
export function procedureName(code, title) {
  return title ? `${code} - ${title}` : code;
}
