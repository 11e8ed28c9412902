//! Conformance suites for the ports, written once and run against every implementation
//! (feature `testkit`). Each panics with a message naming the broken rule.

#![allow(clippy::unwrap_used, clippy::expect_used)] // Test code: a failed step is a failed check.

pub mod anchors;
#[cfg(feature = "aws")]
pub mod aws;
pub mod directory;
pub mod mailer;
pub mod objects;
pub mod scanner;
pub mod table;

use std::{path::Path, sync::Arc};

use crate::{
    adapters::{
        NoDirectory, RandomIds, SystemClock,
        embedded::{FsAnchors, FsObjects, OutboxMailer, SqliteTable},
    },
    auth::{SigningKey, TokenKeys},
    config::{Config, DEFAULT_MAIL_FROM},
    state::AppState,
};

/// A state on embedded adapters (the table in memory, objects and outbox under `dir`), for
/// router tests.
pub fn state(dir: &Path) -> AppState {
    let clock = Arc::new(SystemClock);
    let mut state = AppState::new(
        Arc::new(SqliteTable::in_memory().unwrap()),
        Arc::new(FsObjects::open(&dir.join("objects"), "http://127.0.0.1:1", b"test".to_vec(), clock.clone()).unwrap()),
        Arc::new(OutboxMailer::open(&dir.join("outbox"), DEFAULT_MAIL_FROM).unwrap()),
        clock,
        Arc::new(RandomIds),
        Arc::new(NoDirectory),
        TokenKeys::single(&SigningKey::generate()).unwrap(),
        Config {
            public_url: "http://127.0.0.1:1".into(),
            mail_from: DEFAULT_MAIL_FROM.into(),
            // Retries a millisecond apart: tests do not wait for real backoffs.
            delivery: crate::config::DeliveryPolicy {
                backoff_base: std::time::Duration::from_millis(1),
                ..Default::default()
            },
            // Bodies stream end to end, as on the local hub (see `with_inline_limit`).
            inline_limit: None,
            client_cache: std::time::Duration::ZERO,
            origin_secrets: Vec::new(),
            verdicts_later: false,
            password_sign_in: true,
            support_email: None,
        },
    );
    state.anchors = Arc::new(FsAnchors::open(&dir.join("audit-anchors")).unwrap());
    state
}

/// The same state (same table, objects and mailer) with requests and responses carrying
/// binaries of at most `limit` bytes, as a Lambda function's do (`Config::inline_limit`).
pub fn with_inline_limit(state: &AppState, limit: u64) -> AppState {
    let config = Config { inline_limit: Some(limit), ..(*state.config).clone() };
    AppState { config: Arc::new(config), ..state.clone() }
}

/// The same state with the origin secrets of a deployed function behind CloudFront
/// (`Config::origin_secrets`).
pub fn with_origin_secrets(state: &AppState, secrets: &[&str]) -> AppState {
    let config =
        Config { origin_secrets: secrets.iter().map(|s| (*s).to_owned()).collect(), ..(*state.config).clone() };
    AppState { config: Arc::new(config), ..state.clone() }
}

/// The object a presigned URL of [`state`]'s filesystem store grants `method` on (a PUT of that
/// size), if the URL is genuine and unexpired (what the local hub's `/objects/` routes check).
pub fn presigned_key(dir: &Path, url: &str, method: crate::ports::PresignMethod) -> Option<crate::ports::ObjectKey> {
    let (key, query) = url.strip_prefix("http://127.0.0.1:1/objects/")?.split_once('?')?;
    let params: std::collections::HashMap<String, String> =
        form_urlencoded::parse(query.as_bytes()).into_owned().collect();
    let key = crate::ports::ObjectKey::parse(key).ok()?;
    let expected = match method {
        crate::ports::PresignMethod::Get => "GET",
        crate::ports::PresignMethod::Put { .. } => "PUT",
    };
    // Same signing key, own directory: opening a store clears its directory's temporary files.
    let verifier =
        FsObjects::open(&dir.join("presign-check"), "http://127.0.0.1:1", b"test".to_vec(), Arc::new(SystemClock))
            .ok()?;
    let expires = params.get("expires")?.parse().ok()?;
    let disposition = params.get("disposition").map(String::as_str);
    (params.get("method").map(String::as_str) == Some(expected)
        && verifier.verify_presigned(&key, method, expires, disposition, params.get("signature")?))
    .then_some(key)
}

/// The placeholder the `events/` fixtures use for a folder id known only at test time.
pub const FIXTURE_FOLDER_ID: &str = "00000000-0000-4000-8000-0000000f01de";

/// Creates (without completing it) a folder for Mairie A with one attachment of `size` bytes,
/// still `PENDING`; returns the folder id and the attachment id.
pub async fn pending_folder(state: &AppState, size: u64) -> (uuid::Uuid, uuid::Uuid) {
    let op = claims(state, "fixture-osl");
    let body = serde_json::json!({
        "externalId": uuid::Uuid::new_v4().simple().to_string()[..20], "processCode": "CERTDC",
        "applicant": {"firstName": "Camille", "lastName": "FIXTURE"},
        "cases": [{"externalId": "A", "recipient": {"type": "SI", "companyRegister": "11001401600015", "branchCode": "75108"}}],
        "attachments": [{"fileName": "certificat.pdf", "type": "VA", "size": size, "mimeType": "application/pdf", "recipients": ["A"]}]
    });
    let folder = crate::services::folders::create_folder(
        state,
        &op,
        crate::services::folders::NewFolder::parse("POST /f", &body).unwrap(),
        None,
    )
    .await
    .unwrap();
    (folder.id, folder.attachments[0].id)
}

/// An API Gateway v2 event fixture of `events/` as the request the router receives on Lambda.
pub fn fixture_request(event_json: &str) -> axum::http::Request<axum::body::Body> {
    let request = lambda_http::request::from_str(event_json).unwrap();
    let (parts, body) = request.into_parts();
    axum::http::Request::from_parts(parts, axum::body::Body::from(body.to_vec()))
}

/// A small referential for router tests: one operator running CERTDC (client `fixture-osl`,
/// secret `fixture-secret-not-real`, as in the fixtures), one subscribed mairie.
pub async fn provision(state: &AppState) {
    let seed = serde_json::json!({
        "procedures": [{"code": "CERTDC", "title": "Certificat de décès électronique", "operator": "DGS"}],
        "organisations": [
            {"siret": "11001401600015", "branchCode": "75108", "name": "Mairie A", "type": "SI"},
            {"siret": "11000000000007", "branchCode": "00000", "name": "DGS", "type": "OSL", "code": "DGS"}
        ],
        "subscriptions": [{"siret": "11001401600015", "branchCode": "75108", "processCode": "CERTDC", "status": "Actif",
                           "accessMode": "API", "notificationFrequency": "unitaire", "email": "etat-civil@mairie-a.example"}],
        "apiClients": [{"clientId": "fixture-osl", "clientSecret": "fixture-secret-not-real", "scope": "OSL",
                        "siret": "11000000000007", "branchCode": "00000"},
                       {"clientId": "fixture-si", "clientSecret": "fixture-si-secret-not-real", "scope": "SI",
                        "siret": "11001401600015", "branchCode": "75108", "processCode": "CERTDC"}]
    });
    crate::seed::Provisioning::parse(&seed.to_string()).unwrap().load(&state.store).await.unwrap();
}

/// Claims of a client of the [`provision`]ed referential: `fixture-osl` (the operator) or
/// `fixture-si` (Mairie A's CERTDC client).
pub fn claims(state: &AppState, client: &str) -> crate::auth::Claims {
    use crate::domain::{BranchCode, ProcessCode, Scope, Siret};
    let (scope, siret, branch, process) = match client {
        "fixture-si" => (Scope::Si, "11001401600015", "75108", Some(ProcessCode::parse("CERTDC").unwrap())),
        _ => (Scope::Osl, "11000000000007", "00000", None),
    };
    let token = state
        .tokens
        .issue(
            client,
            scope,
            &Siret::parse(siret).unwrap(),
            &BranchCode::parse(branch).unwrap(),
            process.as_ref(),
            state.clock.now(),
        )
        .unwrap();
    state.tokens.verify(&token, state.clock.now()).unwrap()
}

/// A bearer token for a client of the [`provision`]ed referential (see [`claims`]).
pub fn bearer(state: &AppState, client: &str) -> String {
    let c = claims(state, client);
    let token =
        state.tokens.issue(&c.sub, c.scope, &c.siret, &c.branch, c.process_code.as_ref(), state.clock.now()).unwrap();
    format!("Bearer {token}")
}

/// Deposits and completes a folder with one attachment (`bytes`) for Mairie A; returns the
/// case id and the attachment id.
pub async fn deposit_case(state: &AppState, bytes: &'static [u8]) -> (uuid::Uuid, uuid::Uuid) {
    use crate::services::{UploadHeaders, folders};
    let op = claims(state, "fixture-osl");
    let body = serde_json::json!({
        "externalId": uuid::Uuid::new_v4().simple().to_string()[..20], "processCode": "CERTDC",
        "applicant": {"firstName": "Camille", "lastName": "FIXTURE"},
        "cases": [{"externalId": "A", "recipient": {"type": "SI", "companyRegister": "11001401600015", "branchCode": "75108"}}],
        "attachments": [{"fileName": "certificat.pdf", "type": "VA", "size": bytes.len(), "mimeType": "application/pdf", "recipients": ["A"]}]
    });
    let folder =
        folders::create_folder(state, &op, folders::NewFolder::parse("POST /f", &body).unwrap(), None).await.unwrap();
    let folder_id: uuid::Uuid = folder.id;
    let attachment: uuid::Uuid = folder.attachments[0].id;
    let stream = Box::pin(futures::stream::iter([Ok(bytes::Bytes::from_static(bytes))]));
    let headers = UploadHeaders { digest: None, content_length: None };
    folders::upload_attachment(state, &op, folder_id, attachment, headers, stream).await.unwrap();
    folders::update_folder(
        state,
        &op,
        folder_id,
        folders::FolderUpdate { global_status: "HUBEE_COMPLETED".into(), close_date_time: None },
    )
    .await
    .unwrap();
    let case = folder.cases[0].id;
    (case, attachment)
}

/// The placeholders the `events/` fixtures use for ids known only at test time.
pub const FIXTURE_CASE_ID: &str = "00000000-0000-4000-8000-00000000ca5e";
pub const FIXTURE_ATTACHMENT_ID: &str = "00000000-0000-4000-8000-0000000a77ac";
pub const FIXTURE_NOTIFICATION_ID: &str = "00000000-0000-4000-8000-0000000e071f";

/// A fixture of `events/` with its placeholder ids replaced and the given `Authorization`.
pub fn fixture(event_json: &str, ids: &[(&str, String)], authorization: &str) -> axum::http::Request<axum::body::Body> {
    let mut text = event_json.to_owned();
    for (placeholder, id) in ids {
        text = text.replace(placeholder, id);
    }
    let mut request = fixture_request(&text);
    request.headers_mut().insert(axum::http::header::AUTHORIZATION, authorization.parse().unwrap());
    request
}

/// A response's JSON body.
pub async fn json_body(response: axum::response::Response) -> serde_json::Value {
    use http_body_util::BodyExt;
    serde_json::from_slice(&response.into_body().collect().await.unwrap().to_bytes()).unwrap()
}

/// A state like [`state`] with a given clock and mailer.
pub fn state_with(dir: &Path, clock: Arc<dyn crate::ports::Clock>, mailer: Arc<dyn crate::ports::Mailer>) -> AppState {
    let base = state(dir);
    AppState { clock, mailer, ..base }
}

/// A mailer that records what it sends, and fails the first `failures` sends (or all of them).
#[derive(Default)]
pub struct RecordingMailer {
    pub sent: std::sync::Mutex<Vec<crate::ports::Email>>,
    pub attempts: std::sync::atomic::AtomicUsize,
    /// How many sends fail before they succeed; `usize::MAX` for a bouncing address.
    pub failures: usize,
}

impl RecordingMailer {
    pub fn failing(failures: usize) -> Self {
        Self { failures, ..Self::default() }
    }
    pub fn sent(&self) -> Vec<crate::ports::Email> {
        self.sent.lock().unwrap().clone()
    }
}

#[async_trait::async_trait]
impl crate::ports::Mailer for RecordingMailer {
    async fn send(&self, email: &crate::ports::Email) -> Result<String, crate::ports::MailError> {
        let n = self.attempts.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        if n < self.failures {
            return Err(crate::ports::MailError::Unavailable(anyhow::anyhow!(
                "550 mailbox unavailable (attempt {})",
                n + 1
            )));
        }
        self.sent.lock().unwrap().push(email.clone());
        Ok(format!("recorded-{n}"))
    }
}
pub const FIXTURE_EVENT_ID: &str = "00000000-0000-4000-8000-0000000e7e07";

/// Posts an `ATTACH_DEPOSIT` event with one file of `size` bytes as Mairie A's client on the
/// case; returns the event id and the file's id.
pub async fn deposit_event(state: &AppState, case: uuid::Uuid, size: usize) -> (uuid::Uuid, uuid::Uuid) {
    let si = claims(state, "fixture-si");
    let body = serde_json::json!({"actionType": "ATTACH_DEPOSIT", "notification": true,
        "attachments": [{"fileName": "complement.pdf", "type": "PJ", "size": size, "mimeType": "application/pdf"}]});
    let event = crate::services::events::create_event(
        state,
        &(&si).into(),
        case,
        crate::services::events::NewEvent::parse("POST /e", &body).unwrap(),
        None,
    )
    .await
    .unwrap();
    (event.id, event.attachments[0].id)
}

/// The entries of a zip archive, in order: name and bytes (each checked against its CRC).
pub async fn unzip(bytes: Vec<u8>) -> Vec<(String, Vec<u8>)> {
    let reader = async_zip::base::read::mem::ZipFileReader::new(bytes).await.unwrap();
    let mut out = Vec::new();
    for i in 0..reader.file().entries().len() {
        let name = reader.file().entries()[i].filename().as_str().unwrap().to_owned();
        let mut data = Vec::new();
        reader.reader_with_entry(i).await.unwrap().read_to_end_checked(&mut data).await.unwrap();
        out.push((name, data));
    }
    out
}
