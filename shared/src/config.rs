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
    /// `HUBEE_WEB_DIR`, default `./web`: the static front served at `/`.
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
}

impl LocalConfig {
    /// # Errors
    /// When a variable is set to something unusable.
    pub fn from_env() -> anyhow::Result<Self> {
        let var = |name: &str| std::env::var(name).ok().filter(|v| !v.trim().is_empty());
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
            web_dir: var("HUBEE_WEB_DIR").map_or_else(|| PathBuf::from("web"), PathBuf::from),
            demo,
            public_url: var("HUBEE_PUBLIC_URL"),
            mail_from: var("HUBEE_MAIL_FROM").unwrap_or_else(|| DEFAULT_MAIL_FROM.into()),
            smtp_url: var("HUBEE_SMTP_URL"),
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
        }
    }
}
