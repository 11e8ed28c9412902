//! Cost model: what one dossier costs in requests to each AWS service, measured on the local
//! hub with counting decorators around its ports (docs/COST.md turns the counts into money).
//!
//! The hub's `AppState` is built around decorators of the embedded `Table`, `ObjectStore` and
//! `Mailer` that count every call (and the DynamoDB request units it would consume, from the
//! items' sizes); a layer on the router counts the HTTP requests per route (one API Gateway
//! request and one Lambda invocation each), their time and their bytes. The driver replays
//! realistic lifecycles over HTTP:
//!
//! - API mode: the operator deposits a folder (one case, two PDFs of 219,619 bytes: the CERTDC
//!   kit's death certificate, twice), the dispatcher sends the e-mail (as the table's stream
//!   triggers it on AWS), the mairie's software lists its notifications, reads the case,
//!   downloads both files, posts two
//!   STATUS_UPDATE events and deletes its notification; the operator then reads and deletes the
//!   notifications of those events;
//! - portal mode: the same deposit, then an agent signs in (password, then the e-mailed code),
//!   and does what the web front (web/src/js) requests: the inbox, the dossier page, confirming
//!   the reception, the zip, a comment, finishing, the history after each change; signs out;
//! - tokens, idle polls, an idle scheduled run, cold and warm loads of the web front, apart;
//! - folders of 1 and of 24 cases (the contract's maximum) deposited by the operator and
//!   dispatched, to show how the operator's routes grow with the cases.
//!
//! Besides the calls, the meter counts each request's sequential table round trips (calls
//! made concurrently share one): on DynamoDB each is a network round trip, and issue 14 caps
//! them at 4 per contract operation, whatever the number of cases, attachments or recipients.
//!
//! The measuring process runs the hub in a child process of itself, whose JSON logs (as
//! `RUST_LOG=info` writes them on Lambda) it counts per phase.
//!
//! Run with `scripts/cost-model` (a release build); `--dossiers N` (default 50) per mode.
//!
//! Modules: `meter` (counts, storage, the request in flight), `dynamo` (item sizes and request
//! units), `decorators` (the counting ports and HTTP layer), `driver` (the hub and the
//! dossiers it plays), `report` (units of work, measures, tables).

#![allow(clippy::unwrap_used, clippy::expect_used)] // A benchmark: a failed step aborts it.

mod decorators;
mod driver;
mod dynamo;
mod meter;
mod report;

use std::{
    collections::BTreeMap,
    io::{BufRead, BufReader},
    process::{Command, Stdio},
    sync::Arc,
    time::Instant,
};

use hubee_shared::services::{notify, subscriptions};
use reqwest::Method;
use serde_json::json;

use crate::{
    driver::{FOLDER_UNITS, Hub, answer},
    meter::{Meter, Report},
};

const DEFAULT_DOSSIERS: usize = 50;
/// Token requests, idle polls and idle scheduled runs measured (each averaged).
const REPEATS: usize = 20;
/// Folders of each size deposited (each averaged); their counts do not vary from one to the
/// next, a few show that.
const FOLDER_REPEATS: usize = 5;

// ---------------------------------------------------------------------------------------------
// The measured run (child process)
// ---------------------------------------------------------------------------------------------

/// The measured run: plays every unit of work and prints the meter's report as one JSON line.
async fn worker(dossiers: usize) {
    hubee_shared::bootstrap::init_tracing();
    let meter = Arc::new(Meter::new());
    let hub = Hub::start(meter.clone()).await;
    let mut storage = BTreeMap::new();

    // Tokens: real clients keep one an hour; measured apart.
    meter.phase("token");
    let mut op = String::new();
    let mut si = String::new();
    for _ in 0..REPEATS / 2 {
        op = hub.operator_token().await;
        si = hub.mairie_token().await;
    }

    let before = meter.storage();
    for i in 0..dossiers {
        hub.api_dossier(i, &op, &si).await;
    }
    let after_api = meter.storage();
    storage.insert("api".to_owned(), after_api.minus(&before, dossiers as f64));
    for i in 0..dossiers {
        hub.portal_dossier(i, &op).await;
    }
    storage.insert("portal".to_owned(), meter.storage().minus(&after_api, dossiers as f64));

    // A mairie's software polling with nothing new.
    meter.phase("poll.idle");
    for _ in 0..REPEATS {
        let list = answer(hub.api(&si, Method::GET, "/notifications")).await.expect(200, "idle poll").json();
        assert_eq!(list, json!([]), "nothing left to read");
    }

    // The scheduled run (every 5 minutes) with nothing due.
    meter.phase("schedule.idle");
    for _ in 0..REPEATS {
        let flight = meter.begin("notify (schedule, idle)");
        subscriptions::activate_due(&hub.state).await.unwrap();
        notify::send_digests(&hub.state).await.unwrap();
        notify::sweep(&hub.state).await.unwrap();
        meter.end(flight, None);
    }

    meter.phase("front.cold");
    hub.cold_front().await;
    // A browser that has the front's files cached (immutable, a year) fetches the page only.
    meter.phase("front.warm");
    answer(hub.req(Method::GET, "/").header("accept-encoding", "br")).await.expect(200, "index.html");

    // Last, so that these folders' notifications and e-mails stay out of the phases above.
    for unit in &FOLDER_UNITS {
        for i in 0..FOLDER_REPEATS {
            hub.folder(i, &op, unit).await;
        }
    }

    meter.phase("end");
    let report = meter.report(dossiers, storage);
    println!("@@result {}", serde_json::to_string(&report).unwrap());
}

// ---------------------------------------------------------------------------------------------
// The measuring process: runs the child, counts its logs, prints the tables
// ---------------------------------------------------------------------------------------------

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let dossiers = args
        .iter()
        .position(|a| a == "--dossiers")
        .and_then(|i| args.get(i + 1))
        .map_or(DEFAULT_DOSSIERS, |n| n.parse().expect("--dossiers N"));
    if args.iter().any(|a| a == "--worker") {
        let runtime = tokio::runtime::Runtime::new().unwrap();
        runtime.block_on(worker(dossiers));
        return;
    }

    let started = Instant::now();
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args(["--worker", "--dossiers", &dossiers.to_string()])
        .env("RUST_LOG", std::env::var("RUST_LOG").unwrap_or_else(|_| "info".into()))
        .stdout(Stdio::piped())
        .spawn()
        .expect("starting the measured run");
    let out = BufReader::new(child.stdout.take().unwrap());
    let mut phase = "setup".to_owned();
    let mut logs: BTreeMap<String, (f64, f64)> = BTreeMap::new();
    let mut report = None;
    for line in out.lines() {
        let line = line.unwrap();
        if let Some(p) = line.strip_prefix("@@phase ") {
            p.clone_into(&mut phase);
        } else if let Some(json) = line.strip_prefix("@@result ") {
            report = Some(serde_json::from_str::<Report>(json).unwrap());
        } else {
            let l = logs.entry(phase.clone()).or_default();
            l.0 += 1.0;
            l.1 += (line.len() + 1) as f64;
        }
    }
    assert!(child.wait().unwrap().success(), "the measured run failed");
    report::print_tables(&report.expect("the measured run's report"), &logs, started.elapsed());
}
