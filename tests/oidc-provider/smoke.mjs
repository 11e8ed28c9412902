// End-to-end smoke test of the stand-in ProConnect, without the hub: starts provider.mjs as a
// child process and drives it the way the hub's HTTP tests will (manual redirects, a cookie jar,
// the sign-in form posted), checking every token's signature against the published JWKS.

import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';

import { createLocalJWKSet, decodeJwt, decodeProtectedHeader, errors, jwtVerify } from 'jose';

import { USERS } from './users.mjs';

const CLIENT_ID = 'hubee-smoke';
const CLIENT_SECRET = 'smoke-secret';
// The hub's port is random per test: the provider accepts any loopback port on these paths.
const HUB = 'http://127.0.0.1:54321';
const REDIRECT_URI = `${HUB}/portail/v1/proconnect/callback`;
const POST_LOGOUT_URI = `${HUB}/connexion`;
const SCOPE = 'openid email given_name usual_name uid siret idp_id';
const SELF_ASSERTED = 'https://proconnect.gouv.fr/assurance/self-asserted';
const TWO_FACTOR_ACRS = [
  'eidas2',
  'eidas3',
  `${SELF_ASSERTED}-2fa`,
  'https://proconnect.gouv.fr/assurance/consistency-checked-2fa',
];

let child;
let issuer;
let discovery;

before(async () => {
  child = spawn(process.execPath, ['provider.mjs'], {
    cwd: import.meta.dirname ?? new URL('.', import.meta.url).pathname,
    env: {
      ...process.env,
      PORT: '0',
      CLIENT_ID,
      CLIENT_SECRET,
      // Registered on another port than HUB's, as start_proconnect does.
      REDIRECT_URIS: 'http://127.0.0.1/portail/v1/proconnect/callback',
      POST_LOGOUT_REDIRECT_URIS: 'http://127.0.0.1/connexion',
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  for await (const line of createInterface({ input: child.stdout })) {
    if (line.startsWith('ISSUER=')) {
      issuer = line.slice('ISSUER='.length);
      break;
    }
  }
  assert.ok(issuer, 'provider.mjs printed no ISSUER= line');
  discovery = await (await fetch(`${issuer}/.well-known/openid-configuration`)).json();
});

after(async () => {
  if (child && child.exitCode === null) {
    child.kill('SIGTERM');
    const [code] = await once(child, 'exit');
    assert.equal(code, 0, 'provider.mjs exits cleanly on SIGTERM');
  }
});

// A browser stand-in: one cookie jar (by name, like a single host), redirects followed by hand.
class Agent {
  cookies = new Map();

  async request(url, { method = 'GET', form, headers = {} } = {}) {
    const cookie = [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
    const res = await fetch(url, {
      method,
      redirect: 'manual',
      headers: {
        ...(cookie ? { cookie } : {}),
        ...(form ? { 'content-type': 'application/x-www-form-urlencoded' } : {}),
        ...headers,
      },
      body: form ? new URLSearchParams(form).toString() : undefined,
    });
    for (const set of res.headers.getSetCookie()) {
      const [pair, ...attrs] = set.split(';');
      const eq = pair.indexOf('=');
      const name = pair.slice(0, eq).trim();
      const value = pair.slice(eq + 1).trim();
      const expired = attrs.some((a) => /^\s*expires=Thu, 01 Jan 1970/i.test(a));
      if (expired || value === '') this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
    return res;
  }

  // Follows the provider's redirects; stops at the hub (HUB) or at a page (status 200).
  async follow(url, options) {
    let res = await this.request(url, options);
    for (let i = 0; i < 10 && res.status >= 300 && res.status < 400; i += 1) {
      const location = new URL(res.headers.get('location'), url).href;
      if (location.startsWith(HUB)) return { location, res };
      url = location;
      res = await this.request(url);
    }
    return { location: url, res };
  }
}

function pkce() {
  const verifier = randomBytes(32).toString('base64url');
  const challenge = createHash('sha256').update(verifier).digest('base64url');
  return { verifier, challenge };
}

function authorizationUrl({ challenge, state, nonce, extra = {} }) {
  const url = new URL(discovery.authorization_endpoint);
  url.search = new URLSearchParams({
    client_id: CLIENT_ID,
    redirect_uri: REDIRECT_URI,
    response_type: 'code',
    scope: SCOPE,
    state,
    nonce,
    code_challenge: challenge,
    code_challenge_method: 'S256',
    ...extra,
  }).toString();
  return url.href;
}

// The first form's action: the sign-in form on an interaction page, the confirmation on a
// logout page.
const formAction = (html, base) => new URL(/<form[^>]* action="([^"]+)"/.exec(html)[1], base).href;

// Starts an authorization request; returns the interaction page's URL, or the hub callback
// when the provider answers without interaction.
async function authorize(agent, extra) {
  const { verifier, challenge } = pkce();
  const state = randomBytes(8).toString('hex');
  const nonce = randomBytes(8).toString('hex');
  const { location, res } = await agent.follow(authorizationUrl({ challenge, state, nonce, extra }));
  return { verifier, state, nonce, location, res };
}

// Signs in on the interaction page at `location` with the given form fields.
async function signIn(agent, location, fields) {
  const page = await agent.request(location);
  assert.equal(page.status, 200);
  const html = await page.text();
  assert.match(html, /name="user" value="agent"/);
  return agent.follow(formAction(html, location), { method: 'POST', form: fields });
}

// The token request; answers the raw response.
async function tokenRequest(code, verifier, { basic = false } = {}) {
  const form = { grant_type: 'authorization_code', code, redirect_uri: REDIRECT_URI, code_verifier: verifier };
  const headers = { 'content-type': 'application/x-www-form-urlencoded' };
  if (basic) {
    headers.authorization = `Basic ${Buffer.from(`${CLIENT_ID}:${CLIENT_SECRET}`).toString('base64')}`;
  } else {
    Object.assign(form, { client_id: CLIENT_ID, client_secret: CLIENT_SECRET });
  }
  return fetch(discovery.token_endpoint, { method: 'POST', headers, body: new URLSearchParams(form) });
}

async function exchange(code, verifier, options) {
  const res = await tokenRequest(code, verifier, options);
  const body = await res.json();
  assert.equal(res.status, 200, JSON.stringify(body));
  return body;
}

async function jwks() {
  return createLocalJWKSet(await (await fetch(discovery.jwks_uri)).json());
}

async function verifyIdToken(idToken, nonce) {
  const { payload, protectedHeader } = await jwtVerify(idToken, await jwks(), {
    issuer,
    audience: CLIENT_ID,
    algorithms: ['RS256'],
  });
  assert.equal(payload.nonce, nonce);
  return { payload, protectedHeader };
}

function callbackParams(location, state) {
  const url = new URL(location);
  assert.equal(url.origin + url.pathname, REDIRECT_URI);
  assert.equal(url.searchParams.get('state'), state);
  assert.equal(url.searchParams.get('iss'), issuer);
  return url.searchParams;
}

test('discovery advertises ProConnect’s claims, acr values and signed userinfo', () => {
  assert.equal(discovery.issuer, issuer);
  for (const claim of ['email', 'given_name', 'usual_name', 'uid', 'siret', 'idp_id', 'acr', 'amr']) {
    assert.ok(discovery.claims_supported.includes(claim), claim);
  }
  assert.ok(discovery.acr_values_supported.includes(`${SELF_ASSERTED}-2fa`));
  assert.deepEqual(discovery.userinfo_signing_alg_values_supported, ['RS256']);
  assert.equal(discovery.claims_parameter_supported, true);
  assert.ok(discovery.end_session_endpoint);
});

test('an authorization request to an unregistered redirect URI never redirects', async () => {
  const agent = new Agent();
  const { challenge } = pkce();
  const url = new URL(authorizationUrl({ challenge, state: 's', nonce: 'n' }));
  url.searchParams.set('redirect_uri', 'http://127.0.0.1:54321/elsewhere');
  const res = await agent.request(url.href);
  assert.equal(res.status, 400);
  assert.match(await res.text(), /redirect_uri did not match/);
});

test('an authorization request without PKCE is refused', async () => {
  const agent = new Agent();
  const url = new URL(authorizationUrl({ challenge: 'x', state: 's', nonce: 'n' }));
  url.searchParams.delete('code_challenge');
  url.searchParams.delete('code_challenge_method');
  const { location } = await agent.follow(url.href);
  assert.equal(new URL(location).searchParams.get('error'), 'invalid_request');
});

test('the full flow: sign-in, step-up, key rotation and logout', async (t) => {
  const agent = new Agent();
  const user = USERS.agent;
  let idToken;
  let kid;

  await t.test('an agent signs in without second factor and gets a self-asserted ID token', async () => {
    const auth = await authorize(agent, { acr_values: 'eidas1' });
    assert.match(auth.location, /\/interaction\/[^/]+$/);
    const { location } = await signIn(agent, auth.location, { user: 'agent' });
    const code = callbackParams(location, auth.state).get('code');
    assert.ok(code);
    const tokens = await exchange(code, auth.verifier);
    const { payload, protectedHeader } = await verifyIdToken(tokens.id_token, auth.nonce);
    assert.equal(payload.sub, user.sub);
    assert.equal(payload.acr, SELF_ASSERTED);
    assert.deepEqual(payload.amr, ['pwd']);
    assert.equal(payload.siret, user.siret);
    assert.equal(payload.email, user.email);
    assert.equal(payload.usual_name, user.usual_name);
    idToken = tokens.id_token;
    kid = protectedHeader.kid;

    const userinfo = await fetch(discovery.userinfo_endpoint, {
      headers: { authorization: `Bearer ${tokens.access_token}` },
    });
    assert.equal(userinfo.status, 200);
    assert.match(userinfo.headers.get('content-type'), /^application\/jwt/);
    const { payload: claims } = await jwtVerify(await userinfo.text(), await jwks(), {
      issuer,
      audience: CLIENT_ID,
    });
    for (const name of ['sub', 'email', 'given_name', 'usual_name', 'uid', 'siret', 'idp_id']) {
      assert.equal(claims[name], user[name], name);
    }
  });

  await t.test('an essential 2FA acr with prompt=none fails rather than returning the lower acr', async () => {
    const claims = JSON.stringify({ id_token: { acr: { essential: true, values: TWO_FACTOR_ACRS } } });
    const auth = await authorize(agent, { claims, prompt: 'none' });
    const params = callbackParams(auth.location, auth.state);
    assert.equal(params.get('error'), 'login_required');
  });

  await t.test('step-up: an essential 2FA acr asks again until a second factor is presented', async () => {
    const claims = JSON.stringify({ id_token: { acr: { essential: true, values: TWO_FACTOR_ACRS } } });
    const auth = await authorize(agent, { claims, login_hint: user.email });
    assert.match(auth.location, /\/interaction\//, 'the existing session is not enough');
    const page = await (await agent.request(auth.location)).text();
    assert.match(page, /essential_acrs/);
    // Without the second factor, oidc-provider starts a new interaction: no code, no lower acr.
    const again = await signIn(agent, auth.location, { user: 'agent' });
    assert.match(again.location, /\/interaction\//);
    const { location } = await signIn(agent, again.location, { user: 'agent', mfa: '1' });
    const code = callbackParams(location, auth.state).get('code');
    // client_secret_basic is accepted as well as client_secret_post.
    const tokens = await exchange(code, auth.verifier, { basic: true });
    const { payload } = await verifyIdToken(tokens.id_token, auth.nonce);
    assert.equal(payload.sub, user.sub);
    assert.equal(payload.acr, `${SELF_ASSERTED}-2fa`);
    assert.deepEqual(payload.amr, ['pwd', 'mfa']);
    idToken = tokens.id_token;
  });

  await t.test('after a key rotation tokens are signed with a new kid, the old key stays published', async () => {
    const rotated = await (await fetch(`${issuer}/__test/rotate-keys`, { method: 'POST' })).json();
    assert.notEqual(rotated.kid, kid);
    const published = (await (await fetch(discovery.jwks_uri)).json()).keys.map((k) => k.kid);
    assert.deepEqual(published, [rotated.kid, kid]);
    // The provider's session survives the rotation: single sign-on, no interaction.
    const auth = await authorize(agent, {});
    const code = callbackParams(auth.location, auth.state).get('code');
    const tokens = await exchange(code, auth.verifier);
    const { payload, protectedHeader } = await verifyIdToken(tokens.id_token, auth.nonce);
    assert.equal(protectedHeader.kid, rotated.kid);
    assert.equal(payload.acr, `${SELF_ASSERTED}-2fa`, 'the session keeps its second factor');
    assert.equal(decodeProtectedHeader(idToken).kid, kid);
  });

  await t.test('logout reaches the end-session endpoint and returns to the hub', async () => {
    await fetch(`${issuer}/__test/logouts`, { method: 'DELETE' });
    const url = new URL(discovery.end_session_endpoint);
    url.search = new URLSearchParams({
      id_token_hint: idToken,
      post_logout_redirect_uri: POST_LOGOUT_URI,
      state: 'bye',
    }).toString();
    const page = await agent.request(url.href);
    assert.equal(page.status, 200);
    const html = await page.text();
    const xsrf = /name="xsrf" value="([^"]+)"/.exec(html)[1];
    const confirm = await agent.request(formAction(html, url.href), {
      method: 'POST',
      form: { xsrf, logout: 'yes' },
    });
    assert.equal(confirm.status, 303);
    assert.equal(confirm.headers.get('location'), `${POST_LOGOUT_URI}?state=bye`);
    const { logouts } = await (await fetch(`${issuer}/__test/logouts`)).json();
    assert.equal(logouts.length, 1);
    assert.equal(logouts[0].sub, user.sub);
    assert.equal(logouts[0].post_logout_redirect_uri, POST_LOGOUT_URI);
    assert.equal(logouts[0].completed, true);
    // The provider's session is gone: the next authorization asks who signs in.
    const auth = await authorize(agent, {});
    assert.match(auth.location, /\/interaction\//);
  });
});

test('other sign-ins: administrator, another organisation, account switch, changed e-mail, abort', async (t) => {
  await t.test('the administrator with mfa gets consistency-checked-2fa', async () => {
    const agent = new Agent();
    const auth = await authorize(agent, {});
    const { location } = await signIn(agent, auth.location, { user: 'admin', mfa: '1' });
    const tokens = await exchange(callbackParams(location, auth.state).get('code'), auth.verifier);
    const { payload } = await verifyIdToken(tokens.id_token, auth.nonce);
    assert.equal(payload.sub, USERS.admin.sub);
    assert.equal(payload.acr, 'https://proconnect.gouv.fr/assurance/consistency-checked-2fa');
  });

  await t.test('mfa=amr: a second factor without the certified level', async () => {
    const agent = new Agent();
    const auth = await authorize(agent, {});
    const { location } = await signIn(agent, auth.location, { user: 'other', mfa: 'amr' });
    const tokens = await exchange(callbackParams(location, auth.state).get('code'), auth.verifier);
    const { payload } = await verifyIdToken(tokens.id_token, auth.nonce);
    assert.equal(payload.siret, USERS.other.siret);
    assert.equal(payload.acr, SELF_ASSERTED);
    assert.deepEqual(payload.amr, ['pwd', 'mfa']);
  });

  await t.test('“try another account”: prompt=login, then another user ends the first session', async () => {
    const agent = new Agent();
    const first = await authorize(agent, {});
    await signIn(agent, first.location, { user: 'agent' });
    const auth = await authorize(agent, { prompt: 'login' });
    assert.match(auth.location, /\/interaction\//, 'prompt=login always shows the form');
    // oidc-provider answers the resume with a self-submitting form ending the previous
    // account's session (xsrf, logout=yes), then carries on to the hub.
    const switched = await signIn(agent, auth.location, { user: 'other' });
    assert.equal(switched.res.status, 200);
    const html = await switched.res.text();
    const xsrf = /name="xsrf" value="([^"]+)"/.exec(html)[1];
    const { location } = await agent.follow(formAction(html, switched.location), {
      method: 'POST',
      form: { xsrf, logout: 'yes' },
    });
    const tokens = await exchange(callbackParams(location, auth.state).get('code'), auth.verifier);
    const { payload } = await verifyIdToken(tokens.id_token, auth.nonce);
    assert.equal(payload.sub, USERS.other.sub);
  });

  await t.test('changed-email: the same sub signs in with its previous, then its new address', async () => {
    const user = USERS['changed-email'];
    const signInAs = async () => {
      const agent = new Agent();
      const auth = await authorize(agent, {});
      const { location } = await signIn(agent, auth.location, { user: 'changed-email' });
      const tokens = await exchange(callbackParams(location, auth.state).get('code'), auth.verifier);
      return (await verifyIdToken(tokens.id_token, auth.nonce)).payload;
    };
    const set = (email) =>
      fetch(`${issuer}/__test/users/changed-email`, { method: 'POST', body: JSON.stringify({ email }) });
    assert.equal((await set(user.previous_email)).status, 200);
    const before = await signInAs();
    assert.equal((await set(user.email)).status, 200);
    const now = await signInAs();
    assert.equal(before.sub, now.sub);
    assert.deepEqual([before.email, now.email], [user.previous_email, user.email]);
  });

  await t.test('cancelling the sign-in returns access_denied to the hub', async () => {
    const agent = new Agent();
    const auth = await authorize(agent, {});
    const html = await (await agent.request(auth.location)).text();
    const abort = new URL(/action="([^"]+\/abort)"/.exec(html)[1], auth.location).href;
    const { location } = await agent.follow(abort, { method: 'POST', form: {} });
    assert.equal(callbackParams(location, auth.state).get('error'), 'access_denied');
  });
});

test('a rotation with retire=1 withdraws the previous keys from the JWKS', async () => {
  const rotated = await (await fetch(`${issuer}/__test/rotate-keys?retire=1`, { method: 'POST' })).json();
  assert.deepEqual(rotated.kids, [rotated.kid]);
  const published = (await (await fetch(discovery.jwks_uri)).json()).keys.map((k) => k.kid);
  assert.deepEqual(published, [rotated.kid]);
});

// Misbehaving on purpose: /__test/misbehave arms one-shot faults on the next token or userinfo
// response; each test shows the fault is visible and gone at the next response.

const misbehave = async (method, body) => {
  const res = await fetch(`${issuer}/__test/misbehave`, {
    method,
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, body: await res.json() };
};

test('misbehaving on purpose: one-shot faults on the next token and userinfo responses', async (t) => {
  // One agent signed in once: every later authorization is answered by single sign-on.
  const agent = new Agent();
  const first = await authorize(agent, {});
  await signIn(agent, first.location, { user: 'agent' });

  // A fresh code for the agent: single sign-on, or the form again once the grant is revoked.
  const code = async () => {
    const auth = await authorize(agent, {});
    if (/\/interaction\//.test(auth.location)) {
      auth.location = (await signIn(agent, auth.location, { user: 'agent' })).location;
    }
    return { ...auth, code: callbackParams(auth.location, auth.state).get('code') };
  };
  // A full exchange: the raw token response (no check) and what was sent.
  const tokens = async () => {
    const auth = await code();
    const res = await tokenRequest(auth.code, auth.verifier);
    assert.equal(res.status, 200);
    return { auth, body: await res.json() };
  };
  // The ID token's signature checked against the JWKS, nothing else.
  const verifySignature = async (jwt) =>
    jwtVerify(jwt, await jwks(), { algorithms: ['RS256'] });
  // A normal answer again: the fault cleared itself.
  const backToNormal = async () => {
    assert.deepEqual((await misbehave('GET')).body, { armed: {} });
    const { auth, body } = await tokens();
    const { payload } = await verifyIdToken(body.id_token, auth.nonce);
    assert.equal(payload.sub, USERS.agent.sub);
  };
  const published = async () => (await (await fetch(discovery.jwks_uri)).json()).keys.map((k) => k.kid);

  await t.test('the switches: GET shows what is armed, POST arms, DELETE disarms, bad requests change nothing', async () => {
    assert.deepEqual(await misbehave('GET'), { status: 200, body: { armed: {} } });
    assert.deepEqual(await misbehave('POST', { idToken: 'wrong-aud', userinfo: 'foreign-key' }), {
      status: 200,
      body: { armed: { idToken: 'wrong-aud', userinfo: 'foreign-key' } },
    });
    assert.deepEqual((await misbehave('POST', { token: 'down' })).body, {
      armed: { idToken: 'wrong-aud', userinfo: 'foreign-key', token: 'down' },
    });
    for (const bad of [{ idToken: 'nope' }, { userinfo: 'nonce-mismatch' }, { idToken: 'expired', other: 'x' }, {}, []]) {
      const { status, body } = await misbehave('POST', bad);
      assert.equal(status, 400, JSON.stringify(bad));
      assert.ok(body.error);
      assert.deepEqual(body.armed, { idToken: 'wrong-aud', userinfo: 'foreign-key', token: 'down' });
    }
    assert.deepEqual(await misbehave('DELETE'), { status: 200, body: { armed: {} } });
    await backToNormal();
  });

  await t.test('idToken foreign-key: signed by a key whose kid is in no JWKS', async () => {
    await misbehave('POST', { idToken: 'foreign-key' });
    const { auth, body } = await tokens();
    const { kid, alg } = decodeProtectedHeader(body.id_token);
    assert.equal(alg, 'RS256');
    assert.ok(!(await published()).includes(kid), 'a refetched JWKS does not list it either');
    await assert.rejects(verifySignature(body.id_token), errors.JWKSNoMatchingKey);
    // Only the key differs: the claims are the normal ones.
    const payload = decodeJwt(body.id_token);
    assert.equal(payload.aud, CLIENT_ID);
    assert.equal(payload.iss, issuer);
    assert.equal(payload.nonce, auth.nonce);
    await backToNormal();
  });

  await t.test('idToken foreign-key-same-kid: the current kid, another key: the signature fails', async () => {
    await misbehave('POST', { idToken: 'foreign-key-same-kid' });
    const { body } = await tokens();
    const { kid } = decodeProtectedHeader(body.id_token);
    assert.equal(kid, (await published())[0]);
    await assert.rejects(verifySignature(body.id_token), errors.JWSSignatureVerificationFailed);
    await backToNormal();
  });

  await t.test('idToken wrong-aud: validly signed, for another client', async () => {
    await misbehave('POST', { idToken: 'wrong-aud' });
    const { auth, body } = await tokens();
    const { payload, protectedHeader } = await verifySignature(body.id_token);
    assert.equal(protectedHeader.kid, (await published())[0], 're-signed with the current key');
    assert.notEqual(payload.aud, CLIENT_ID);
    assert.equal(payload.nonce, auth.nonce);
    await assert.rejects(verifyIdToken(body.id_token, auth.nonce), (err) => err.claim === 'aud');
    await backToNormal();
  });

  await t.test('idToken wrong-iss: validly signed, from another issuer', async () => {
    await misbehave('POST', { idToken: 'wrong-iss' });
    const { auth, body } = await tokens();
    const { payload } = await verifySignature(body.id_token);
    assert.notEqual(payload.iss, issuer);
    await assert.rejects(verifyIdToken(body.id_token, auth.nonce), (err) => err.claim === 'iss');
    await backToNormal();
  });

  await t.test('idToken expired: validly signed, expired an hour ago', async () => {
    await misbehave('POST', { idToken: 'expired' });
    const { auth, body } = await tokens();
    const payload = decodeJwt(body.id_token);
    const now = Math.floor(Date.now() / 1000);
    assert.ok(payload.exp <= now - 3600 + 5, `exp ${payload.exp}`);
    assert.ok(payload.iat <= now - 3600, `iat ${payload.iat}`);
    await assert.rejects(
      jwtVerify(body.id_token, await jwks(), { issuer, audience: CLIENT_ID, clockTolerance: 300 }),
      errors.JWTExpired,
    );
    await assert.rejects(verifyIdToken(body.id_token, auth.nonce), errors.JWTExpired);
    await backToNormal();
  });

  await t.test('idToken nonce-mismatch and no-nonce: validly signed, not the nonce sent', async () => {
    await misbehave('POST', { idToken: 'nonce-mismatch' });
    let { auth, body } = await tokens();
    let { payload } = await jwtVerify(body.id_token, await jwks(), { issuer, audience: CLIENT_ID });
    assert.ok(payload.nonce);
    assert.notEqual(payload.nonce, auth.nonce);
    await backToNormal();

    await misbehave('POST', { idToken: 'no-nonce' });
    ({ auth, body } = await tokens());
    ({ payload } = await jwtVerify(body.id_token, await jwks(), { issuer, audience: CLIENT_ID }));
    assert.ok(!('nonce' in payload));
    assert.equal(payload.sub, USERS.agent.sub);
    await backToNormal();
  });

  await t.test('idToken alg-none: an unsigned token', async () => {
    await misbehave('POST', { idToken: 'alg-none' });
    const { auth, body } = await tokens();
    const [header, , signature] = body.id_token.split('.');
    assert.equal(signature, '');
    assert.equal(JSON.parse(Buffer.from(header, 'base64url')).alg, 'none');
    assert.equal(decodeJwt(body.id_token).nonce, auth.nonce);
    await assert.rejects(verifySignature(body.id_token));
    await backToNormal();
  });

  await t.test('idToken hs256: HMAC with the client secret (algorithm confusion)', async () => {
    await misbehave('POST', { idToken: 'hs256' });
    const { body } = await tokens();
    assert.equal(decodeProtectedHeader(body.id_token).alg, 'HS256');
    await assert.rejects(verifySignature(body.id_token));
    // It really is an HMAC with the client secret: a client accepting HS256 would take it.
    const secret = new TextEncoder().encode(CLIENT_SECRET);
    const { payload } = await jwtVerify(body.id_token, secret, { issuer, audience: CLIENT_ID });
    assert.equal(payload.sub, USERS.agent.sub);
    await backToNormal();
  });

  const userinfo = async (accessToken) => {
    const res = await fetch(discovery.userinfo_endpoint, { headers: { authorization: `Bearer ${accessToken}` } });
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type'), /^application\/jwt/);
    return res.text();
  };

  await t.test('userinfo foreign-key and wrong-aud: the next userinfo JWT misbehaves', async () => {
    // The ID token of the same exchange is untouched: the slots are independent.
    await misbehave('POST', { userinfo: 'foreign-key' });
    const { auth, body } = await tokens();
    await verifyIdToken(body.id_token, auth.nonce);
    const foreign = await userinfo(body.access_token);
    assert.ok(!(await published()).includes(decodeProtectedHeader(foreign).kid));
    await assert.rejects(verifySignature(foreign), errors.JWKSNoMatchingKey);
    assert.equal(decodeJwt(foreign).email, USERS.agent.email);
    const normal = await jwtVerify(await userinfo(body.access_token), await jwks(), { issuer, audience: CLIENT_ID });
    assert.equal(normal.payload.email, USERS.agent.email);

    await misbehave('POST', { userinfo: 'wrong-aud' });
    const other = await userinfo(body.access_token);
    const { payload } = await verifySignature(other);
    assert.notEqual(payload.aud, CLIENT_ID);
    assert.equal(payload.sub, USERS.agent.sub);
    await jwtVerify(await userinfo(body.access_token), await jwks(), { issuer, audience: CLIENT_ID });
    assert.deepEqual((await misbehave('GET')).body, { armed: {} });
  });

  await t.test('userinfo accepts the other signature and claim faults too', async () => {
    const { body } = await tokens();
    for (const fault of ['foreign-key-same-kid', 'wrong-iss', 'expired', 'alg-none', 'hs256']) {
      await misbehave('POST', { userinfo: fault });
      const jwt = await userinfo(body.access_token);
      await assert.rejects(jwtVerify(jwt, await jwks(), { issuer, audience: CLIENT_ID, algorithms: ['RS256'] }), fault);
      assert.equal(decodeJwt(jwt).sub, USERS.agent.sub);
      await jwtVerify(await userinfo(body.access_token), await jwks(), { issuer, audience: CLIENT_ID });
    }
    assert.deepEqual((await misbehave('GET')).body, { armed: {} });
  });

  await t.test('token error: 400 invalid_grant, the code is used up', async () => {
    await misbehave('POST', { token: 'error' });
    const auth = await code();
    const res = await tokenRequest(auth.code, auth.verifier);
    assert.equal(res.status, 400);
    assert.equal((await res.json()).error, 'invalid_grant');
    // The exchange did run: the same code is refused for real now (and, as a replayed code,
    // makes oidc-provider revoke the grant: the next authorization shows the form again).
    const again = await tokenRequest(auth.code, auth.verifier);
    assert.equal(again.status, 400);
    assert.equal((await again.json()).error, 'invalid_grant');
    const next = await authorize(agent, {});
    assert.match(next.location, /\/interaction\//);
    await backToNormal();
  });

  await t.test('token down: 503, the code stays usable', async () => {
    await misbehave('POST', { token: 'down' });
    const auth = await code();
    const res = await tokenRequest(auth.code, auth.verifier);
    assert.equal(res.status, 503);
    await res.text();
    const retry = await tokenRequest(auth.code, auth.verifier);
    assert.equal(retry.status, 200);
    await verifyIdToken((await retry.json()).id_token, auth.nonce);
    assert.deepEqual((await misbehave('GET')).body, { armed: {} });
  });

  await t.test('a token fault fires first; an idToken fault waits for the next ID token', async () => {
    await misbehave('POST', { token: 'down', idToken: 'wrong-aud' });
    const auth = await code();
    assert.equal((await tokenRequest(auth.code, auth.verifier)).status, 503);
    assert.deepEqual((await misbehave('GET')).body, { armed: { idToken: 'wrong-aud' } });
    const res = await tokenRequest(auth.code, auth.verifier);
    assert.equal(res.status, 200);
    assert.notEqual(decodeJwt((await res.json()).id_token).aud, CLIENT_ID);
    await backToNormal();
  });

  await t.test('DELETE disarms before anything fires', async () => {
    await misbehave('POST', { idToken: 'foreign-key', token: 'error' });
    await misbehave('DELETE');
    await backToNormal();
  });
});
