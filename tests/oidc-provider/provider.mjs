// A real OpenID provider (panva's OpenID-certified oidc-provider) standing in for ProConnect in
// HubEE's tests: ProConnect's scopes, claims and acr values, one confidential client, a sign-in
// form without password that any HTTP client can submit, and test-only control endpoints under
// /__test/. Never to be exposed beyond 127.0.0.1. README.md beside it documents the behaviour.

import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import { pathToFileURL } from 'node:url';

import Provider from 'oidc-provider';

import { misbehaviour } from './misbehave.mjs';
import { PIVOT_CLAIMS, USERS, userBySub } from './users.mjs';

const SELF_ASSERTED = 'https://proconnect.gouv.fr/assurance/self-asserted';
const CONSISTENCY_CHECKED = 'https://proconnect.gouv.fr/assurance/consistency-checked';

export const ACR_VALUES = [
  'eidas1',
  'eidas2',
  'eidas3',
  SELF_ASSERTED,
  CONSISTENCY_CHECKED,
  `${SELF_ASSERTED}-2fa`,
  `${CONSISTENCY_CHECKED}-2fa`,
];

// Test-only relaxation: the hub under test listens on a random port, so a redirect URI on a
// loopback host is accepted on any port as long as its path is a registered one.
const LOOPBACK_HOSTS = new Set(['127.0.0.1', 'localhost', '[::1]']);
// Recent end-session calls kept for GET /__test/logouts.
const MAX_LOGOUTS = 100;

function newSigningKey() {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const kid = `test-${Date.now().toString(36)}-${randomBytes(4).toString('hex')}`;
  return { ...privateKey.export({ format: 'jwk' }), kid, alg: 'RS256', use: 'sig' };
}

function loopbackPathAllowed(value, registered) {
  let url;
  try {
    url = new URL(value);
  } catch {
    return false;
  }
  if (url.protocol !== 'http:' || !LOOPBACK_HOSTS.has(url.hostname) || url.search || url.hash) {
    return false;
  }
  return registered.some((uri) => {
    try {
      const reg = new URL(uri);
      return LOOPBACK_HOSTS.has(reg.hostname) && reg.pathname === url.pathname;
    } catch {
      return false;
    }
  });
}

const escapeHtml = (value) => String(value).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

function page(title, body) {
  return `<!DOCTYPE html>
<html lang="fr">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)} — ProConnect (test)</title>
</head>
<body>
<main>
<h1>${escapeHtml(title)}</h1>
${body}
</main>
</body>
</html>`;
}

// The acr and amr a sign-in yields: the user's certified level, `-2fa` appended with a
// certified second factor (mfa=1); mfa=amr is an identity provider enforcing a second factor
// without the certified level (amr has mfa, the acr stays); `acr` overrides the acr outright.
export function authenticationFor(user, { mfa, acr }) {
  const withMfa = mfa === '1' || mfa === 'on' || mfa === 'true';
  const amrOnly = mfa === 'amr';
  return {
    acr: acr || (withMfa ? `${user.level}-2fa` : user.level),
    amr: withMfa || amrOnly ? ['pwd', 'mfa'] : ['pwd'],
  };
}

function accountFor(user) {
  return {
    accountId: user.sub,
    async claims() {
      const claims = { sub: user.sub };
      for (const name of PIVOT_CLAIMS) {
        if (user[name] !== undefined) claims[name] = user[name];
      }
      return claims;
    },
  };
}

// An in-memory store for oidc-provider's models, kept outside any Provider instance so that
// sessions, grants, interactions and codes survive a key rotation (a new instance). Test-only:
// nothing is persisted, one process.
const GRANTABLE = new Set([
  'AccessToken',
  'AuthorizationCode',
  'RefreshToken',
  'DeviceCode',
  'BackchannelAuthenticationRequest',
  'PreAuthorizedCode',
]);

export function memoryAdapter() {
  const items = new Map();
  const live = (key) => {
    const item = items.get(key);
    if (item && item.expiresAt && item.expiresAt <= Date.now()) {
      items.delete(key);
      return undefined;
    }
    return item;
  };
  return class Adapter {
    constructor(model) {
      this.model = model;
    }

    key(id) {
      return `${this.model}:${id}`;
    }

    async upsert(id, payload, expiresIn) {
      const expiresAt = expiresIn ? Date.now() + expiresIn * 1000 : undefined;
      items.set(this.key(id), { payload: { ...payload }, expiresAt });
    }

    async find(id) {
      return live(this.key(id))?.payload;
    }

    async findByUid(uid) {
      for (const key of items.keys()) {
        if (key.startsWith(`${this.model}:`) && live(key)?.payload.uid === uid) {
          return items.get(key).payload;
        }
      }
      return undefined;
    }

    async findByUserCode(userCode) {
      for (const key of items.keys()) {
        if (key.startsWith(`${this.model}:`) && live(key)?.payload.userCode === userCode) {
          return items.get(key).payload;
        }
      }
      return undefined;
    }

    async consume(id) {
      const item = live(this.key(id));
      if (item) item.payload.consumed = Math.floor(Date.now() / 1000);
    }

    async destroy(id) {
      items.delete(this.key(id));
    }

    // Only the tokens issued under the grant: an interaction or a session refers to a grant too.
    async revokeByGrantId(grantId) {
      for (const [key, item] of items) {
        if (GRANTABLE.has(key.slice(0, key.indexOf(':'))) && item.payload.grantId === grantId) {
          items.delete(key);
        }
      }
    }
  };
}

function configuration({ client, keys, cookieKeys, adapter }) {
  return {
    adapter,
    clients: [
      {
        client_id: client.id,
        client_secret: client.secret,
        redirect_uris: client.redirectUris,
        post_logout_redirect_uris: client.postLogoutRedirectUris,
        response_types: ['code'],
        grant_types: ['authorization_code'],
        // client_secret_basic is accepted too: see translateBasicAuth.
        token_endpoint_auth_method: 'client_secret_post',
        id_token_signed_response_alg: 'RS256',
        userinfo_signed_response_alg: 'RS256',
        client_name: 'HubEE (tests)',
      },
    ],
    clientAuthMethods: ['client_secret_post', 'client_secret_basic'],
    jwks: { keys },
    cookies: {
      // Prefixed: the hub under test shares the host 127.0.0.1 (cookies ignore ports).
      names: {
        session: 'proconnect_session',
        interaction: 'proconnect_interaction',
        resume: 'proconnect_interaction_resume',
      },
      keys: cookieKeys,
    },
    responseTypes: ['code'],
    pkce: { required: () => true },
    scopes: ['openid', ...PIVOT_CLAIMS],
    claims: {
      // acr and amr in every ID token, as ProConnect does (oidc-provider adds a standalone claim
      // only when it is requested, e.g. through acr_values or the claims parameter).
      openid: ['sub', 'acr', 'amr'],
      acr: null,
      amr: null,
      auth_time: null,
      sid: null,
      iss: null,
      ...Object.fromEntries(PIVOT_CLAIMS.map((name) => [name, [name]])),
    },
    // Scope claims in the ID token as well as in userinfo (the hub may read either).
    conformIdTokenClaims: false,
    acrValues: ACR_VALUES,
    features: {
      devInteractions: { enabled: false },
      claimsParameter: { enabled: true },
      userinfo: { enabled: true },
      jwtUserinfo: { enabled: true },
      rpInitiatedLogout: { enabled: true, logoutSource, postLogoutSuccessSource },
    },
    findAccount: (ctx, sub) => {
      const user = userBySub(sub);
      return user ? accountFor(user) : undefined;
    },
    interactions: { url: (ctx, interaction) => `/interaction/${interaction.uid}` },
    clientBasedCORS: () => false,
    renderError,
    ttl: {
      AccessToken: 3600,
      AuthorizationCode: 60,
      IdToken: 3600,
      Interaction: 3600,
      // ProConnect's own session lasts 12 h.
      Session: 12 * 3600,
      Grant: 12 * 3600,
    },
  };
}

// Renders oidc-provider's logout confirmation as a form that submits itself (a browser never
// stops there); an HTTP client posts the form: `xsrf` and `logout=yes` to /session/end/confirm.
async function logoutSource(ctx, form) {
  const auto = form.replace(
    '</form>',
    '<input type="hidden" name="logout" value="yes"/><button type="submit">Se déconnecter</button></form>',
  );
  ctx.type = 'html';
  ctx.body = page(
    'Déconnexion',
    `${auto}
<script>document.addEventListener('DOMContentLoaded', function () { document.forms[0].submit() });</script>`,
  );
}

async function postLogoutSuccessSource(ctx) {
  ctx.type = 'html';
  ctx.body = page('Déconnecté', '<p>Vous êtes déconnecté de ProConnect (test).</p>');
}

async function renderError(ctx, out) {
  ctx.type = 'html';
  const rows = Object.entries(out)
    .map(([key, value]) => `<dt>${escapeHtml(key)}</dt><dd>${escapeHtml(value)}</dd>`)
    .join('');
  ctx.body = page('Erreur', `<dl>${rows}</dl>`);
}

async function readForm(req) {
  const chunks = [];
  let size = 0;
  for await (const chunk of req) {
    size += chunk.length;
    if (size > 64 * 1024) throw new Error('request body too large');
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function send(res, status, type, body) {
  res.statusCode = status;
  res.setHeader('Content-Type', type);
  res.setHeader('Cache-Control', 'no-store');
  res.end(body);
}

const sendJson = (res, status, value) =>
  send(res, status, 'application/json; charset=utf-8', JSON.stringify(value));

function interactionPage(details) {
  const { uid, prompt, params, lastSubmission } = details;
  const acrRequest = (() => {
    try {
      return JSON.parse(params.claims ?? '{}')?.id_token?.acr;
    } catch {
      return undefined;
    }
  })();
  const notes = [];
  if (prompt.reasons.includes('essential_acrs') || prompt.reasons.includes('essential_acr')) {
    notes.push(
      `Le service exige l’un de ces niveaux : ${escapeHtml((acrRequest?.values ?? [acrRequest?.value]).join(', '))}.`,
    );
  }
  if (lastSubmission?.login) {
    notes.push(`La connexion précédente (acr ${escapeHtml(lastSubmission.login.acr)}) ne suffit pas.`);
  }
  if (params.login_hint) notes.push(`Adresse suggérée : ${escapeHtml(params.login_hint)}.`);
  const users = Object.entries(USERS)
    .map(
      ([key, user]) =>
        `<li><button type="submit" name="user" value="${escapeHtml(key)}">${escapeHtml(
          `${user.given_name} ${user.usual_name} — ${user.email} (${key})`,
        )}</button></li>`,
    )
    .join('\n');
  return page(
    'Choisir un compte de test',
    `${notes.map((n) => `<p>${n}</p>`).join('\n')}
<p>Motif : ${escapeHtml(prompt.name)} (${escapeHtml(prompt.reasons.join(', '))})</p>
<form method="post" action="/interaction/${escapeHtml(uid)}/login">
<p><input type="checkbox" id="mfa" name="mfa" value="1"><label for="mfa">Présenter un second facteur</label></p>
<ul>
${users}
</ul>
</form>
<form method="post" action="/interaction/${escapeHtml(uid)}/abort">
<button type="submit">Annuler</button>
</form>`,
  );
}

// Starts the provider. Returns { issuer, close }.
export async function startProvider({
  host = '127.0.0.1',
  port = 0,
  clientId,
  clientSecret,
  redirectUris,
  postLogoutRedirectUris,
  log = () => {},
}) {
  if (!clientId || !clientSecret) throw new Error('a client id and secret are required');
  const client = {
    id: clientId,
    secret: clientSecret,
    redirectUris: redirectUris?.length
      ? redirectUris
      : ['http://127.0.0.1/portail/v1/proconnect/callback'],
    postLogoutRedirectUris: postLogoutRedirectUris?.length
      ? postLogoutRedirectUris
      : ['http://127.0.0.1/connexion'],
  };
  const cookieKeys = [randomBytes(32).toString('base64url')];
  const adapter = memoryAdapter();
  const logouts = [];
  let keys = [newSigningKey()];
  let provider;
  let handle;
  // One-shot faults armed through /__test/misbehave (misbehave.mjs); they survive a rotation.
  const faults = misbehaviour({
    clientId: client.id,
    clientSecret: client.secret,
    signingKeys: () => keys,
    log,
  });

  // A new Provider instance per key set: oidc-provider reads its keys once. Sessions, grants,
  // interactions and codes live in `adapter`, shared by the instances, so they survive the swap.
  function build(issuer) {
    const next = new Provider(issuer, configuration({ client, keys, cookieKeys, adapter }));
    const { redirectUriAllowed, postLogoutRedirectUriAllowed } = next.Client.prototype;
    next.Client.prototype.redirectUriAllowed = function allowed(value) {
      return redirectUriAllowed.call(this, value) || loopbackPathAllowed(value, this.redirectUris);
    };
    next.Client.prototype.postLogoutRedirectUriAllowed = function allowed(value) {
      return (
        postLogoutRedirectUriAllowed.call(this, value) ||
        loopbackPathAllowed(value, this.postLogoutRedirectUris ?? [])
      );
    };
    next.use(faults.middleware);
    next.use(async (ctx, nextMiddleware) => {
      await nextMiddleware();
      if (ctx.oidc?.route === 'end_session') {
        const hint = ctx.oidc.entities?.IdTokenHint?.payload;
        logouts.push({
          at: new Date().toISOString(),
          method: ctx.method,
          sub: hint?.sub ?? null,
          client_id: hint?.aud ?? ctx.oidc.params?.client_id ?? null,
          post_logout_redirect_uri: ctx.oidc.params?.post_logout_redirect_uri ?? null,
          state: ctx.oidc.params?.state ?? null,
          status: ctx.status,
          completed: false,
          xsrf: ctx.oidc.session?.state?.secret,
        });
        if (logouts.length > MAX_LOGOUTS) logouts.shift();
      }
    });
    next.on('end_session.success', (ctx) => {
      const entry = logouts.findLast((e) => e.xsrf && e.xsrf === ctx.oidc.params?.xsrf);
      if (entry) entry.completed = true;
    });
    next.on('server_error', (ctx, err) => log(`server_error: ${err.stack}`));
    provider = next;
    handle = next.callback();
  }

  async function interaction(req, res, uid, action) {
    let details;
    try {
      details = await provider.interactionDetails(req, res);
    } catch (err) {
      send(res, 400, 'text/html; charset=utf-8', page('Session expirée', `<p>${escapeHtml(err.message)}</p>`));
      return;
    }
    if (details.uid !== uid) {
      send(res, 400, 'text/html; charset=utf-8', page('Session expirée', '<p>Interaction inconnue.</p>'));
      return;
    }
    if (action === undefined && req.method === 'GET') {
      send(res, 200, 'text/html; charset=utf-8', interactionPage(details));
      return;
    }
    if (req.method !== 'POST') {
      send(res, 405, 'text/plain', 'method not allowed');
      return;
    }
    const form = new URLSearchParams(await readForm(req));
    if (action === 'abort') {
      await provider.interactionFinished(
        req,
        res,
        { error: 'access_denied', error_description: 'End-User aborted interaction' },
        { mergeWithLastSubmission: false },
      );
      return;
    }
    const user = USERS[form.get('user')];
    const acr = form.get('acr') || undefined;
    if (!user || (acr && !ACR_VALUES.includes(acr))) {
      send(res, 400, 'text/html; charset=utf-8', page('Compte inconnu', '<p>Choisissez un compte de test.</p>'));
      return;
    }
    const { params } = details;
    // Login and consent in one step: the grant covers every scope and claim requested.
    let grant = details.grantId ? await provider.Grant.find(details.grantId) : undefined;
    if (!grant || grant.accountId !== user.sub) {
      grant = new provider.Grant({ accountId: user.sub, clientId: params.client_id });
    }
    if (params.scope) grant.addOIDCScope(params.scope);
    let claims = {};
    try {
      claims = typeof params.claims === 'string' ? JSON.parse(params.claims) : params.claims ?? {};
    } catch {
      // oidc-provider already rejected a malformed claims parameter before the interaction.
    }
    const claimNames = [...Object.keys(claims.id_token ?? {}), ...Object.keys(claims.userinfo ?? {})];
    if (claimNames.length) grant.addOIDCClaims(claimNames);
    const grantId = await grant.save();
    const login = { accountId: user.sub, remember: true, ...authenticationFor(user, { mfa: form.get('mfa'), acr }) };
    log(`login ${form.get('user')} acr=${login.acr} amr=${login.amr.join(',')}`);
    await provider.interactionFinished(req, res, { login, consent: { grantId } }, { mergeWithLastSubmission: false });
  }

  async function control(req, res, path) {
    if (path === '/__test/logouts' && req.method === 'GET') {
      sendJson(res, 200, { logouts: logouts.map(({ xsrf, ...entry }) => entry) });
    } else if (path === '/__test/logouts' && req.method === 'DELETE') {
      logouts.length = 0;
      sendJson(res, 200, { logouts: [] });
    } else if (path === '/__test/rotate-keys' && req.method === 'POST') {
      // The new key signs from now on; the previous ones stay published (tokens already issued
      // still verify, as during a real rotation) unless ?retire=1 withdraws them.
      const url = new URL(req.url, 'http://localhost');
      const retire = url.searchParams.get('retire') === '1';
      const key = newSigningKey();
      keys = retire ? [key] : [key, ...keys];
      build(provider.issuer);
      sendJson(res, 200, { kid: key.kid, kids: keys.map((k) => k.kid) });
    } else if (path === '/__test/misbehave' && req.method === 'GET') {
      sendJson(res, 200, { armed: faults.armed() });
    } else if (path === '/__test/misbehave' && req.method === 'POST') {
      let request;
      try {
        request = JSON.parse(await readForm(req));
      } catch {
        request = undefined;
      }
      const error = faults.arm(request);
      sendJson(res, error ? 400 : 200, error ? { error, armed: faults.armed() } : { armed: faults.armed() });
    } else if (path === '/__test/misbehave' && req.method === 'DELETE') {
      faults.disarm();
      sendJson(res, 200, { armed: faults.armed() });
    } else if (path === '/__test/users' && req.method === 'GET') {
      sendJson(res, 200, { users: USERS });
    } else if (path.startsWith('/__test/users/') && req.method === 'POST') {
      const user = USERS[decodeURIComponent(path.slice('/__test/users/'.length))];
      if (!user) {
        sendJson(res, 404, { error: 'unknown user' });
        return;
      }
      const changes = JSON.parse((await readForm(req)) || '{}');
      for (const [name, value] of Object.entries(changes)) {
        if (PIVOT_CLAIMS.includes(name)) user[name] = value;
      }
      sendJson(res, 200, { user });
    } else {
      sendJson(res, 404, { error: 'not found' });
    }
  }

  // client_secret_basic, while the client is registered client_secret_post: the credentials
  // move into the form body before oidc-provider reads it (it enforces one method per client).
  async function translateBasicAuth(req) {
    const auth = req.headers.authorization;
    if (!auth?.startsWith('Basic ')) return;
    const decoded = Buffer.from(auth.slice(6), 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon < 0) return;
    const form = new URLSearchParams(await readForm(req));
    const unescape = (s) => decodeURIComponent(s.replace(/\+/g, '%20'));
    form.set('client_id', unescape(decoded.slice(0, colon)));
    form.set('client_secret', unescape(decoded.slice(colon + 1)));
    delete req.headers.authorization;
    req.body = form.toString();
  }

  const server = createServer(async (req, res) => {
    try {
      const path = new URL(req.url, 'http://localhost').pathname;
      if (path.startsWith('/__test/')) {
        await control(req, res, path);
        return;
      }
      const match = /^\/interaction\/([^/]+)(?:\/(login|abort))?$/.exec(path);
      if (match) {
        await interaction(req, res, match[1], match[2]);
        return;
      }
      if (path === '/token' && req.method === 'POST') await translateBasicAuth(req);
      handle(req, res);
    } catch (err) {
      log(`error: ${err.stack}`);
      if (!res.headersSent) sendJson(res, 500, { error: 'server_error' });
    }
  });
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, resolve);
  });
  const issuer = `http://${host}:${server.address().port}`;
  build(issuer);

  return {
    issuer,
    async close() {
      await new Promise((resolve) => {
        server.close(resolve);
        server.closeAllConnections();
      });
    },
  };
}

const split = (value) =>
  (value ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);

if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  const { issuer, close } = await startProvider({
    port: Number(process.env.PORT ?? 0),
    clientId: process.env.CLIENT_ID ?? 'hubee-test',
    clientSecret: process.env.CLIENT_SECRET ?? 'hubee-test-secret',
    redirectUris: split(process.env.REDIRECT_URIS),
    postLogoutRedirectUris: split(process.env.POST_LOGOUT_REDIRECT_URIS),
    log: (line) => console.error(`proconnect: ${line}`),
  });
  console.log(`ISSUER=${issuer}`);
  const stop = async () => {
    await close();
    process.exit(0);
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}
