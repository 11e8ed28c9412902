//! `AppState`: the ports and keys every handler uses, built once per cold start. It knows no
//! HTTP: `bootstrap` makes it answer the HTTP extractors' `Identify`.

use std::sync::Arc;

use crate::{
    auth::TokenKeys,
    config::Config,
    ports::{AnchorStore, Clock, Directory, IdGenerator, Mailer, ObjectStore, Scanner, Table},
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
    /// The directory of French establishments onboarding names new organisations from.
    pub directory: Arc<dyn Directory>,
    pub tokens: Arc<TokenKeys>,
    pub config: Arc<Config>,
    /// What this instance last read of each API client (`Config::client_cache`).
    pub clients: Arc<ClientStates>,
    /// The antivirus every received binary goes through; `None`: binaries are stored unscanned
    /// (`HUBEE_CLAMD_ADDR` unset locally), which the hub says at start-up and on `/health`.
    pub scanner: Option<Arc<dyn Scanner>>,
    /// Where the audit journal's daily seals go: none (`Withheld`) but where the journal is
    /// sealed (the local hub, the retention function on AWS), which sets it after `new`.
    pub anchors: Arc<dyn AnchorStore>,
    /// The audit chains this process appends to: their queues and the heads it last wrote
    /// (see `services::audit::Chains`).
    pub audit_chains: Arc<crate::services::audit::Chains>,
    /// ProConnect, where the hub is registered with it (`HUBEE_PROCONNECT_*`): set after `new`
    /// by the functions that sign people in.
    pub proconnect: Option<Arc<crate::adapters::ProConnect>>,
}

impl AppState {
    // One argument per port, plus the keys and the settings: the composition root's call.
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        table: Arc<dyn Table>,
        objects: Arc<dyn ObjectStore>,
        mailer: Arc<dyn Mailer>,
        clock: Arc<dyn Clock>,
        ids: Arc<dyn IdGenerator>,
        directory: Arc<dyn Directory>,
        tokens: TokenKeys,
        config: Config,
    ) -> Self {
        Self {
            store: Store::new(table),
            objects,
            mailer,
            clock,
            ids,
            directory,
            tokens: Arc::new(tokens),
            clients: Arc::new(ClientStates::new(config.client_cache)),
            config: Arc::new(config),
            scanner: None,
            anchors: Arc::new(crate::adapters::Withheld),
            audit_chains: Arc::default(),
            proconnect: None,
        }
    }

    /// The same state, scanning every received binary with `scanner`.
    #[must_use]
    pub fn with_scanner(self, scanner: Option<Arc<dyn Scanner>>) -> Self {
        Self { scanner, ..self }
    }
}
