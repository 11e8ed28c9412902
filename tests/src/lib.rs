//! Test support for the black-box suites: a local hub on port 0 in a temporary data directory,
//! provisioned with a test referential, and a small client for the HubEE API.
//!
//! With `HUBEE_BACKEND=aws` (and `AWS_ENDPOINT_URL` pointing at moto, as `scripts/test` sets),
//! every hub runs on the AWS adapters instead, on its own fresh table and bucket: the same
//! suites then check the whole hub on DynamoDB, S3 and SESv2.

#![allow(clippy::unwrap_used, clippy::expect_used)] // Test support: a failed step is a failed test.

use std::{path::PathBuf, sync::Arc};

use base64::{Engine, engine::general_purpose::STANDARD};
use hubee_local::Hub;
use hubee_shared::{
    adapters::SystemClock,
    config::{AwsResources, Backend, LocalConfig},
    ports::Clock,
    testkit::directory::FakeDirectory,
};
use reqwest::{Method, RequestBuilder, Response};
use serde_json::{Value, json};
use tempfile::TempDir;

pub mod bench;
pub mod folders;
pub mod load;

pub const OPERATOR_SIRET: &str = "11000000000007";
pub const OTHER_OPERATOR_SIRET: &str = "11000024656321";
/// Two instructing services subscribed to CERTDC, one that is not, one not in the referential.
pub const MAIRIE_A: (&str, &str) = ("11001401600015", "75108");
pub const MAIRIE_B: (&str, &str) = ("21000005908301", "69123");
pub const MAIRIE_UNSUBSCRIBED: (&str, &str) = ("21000014875749", "33063");
pub const MAIRIE_UNKNOWN: (&str, &str) = ("21000032233079", "13055");
/// The platform (DINUM), behind the ADMIN and DATAPASS clients.
pub const PLATFORM: (&str, &str) = ("13002526500013", "00000");
/// A procedure (run by DILA) that the provisioning subscribes nobody to: the subscriptions
/// suite creates its own.
pub const PACS: &str = "depotDossierPACS";

/// The secrets of the test referential (generated per run, never stored in the repository).
pub struct Secrets {
    pub operator: String,
    pub other_operator: String,
    pub si: String,
    /// Mairie B's CERTDC client.
    pub si_b: String,
    /// Mairie A's client for another procedure (EtatCivil).
    pub si_other_procedure: String,
    /// Mairie A's client for the strict procedure.
    pub si_strict: String,
    pub admin: String,
    pub datapass: String,
}

pub fn provisioning(s: &Secrets) -> Value {
    json!({
        "procedures": [
            {"code": "CERTDC", "title": "Certificat de décès électronique", "operator": "DGS"},
            {"code": "EtatCivil", "title": "Demande d'acte d'état civil", "operator": "DILA"},
            {"code": "STRICTDEMO", "title": "Démarche au workflow strict", "operator": "DGS", "statusPolicy": "strict"},
            {"code": PACS, "title": "Dépôt de dossier de PACS", "operator": "DILA"}
        ],
        "organisations": [
            {"siret": MAIRIE_A.0, "branchCode": MAIRIE_A.1, "name": "Mairie A", "type": "SI"},
            {"siret": MAIRIE_B.0, "branchCode": MAIRIE_B.1, "name": "Mairie B", "type": "SI"},
            {"siret": MAIRIE_UNSUBSCRIBED.0, "branchCode": MAIRIE_UNSUBSCRIBED.1, "name": "Mairie C", "type": "SI"},
            {"siret": OPERATOR_SIRET, "branchCode": "00000", "name": "DGS", "type": "OSL", "code": "DGS"},
            {"siret": OTHER_OPERATOR_SIRET, "branchCode": "00000", "name": "DILA", "type": "OSL", "code": "DILA"},
            {"siret": PLATFORM.0, "branchCode": PLATFORM.1, "name": "DINUM", "type": "ADMIN"}
        ],
        "subscriptions": [
            {"siret": MAIRIE_A.0, "branchCode": MAIRIE_A.1, "processCode": "CERTDC", "status": "Actif", "accessMode": "API",
             "notificationFrequency": "unitaire", "email": "etat-civil@mairie-a.example", "activateDateTime": "2026-01-01T00:00:00.000Z"},
            {"siret": MAIRIE_B.0, "branchCode": MAIRIE_B.1, "processCode": "CERTDC", "status": "Actif", "accessMode": "PORTAIL",
             "notificationFrequency": "unitaire", "email": "deces@mairie-b.example", "activateDateTime": "2026-01-01T00:00:00.000Z"},
            {"siret": MAIRIE_UNSUBSCRIBED.0, "branchCode": MAIRIE_UNSUBSCRIBED.1, "processCode": "EtatCivil", "status": "Actif",
             "accessMode": "PORTAIL", "notificationFrequency": "unitaire", "email": "etat-civil@mairie-c.example"},
            {"siret": MAIRIE_A.0, "branchCode": MAIRIE_A.1, "processCode": "STRICTDEMO", "status": "Actif", "accessMode": "API",
             "notificationFrequency": "aucune"}
        ],
        "apiClients": [
            {"clientId": "dgs-osl", "clientSecret": s.operator, "scope": "OSL", "siret": OPERATOR_SIRET, "branchCode": "00000"},
            {"clientId": "dila-osl", "clientSecret": s.other_operator, "scope": "OSL", "siret": OTHER_OPERATOR_SIRET, "branchCode": "00000"},
            {"clientId": "mairie-a-certdc", "clientSecret": s.si, "scope": "SI", "siret": MAIRIE_A.0, "branchCode": MAIRIE_A.1, "processCode": "CERTDC"},
            {"clientId": "mairie-b-certdc", "clientSecret": s.si_b, "scope": "SI", "siret": MAIRIE_B.0, "branchCode": MAIRIE_B.1, "processCode": "CERTDC"},
            {"clientId": "mairie-a-etatcivil", "clientSecret": s.si_other_procedure, "scope": "SI", "siret": MAIRIE_A.0, "branchCode": MAIRIE_A.1, "processCode": "EtatCivil"},
            {"clientId": "mairie-a-strict", "clientSecret": s.si_strict, "scope": "SI", "siret": MAIRIE_A.0, "branchCode": MAIRIE_A.1, "processCode": "STRICTDEMO"},
            {"clientId": "hubee-admin", "clientSecret": s.admin, "scope": "ADMIN", "siret": PLATFORM.0, "branchCode": PLATFORM.1},
            {"clientId": "datapass", "clientSecret": s.datapass, "scope": "DATAPASS", "siret": PLATFORM.0, "branchCode": PLATFORM.1}
        ],
        "accounts": [
            {"email": "admin@mairie-a.example", "password": "Admin-Test-2026!", "actorType": "LOCAL_ADMIN",
             "siret": MAIRIE_A.0, "branchCode": MAIRIE_A.1, "firstName": "Alice", "lastName": "Martin"},
            {"email": "agent@mairie-a.example", "password": "Agent-Test-2026!", "actorType": "AGENT", "habilitations": ["CERTDC"],
             "siret": MAIRIE_A.0, "branchCode": MAIRIE_A.1, "firstName": "Bruno", "lastName": "Petit"},
            {"email": "lecteur@mairie-a.example", "password": "Lecteur-Test-2026!", "actorType": "AGENT", "habilitations": ["CERTDC"],
             "roles": ["CONSULTATION_TELEDOSSIERS"], "siret": MAIRIE_A.0, "branchCode": MAIRIE_A.1, "firstName": "Léa", "lastName": "Roux"},
            {"email": "agent@mairie-b.example", "password": "AgentB-Test-2026!", "actorType": "AGENT", "habilitations": ["CERTDC"],
             "siret": MAIRIE_B.0, "branchCode": MAIRIE_B.1, "firstName": "Chloé", "lastName": "Blanc"},
            {"email": "sans-habilitation@mairie-a.example", "password": "Sans-Test-2026!", "actorType": "AGENT",
             "siret": MAIRIE_A.0, "branchCode": MAIRIE_A.1, "firstName": "Hugo", "lastName": "Faure"},
            {"email": "delegue@editeur.example", "password": "Delegue-Test-2026!", "actorType": "TECHNICAL_DELEGATE",
             "siret": MAIRIE_A.0, "branchCode": MAIRIE_A.1, "firstName": "Inès", "lastName": "Moreau"},
            {"email": "suspendu@mairie-a.example", "password": "Suspendu-Test-2026!", "actorType": "AGENT", "habilitations": ["CERTDC"],
             "siret": MAIRIE_A.0, "branchCode": MAIRIE_A.1, "firstName": "Jules", "lastName": "Garnier"},
            {"email": NATIONAL_ADMIN, "password": NATIONAL_ADMIN_PASSWORD, "actorType": "NATIONAL_ADMIN",
             "siret": PLATFORM.0, "branchCode": PLATFORM.1, "firstName": "Nora", "lastName": "Dinum"}
        ]
    })
}

/// A hub under test, with its data directory and HTTP client.
pub struct TestHub {
    pub hub: Option<Hub>,
    pub base: String,
    pub dir: TempDir,
    pub secrets: Secrets,
    pub http: reqwest::Client,
    /// The directory of establishments the hub asks (`HUBEE_DIRECTORY_URL`): a fake of the
    /// "recherche d'entreprises" API on 127.0.0.1, knowing nothing until told.
    pub directory: FakeDirectory,
    clock: Arc<dyn Clock>,
    backend: Backend,
    inline_limit: Option<u64>,
    /// The clamd the hub scans binaries with (`HUBEE_CLAMD_ADDR`): the test command's, when it
    /// exported one, or the one a test names ([`TestHub::spawn_with_clamd`]).
    clamd_addr: Option<String>,
    /// `HUBEE_PASSWORD_SIGN_IN`: on, but where a test turns it off ([`TestHub::restart_without_passwords`]).
    password_sign_in: bool,
}

/// The backend the suites run on: embedded unless `HUBEE_BACKEND=aws`; on AWS, a table and a
/// bucket of their own, kept across restarts.
fn test_backend() -> Backend {
    match std::env::var("HUBEE_BACKEND").as_deref() {
        Ok("aws") => {
            let name = format!("hubee-test-{}", uuid::Uuid::new_v4().simple());
            Backend::Aws(AwsResources { table: name.clone(), bucket: name, audit_bucket: None })
        }
        Ok("embedded") | Err(_) => Backend::Embedded,
        Ok(other) => panic!("HUBEE_BACKEND must be embedded or aws, not {other:?}"),
    }
}

/// The ProConnect stand-in the test command started (tests/oidc-provider, exported by
/// `start_proconnect`), if any: every hub under test is registered with it.
pub fn proconnect_stand_in() -> Option<hubee_shared::adapters::ProConnectSettings> {
    let var = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
    let issuer = var("HUBEE_TEST_PROCONNECT_ISSUER")?;
    let id = var("HUBEE_TEST_PROCONNECT_CLIENT_ID")?;
    let secret = var("HUBEE_TEST_PROCONNECT_CLIENT_SECRET")?;
    Some(hubee_shared::adapters::ProConnectSettings::new(issuer, id, secret).expect("the stand-in's settings"))
}

fn secret() -> String {
    hubee_shared::auth::generate_secret()
}

impl TestHub {
    pub async fn spawn() -> Self {
        Self::spawn_with_clock(Arc::new(SystemClock)).await
    }

    pub async fn spawn_with_clock(clock: Arc<dyn Clock>) -> Self {
        Self::spawn_with(clock, None).await
    }

    /// A hub capping binaries in requests and responses at `limit` bytes, as a Lambda function
    /// does (`HUBEE_INLINE_LIMIT`): larger ones go through presigned URLs.
    pub async fn spawn_with_inline_limit(limit: u64) -> Self {
        Self::spawn_with(Arc::new(SystemClock), Some(limit)).await
    }

    /// A hub scanning binaries with the clamd at `addr` (`HUBEE_CLAMD_ADDR`), whatever the
    /// environment says (a closed port: the scanner is down).
    pub async fn spawn_with_clamd(addr: &str) -> Self {
        Self::spawn_configured(Arc::new(SystemClock), None, Some(addr.to_owned())).await
    }

    async fn spawn_with(clock: Arc<dyn Clock>, inline_limit: Option<u64>) -> Self {
        let clamd = std::env::var("HUBEE_CLAMD_ADDR").ok().filter(|a| !a.is_empty());
        Self::spawn_configured(clock, inline_limit, clamd).await
    }

    async fn spawn_configured(clock: Arc<dyn Clock>, inline_limit: Option<u64>, clamd_addr: Option<String>) -> Self {
        let dir = tempfile::tempdir().expect("temporary directory");
        let secrets = Secrets {
            operator: secret(),
            other_operator: secret(),
            si: secret(),
            si_b: secret(),
            si_other_procedure: secret(),
            si_strict: secret(),
            admin: secret(),
            datapass: secret(),
        };
        let seed = dir.path().join("seed.json");
        std::fs::write(&seed, provisioning(&secrets).to_string()).expect("writing the seed");
        let mut t = Self {
            hub: None,
            base: String::new(),
            dir,
            secrets,
            http: reqwest::Client::new(),
            directory: FakeDirectory::start().await,
            clock,
            backend: test_backend(),
            inline_limit,
            clamd_addr,
            password_sign_in: true,
        };
        t.start().await;
        t
    }

    fn config(&self) -> LocalConfig {
        LocalConfig {
            addr: "127.0.0.1:0".parse().expect("address"),
            data_dir: self.dir.path().join("data"),
            seed: Some(self.dir.path().join("seed.json")),
            web_dir: PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../web/dist"),
            demo: false,
            public_url: None,
            mail_from: match &self.backend {
                Backend::Embedded => hubee_shared::config::DEFAULT_MAIL_FROM.into(),
                // Its own sender, so that the messages this hub sent stand out in the emulator.
                Backend::Aws(aws) => format!("HubEE <{}@hubee.localhost>", aws.table),
            },
            delivery: hubee_shared::config::DeliveryPolicy::default(),
            smtp_url: None,
            backend: self.backend.clone(),
            inline_limit: self.inline_limit,
            directory_url: Some(self.directory.url()),
            clamd_addr: self.clamd_addr.clone(),
            proconnect: proconnect_stand_in(),
            password_sign_in: self.password_sign_in,
            support_email: Some("support@hubee.example".into()),
        }
    }

    async fn start(&mut self) {
        let hub = hubee_local::start(self.config(), self.clock.clone()).await.expect("the hub starts");
        self.base = format!("http://{}", hub.addr);
        self.hub = Some(hub);
    }

    /// Runs a maintenance command of the hub's binary (`cargo run -- <command>`) on this hub's
    /// storage and configuration, the hub still running.
    pub async fn maintenance(&self, command: hubee_local::maintenance::Command) {
        self.maintenance_result(command).await.expect("the command succeeds");
    }

    /// [`Self::maintenance`], its failure returned.
    pub async fn maintenance_result(&self, command: hubee_local::maintenance::Command) -> anyhow::Result<()> {
        hubee_local::maintenance::run(command, self.config()).await
    }

    /// Starts a second hub on this hub's data directory and configuration, the first still
    /// running: the embedded backend refuses it.
    pub async fn start_another(&self) -> anyhow::Result<Hub> {
        hubee_local::start(self.config(), self.clock.clone()).await
    }

    /// Whether the hub runs on its embedded storage (not on the AWS adapters).
    pub fn is_embedded(&self) -> bool {
        matches!(self.backend, Backend::Embedded)
    }

    /// Stops the hub and starts it again on the same data directory.
    pub async fn restart(&mut self) {
        if let Some(hub) = self.hub.take() {
            hub.stop().await.expect("the hub stops cleanly");
        }
        self.start().await;
    }

    /// Stops the hub and starts it again on the same data directory, scanning with the clamd
    /// at `addr` (none: nothing scanned).
    pub async fn restart_with_clamd(&mut self, addr: Option<&str>) {
        self.clamd_addr = addr.map(str::to_owned);
        self.restart().await;
    }

    /// Stops the hub and starts it again on the same data directory with password sign-in
    /// turned off (`HUBEE_PASSWORD_SIGN_IN=0`): only ProConnect signs people in.
    pub async fn restart_without_passwords(&mut self) {
        self.password_sign_in = false;
        self.restart().await;
    }

    pub fn hub(&self) -> &Hub {
        self.hub.as_ref().expect("running")
    }

    pub fn request(&self, method: Method, path: &str) -> RequestBuilder {
        self.http.request(method, format!("{}{path}", self.base))
    }

    /// `POST /token` with HTTP Basic.
    pub async fn token_response(&self, client_id: &str, secret: &str, scope: &str) -> Response {
        self.request(Method::POST, "/token")
            .header("authorization", format!("Basic {}", STANDARD.encode(format!("{client_id}:{secret}"))))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(format!("grant_type=client_credentials&scope={scope}"))
            .send()
            .await
            .expect("token request")
    }

    pub async fn token(&self, client_id: &str, secret: &str, scope: &str) -> String {
        let r = self.token_response(client_id, secret, scope).await;
        assert_eq!(r.status(), 200, "a token for {client_id}");
        let body: Value = r.json().await.expect("token JSON");
        body["access_token"].as_str().expect("access_token").to_owned()
    }

    pub async fn operator_token(&self) -> String {
        self.token("dgs-osl", &self.secrets.operator, "OSL").await
    }

    pub async fn other_operator_token(&self) -> String {
        self.token("dila-osl", &self.secrets.other_operator, "OSL").await
    }

    pub async fn si_token(&self) -> String {
        self.token("mairie-a-certdc", &self.secrets.si, "SI").await
    }

    pub async fn si_b_token(&self) -> String {
        self.token("mairie-b-certdc", &self.secrets.si_b, "SI").await
    }

    pub async fn si_other_procedure_token(&self) -> String {
        self.token("mairie-a-etatcivil", &self.secrets.si_other_procedure, "SI").await
    }

    pub async fn si_strict_token(&self) -> String {
        self.token("mairie-a-strict", &self.secrets.si_strict, "SI").await
    }

    pub async fn admin_token(&self) -> String {
        self.token("hubee-admin", &self.secrets.admin, "ADMIN").await
    }

    pub async fn datapass_token(&self) -> String {
        self.token("datapass", &self.secrets.datapass, "DATAPASS").await
    }

    /// A request to the subscriptions referential (`/referential/v1{path}`) with a bearer token.
    pub fn referential(&self, token: &str, method: Method, path: &str) -> RequestBuilder {
        self.request(method, &format!("/referential/v1{path}")).bearer_auth(token)
    }

    /// The e-mails this hub (since its last start) sent to an address, oldest first.
    pub fn emails_to(&self, address: &str) -> Vec<hubee_shared::ports::Email> {
        self.hub().adapters.mail.recent().into_iter().filter(|e| e.to.iter().any(|t| t == address)).collect()
    }

    /// Waits (up to 10 s) until `count` e-mails reached the address, and returns them.
    pub async fn wait_for_emails(&self, address: &str, count: usize) -> Vec<hubee_shared::ports::Email> {
        for _ in 0..200 {
            let emails = self.emails_to(address);
            if emails.len() >= count {
                return emails;
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        panic!("{count} e-mail(s) to {address} expected, got {:?}", self.emails_to(address));
    }

    /// The recipients of every message this hub's data has seen delivered, restarts included:
    /// the outbox folder's `.eml` files, or on AWS the messages SES (moto) accepted from this
    /// hub's sender.
    pub async fn delivered(&self) -> Vec<Vec<String>> {
        match &self.backend {
            Backend::Embedded => {
                let Ok(entries) = std::fs::read_dir(self.dir.path().join("data/outbox")) else { return vec![] };
                entries
                    .flatten()
                    .filter(|e| e.path().extension().is_some_and(|x| x == "eml"))
                    .map(|e| {
                        let eml = std::fs::read_to_string(e.path()).unwrap();
                        let to = eml.lines().find_map(|l| l.strip_prefix("To: ")).expect("a To: header");
                        to.split(", ").map(str::to_owned).collect()
                    })
                    .collect()
            }
            Backend::Aws(aws) => {
                let data = self.moto_data().await;
                let sender = format!("{}@hubee.localhost", aws.table);
                data["ses"]["Message"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter(|m| m["source"].as_str().is_some_and(|s| s.contains(&sender)))
                    .map(|m| {
                        let to = m["destinations"]["ToAddresses"].as_array().expect("ToAddresses");
                        to.iter().map(|a| a.as_str().unwrap().to_owned()).collect()
                    })
                    .collect()
            }
        }
    }

    /// Everything the moto server holds (`/moto-api/data.json`). Under load moto sometimes
    /// answers it with an error page: asked again a few times, then the answer is shown.
    async fn moto_data(&self) -> Value {
        let endpoint = std::env::var("AWS_ENDPOINT_URL").expect("AWS_ENDPOINT_URL");
        let mut last = String::new();
        for _ in 0..5 {
            let response = self.http.get(format!("{endpoint}/moto-api/data.json")).send().await.unwrap();
            let status = response.status();
            let body = response.text().await.unwrap_or_default();
            match serde_json::from_str(&body) {
                Ok(data) if status.is_success() => return data,
                _ => last = format!("{status}: {}", body.chars().take(300).collect::<String>()),
            }
            tokio::time::sleep(std::time::Duration::from_millis(200)).await;
        }
        panic!("moto's data.json did not answer JSON: {last}");
    }

    /// How many binaries the object store holds under `prefix` (`folders/`, say).
    pub async fn stored_objects(&self, prefix: &str) -> usize {
        match &self.backend {
            Backend::Embedded => {
                hubee_shared::adapters::embedded::FsObjects::keys_in(&self.dir.path().join("data/objects"), prefix)
                    .expect("the objects directory is readable")
                    .len()
            }
            Backend::Aws(aws) => {
                let sdk = hubee_shared::adapters::aws::sdk_config().await;
                let s3 = aws_sdk_s3::Client::from_conf(
                    aws_sdk_s3::config::Builder::from(&sdk).force_path_style(true).build(),
                );
                let listed = s3.list_objects_v2().bucket(&aws.bucket).prefix(prefix).send().await.unwrap();
                listed.contents().len()
            }
        }
    }

    /// Whether an object PUT to a presigned URL completes its upload here: the embedded
    /// backend's `/objects/` route does; on AWS, S3's events do, which a local hub never gets.
    pub fn completes_presigned_uploads(&self) -> bool {
        self.backend == Backend::Embedded
    }

    /// A request with a bearer token.
    pub fn api(&self, token: &str, method: Method, path: &str) -> RequestBuilder {
        self.request(method, &format!("/teledossiers/v1{path}")).bearer_auth(token)
    }
}

/// The answer's status and JSON body (`Null` for an empty body).
pub async fn answer(r: Response) -> (u16, Value) {
    let status = r.status().as_u16();
    let text = r.text().await.expect("body");
    let body = if text.is_empty() {
        Value::Null
    } else {
        serde_json::from_str(&text).unwrap_or_else(|_| panic!("not JSON: {text}"))
    };
    (status, body)
}

/// The message of the first error of a contract error body.
pub fn first_error(body: &Value) -> (i64, String) {
    let e = &body["errors"][0];
    (e["code"].as_i64().unwrap_or_default(), e["message"].as_str().unwrap_or_default().to_owned())
}

/// The official test kit's files, at `../shared/samples/` from the project root
/// (`HUBEE_SAMPLES_DIR` overrides).
pub fn samples_dir() -> PathBuf {
    std::env::var_os("HUBEE_SAMPLES_DIR")
        .map_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/samples"), PathBuf::from)
}

/// A sample file: name, MIME type, bytes.
pub fn sample(procedure: &str, name: &str) -> (String, String, Vec<u8>) {
    let path = samples_dir().join(procedure).join(name);
    let bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("reading {}: {e}", path.display()));
    let mime = if name.ends_with(".pdf") { "application/pdf" } else { "application/xml" };
    (name.to_owned(), mime.to_owned(), bytes)
}

pub fn sha256_base64(bytes: &[u8]) -> String {
    use sha2::Digest;
    STANDARD.encode(sha2::Sha256::digest(bytes))
}

/// A fictional SIRET for benchmarks: SIREN `2100xxxxx` from `n`, then a NIC whose last digit
/// passes the Luhn check.
pub fn fictional_siret(n: usize) -> String {
    let base = format!("2100{n:05}0000");
    (0..10)
        .map(|d| format!("{base}{d}"))
        .find(|s| hubee_shared::domain::Siret::parse(s).is_ok())
        .expect("one check digit passes Luhn")
}

pub fn recipient(org: (&str, &str)) -> Value {
    json!({"type": "SI", "companyRegister": org.0, "branchCode": org.1})
}

// ---------------------------------------------------------------------------------------------
// The portal, as a person uses it
// ---------------------------------------------------------------------------------------------

/// The provisioned local administrator of Mairie A, with a password.
/// The national administrator (HubEE's team, in the platform's ADMIN organisation).
pub const NATIONAL_ADMIN: &str = "national@hubee.example";
pub const NATIONAL_ADMIN_PASSWORD: &str = "National-Test-2026!";
pub const PORTAL_ADMIN: &str = "admin@mairie-a.example";
pub const PORTAL_ADMIN_PASSWORD: &str = "Admin-Test-2026!";

/// Every portal route the functions declare, `(method, path)`: add a function's
/// `PORTAL_ROUTES` here when it serves portal routes.
pub fn portal_routes() -> Vec<(&'static str, &'static str)> {
    [
        hubee_auth::PORTAL_ROUTES,
        hubee_search::PORTAL_ROUTES,
        hubee_status::PORTAL_ROUTES,
        hubee_attachments::PORTAL_ROUTES,
        hubee_admin::accounts::PORTAL_ROUTES,
        hubee_admin::portal_subscriptions::PORTAL_ROUTES,
        hubee_admin::national::PORTAL_ROUTES,
        hubee_admin::statistics::PORTAL_ROUTES,
        hubee_admin::audit::PORTAL_ROUTES,
    ]
    .concat()
}

/// A signed-in browser: the session cookie's value, the CSRF token, and the profile the
/// sign-in answered.
#[derive(Clone, Debug)]
pub struct PortalSession {
    pub cookie: String,
    pub csrf: String,
    pub me: Value,
}

/// The session cookie a response sets (reqwest's cookie store would not send a `Secure`
/// cookie over http, so tests carry it themselves).
pub fn session_cookie_of(r: &Response) -> Option<String> {
    r.headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find_map(|v| v.strip_prefix("__Host-hubee_session="))
        .map(|v| v.split(';').next().unwrap_or_default().to_owned())
}

/// The 6-digit code of a sign-in e-mail.
pub fn code_in(email: &hubee_shared::ports::Email) -> Option<String> {
    let rest = email.text.split("portail HubEE : ").nth(1)?;
    let code: String = rest.chars().take(6).collect();
    (code.len() == 6 && code.bytes().all(|b| b.is_ascii_digit())).then_some(code)
}

/// The `token` of an activation or reset link in an e-mail.
pub fn link_token_in(email: &hubee_shared::ports::Email) -> Option<String> {
    let rest = email.text.split("?token=").nth(1)?;
    Some(rest.chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_').collect())
}

pub const SIGN_IN_SUBJECT: &str = "HubEE : votre code de connexion";
pub const ACTIVATION_SUBJECT: &str = "HubEE : activez votre compte";
pub const RESET_SUBJECT: &str = "HubEE : réinitialisation de votre mot de passe";

impl TestHub {
    /// A request to `/portail/v1{path}`, without a session.
    pub fn portal(&self, method: Method, path: &str) -> RequestBuilder {
        self.request(method, &format!("/portail/v1{path}"))
    }

    /// A request with the session cookie and its CSRF token.
    pub fn portal_as(&self, session: &PortalSession, method: Method, path: &str) -> RequestBuilder {
        self.portal_cookie(&session.cookie, method, path).header("x-csrf-token", &session.csrf)
    }

    /// A request with the session cookie only.
    pub fn portal_cookie(&self, cookie: &str, method: Method, path: &str) -> RequestBuilder {
        self.portal(method, path).header("cookie", format!("__Host-hubee_session={cookie}"))
    }

    /// `POST /portail/v1/session`: status and body.
    pub async fn portal_password(&self, email: &str, password: &str) -> (u16, Value) {
        let r = self.portal(Method::POST, "/session").json(&json!({"email": email, "password": password}));
        answer(r.send().await.unwrap()).await
    }

    /// `POST /portail/v1/session/otp`.
    pub async fn portal_code(&self, challenge_id: &Value, code: &str) -> Response {
        let body = json!({"challengeId": challenge_id, "code": code});
        self.portal(Method::POST, "/session/otp").json(&body).send().await.unwrap()
    }

    /// The e-mails of a kind (by subject) to an address, oldest first.
    pub fn emails_with_subject(&self, address: &str, subject: &str) -> Vec<hubee_shared::ports::Email> {
        self.emails_to(address).into_iter().filter(|e| e.subject == subject).collect()
    }

    /// Waits for the `n`-th e-mail of a kind to an address (1-based), and returns it.
    pub async fn wait_for_email_with_subject(
        &self,
        address: &str,
        subject: &str,
        n: usize,
    ) -> hubee_shared::ports::Email {
        for _ in 0..200 {
            if let Some(e) = self.emails_with_subject(address, subject).into_iter().nth(n - 1) {
                return e;
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        panic!("e-mail #{n} {subject:?} to {address} expected");
    }

    /// The code of the latest sign-in e-mail to the address, once it has `n` of them.
    pub async fn sign_in_code(&self, address: &str, n: usize) -> String {
        code_in(&self.wait_for_email_with_subject(address, SIGN_IN_SUBJECT, n).await).expect("a code in the e-mail")
    }

    /// Signs in as a person does: the password, then the code read from the e-mail.
    pub async fn sign_in(&self, email: &str, password: &str) -> PortalSession {
        let sent_before = self.emails_with_subject(email, SIGN_IN_SUBJECT).len();
        let (status, challenge) = self.portal_password(email, password).await;
        assert_eq!(status, 200, "the password of {email} is accepted: {challenge}");
        let code = self.sign_in_code(email, sent_before + 1).await;
        let r = self.portal_code(&challenge["challengeId"], &code).await;
        let cookie = session_cookie_of(&r).expect("a session cookie");
        let (status, me) = answer(r).await;
        assert_eq!(status, 200, "the code opens a session: {me}");
        PortalSession { cookie, csrf: me["csrfToken"].as_str().expect("csrfToken").to_owned(), me }
    }
}

/// RFC 4180 with `;`: quoted cells may hold separators, quotes (doubled) and line breaks.
pub fn parse_csv(text: &str) -> Vec<Vec<String>> {
    let mut rows = Vec::new();
    let (mut row, mut cell) = (Vec::new(), String::new());
    let mut chars = text.chars().peekable();
    let mut quoted = false;
    while let Some(c) = chars.next() {
        match (quoted, c) {
            (true, '"') if chars.peek() == Some(&'"') => {
                chars.next();
                cell.push('"');
            }
            (true, '"') => quoted = false,
            (true, c) => cell.push(c),
            (false, '"') if cell.is_empty() => quoted = true,
            (false, ';') => row.push(std::mem::take(&mut cell)),
            (false, '\r') => assert_eq!(chars.next(), Some('\n'), "a CR ends a line only before LF"),
            (false, '\n') => panic!("a line ends with CRLF: {text:?}"),
            (false, c) => cell.push(c),
        }
        if !quoted && c == '\r' {
            row.push(std::mem::take(&mut cell));
            rows.push(std::mem::take(&mut row));
        }
    }
    assert!(row.is_empty() && cell.is_empty() && !quoted, "the file ends with a whole line: {text:?}");
    let width = rows[0].len();
    assert!(rows.iter().all(|r| r.len() == width), "every row has the header's cells: {rows:?}");
    rows
}
