//! Nobody learns which addresses have a portal account from how long the hub takes to answer,
//! black-box against the local hub: a wrong password and a reset request cost the same for a
//! known and an unknown address (median times within 20 % over 50 tries each).
//!
//! The tries alternate (known first, then unknown first) so that any drift of the machine weighs
//! on both, and the hub's clock jumps past the lockout window (or the hour of the reset cap)
//! between rounds: every try does the full work (a failure recorded, a reset queued) and the
//! known account never locks, which would skip that work and hide what is measured.
//!
//! Timings are only meaningful with the machine to themselves: the tests are `#[ignore]`d in
//! the parallel run of the suite, and `scripts/test` runs them alone afterwards
//! (`cargo test -p hubee-tests --test suite -- --ignored --test-threads=1`).

#![allow(clippy::unwrap_used, clippy::expect_used)] // Test code: a failed step is a failed test.

use std::{
    sync::Arc,
    time::{Duration as StdDuration, Instant},
};

use chrono::Duration;
use hubee_shared::{adapters::ManualClock, domain::parse_time, store::keys};
use hubee_tests::*;
use reqwest::Method;
use serde_json::json;

const TRIES: usize = 50;
/// Untimed tries first: connections, caches and the blocking pool's threads warm up.
const WARM_UP: usize = 5;

/// The two measurements run one after the other, not against each other's hub.
static MEASURING: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());
const UNKNOWN: &str = "personne@mairie-a.example";

fn median(mut times: Vec<StdDuration>) -> StdDuration {
    times.sort();
    (times[times.len() / 2 - 1] + times[times.len() / 2]) / 2
}

/// Asserts that the two medians differ by less than 20 % of the larger.
fn assert_same_time(what: &str, known: Vec<StdDuration>, unknown: Vec<StdDuration>) {
    let (k, u) = (median(known), median(unknown));
    let gap = k.abs_diff(u).as_secs_f64() / k.max(u).as_secs_f64();
    assert!(gap < 0.2, "{what}: median {k:?} for a known address, {u:?} for an unknown one ({:.0} %)", gap * 100.0);
}

/// Times `TRIES` answers for each address, alternating which goes first, moving the hub's clock
/// by `step` before each round and awaiting `settle` (untimed) before each try.
async fn timed<F, Fut, S, SFut>(
    clock: &ManualClock,
    step: Duration,
    mut ask: F,
    settle: S,
) -> (Vec<StdDuration>, Vec<StdDuration>)
where
    F: FnMut(&'static str) -> Fut,
    Fut: std::future::Future<Output = ()>,
    S: Fn() -> SFut,
    SFut: std::future::Future<Output = ()>,
{
    let _alone = MEASURING.lock().await;
    let (mut known, mut unknown) = (Vec::new(), Vec::new());
    for round in 0..WARM_UP + TRIES {
        clock.advance(step);
        let order = if round % 2 == 0 { [PORTAL_ADMIN, UNKNOWN] } else { [UNKNOWN, PORTAL_ADMIN] };
        for address in order {
            settle().await;
            let start = Instant::now();
            ask(address).await;
            let took = start.elapsed();
            match (round < WARM_UP, address == PORTAL_ADMIN) {
                (true, _) => {}
                (false, true) => known.push(took),
                (false, false) => unknown.push(took),
            }
        }
    }
    (known, unknown)
}

#[tokio::test]
#[ignore = "a timing comparison: scripts/test runs it alone, with --ignored"]
async fn a_wrong_password_takes_as_long_for_an_unknown_address_as_for_a_known_one() {
    let clock = ManualClock::new(parse_time("2026-03-02T09:00:00Z").unwrap());
    let t = TestHub::spawn_with_clock(Arc::new(clock.clone())).await;
    let (known, unknown) = timed(
        &clock,
        Duration::minutes(16),
        |address| {
            let t = &t;
            async move {
                let (status, _) = t.portal_password(address, "Wrong-Pass-2026!").await;
                assert_eq!(status, 401);
            }
        },
        || async {},
    )
    .await;
    assert_same_time("a wrong password", known, unknown);

    // The unknown address's failures are counted like an account's, in an item that expires.
    let item = t.hub().table.get(&keys::sign_in_failures(UNKNOWN)).await.unwrap();
    assert!(item.expect("a failure record").contains_key(keys::TTL_ATTR), "it expires");
    // And the known account can still sign in: 55 failures, never five in one window.
    t.sign_in(PORTAL_ADMIN, PORTAL_ADMIN_PASSWORD).await;
}

#[tokio::test]
#[ignore = "a timing comparison: scripts/test runs it alone, with --ignored"]
async fn a_reset_request_takes_as_long_for_an_unknown_address_as_for_a_known_one() {
    let clock = ManualClock::new(parse_time("2026-03-02T09:00:00Z").unwrap());
    let t = TestHub::spawn_with_clock(Arc::new(clock.clone())).await;
    let ask = |address: &'static str| {
        let t = &t;
        async move {
            let r = t.portal(Method::POST, "/password/forgotten").json(&json!({"email": address}));
            assert_eq!(r.send().await.unwrap().status(), 202);
        }
    };
    let settled = || async {
        // The dispatcher sends (or drops) the queued e-mail after the answer: let it finish, so
        // that its work does not weigh on the next try.
        for _ in 0..200 {
            if t.hub().state.store.pending_mail_page(1, None).await.unwrap().0.is_empty() {
                return;
            }
            tokio::time::sleep(StdDuration::from_millis(5)).await;
        }
        panic!("the queued e-mails are still pending");
    };
    let (known, unknown) = timed(&clock, Duration::minutes(61), ask, settled).await;
    assert_same_time("a reset request", known, unknown);

    // The e-mails went through the outbox: one per request to the account, none to the unknown address.
    t.wait_for_email_with_subject(PORTAL_ADMIN, RESET_SUBJECT, WARM_UP + TRIES).await;
    assert!(t.emails_to(UNKNOWN).is_empty());
}
