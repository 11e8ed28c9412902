//! The whole hub in one process on embedded storage: every function's routes merged, the web
//! front served at `/`, presigned object URLs served at `/objects/…`. Never deployed: this is
//! the default way to run the hub, and the test bed.

mod demo;
pub mod maintenance;
mod objects;
mod outbox_watch;
mod schedule;
mod web;

use std::{net::SocketAddr, path::Path, sync::Arc};

use anyhow::Context;
use axum::{Json, Router, routing::get, serve::ListenerExt};
use hubee_shared::{
    bootstrap::{self, LocalAdapters},
    config::{Backend, LocalConfig},
    http,
    ports::{Clock, Table},
    seed::Provisioning,
    services::notify,
    state::AppState,
};
use serde_json::json;
use tokio::{net::TcpListener, sync::oneshot, task::JoinHandle};

pub use demo::DemoCredentials;
pub use web::{CONTENT_SECURITY_POLICY, content_security_policy, is_page};

/// A running hub.
pub struct Hub {
    pub addr: SocketAddr,
    pub state: AppState,
    pub adapters: LocalAdapters,
    /// The table under the store, for the tests and tools that inspect what is stored; the hub
    /// itself goes through `state.store`.
    pub table: Arc<dyn Table>,
    /// The demo credentials, when the demo referential is loaded.
    pub demo: Option<DemoCredentials>,
    shutdown: Option<oneshot::Sender<()>>,
    task: JoinHandle<std::io::Result<()>>,
    /// The dispatcher and the timer (see `schedule`).
    background: Vec<JoinHandle<()>>,
    /// The embedded data directory's lock, held while the hub runs (`lock_data_dir`).
    _data_dir: Option<std::fs::File>,
}

impl Hub {
    /// Stops accepting connections, lets requests under way finish, and releases the data
    /// directory.
    ///
    /// # Errors
    /// When the server failed.
    pub async fn stop(mut self) -> anyhow::Result<()> {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        for task in &self.background {
            task.abort();
        }
        // Until they are gone they hold the state, and with it the data directory's database.
        for task in self.background.drain(..) {
            let _ = task.await;
        }
        (&mut self.task).await.context("server task")?.context("server")
    }

    /// Serves until the process gets Ctrl-C or SIGTERM.
    ///
    /// # Errors
    /// When the server failed.
    pub async fn run_until_signal(self) -> anyhow::Result<()> {
        shutdown_signal().await;
        tracing::info!("shutting down");
        self.stop().await
    }
}

/// Locks the embedded data directory (`hub.lock`, an advisory lock the system drops with the
/// process): two hubs on one directory would each take the other's outbox leases back.
///
/// # Errors
/// When the directory cannot be created or another hub holds it.
fn lock_data_dir(dir: &Path) -> anyhow::Result<std::fs::File> {
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    let path = dir.join("hub.lock");
    let file = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
        .with_context(|| format!("opening {}", path.display()))?;
    match file.try_lock() {
        Ok(()) => Ok(file),
        Err(std::fs::TryLockError::WouldBlock) => {
            anyhow::bail!("another hub is running on the data directory {}", dir.display())
        }
        Err(std::fs::TryLockError::Error(e)) => Err(e).with_context(|| format!("locking {}", path.display())),
    }
}

async fn shutdown_signal() {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut term = match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(s) => s,
            Err(_) => return std::future::pending().await,
        };
        tokio::select! { _ = ctrl_c => {}, _ = term.recv() => {} }
    }
    #[cfg(not(unix))]
    let _ = ctrl_c.await;
}

/// `GET /health`: up, and whether received binaries are scanned (`HUBEE_CLAMD_ADDR`).
async fn health(axum::extract::State(state): axum::extract::State<AppState>) -> Json<serde_json::Value> {
    let antivirus = match &state.scanner {
        Some(scanner) => json!({"enabled": true, "scanner": scanner.describe()}),
        None => json!({
            "enabled": false,
            "warning": "HUBEE_CLAMD_ADDR is unset: received binaries are stored and served unscanned",
        }),
    };
    Json(json!({"status": "ok", "antivirus": antivirus}))
}

/// Every route of the hub, the static front as fallback, behind the method override.
pub fn app(state: AppState, adapters: &LocalAdapters, web_dir: &Path) -> http::MethodOverride {
    let api = Router::new()
        .route("/health", get(health))
        .merge(hubee_auth::routes())
        .merge(hubee_intake::routes())
        .merge(hubee_search::routes())
        .merge(hubee_status::routes())
        .merge(hubee_attachments::routes())
        .merge(hubee_admin::routes())
        .with_state(state.clone());
    // The filesystem store's presigned URLs; on the AWS backend, S3 serves its own (and its
    // ObjectCreated events complete presigned uploads, which the local hub does not receive).
    let api = match &adapters.objects {
        Some(fs) => api.merge(objects::routes(fs.clone(), state.clone())),
        None => api,
    };
    let proconnect = state.proconnect.as_ref().map(|p| p.settings().origin());
    let csp = web::content_security_policy(proconnect.as_deref());
    http::layers(api.fallback_service(web::front(web_dir, &csp)), &state)
}

/// [`start`] on the system clock: the hub as `cargo run` serves it (tests set their own clock).
///
/// # Errors
/// As [`start`].
pub async fn start_on_system_clock(config: LocalConfig) -> anyhow::Result<Hub> {
    start(config, Arc::new(hubee_shared::adapters::SystemClock)).await
}

/// Opens the data directory, loads the demo referential on first start and the provisioning
/// file if any, and starts serving.
///
/// # Errors
/// When the address cannot be bound, the data directory opened or the seed file loaded.
pub async fn start(config: LocalConfig, clock: Arc<dyn Clock>) -> anyhow::Result<Hub> {
    let data_dir = match config.backend {
        Backend::Embedded => Some(lock_data_dir(&config.data_dir)?),
        Backend::Aws(_) => None,
    };
    let listener = TcpListener::bind(config.addr).await.with_context(|| format!("binding {}", config.addr))?;
    let addr = listener.local_addr()?;
    let common = config.common(addr);
    // The dispatcher's wake-up: outbox writes, as the table's stream is on AWS.
    let outbox_written = Arc::new(tokio::sync::Notify::new());
    let mut watched = None;
    let (state, adapters) = bootstrap::local(&config, &common, clock, |table| {
        let table: Arc<dyn Table> = Arc::new(outbox_watch::OutboxWatch::new(table, Arc::clone(&outbox_written)));
        watched = Some(Arc::clone(&table));
        table
    })
    .await?;
    let table = watched.context("the bootstrap made no table")?;
    let demo = if config.demo { Some(demo::ensure_loaded(&state, &config.data_dir).await?) } else { None };
    if let Some(path) = &config.seed {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("reading the provisioning file {}", path.display()))?;
        let report = Provisioning::parse(&text)?
            .load(&state.store)
            .await
            .with_context(|| format!("loading {}", path.display()))?;
        tracing::info!(written = report.written, unchanged = report.unchanged, "provisioning file loaded");
    }
    if data_dir.is_some() {
        // The only dispatcher of this data directory: what a previous run held when it stopped
        // (killed, or the machine cut off) is free to send at once.
        let freed = notify::take_back_leases(&state).await.context("taking back the outbox's leases")?;
        if freed > 0 {
            tracing::info!(freed, "outbox items a previous run held taken back");
        }
    }
    let background = schedule::spawn(state.clone(), outbox_written);
    let router = app(state.clone(), &adapters, &config.web_dir);
    let (tx, rx) = oneshot::channel();
    // TCP_NODELAY: an answer goes out as its headers, then its body; with Nagle's algorithm the
    // body waits for the client's acknowledgement of the headers, which the client delays by up
    // to 40 ms (measured: a 48 KiB download took 45 ms on an idle hub).
    let listener = listener.tap_io(|stream| {
        if let Err(e) = stream.set_nodelay(true) {
            tracing::warn!(error = %e, "TCP_NODELAY could not be set on a connection");
        }
    });
    let task = tokio::spawn(async move {
        axum::serve(listener, router.into_make_service_with_connect_info())
            .with_graceful_shutdown(async {
                let _ = rx.await;
            })
            .await
    });
    tracing::info!(%addr, data_dir = %config.data_dir.display(), "hub listening");
    Ok(Hub { addr, state, adapters, table, demo, shutdown: Some(tx), task, background, _data_dir: data_dir })
}
