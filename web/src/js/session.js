// Who is signed in (the `/me` answer), what they may do, and the one-shot messages a page leaves
// for the next one ("Votre mot de passe est enregistré", "Votre session a expiré"…).

import { ApiError, auth, setCsrfToken } from './api.js';

let current = null;
const listeners = new Set();
let pendingFlash = null;

function changed() {
  for (const listener of listeners) listener(current);
}

/** Calls `listener(user)` at each sign-in and sign-out. */
export function onUserChange(listener) {
  listeners.add(listener);
}

/** The signed-in person (`/me`), or `null`. */
export function user() {
  return current;
}

/** Takes the profile a sign-in or `/me` answered. */
export function signedIn(me) {
  current = me;
  setCsrfToken(me?.csrfToken);
  changed();
}

/** Forgets the person (signed out, or the session ended on the hub). */
export function signedOut() {
  current = null;
  setCsrfToken(null);
  changed();
}

/** Reads the session the browser may already have. */
export async function load() {
  try {
    signedIn(await auth.me());
  } catch (error) {
    if (!(error instanceof ApiError) || error.status !== 401) throw error;
    signedOut();
  }
  return current;
}

/** The roles held in an organisation (`/me` lists, for each, those held there). */
function rolesIn(org) {
  return org?.roles ?? [];
}

/** Whether the person holds one of `roles` in some organisation it acts for (its own roles at
 * home; a technical delegate's roles elsewhere are those each organisation gave it). */
function hasRole(...roles) {
  // A national administrator holds no role in any organisation, whatever its account says: the
  // hub answers it 403 on every local page (docs/WEB.md, "The national back office").
  if (isNational()) return false;
  const held = [...(current?.roles ?? []), ...(current?.organisations ?? []).flatMap(rolesIn)];
  return held.some((role) => roles.includes(role));
}

/** What the person may do, by area of the portal. */
export const can = {
  readDossiers: () => hasRole('CONSULTATION_TELEDOSSIERS', 'GESTION_TELEDOSSIERS'),
  manageDossiers: () => hasRole('GESTION_TELEDOSSIERS'),
  manageUsers: () => hasRole('GESTION_UTILISATEURS'),
  readSubscriptions: () => hasRole('CONSULTATION_ABONNEMENTS', 'GESTION_ABONNEMENTS'),
  manageSubscriptions: () => hasRole('GESTION_ABONNEMENTS'),
  /** The national back office (`/national/…`): HubEE's own team, metadata only. */
  national: () => isNational(),
};

/** A national administrator (`NATIONAL_ADMIN`, HubEE's own team). */
function isNational() {
  return current?.actorType === 'NATIONAL_ADMIN';
}

/** How many idle minutes end the person's sessions (the hub's rule: 15 for the national team). */
export function idleMinutes(person = current) {
  return person?.actorType === 'NATIONAL_ADMIN' ? 15 : 30;
}

/** The organisation the person works for (a technical delegate's own first). */
export function organisation() {
  return current?.organisations?.[0] ?? null;
}

/** The organisations where the person holds one of `roles`, its own first. */
export function organisationsWith(...roles) {
  return (current?.organisations ?? []).filter((o) => rolesIn(o).some((role) => roles.includes(role)));
}

/** The organisations that invited the person as their technical delegate, not yet answered. */
export function invitations() {
  return current?.invitations ?? [];
}

/** `<siret>-<branchCode>`, as the account routes name an organisation. */
export function organisationKey(org) {
  return org ? `${org.siret}-${org.branchCode}` : undefined;
}

let inbox = '/teledossiers';

/** The inbox with the filters last used ("Retour à la recherche"). */
export function lastInbox(url) {
  if (url) inbox = url;
  return inbox;
}

/** Leaves a message for the next page: `{type: 'success'|'info'|'warning'|'error', title, text}`. */
export function flash(message) {
  pendingFlash = message;
}

/** The message left for this page, once. */
export function takeFlash() {
  const message = pendingFlash;
  pendingFlash = null;
  return message;
}
