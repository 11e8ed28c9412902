//! `AppState`: the ports and keys every handler uses, built once per cold start. It knows no
//! HTTP: `bootstrap` makes it answer the HTTP extractors' `Identify`.

use std::sync::Arc;

use crate::{
    auth::TokenKeys,
    config::Config,
    ports::{Clock, IdGenerator, Mailer, ObjectStore, Table},
    services::token::ClientStates,
    store::Store,
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
