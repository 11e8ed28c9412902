//! GuardDuty Malware Protection for S3's scan results (EventBridge, `detail-type`
//! [`SCAN_RESULT`]): each says what GuardDuty found in one object of the binaries bucket,
//! seconds after it landed; the verdict is recorded on the attachment the object holds the
//! binary of (`record_verdict`, docs/ANTIVIRUS.md).

use hubee_shared::{
    lambda::LambdaError,
    ports::Verdict,
    services::{ExchangeError, VerdictRecord, record_verdict},
    state::AppState,
};
use lambda_runtime::Diagnostic;
use serde::Deserialize;
use serde_json::{Value, json};

/// The `detail-type` of GuardDuty's scan results.
pub const SCAN_RESULT: &str = "GuardDuty Malware Protection Object Scan Result";

/// A scan result event: what the hub reads of it.
#[derive(Debug, Deserialize)]
pub struct ScanResult {
    detail: ScanDetail,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct ScanDetail {
    /// `COMPLETED`, `SKIPPED` or `FAILED`.
    scan_status: String,
    s3_object_details: ObjectDetails,
    #[serde(default)]
    scan_result_details: Option<ResultDetails>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct ObjectDetails {
    object_key: String,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct ResultDetails {
    /// `NO_THREATS_FOUND`, `THREATS_FOUND`, `UNSUPPORTED`, `ACCESS_DENIED` or `FAILED`.
    scan_result_status: String,
    #[serde(default)]
    threats: Option<Vec<Threat>>,
}

#[derive(Debug, Deserialize)]
struct Threat {
    name: String,
}

impl ScanResult {
    /// Clean only for a completed scan that found nothing; infected with the threats' names;
    /// anything else — skipped, failed, unsupported, access denied, a status GuardDuty may add
    /// — could not tell, never clean.
    fn verdict(&self) -> Verdict {
        let detail = &self.detail;
        let result = detail.scan_result_details.as_ref();
        match (detail.scan_status.as_str(), result.map(|r| r.scan_result_status.as_str())) {
            ("COMPLETED", Some("NO_THREATS_FOUND")) => Verdict::Clean,
            ("COMPLETED", Some("THREATS_FOUND")) => {
                let names: Vec<&str> =
                    result.and_then(|r| r.threats.as_ref()).into_iter().flatten().map(|t| t.name.as_str()).collect();
                let signature =
                    if names.is_empty() { "GuardDuty: unnamed threat".to_owned() } else { names.join(", ") };
                Verdict::Infected { signature }
            }
            (status, result) => Verdict::Unavailable { reason: format!("GuardDuty scan {status}, result {result:?}") },
        }
    }
}

/// Records a scan result's verdict.
///
/// # Errors
/// `Retryable` when the verdict came before its upload was recorded or the store failed
/// (EventBridge's asynchronous invocation delivers it again), `NonRetryable` for an event that
/// is no scan result.
pub async fn handle_scan_result(state: &AppState, event: Value) -> Result<Value, Diagnostic> {
    let result: ScanResult = serde_json::from_value(event).map_err(LambdaError::non_retryable)?;
    let key = &result.detail.s3_object_details.object_key;
    let recorded = match record_verdict(state, key, result.verdict()).await {
        Ok(recorded) => recorded,
        Err(e @ (ExchangeError::Busy | ExchangeError::Store(_) | ExchangeError::Objects(_))) => {
            tracing::error!(error = %e, key, "recording an antivirus verdict failed");
            return Err(LambdaError::retryable(e).into());
        }
        Err(e) => {
            tracing::error!(error = %e, key, "an antivirus verdict could not be recorded");
            return Err(LambdaError::non_retryable(e).into());
        }
    };
    let outcome = match recorded {
        VerdictRecord::Clean => "clean",
        VerdictRecord::Quarantined(_) => "quarantined",
        VerdictRecord::AlreadyRecorded => "unchanged",
        VerdictRecord::Unavailable(_) => "unavailable",
        VerdictRecord::Ignored => "ignored",
    };
    Ok(json!({ "verdict": outcome }))
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use hubee_shared::{
        adapters::ManualClock,
        config::Config,
        domain::{AttachmentStatus, FolderStatus, LogKind},
        http::ApiError,
        ports::{ObjectKey, PutCheck},
        services::{UploadHeaders, ensure_servable, folders},
        testkit::{self, claims, provision},
    };
    use uuid::Uuid;

    use super::*;
    use crate::handle_object_event;

    /// The fixture's object key, which tests replace.
    const FIXTURE_KEY: &str = "folders/00000000-0000-4000-8000-0000000f01de/00000000-0000-4000-8000-0000000a77ac/\
                               00000000-0000-4000-8000-0000000ab1d0";

    /// A state whose binaries GuardDuty scans (`HUBEE_ANTIVIRUS=guardduty`), on a clock tests move.
    fn guarded(dir: &std::path::Path) -> (AppState, ManualClock) {
        let clock = ManualClock::new(chrono::Utc::now());
        let state = testkit::state_with(dir, Arc::new(clock.clone()), Arc::new(testkit::RecordingMailer::default()));
        let config = Config { verdicts_later: true, ..(*state.config).clone() };
        (AppState { config: Arc::new(config), ..state }, clock)
    }

    /// GuardDuty's scan result on `key`: the fixture as it is (EICAR found), or with another
    /// scan status and result.
    fn scan_result(key: &str, status: &str, result: &str) -> Value {
        let fixture = include_str!("../../../events/guardduty-scan-result.json");
        assert!(fixture.contains(FIXTURE_KEY) && fixture.contains("\"THREATS_FOUND\""));
        let mut event: Value = serde_json::from_str(&fixture.replace(FIXTURE_KEY, key)).unwrap();
        event["detail"]["scanStatus"] = json!(status);
        event["detail"]["scanResultDetails"]["scanResultStatus"] = json!(result);
        event
    }

    /// A folder for Mairie A with two files, both uploaded: `(folder, case, [files])`.
    async fn uploaded_folder(state: &AppState) -> (Uuid, Uuid, [Uuid; 2]) {
        let op = claims(state, "fixture-osl");
        let body = json!({
            "externalId": Uuid::new_v4().simple().to_string()[..20], "processCode": "CERTDC",
            "applicant": {"firstName": "Camille", "lastName": "FIXTURE"},
            "cases": [{"externalId": "A", "recipient": {"type": "SI", "companyRegister": "11001401600015", "branchCode": "75108"}}],
            "attachments": [
                {"fileName": "certificat.pdf", "type": "VA", "size": 9, "mimeType": "application/pdf", "recipients": ["A"]},
                {"fileName": "annexe.pdf", "type": "PJ", "size": 9, "mimeType": "application/pdf", "recipients": ["A"]}
            ]
        });
        let folder = folders::create_folder(state, &op, folders::NewFolder::parse("POST /f", &body).unwrap(), None)
            .await
            .unwrap();
        for a in &folder.attachments {
            let stream = Box::pin(futures::stream::iter([Ok(bytes::Bytes::from_static(b"%PDF-1.4\n"))]));
            let headers = UploadHeaders { digest: None, content_length: None };
            folders::upload_attachment(state, &op, folder.id, a.id, headers, stream).await.unwrap();
        }
        (folder.id, folder.cases[0].id, [folder.attachments[0].id, folder.attachments[1].id])
    }

    async fn complete(state: &AppState, folder: Uuid) {
        let op = claims(state, "fixture-osl");
        let update = folders::FolderUpdate { global_status: "HUBEE_COMPLETED".into(), close_date_time: None };
        folders::update_folder(state, &op, folder, update).await.unwrap();
    }

    async fn key_of(state: &AppState, folder: Uuid, file: Uuid) -> String {
        state.store.attachment(folder, file).await.unwrap().unwrap().value.object_key.unwrap()
    }

    #[tokio::test]
    async fn a_completion_waits_for_every_verdict_fed_through_the_real_handler() {
        let dir = tempfile::tempdir().unwrap();
        let (state, _) = guarded(dir.path());
        provision(&state).await;
        let (folder, case, [clean, infected]) = uploaded_folder(&state).await;
        let recipient = state.store.case(case).await.unwrap().unwrap().value.recipient;

        // Stored, not yet judged: not served, and the completion is accepted but held.
        let file = state.store.attachment(folder, clean).await.unwrap().unwrap().value;
        assert!(file.scanning && file.status == AttachmentStatus::Received);
        let early = ensure_servable(&file).err().unwrap();
        let answer = ApiError::from(early);
        assert_eq!((answer.status.as_u16(), answer.retry_after), (503, Some(5)), "{answer}");
        complete(&state, folder).await;
        complete(&state, folder).await; // a retried PATCH changes nothing
        let held = state.store.folder(folder).await.unwrap().unwrap();
        assert_eq!(held.folder.value.global_status, FolderStatus::HubeeCompleted);
        assert!(held.cases[0].value.transmission_date_time.is_none());
        assert!(state.store.notifications_of(&recipient, 10).await.unwrap().is_empty(), "nobody notified yet");
        assert!(state.store.pending_outbox(10).await.unwrap().is_empty(), "no e-mail queued yet");
        assert_eq!(state.store.held_completions(10).await.unwrap().len(), 1);

        // One verdict in: still held.
        let event = scan_result(&key_of(&state, folder, clean).await, "COMPLETED", "NO_THREATS_FOUND");
        assert_eq!(handle_object_event(&state, event).await.unwrap(), json!({"verdict": "clean"}));
        let file = state.store.attachment(folder, clean).await.unwrap().unwrap().value;
        assert!(!file.scanning);
        assert!(ensure_servable(&file).is_ok(), "a clean binary is served");
        let folder_now = state.store.folder(folder).await.unwrap().unwrap().folder.value;
        assert_eq!(folder_now.global_status, FolderStatus::HubeeCompleted);

        // The last one (the fixture: EICAR found) releases the completion; the folder is not blocked.
        let event = scan_result(&key_of(&state, folder, infected).await, "COMPLETED", "THREATS_FOUND");
        assert_eq!(handle_object_event(&state, event.clone()).await.unwrap(), json!({"verdict": "quarantined"}));
        let bad = state.store.attachment(folder, infected).await.unwrap().unwrap().value;
        assert_eq!(
            (bad.status, bad.virus.as_deref()),
            (AttachmentStatus::Corrupted, Some("EICAR-Test-File (not a virus)"))
        );
        assert!(matches!(ensure_servable(&bad), Err(ExchangeError::Quarantined(_))));
        let released = state.store.folder(folder).await.unwrap().unwrap();
        assert_eq!(released.folder.value.global_status, FolderStatus::HubeeNotified);
        assert!(released.cases[0].value.transmission_date_time.is_some());
        assert_eq!(state.store.notifications_of(&recipient, 10).await.unwrap().len(), 1);
        assert_eq!(state.store.pending_outbox(10).await.unwrap().len(), 1, "the new-dossier e-mail is queued");
        assert!(state.store.held_completions(10).await.unwrap().is_empty());
        let log = state.store.case_record(case).await.unwrap().unwrap().log;
        assert!(log.iter().any(
            |e| matches!(&e.kind, LogKind::AttachmentQuarantined { attachment_id, .. } if *attachment_id == infected)
        ));

        // Delivered again (EventBridge is at least once): nothing more.
        assert_eq!(handle_object_event(&state, event).await.unwrap(), json!({"verdict": "unchanged"}));
        assert_eq!(state.store.notifications_of(&recipient, 10).await.unwrap().len(), 1);
        assert_eq!(state.store.pending_outbox(10).await.unwrap().len(), 1);
    }

    #[tokio::test]
    async fn a_scan_that_cannot_tell_serves_nothing_and_the_sweep_says_the_completion_is_overdue() {
        let dir = tempfile::tempdir().unwrap();
        let (state, clock) = guarded(dir.path());
        provision(&state).await;
        let (folder, _, [first, second]) = uploaded_folder(&state).await;
        complete(&state, folder).await;

        for (file, status, result) in [(first, "SKIPPED", "UNSUPPORTED"), (second, "FAILED", "FAILED")] {
            let event = scan_result(&key_of(&state, folder, file).await, status, result);
            assert_eq!(handle_object_event(&state, event).await.unwrap(), json!({"verdict": "unavailable"}));
            let file = state.store.attachment(folder, file).await.unwrap().unwrap().value;
            assert!(file.scanning, "never taken for clean");
            assert!(matches!(ensure_servable(&file), Err(ExchangeError::VerdictAwaited(_))));
        }
        let swept = folders::settle_held_completions(&state, 10).await.unwrap();
        assert_eq!(swept, folders::HeldCompletions { released: 0, overdue: 0 }, "not overdue yet");
        clock.advance(chrono::Duration::minutes(folders::VERDICT_OVERDUE_MINUTES + 1));
        let swept = folders::settle_held_completions(&state, 10).await.unwrap();
        assert_eq!(swept, folders::HeldCompletions { released: 0, overdue: 1 });

        // The verdicts come at last (a rescan): the sweep would release what the handler did not.
        for file in [first, second] {
            let event = scan_result(&key_of(&state, folder, file).await, "COMPLETED", "NO_THREATS_FOUND");
            handle_object_event(&state, event).await.unwrap();
        }
        let folder_now = state.store.folder(folder).await.unwrap().unwrap().folder.value;
        assert_eq!(folder_now.global_status, FolderStatus::HubeeNotified);
        assert_eq!(folders::settle_held_completions(&state, 10).await.unwrap(), folders::HeldCompletions::default());
    }

    #[tokio::test]
    async fn verdicts_on_objects_no_attachment_holds_are_ignored_and_early_ones_delivered_again() {
        let dir = tempfile::tempdir().unwrap();
        let (state, _) = guarded(dir.path());
        provision(&state).await;
        let (folder, attachment) = testkit::pending_folder(&state, 9).await;

        // An archive, a key of no attachment, an object gone: ignored.
        for key in [
            format!("archives/{}", Uuid::new_v4()),
            format!("folders/{folder}/{}/{}", Uuid::new_v4(), Uuid::new_v4()),
            format!("folders/{folder}/{attachment}/{}", Uuid::new_v4()),
        ] {
            let event = scan_result(&key, "COMPLETED", "NO_THREATS_FOUND");
            assert_eq!(handle_object_event(&state, event).await.unwrap(), json!({"verdict": "ignored"}), "{key}");
        }

        // The object is stored but its upload not recorded yet: the event is to be delivered again.
        let key = format!("folders/{folder}/{attachment}/{}", Uuid::new_v4());
        let object = ObjectKey::parse(&key).unwrap();
        let body = Box::pin(futures::stream::iter([Ok(bytes::Bytes::from_static(b"%PDF-1.4\n"))]));
        state.objects.put(&object, "application/pdf", body, PutCheck::default()).await.unwrap();
        let early = handle_object_event(&state, scan_result(&key, "COMPLETED", "NO_THREATS_FOUND")).await;
        assert!(early.is_err(), "retried, not dropped");

        // Neither S3's nor GuardDuty's: refused for good.
        assert!(handle_object_event(&state, json!({"detail-type": "Something else"})).await.is_err());
    }
}
