//! OAuth2 client credentials: `POST /token` for API clients.

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::{
    auth::{TOKEN_LIFETIME_SECS, TokenKeys, verify_secret},
    domain::Scope,
    store::Store,
};

/// Verified against when the client id is unknown, so that an unknown client costs the same
/// time as a wrong secret (no client-id probing by timing).
pub(crate) const DUMMY_HASH: &str =
    "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$Wv0Ed1uNsBxZ0uSpfG6ZS9Uvq3hAfjMV7TD2yYVvZoI";

/// The RFC 6749 error answers.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum TokenError {
    #[error("invalid_request")]
    InvalidRequest(String),
    #[error("unsupported_grant_type")]
    UnsupportedGrantType,
    #[error("invalid_client")]
    InvalidClient,
    #[error("invalid_scope")]
    InvalidScope(String),
    #[error("server_error")]
    Unavailable,
}

#[derive(Debug, Serialize)]
pub struct TokenResponse {
    pub access_token: String,
    pub token_type: &'static str,
    pub expires_in: i64,
    pub scope: String,
}

/// The request, once the credentials are taken from Basic auth or the form.
pub struct TokenRequest<'a> {
    pub grant_type: Option<&'a str>,
    pub scope: Option<&'a str>,
    pub client_id: &'a str,
    pub client_secret: &'a str,
}

/// # Errors
/// The RFC 6749 error that applies.
pub async fn client_credentials(
    store: &Store,
    keys: &TokenKeys,
    req: TokenRequest<'_>,
    now: DateTime<Utc>,
) -> Result<TokenResponse, TokenError> {
    match req.grant_type {
        None => return Err(TokenError::InvalidRequest("grant_type is required".into())),
        Some("client_credentials") => {}
        Some(_) => return Err(TokenError::UnsupportedGrantType),
    }
    let client = store.api_client(req.client_id).await.map_err(|e| {
        tracing::error!(error = %e, "reading an API client");
        TokenError::Unavailable
    })?;
    let Some(client) = client.filter(|c| !c.disabled) else {
        let _ = verify_secret(req.client_secret, DUMMY_HASH);
        return Err(TokenError::InvalidClient);
    };
    let valid = client
        .secrets
        .iter()
        .filter(|s| s.expires.is_none_or(|e| e > now))
        .any(|s| verify_secret(req.client_secret, &s.hash));
    if !valid {
        return Err(TokenError::InvalidClient);
    }
    let scope = match req.scope.map(str::trim).filter(|s| !s.is_empty()) {
        None => *client.scopes.first().ok_or(TokenError::InvalidClient)?,
        Some(requested) => {
            let scope = Scope::parse(requested)
                .ok_or_else(|| TokenError::InvalidScope(format!("unknown scope {requested:?}")))?;
            if !client.scopes.contains(&scope) {
                return Err(TokenError::InvalidScope(format!("the client does not hold the scope {requested}")));
            }
            scope
        }
    };
    let access_token = keys
        .issue(&client.client_id, scope, &client.siret, &client.branch_code, client.process_code.as_ref(), now)
        .map_err(|e| {
            tracing::error!(error = %e, "signing a token");
            TokenError::Unavailable
        })?;
    Ok(TokenResponse {
        access_token,
        token_type: "Bearer",
        expires_in: TOKEN_LIFETIME_SECS,
        scope: scope.as_str().into(),
    })
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_dummy_hash_is_a_valid_argon2id_hash() {
        assert!(argon2::PasswordHash::new(super::DUMMY_HASH).is_ok());
    }
}
