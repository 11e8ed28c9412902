// The one client of the portal API (`/portail/v1`, docs/PORTAL-API.md and PORTAL-DOSSIERS.md):
// every request of the front goes through here. It sends the session's CSRF token on state
// changes, turns every error answer into an `ApiError` whose problems are in French
// (messages.js), and reports an expired session once, to whoever registered for it.

import {
  CSRF_REFUSED,
  DEPOSIT_PENDING,
  DEPOSIT_REFUSED,
  NOT_SIGNED_IN,
  NETWORK,
  UPLOAD_FAILED,
  problemsOf,
} from './messages.js';

const BASE = '/portail/v1';
const CHANGES = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

let csrfToken = null;
let sessionExpired = () => {};

/** An answer other than 2xx, or no answer at all (`status` 0). */
export class ApiError extends Error {
  constructor(status, problems) {
    super(problems.map((p) => p.message).join(' '));
    this.name = 'ApiError';
    this.status = status;
    /** `[{field, message, raw}]`: `field` names the body or query property, or is `null`. */
    this.problems = problems;
  }

  /** The problems about no particular field (or about fields the form does not show). */
  general(knownFields = []) {
    return this.problems.filter((p) => !p.field || !knownFields.includes(p.field));
  }
}

/** What to do when a request behind sign-in finds the session ended (idle, expired, suspended). */
export function onSessionExpired(handler) {
  sessionExpired = handler;
}

export function setCsrfToken(token) {
  csrfToken = token ?? null;
}

function url(path, query) {
  const params = new URLSearchParams();
  for (const [name, value] of Object.entries(query ?? {})) {
    for (const v of [value].flat()) {
      if (v !== undefined && v !== null && v !== '') params.append(name, String(v));
    }
  }
  const search = params.toString();
  return `${BASE}${path}${search ? `?${search}` : ''}`;
}

/** The file name a `Content-Disposition` header gives (RFC 6266, `filename*` first). */
function fileNameOf(disposition) {
  if (!disposition) return null;
  const extended = /filename\*=UTF-8''([^;]+)/i.exec(disposition);
  if (extended) {
    try {
      return decodeURIComponent(extended[1]);
    } catch {
      // fall through to the plain name
    }
  }
  const plain = /filename="([^"]*)"/i.exec(disposition);
  return plain ? plain[1] : null;
}

/** Requests under way, and who waits for there to be none (the busy state of lists and forms). */
let inFlight = 0;
let idleWaiters = [];

/** Resolves once no request is under way: at once when none is. */
export function idle() {
  return inFlight === 0 ? Promise.resolve() : new Promise((resolve) => idleWaiters.push(resolve));
}

async function request(method, path, options = {}, retried = false) {
  inFlight += 1;
  try {
    return await exchange(method, path, options, retried);
  } finally {
    inFlight -= 1;
    if (inFlight === 0) {
      const waiters = idleWaiters;
      idleWaiters = [];
      for (const resolve of waiters) resolve();
    }
  }
}

/**
 * One request. Options: `query`, `json` (a body to send as JSON), `body` + `headers` (raw),
 * `anonymous` (a route without session: its 401 is not an expired session), `as` (`'json'`,
 * the default, `'file'`: `{blob, fileName}`, or `'range'`: `{items, contentRange}`, the body with
 * the `Content-Range` header the referential's listings page with).
 */
async function exchange(method, path, options = {}, retried = false) {
  const { query, json, body, headers = {}, anonymous = false, as = 'json' } = options;
  const sent = { Accept: as === 'file' ? '*/*' : 'application/json', ...headers };
  let payload = body;
  if (json !== undefined) {
    sent['Content-Type'] = 'application/json';
    payload = JSON.stringify(json);
  }
  if (CHANGES.has(method) && !anonymous && csrfToken) sent['X-CSRF-Token'] = csrfToken;

  let response;
  try {
    response = await fetch(url(path, query), {
      method,
      headers: sent,
      body: payload,
      credentials: 'same-origin',
      cache: 'no-store',
    });
  } catch {
    throw new ApiError(0, [{ field: null, message: NETWORK, raw: '' }]);
  }

  if (response.ok) {
    if (as === 'file') {
      return { blob: await response.blob(), fileName: fileNameOf(response.headers.get('Content-Disposition')) };
    }
    const text = await response.text();
    const answer = text ? JSON.parse(text) : null;
    return as === 'range' ? { items: answer ?? [], contentRange: response.headers.get('Content-Range') } : answer;
  }

  const answer = await response.json().catch(() => null);
  const raw = (answer?.errors ?? []).map((e) => e?.message);
  if (response.status === 401 && !anonymous && raw.includes(NOT_SIGNED_IN)) {
    setCsrfToken(null);
    sessionExpired();
  }
  // Another tab signed in again (a new session, a new token): take the new token, retry once.
  if (response.status === 403 && raw.includes(CSRF_REFUSED) && !retried) {
    const me = await request('GET', '/me').catch(() => null);
    if (me?.csrfToken) {
      setCsrfToken(me.csrfToken);
      return request(method, path, options, true);
    }
  }
  throw new ApiError(response.status, problemsOf(response.status, answer));
}

const get = (path, query, options) => request('GET', path, { ...options, query });
const send = (method) => (path, json, options) => request(method, path, { ...options, json });
const post = send('POST');
const put = send('PUT');
const patch = send('PATCH');
const remove = (path) => request('DELETE', path);

const enc = encodeURIComponent;

// Sign-in and session (served by `auth`).
export const auth = {
  /** `{challengeId, email}`: the code is e-mailed. */
  signIn: (email, password) => post('/session', { email, password }, { anonymous: true }),
  /** The profile (as `/me`, with the CSRF token): the session is open. */
  answerCode: (challengeId, code) => post('/session/otp', { challengeId, code }, { anonymous: true }),
  /** "Renvoyer le code": `{challengeId, email}`, a new code e-mailed, the previous one void. */
  resendCode: (challengeId) => post('/session/otp/resend', { challengeId }, { anonymous: true }),
  /** The signed-in person, or an `ApiError` 401 without session. */
  me: () => get('/me', undefined, { anonymous: true }),
  /** `{endSessionUrl}` for a session ProConnect opened (sign out of ProConnect too), else null. */
  signOut: () => remove('/session'),
  /** `{enabled}`: whether the sign-in page shows the ProConnect button. */
  proconnect: () => get('/proconnect', undefined, { anonymous: true }),
  forgottenPassword: (email) => post('/password/forgotten', { email }, { anonymous: true }),
  setPassword: (token, password) => post('/password', { token, password }, { anonymous: true }),
};

// The inbox and the dossiers (`search`, `status`, `attachments`).
export const dossiers = {
  /** `{items, counts, nextCursor}`; query: `status` (a tab), `q`, `processCode`, `from`, `to`, `agent`, `sort`, `order`, `cursor`, `limit`. */
  inbox: (query) => get('/cases', query),
  /** Every dossier the inbox's filters select (all pages) as a CSV file: `{blob, fileName}`; query as `inbox`, without `cursor` and `limit`. */
  exportCsv: (query) => get('/cases.csv', query, { as: 'file' }),
  read: (id) => get(`/cases/${enc(id)}`),
  history: (id) => get(`/cases/${enc(id)}/history`),
  act: (id, action, reason) => post(`/cases/${enc(id)}/status`, { action, ...(reason ? { reason } : {}) }),
  comment: (id, text) => post(`/cases/${enc(id)}/comments`, { text }),
  /** A message to the operator, without a status change: `{caseId, eventId}`. */
  message: (id, message) => post(`/cases/${enc(id)}/messages`, { message }),
  /** "Me l'attribuer" (one's own address) or "Attribuer" to a colleague: `{caseId, assignee}`. */
  assign: (id, email) => put(`/cases/${enc(id)}/assignee`, { email }),
  release: (id) => remove(`/cases/${enc(id)}/assignee`),
  /** The colleagues who may hold dossiers of a procedure (or of any visible one): `[{email, firstName, lastName}]`. */
  agents: (processCode) => get('/agents', { processCode }),
  /** `{results: [{caseId, ok, status | error}]}` */
  bulk: (caseIds, action, reason) => post('/bulk', { caseIds, action, ...(reason ? { reason } : {}) }),
  downloadFile: (id, attachmentId) =>
    get(`/cases/${enc(id)}/attachments/${enc(attachmentId)}`, undefined, { as: 'file' }),
  /**
   * Zips are POSTs (with the CSRF token): downloading everything moves the dossier to "En cours".
   * Fetched into a blob, as every download, so that errors show in the page (docs/WEB.md).
   */
  downloadAll: (id) => request('POST', `/cases/${enc(id)}/archive`, { as: 'file' }),
  downloadMany: (caseIds) => request('POST', '/archives', { json: { caseIds }, as: 'file' }),
  /**
   * "Déposer une pièce jointe": the file in the request when it is small enough, else (or when
   * the hub answers 413) through an upload URL; resolves once the deposit is sent to the operator.
   */
  deposit: async (id, file) => {
    if (file.size <= INLINE_DEPOSIT_LIMIT) {
      try {
        return await request('POST', `/cases/${enc(id)}/attachments`, {
          body: file,
          headers: { 'Content-Type': file.type || 'application/octet-stream', 'X-File-Name': enc(file.name) },
        });
      } catch (error) {
        if (!(error instanceof ApiError && error.status === 413)) throw error;
      }
    }
    return depositThroughUrl(id, file);
  },
};

/** The largest file sent in the deposit request itself: what a request to the hub carries on AWS. */
export const INLINE_DEPOSIT_LIMIT = 4 * 1024 * 1024;
/** Above this, no digest is computed (reading the whole file in memory): the size is still checked. */
const DIGEST_LIMIT = 256 * 1024 * 1024;
/** How long, and how often, to look for the deposit once its file is sent. */
const DEPOSIT_WAIT_MS = 60_000;
const DEPOSIT_POLL_MS = 1_000;

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** The file's SHA-256 in base64, as the hub checks it; `null` when too large or not computable. */
async function digestOf(file) {
  if (file.size > DIGEST_LIMIT || !globalThis.crypto?.subtle) return null;
  const hash = new Uint8Array(await crypto.subtle.digest('SHA-256', await file.arrayBuffer()));
  let binary = '';
  for (const byte of hash) binary += String.fromCharCode(byte);
  return btoa(binary);
}

/**
 * A deposit through an upload URL (docs/PORTAL-DOSSIERS.md): the hub creates it and answers where
 * to PUT the file; once stored and checked, the hub sends it. Resolves with the deposit's event
 * as the dossier shows it.
 */
async function depositThroughUrl(id, file) {
  const digest = await digestOf(file);
  const upload = await post(`/cases/${enc(id)}/attachments/upload-url`, {
    fileName: file.name,
    size: file.size,
    mimeType: file.type || 'application/octet-stream',
    ...(digest ? { digest } : {}),
  });
  let response;
  try {
    // Straight to the object store (S3 on AWS, another origin): no cookie, no CSRF token.
    response = await fetch(upload.url, {
      method: upload.method,
      headers: upload.headers ?? {},
      body: file,
      credentials: 'omit',
      cache: 'no-store',
    });
  } catch {
    throw new ApiError(0, [{ field: null, message: UPLOAD_FAILED, raw: '' }]);
  }
  if (!response.ok) throw new ApiError(response.status, [{ field: null, message: UPLOAD_FAILED, raw: '' }]);
  return waitForDeposit(id, upload.eventId);
}

/**
 * Waits until the deposit is sent (its file received and checked), reading the history (which
 * records nothing, unlike the dossier page, read once at the end); a withdrawn deposit was refused.
 */
async function waitForDeposit(id, eventId) {
  const until = Date.now() + DEPOSIT_WAIT_MS;
  for (;;) {
    const { entries = [] } = await dossiers.history(id);
    const entry = entries.find((e) => e.kind === 'EVENT' && e.eventId === eventId);
    if (!entry) throw new ApiError(400, [{ field: null, message: DEPOSIT_REFUSED, raw: '' }]);
    if (entry.status !== 'IN_PROGRESS') {
      // The event as the dossier page shows it (its file's id, to download it).
      const dossier = await dossiers.read(id);
      return (dossier.events ?? []).find((e) => e.id === eventId) ?? { ...entry, id: eventId };
    }
    if (Date.now() > until) throw new ApiError(0, [{ field: null, message: DEPOSIT_PENDING, raw: '' }]);
    await sleep(DEPOSIT_POLL_MS);
  }
}

// "Gestion des abonnements" (`admin`).
export const subscriptions = {
  list: () => get('/subscriptions'),
  /** The list as a CSV file: `{blob, fileName}`. */
  exportCsv: () => get('/subscriptions.csv', undefined, { as: 'file' }),
  read: (id) => get(`/subscriptions/${enc(id)}`),
  activate: (id, activateDateTime) => put(`/subscriptions/${enc(id)}/activation`, { activateDateTime }),
  /** In API mode the answer carries `credentials`, shown once. */
  setAccessMode: (id, accessMode) => put(`/subscriptions/${enc(id)}/access-mode`, { accessMode }),
  /** `revokePrevious`: the previous secret stops at once (a leak) instead of in 24 hours. */
  regenerateSecret: (id, revokePrevious = false) =>
    post(`/subscriptions/${enc(id)}/credentials`, revokePrevious ? { revokePrevious: true } : {}),
  revokePreviousSecret: (id) => remove(`/subscriptions/${enc(id)}/credentials/previous`),
  setDelegate: (id, delegate) => put(`/subscriptions/${enc(id)}/delegate`, delegate),
  setNotifications: (id, notificationFrequency, email) =>
    put(`/subscriptions/${enc(id)}/notifications`, { notificationFrequency, ...(email ? { email } : {}) }),
};

// "Statistiques" (`admin`): `query` holds `from`, `to` (`YYYY-MM`), `processCode`, and for an
// organisation `organisation`, nationally `siret` + `branchCode` or `operator`.
export const statistics = {
  read: (query) => get('/statistics', query),
  exportCsv: (query) => get('/statistics.csv', query, { as: 'file' }),
  national: (query) => get('/national/statistics', query),
  exportNationalCsv: (query) => get('/national/statistics.csv', query, { as: 'file' }),
};

/** The audit journal (docs/AUDIT.md): an organisation's, or every organisation's (national). */
export const audit = {
  /** `{from, to, actor, action, outcome, limit, cursor}`; `organisation`: `<siret>-<branchCode>`. */
  read: (query) => get('/audit', query),
  /** The same filters, and `siret` + `branchCode` for one organisation. */
  national: (query) => get('/national/audit', query),
};

// "Gestion des comptes" (`admin`); `organisation` is `<siret>-<branchCode>`, the caller's own by default.
export const accounts = {
  list: (filters, organisation) => get('/accounts', { ...filters, organisation }),
  /** The list with the same filters as a CSV file: `{blob, fileName}`. */
  exportCsv: (filters, organisation) => get('/accounts.csv', { ...filters, organisation }, { as: 'file' }),
  read: (email, organisation) => get(`/accounts/${enc(email)}`, { organisation }),
  create: (account, organisation) => request('POST', '/accounts', { json: account, query: { organisation } }),
  edit: (email, change, organisation) =>
    request('PATCH', `/accounts/${enc(email)}`, { json: change, query: { organisation } }),
  suspend: (email, organisation) => request('POST', `/accounts/${enc(email)}/suspension`, { query: { organisation } }),
  reactivate: (email, organisation) =>
    request('DELETE', `/accounts/${enc(email)}/suspension`, { query: { organisation } }),
  /**
   * "Retirer le compte": `{outcome: 'DETACHED' | 'CLOSED'}` (a delegate of another organisation
   * is detached, an account of the organisation closed for good).
   */
  remove: (email, organisation) => request('DELETE', `/accounts/${enc(email)}`, { query: { organisation } }),
  /** A technical delegate of another organisation no longer serves this one. */
  detach: (email, organisation) => request('DELETE', `/accounts/${enc(email)}/delegation`, { query: { organisation } }),
};

// A technical delegate's invitations (`organisation`: `<siret>-<branchCode>`).
export const invitations = {
  accept: (organisation) => request('POST', `/me/invitations/${enc(organisation)}`),
  decline: (organisation) => request('DELETE', `/me/invitations/${enc(organisation)}`),
};

// The national back office (`/national/…`, HubEE's own team): metadata only. Listings answer
// `{items, nextCursor}` (the procedures: an array); organisations are named `{siret}/{branchCode}`.
export const national = {
  /** Query: `siret` (a SIRET or its first digits), `name`, `type`, `toComplete`, `cursor`, `limit`. */
  organisations: (query) => get('/national/organisations', query),
  createOrganisation: (organisation) => post('/national/organisations', organisation),
  /** The organisation with its subscriptions, accounts (names and types) and API clients. */
  organisation: (siret, branchCode) => get(`/national/organisations/${enc(siret)}/${enc(branchCode)}`),
  /** `{name?, contacts?, closed?}`: what is present changes; a name clears "à compléter". */
  updateOrganisation: (siret, branchCode, change) =>
    patch(`/national/organisations/${enc(siret)}/${enc(branchCode)}`, change),
  procedures: () => get('/national/procedures'),
  createProcedure: (procedure) => post('/national/procedures', procedure),
  procedure: (code) => get(`/national/procedures/${enc(code)}`),
  updateProcedure: (code, change) => patch(`/national/procedures/${enc(code)}`, change),
  /** Query: `siret`, `branchCode` (with `siret`), `scope`, `processCode`, `disabled`, `cursor`, `limit`. */
  apiClients: (query) => get('/national/api-clients', query),
  /** The answer carries `clientSecret`, shown once. */
  createApiClient: (client) => post('/national/api-clients', client),
  setApiClientDisabled: (clientId, disabled) => patch(`/national/api-clients/${enc(clientId)}`, { disabled }),
  /** A new secret, shown once; the previous one works 24 hours more unless `revokePrevious`. */
  rotateSecret: (clientId, revokePrevious = false) =>
    post(`/national/api-clients/${enc(clientId)}/secret`, revokePrevious ? { revokePrevious: true } : {}),
  /** `{items, nextCursor}`, newest first. */
  journal: (query) => get('/national/journal', query),
  /**
   * Every subscription, with the referential's filters (`processCode`, `status`,
   * `companyRegister`…) and paging (`offSet`, `maxResult`): `{items, contentRange}`.
   */
  subscriptions: (query) => request('GET', '/national/subscriptions', { query, as: 'range' }),
  /** `VALIDATE`, `REFUSE` (with its reason), `SUSPEND`, `RESUME` or `END`: the subscription after it. */
  decide: (id, decision, reason) =>
    post(`/national/subscriptions/${enc(id)}/decision`, { decision, ...(reason ? { reason } : {}) }),
  /** `q`: an address (exact) or the beginning of a last name; `{items, nextCursor}`. */
  accounts: (query) => get('/national/accounts', query),
  /** The account with its organisations, lockout and last sign-in (never a password or a code). */
  account: (email) => get(`/national/accounts/${enc(email)}`),
  unlock: (email) => post(`/national/accounts/${enc(email)}/unlock`),
  resendActivation: (email) => post(`/national/accounts/${enc(email)}/activation`),
  setAccountSuspended: (email, suspended) =>
    suspended
      ? post(`/national/accounts/${enc(email)}/suspension`)
      : remove(`/national/accounts/${enc(email)}/suspension`),
  /** The e-mails parked after their last retry, newest first: `{items, nextCursor}`. */
  deliveries: (query) => get('/national/deliveries', query),
  resendDelivery: (id) => post(`/national/deliveries/${enc(id)}/resend`),
  /**
   * `{source: {siret, branchCode}, target: {siret, branchCode}, processCode?}`: one call's share of
   * a commune merger, `{caseUpdated, notificationsUpdated, done}`; called again until `done`.
   */
  migrate: (migration) => post('/national/migrations', migration),
};
