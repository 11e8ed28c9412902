//! Building the `AppState` once per cold start, and the tracing set-up every entry point shares.

use std::{path::Path, sync::Arc};

use anyhow::Context;
use serde::{Deserialize, Serialize};

use crate::{
    adapters::{RandomIds, SystemClock},
    auth::{TokenKeys, generate_secret},
    config::{Config, LocalConfig},
    ports::Clock,
    state::AppState,
};

/// JSON logs, one line per event, level from `RUST_LOG` (default `info`).
pub fn init_tracing() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into());
    let _ = tracing_subscriber::fmt().json().with_current_span(true).with_env_filter(filter).try_init();
}

/// Keys the local hub generates on first start and keeps in its data directory, so that
/// tokens and presigned URLs survive a restart.
#[derive(Serialize, Deserialize)]
struct LocalKeys {
    token_secret: String,
    object_signing_key: String,
}

fn local_keys(data_dir: &Path) -> anyhow::Result<LocalKeys> {
    let path = data_dir.join("keys.json");
    if let Ok(text) = std::fs::read_to_string(&path) {
        return serde_json::from_str(&text).with_context(|| format!("reading {}", path.display()));
    }
    let keys = LocalKeys { token_secret: generate_secret(), object_signing_key: generate_secret() };
    write_private(&path, &serde_json::to_vec_pretty(&keys)?)?;
    Ok(keys)
}

/// Writes a file only its owner can read.
///
/// # Errors
/// When the file cannot be written.
pub fn write_private(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options.open(path).with_context(|| format!("writing {}", path.display()))?;
    file.write_all(bytes)?;
    file.sync_all()?;
    Ok(())
}

/// What the local hub keeps beside the `AppState`: the concrete adapters it serves or reads.
#[derive(Clone)]
pub struct LocalAdapters {
    pub objects: Arc<crate::adapters::embedded::FsObjects>,
    pub outbox: crate::adapters::embedded::OutboxMailer,
}

/// The state on embedded adapters in `config.data_dir`: `hub.sqlite`, `objects/`, `outbox/`.
///
/// # Errors
/// When the data directory cannot be prepared.
#[cfg(feature = "local")]
pub fn local(
    config: &LocalConfig,
    common: &Config,
    clock: Arc<dyn Clock>,
) -> anyhow::Result<(AppState, LocalAdapters)> {
    use crate::adapters::embedded::{FsObjects, OutboxMailer, SqliteTable};

    let dir = &config.data_dir;
    std::fs::create_dir_all(dir).with_context(|| format!("creating the data directory {}", dir.display()))?;
    let keys = local_keys(dir)?;
    let table = SqliteTable::open(&dir.join("hub.sqlite"))?;
    let objects = Arc::new(FsObjects::open(
        &dir.join("objects"),
        &common.public_url,
        keys.object_signing_key.into_bytes(),
        Arc::clone(&clock),
    )?);
    let outbox = OutboxMailer::open(&dir.join("outbox"), &common.mail_from)?;
    let mailer: Arc<dyn crate::ports::Mailer> = match &config.smtp_url {
        None => Arc::new(outbox.clone()),
        #[cfg(feature = "smtp")]
        Some(url) => Arc::new(crate::adapters::embedded::SmtpMailer::open(url, &common.mail_from)?),
        #[cfg(not(feature = "smtp"))]
        Some(_) => anyhow::bail!("HUBEE_SMTP_URL is set but this build has no SMTP support (feature smtp)"),
    };
    let state = AppState::new(
        Arc::new(table),
        objects.clone(),
        mailer,
        clock,
        Arc::new(RandomIds),
        TokenKeys::new(keys.token_secret.as_bytes()),
        common.clone(),
    );
    Ok((state, LocalAdapters { objects, outbox }))
}

/// The state a Lambda function builds at cold start. Until the AWS adapters land, a function
/// runs on the embedded adapters (`cargo lambda watch` against a local data directory).
///
/// # Errors
/// When the configuration or the storage is unusable.
#[cfg(feature = "local")]
pub fn lambda() -> anyhow::Result<AppState> {
    let config = LocalConfig::from_env()?;
    Ok(local(&config, &config.common(config.addr), Arc::new(SystemClock))?.0)
}
