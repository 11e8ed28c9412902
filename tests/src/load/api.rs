//! The HubEE API as the load benchmark calls it: one HTTP client, the hub's current address and
//! tokens (both change when the hub is restarted), and every timed call recorded in the current
//! phase's [`Stats`].

use std::{
    sync::{Arc, RwLock},
    time::{Duration, Instant},
};

use bytes::Bytes;
use reqwest::{Client, Method, RequestBuilder};
use serde_json::Value;

use super::{
    super::bench::client_token,
    fixture::{OPERATOR_CLIENT, SI_CLIENT, Secrets},
    stats::{Kind, Stats},
};

/// Where the hub answers and the tokens its clients hold there.
pub struct Target {
    pub base: String,
    pub operator: String,
    pub si: String,
}

/// Who makes a call.
#[derive(Clone, Copy)]
pub enum As {
    Operator,
    Instructing,
}

/// A call's outcome: its status and body, or `None` when the hub did not answer (connection
/// refused or reset: the hub is down).
pub type Answer = Option<(u16, Bytes)>;

pub struct Api {
    http: Client,
    target: RwLock<Arc<Target>>,
    stats: RwLock<Arc<Stats>>,
}

impl Api {
    /// Gets both clients' tokens from the hub at `base`.
    pub async fn connect(base: &str, secrets: &Secrets) -> Self {
        // No call should take this long; it only keeps a run from hanging.
        let http = Client::builder().timeout(Duration::from_secs(60)).build().unwrap();
        let target = target(&http, base, secrets).await;
        Self { http, target: RwLock::new(Arc::new(target)), stats: RwLock::default() }
    }

    /// After a restart: the new address, and new tokens.
    pub async fn reconnect(&self, base: &str, secrets: &Secrets) {
        let target = target(&self.http, base, secrets).await;
        *self.target.write().unwrap() = Arc::new(target);
    }

    /// Where the following calls record their figures.
    pub fn record_into(&self, stats: Arc<Stats>) {
        *self.stats.write().unwrap() = stats;
    }

    /// A request to `/teledossiers/v1{path}` with the caller's token.
    pub fn request(&self, who: As, method: Method, path: &str) -> RequestBuilder {
        let t = self.target.read().unwrap().clone();
        let token = match who {
            As::Operator => &t.operator,
            As::Instructing => &t.si,
        };
        self.http.request(method, format!("{}/teledossiers/v1{path}", t.base)).bearer_auth(token)
    }

    /// Sends the request and reads the whole answer, timing both; a 2xx answer counts as a
    /// success of `kind`, anything else as a failure.
    pub async fn timed(&self, kind: Kind, request: RequestBuilder) -> Answer {
        let stats = self.stats.read().unwrap().clone();
        let started = Instant::now();
        let answer = untimed(request).await;
        let elapsed = started.elapsed();
        match &answer {
            Some((status, _)) if (200..300).contains(status) => stats.success(kind, elapsed),
            Some((status, body)) => stats.failure(kind, Some(*status), &error_message(body)),
            None => stats.failure(kind, None, "no answer"),
        }
        answer
    }
}

/// Sends the request and reads the whole answer.
pub async fn untimed(request: RequestBuilder) -> Answer {
    let answer = async {
        let response = request.send().await?;
        let status = response.status().as_u16();
        Ok::<_, reqwest::Error>((status, response.bytes().await?))
    };
    answer.await.ok()
}

/// The answer's body as JSON (`Null` when it is not).
pub fn json(body: &[u8]) -> Value {
    serde_json::from_slice(body).unwrap_or(Value::Null)
}

/// The first error message of a contract error body, or the start of the body.
pub fn error_message(body: &[u8]) -> String {
    let v = json(body);
    v["errors"][0]["message"]
        .as_str()
        .map_or_else(|| String::from_utf8_lossy(&body[..body.len().min(200)]).into_owned(), str::to_owned)
}

async fn target(http: &Client, base: &str, secrets: &Secrets) -> Target {
    Target {
        base: base.to_owned(),
        operator: client_token(http, base, OPERATOR_CLIENT, &secrets.operator, "OSL").await,
        si: client_token(http, base, SI_CLIENT, &secrets.si, "SI").await,
    }
}
