// Test-only faults for the stand-in ProConnect: POST /__test/misbehave arms one-shot faults
// that make the NEXT token endpoint or userinfo response misbehave (a foreign signing key, a
// wrong audience or issuer, an expired token, a bad nonce, alg none, HS256 with the client
// secret, an error or an outage of the token endpoint), so the hub's refusal of bad tokens can
// be tested black-box. README.md ("Misbehaving on purpose") documents the switches.
//
// The faults are applied by a Koa middleware on the provider, after oidc-provider produced its
// answer: the JWT it issued is decoded, changed, and signed again with the very private key that
// signed it (same header, same claim order), so only the armed fault differs. With nothing
// armed the middleware changes nothing.

import { randomBytes } from 'node:crypto';

import { CompactSign, base64url, decodeJwt, decodeProtectedHeader, generateKeyPair, importJWK } from 'jose';

// The faults each slot accepts.
const JWT_FAULTS = ['foreign-key', 'foreign-key-same-kid', 'wrong-aud', 'wrong-iss', 'expired', 'alg-none', 'hs256'];
export const FAULTS = {
  idToken: [...JWT_FAULTS, 'nonce-mismatch', 'no-nonce', 'no-second-factor'],
  userinfo: JWT_FAULTS,
  token: ['error', 'down'],
};

const TOKEN_PATH = '/token';
const epoch = () => Math.floor(Date.now() / 1000);
const encodeJson = (value) => base64url.encode(JSON.stringify(value));

// `clientId`, `clientSecret`: the client's; `signingKeys()`: the provider's current private JWKs
// (they change on a key rotation); `log(line)`.
export function misbehaviour({ clientId, clientSecret, signingKeys, log = () => {} }) {
  let armed = {};
  let foreign;
  const imported = new Map();

  // A throwaway RSA key, never published: its kid is in no JWKS.
  async function foreignKey() {
    foreign ??= generateKeyPair('RS256').then(({ privateKey }) => ({
      privateKey,
      kid: `foreign-${randomBytes(4).toString('hex')}`,
    }));
    return foreign;
  }

  // The provider's private key that signed a token, by kid.
  async function realKey(kid) {
    if (!imported.has(kid)) {
      const jwk = signingKeys().find((key) => key.kid === kid);
      if (!jwk) throw new Error(`misbehave: no signing key with kid ${kid}`);
      imported.set(kid, await importJWK(jwk, jwk.alg ?? 'RS256'));
    }
    return imported.get(kid);
  }

  const sign = (header, payload, key) =>
    new CompactSign(new TextEncoder().encode(JSON.stringify(payload))).setProtectedHeader(header).sign(key);

  // The JWT `jwt` with `fault` applied.
  async function rewrite(jwt, fault) {
    const header = decodeProtectedHeader(jwt);
    const payload = decodeJwt(jwt);
    switch (fault) {
      case 'foreign-key': {
        const { privateKey, kid } = await foreignKey();
        return sign({ ...header, kid }, payload, privateKey);
      }
      case 'foreign-key-same-kid':
        return sign(header, payload, (await foreignKey()).privateKey);
      case 'alg-none':
        // Unsigned: the original header (kid kept) with alg none, an empty signature.
        return `${encodeJson({ ...header, alg: 'none' })}.${encodeJson(payload)}.`;
      case 'hs256':
        // Algorithm confusion: HMAC with the client secret, the original kid kept, so only the
        // algorithm check can refuse it.
        return sign({ ...header, alg: 'HS256' }, payload, new TextEncoder().encode(clientSecret));
      case 'wrong-aud':
        payload.aud = `other-${clientId}`;
        break;
      case 'wrong-iss':
        payload.iss = `${payload.iss}/other-issuer`;
        break;
      case 'expired': {
        // Expired an hour ago, issued an hour before that (the token's lifetime kept).
        const lifetime = payload.exp && payload.iat ? payload.exp - payload.iat : 3600;
        payload.exp = epoch() - 3600;
        payload.iat = payload.exp - lifetime;
        if (payload.auth_time > payload.iat) payload.auth_time = payload.iat;
        break;
      }
      case 'nonce-mismatch':
        payload.nonce = `other-${randomBytes(8).toString('hex')}`;
        break;
      case 'no-nonce':
        delete payload.nonce;
        break;
      case 'no-second-factor':
        // What ProConnect may answer to a step-up it could not satisfy: the lower level, validly
        // signed (this provider itself never issues a code below an essential acr).
        payload.acr = 'https://proconnect.gouv.fr/assurance/self-asserted';
        payload.amr = ['pwd'];
        break;
      default:
        throw new Error(`misbehave: unknown fault ${fault}`);
    }
    return sign(header, payload, await realKey(header.kid));
  }

  // Disarms and returns the fault of `slot`.
  function take(slot) {
    const fault = armed[slot];
    delete armed[slot];
    log(`misbehave: ${slot}=${fault}`);
    return fault;
  }

  // Registered with provider.use(): runs around every oidc-provider request.
  async function middleware(ctx, next) {
    if (armed.token && ctx.method === 'POST' && ctx.path === TOKEN_PATH) {
      const fault = take('token');
      ctx.set('Cache-Control', 'no-store');
      if (fault === 'down') {
        // Like a proxy in front of a provider that is down: oidc-provider never sees the
        // request, the code stays unused.
        ctx.status = 503;
        ctx.type = 'text/plain; charset=utf-8';
        ctx.body = 'Service Unavailable (test fault)';
        return;
      }
      // 'error': the exchange runs (the code is consumed), its answer is replaced.
      await next();
      ctx.status = 400;
      ctx.body = { error: 'invalid_grant', error_description: 'grant request is invalid' };
      return;
    }
    await next();
    const route = ctx.oidc?.route;
    if (armed.idToken && route === 'token' && ctx.status === 200 && typeof ctx.body?.id_token === 'string') {
      ctx.body = { ...ctx.body, id_token: await rewrite(ctx.body.id_token, take('idToken')) };
    } else if (armed.userinfo && route === 'userinfo' && ctx.status === 200 && typeof ctx.body === 'string') {
      const type = ctx.type;
      ctx.body = await rewrite(ctx.body, take('userinfo'));
      ctx.type = type;
    }
  }

  return {
    middleware,
    armed: () => ({ ...armed }),
    // Arms every fault in `request` ({"idToken": …, "userinfo": …, "token": …}), keeping the
    // other slots; all or nothing. Returns an error message, or undefined.
    arm(request) {
      if (typeof request !== 'object' || request === null || Array.isArray(request)) {
        return 'expected a JSON object';
      }
      const entries = Object.entries(request);
      if (!entries.length) return `expected one of ${Object.keys(FAULTS).join(', ')}`;
      for (const [slot, fault] of entries) {
        if (!FAULTS[slot]) return `unknown slot ${slot}: expected one of ${Object.keys(FAULTS).join(', ')}`;
        if (!FAULTS[slot].includes(fault)) {
          return `unknown ${slot} fault ${JSON.stringify(fault)}: expected one of ${FAULTS[slot].join(', ')}`;
        }
      }
      Object.assign(armed, request);
      return undefined;
    },
    disarm() {
      armed = {};
    },
  };
}
