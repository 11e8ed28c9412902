//! The driver: the local hub, built around the counting decorators, and the client that plays
//! dossiers through it over HTTP as the operator's software, a mairie's software, an agent in
//! the web front and the table's stream would.

use std::{path::PathBuf, sync::Arc};

use axum::middleware::from_fn_with_state;
use bytes::Bytes;
use hubee_shared::{
    adapters::{
        NoDirectory, RandomIds, RecentMail, SystemClock,
        embedded::{FsObjects, OutboxMailer, SqliteTable},
    },
    auth::{SigningKey, TokenKeys, generate_secret},
    bootstrap::LocalAdapters,
    config::{Backend, DEFAULT_INLINE_LIMIT, DEFAULT_MAIL_FROM, DeliveryPolicy, LocalConfig},
    ports::{Clock, Email, Mailer, Table},
    services::{folders::MAX_CASES, notify},
    state::AppState,
};
use hubee_tests::{MAIRIE_A, MAIRIE_B, SIGN_IN_SUBJECT, Secrets, code_in, recipient, sample, session_cookie_of};
use reqwest::{Method, header::HeaderMap};
use serde_json::{Value, json};

use crate::{
    decorators::{MeteredMailer, MeteredObjects, MeteredTable, metered},
    meter::Meter,
};

const AGENT: (&str, &str) = ("agent@mairie-b.example", "AgentB-Test-2026!");

pub struct Hub {
    pub state: AppState,
    meter: Arc<Meter>,
    mail: RecentMail,
    http: reqwest::Client,
    base: String,
    secrets: Secrets,
    files: Vec<(String, String, Vec<u8>)>,
    /// The mairies the folders of several cases go to (see [`folder_mairies`]).
    folder_mairies: Vec<(String, String)>,
    web_dir: PathBuf,
    _dir: tempfile::TempDir,
}

/// An answer: status, headers, body.
pub struct Answer {
    status: u16,
    headers: HeaderMap,
    body: Bytes,
}

impl Answer {
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or(Value::Null)
    }

    pub fn expect(self, status: u16, what: &str) -> Self {
        assert_eq!(self.status, status, "{what}: {}", String::from_utf8_lossy(&self.body));
        self
    }
}

pub async fn answer(rb: reqwest::RequestBuilder) -> Answer {
    let r = rb.send().await.unwrap();
    let status = r.status().as_u16();
    let headers = r.headers().clone();
    let body = r.bytes().await.unwrap();
    Answer { status, headers, body }
}

fn secrets() -> Secrets {
    Secrets {
        operator: generate_secret(),
        other_operator: generate_secret(),
        si: generate_secret(),
        si_b: generate_secret(),
        si_other_procedure: generate_secret(),
        si_strict: generate_secret(),
        admin: generate_secret(),
        datapass: generate_secret(),
    }
}

/// A portal session: the cookie and its CSRF token.
struct Session {
    cookie: String,
    csrf: String,
}

impl Hub {
    pub async fn start(meter: Arc<Meter>) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().join("data");
        std::fs::create_dir_all(&data).unwrap();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let web_dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../web/dist");
        let local = LocalConfig {
            addr,
            data_dir: data.clone(),
            seed: None,
            web_dir: web_dir.clone(),
            demo: false,
            public_url: None,
            mail_from: DEFAULT_MAIL_FROM.into(),
            delivery: DeliveryPolicy::default(),
            smtp_url: None,
            backend: Backend::Embedded,
            inline_limit: None,
            directory_url: None,
            clamd_addr: None,
            proconnect: None,
            password_sign_in: true,
            support_email: None,
        };
        let mut config = local.common(addr);
        // As a Lambda function: binaries above the inline limit (and every zip) go through S3
        // presigned URLs.
        config.inline_limit = Some(DEFAULT_INLINE_LIMIT);
        let clock: Arc<dyn Clock> = Arc::new(SystemClock);
        let fs = Arc::new(
            FsObjects::open(&data.join("objects"), &config.public_url, generate_secret().into_bytes(), clock.clone())
                .unwrap(),
        );
        let outbox: Arc<dyn Mailer> = Arc::new(OutboxMailer::open(&data.join("outbox"), &config.mail_from).unwrap());
        let mail = RecentMail::new(Arc::new(MeteredMailer { inner: outbox, meter: meter.clone() }));
        let table: Arc<dyn Table> = Arc::new(SqliteTable::open(&data.join("hub.sqlite")).unwrap());
        let state = AppState::new(
            Arc::new(MeteredTable { inner: table, meter: meter.clone() }),
            Arc::new(MeteredObjects { inner: fs.clone(), meter: meter.clone() }),
            Arc::new(mail.clone()),
            clock,
            Arc::new(RandomIds),
            Arc::new(NoDirectory),
            TokenKeys::single(&SigningKey::generate()).unwrap(),
            config,
        );
        let adapters = LocalAdapters { objects: Some(fs), mail: mail.clone() };
        let router = hubee_local::app(state.clone(), &adapters, &web_dir)
            .map_router(|router| router.layer(from_fn_with_state(meter.clone(), metered)));
        tokio::spawn(async move { axum::serve(listener, router.into_make_service()).await });

        let secrets = secrets();
        let mut seed = hubee_tests::provisioning(&secrets);
        let folder_mairies = folder_mairies();
        subscribe(&mut seed, &folder_mairies);
        hubee_shared::seed::Provisioning::parse(&seed.to_string()).unwrap().load(&state.store).await.unwrap();
        // Two PDFs of the CERTDC kit's size class: the death certificate, twice.
        let (name, mime, bytes) = sample("CERTDC", "ER20190860001_20190517_1512_VA.pdf");
        let files = vec![(name.clone(), mime.clone(), bytes.clone()), (name.replace("_VA", "_VA2"), mime, bytes)];
        Self {
            state,
            meter,
            mail,
            http: reqwest::Client::new(),
            base: format!("http://{addr}"),
            secrets,
            files,
            folder_mairies,
            web_dir,
            _dir: dir,
        }
    }

    pub fn req(&self, method: Method, path: &str) -> reqwest::RequestBuilder {
        self.http.request(method, format!("{}{path}", self.base))
    }

    pub fn api(&self, token: &str, method: Method, path: &str) -> reqwest::RequestBuilder {
        self.req(method, &format!("/teledossiers/v1{path}")).bearer_auth(token)
    }

    fn portal(&self, s: &Session, method: Method, path: &str) -> reqwest::RequestBuilder {
        self.req(method, &format!("/portail/v1{path}"))
            .header("cookie", format!("__Host-hubee_session={}", s.cookie))
            .header("x-csrf-token", &s.csrf)
    }

    async fn token(&self, client: &str, secret: &str, scope: &str) -> String {
        use base64::{Engine, engine::general_purpose::STANDARD};
        let a = answer(
            self.req(Method::POST, "/token")
                .header("authorization", format!("Basic {}", STANDARD.encode(format!("{client}:{secret}"))))
                .header("content-type", "application/x-www-form-urlencoded")
                .body(format!("grant_type=client_credentials&scope={scope}")),
        )
        .await
        .expect(200, "a token");
        a.json()["access_token"].as_str().unwrap().to_owned()
    }

    pub async fn operator_token(&self) -> String {
        self.token("dgs-osl", &self.secrets.operator, "OSL").await
    }

    pub async fn mairie_token(&self) -> String {
        self.token("mairie-a-certdc", &self.secrets.si, "SI").await
    }

    /// Creates a folder of one case per mairie (`C-1`, `C-2`, …), both files sent to every
    /// case, uploads the files, completes it; returns the case ids.
    async fn deposit(&self, op: &str, external_id: &str, mairies: &[(&str, &str)]) -> Vec<String> {
        let externals: Vec<String> = (1..=mairies.len()).map(|n| format!("C-{n}")).collect();
        let attachments: Vec<Value> = self
            .files
            .iter()
            .map(|(name, mime, bytes)| {
                json!({"fileName": name, "type": "VA_CertificatdeDeces", "size": bytes.len(), "mimeType": mime,
                       "recipients": externals})
            })
            .collect();
        let cases: Vec<Value> = externals
            .iter()
            .zip(mairies)
            .map(|(external, mairie)| json!({"externalId": external, "recipient": recipient(*mairie)}))
            .collect();
        let body = json!({
            "externalId": external_id,
            "processCode": "CERTDC",
            "applicant": {"firstName": "Camille", "lastName": "TESTEUR", "email": null},
            "cases": cases,
            "attachments": attachments,
        });
        let folder = answer(self.api(op, Method::POST, "/folders").json(&body)).await.expect(201, "folder").json();
        let id = folder["id"].as_str().unwrap();
        for (i, (_, _, bytes)) in self.files.iter().enumerate() {
            let path = format!("/folders/{id}/attachments/{}", folder["attachments"][i]["id"].as_str().unwrap());
            let req = self
                .api(op, Method::PUT, &path)
                .header("content-type", "application/octet-stream")
                .header("digest", hubee_tests::sha256_base64(bytes))
                .body(bytes.clone());
            answer(req).await.expect(204, "upload");
        }
        let complete = json!({"globalStatus": "HUBEE_COMPLETED"});
        answer(self.api(op, Method::PATCH, &format!("/folders/{id}")).json(&complete)).await.expect(204, "complete");
        let cases = folder["cases"].as_array().unwrap();
        assert_eq!(cases.len(), mairies.len(), "one case per mairie");
        cases.iter().map(|c| c["id"].as_str().unwrap().to_owned()).collect()
    }

    /// What the table's stream triggers: `notify` with the outbox records of a batch, until
    /// no record is left (the claim and the mark of an item come back as one more batch).
    async fn dispatch(&self) {
        loop {
            let ids = self.meter.take_outbox_records();
            if ids.is_empty() {
                break;
            }
            let flight = self.meter.begin("notify (table stream batch)");
            let failed = notify::handle(&self.state, ids).await;
            self.meter.end(flight, None);
            assert!(failed.is_empty(), "every outbox item is processed");
        }
    }

    /// The operator's software reads the notifications of the mairie's events and deletes them.
    async fn operator_acknowledges(&self, op: &str) {
        let list = answer(self.api(op, Method::GET, "/notifications")).await.expect(200, "operator notifications");
        for n in list.json().as_array().unwrap() {
            let id = n["id"].as_str().unwrap();
            answer(self.api(op, Method::DELETE, &format!("/notifications/{id}"))).await.expect(204, "deletion");
        }
    }

    pub async fn api_dossier(&self, i: usize, op: &str, si: &str) {
        self.meter.phase("api.deposit");
        let case = self.deposit(op, &format!("COST-API-{i:05}"), &[MAIRIE_A]).await.remove(0);
        self.meter.phase("api.dispatch");
        self.dispatch().await;

        self.meter.phase("api.mairie");
        let list = answer(self.api(si, Method::GET, "/notifications")).await.expect(200, "notifications").json();
        let notification = list
            .as_array()
            .unwrap()
            .iter()
            .find(|n| n["caseId"] == case.as_str())
            .expect("a notification for the case")["id"]
            .as_str()
            .unwrap()
            .to_owned();
        let read = answer(self.api(si, Method::GET, &format!("/cases/{case}"))).await.expect(200, "case").json();
        for a in read["attachments"].as_array().unwrap() {
            let path = format!("/cases/{case}/attachments/{}", a["id"].as_str().unwrap());
            let file = answer(self.api(si, Method::GET, &path)).await.expect(200, "download");
            assert_eq!(file.body.len(), self.files[0].2.len());
        }
        for (current, new) in [("HUBEE_NOTIFIED", "IN_PROGRESS"), ("IN_PROGRESS", "DONE")] {
            let event = json!({
                "actionType": "STATUS_UPDATE", "notification": true, "caseCurrentStatus": current, "caseNewStatus": new,
                "message": format!("Passage en {new}"), "author": "Logiciel d'état civil"
            });
            answer(self.api(si, Method::POST, &format!("/cases/{case}/events")).json(&event))
                .await
                .expect(201, "event");
        }
        answer(self.api(si, Method::DELETE, &format!("/notifications/{notification}"))).await.expect(204, "deletion");

        self.meter.phase("api.operator");
        self.operator_acknowledges(op).await;
    }

    /// A folder of `cases` cases, each for one of the mairies set aside for this, deposited as
    /// in [`Hub::deposit`], then dispatched: how the operator's routes grow with the cases.
    pub async fn folder(&self, i: usize, op: &str, unit: &FolderUnit) {
        let mairies: Vec<(&str, &str)> =
            self.folder_mairies[..unit.cases].iter().map(|(s, b)| (s.as_str(), b.as_str())).collect();
        self.meter.phase(unit.deposit);
        self.deposit(op, &format!("COST-FOLDER-{}-{i:05}", unit.cases), &mairies).await;
        self.meter.phase(unit.dispatch);
        self.dispatch().await;
    }

    async fn sign_in(&self) -> Session {
        let (email, password) = AGENT;
        let codes_before = self.codes_sent();
        // Opening the portal: the front asks who is signed in (nobody yet).
        answer(self.req(Method::GET, "/portail/v1/me")).await.expect(401, "anonymous /me");
        let challenge =
            answer(self.req(Method::POST, "/portail/v1/session").json(&json!({"email": email, "password": password})))
                .await
                .expect(200, "password")
                .json();
        let sent = self.mail.recent().into_iter().filter(|e| is_code_for(e, email)).collect::<Vec<_>>();
        assert_eq!(sent.len(), codes_before + 1, "one code e-mailed");
        let code = code_in(sent.last().unwrap()).unwrap();
        let body = json!({"challengeId": challenge["challengeId"], "code": code});
        let r = self.req(Method::POST, "/portail/v1/session/otp").json(&body).send().await.unwrap();
        let cookie = session_cookie_of(&r).expect("a session cookie");
        assert_eq!(r.status(), 200);
        let me: Value = r.json().await.unwrap();
        Session { cookie, csrf: me["csrfToken"].as_str().unwrap().to_owned() }
    }

    fn codes_sent(&self) -> usize {
        self.mail.recent().iter().filter(|e| is_code_for(e, AGENT.0)).count()
    }

    pub async fn portal_dossier(&self, i: usize, op: &str) {
        self.meter.phase("portal.deposit");
        let case = self.deposit(op, &format!("COST-PORTAL-{i:05}"), &[MAIRIE_B]).await.remove(0);
        self.meter.phase("portal.dispatch");
        self.dispatch().await;

        self.meter.phase("portal.session");
        let s = self.sign_in().await;

        // What the web front requests (web/src/js/pages/inbox.js and dossier.js).
        self.meter.phase("portal.agent");
        let inbox = answer(self.portal(&s, Method::GET, "/cases?limit=25")).await.expect(200, "inbox").json();
        assert!(inbox["items"].as_array().unwrap().iter().any(|d| d["id"] == case.as_str()), "in the inbox");
        let page = answer(self.portal(&s, Method::GET, &format!("/cases/{case}"))).await.expect(200, "dossier").json();
        assert_eq!(page["receptionToConfirm"], true);
        let act = |action: &str| json!({"action": action});
        answer(self.portal(&s, Method::POST, &format!("/cases/{case}/status")).json(&act("CONFIRM_RECEPTION")))
            .await
            .expect(200, "reception");
        self.refresh(&s, &case).await;
        // The zip: on Lambda, written to S3 and fetched from a presigned URL (a 303 followed).
        let zip = answer(self.portal(&s, Method::POST, &format!("/cases/{case}/archive"))).await.expect(200, "zip");
        assert!(zip.body.len() > self.files[0].2.len(), "{:?}", zip.headers);
        self.refresh(&s, &case).await;
        let comment = json!({"text": "Vu avec le service"});
        answer(self.portal(&s, Method::POST, &format!("/cases/{case}/comments")).json(&comment))
            .await
            .expect(201, "comment");
        answer(self.portal(&s, Method::GET, &format!("/cases/{case}/history"))).await.expect(200, "history");
        answer(self.portal(&s, Method::POST, &format!("/cases/{case}/status")).json(&act("FINISH")))
            .await
            .expect(200, "finish");
        self.refresh(&s, &case).await;

        self.meter.phase("portal.session");
        answer(self.portal(&s, Method::DELETE, "/session")).await.expect(204, "sign-out");

        self.meter.phase("portal.operator");
        self.operator_acknowledges(op).await;
    }

    /// The dossier page after a change: the dossier again, then its history.
    async fn refresh(&self, s: &Session, case: &str) {
        answer(self.portal(s, Method::GET, &format!("/cases/{case}"))).await.expect(200, "dossier");
        answer(self.portal(s, Method::GET, &format!("/cases/{case}/history"))).await.expect(200, "history");
    }

    /// A browser with an empty cache opening the portal: index.html, its style sheets, the
    /// app's modules (followed through their imports), the favicon; compressed (brotli) as
    /// CloudFront serves them. Fonts and icons the style sheets name are not followed.
    pub async fn cold_front(&self) {
        let Ok(index) = std::fs::read_to_string(self.web_dir.join("index.html")) else {
            eprintln!("web/dist is not built (docs/WEB.md): the cold front load is not measured");
            return;
        };
        let mut queue: Vec<String> = attributes(&index)
            .into_iter()
            .filter(|p| p.starts_with('/') && p.len() > 1)
            .filter(|p| !p.contains("apple-touch-icon") && !p.ends_with(".ico") && !p.contains("nomodule"))
            .collect();
        queue.insert(0, "/".into());
        let mut seen = std::collections::BTreeSet::new();
        while let Some(path) = queue.pop() {
            if !seen.insert(path.clone()) {
                continue;
            }
            let r = self.req(Method::GET, &path).header("accept-encoding", "br");
            answer(r).await.expect(200, &path);
            if path.ends_with(".js") {
                let text = std::fs::read_to_string(self.web_dir.join(path.trim_start_matches('/'))).unwrap();
                for import in imports(&text) {
                    queue.push(resolve(&path, &import));
                }
            }
        }
    }
}

/// A folder of several cases the driver deposits, and the phases it is measured in.
pub struct FolderUnit {
    pub name: &'static str,
    pub cases: usize,
    pub deposit: &'static str,
    pub dispatch: &'static str,
}

/// One case, and the contract's maximum (`MAX_CASES`): sequential table round trips must not
/// grow with the cases (issue 14).
pub const FOLDER_UNITS: [FolderUnit; 2] = [
    FolderUnit { name: "API folder, 1 case", cases: 1, deposit: "folder1.deposit", dispatch: "folder1.dispatch" },
    FolderUnit { name: "API folder, 24 cases", cases: 24, deposit: "folder24.deposit", dispatch: "folder24.dispatch" },
];
const _: () = assert!(FOLDER_UNITS[1].cases == MAX_CASES, "the largest folder the contract allows");

/// Mairies of their own for the folders of several cases (a folder has one case per
/// recipient), so that their notifications stay out of Mairie A's and B's: valid SIRETs
/// (Luhn) `2100099000nnnc`, branch codes `990nn`.
fn folder_mairies() -> Vec<(String, String)> {
    (1..=MAX_CASES)
        .map(|n| {
            let base = format!("2100099000{n:03}");
            // Luhn from the right: the check digit is not doubled, so the base's last digit is.
            let sum: u32 = base
                .bytes()
                .rev()
                .enumerate()
                .map(|(i, b)| {
                    let d = u32::from(b - b'0');
                    if i % 2 == 0 { if d * 2 > 9 { d * 2 - 9 } else { d * 2 } } else { d }
                })
                .sum();
            (format!("{base}{}", (10 - sum % 10) % 10), format!("990{n:02}"))
        })
        .collect()
}

/// Adds the mairies to the provisioning file: organisations subscribed to CERTDC by API, with
/// an e-mail for each notification, as Mairie A is.
fn subscribe(seed: &mut Value, mairies: &[(String, String)]) {
    for (n, (siret, branch)) in mairies.iter().enumerate() {
        seed["organisations"]
            .as_array_mut()
            .unwrap()
            .push(json!({"siret": siret, "branchCode": branch, "name": format!("Mairie {}", n + 1), "type": "SI"}));
        seed["subscriptions"].as_array_mut().unwrap().push(json!({
            "siret": siret, "branchCode": branch, "processCode": "CERTDC", "status": "Actif", "accessMode": "API",
            "notificationFrequency": "unitaire", "email": format!("etat-civil@mairie-{}.example", n + 1),
            "activateDateTime": "2026-01-01T00:00:00.000Z"
        }));
    }
}

fn is_code_for(e: &Email, address: &str) -> bool {
    e.subject == SIGN_IN_SUBJECT && e.to.iter().any(|t| t == address)
}

/// The `href="…"` and `src="…"` values of an HTML page.
fn attributes(html: &str) -> Vec<String> {
    let mut out = Vec::new();
    for marker in ["href=\"", "src=\""] {
        for part in html.split(marker).skip(1) {
            if let Some(end) = part.find('"') {
                out.push(part[..end].to_owned());
            }
        }
    }
    out
}

/// The relative module specifiers of an ES module (`from './x.js'`, `import './x.js'`).
fn imports(js: &str) -> Vec<String> {
    let mut out = Vec::new();
    for marker in ["from '", "from \"", "import '", "import \"", "import('", "import(\""] {
        for part in js.split(marker).skip(1) {
            if let Some(end) = part.find(['\'', '"']) {
                let spec = &part[..end];
                if spec.starts_with("./") || spec.starts_with("../") {
                    out.push(spec.to_owned());
                }
            }
        }
    }
    out
}

fn resolve(from: &str, spec: &str) -> String {
    let mut parts: Vec<&str> = from.split('/').collect();
    parts.pop();
    for seg in spec.split('/') {
        match seg {
            "." => {}
            ".." => {
                parts.pop();
            }
            s => parts.push(s),
        }
    }
    parts.join("/")
}
