//! The local hub's background work: what the table's stream and the EventBridge schedules
//! trigger on AWS runs here in-process, through the same handlers.
//!
//! - the dispatcher: woken on every commit that writes an outbox item (and every few seconds,
//!   for retries whose backoff ended), it sends what is pending — and at start-up, what a
//!   previous run left;
//! - the timer, every minute from start-up: due subscription activations, then the digests of
//!   the latest digest time (idempotent: a digest is sent once per subscription and time), then
//!   the retention jobs due on the state's clock (`purge`'s hourly run on AWS; a minute's run
//!   finds nothing due most of the time, at the cost of one Query).

use std::time::Duration;

use hubee_shared::{
    services::{notify, retention, subscriptions},
    state::AppState,
};
use tokio::{
    task::JoinHandle,
    time::{MissedTickBehavior, interval},
};

const TIMER: Duration = Duration::from_secs(60);
const DISPATCH_FALLBACK: Duration = Duration::from_secs(2);

/// Starts the background tasks on the current runtime; abort the handles to stop them. A
/// failed run is logged and the next one tries again.
pub fn spawn(state: AppState) -> Vec<JoinHandle<()>> {
    vec![tokio::spawn(dispatcher(state.clone())), tokio::spawn(timer(state))]
}

async fn dispatcher(state: AppState) {
    let written = state.store.outbox_written();
    loop {
        match notify::sweep(&state).await {
            Ok(0) => {}
            Ok(n) => tracing::debug!(processed = n, "outbox dispatched"),
            Err(e) => tracing::error!(error = %e, "outbox dispatch failed"),
        }
        tokio::select! {
            () = written.notified() => {}
            () = tokio::time::sleep(DISPATCH_FALLBACK) => {}
        }
    }
}

async fn timer(state: AppState) {
    let mut ticks = interval(TIMER);
    // After a pause (a laptop asleep), run once, not once per missed minute.
    ticks.set_missed_tick_behavior(MissedTickBehavior::Delay);
    loop {
        // The first tick completes at once: what is due is done at start-up.
        ticks.tick().await;
        match subscriptions::activate_due(&state).await {
            Ok(0) => {}
            Ok(n) => tracing::info!(activated = n, "scheduled subscription activation"),
            Err(e) => tracing::error!(error = %e, "scheduled subscription activation failed"),
        }
        match notify::send_digests(&state).await {
            Ok(0) => {}
            Ok(n) => tracing::info!(digests = n, "scheduled digests sent"),
            Err(e) => tracing::error!(error = %e, "scheduled digests failed"),
        }
        match retention::run(&state, retention::DEFAULT_BATCH).await {
            Ok(report) if report == retention::RetentionReport::default() => {}
            Ok(report) => tracing::info!(?report, "scheduled retention"),
            Err(e) => tracing::error!(error = %e, "scheduled retention failed"),
        }
    }
}
