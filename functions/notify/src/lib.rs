//! `notify`: notification dispatch. Triggered by the table's DynamoDB stream (outbox items;
//! partial batch failures reported) and by an EventBridge schedule every few minutes: the
//! subscriptions whose activation date has come, the digests due (08:00 and 14:00 Paris time),
//! a sweep of the outbox items whose retry is due, and, where GuardDuty scans
//! (`HUBEE_ANTIVIRUS=guardduty`), the completions held for antivirus verdicts (released, or
//! said overdue). Every job is idempotent.

use aws_lambda_events::{
    dynamodb::Event as StreamEvent,
    streams::{DynamoDbBatchItemFailure, DynamoDbEventResponse},
};
use hubee_shared::{
    lambda::LambdaError,
    ports::{Key, PK, SK},
    services::{folders, notify, subscriptions},
    state::AppState,
    store,
};
use lambda_runtime::{Diagnostic, LambdaEvent};
use serde_json::{Value, json};
use uuid::Uuid;

/// The outbox item a stream record is about: an outbox item's key (the store reads it), in a
/// record that was not a deletion.
fn outbox_id(record: &aws_lambda_events::dynamodb::EventRecord) -> Option<Uuid> {
    if record.event_name == "REMOVE" {
        return None;
    }
    let keys = &record.change.keys;
    let text = |name: &str| match keys.get(name) {
        Some(serde_dynamo::AttributeValue::S(s)) => Some(s.clone()),
        _ => None,
    };
    store::outbox_id_of(&Key::new(text(PK)?, text(SK)?))
}

/// Delivers the outbox items of a stream batch; the records whose item could not be processed
/// are reported, so that only they are delivered again.
pub async fn handle_stream(state: &AppState, event: StreamEvent) -> DynamoDbEventResponse {
    let items: Vec<(Uuid, Option<String>)> =
        event.records.iter().filter_map(|r| Some((outbox_id(r)?, r.change.sequence_number.clone()))).collect();
    let failed = notify::handle(state, items.iter().map(|(id, _)| *id).collect()).await;
    let mut response = DynamoDbEventResponse::default();
    response.batch_item_failures = items
        .into_iter()
        .filter(|(id, _)| failed.contains(id))
        .map(|(_, sequence)| {
            let mut failure = DynamoDbBatchItemFailure::default();
            failure.item_identifier = sequence;
            failure
        })
        .collect();
    response
}

/// How many held completions one scheduled run looks at (the longest held first).
const HELD_COMPLETIONS_BATCH: usize = 100;

/// A scheduled run: the completions held for antivirus verdicts, the subscriptions whose
/// activation date has come, the digests due, then whatever is left to send.
///
/// # Errors
/// When the store fails (the schedule retries, then sends the event to its failure
/// destination).
pub async fn handle_schedule(state: &AppState) -> Result<Value, Diagnostic> {
    let held = match state.config.verdicts_later {
        true => {
            folders::settle_held_completions(state, HELD_COMPLETIONS_BATCH).await.map_err(LambdaError::retryable)?
        }
        false => folders::HeldCompletions::default(),
    };
    let activated = subscriptions::activate_due(state).await.map_err(LambdaError::retryable)?;
    let digests = notify::send_digests(state).await.map_err(LambdaError::retryable)?;
    let swept = notify::sweep(state).await.map_err(LambdaError::retryable)?;
    Ok(json!({
        "completionsReleased": held.released, "completionsOverdue": held.overdue,
        "activated": activated, "digests": digests, "swept": swept,
    }))
}

/// The function's entry point: a stream batch (`Records`) or a schedule (`detail-type`).
///
/// # Errors
/// `NonRetryable` for an event of another shape.
pub async fn dispatch(state: &AppState, event: LambdaEvent<Value>) -> Result<Value, Diagnostic> {
    let payload = event.payload;
    if payload.get("Records").is_some() {
        let stream: StreamEvent = serde_json::from_value(payload).map_err(LambdaError::non_retryable)?;
        let response = handle_stream(state, stream).await;
        return Ok(serde_json::to_value(response).map_err(LambdaError::retryable)?);
    }
    if payload.get("detail-type").is_some() {
        return handle_schedule(state).await;
    }
    Err(LambdaError::non_retryable("neither a stream batch nor a schedule").into())
}

#[cfg(test)]
mod tests {
    use super::*;
    use hubee_shared::testkit::{self, deposit_case, provision};

    #[tokio::test]
    async fn the_stream_fixture_is_fed_through_the_real_handler() {
        let dir = tempfile::tempdir().unwrap();
        let state = testkit::state(dir.path());
        provision(&state).await;
        deposit_case(&state, b"%PDF-1.4 fixture").await;
        let item = state.store.pending_outbox(10).await.unwrap().remove(0).value;
        let fixture = include_str!("../../../events/dynamodb-stream-outbox.json")
            .replace("00000000-0000-4000-8000-00000000b0c5", &item.id.to_string());
        let event: StreamEvent = serde_json::from_str(&fixture).unwrap();
        assert_eq!(event.records.len(), 3, "an outbox insert, a case update and a removal");

        let response = handle_stream(&state, event.clone()).await;
        assert!(response.batch_item_failures.is_empty());
        let sent = state.store.outbox_item(item.id).await.unwrap().unwrap().value;
        assert_eq!(sent.status, hubee_shared::domain::OutboxStatus::Sent);
        let outbox = std::fs::read_dir(dir.path().join("outbox")).unwrap().count();
        assert_eq!(outbox, 1, "one e-mail in the outbox");

        // Delivered again (the stream is at-least-once): nothing more is sent.
        assert!(handle_stream(&state, event).await.batch_item_failures.is_empty());
        assert_eq!(std::fs::read_dir(dir.path().join("outbox")).unwrap().count(), 1);
    }

    #[tokio::test]
    async fn the_schedule_fixture_runs_the_digests_and_the_sweep() {
        let dir = tempfile::tempdir().unwrap();
        let state = testkit::state(dir.path());
        provision(&state).await;
        deposit_case(&state, b"%PDF-1.4 fixture").await;
        let payload: Value =
            serde_json::from_str(include_str!("../../../events/eventbridge-notify-schedule.json")).unwrap();
        let event = LambdaEvent::new(payload, lambda_runtime::Context::default());
        let result = dispatch(&state, event).await.unwrap();
        assert_eq!(result["swept"], 1, "{result}");
        let other = LambdaEvent::new(json!({"hello": 1}), lambda_runtime::Context::default());
        assert_eq!(dispatch(&state, other).await.unwrap_err().error_type, "NonRetryable");
    }

    #[tokio::test]
    async fn the_schedule_activates_the_subscriptions_whose_date_has_come() {
        let dir = tempfile::tempdir().unwrap();
        let state = testkit::state(dir.path());
        provision(&state).await;
        let due = json!({
            "procedures": [{"code": "EtatCivil", "title": "Demande d'acte d'état civil", "operator": "DGS"}],
            "subscriptions": [{"siret": "11001401600015", "branchCode": "75108", "processCode": "EtatCivil",
                               "status": "Inactif", "accessMode": "PORTAIL", "notificationFrequency": "unitaire",
                               "email": "etat-civil@mairie-a.example", "activateDateTime": "2026-01-01T00:00:00.000Z"}]
        });
        hubee_shared::seed::Provisioning::parse(&due.to_string()).unwrap().load(&state.store).await.unwrap();
        let payload: Value =
            serde_json::from_str(include_str!("../../../events/eventbridge-notify-schedule.json")).unwrap();
        let run = || dispatch(&state, LambdaEvent::new(payload.clone(), lambda_runtime::Context::default()));
        assert_eq!(run().await.unwrap()["activated"], 1);
        assert_eq!(run().await.unwrap()["activated"], 0, "once active, it is not activated again");
    }
}
