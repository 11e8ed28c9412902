//! Benchmark: N concurrent operators (create a folder, upload two 48 KiB attachments with their
//! digest, complete) and one instructing service polling every 50 ms and processing up to N
//! notifications at a time (read the case, download, acknowledge) for a fixed time against the release hub as its own process, with the disk's fsync rate
//! measured in the same run; then, with `BENCH_KILL=1`, a SIGKILL under load, a restart on the
//! same data directory, and the checks that nothing answered was lost, that cut deposits
//! converge on retry and that every e-mail is written exactly once.
//!
//! Run with `scripts/bench-load`. `BENCH_OPERATORS` (16), `BENCH_SECONDS` (30), `BENCH_KILL`
//! (1), `BENCH_WATCH_SECONDS` (70: how long after the kill the outbox is watched for late and
//! duplicate e-mails, past the dispatcher's 60 s lease). Exits non-zero only when something
//! answered was lost or an e-mail is missing at the end; duplicates are reported.

#![allow(clippy::unwrap_used, clippy::expect_used)] // A benchmark: a failed step aborts it.

use std::{
    sync::{Arc, atomic::Ordering},
    time::{Duration, Instant},
};

use hubee_tests::{
    bench::cpu_seconds,
    load::{
        Bench,
        api::Api,
        crash,
        fixture::{self, Blobs, Secrets},
        fsync,
        instructing::{self, Inbox},
        operate,
        operator::{Ctx, Deposit, Ledger, Run},
        outbox::Outbox,
        stats::{Kind, Stats, ms, percentile},
        verify,
    },
};

/// The longest wait for the e-mails and notifications after the operators stop.
const DRAIN_WAIT: Duration = Duration::from_secs(30);

fn env_or(name: &str, default: u64) -> u64 {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let hub_bin = std::env::args().nth(1).expect("usage: bench-load <path to the hubee-local binary>");
    let operators = env_or("BENCH_OPERATORS", 16) as usize;
    let seconds = env_or("BENCH_SECONDS", 30);
    let kill = env_or("BENCH_KILL", 1) != 0;
    let watch = Duration::from_secs(env_or("BENCH_WATCH_SECONDS", 70));
    let load_before = load_average();

    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let fsync = fsync::measure(dir.path(), Duration::from_secs(2)).expect("measuring fsync");
    let secrets = Secrets::generate();
    let seed = dir.path().join("seed.json");
    std::fs::write(&seed, fixture::provisioning(&secrets).to_string()).unwrap();
    let hub = hubee_tests::bench::HubProcess::start(&hub_bin, &data, &seed);
    let api = Arc::new(Api::connect(&hub.base, &secrets).await);
    let ctx = Arc::new(Ctx { api: api.clone(), blobs: Blobs::new(), ledger: Ledger::default() });
    let inbox = Arc::new(Inbox::default());
    let poller = tokio::spawn(instructing::run(api.clone(), inbox.clone(), operators));
    let outbox = Outbox::new(&data);
    let mut b = Bench { hub_bin, data, seed, secrets, operators, ctx, inbox, outbox };

    // The fixed-time load.
    let stats = Arc::new(Stats::default());
    api.record_into(stats.clone());
    let (hub_cpu, client_cpu) = (hub.cpu_seconds(), cpu_seconds("self"));
    let started = Instant::now();
    let runs = operate(b.ctx.clone(), operators, "LOAD", Some(started + Duration::from_secs(seconds))).await;
    let elapsed = started.elapsed();
    let client_cpu = cpu_seconds("self") - client_cpu;
    let mut deposits: Vec<Deposit> = runs.iter().flat_map(|r| r.deposits.clone()).collect();
    let completed = deposits.iter().filter(|d| d.completed).count();
    let drain_started = Instant::now();
    let (emails_in, notified_in) = b.drain(&deposits, drain_started + DRAIN_WAIT).await;
    let drained_in = drain_started.elapsed();
    let hub_cpu = hub.cpu_seconds() - hub_cpu;
    let emails = verify::compare(&b.outbox.scan(), &verify::expected_emails(&deposits));

    println!(
        "Load: {operators} operators for {seconds} s, one instructing service polling ({operators} notifications at a time)\n"
    );
    println!("| measure | value | target |");
    println!("|---|---|---|");
    let rate = completed as f64 / elapsed.as_secs_f64();
    println!(
        "| folders completed (2 cases, 2 × 48 KiB each) | {completed} in {:.1} s: **{rate:.1} folders/s** | >= 250 folders/s {} |",
        elapsed.as_secs_f64(),
        met(rate >= 250.0)
    );
    println!(
        "| hub CPU per folder (utime + stime; e-mails and instructing calls included) | {:.2} ms ({:.1} s, {:.0} % of one core) | half of the before figure |",
        hub_cpu * 1000.0 / completed.max(1) as f64,
        hub_cpu,
        hub_cpu * 100.0 / (elapsed + drained_in).as_secs_f64()
    );
    println!(
        "| load client CPU | {client_cpu:.1} s ({:.0} % of one core) | |",
        client_cpu * 100.0 / elapsed.as_secs_f64()
    );
    print_delay(&b, completed);
    println!(
        "| disk fsync reference (4 KiB append + fdatasync, {}, same run) | **{:.0} appends/s** | |",
        fsync.fs_type, fsync.per_second
    );
    println!(
        "| e-mails written by the outbox mailer (2 per folder) | {} of {}: {} missing, {} duplicated | exactly once |",
        emails.expected - emails.missing,
        emails.expected,
        emails.missing,
        emails.duplicated
    );
    let secs =
        |d: Option<Duration>| d.map_or_else(|| "not within 30 s".into(), |d| format!("{:.1} s", d.as_secs_f64()));
    println!(
        "| after the load stopped: every e-mail written / instructing service caught up (inbox empty) | {} / {} | |",
        secs(emails_in),
        secs(notified_in)
    );
    println!(
        "| machine load average (1 min) when the benchmark started: other work on the machine | {load_before} | |"
    );
    print_refusals(&runs, &stats);
    println!();
    print_calls(&stats);

    // With the kill phase, the first phase's e-mails are checked again, after a longer wait.
    let mut lost = !kill && emails.missing > 0;
    if kill {
        lost |= crash::kill_and_check(&mut b, hub, &mut deposits, watch).await;
    }
    b.inbox.stop.store(true, Ordering::Relaxed);
    let _ = poller.await;
    if lost {
        eprintln!("bench-load: something answered was lost or an e-mail is missing (see above)");
        std::process::exit(1);
    }
}

/// The 1-minute load average (`/proc/loadavg`).
fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .ok()
        .and_then(|l| l.split_whitespace().next().map(str::to_owned))
        .unwrap_or_else(|| "?".into())
}

fn met(ok: bool) -> &'static str {
    if ok { "met" } else { "MISSED" }
}

/// The completion-to-notification delay: from the completion's answer to the first poll that
/// listed the case.
fn print_delay(b: &Bench, completed: usize) {
    let completed_at = b.ctx.ledger.completed_at.lock().unwrap();
    let seen = b.inbox.seen.lock().unwrap();
    let mut delays: Vec<Duration> = completed_at
        .iter()
        .filter_map(|(case, &done)| seen.cases.get(case).map(|&at| at.saturating_duration_since(done)))
        .collect();
    delays.sort_unstable();
    let p99 = percentile(&delays, 0.99);
    println!(
        "| completion → notification listed to the instructing service (p50 / p99 / max, {} of {completed} seen) | {} / {} / {} ms | p99 < 1 s {} |",
        delays.len(),
        ms(percentile(&delays, 0.50)),
        ms(p99),
        ms(delays.last().copied().unwrap_or_default()),
        met(p99 < Duration::from_secs(1) && delays.len() == completed)
    );
}

/// Refused deposits, cut operators and failed calls, if any.
fn print_refusals(runs: &[Run], stats: &Stats) {
    let refused: Vec<&String> = runs.iter().flat_map(|r| &r.refused).collect();
    let cut = runs.iter().filter(|r| r.cut).count();
    if refused.is_empty() && cut == 0 {
        println!("| deposits refused / operators cut off | none | |");
    } else {
        println!(
            "| deposits refused / operators cut off | {} (first: {}) / {cut} | none |",
            refused.len(),
            refused.first().map_or("", |s| s.as_str())
        );
    }
    for (f, n, example) in stats.failures() {
        let status = f.status.map_or("no answer".to_owned(), |s| format!("HTTP {s}"));
        println!("| failed calls: {} | {n} × {status} (e.g. {example}) | none |", f.kind.label());
    }
}

fn print_calls(stats: &Stats) {
    println!("| call | count | p50 | p99 | max | target |");
    println!("|---|---|---|---|---|---|");
    for kind in Kind::ALL {
        match stats.summary(kind) {
            Some(s) => println!(
                "| {} | {} | {} ms | {} ms | {} ms | p99 < 50 ms {} |",
                kind.label(),
                s.count,
                ms(s.p50),
                ms(s.p99),
                ms(s.max),
                met(s.p99 < Duration::from_millis(50))
            ),
            None => println!("| {} | 0 | | | | |", kind.label()),
        }
    }
}
