//! The load benchmark's second phase: the hub killed with SIGKILL while operators are mid-flight,
//! restarted on the same data directory, then checked: every answered call still true, cut
//! deposits converging on retry, every e-mail written exactly once.

use std::{
    collections::{BTreeMap, HashMap},
    sync::Arc,
    time::{Duration, Instant},
};

use super::{
    Bench, operate,
    operator::{self, Deposit},
    outbox::EmailKey,
    stats::Stats,
    verify,
};
use crate::bench::HubProcess;

/// How long the operators load the hub before it is killed.
const LOAD_BEFORE_KILL: Duration = Duration::from_secs(3);
/// The longest wait for the e-mails after the restart.
const EMAIL_WAIT: Duration = Duration::from_secs(90);

/// Where a cut deposit stood: which call was waiting for its answer.
fn cut_at(d: &Deposit) -> &'static str {
    match (&d.folder, d.uploaded) {
        (None, _) => "create",
        (Some(_), [true, true]) => "complete",
        _ => "upload",
    }
}

/// Kills the hub under load, restarts it and checks; prints a results table. `watch`: how long
/// after the kill the outbox is watched for late and duplicate e-mails. Answers whether
/// something was lost (an answered call no longer true, a deposit that does not converge, a
/// missing e-mail or notification, an acknowledged notification back).
pub async fn kill_and_check(b: &mut Bench, hub: HubProcess, deposits: &mut Vec<Deposit>, watch: Duration) -> bool {
    b.ctx.api.record_into(Arc::new(Stats::default()));
    let ops = tokio::spawn(operate(b.ctx.clone(), b.operators, "KILL", None));
    tokio::time::sleep(LOAD_BEFORE_KILL).await;
    let killed = Instant::now();
    hub.kill9();
    let at_kill = b.outbox.scan();
    let runs = ops.await.unwrap();
    let hub = b.start_hub().await;
    let ready = Instant::now();
    let at_restart = b.outbox.scan();
    b.ctx.api.reconnect(&hub.base, &b.secrets).await;

    let mut cut: Vec<Deposit> = runs.iter().flat_map(|r| r.deposits.clone()).collect();
    let completed_before = cut.iter().filter(|d| d.completed).count();
    let mut where_cut: BTreeMap<&str, usize> = BTreeMap::new();
    for d in cut.iter().filter(|d| !d.completed) {
        *where_cut.entry(cut_at(d)).or_default() += 1;
    }
    // Every operator retries its cut deposit at once, as they would after an outage.
    let retries = futures::future::join_all(
        cut.iter_mut().filter(|d| !d.completed).map(|d| async { operator::converge(&b.ctx, d).await }),
    )
    .await;
    let mut answers: BTreeMap<String, usize> = BTreeMap::new();
    let mut diverged = Vec::new();
    for r in retries {
        match r {
            Ok(seen) => seen.into_iter().for_each(|a| *answers.entry(a).or_default() += 1),
            Err(why) => diverged.push(why),
        }
    }
    deposits.extend(cut);
    let (checked, violations) = verify::answered_calls_hold(&b.ctx.api, deposits).await;

    // The e-mails, and the instructing service catching up.
    let expected = verify::expected_emails(deposits);
    let (mut all_emails, mut caught_up) = (None, None);
    // When each expected e-mail was first found, for those not written at the restart.
    let mut late: HashMap<EmailKey, Duration> = HashMap::new();
    loop {
        let now = Instant::now();
        let tally = b.outbox.scan();
        for k in expected.iter().filter(|k| !at_restart.per_key.contains_key(*k) && tally.per_key.contains_key(*k)) {
            late.entry(k.clone()).or_insert(now - ready);
        }
        if all_emails.is_none() && verify::compare(&tally, &expected).missing == 0 {
            all_emails = Some(now - ready);
        }
        if caught_up.is_none() && b.all_seen() && b.inbox.drained() {
            caught_up = Some(now - ready);
        }
        let done = all_emails.is_some() && caught_up.is_some() && now >= killed + watch;
        if done || now >= ready + EMAIL_WAIT {
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let watched = ready.elapsed();
    let tally = b.outbox.scan();
    let emails = verify::compare(&tally, &expected);
    let (resurfaced, never_listed) = {
        let completed = b.ctx.ledger.completed_at.lock().unwrap();
        let seen = b.inbox.seen.lock().unwrap();
        (seen.resurfaced.len(), completed.keys().filter(|c| !seen.cases.contains_key(*c)).count())
    };
    drop(hub);

    let secs = |d: Option<Duration>| d.map_or_else(|| "never".to_owned(), |d| format!("{:.1} s", d.as_secs_f64()));
    let count = |n: usize| if n == 0 { "none".to_owned() } else { n.to_string() };
    let list = |m: &BTreeMap<String, usize>| m.iter().map(|(k, n)| format!("{k} × {n}")).collect::<Vec<_>>().join(", ");
    let cut_list = where_cut.iter().map(|(k, n)| format!("{n} at {k}")).collect::<Vec<_>>().join(", ");
    println!(
        "\nSIGKILL under load ({} operators, killed after {} s of load)\n",
        b.operators,
        LOAD_BEFORE_KILL.as_secs()
    );
    println!("| measure | value | target |");
    println!("|---|---|---|");
    println!("| folders completed in the phase before the kill | {completed_before} | |");
    println!("| deposits cut by the kill | {} ({cut_list}) | |", where_cut.values().sum::<usize>());
    println!("| hub restart (SIGKILL to listening again) | {:.2} s | |", (ready - killed).as_secs_f64());
    println!(
        "| cut deposits converged on retry | {} of {}: {} | all |",
        where_cut.values().sum::<usize>() - diverged.len(),
        where_cut.values().sum::<usize>(),
        list(&answers)
    );
    for why in diverged.iter().take(5) {
        println!("| retry not converging | {why} | none |");
    }
    println!(
        "| folders read back after the restart (whole run) | {checked}: answered calls no longer true: {} | none |",
        count(violations.len())
    );
    for v in violations.iter().take(10) {
        println!("| answered call lost | {v} | none |");
    }
    println!("| acknowledged notifications listed again | {} | none |", count(resurfaced));
    println!("| completed cases never listed to the instructing service | {} | none |", count(never_listed));
    println!(
        "| instructing service caught up (every case listed, inbox empty) | {} after the restart | |",
        secs(caught_up)
    );
    println!("| e-mails expected (2 per completed folder, whole run) | {} | |", emails.expected);
    let over_5s = late.values().filter(|d| **d > Duration::from_secs(5)).count();
    println!(
        "| e-mails written after the restart: within 5 s / later | {} / {over_5s} | none later |",
        late.len() - over_5s
    );
    println!(
        "| every e-mail written | {} after the restart | within 5 s {} |",
        secs(all_emails),
        if all_emails.is_some_and(|d| d <= Duration::from_secs(5)) { "met" } else { "MISSED" }
    );
    println!(
        "| e-mails missing (outbox watched {:.0} s after the restart) | {} | none |",
        watched.as_secs_f64(),
        count(emails.missing)
    );
    println!(
        "| e-mails written twice or more | {} (extra copies: {}) | none |",
        count(emails.duplicated),
        emails.extra_copies
    );
    println!(
        "| e-mails sent again after the restart (written over in the outbox folder; through SES or SMTP, each one a duplicate) | {} of {} written before the kill | |",
        count(tally.rewritten_since(&at_kill)),
        at_kill.files
    );
    println!("| other messages in the outbox | {} | |", count(emails.unexpected + tally.other));

    !violations.is_empty() || !diverged.is_empty() || emails.missing > 0 || resurfaced > 0 || never_listed > 0
}
