//! OpenID Connect's checks, as the hub makes them of ProConnect's answers (docs/PROCONNECT.md):
//! a signed JWT (ID token, userinfo) verified with the provider's published keys, the
//! algorithm pinned — never taken from the token's header —, the key found by `kid`, the
//! issuer, audience and expiry checked with a small leeway; and PKCE's challenge.

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use chrono::{DateTime, Utc};
use jsonwebtoken::{Algorithm, DecodingKey, Validation, jwk::JwkSet};
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};

/// The one algorithm the hub accepts from ProConnect.
pub const ALGORITHM: Algorithm = Algorithm::RS256;

/// The clock difference tolerated on `exp` (and `iat`), in seconds.
pub const LEEWAY_SECS: i64 = 60;

/// Why a JWT from the provider was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OidcError {
    /// Signed by a key the provider does not publish (or no longer): the caller fetches its
    /// keys again, once, before giving up.
    #[error("the token is signed by an unknown key {0:?}")]
    UnknownKey(Option<String>),
    /// Anything else: malformed, another algorithm, a bad signature, another issuer or
    /// audience, expired.
    #[error("the token is invalid: {0}")]
    Invalid(String),
}

/// What a verified JWT must say besides its signature.
pub struct Expected<'a> {
    pub issuer: &'a str,
    /// The hub's client id.
    pub audience: &'a str,
    pub now: DateTime<Utc>,
    /// Whether the token must carry `exp` (an ID token); without it (userinfo), `exp` is checked
    /// only when present.
    pub expires: bool,
}

/// Verifies a JWT signed by one of `keys` with [`ALGORITHM`], issued by and for whom
/// `expected` says, not expired; answers its claims.
///
/// # Errors
/// `UnknownKey` when its `kid` names no key of `keys`; `Invalid` otherwise.
pub fn verify(token: &str, keys: &JwkSet, expected: &Expected<'_>) -> Result<Map<String, Value>, OidcError> {
    let header = jsonwebtoken::decode_header(token).map_err(|e| OidcError::Invalid(e.to_string()))?;
    // The header's algorithm is only compared with the pinned one, never used.
    if header.alg != ALGORITHM {
        return Err(OidcError::Invalid(format!("{:?} is not the algorithm agreed ({ALGORITHM:?})", header.alg)));
    }
    let jwk = match &header.kid {
        Some(kid) => keys.find(kid),
        // A provider publishing a single key may omit the kid.
        None if keys.keys.len() == 1 => keys.keys.first(),
        None => None,
    }
    .ok_or_else(|| OidcError::UnknownKey(header.kid.clone()))?;
    let key = DecodingKey::from_jwk(jwk).map_err(|e| OidcError::Invalid(format!("the provider's key: {e}")))?;
    let mut validation = Validation::new(ALGORITHM);
    validation.set_issuer(&[expected.issuer]);
    validation.set_audience(&[expected.audience]);
    let required: &[&str] = if expected.expires { &["exp", "iss", "aud", "sub"] } else { &["iss", "aud", "sub"] };
    validation.required_spec_claims = required.iter().map(|s| (*s).to_owned()).collect();
    // Expiry against the injected clock, below.
    validation.validate_exp = false;
    let data = jsonwebtoken::decode::<Map<String, Value>>(token, &key, &validation)
        .map_err(|e| OidcError::Invalid(e.to_string()))?;
    let claims = data.claims;
    let exp = claims.get("exp").and_then(Value::as_i64);
    if expected.expires && exp.is_none() {
        return Err(OidcError::Invalid("no exp".into()));
    }
    if exp.is_some_and(|exp| exp + LEEWAY_SECS <= expected.now.timestamp()) {
        return Err(OidcError::Invalid("the token has expired".into()));
    }
    if claims.get("iat").and_then(Value::as_i64).is_some_and(|iat| iat > expected.now.timestamp() + LEEWAY_SECS) {
        return Err(OidcError::Invalid("the token was issued in the future".into()));
    }
    Ok(claims)
}

/// PKCE's `S256` challenge of a verifier.
pub fn pkce_challenge(verifier: &str) -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_pkce_challenge_is_rfc_7636s() {
        // RFC 7636, appendix B.
        assert_eq!(
            pkce_challenge("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"),
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
        );
    }

    #[test]
    fn another_algorithm_or_an_unsigned_token_is_refused_before_any_key_is_looked_at() {
        let keys = JwkSet { keys: Vec::new() };
        let expected = Expected { issuer: "https://idp.example", audience: "hub", now: Utc::now(), expires: true };
        let header = |alg: &str| URL_SAFE_NO_PAD.encode(format!(r#"{{"alg":"{alg}","kid":"k"}}"#));
        let payload = URL_SAFE_NO_PAD.encode(r#"{"sub":"s"}"#);
        for alg in ["none", "HS256", "ES256", "PS256"] {
            let token = format!("{}.{payload}.", header(alg));
            assert!(matches!(verify(&token, &keys, &expected), Err(OidcError::Invalid(_))), "{alg}");
        }
        let rs256 = format!("{}.{payload}.c2ln", header("RS256"));
        assert_eq!(verify(&rs256, &keys, &expected), Err(OidcError::UnknownKey(Some("k".into()))));
    }
}
