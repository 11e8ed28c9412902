//! Benchmark: the portal inbox and the statistics over HTTP on a large table. 1,000,000
//! transmitted cases across 1,000 organisations, one of them holding 200,000 over two
//! procedures, imported into the local hub's embedded storage with their statistics counters (as
//! if each had been transmitted, consulted and closed through the hub); then an agent of that
//! organisation, signed in, pages its inbox: each tab, name prefixes, an exact number, one
//! procedure, a date range, a second page, each order both ways, the dossiers it holds (one in
//! 400 of its organisation's); then its local administrator and the national
//! administrator read the statistics pages. Prints p50 and p99 latencies per query (target p99 <
//! 50 ms).
//!
//! Run with `scripts/bench-inbox` (release build). `BENCH_CASES` scales it down for a smoke run.

#![allow(clippy::unwrap_used, clippy::expect_used)] // A benchmark: a failed step aborts it.

use std::{sync::Arc, time::Instant};

use chrono::{Duration, Utc};
use hubee_shared::{
    adapters::SystemClock,
    bootstrap,
    config::{Backend, DEFAULT_MAIL_FROM, DeliveryPolicy, LocalConfig},
    domain::{
        Applicant, Assignee, BranchCode, Case, CaseStatistics, CaseStatus, Month, OrgRef, OrgType, ProcessCode, Siret,
        is_closed,
    },
    ports::Write,
    seed::Provisioning,
};
use hubee_tests::fictional_siret;
use serde_json::{Value, json};
use uuid::Uuid;

const ORGS: usize = 1000;
/// The big organisation's agent holds one of its dossiers in this many ("Mes télédossiers").
const HELD: usize = 400;
const BIG_SHARE: f64 = 0.2;
const SAMPLES: usize = 100;
const LAST: [&str; 24] = [
    "Martin", "Bernard", "Dubois", "Thomas", "Robert", "Richard", "Petit", "Durand", "Leroy", "Moreau", "Simon",
    "Laurent", "Lefèvre", "Michel", "Garcia", "David", "Bertrand", "Roux", "Vincent", "Fournier", "Morel", "Girard",
    "André", "Mercier",
];
const FIRST: [&str; 12] =
    ["Camille", "Léa", "Hugo", "Jules", "Chloé", "Inès", "Louis", "Emma", "Noël", "Zoé", "Gabriel", "Anaïs"];

fn branch(i: usize) -> String {
    format!("{:05}", 10000 + i)
}

/// The operator that deposited every folder, and the platform's organisation.
const OPERATOR: usize = ORGS + 1;
const PLATFORM: usize = ORGS + 2;

fn org(i: usize) -> OrgRef {
    OrgRef {
        org_type: OrgType::Si,
        company_register: Siret::parse(&fictional_siret(i)).unwrap(),
        branch_code: BranchCode::parse(&branch(i)).unwrap(),
    }
}

/// A deterministic pseudo-random sequence (xorshift), so that runs are comparable.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

const STATUSES: [(CaseStatus, usize); 8] = [
    (CaseStatus::HubeeNotified, 10),
    (CaseStatus::SiReceived, 10),
    (CaseStatus::InProgress, 15),
    (CaseStatus::AddAwaiting, 5),
    (CaseStatus::Refused, 5),
    (CaseStatus::Done, 45),
    (CaseStatus::Closed, 9),
    (CaseStatus::SiIntgError, 1),
];

fn status(rng: &mut Rng) -> CaseStatus {
    let mut n = rng.below(100);
    for (s, w) in STATUSES {
        if n < w {
            return s;
        }
        n -= w;
    }
    CaseStatus::Done
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

#[tokio::main]
async fn main() {
    let total: usize = std::env::var("BENCH_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(1_000_000);
    let big = (total as f64 * BIG_SHARE) as usize;
    let per_other = (total - big) / (ORGS - 1);
    let dir = tempfile::tempdir().unwrap();
    let config = LocalConfig {
        addr: "127.0.0.1:0".parse().unwrap(),
        data_dir: dir.path().join("data"),
        seed: None,
        web_dir: dir.path().into(),
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

    // The referential: 1,000 mairies subscribed to CERTDC, the big one to EtatCivil too.
    let (state, _) =
        bootstrap::local(&config, &config.common(config.addr), Arc::new(SystemClock), std::convert::identity)
            .await
            .unwrap();
    let mut orgs = Vec::new();
    let mut subs = Vec::new();
    for i in 0..ORGS {
        orgs.push(
            json!({"siret": fictional_siret(i), "branchCode": branch(i), "name": format!("Mairie {i}"), "type": "SI"}),
        );
        for p in if i == 0 { &["CERTDC", "EtatCivil"][..] } else { &["CERTDC"][..] } {
            subs.push(
                json!({"siret": fictional_siret(i), "branchCode": branch(i), "processCode": p, "status": "Actif",
                             "accessMode": "PORTAIL", "notificationFrequency": "aucune"}),
            );
        }
    }
    orgs.push(json!({"siret": fictional_siret(OPERATOR), "branchCode": "00000", "name": "DGS", "type": "OSL"}));
    orgs.push(json!({"siret": fictional_siret(PLATFORM), "branchCode": "00000", "name": "DINUM", "type": "ADMIN"}));
    let seed = json!({
        "procedures": [{"code": "CERTDC", "title": "Certificat de décès électronique", "operator": "DGS"},
                       {"code": "EtatCivil", "title": "Demande d'acte d'état civil", "operator": "DILA"}],
        "organisations": orgs, "subscriptions": subs,
        "accounts": [{"email": "agent@bench.example", "password": "Bench-Agent-2026!", "actorType": "AGENT",
                      "habilitations": ["CERTDC", "EtatCivil"], "siret": fictional_siret(0), "branchCode": branch(0),
                      "firstName": "Bench", "lastName": "Agent"},
                     {"email": "admin@bench.example", "password": "Bench-Admin-2026!", "actorType": "LOCAL_ADMIN",
                      "siret": fictional_siret(0), "branchCode": branch(0), "firstName": "Bench", "lastName": "Admin"},
                     {"email": "national@bench.example", "password": "Bench-National-2026!", "actorType": "NATIONAL_ADMIN",
                      "siret": fictional_siret(PLATFORM), "branchCode": "00000", "firstName": "Bench", "lastName": "National"}]
    });
    Provisioning::parse(&seed.to_string()).unwrap().load(&state.store).await.unwrap();

    // The cases, imported in transactions of 100, counted in the statistics (and so in the
    // inbox's tabs) as if transmitted, consulted and closed through the hub: their counter
    // writes are merged as they come and committed at the end.
    let started = Instant::now();
    let (certdc, etat) = (ProcessCode::parse("CERTDC").unwrap(), ProcessCode::parse("EtatCivil").unwrap());
    let now = Utc::now();
    let mut rng = Rng(0x2545_F491_4F6C_DD1D);
    let operator = OrgRef {
        org_type: OrgType::Osl,
        company_register: Siret::parse(&fictional_siret(OPERATOR)).unwrap(),
        branch_code: BranchCode::parse("00000").unwrap(),
    };
    let mut counters: Vec<Write> = Vec::new();
    let mut batch = Vec::with_capacity(100);
    let mut sample_number = String::new();
    let mut written = 0;
    for o in 0..ORGS {
        let n = if o == 0 { big } else { per_other };
        let recipient = org(o);
        for i in 0..n {
            let process = if o == 0 && i % 4 == 3 { etat.clone() } else { certdc.clone() };
            let transmitted = now - Duration::seconds(rng.below(365 * 86_400) as i64);
            let number = format!("DGS-{o:04}-{i:07}");
            if o == 0 && i == n / 2 {
                sample_number = number.clone();
            }
            let status = status(&mut rng);
            // Consulted minutes to days after the transmission once past new; closed days after.
            let later = |rng: &mut Rng, most: usize| (transmitted + Duration::seconds(rng.below(most) as i64)).min(now);
            let consulted = (status != CaseStatus::HubeeNotified).then(|| later(&mut rng, 5 * 86_400));
            let finalised = is_closed(status).then(|| later(&mut rng, 40 * 86_400));
            let case = Case {
                id: Uuid::new_v4(),
                folder_id: Uuid::new_v4(),
                external_id: number,
                process_code: process.clone(),
                status,
                recipient: recipient.clone(),
                create_date_time: transmitted,
                update_date_time: Some(transmitted),
                transmission_date_time: Some(transmitted),
                close_date_time: None,
                partner_attributes: None,
                applicant: Some(Applicant {
                    first_name: FIRST[rng.below(FIRST.len())].into(),
                    last_name: LAST[rng.below(LAST.len())].into(),
                    email: None,
                }),
                statistics: Some(CaseStatistics { operator: Some(operator.clone()), consulted, finalised }),
                // One dossier in HELD of the big organisation's is its agent's.
                assignee: (o == 0 && i % HELD == 0)
                    .then(|| Assignee { email: "agent@bench.example".into(), name: "Bench Agent".into() }),
            };
            counters.extend(state.store.import_case_counter_writes(&case));
            if counters.len() > 200_000 {
                counters = state.store.merge_counter_writes(counters);
            }
            batch.extend(state.store.import_case_writes(&case).unwrap());
            // At most 100 writes a transaction: a case may come with its agent list entry.
            if batch.len() >= 99 {
                state.store.commit(std::mem::take(&mut batch)).await.unwrap();
            }
            written += 1;
        }
    }
    if !batch.is_empty() {
        state.store.commit(batch).await.unwrap();
    }
    let counters = state.store.merge_counter_writes(counters);
    let counter_items = counters.len();
    for chunk in counters.chunks(100) {
        state.store.commit(chunk.to_vec()).await.unwrap();
    }
    let import_seconds = started.elapsed().as_secs_f64();
    drop(state);

    // The hub, over HTTP, and a signed-in agent of the big organisation.
    let hub = hubee_local::start(config, Arc::new(SystemClock)).await.unwrap();
    let base = format!("http://{}/portail/v1", hub.addr);
    let http = reqwest::Client::new();
    let cookie = sign_in(&http, &hub, &base, "agent@bench.example", "Bench-Agent-2026!").await;

    let first: Value =
        http.get(format!("{base}/cases")).header("cookie", &cookie).send().await.unwrap().json().await.unwrap();
    let cursor = first["nextCursor"].as_str().unwrap().to_owned();
    let by_update: Value = http
        .get(format!("{base}/cases?sort=updateDate"))
        .header("cookie", &cookie)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let update_cursor = by_update["nextCursor"].as_str().unwrap().to_owned();
    let from = (now - Duration::days(30)).format("%Y-%m-%d");
    let to = (now - Duration::days(20)).format("%Y-%m-%d");
    let mut queries: Vec<(String, String)> = vec![("Tous".into(), String::new())];
    for tab in ["NOUVEAU", "RECU", "EN_COURS", "EN_ATTENTE", "REFUSE", "TRAITE", "CLOS", "ERREUR"] {
        queries.push((format!("tab {tab}"), format!("status={tab}")));
    }
    queries.extend([
        ("name prefix \"mar\"".into(), "q=mar".into()),
        ("name prefix \"lefevre camille\"".into(), "q=lefevre%20camille".into()),
        ("exact number".into(), format!("q={sample_number}")),
        ("one procedure (EtatCivil)".into(), "processCode=EtatCivil".into()),
        ("date range (10 days)".into(), format!("from={from}&to={to}")),
        ("tab + date range".into(), format!("status=EN_COURS&from={from}&to={to}")),
        ("second page".into(), format!("cursor={cursor}")),
        ("oldest first".into(), "order=asc".into()),
        ("by last update".into(), "sort=updateDate".into()),
        ("by last update, oldest first".into(), "sort=updateDate&order=asc".into()),
        ("by last update + tab EN_COURS".into(), "sort=updateDate&status=EN_COURS".into()),
        ("by name, A to Z".into(), "sort=name&order=asc".into()),
        ("by name + tab + date range".into(), format!("sort=name&status=EN_COURS&from={from}&to={to}")),
        ("by last update, second page".into(), format!("sort=updateDate&cursor={update_cursor}")),
        ("Mes télédossiers (agent)".into(), "agent=agent%40bench.example".into()),
        ("agent + tab EN_COURS".into(), "agent=agent%40bench.example&status=EN_COURS".into()),
        ("agent, by name".into(), "agent=agent%40bench.example&sort=name&order=asc".into()),
    ]);
    println!(
        "{written} cases imported in {import_seconds:.0} s ({counter_items} statistics items); the big organisation holds {big}, its agent {}.\n",
        big.div_ceil(HELD)
    );
    println!("| query | rows | p50 (ms) | p99 (ms) |");
    println!("|---|---|---|---|");
    for (label, query) in queries {
        let (rows, p50, p99) =
            time(&http, &cookie, &format!("{base}/cases?{query}"), |b| b["items"].as_array().map_or(0, Vec::len)).await;
        println!("| {label} | {rows} | {p50:.1} | {p99:.1} |");
    }

    // The statistics: the big organisation's local administrator, then the national one. Rows:
    // the dossiers the page counts.
    let admin = sign_in(&http, &hub, &base, "admin@bench.example", "Bench-Admin-2026!").await;
    let national = sign_in(&http, &hub, &base, "national@bench.example", "Bench-National-2026!").await;
    let (year_from, year_to) = (Month::of(now).minus(12), Month::of(now));
    let local = [
        ("local: last 12 months", "/statistics".to_owned()),
        ("local: one procedure", "/statistics?processCode=CERTDC".to_owned()),
        ("local: 13 months", format!("/statistics?from={year_from}&to={year_to}")),
        ("local: CSV, 13 months", format!("/statistics.csv?from={year_from}&to={year_to}")),
    ];
    let national_queries = [
        ("national: every procedure", "/national/statistics".to_owned()),
        ("national: one procedure", "/national/statistics?processCode=CERTDC".to_owned()),
        (
            "national: one organisation",
            format!("/national/statistics?siret={}&branchCode={}", fictional_siret(0), branch(0)),
        ),
        ("national: one operator", format!("/national/statistics?operator={}-00000", fictional_siret(OPERATOR))),
        ("national: CSV, 13 months", format!("/national/statistics.csv?from={year_from}&to={year_to}")),
    ];
    println!("\n| statistics query | dossiers | p50 (ms) | p99 (ms) |");
    println!("|---|---|---|---|");
    for (cookie, (label, path)) in
        local.iter().map(|q| (&admin, q)).chain(national_queries.iter().map(|q| (&national, q)))
    {
        let csv = path.contains(".csv");
        let url = format!("{base}{path}");
        // A CSV file's dossiers are those of its JSON page.
        let counted = if csv { url.replacen(".csv", "", 1) } else { url.clone() };
        let page: Value = http.get(&counted).header("cookie", cookie).send().await.unwrap().json().await.unwrap();
        let dossiers = page["total"]["transmitted"].as_i64().unwrap_or_else(|| panic!("{label}: {page}"));
        let (_, p50, p99) = time(&http, cookie, &url, |_| 0).await;
        println!("| {label} | {dossiers} | {p50:.1} | {p99:.1} |");
    }
    hub.stop().await.unwrap();
}

/// Signs in through the API (password, then the e-mailed code); the session cookie.
async fn sign_in(http: &reqwest::Client, hub: &hubee_local::Hub, base: &str, email: &str, password: &str) -> String {
    let challenge: Value = http
        .post(format!("{base}/session"))
        .json(&json!({"email": email, "password": password}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let mail = hub.adapters.mail.recent().into_iter().rev().find(|m| m.to.iter().any(|t| t == email));
    let mail = mail.expect("the sign-in code");
    let code: String = mail.text.split(|c: char| !c.is_ascii_digit()).find(|w| w.len() == 6).unwrap().to_owned();
    let r = http
        .post(format!("{base}/session/otp"))
        .json(&json!({"challengeId": challenge["challengeId"], "code": code}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200, "{email} signs in");
    r.headers()["set-cookie"].to_str().unwrap().split(';').next().unwrap().to_owned()
}

/// `SAMPLES` GETs of `url`, one at a time: what `rows` reads of the last JSON answer (0 for a
/// file), and the p50 and p99 latencies in milliseconds.
async fn time(http: &reqwest::Client, cookie: &str, url: &str, rows: impl Fn(&Value) -> usize) -> (usize, f64, f64) {
    let mut times = Vec::with_capacity(SAMPLES);
    let mut last = 0;
    for _ in 0..SAMPLES {
        let t = Instant::now();
        let r = http.get(url).header("cookie", cookie).send().await.unwrap();
        assert_eq!(r.status(), 200, "{url}");
        let json = r.headers()["content-type"].to_str().unwrap().starts_with("application/json");
        let bytes = r.bytes().await.unwrap();
        times.push(t.elapsed().as_secs_f64() * 1000.0);
        if json {
            last = rows(&serde_json::from_slice(&bytes).unwrap());
        }
    }
    times.sort_by(f64::total_cmp);
    (last, percentile(&times, 0.5), percentile(&times, 0.99))
}
