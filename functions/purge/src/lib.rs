//! `purge`: retention (docs/RETENTION.md), triggered by a daily EventBridge schedule. Purges
//! the attachment binaries, archives the closed cases and deletes the archived folders whose
//! procedure's delay has passed, at most a batch per run. Every step is idempotent: a run that
//! fails midway is retried by the schedule and finishes the job.

use hubee_shared::{services::retention, state::AppState};
use lambda_runtime::{Diagnostic, LambdaEvent};
use serde_json::Value;

/// A scheduled run: the retention jobs due now, at most [`retention::DEFAULT_BATCH`] markers.
///
/// # Errors
/// `Retryable` when the store or the object storage fails (the schedule retries, then sends
/// the event to its failure destination).
pub async fn handle_schedule(state: &AppState) -> Result<Value, Diagnostic> {
    let report = retention::run(state, retention::DEFAULT_BATCH).await.map_err(retryable)?;
    if report.more {
        // The next run takes the rest; a backlog that lasts shows in the logs.
        tracing::warn!(?report, "retention batch full: more is due");
    }
    serde_json::to_value(report).map_err(retryable)
}

fn retryable(e: impl std::fmt::Display) -> Diagnostic {
    Diagnostic { error_type: "Retryable".into(), error_message: e.to_string() }
}

/// The function's entry point: a schedule (`detail-type`).
///
/// # Errors
/// `NonRetryable` for an event of another shape.
pub async fn dispatch(state: &AppState, event: LambdaEvent<Value>) -> Result<Value, Diagnostic> {
    if event.payload.get("detail-type").is_some() {
        return handle_schedule(state).await;
    }
    Err(Diagnostic { error_type: "NonRetryable".into(), error_message: "not a schedule".into() })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)] // Test code: a failed step is a failed test.

    use std::sync::Arc;

    use hubee_shared::{
        adapters::ManualClock,
        domain::{AttachmentStatus, parse_time},
        services::cases,
        testkit::{self, RecordingMailer, claims, deposit_case, provision},
    };
    use serde_json::json;

    use super::*;

    fn schedule() -> LambdaEvent<Value> {
        let payload = serde_json::from_str(include_str!("../../../events/eventbridge-purge-schedule.json")).unwrap();
        LambdaEvent::new(payload, lambda_runtime::Context::default())
    }

    #[tokio::test]
    async fn the_schedule_fixture_purges_what_is_due_and_only_that() {
        let dir = tempfile::tempdir().unwrap();
        let clock = ManualClock::new(parse_time("2026-03-02T09:00:00.000Z").unwrap());
        let state = testkit::state_with(dir.path(), Arc::new(clock.clone()), Arc::new(RecordingMailer::default()));
        provision(&state).await;
        let (case, attachment) = deposit_case(&state, b"%PDF-1.4 fixture").await;
        let si = (&claims(&state, "fixture-si")).into();
        cases::update_case(&state, &si, case, "PATCH", &json!({"status": "DONE"})).await.unwrap();

        let first = dispatch(&state, schedule()).await.unwrap();
        assert_eq!(first["purgedAttachments"], 0, "{first}");
        clock.advance(chrono::Duration::days(30));
        let due = dispatch(&state, schedule()).await.unwrap();
        assert_eq!((due["purgedAttachments"].as_u64(), due["more"].as_bool()), (Some(1), Some(false)), "{due}");
        let folder = state.store.case(case).await.unwrap().unwrap().value.folder_id;
        let a = state.store.attachment(folder, attachment).await.unwrap().unwrap().value;
        assert_eq!(a.status, AttachmentStatus::Deleted);
        assert_eq!(dispatch(&state, schedule()).await.unwrap()["purgedAttachments"], 0, "retried: nothing more");
    }

    #[tokio::test]
    async fn other_events_are_not_retried() {
        let dir = tempfile::tempdir().unwrap();
        let state = testkit::state(dir.path());
        let other = LambdaEvent::new(json!({"Records": []}), lambda_runtime::Context::default());
        assert_eq!(dispatch(&state, other).await.unwrap_err().error_type, "NonRetryable");
    }
}
