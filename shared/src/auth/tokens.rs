//! API access tokens: ES256 JWTs valid one hour, checked against the injected clock. Only the
//! function that issues tokens holds a private key; every function verifies with the public
//! keys (an RFC 7517 JWK set, served at `/.well-known/jwks.json`), chosen by the `kid` of the
//! token's header, so that two keys are live during a rotation.
//!
//! ES256 rather than EdDSA: both are in jsonwebtoken's rust_crypto backend, but ES256 is the
//! algorithm every JOSE library and gateway verifies (RFC 7518 "Recommended+"), and the
//! backend derives JWKs from P-256 keys while it has no such support for Ed25519 keys. Its
//! signatures are deterministic (RFC 6979): signing needs no random nonce.

use base64::{Engine, engine::general_purpose::STANDARD, engine::general_purpose::URL_SAFE_NO_PAD};
use std::{collections::HashMap, sync::Mutex};

use chrono::{DateTime, Utc};
use jsonwebtoken::{
    Algorithm, DecodingKey, EncodingKey, Header, Validation,
    jwk::{
        AlgorithmParameters, CommonParameters, EllipticCurve, EllipticCurveKeyParameters, EllipticCurveKeyType, Jwk,
        JwkSet, KeyAlgorithm, PublicKeyUse, ThumbprintHash,
    },
};
use p256::{
    SecretKey,
    elliptic_curve::sec1::{Coordinates, ToEncodedPoint},
    pkcs8::{DecodePrivateKey, EncodePrivateKey},
};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::{
    domain::{BranchCode, OrgRef, OrgType, ProcessCode, Scope, Siret},
    lock,
};

pub const TOKEN_LIFETIME_SECS: i64 = 3600;
const ISSUER: &str = "hubee";
/// The only algorithm tokens are signed and accepted with.
const ALGORITHM: Algorithm = Algorithm::ES256;

/// What a token says about its holder.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Claims {
    /// The client id.
    pub sub: String,
    pub scope: Scope,
    pub siret: Siret,
    pub branch: BranchCode,
    /// For an SI client, the procedure of its subscription.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub process_code: Option<ProcessCode>,
    pub iat: i64,
    pub exp: i64,
    pub iss: String,
    pub jti: String,
}

impl Claims {
    /// The caller's organisation as the contract names it (`transmitter`, `recipient`).
    pub fn org(&self) -> OrgRef {
        let org_type = match self.scope {
            Scope::Osl => OrgType::Osl,
            Scope::Si => OrgType::Si,
            Scope::Admin | Scope::Datapass => OrgType::Admin,
        };
        OrgRef { org_type, company_register: self.siret.clone(), branch_code: self.branch.clone() }
    }

    pub fn is_admin(&self) -> bool {
        self.scope == Scope::Admin
    }
}

#[derive(Debug, thiserror::Error)]
pub enum TokenError {
    #[error("invalid token: {0}")]
    Invalid(String),
    #[error("expired token")]
    Expired,
    /// A key cannot be used (malformed, or not of the expected kind), or this function holds no
    /// signing key.
    #[error("unusable token key: {0}")]
    Key(String),
}

/// A private ES256 key (P-256) and its `kid`, the RFC 7638 thumbprint of its public half.
#[derive(Clone)]
pub struct SigningKey {
    pkcs8: Vec<u8>,
    public: Jwk,
}

/// A signing key as it is stored: the value of the Secrets Manager secret on AWS, an entry of
/// `keys.json` locally. `kid` is public (it is in every token's header).
#[derive(Clone, Serialize, Deserialize)]
pub struct StoredSigningKey {
    pub kid: String,
    /// The PKCS#8 DER encoding of the private key, base64.
    pub private_key: String,
}

impl std::fmt::Debug for StoredSigningKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StoredSigningKey").field("kid", &self.kid).finish_non_exhaustive()
    }
}

impl SigningKey {
    /// A new random key.
    pub fn generate() -> Self {
        loop {
            // A random scalar is valid but for a chance of about 2^-32 (zero or past the order).
            let bytes: [u8; 32] = rand::random();
            if let Ok(secret) = SecretKey::from_slice(&bytes)
                && let Ok(key) = Self::from_secret(&secret)
            {
                return key;
            }
        }
    }

    /// # Errors
    /// `Key` when the private key is not a P-256 PKCS#8 key, or `kid` is not its thumbprint.
    pub fn from_stored(stored: &StoredSigningKey) -> Result<Self, TokenError> {
        let der = STANDARD
            .decode(stored.private_key.trim())
            .map_err(|_| TokenError::Key("the private key is not base64".into()))?;
        let secret = SecretKey::from_pkcs8_der(&der)
            .map_err(|_| TokenError::Key("the private key is not a P-256 PKCS#8 key".into()))?;
        let key = Self::from_secret(&secret)?;
        if key.kid() != stored.kid {
            return Err(TokenError::Key(format!("the kid {:?} is not the key's thumbprint {}", stored.kid, key.kid())));
        }
        Ok(key)
    }

    fn from_secret(secret: &SecretKey) -> Result<Self, TokenError> {
        let pkcs8 = secret.to_pkcs8_der().map_err(|e| TokenError::Key(e.to_string()))?.as_bytes().to_vec();
        let point = secret.public_key().to_encoded_point(false);
        let Coordinates::Uncompressed { x, y } = point.coordinates() else {
            return Err(TokenError::Key("the public key has no coordinates".into()));
        };
        let mut public = Jwk {
            common: CommonParameters {
                public_key_use: Some(PublicKeyUse::Signature),
                key_algorithm: Some(KeyAlgorithm::ES256),
                ..CommonParameters::default()
            },
            algorithm: AlgorithmParameters::EllipticCurve(EllipticCurveKeyParameters {
                key_type: EllipticCurveKeyType::EC,
                curve: EllipticCurve::P256,
                x: URL_SAFE_NO_PAD.encode(x),
                y: URL_SAFE_NO_PAD.encode(y),
            }),
        };
        public.common.key_id = Some(public.thumbprint(ThumbprintHash::SHA256));
        Ok(Self { pkcs8, public })
    }

    pub fn kid(&self) -> &str {
        self.public.common.key_id.as_deref().unwrap_or_default()
    }

    /// The public half, as a JWK with its `kid`.
    pub fn public_jwk(&self) -> &Jwk {
        &self.public
    }

    pub fn to_stored(&self) -> StoredSigningKey {
        StoredSigningKey { kid: self.kid().to_owned(), private_key: STANDARD.encode(&self.pkcs8) }
    }
}

/// The keys of one function, built once per cold start: the public keys every token is verified
/// with, and, in the function that issues tokens only, the private key it signs with.
pub struct TokenKeys {
    signing: Option<(String, EncodingKey)>,
    verifying: Vec<(String, DecodingKey)>,
    public: JwkSet,
    validation: Validation,
    verified: Verified,
}

/// The claims of tokens whose signature was checked, by the token's SHA-256: a client sends the
/// same token with every call of its hour, and checking an ES256 signature costs a hundred
/// times a lookup. The keys never change in a process (they are read at start-up), so a token
/// verified once stays so; its expiry is checked at each use.
#[derive(Default)]
struct Verified(Mutex<HashMap<[u8; 32], Claims>>);

/// Tokens remembered at most; past it, the expired ones are dropped, then all if need be.
const VERIFIED_CAPACITY: usize = 10_000;

impl Verified {
    fn get(&self, digest: &[u8; 32]) -> Option<Claims> {
        lock(&self.0).get(digest).cloned()
    }

    fn remember(&self, digest: [u8; 32], claims: &Claims, now: i64) {
        let mut map = lock(&self.0);
        if map.len() >= VERIFIED_CAPACITY {
            map.retain(|_, c| c.exp > now);
            if map.len() >= VERIFIED_CAPACITY {
                map.clear();
            }
        }
        map.insert(digest, claims.clone());
    }
}

impl TokenKeys {
    /// Verifies tokens signed by any key of `public` (each with a `kid`, ES256 on P-256), and
    /// issues none.
    ///
    /// # Errors
    /// `Key` for an empty set, a key without `kid` or of another kind, or a `kid` twice.
    pub fn verifying(public: JwkSet) -> Result<Self, TokenError> {
        if public.keys.is_empty() {
            return Err(TokenError::Key("no public key".into()));
        }
        let mut verifying: Vec<(String, DecodingKey)> = Vec::new();
        for jwk in &public.keys {
            let kid = jwk.common.key_id.clone().ok_or_else(|| TokenError::Key("a public key has no kid".into()))?;
            let es256 = matches!(&jwk.algorithm, AlgorithmParameters::EllipticCurve(p) if p.curve == EllipticCurve::P256)
                && jwk.common.key_algorithm.is_none_or(|a| a == KeyAlgorithm::ES256);
            if !es256 {
                return Err(TokenError::Key(format!("the public key {kid} is not an ES256 (P-256) key")));
            }
            if verifying.iter().any(|(k, _)| *k == kid) {
                return Err(TokenError::Key(format!("two public keys have the kid {kid}")));
            }
            let key = DecodingKey::from_jwk(jwk).map_err(|e| TokenError::Key(format!("{kid}: {e}")))?;
            verifying.push((kid, key));
        }
        let mut validation = Validation::new(ALGORITHM);
        // Expiry is checked against the injected clock, in `verify`.
        validation.validate_exp = false;
        validation.required_spec_claims = ["exp", "iss", "sub"].iter().map(|s| (*s).to_owned()).collect();
        validation.set_issuer(&[ISSUER]);
        Ok(Self { signing: None, verifying, public, validation, verified: Verified::default() })
    }

    /// Signs with `key` and verifies with `public`, which must hold the key's public half: a
    /// token its verifiers do not know would be refused everywhere.
    ///
    /// # Errors
    /// As [`Self::verifying`], and `Key` when `public` lacks the signing key.
    pub fn signing(key: &SigningKey, public: JwkSet) -> Result<Self, TokenError> {
        let published = public.find(key.kid()).is_some_and(|jwk| jwk.algorithm == key.public.algorithm);
        if !published {
            return Err(TokenError::Key(format!("the signing key {} is not among the public keys", key.kid())));
        }
        let mut keys = Self::verifying(public)?;
        keys.signing = Some((key.kid().to_owned(), EncodingKey::from_ec_der(&key.pkcs8)));
        Ok(keys)
    }

    /// Signs with `key` and verifies with it alone (the local hub, tests).
    ///
    /// # Errors
    /// `Key` when the key cannot be used.
    pub fn single(key: &SigningKey) -> Result<Self, TokenError> {
        Self::signing(key, JwkSet { keys: vec![key.public.clone()] })
    }

    /// The public keys tokens are verified with (`/.well-known/jwks.json`).
    pub fn public_keys(&self) -> &JwkSet {
        &self.public
    }

    /// A token for `sub` valid [`TOKEN_LIFETIME_SECS`] from `now`, with the signing key's `kid`.
    ///
    /// # Errors
    /// `Key` in a function that holds no signing key, or when signing fails.
    pub fn issue(
        &self,
        sub: &str,
        scope: Scope,
        siret: &Siret,
        branch: &BranchCode,
        process_code: Option<&ProcessCode>,
        now: DateTime<Utc>,
    ) -> Result<String, TokenError> {
        let Some((kid, key)) = &self.signing else {
            return Err(TokenError::Key("this function holds no signing key".into()));
        };
        let claims = Claims {
            sub: sub.to_owned(),
            scope,
            siret: siret.clone(),
            branch: branch.clone(),
            process_code: process_code.cloned(),
            iat: now.timestamp(),
            exp: now.timestamp() + TOKEN_LIFETIME_SECS,
            iss: ISSUER.into(),
            jti: uuid::Uuid::new_v4().to_string(),
        };
        let header = Header { kid: Some(kid.clone()), ..Header::new(ALGORITHM) };
        jsonwebtoken::encode(&header, &claims, key).map_err(|e| TokenError::Key(e.to_string()))
    }

    /// # Errors
    /// `Invalid` for a forged or malformed token, one of another algorithm or signed by a key
    /// that is not (or no longer) published; `Expired` past its expiry.
    pub fn verify(&self, token: &str, now: DateTime<Utc>) -> Result<Claims, TokenError> {
        let digest: [u8; 32] = Sha256::digest(token.as_bytes()).into();
        let claims = match self.verified.get(&digest) {
            Some(claims) => claims,
            None => {
                let claims = self.check_signature(token)?;
                if claims.exp > now.timestamp() {
                    self.verified.remember(digest, &claims, now.timestamp());
                }
                claims
            }
        };
        if claims.exp <= now.timestamp() {
            return Err(TokenError::Expired);
        }
        Ok(claims)
    }

    fn check_signature(&self, token: &str) -> Result<Claims, TokenError> {
        let header = jsonwebtoken::decode_header(token).map_err(|e| TokenError::Invalid(e.to_string()))?;
        if header.alg != ALGORITHM {
            return Err(TokenError::Invalid(format!("{:?} tokens are not accepted", header.alg)));
        }
        let kid = header.kid.ok_or_else(|| TokenError::Invalid("the token names no key (kid)".into()))?;
        let (_, key) = self
            .verifying
            .iter()
            .find(|(k, _)| *k == kid)
            .ok_or_else(|| TokenError::Invalid("the token's key is unknown".into()))?;
        let data = jsonwebtoken::decode::<Claims>(token, key, &self.validation)
            .map_err(|e| TokenError::Invalid(e.to_string()))?;
        Ok(data.claims)
    }
}

/// A JWK set from its JSON text (`HUBEE_TOKEN_PUBLIC_KEYS`).
///
/// # Errors
/// `Key` when the text is not a JWK set.
pub fn parse_public_keys(json: &str) -> Result<JwkSet, TokenError> {
    serde_json::from_str(json).map_err(|e| TokenError::Key(format!("not a JWK set: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ids() -> (Siret, BranchCode) {
        (Siret::parse("11000000000007").unwrap(), BranchCode::parse("00000").unwrap())
    }

    fn set(keys: &[&SigningKey]) -> JwkSet {
        JwkSet { keys: keys.iter().map(|k| k.public_jwk().clone()).collect() }
    }

    #[test]
    fn a_token_is_valid_one_hour_and_only_with_its_key() {
        let keys = TokenKeys::single(&SigningKey::generate()).unwrap();
        let now = Utc::now();
        let (siret, branch) = ids();
        let t = keys.issue("dgs-osl", Scope::Osl, &siret, &branch, None, now).unwrap();
        let claims = keys.verify(&t, now).unwrap();
        assert_eq!((claims.sub.as_str(), claims.scope), ("dgs-osl", Scope::Osl));
        assert!(keys.verify(&t, now + chrono::Duration::seconds(3599)).is_ok());
        assert!(matches!(keys.verify(&t, now + chrono::Duration::seconds(3600)), Err(TokenError::Expired)));
        assert!(TokenKeys::single(&SigningKey::generate()).unwrap().verify(&t, now).is_err(), "another key rejects it");
        assert!(keys.verify("not.a.token", now).is_err());
        let header = jsonwebtoken::decode_header(&t).unwrap();
        assert_eq!(header.alg, Algorithm::ES256);
        assert_eq!(header.kid.as_deref(), keys.public_keys().keys[0].common.key_id.as_deref());
    }

    #[test]
    fn the_memory_of_verified_tokens_is_bounded_and_drops_the_expired_first() {
        let keys = TokenKeys::single(&SigningKey::generate()).unwrap();
        let now = Utc::now();
        let (siret, branch) = ids();
        let t = keys.issue("dgs-osl", Scope::Osl, &siret, &branch, None, now).unwrap();
        let claims = keys.verify(&t, now).unwrap();
        let verified = Verified::default();
        let expired = Claims { exp: now.timestamp() - 1, ..claims.clone() };
        for i in 0..VERIFIED_CAPACITY - 1 {
            let digest: [u8; 32] = Sha256::digest(i.to_le_bytes()).into();
            verified.remember(digest, &expired, now.timestamp() - 10);
        }
        verified.remember([1; 32], &claims, now.timestamp());
        verified.remember([2; 32], &claims, now.timestamp());
        let map = verified.0.lock().unwrap();
        assert_eq!(map.len(), 2, "the expired ones made room");
        assert!(map.contains_key(&[1; 32]) && map.contains_key(&[2; 32]));
    }

    #[test]
    fn a_verifying_function_cannot_issue_tokens() {
        let key = SigningKey::generate();
        let (siret, branch) = ids();
        let verifier = TokenKeys::verifying(set(&[&key])).unwrap();
        let issued = verifier.issue("admin", Scope::Admin, &siret, &branch, None, Utc::now());
        assert!(matches!(issued, Err(TokenError::Key(_))), "no private key, no token");
        let t =
            TokenKeys::single(&key).unwrap().issue("admin", Scope::Admin, &siret, &branch, None, Utc::now()).unwrap();
        assert_eq!(verifier.verify(&t, Utc::now()).unwrap().scope, Scope::Admin, "but it verifies them");
    }

    /// What the public keys (or a verifying function's memory) give away cannot mint a token:
    /// an HS256 token keyed with the published key, an unsigned one, or one signed by another
    /// key under a published kid are all refused.
    #[test]
    fn forged_tokens_are_refused_whatever_their_header_says() {
        let key = SigningKey::generate();
        let keys = TokenKeys::single(&key).unwrap();
        let (siret, branch) = ids();
        let now = Utc::now();
        let genuine = keys.issue("dgs-osl", Scope::Osl, &siret, &branch, None, now).unwrap();
        let claims = keys.verify(&genuine, now).unwrap();
        let admin = Claims { scope: Scope::Admin, ..claims };

        let published = serde_json::to_vec(key.public_jwk()).unwrap();
        for secret in [published.as_slice(), b"".as_slice()] {
            let header = Header { kid: Some(key.kid().to_owned()), ..Header::new(Algorithm::HS256) };
            let hs256 = jsonwebtoken::encode(&header, &admin, &EncodingKey::from_secret(secret)).unwrap();
            assert!(matches!(keys.verify(&hs256, now), Err(TokenError::Invalid(_))), "HS256 is refused");
        }
        let other = SigningKey::generate();
        let header = Header { kid: Some(key.kid().to_owned()), ..Header::new(Algorithm::ES256) };
        let impostor = jsonwebtoken::encode(&header, &admin, &EncodingKey::from_ec_der(&other.pkcs8)).unwrap();
        assert!(keys.verify(&impostor, now).is_err(), "another key under the published kid is refused");
        let (head, rest) = genuine.split_once('.').unwrap();
        let (_, signature) = rest.split_once('.').unwrap();
        let body = URL_SAFE_NO_PAD.encode(serde_json::to_vec(&admin).unwrap());
        assert!(keys.verify(&format!("{head}.{body}.{signature}"), now).is_err(), "claims are signed");
        let unsigned = format!("{}.{body}.", URL_SAFE_NO_PAD.encode(br#"{"alg":"none","typ":"JWT"}"#));
        assert!(keys.verify(&unsigned, now).is_err(), "alg none is refused");
    }

    #[test]
    fn during_a_rotation_both_keys_verify_by_kid_and_the_new_one_signs() {
        let (siret, branch) = ids();
        let now = Utc::now();
        let old = SigningKey::generate();
        let new = SigningKey::generate();
        let before = TokenKeys::signing(&old, set(&[&old])).unwrap();
        let old_token = before.issue("dgs-osl", Scope::Osl, &siret, &branch, None, now).unwrap();

        let rotated = TokenKeys::signing(&new, set(&[&old, &new])).unwrap();
        assert_eq!(rotated.verify(&old_token, now).unwrap().sub, "dgs-osl", "the old key still verifies");
        let new_token = rotated.issue("dgs-osl", Scope::Osl, &siret, &branch, None, now).unwrap();
        assert_eq!(jsonwebtoken::decode_header(&new_token).unwrap().kid.as_deref(), Some(new.kid()));
        assert!(before.verify(&new_token, now).is_err(), "new tokens use the new key");

        let after = TokenKeys::verifying(set(&[&new])).unwrap();
        assert!(after.verify(&old_token, now).is_err(), "once the old key is withdrawn");
        assert!(after.verify(&new_token, now).is_ok());
        assert!(TokenKeys::signing(&new, set(&[&old])).is_err(), "a key nobody verifies does not sign");
    }

    #[test]
    fn a_stored_key_reads_back_and_its_kid_must_be_its_thumbprint() {
        let key = SigningKey::generate();
        let stored = key.to_stored();
        let read = SigningKey::from_stored(&stored).unwrap();
        assert_eq!(read.public_jwk(), key.public_jwk());
        assert_eq!(key.kid().len(), 43, "a base64url SHA-256 thumbprint");
        let wrong = StoredSigningKey { kid: "k1".into(), ..stored.clone() };
        assert!(SigningKey::from_stored(&wrong).is_err());
        let garbage = StoredSigningKey { private_key: STANDARD.encode(b"not a key"), ..stored };
        assert!(SigningKey::from_stored(&garbage).is_err());
        assert!(!format!("{:?}", key.to_stored()).contains(&key.to_stored().private_key), "Debug hides it");

        let json = serde_json::to_string(&set(&[&key])).unwrap();
        assert!(!json.contains("\"d\""), "a public set holds no private part: {json}");
        let parsed = parse_public_keys(&json).unwrap();
        assert!(TokenKeys::verifying(parsed).is_ok());
        assert!(TokenKeys::verifying(JwkSet { keys: vec![] }).is_err());
        assert!(TokenKeys::verifying(set(&[&key, &key])).is_err(), "one kid, one key");
    }
}
