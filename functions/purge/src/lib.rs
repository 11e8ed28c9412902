//! `purge`: retention (docs/RETENTION.md), triggered by an hourly EventBridge schedule. Purges
//! the attachment binaries, archives the closed cases and deletes the archived folders whose
//! procedure's delay has passed, a batch of markers after another until none is due or the
//! invocation's deadline nears. Every step is idempotent: a run that fails or stops midway is
//! followed by the next one, which finishes the job. Each run then seals the audit journal's days
//! that ended and have no anchor yet (docs/AUDIT.md).

use std::time::{Duration, SystemTime};

use hubee_shared::{
    lambda::LambdaError,
    services::{audit, retention},
    state::AppState,
};
use lambda_runtime::{Diagnostic, LambdaEvent};
use serde_json::Value;

/// The time a batch may take at most, kept free before the deadline: no batch starts later.
/// A batch of [`retention::DEFAULT_BATCH`] markers makes about ten calls to DynamoDB and S3 per
/// marker.
pub const BATCH_MARGIN: Duration = Duration::from_secs(120);

/// A scheduled run: batches of at most `batch` due markers, until none is due, a batch settles
/// none (its markers changed meanwhile: the next run sees them again), or the next batch could
/// end past `deadline` (the invocation's, if any).
///
/// # Errors
/// `Retryable` when the store or the object storage fails (the schedule retries, then sends
/// the event to its failure destination); what was done stays done.
pub async fn handle_schedule(
    state: &AppState,
    batch: usize,
    deadline: Option<SystemTime>,
) -> Result<Value, Diagnostic> {
    let mut total = retention::RetentionReport::default();
    loop {
        let report = retention::run(state, batch).await.map_err(LambdaError::retryable)?;
        total.add(&report);
        if !report.more || !report.progressed() {
            break;
        }
        let left = deadline.map(|d| d.duration_since(SystemTime::now()).unwrap_or_default());
        if left.is_some_and(|left| left < BATCH_MARGIN) {
            // The next run takes the rest; a backlog that lasts shows in the logs.
            tracing::warn!(?total, "retention: the deadline nears and more is due");
            break;
        }
    }
    // Then the audit journal's days that ended: a day is sealed once, so most runs seal none.
    // Then the journal's own retention: ended months exported, days past a year removed.
    let sealed = audit::seal_due(state).await.map_err(LambdaError::retryable)?;
    let retained = audit::export_and_expire(state).await.map_err(LambdaError::retryable)?;
    let mut report = serde_json::to_value(total).map_err(LambdaError::retryable)?;
    report["auditDaysSealed"] = sealed.len().into();
    report["auditDaysExported"] = retained.exported.into();
    report["auditDaysExpired"] = retained.expired.into();
    Ok(report)
}

/// The function's entry point: a schedule (`detail-type`).
///
/// # Errors
/// `NonRetryable` for an event of another shape.
pub async fn dispatch(state: &AppState, event: LambdaEvent<Value>) -> Result<Value, Diagnostic> {
    if event.payload.get("detail-type").is_some() {
        // A context without a deadline (0) is a test's or an emulator's.
        let deadline = (event.context.deadline > 0).then(|| event.context.deadline());
        return handle_schedule(state, retention::DEFAULT_BATCH, deadline).await;
    }
    Err(LambdaError::non_retryable("not a schedule").into())
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
        cases::update_case(&state, &si, case, cases::CaseUpdate { status: hubee_shared::domain::CaseStatus::Done })
            .await
            .unwrap();

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

    /// A run takes batch after batch until nothing is due, or stops before its deadline.
    #[tokio::test]
    async fn a_run_takes_batches_until_nothing_is_due_or_its_deadline_nears() {
        let dir = tempfile::tempdir().unwrap();
        let clock = ManualClock::new(parse_time("2026-03-02T09:00:00.000Z").unwrap());
        let state = testkit::state_with(dir.path(), Arc::new(clock.clone()), Arc::new(RecordingMailer::default()));
        provision(&state).await;
        let si = (&claims(&state, "fixture-si")).into();
        for _ in 0..5 {
            let (case, _) = deposit_case(&state, b"%PDF-1.4 dossier").await;
            cases::update_case(&state, &si, case, cases::CaseUpdate { status: hubee_shared::domain::CaseStatus::Done })
                .await
                .unwrap();
        }
        clock.advance(chrono::Duration::days(30));

        // Too close to its deadline for a second batch: one, and it says more is due.
        let near = SystemTime::now() + BATCH_MARGIN / 2;
        let first = handle_schedule(&state, 2, Some(near)).await.unwrap();
        assert_eq!((first["purgedCases"].as_u64(), first["more"].as_bool()), (Some(2), Some(true)), "{first}");
        // Time enough: the three left, in two batches of two, one run.
        let far = SystemTime::now() + BATCH_MARGIN * 10;
        let rest = handle_schedule(&state, 2, Some(far)).await.unwrap();
        assert_eq!((rest["purgedCases"].as_u64(), rest["more"].as_bool()), (Some(3), Some(false)), "{rest}");
        assert_eq!(rest["purgedAttachments"], 3, "{rest}");
        let idle = handle_schedule(&state, 2, None).await.unwrap();
        assert_eq!(idle["purgedCases"], 0, "{idle}");
    }

    #[tokio::test]
    async fn other_events_are_not_retried() {
        let dir = tempfile::tempdir().unwrap();
        let state = testkit::state(dir.path());
        let other = LambdaEvent::new(json!({"Records": []}), lambda_runtime::Context::default());
        assert_eq!(dispatch(&state, other).await.unwrap_err().error_type, "NonRetryable");
    }
}
