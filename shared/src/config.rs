//! The typed configuration, read once from the environment at cold start. Handlers never read
//! the environment.

use std::{net::SocketAddr, path::PathBuf};

use anyhow::Context;

/// What every deployment needs.
#[derive(Clone, Debug)]
pub struct Config {
    /// The address users and e-mail links reach the hub at (`HUBEE_PUBLIC_URL`).
    pub public_url: String,
    /// The sender of every e-mail (`HUBEE_MAIL_FROM`).
    pub mail_from: String,
    /// How e-mail deliveries are retried.
    pub delivery: DeliveryPolicy,
    /// The largest binary a request or response of the API carries (`None`: no limit, bodies
    /// stream). On Lambda, behind API Gateway, payloads are capped: larger binaries go through
    /// presigned URLs (docs/API.md, "Large binaries on AWS").
    pub inline_limit: Option<u64>,
    /// How long a function instance trusts what it read of an API client (enabled, tokens not
    /// revoked) before reading it again: a disabled client's tokens stop working within this
    /// delay. Zero (the local hub) reads it on every request.
    pub client_cache: std::time::Duration,
    /// On AWS, the values CloudFront sends in [`ORIGIN_VERIFY_HEADER`] with every request it
    /// forwards to the API (`HUBEE_ORIGIN_VERIFY`, and `HUBEE_ORIGIN_VERIFY_PREVIOUS` during a
    /// rotation): a request without one of them did not come through CloudFront and its WAF,
    /// and is refused. Empty (no check) for the local hub.
    pub origin_secrets: Vec<String>,
    /// `HUBEE_ANTIVIRUS=guardduty` (AWS): the object store scans every binary once stored
    /// (GuardDuty Malware Protection for S3) and its verdict comes later, as an event
    /// (docs/ANTIVIRUS.md): a received binary awaits it before it is served, a completion
    /// before it notifies. `false`: the verdict is known when the upload answers (clamd,
    /// `AppState::scanner`), or nothing scans.
    pub verdicts_later: bool,
    /// `HUBEE_PASSWORD_SIGN_IN` (`1` by default, `0` to turn it off): whether the portal signs
    /// people in with a password and an e-mailed code; off, only ProConnect does
    /// (docs/PROCONNECT.md), and the hub refuses to start without ProConnect.
    pub password_sign_in: bool,
    /// `HUBEE_SUPPORT_EMAIL`: where people who cannot sign in are told to write (the
    /// ProConnect refusal page); unset, they are sent to their organisation's local administrator.
    pub support_email: Option<String>,
}

/// `HUBEE_SUPPORT_EMAIL`, when it is an address.
fn support_email(value: Option<String>) -> anyhow::Result<Option<String>> {
    value
        .map(|v| {
            crate::domain::Email::parse(v.trim())
                .map(|e| e.to_string())
                .map_err(|e| anyhow::anyhow!("HUBEE_SUPPORT_EMAIL must be an e-mail address: {e}"))
        })
        .transpose()
}

/// `HUBEE_PASSWORD_SIGN_IN`: `1` (the default) or `0`.
fn password_sign_in(value: Option<String>) -> anyhow::Result<bool> {
    match value.as_deref().map(str::trim) {
        None | Some("1" | "true" | "yes") => Ok(true),
        Some("0" | "false" | "no") => Ok(false),
        Some(other) => anyhow::bail!("HUBEE_PASSWORD_SIGN_IN must be 1 or 0, not {other:?}"),
    }
}

/// The header carrying CloudFront's proof of origin to the API (docs/DEPLOY.md).
pub const ORIGIN_VERIFY_HEADER: &str = "x-hubee-origin-verify";

/// The shortest origin secret accepted: it must be as hard to guess as a token key.
const MIN_ORIGIN_SECRET_LEN: usize = 32;

/// `HUBEE_ORIGIN_VERIFY` (required) and `HUBEE_ORIGIN_VERIFY_PREVIOUS` (unset or `none` for
/// none), each at least [`MIN_ORIGIN_SECRET_LEN`] characters.
fn origin_secrets(current: Option<String>, previous: Option<String>) -> anyhow::Result<Vec<String>> {
    let current = current.context("HUBEE_ORIGIN_VERIFY must be set (the secret CloudFront sends to the API)")?;
    let previous = previous.filter(|p| p != "none");
    let secrets: Vec<String> = std::iter::once(current).chain(previous).collect();
    if secrets.iter().any(|s| s.len() < MIN_ORIGIN_SECRET_LEN) {
        anyhow::bail!("HUBEE_ORIGIN_VERIFY(_PREVIOUS) must be at least {MIN_ORIGIN_SECRET_LEN} characters long");
    }
    Ok(secrets)
}

/// `HUBEE_ANTIVIRUS` on AWS: `guardduty` (the template's), or `none` — binaries served
/// unscanned, said loudly at every cold start.
fn verdicts_later(value: Option<String>) -> anyhow::Result<bool> {
    match value.as_deref().map(str::trim) {
        Some("guardduty") => Ok(true),
        None | Some("none") => {
            tracing::warn!(
                "NO ANTIVIRUS: HUBEE_ANTIVIRUS is not guardduty, received binaries are served unscanned \
                 (docs/ANTIVIRUS.md)"
            );
            Ok(false)
        }
        Some(other) => anyhow::bail!("HUBEE_ANTIVIRUS must be guardduty or none, not {other:?}"),
    }
}

/// A Lambda function's default and longest `client_cache` (`HUBEE_CLIENT_CACHE_SECONDS`).
pub const MAX_CLIENT_CACHE_SECONDS: u64 = 60;

/// `HUBEE_CLIENT_CACHE_SECONDS`: 0 to [`MAX_CLIENT_CACHE_SECONDS`], the most when unset.
fn client_cache(value: Option<String>) -> anyhow::Result<std::time::Duration> {
    match value {
        None => Ok(std::time::Duration::from_secs(MAX_CLIENT_CACHE_SECONDS)),
        Some(v) => v
            .trim()
            .parse()
            .ok()
            .filter(|&n: &u64| n <= MAX_CLIENT_CACHE_SECONDS)
            .map(std::time::Duration::from_secs)
            .with_context(|| {
                format!("HUBEE_CLIENT_CACHE_SECONDS must be 0 to {MAX_CLIENT_CACHE_SECONDS} seconds, not {v:?}")
            }),
    }
}

/// A Lambda function's default `inline_limit`: API Gateway and Lambda cap payloads at 6 MB,
/// and binaries travel base64-encoded (+33 %) with the event's envelope.
pub const DEFAULT_INLINE_LIMIT: u64 = 4 << 20;

/// `HUBEE_INLINE_LIMIT`: a number of bytes, [`DEFAULT_INLINE_LIMIT`] when unset.
fn inline_limit(value: Option<String>) -> anyhow::Result<u64> {
    match value {
        None => Ok(DEFAULT_INLINE_LIMIT),
        Some(v) => v
            .trim()
            .parse()
            .ok()
            .filter(|&n: &u64| n > 0)
            .with_context(|| format!("HUBEE_INLINE_LIMIT must be a positive number of bytes, not {v:?}")),
    }
}

/// How the notification dispatcher retries a failed e-mail.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DeliveryPolicy {
    /// Attempts before an item is parked as failed.
    pub max_attempts: u32,
    /// The first retry waits this long, each next one twice as long, plus up to as much again
    /// of random jitter (`HUBEE_MAIL_RETRY_BASE_MS`).
    pub backoff_base: std::time::Duration,
    /// How long a dispatcher holds an item it is sending; past that, another may take it.
    pub lease: std::time::Duration,
}

impl Default for DeliveryPolicy {
    fn default() -> Self {
        Self {
            max_attempts: 5,
            backoff_base: std::time::Duration::from_secs(1),
            lease: std::time::Duration::from_secs(60),
        }
    }
}

pub const DEFAULT_MAIL_FROM: &str = "L'équipe HubEE <ne-pas-repondre@hubee.localhost>";

/// The local hub's settings.
#[derive(Clone, Debug)]
pub struct LocalConfig {
    /// `HUBEE_ADDR`, default `127.0.0.1:8080`.
    pub addr: SocketAddr,
    /// `HUBEE_DATA_DIR`, default `./data`.
    pub data_dir: PathBuf,
    /// `HUBEE_SEED`: a provisioning file loaded at start-up.
    pub seed: Option<PathBuf>,
    /// `HUBEE_WEB_DIR`, default `./web/dist` (what `web/build.mjs` writes): the front served at `/`.
    pub web_dir: PathBuf,
    /// `HUBEE_DEMO` (default `1`; `0` to disable): load the demo referential on first start.
    pub demo: bool,
    /// `HUBEE_PUBLIC_URL`, default `http://<the bound address>`.
    pub public_url: Option<String>,
    /// `HUBEE_MAIL_FROM`.
    pub mail_from: String,
    /// How e-mail deliveries are retried.
    pub delivery: DeliveryPolicy,
    /// `HUBEE_SMTP_URL`: send e-mails through this SMTP server (`smtp://host:port`,
    /// `smtp://host:587?tls=required`, `smtps://user:password@host`) instead of writing them to
    /// the outbox folder.
    pub smtp_url: Option<String>,
    /// `HUBEE_BACKEND`: `embedded` (default) or `aws`.
    pub backend: Backend,
    /// `HUBEE_INLINE_LIMIT`: unset by default (bodies stream end to end); set, the hub caps
    /// binaries in requests and responses as a Lambda function does, to try the presigned paths.
    pub inline_limit: Option<u64>,
    /// `HUBEE_DIRECTORY_URL`: see [`LambdaConfig::directory_url`]. Unset by default: the local
    /// hub then asks no directory.
    pub directory_url: Option<String>,
    /// `HUBEE_CLAMD_ADDR`: the ClamAV daemon (`host:port`) every received binary is scanned by
    /// (docs/ANTIVIRUS.md). Unset: binaries are stored unscanned, said at start-up and on
    /// `/health`.
    pub clamd_addr: Option<String>,
    /// `HUBEE_PROCONNECT_ISSUER`, `HUBEE_PROCONNECT_CLIENT_ID`, `HUBEE_PROCONNECT_CLIENT_SECRET`:
    /// ProConnect as the hub is registered with it (docs/PROCONNECT.md). Unset: no ProConnect
    /// button, password and code only.
    pub proconnect: Option<crate::adapters::ProConnectSettings>,
    /// `HUBEE_PASSWORD_SIGN_IN`: see [`Config::password_sign_in`].
    pub password_sign_in: bool,
    /// `HUBEE_SUPPORT_EMAIL`: see [`Config::support_email`].
    pub support_email: Option<String>,
}

/// `HUBEE_PROCONNECT_*`: all three, or none.
///
/// # Errors
/// When only some are set, or the issuer is refused (see `ProConnectSettings::new`).
pub fn proconnect_settings() -> anyhow::Result<Option<crate::adapters::ProConnectSettings>> {
    let (issuer, id, secret) =
        (var("HUBEE_PROCONNECT_ISSUER"), var("HUBEE_PROCONNECT_CLIENT_ID"), var("HUBEE_PROCONNECT_CLIENT_SECRET"));
    match (issuer, id, secret) {
        (None, None, None) => Ok(None),
        (Some(issuer), Some(id), Some(secret)) => {
            Ok(Some(crate::adapters::ProConnectSettings::new(issuer, id, secret)?))
        }
        _ => anyhow::bail!(
            "HUBEE_PROCONNECT_ISSUER, HUBEE_PROCONNECT_CLIENT_ID and HUBEE_PROCONNECT_CLIENT_SECRET go together"
        ),
    }
}

/// Where the local hub keeps its data.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Backend {
    /// SQLite, files and an outbox folder in the data directory.
    Embedded,
    /// DynamoDB, S3 and SESv2 (`HUBEE_BACKEND=aws`), as a Lambda function uses them; with
    /// `AWS_ENDPOINT_URL` set, an emulator such as moto, where the hub creates its resources.
    Aws(AwsResources),
}

/// The AWS resources the hub works on.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AwsResources {
    /// `HUBEE_TABLE`: the DynamoDB table.
    pub table: String,
    /// `HUBEE_BUCKET`: the S3 bucket of attachment binaries.
    pub bucket: String,
    /// `HUBEE_AUDIT_BUCKET`: the bucket of the audit journal's anchors, with Object Lock
    /// (docs/AUDIT.md). Needed by the function that seals (`purge`) and by `audit verify` on
    /// AWS; the local hub on the AWS backend keeps its anchors in its data directory without it.
    pub audit_bucket: Option<String>,
}

impl AwsResources {
    /// # Errors
    /// When a variable is missing and no default is given.
    fn from_env(default_table: Option<&str>, default_bucket: Option<&str>) -> anyhow::Result<Self> {
        let named = |name: &str, default: Option<&str>| {
            var(name).or_else(|| default.map(str::to_owned)).with_context(|| format!("{name} must be set"))
        };
        Ok(Self {
            table: named("HUBEE_TABLE", default_table)?,
            bucket: named("HUBEE_BUCKET", default_bucket)?,
            audit_bucket: var("HUBEE_AUDIT_BUCKET"),
        })
    }
}

/// A non-empty environment variable.
fn var(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.trim().is_empty())
}

fn mail_from() -> String {
    var("HUBEE_MAIL_FROM").unwrap_or_else(|| DEFAULT_MAIL_FROM.into())
}

/// A Lambda function's settings: every variable is set by the SAM template.
#[derive(Clone, Debug)]
pub struct LambdaConfig {
    pub resources: AwsResources,
    pub common: Config,
    /// `HUBEE_TOKEN_PUBLIC_KEYS`: the JWK set (JSON) API tokens are verified with — public,
    /// so an environment value is fine; two keys during a rotation.
    pub token_public_keys: String,
    /// `HUBEE_TOKEN_SIGNING_SECRET`: the Secrets Manager secret holding the private key tokens
    /// are signed with (its name or ARN, never its value). Set for the token-issuing function
    /// only, which reads the secret at cold start.
    pub token_signing_secret: Option<String>,
    /// `HUBEE_TOKEN_SIGNING_KID`: the kid the secret held at deployment (public). Its change
    /// makes a deployment restart the function, which then reads the new key; a different kid
    /// in the secret is logged.
    pub token_signing_kid: Option<String>,
    /// `HUBEE_DIRECTORY_URL`: the base URL of the directory of French establishments that
    /// onboarding names new organisations from, the "recherche d'entreprises" API
    /// (`https://recherche-entreprises.api.gouv.fr`). Used by the function serving the
    /// referential (`bootstrap::lambda_administering`); unset, it asks no directory.
    pub directory_url: Option<String>,
    /// `HUBEE_PROCONNECT_ISSUER` and `HUBEE_PROCONNECT_CLIENT_ID`, with
    /// `HUBEE_PROCONNECT_CLIENT_SECRET_NAME`, the Secrets Manager secret holding the client
    /// secret (its name, never its value), read at cold start by the function signing people in
    /// (`bootstrap::lambda_issuing_tokens`). Unset: no ProConnect.
    pub proconnect: Option<LambdaProConnect>,
}

/// How a Lambda function finds ProConnect's settings (docs/PROCONNECT.md).
#[derive(Clone, Debug)]
pub struct LambdaProConnect {
    pub issuer: String,
    pub client_id: String,
    pub client_secret_name: String,
}

impl LambdaProConnect {
    fn from_env() -> anyhow::Result<Option<Self>> {
        let (issuer, id, secret) = (
            var("HUBEE_PROCONNECT_ISSUER"),
            var("HUBEE_PROCONNECT_CLIENT_ID"),
            var("HUBEE_PROCONNECT_CLIENT_SECRET_NAME"),
        );
        match (issuer, id, secret) {
            (None, None, None) => Ok(None),
            (Some(issuer), Some(client_id), Some(client_secret_name)) => {
                Ok(Some(Self { issuer, client_id, client_secret_name }))
            }
            _ => anyhow::bail!(
                "HUBEE_PROCONNECT_ISSUER, HUBEE_PROCONNECT_CLIENT_ID and HUBEE_PROCONNECT_CLIENT_SECRET_NAME go together"
            ),
        }
    }
}

impl LambdaConfig {
    /// # Errors
    /// When a variable is missing or unusable.
    pub fn from_env() -> anyhow::Result<Self> {
        Ok(Self {
            resources: AwsResources::from_env(None, None)?,
            common: Config {
                public_url: var("HUBEE_PUBLIC_URL").context("HUBEE_PUBLIC_URL must be set")?,
                mail_from: mail_from(),
                delivery: DeliveryPolicy::default(),
                inline_limit: Some(inline_limit(var("HUBEE_INLINE_LIMIT"))?),
                client_cache: client_cache(var("HUBEE_CLIENT_CACHE_SECONDS"))?,
                origin_secrets: origin_secrets(var("HUBEE_ORIGIN_VERIFY"), var("HUBEE_ORIGIN_VERIFY_PREVIOUS"))?,
                verdicts_later: verdicts_later(var("HUBEE_ANTIVIRUS"))?,
                password_sign_in: password_sign_in(var("HUBEE_PASSWORD_SIGN_IN"))?,
                support_email: support_email(var("HUBEE_SUPPORT_EMAIL"))?,
            },
            token_public_keys: var("HUBEE_TOKEN_PUBLIC_KEYS")
                .context("HUBEE_TOKEN_PUBLIC_KEYS must be set (the JWK set tokens are verified with)")?,
            token_signing_secret: var("HUBEE_TOKEN_SIGNING_SECRET"),
            token_signing_kid: var("HUBEE_TOKEN_SIGNING_KID"),
            directory_url: var("HUBEE_DIRECTORY_URL"),
            proconnect: LambdaProConnect::from_env()?,
        })
    }
}

impl LocalConfig {
    /// # Errors
    /// When a variable is set to something unusable.
    pub fn from_env() -> anyhow::Result<Self> {
        let addr: SocketAddr = var("HUBEE_ADDR")
            .unwrap_or_else(|| "127.0.0.1:8080".into())
            .parse()
            .context("HUBEE_ADDR must be an address such as 127.0.0.1:8080")?;
        let demo = match var("HUBEE_DEMO").as_deref() {
            None | Some("1" | "true" | "yes") => true,
            Some("0" | "false" | "no") => false,
            Some(other) => anyhow::bail!("HUBEE_DEMO must be 1 or 0, not {other:?}"),
        };
        Ok(Self {
            addr,
            data_dir: var("HUBEE_DATA_DIR").map_or_else(|| PathBuf::from("data"), PathBuf::from),
            seed: var("HUBEE_SEED").map(PathBuf::from),
            web_dir: var("HUBEE_WEB_DIR").map_or_else(|| PathBuf::from("web/dist"), PathBuf::from),
            demo,
            public_url: var("HUBEE_PUBLIC_URL"),
            mail_from: mail_from(),
            smtp_url: var("HUBEE_SMTP_URL"),
            inline_limit: var("HUBEE_INLINE_LIMIT").map(|v| inline_limit(Some(v))).transpose()?,
            directory_url: var("HUBEE_DIRECTORY_URL"),
            clamd_addr: var("HUBEE_CLAMD_ADDR"),
            proconnect: proconnect_settings()?,
            password_sign_in: password_sign_in(var("HUBEE_PASSWORD_SIGN_IN"))?,
            support_email: support_email(var("HUBEE_SUPPORT_EMAIL"))?,
            backend: match var("HUBEE_BACKEND").as_deref() {
                None | Some("embedded") => Backend::Embedded,
                Some("aws") => Backend::Aws(AwsResources::from_env(Some("hubee"), Some("hubee-local"))?),
                Some(other) => anyhow::bail!("HUBEE_BACKEND must be embedded or aws, not {other:?}"),
            },
            delivery: match var("HUBEE_MAIL_RETRY_BASE_MS") {
                None => DeliveryPolicy::default(),
                Some(ms) => DeliveryPolicy {
                    backoff_base: std::time::Duration::from_millis(
                        ms.parse().context("HUBEE_MAIL_RETRY_BASE_MS must be a number of milliseconds")?,
                    ),
                    ..DeliveryPolicy::default()
                },
            },
        })
    }

    /// The settings every deployment shares, once the listening address is known.
    pub fn common(&self, bound: SocketAddr) -> Config {
        Config {
            public_url: self.public_url.clone().unwrap_or_else(|| format!("http://{bound}")),
            mail_from: self.mail_from.clone(),
            delivery: self.delivery.clone(),
            // Locally, bodies stream end to end unless a cap is asked for.
            inline_limit: self.inline_limit,
            // One process: a disabled client's tokens stop at once.
            client_cache: std::time::Duration::ZERO,
            // No CDN in front: the hub is reached directly.
            origin_secrets: Vec::new(),
            verdicts_later: false,
            password_sign_in: self.password_sign_in,
            support_email: self.support_email.clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_client_is_cached_at_most_a_minute() {
        assert_eq!(client_cache(None).unwrap().as_secs(), 60);
        assert_eq!(client_cache(Some("0".into())).unwrap().as_secs(), 0);
        assert!(client_cache(Some("61".into())).is_err());
        assert!(client_cache(Some("1m".into())).is_err());
    }

    #[test]
    fn an_origin_secret_is_required_long_and_may_have_a_predecessor() {
        let long = |c: char| c.to_string().repeat(32);
        assert!(origin_secrets(None, None).is_err(), "a function open to direct calls is refused");
        assert_eq!(origin_secrets(Some(long('a')), None).unwrap(), [long('a')]);
        assert_eq!(origin_secrets(Some(long('a')), Some("none".into())).unwrap(), [long('a')]);
        assert_eq!(origin_secrets(Some(long('a')), Some(long('b'))).unwrap(), [long('a'), long('b')]);
        assert!(origin_secrets(Some("short".into()), None).is_err());
        assert!(origin_secrets(Some(long('a')), Some("short".into())).is_err());
    }

    #[test]
    fn the_inline_limit_is_4_mib_unless_set_to_a_positive_number_of_bytes() {
        assert_eq!(inline_limit(None).unwrap(), 4 * 1024 * 1024);
        assert_eq!(inline_limit(Some(" 1024 ".into())).unwrap(), 1024);
        for wrong in ["0", "-1", "4MiB"] {
            assert!(inline_limit(Some(wrong.into())).is_err(), "{wrong}");
        }
    }
}
