//! Building the `AppState` once per cold start, and the tracing set-up every entry point shares.
//! It is also where the HTTP extractors meet the use cases: [`Identify`] answers who calls with
//! the token keys and `services::portal_auth`, so that neither `http` calls a use case nor
//! `state` knows HTTP.

use std::{path::Path, sync::Arc};

use anyhow::Context;

use crate::{
    auth::Claims,
    http::Identify,
    services::portal_auth::{self, Authenticated, PortalAuthError},
    store::StoreError,
};

#[cfg(feature = "aws")]
use crate::adapters::{
    Withheld,
    aws::{S3Objects, SecretsManagerKey, SesMailer},
};
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

/// The directory of French establishments at `url` (`HUBEE_DIRECTORY_URL`), or none: then every
/// lookup finds nothing, and onboarding names new organisations from the request or leaves them
/// to complete. Said in the logs either way.
///
/// # Errors
/// When the URL is not an http(s) URL.
#[cfg(any(feature = "local", feature = "aws"))]
fn directory(url: Option<&str>) -> anyhow::Result<Arc<dyn crate::ports::Directory>> {
    use crate::adapters::{DIRECTORY_TIMEOUT, HttpDirectory, NoDirectory};

    Ok(match url {
        Some(url) => {
            tracing::info!(url, "onboarding names new organisations from the directory of establishments");
            Arc::new(HttpDirectory::new(url, DIRECTORY_TIMEOUT)?)
        }
        None => {
            tracing::info!(
                "no directory of establishments (HUBEE_DIRECTORY_URL unset): organisations onboarded through \
                 DataPass are named from the request, or left for the national administrator to complete"
            );
            Arc::new(NoDirectory)
        }
    })
}

/// ProConnect's client, when the hub is registered with it; said at start-up either way.
///
/// # Errors
/// When the HTTP client cannot be built.
#[cfg(any(feature = "local", feature = "aws"))]
fn proconnect(
    settings: Option<crate::adapters::ProConnectSettings>,
) -> anyhow::Result<Option<Arc<crate::adapters::ProConnect>>> {
    match settings {
        Some(settings) => {
            tracing::info!(issuer = %settings.issuer, "agents may sign in with ProConnect");
            Ok(Some(Arc::new(crate::adapters::ProConnect::new(settings)?)))
        }
        None => {
            tracing::info!("no ProConnect (HUBEE_PROCONNECT_ISSUER unset): password and e-mailed code only");
            Ok(None)
        }
    }
}

/// The antivirus at `addr` (`HUBEE_CLAMD_ADDR`), or none: then binaries are stored unscanned,
/// which is said loudly here (and on `/health`).
#[cfg(feature = "local")]
fn scanner(addr: Option<&str>) -> Option<Arc<dyn crate::ports::Scanner>> {
    use crate::{adapters::Clamd, ports::Scanner};

    match addr {
        Some(addr) => {
            let clamd = Clamd::new(addr);
            tracing::info!(scanner = %clamd.describe(), "every received binary is scanned for viruses");
            Some(Arc::new(clamd))
        }
        None => {
            tracing::warn!(
                "NO ANTIVIRUS: HUBEE_CLAMD_ADDR is unset, received binaries are stored and served unscanned \
                 (set it to a clamd's host:port, docs/ANTIVIRUS.md)"
            );
            None
        }
    }
}

/// Keys the local hub generates on first start and keeps in its data directory, so that
/// tokens and presigned URLs survive a restart: the private key tokens are signed with (its
/// public half verifies them, and is served at `/.well-known/jwks.json`), and the key presigned
/// object URLs are signed with.
#[cfg(feature = "local")]
#[derive(serde::Serialize, serde::Deserialize)]
struct LocalKeys {
    /// Absent from the files of hubs that signed tokens with a shared secret (`token_secret`,
    /// ignored): generated then.
    #[serde(default)]
    token_signing_key: Option<crate::auth::StoredSigningKey>,
    object_signing_key: String,
}

#[cfg(feature = "local")]
fn local_keys(data_dir: &Path) -> anyhow::Result<(crate::auth::SigningKey, String)> {
    use crate::auth::SigningKey;

    let path = data_dir.join("keys.json");
    let read = match std::fs::read_to_string(&path) {
        Ok(text) => {
            Some(serde_json::from_str::<LocalKeys>(&text).with_context(|| format!("reading {}", path.display()))?)
        }
        Err(_) => None,
    };
    let object_signing_key = match &read {
        Some(keys) => keys.object_signing_key.clone(),
        None => crate::auth::generate_secret(),
    };
    if let Some(stored) = read.and_then(|k| k.token_signing_key) {
        let key =
            SigningKey::from_stored(&stored).with_context(|| format!("the token signing key in {}", path.display()))?;
        return Ok((key, object_signing_key));
    }
    let key = SigningKey::generate();
    let keys = LocalKeys { token_signing_key: Some(key.to_stored()), object_signing_key: object_signing_key.clone() };
    write_private(&path, &serde_json::to_vec_pretty(&keys)?)?;
    Ok((key, object_signing_key))
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
    // The mode above applies to a new file only: an existing one is made private too.
    #[cfg(unix)]
    file.set_permissions(std::os::unix::fs::PermissionsExt::from_mode(0o600))?;
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
/// directory either way. The table is the one `table` makes of the adapter's: the local hub
/// decorates it to learn of outbox writes; `std::convert::identity` keeps it.
///
/// # Errors
/// When the data directory cannot be prepared or the storage reached.
#[cfg(feature = "local")]
pub async fn local(
    config: &LocalConfig,
    common: &Config,
    clock: Arc<dyn Clock>,
    table: impl FnOnce(Arc<dyn crate::ports::Table>) -> Arc<dyn crate::ports::Table>,
) -> anyhow::Result<(AppState, LocalAdapters)> {
    use crate::{
        adapters::embedded::{FsObjects, OutboxMailer, SqliteTable},
        config::Backend,
        ports::Mailer,
    };

    let dir = &config.data_dir;
    std::fs::create_dir_all(dir).with_context(|| format!("creating the data directory {}", dir.display()))?;
    let (token_key, object_signing_key) = local_keys(dir)?;
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
                object_signing_key.into_bytes(),
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
    let mut state = AppState::new(
        table(ports.table),
        ports.objects,
        Arc::new(mail.clone()),
        clock,
        Arc::new(RandomIds),
        directory(config.directory_url.as_deref())?,
        TokenKeys::single(&token_key)?,
        common.clone(),
    )
    .with_scanner(scanner(config.clamd_addr.as_deref()));
    state.anchors = match &config.backend {
        #[cfg(feature = "aws")]
        Backend::Aws(crate::config::AwsResources { audit_bucket: Some(bucket), .. }) => Arc::new(
            crate::adapters::aws::S3Anchors::from_sdk_config(&crate::adapters::aws::sdk_config().await, bucket),
        ),
        _ => Arc::new(crate::adapters::embedded::FsAnchors::open(&dir.join("audit-anchors"))?),
    };
    state.proconnect = proconnect(config.proconnect.clone())?;
    if !state.config.password_sign_in && state.proconnect.is_none() {
        anyhow::bail!("HUBEE_PASSWORD_SIGN_IN=0 needs ProConnect (HUBEE_PROCONNECT_*): nobody could sign in");
    }
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

/// Where a Lambda function's token keys come from (see [`lambda`]): the public keys of the
/// configuration for every function; the token-issuing function adds the private key, read from
/// Secrets Manager (`SecretsManagerKey`); the others hold none (`Withheld`).
#[cfg(feature = "aws")]
pub trait LambdaTokenKeys: 'static {
    fn token_keys(
        sdk: &aws_config::SdkConfig,
        config: &crate::config::LambdaConfig,
    ) -> impl std::future::Future<Output = anyhow::Result<TokenKeys>> + Send;
}

#[cfg(feature = "aws")]
fn public_token_keys(config: &crate::config::LambdaConfig) -> anyhow::Result<jsonwebtoken::jwk::JwkSet> {
    crate::auth::parse_public_keys(&config.token_public_keys).context("HUBEE_TOKEN_PUBLIC_KEYS")
}

#[cfg(feature = "aws")]
impl LambdaTokenKeys for crate::adapters::Withheld {
    async fn token_keys(_: &aws_config::SdkConfig, config: &crate::config::LambdaConfig) -> anyhow::Result<TokenKeys> {
        Ok(TokenKeys::verifying(public_token_keys(config)?)?)
    }
}

#[cfg(feature = "aws")]
impl LambdaTokenKeys for crate::adapters::aws::SecretsManagerKey {
    async fn token_keys(
        sdk: &aws_config::SdkConfig,
        config: &crate::config::LambdaConfig,
    ) -> anyhow::Result<TokenKeys> {
        let secret = config
            .token_signing_secret
            .as_deref()
            .context("HUBEE_TOKEN_SIGNING_SECRET must name the secret of the token signing key")?;
        let key = Self::read(&aws_sdk_secretsmanager::Client::new(sdk), secret).await?;
        if config.token_signing_kid.as_deref().is_some_and(|kid| kid != key.kid()) {
            tracing::warn!(
                kid = key.kid(),
                deployed = config.token_signing_kid.as_deref(),
                "the signing key changed since the last deployment: deploy to restart every instance on it"
            );
        }
        // A key the other functions do not verify would make every token it signs useless.
        TokenKeys::signing(&key, public_token_keys(config)?)
            .context("the signing key must be published in HUBEE_TOKEN_PUBLIC_KEYS first (docs/DEPLOY.md)")
    }
}

// The Lambda functions' entry points, one per set of SDK clients: a function's `main` calls
// the one its policies in the SAM template allow. The linker drops the entry points a binary
// does not call, and with them the SDK clients only they reach, so that a binary holds no
// client its role may not use. A test (tests/tests/suite/sam_template.rs) reads the type
// parameters below and each `main`'s call, and holds them to the policies.

/// The state of a function that uses DynamoDB only and verifies tokens (`search`).
///
/// # Errors
/// As [`lambda`].
#[cfg(feature = "aws")]
pub async fn lambda_bare() -> anyhow::Result<AppState> {
    lambda::<Withheld, Withheld, Withheld>().await
}

/// The state of a function that also reads or writes binaries in S3 (`intake`, `status`,
/// `attachments`, `attachments-uploaded`, `purge`).
///
/// # Errors
/// As [`lambda`].
#[cfg(feature = "aws")]
pub async fn lambda_with_objects() -> anyhow::Result<AppState> {
    lambda::<S3Objects, Withheld, Withheld>().await
}

/// The state of a function that also sends e-mail through SES (`notify`).
///
/// # Errors
/// As [`lambda`].
#[cfg(feature = "aws")]
pub async fn lambda_with_mailer() -> anyhow::Result<AppState> {
    lambda::<Withheld, SesMailer, Withheld>().await
}

/// The state of the function that serves the referential and the portal's administration
/// (`admin`): SES for its e-mails, and the directory of establishments onboarding names new
/// organisations from (`HUBEE_DIRECTORY_URL`). Only this function links the directory's HTTP
/// client.
///
/// # Errors
/// As [`lambda`], and when `HUBEE_DIRECTORY_URL` is not an http(s) URL.
#[cfg(feature = "aws")]
pub async fn lambda_administering() -> anyhow::Result<AppState> {
    let state = lambda::<Withheld, SesMailer, Withheld>().await?;
    let config = crate::config::LambdaConfig::from_env()?;
    Ok(AppState { directory: directory(config.directory_url.as_deref())?, ..state })
}

/// The state of the function that runs retention and seals the audit journal (`purge`): S3 for
/// the binaries it purges, and the anchor bucket (`HUBEE_AUDIT_BUCKET`).
///
/// # Errors
/// As [`lambda`], and when `HUBEE_AUDIT_BUCKET` is not set.
#[cfg(feature = "aws")]
pub async fn lambda_sealing() -> anyhow::Result<AppState> {
    let state = lambda::<S3Objects, Withheld, Withheld>().await?;
    let config = crate::config::LambdaConfig::from_env()?;
    let bucket = config.resources.audit_bucket.context("HUBEE_AUDIT_BUCKET must name the audit anchors' bucket")?;
    let sdk = crate::adapters::aws::sdk_config().await;
    Ok(AppState { anchors: Arc::new(crate::adapters::aws::S3Anchors::from_sdk_config(&sdk, bucket)), ..state })
}

/// The state of the function that issues tokens and signs people in (`auth`): SES for its
/// e-mails, the private token key read from Secrets Manager, and ProConnect when the hub is
/// registered with it (its client secret read from Secrets Manager too).
///
/// # Errors
/// As [`lambda`], and when ProConnect's settings are unusable or its secret unreadable.
#[cfg(feature = "aws")]
pub async fn lambda_issuing_tokens() -> anyhow::Result<AppState> {
    let mut state = lambda::<Withheld, SesMailer, SecretsManagerKey>().await?;
    let config = crate::config::LambdaConfig::from_env()?;
    if let Some(pc) = config.proconnect {
        let sdk = crate::adapters::aws::sdk_config().await;
        let secrets = aws_sdk_secretsmanager::Client::new(&sdk);
        let secret = SecretsManagerKey::read_text(&secrets, &pc.client_secret_name).await?;
        let settings = crate::adapters::ProConnectSettings::new(pc.issuer, pc.client_id, secret)?;
        state.proconnect = proconnect(Some(settings))?;
    }
    if !state.config.password_sign_in && state.proconnect.is_none() {
        anyhow::bail!("HUBEE_PASSWORD_SIGN_IN=0 needs ProConnect (ProConnectIssuer): nobody could sign in");
    }
    Ok(state)
}

/// The state a Lambda function builds once per cold start, on DynamoDB, the object store `O`
/// and mailer `M` it uses — `S3Objects` or `Withheld`, `SesMailer` or `Withheld` — and its
/// token keys `K`: `SecretsManagerKey` for the function that issues tokens, `Withheld` (public
/// keys only) for the others. A withheld service's SDK client is not linked into the function's
/// binary; no directory of establishments is asked (see [`lambda_administering`]). The settings are the variables the template sets; the table and bucket exist (the
/// template, or the local hub on an emulator, creates them).
///
/// # Errors
/// When the configuration is incomplete or unusable, or the signing key unreadable.
#[cfg(feature = "aws")]
async fn lambda<O, M, K>() -> anyhow::Result<AppState>
where
    O: crate::ports::ObjectStore + LambdaAdapter,
    M: crate::ports::Mailer + LambdaAdapter,
    K: LambdaTokenKeys,
{
    let config = crate::config::LambdaConfig::from_env()?;
    let sdk = crate::adapters::aws::sdk_config().await;
    let table = Arc::new(crate::adapters::aws::DynamoTable::from_sdk_config(&sdk, &config.resources.table));
    let objects = Arc::new(O::from_lambda(&sdk, &config));
    let mailer = Arc::new(M::from_lambda(&sdk, &config));
    let tokens = K::token_keys(&sdk, &config).await?;
    let clock = Arc::new(crate::adapters::SystemClock);
    let directory = Arc::new(crate::adapters::NoDirectory);
    Ok(AppState::new(table, objects, mailer, clock, Arc::new(RandomIds), directory, tokens, config.common))
}

#[cfg(all(test, feature = "local"))]
mod tests {
    use super::*;

    /// A data directory of a hub that signed tokens with a shared secret gets a key pair on the
    /// next start, keeps its URL signing key, and loses the shared secret; then it stays put.
    #[test]
    fn the_local_key_pair_replaces_a_shared_secret_once_and_survives_restarts() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("keys.json");
        std::fs::write(&path, r#"{"token_secret": "old-shared-secret", "object_signing_key": "url-key"}"#).unwrap();
        let (key, url_key) = local_keys(dir.path()).unwrap();
        assert_eq!(url_key, "url-key", "presigned URLs stay valid");
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(!text.contains("old-shared-secret"), "{text}");
        let (again, _) = local_keys(dir.path()).unwrap();
        assert_eq!(again.kid(), key.kid(), "the same key after a restart");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            assert_eq!(std::fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o600);
        }
    }
}

impl Identify for crate::state::AppState {
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
