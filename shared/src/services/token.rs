//! OAuth2 client credentials: `POST /token` for API clients, and the check, on every API call,
//! that a token's client still accepts it (enabled, tokens not revoked since it was issued).

use std::{collections::HashMap, sync::Mutex, time::Duration};

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::{
    auth::{Claims, TOKEN_LIFETIME_SECS, TokenKeys, verify_secret},
    domain::{ApiClient, AuditActor, AuditRecord, OrgId, Outcome, Scope},
    services::audit,
    state::AppState,
    store::{Store, StoreError},
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

/// `POST /token` (client credentials): a token, or the RFC 6749 error; either way recorded in
/// the audit journal of the client's organisation (the platform's for an unknown client id),
/// never with the secret.
///
/// # Errors
/// The RFC 6749 error that applies.
pub async fn client_credentials(state: &AppState, req: TokenRequest<'_>) -> Result<TokenResponse, TokenError> {
    let client_id = req.client_id.to_owned();
    let mut organisation = None;
    let answer = decide(&state.store, &state.tokens, req, state.clock.now(), &mut organisation).await;
    let actor = match &organisation {
        Some(org) => AuditActor::api_client(&client_id, Some(org.clone())),
        None => AuditActor::anonymous(Some(&client_id)),
    };
    let record = match &answer {
        Ok(token) => AuditRecord::new(actor, "token.issue", &client_id, Outcome::Granted)
            .reason(format!("scope {}", token.scope)),
        Err(e) => AuditRecord::new(actor, "token.issue", &client_id, Outcome::Denied).reason(match e {
            TokenError::InvalidRequest(why) | TokenError::InvalidScope(why) => why.clone(),
            other => other.to_string(),
        }),
    };
    audit::record(state, record.in_chain_of(organisation)).await;
    answer
}

async fn decide(
    store: &Store,
    keys: &TokenKeys,
    req: TokenRequest<'_>,
    now: DateTime<Utc>,
    organisation: &mut Option<OrgId>,
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
    *organisation = client.as_ref().map(|c| OrgId { siret: c.siret.clone(), branch_code: c.branch_code.clone() });
    let Some(client) = client.filter(ApiClient::is_enabled) else {
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

/// What a function instance last read of each API client, kept [`crate::config::Config::client_cache`]
/// (at most a minute on AWS, not at all locally): the tokens of a disabled or revoked client stop
/// working within that delay, for one GetItem per client and instance per delay.
pub struct ClientStates {
    ttl: chrono::Duration,
    entries: Mutex<HashMap<String, Read>>,
}

/// A client as read at a time (`None`: no such client).
type Read = (DateTime<Utc>, Option<ApiClient>);

/// Enough for every client of a deployment; past it the cache starts afresh.
const MAX_CACHED_CLIENTS: usize = 10_000;

impl ClientStates {
    pub fn new(ttl: Duration) -> Self {
        Self { ttl: chrono::Duration::from_std(ttl).unwrap_or(chrono::Duration::MAX), entries: Mutex::default() }
    }

    /// Whether the token's client still accepts it: it exists, is enabled, and revoked no token
    /// issued at or after the token's `iat`.
    ///
    /// # Errors
    /// When the store fails.
    pub async fn accepts(&self, store: &Store, claims: &Claims, now: DateTime<Utc>) -> Result<bool, StoreError> {
        let cached = self.entries.lock().ok().and_then(|entries| {
            entries.get(&claims.sub).filter(|(at, _)| now >= *at && now - *at < self.ttl).map(|(_, c)| c.clone())
        });
        let client = match cached {
            Some(c) => c,
            None => {
                let read = store.api_client(&claims.sub).await?;
                if !self.ttl.is_zero()
                    && let Ok(mut entries) = self.entries.lock()
                {
                    if entries.len() >= MAX_CACHED_CLIENTS {
                        entries.clear();
                    }
                    entries.insert(claims.sub.clone(), (now, read.clone()));
                }
                read
            }
        };
        Ok(client.is_some_and(|c| c.accepts_token_issued_at(claims.iat)))
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn the_dummy_hash_is_a_valid_argon2id_hash() {
        assert!(argon2::PasswordHash::new(super::DUMMY_HASH).is_ok());
    }

    #[cfg(feature = "local")]
    async fn client_state_seen(ttl_seconds: u64) -> Vec<bool> {
        let store = Store::new(std::sync::Arc::new(crate::adapters::embedded::SqliteTable::in_memory().unwrap()));
        let keys = TokenKeys::single(&crate::auth::SigningKey::generate()).unwrap();
        let start = crate::domain::parse_time("2026-03-01T10:00:00Z").unwrap();
        let mut client = ApiClient {
            client_id: "si-test".into(),
            scopes: vec![Scope::Si],
            siret: crate::domain::Siret::parse("11001401600015").unwrap(),
            branch_code: crate::domain::BranchCode::parse("75108").unwrap(),
            process_code: None,
            secrets: Vec::new(),
            disabled: false,
            subscription_suspended: false,
            tokens_not_before: None,
        };
        store.save_api_client(&client).await.unwrap();
        let token = keys.issue(&client.client_id, Scope::Si, &client.siret, &client.branch_code, None, start).unwrap();
        let claims = keys.verify(&token, start).unwrap();
        let cache = ClientStates::new(Duration::from_secs(ttl_seconds));
        let mut seen = vec![cache.accepts(&store, &claims, start).await.unwrap()];
        client.disabled = true;
        store.save_api_client(&client).await.unwrap();
        for after in [1, 59, 60] {
            seen.push(cache.accepts(&store, &claims, start + chrono::Duration::seconds(after)).await.unwrap());
        }
        seen
    }

    #[cfg(feature = "local")]
    #[tokio::test]
    async fn a_disabled_client_is_refused_once_its_cached_state_is_a_minute_old() {
        assert_eq!(client_state_seen(60).await, [true, true, true, false]);
    }

    #[cfg(feature = "local")]
    #[tokio::test]
    async fn without_a_cache_a_disabled_client_is_refused_at_once() {
        assert_eq!(client_state_seen(0).await, [true, false, false, false]);
    }
}
