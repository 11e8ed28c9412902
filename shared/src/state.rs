//! `AppState`: the ports and keys every handler uses, built once per cold start. It is also
//! where the HTTP extractors meet the use cases: [`Identify`] answers who calls with the token
//! keys and `services::portal_auth`, so that `http` calls no use case itself.

use std::sync::Arc;

use crate::{
    auth::{Claims, TokenKeys},
    config::Config,
    http::Identify,
    ports::{Clock, IdGenerator, Mailer, ObjectStore, Table},
    services::{
        portal_auth::{self, Authenticated, PortalAuthError},
        token::ClientStates,
    },
    store::{Store, StoreError},
};

#[derive(Clone)]
pub struct AppState {
    pub store: Store,
    pub objects: Arc<dyn ObjectStore>,
    pub mailer: Arc<dyn Mailer>,
    pub clock: Arc<dyn Clock>,
    pub ids: Arc<dyn IdGenerator>,
    pub tokens: Arc<TokenKeys>,
    pub config: Arc<Config>,
    /// What this instance last read of each API client (`Config::client_cache`).
    pub clients: Arc<ClientStates>,
}

impl AppState {
    pub fn new(
        table: Arc<dyn Table>,
        objects: Arc<dyn ObjectStore>,
        mailer: Arc<dyn Mailer>,
        clock: Arc<dyn Clock>,
        ids: Arc<dyn IdGenerator>,
        tokens: TokenKeys,
        config: Config,
    ) -> Self {
        Self {
            store: Store::new(table),
            objects,
            mailer,
            clock,
            ids,
            tokens: Arc::new(tokens),
            clients: Arc::new(ClientStates::new(config.client_cache)),
            config: Arc::new(config),
        }
    }
}

impl Identify for AppState {
    async fn api_client(&self, token: &str) -> Result<Option<Claims>, StoreError> {
        let now = self.clock.now();
        let Ok(claims) = self.tokens.verify(token, now) else { return Ok(None) };
        // A valid signature is not enough: the client may have been disabled, or its tokens
        // revoked, since the token was issued.
        Ok(self.clients.accepts(&self.store, &claims, now).await?.then_some(claims))
    }

    async fn portal_session(
        &self,
        cookie: Option<&str>,
        csrf: Option<&str>,
        changes_state: bool,
    ) -> Result<Authenticated, PortalAuthError> {
        portal_auth::authenticate(self, cookie, csrf, changes_state).await
    }
}
