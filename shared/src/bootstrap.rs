//! Building the `AppState` once per cold start, and the tracing set-up every entry point shares.

use std::{path::Path, sync::Arc};

use anyhow::Context;

#[cfg(any(feature = "local", feature = "aws"))]
use crate::{adapters::RandomIds, auth::TokenKeys, state::AppState};
#[cfg(feature = "local")]
use crate::{adapters::RecentMail, config::Config, config::LocalConfig, ports::Clock};

/// JSON logs, one line per event, filtered by `RUST_LOG` (default `info`): a level, or targets
/// with levels (`warn,hubee_shared=debug`). The filter is `Targets` rather than `EnvFilter`,
/// whose span-field directives need a regex engine in every bootstrap and that nobody uses here;
/// a malformed value is reported and `info` used.
pub fn init_tracing() {
    use tracing_subscriber::{filter::Targets, layer::SubscriberExt, util::SubscriberInitExt};

    let (filter, problem) = match std::env::var("RUST_LOG") {
        Ok(value) => match value.parse::<Targets>() {
            Ok(filter) => (filter, None),
            Err(e) => (Targets::new().with_default(tracing::Level::INFO), Some(format!("RUST_LOG={value}: {e}"))),
        },
        Err(_) => (Targets::new().with_default(tracing::Level::INFO), None),
    };
    let logs = tracing_subscriber::fmt::layer().json().with_current_span(true);
    if tracing_subscriber::registry().with(logs).with(filter).try_init().is_ok()
        && let Some(problem) = problem
    {
        tracing::warn!("ignored an unreadable log filter, logging at info: {problem}");
    }
}

/// Keys the local hub generates on first start and keeps in its data directory, so that
/// tokens and presigned URLs survive a restart.
#[cfg(feature = "local")]
#[derive(serde::Serialize, serde::Deserialize)]
struct LocalKeys {
    token_secret: String,
    object_signing_key: String,
}

#[cfg(feature = "local")]
fn local_keys(data_dir: &Path) -> anyhow::Result<LocalKeys> {
    let path = data_dir.join("keys.json");
    if let Ok(text) = std::fs::read_to_string(&path) {
        return serde_json::from_str(&text).with_context(|| format!("reading {}", path.display()));
    }
    let keys =
        LocalKeys { token_secret: crate::auth::generate_secret(), object_signing_key: crate::auth::generate_secret() };
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

/// What the local hub keeps beside the `AppState`: the adapters it serves or reads.
#[cfg(feature = "local")]
#[derive(Clone)]
pub struct LocalAdapters {
    /// The filesystem store, whose presigned URLs the hub serves (`None` on the AWS backend,
    /// where S3 serves them).
    pub objects: Option<Arc<crate::adapters::embedded::FsObjects>>,
    /// The mailer every e-mail goes through, whatever the adapter behind it; the last messages
    /// stay readable (sign-in codes, in tests and benchmarks).
    pub mail: RecentMail,
}

/// The local hub's state: on embedded adapters in `config.data_dir` (`hub.sqlite`, `objects/`,
/// `outbox/`), or on the AWS ones with `HUBEE_BACKEND=aws`. The signing keys live in the data
/// directory either way.
///
/// # Errors
/// When the data directory cannot be prepared or the storage reached.
#[cfg(feature = "local")]
pub async fn local(
    config: &LocalConfig,
    common: &Config,
    clock: Arc<dyn Clock>,
) -> anyhow::Result<(AppState, LocalAdapters)> {
    use crate::{
        adapters::embedded::{FsObjects, OutboxMailer, SqliteTable},
        config::Backend,
        ports::Mailer,
    };

    let dir = &config.data_dir;
    std::fs::create_dir_all(dir).with_context(|| format!("creating the data directory {}", dir.display()))?;
    let keys = local_keys(dir)?;
    let smtp: Option<Arc<dyn Mailer>> = match &config.smtp_url {
        None => None,
        #[cfg(feature = "smtp")]
        Some(url) => Some(Arc::new(crate::adapters::embedded::SmtpMailer::open(url, &common.mail_from)?)),
        #[cfg(not(feature = "smtp"))]
        Some(_) => anyhow::bail!("HUBEE_SMTP_URL is set but this build has no SMTP support (feature smtp)"),
    };
    let (ports, fs) = match &config.backend {
        Backend::Embedded => {
            let fs = Arc::new(FsObjects::open(
                &dir.join("objects"),
                &common.public_url,
                keys.object_signing_key.into_bytes(),
                Arc::clone(&clock),
            )?);
            let mailer = match smtp {
                Some(smtp) => smtp,
                None => Arc::new(OutboxMailer::open(&dir.join("outbox"), &common.mail_from)?),
            };
            let table = Arc::new(SqliteTable::open(&dir.join("hub.sqlite"))?);
            (Ports { table, objects: fs.clone(), mailer }, Some(fs))
        }
        #[cfg(feature = "aws")]
        Backend::Aws(resources) => {
            let mut ports = aws_ports(resources, &common.mail_from).await?;
            if let Some(smtp) = smtp {
                ports.mailer = smtp;
            }
            (ports, None)
        }
        #[cfg(not(feature = "aws"))]
        Backend::Aws(_) => anyhow::bail!("HUBEE_BACKEND=aws but this build has no AWS support (feature aws)"),
    };
    let mail = RecentMail::new(ports.mailer);
    let state = AppState::new(
        ports.table,
        ports.objects,
        Arc::new(mail.clone()),
        clock,
        Arc::new(RandomIds),
        TokenKeys::new(keys.token_secret.as_bytes()),
        common.clone(),
    );
    Ok((state, LocalAdapters { objects: fs, mail }))
}

/// The storage and mail ports of a state.
#[cfg(feature = "local")]
struct Ports {
    table: Arc<dyn crate::ports::Table>,
    objects: Arc<dyn crate::ports::ObjectStore>,
    mailer: Arc<dyn crate::ports::Mailer>,
}

/// The local hub's AWS adapters, from the SDK's environment. On an emulator
/// (`AWS_ENDPOINT_URL`), the table, the bucket and the sender identity are created if missing;
/// on AWS the SAM template does it.
#[cfg(all(feature = "local", feature = "aws"))]
async fn aws_ports(resources: &crate::config::AwsResources, mail_from: &str) -> anyhow::Result<Ports> {
    use crate::adapters::aws::{self, DynamoTable, S3Objects, SesMailer};

    let sdk = aws::sdk_config().await;
    let objects = S3Objects::from_sdk_config(&sdk, &resources.bucket);
    if aws::emulated(&sdk) {
        aws::prepare_emulator(&sdk, resources, &objects, mail_from).await?;
    }
    Ok(Ports {
        table: Arc::new(DynamoTable::from_sdk_config(&sdk, &resources.table)),
        objects: Arc::new(objects),
        mailer: Arc::new(SesMailer::from_sdk_config(&sdk, mail_from)),
    })
}

/// An object store or mailer a Lambda function can be built with (see [`lambda`]).
#[cfg(feature = "aws")]
pub trait LambdaAdapter: Send + Sync + 'static {
    fn from_lambda(sdk: &aws_config::SdkConfig, config: &crate::config::LambdaConfig) -> Self;
}

#[cfg(feature = "aws")]
impl LambdaAdapter for crate::adapters::aws::S3Objects {
    fn from_lambda(sdk: &aws_config::SdkConfig, config: &crate::config::LambdaConfig) -> Self {
        Self::from_sdk_config(sdk, &config.resources.bucket)
    }
}

#[cfg(feature = "aws")]
impl LambdaAdapter for crate::adapters::aws::SesMailer {
    fn from_lambda(sdk: &aws_config::SdkConfig, config: &crate::config::LambdaConfig) -> Self {
        Self::from_sdk_config(sdk, &config.common.mail_from)
    }
}

#[cfg(feature = "aws")]
impl LambdaAdapter for crate::adapters::Withheld {
    fn from_lambda(_: &aws_config::SdkConfig, _: &crate::config::LambdaConfig) -> Self {
        Self
    }
}

/// The state a Lambda function builds once per cold start, on DynamoDB and the object store
/// `O` and mailer `M` it uses: `S3Objects` or `Withheld`, `SesMailer` or `Withheld`, as its
/// policies in the SAM template allow (a test holds the two together). A withheld service's
/// SDK client is not linked into the function's binary. The settings are the variables the
/// template sets; the table and bucket exist (the template, or the local hub on an emulator,
/// creates them).
///
/// # Errors
/// When the configuration is incomplete or unusable.
#[cfg(feature = "aws")]
pub async fn lambda<O, M>() -> anyhow::Result<AppState>
where
    O: crate::ports::ObjectStore + LambdaAdapter,
    M: crate::ports::Mailer + LambdaAdapter,
{
    let config = crate::config::LambdaConfig::from_env()?;
    let sdk = crate::adapters::aws::sdk_config().await;
    let table = Arc::new(crate::adapters::aws::DynamoTable::from_sdk_config(&sdk, &config.resources.table));
    let objects = Arc::new(O::from_lambda(&sdk, &config));
    let mailer = Arc::new(M::from_lambda(&sdk, &config));
    let mut tokens = TokenKeys::new(config.token_secret.as_bytes());
    if let Some(previous) = &config.previous_token_secret {
        tokens = tokens.with_previous(previous.as_bytes());
    }
    let clock = Arc::new(crate::adapters::SystemClock);
    Ok(AppState::new(table, objects, mailer, clock, Arc::new(RandomIds), tokens, config.common))
}
