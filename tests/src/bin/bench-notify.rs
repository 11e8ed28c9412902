//! Benchmark: 10,000 new cases dispatched by the local hub's notification worker (embedded
//! storage, outbox folder), every one exactly once; prints the throughput in e-mails per second.
//!
//! Run with `scripts/bench-notify` (a release build).

#![allow(clippy::unwrap_used, clippy::expect_used)] // A benchmark: a failed step aborts it.

use std::{sync::Arc, time::Instant};

use hubee_shared::{
    adapters::SystemClock,
    bootstrap,
    config::{Backend, DEFAULT_MAIL_FROM, DeliveryPolicy, LocalConfig},
    domain::OutboxStatus,
    seed::Provisioning,
    services::{UploadHeaders, folders, notify},
};
use serde_json::json;

/// The local hub's allocator (functions/local/src/main.rs): the dispatch runs in this process.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

const CASES: usize = 10_000;
const MAIRIES: usize = 100;
const CASES_PER_FOLDER: usize = 20;

#[tokio::main]
async fn main() {
    let dir = tempfile::tempdir().unwrap();
    let config = LocalConfig {
        addr: "127.0.0.1:0".parse().unwrap(),
        data_dir: dir.path().join("data"),
        seed: None,
        web_dir: dir.path().into(),
        demo: false,
        public_url: Some("https://hubee.example".into()),
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
    let (state, _) =
        bootstrap::local(&config, &config.common(config.addr), Arc::new(SystemClock), std::convert::identity)
            .await
            .unwrap();

    let mut orgs =
        vec![json!({"siret": "11000000000007", "branchCode": "00000", "name": "DGS", "type": "OSL", "code": "DGS"})];
    let mut subs = Vec::new();
    for i in 0..MAIRIES {
        orgs.push(json!({"siret": hubee_tests::fictional_siret(i), "branchCode": format!("{:05}", 10000 + i), "name": format!("Mairie {i}"), "type": "SI"}));
        subs.push(json!({"siret": hubee_tests::fictional_siret(i), "branchCode": format!("{:05}", 10000 + i), "processCode": "CERTDC", "status": "Actif",
                         "accessMode": "PORTAIL", "notificationFrequency": "unitaire", "email": format!("mairie-{i}@bench.example")}));
    }
    let seed = json!({
        "procedures": [{"code": "CERTDC", "title": "Certificat de décès électronique", "operator": "DGS"}],
        "organisations": orgs, "subscriptions": subs,
        "apiClients": [{"clientId": "bench", "clientSecret": "bench-secret-not-real", "scope": "OSL", "siret": "11000000000007", "branchCode": "00000"}]
    });
    Provisioning::parse(&seed.to_string()).unwrap().load(&state.store).await.unwrap();
    let token = state
        .tokens
        .issue(
            "bench",
            hubee_shared::domain::Scope::Osl,
            &hubee_shared::domain::Siret::parse("11000000000007").unwrap(),
            &hubee_shared::domain::BranchCode::parse("00000").unwrap(),
            None,
            state.clock.now(),
        )
        .unwrap();
    let op = state.tokens.verify(&token, state.clock.now()).unwrap();

    // Deposit and complete the folders with no dispatcher running.
    let started = Instant::now();
    for f in 0..CASES / CASES_PER_FOLDER {
        let cases: Vec<_> = (0..CASES_PER_FOLDER)
            .map(|c| {
                let m = (f * CASES_PER_FOLDER + c) % MAIRIES;
                json!({"externalId": format!("B{f:04}-{c:02}"), "recipient": {"type": "SI", "companyRegister": hubee_tests::fictional_siret(m), "branchCode": format!("{:05}", 10000 + m)}})
            })
            .collect();
        let recipients: Vec<_> = (0..CASES_PER_FOLDER).map(|c| format!("B{f:04}-{c:02}")).collect();
        let body = json!({"externalId": format!("BENCH-{f:04}"), "processCode": "CERTDC", "applicant": {"firstName": "A", "lastName": "B"},
                          "cases": cases, "attachments": [{"fileName": "a.pdf", "type": "T", "size": 3, "mimeType": "application/pdf", "recipients": recipients}]});
        let folder = folders::create_folder(&state, &op, folders::NewFolder::parse("POST /f", &body).unwrap(), None)
            .await
            .unwrap();
        let id = folder.id;
        let att = folder.attachments[0].id;
        let stream = Box::pin(futures::stream::iter([Ok(bytes::Bytes::from_static(b"pdf"))]));
        folders::upload_attachment(&state, &op, id, att, UploadHeaders { digest: None, content_length: None }, stream)
            .await
            .unwrap();
        folders::update_folder(
            &state,
            &op,
            id,
            folders::FolderUpdate { global_status: "HUBEE_COMPLETED".into(), close_date_time: None },
        )
        .await
        .unwrap();
    }
    let deposit_seconds = started.elapsed().as_secs_f64();

    let (started, cpu_before) = (Instant::now(), hubee_tests::bench::cpu_seconds("self"));
    let sent = notify::sweep(&state).await.unwrap();
    let dispatch_seconds = started.elapsed().as_secs_f64();
    let dispatch_cpu = hubee_tests::bench::cpu_seconds("self") - cpu_before;

    // Every case exactly once: 10,000 messages in the outbox folder, every item sent at the
    // first attempt, nothing pending; a second sweep sends nothing.
    let files = std::fs::read_dir(dir.path().join("data/outbox"))
        .unwrap()
        .flatten()
        .filter(|e| e.path().extension().is_some_and(|x| x == "eml"))
        .count();
    let mut items = 0;
    let mut first_attempt = 0;
    for i in 0..MAIRIES {
        let sub = state
            .store
            .subscription(
                &hubee_shared::domain::Siret::parse(&hubee_tests::fictional_siret(i)).unwrap(),
                &hubee_shared::domain::BranchCode::parse(&format!("{:05}", 10000 + i)).unwrap(),
                &hubee_shared::domain::ProcessCode::parse("CERTDC").unwrap(),
            )
            .await
            .unwrap()
            .unwrap();
        for d in notify::delivery_state(&state, sub.id, 1000).await.unwrap() {
            items += usize::from(d.status == OutboxStatus::Sent);
            first_attempt += usize::from(d.attempts == 1);
        }
    }
    let again = notify::sweep(&state).await.unwrap();
    assert_eq!((sent, files, items, first_attempt, again), (CASES, CASES, CASES, CASES, 0), "every case exactly once");

    println!("| measure | value |");
    println!("|---|---|");
    println!(
        "| cases deposited and completed ({} folders of {CASES_PER_FOLDER}) | {CASES} in {deposit_seconds:.1} s |",
        CASES / CASES_PER_FOLDER
    );
    println!("| e-mails dispatched (claim, render, write .eml, mark sent) | {sent} in {dispatch_seconds:.1} s |");
    println!("| throughput | {:.0} e-mails/s |", sent as f64 / dispatch_seconds);
    println!(
        "| CPU per e-mail (utime + stime of the process while dispatching) | {:.0} µs ({:.0} % of one core) |",
        dispatch_cpu * 1e6 / sent as f64,
        dispatch_cpu * 100.0 / dispatch_seconds
    );
    println!(
        "| .eml files / items sent at the first attempt / left after a second sweep | {files} / {first_attempt} / {again} |"
    );
}
