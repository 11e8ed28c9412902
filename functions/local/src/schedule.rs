//! The local hub's background work: what the table's stream and the EventBridge schedules
//! trigger on AWS runs here in-process, through the same handlers.
//!
//! - the dispatcher: woken on every write that leaves an outbox item to send (`outbox_watch`;
//!   and every few seconds, for retries whose backoff ended), it sends what is pending — and at
//!   start-up, what a previous run left;
//! - the timer, every minute from start-up: `notify`'s and `purge`'s scheduled runs, the very
//!   handlers their Lambda functions run on their EventBridge schedules — due subscription
//!   activations, the digests of the latest digest time (idempotent: a digest is sent once per
//!   subscription and time) and a sweep of the outbox; then the retention jobs due on the
//!   state's clock (`purge`'s hourly run on AWS; a minute's run finds nothing due most of the
//!   time, at the cost of one Query), which also seal the audit journal's days that ended (an
//!   anchor file per day in the data directory).

use std::{sync::Arc, time::Duration};

use hubee_shared::{
    services::{notify, retention},
    state::AppState,
};
use serde_json::Value;
use tokio::{
    sync::Notify,
    task::JoinHandle,
    time::{MissedTickBehavior, interval},
};

const TIMER: Duration = Duration::from_secs(60);
const DISPATCH_FALLBACK: Duration = Duration::from_secs(2);

/// Starts the background tasks on the current runtime; abort the handles to stop them. A
/// failed run is logged and the next one tries again. `outbox_written` is signalled after
/// outbox writes.
pub fn spawn(state: AppState, outbox_written: Arc<Notify>) -> Vec<JoinHandle<()>> {
    vec![tokio::spawn(dispatcher(state.clone(), outbox_written)), tokio::spawn(timer(state))]
}

async fn dispatcher(state: AppState, written: Arc<Notify>) {
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

/// Whether a scheduled run's report counts anything done (every count zero otherwise).
fn did_something(report: &Value) -> bool {
    report.as_object().is_some_and(|fields| fields.values().any(|v| v.as_u64().is_some_and(|n| n > 0)))
}

async fn timer(state: AppState) {
    let mut ticks = interval(TIMER);
    // After a pause (a laptop asleep), run once, not once per missed minute.
    ticks.set_missed_tick_behavior(MissedTickBehavior::Delay);
    loop {
        // The first tick completes at once: what is due is done at start-up.
        ticks.tick().await;
        match hubee_notify::handle_schedule(&state).await {
            Ok(report) if did_something(&report) => tracing::info!(%report, "scheduled notification run"),
            Ok(_) => {}
            Err(e) => tracing::error!(error = %e.error_message, "scheduled notification run failed"),
        }
        match hubee_purge::handle_schedule(&state, retention::DEFAULT_BATCH, None).await {
            Ok(report) if did_something(&report) => tracing::info!(%report, "scheduled retention"),
            Ok(_) => {}
            Err(e) => tracing::error!(error = %e.error_message, "scheduled retention failed"),
        }
    }
}
