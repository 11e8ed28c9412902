//! API access tokens: HS256 JWTs valid one hour, checked against the injected clock.

use chrono::{DateTime, Utc};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};

use crate::domain::{BranchCode, OrgRef, OrgType, ProcessCode, Scope, Siret};

pub const TOKEN_LIFETIME_SECS: i64 = 3600;
const ISSUER: &str = "hubee";

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
}

/// The signing keys, built once per cold start. Tokens are signed with the current key; during
/// a rotation the previous key still verifies the tokens it signed, for their last hour.
pub struct TokenKeys {
    encoding: EncodingKey,
    decoding: DecodingKey,
    previous: Option<DecodingKey>,
    validation: Validation,
}

impl TokenKeys {
    pub fn new(secret: &[u8]) -> Self {
        let mut validation = Validation::new(Algorithm::HS256);
        // Expiry is checked against the injected clock, below.
        validation.validate_exp = false;
        validation.required_spec_claims = ["exp", "iss", "sub"].iter().map(|s| (*s).to_owned()).collect();
        validation.set_issuer(&[ISSUER]);
        Self {
            encoding: EncodingKey::from_secret(secret),
            decoding: DecodingKey::from_secret(secret),
            previous: None,
            validation,
        }
    }

    /// Also accepts tokens signed with `previous`, the key in use before a rotation.
    #[must_use]
    pub fn with_previous(mut self, previous: &[u8]) -> Self {
        self.previous = Some(DecodingKey::from_secret(previous));
        self
    }

    /// A token for `sub` valid [`TOKEN_LIFETIME_SECS`] from `now`.
    ///
    /// # Errors
    /// When signing fails.
    pub fn issue(
        &self,
        sub: &str,
        scope: Scope,
        siret: &Siret,
        branch: &BranchCode,
        process_code: Option<&ProcessCode>,
        now: DateTime<Utc>,
    ) -> Result<String, TokenError> {
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
        jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &self.encoding)
            .map_err(|e| TokenError::Invalid(e.to_string()))
    }

    /// # Errors
    /// `Invalid` for a forged or malformed token, `Expired` past its expiry.
    pub fn verify(&self, token: &str, now: DateTime<Utc>) -> Result<Claims, TokenError> {
        let decode = |key| jsonwebtoken::decode::<Claims>(token, key, &self.validation);
        let data = match (decode(&self.decoding), &self.previous) {
            (Err(e), Some(previous)) if *e.kind() == jsonwebtoken::errors::ErrorKind::InvalidSignature => {
                decode(previous)
            }
            (result, _) => result,
        }
        .map_err(|e| TokenError::Invalid(e.to_string()))?;
        if data.claims.exp <= now.timestamp() {
            return Err(TokenError::Expired);
        }
        Ok(data.claims)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_token_is_valid_one_hour_and_only_with_its_key() {
        let keys = TokenKeys::new(b"secret-one");
        let now = Utc::now();
        let siret = Siret::parse("11000000000007").unwrap();
        let branch = BranchCode::parse("00000").unwrap();
        let t = keys.issue("dgs-osl", Scope::Osl, &siret, &branch, None, now).unwrap();
        let claims = keys.verify(&t, now).unwrap();
        assert_eq!((claims.sub.as_str(), claims.scope), ("dgs-osl", Scope::Osl));
        assert!(keys.verify(&t, now + chrono::Duration::seconds(3599)).is_ok());
        assert!(matches!(keys.verify(&t, now + chrono::Duration::seconds(3600)), Err(TokenError::Expired)));
        assert!(TokenKeys::new(b"secret-two").verify(&t, now).is_err(), "another key rejects it");
        assert!(keys.verify("not.a.token", now).is_err());
    }

    #[test]
    fn after_a_rotation_the_previous_key_still_verifies_but_no_longer_signs() {
        let siret = Siret::parse("11000000000007").unwrap();
        let branch = BranchCode::parse("00000").unwrap();
        let now = Utc::now();
        let old = TokenKeys::new(b"old-key").issue("dgs-osl", Scope::Osl, &siret, &branch, None, now).unwrap();
        let rotated = TokenKeys::new(b"new-key").with_previous(b"old-key");
        assert_eq!(rotated.verify(&old, now).unwrap().sub, "dgs-osl");
        let new = rotated.issue("dgs-osl", Scope::Osl, &siret, &branch, None, now).unwrap();
        assert!(TokenKeys::new(b"old-key").verify(&new, now).is_err(), "new tokens use the new key");
        assert!(TokenKeys::new(b"new-key").verify(&old, now).is_err(), "once the previous key is dropped");
    }
}
