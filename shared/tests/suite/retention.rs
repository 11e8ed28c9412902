//! Retention against embedded adapters on a controlled clock: nothing before the delay, binaries
//! purged after it, reopened cases spared, archiving with its counters, folder deletion, reruns
//! after a partial run, the batch limit, the provisioning file's rules, and the portal deposits
//! whose file never came.

#![allow(clippy::unwrap_used, clippy::expect_used)] // Test code: a failed step is a failed test.

use std::sync::Arc;

use chrono::Duration;
use hubee_shared::{
    adapters::ManualClock,
    domain::{
        AttachmentStatus, BranchCode, CaseStatus, ChangeSource, EventStatus, InboxTab, LogKind, OrgRef, OrgType,
        ProcessCode, Siret, parse_time,
    },
    ports::{ObjectError, ObjectKey, PutCheck},
    seed::Provisioning,
    services::{
        Completion, ExchangeError, FileMeta, UploadHeaders, actor::Actor, cases, complete_presigned, events,
        portal_cases, retention,
    },
    state::AppState,
    testkit::{RecordingMailer, claims, deposit_case, deposit_event, provision, state_with},
};
use serde_json::json;
use uuid::Uuid;

struct Bed {
    state: AppState,
    clock: ManualClock,
    _dir: tempfile::TempDir,
}

async fn bed() -> Bed {
    let dir = tempfile::tempdir().unwrap();
    let clock = ManualClock::new(parse_time("2026-03-02T09:00:00.000Z").unwrap());
    let state = state_with(dir.path(), Arc::new(clock.clone()), Arc::new(RecordingMailer::default()));
    provision(&state).await;
    Bed { state, clock, _dir: dir }
}

impl Bed {
    /// Sets CERTDC's retention rules (the provisioning file's `retention`).
    async fn rules(&self, retention: serde_json::Value) {
        let seed = json!({"procedures": [{"code": "CERTDC", "title": "Certificat de décès électronique",
                                          "operator": "DGS", "retention": retention}]});
        Provisioning::parse(&seed.to_string()).unwrap().load(&self.state.store).await.unwrap();
    }

    async fn set_status(&self, client: &str, case: Uuid, status: &str) {
        let actor = (&claims(&self.state, client)).into();
        let update = cases::CaseUpdate::parse("PATCH /cases", &json!({"status": status})).unwrap();
        cases::update_case(&self.state, &actor, case, update).await.unwrap();
    }

    async fn run(&self) -> retention::RetentionReport {
        retention::run(&self.state, retention::DEFAULT_BATCH).await.unwrap()
    }

    fn days(&self, n: i64) {
        self.clock.advance(Duration::days(n));
    }

    async fn attachment(&self, case: Uuid, id: Uuid) -> hubee_shared::domain::Attachment {
        let folder = self.state.store.case(case).await.unwrap().unwrap().value.folder_id;
        self.state.store.attachment(folder, id).await.unwrap().unwrap().value
    }

    async fn object_exists(&self, key: &str) -> bool {
        match self.state.objects.head(&ObjectKey::parse(key).unwrap()).await {
            Ok(_) => true,
            Err(ObjectError::NotFound) => false,
            Err(e) => panic!("{e}"),
        }
    }

    async fn counts(&self) -> std::collections::BTreeMap<InboxTab, i64> {
        let mairie = OrgRef {
            org_type: OrgType::Si,
            company_register: Siret::parse("11001401600015").unwrap(),
            branch_code: BranchCode::parse("75108").unwrap(),
        };
        self.state.store.inbox_counts(&mairie, &ProcessCode::parse("CERTDC").unwrap()).await.unwrap()
    }

    async fn download(&self, case: Uuid, attachment: Uuid) -> Result<(), ExchangeError> {
        let si = (&claims(&self.state, "fixture-si")).into();
        cases::download_case_attachment(&self.state, &si, case, attachment).await.map(|_| ())
    }
}

#[tokio::test]
async fn binaries_are_kept_until_the_delay_then_purged_with_a_history_entry() {
    let bed = bed().await;
    let (case, attachment) = deposit_case(&bed.state, b"%PDF-1.4 retention").await;
    let key = bed.attachment(case, attachment).await.object_key.unwrap();
    bed.set_status("fixture-si", case, "DONE").await;

    bed.days(29);
    assert_eq!(bed.run().await, retention::RetentionReport::default(), "nothing is due before 30 days");
    assert!(bed.object_exists(&key).await);
    assert!(bed.download(case, attachment).await.is_ok());

    bed.days(1);
    let report = bed.run().await;
    assert_eq!((report.purged_attachments, report.purged_cases), (1, 1), "{report:?}");
    assert!(!bed.object_exists(&key).await, "the binary is gone");
    let a = bed.attachment(case, attachment).await;
    assert_eq!(a.status, AttachmentStatus::Deleted);
    assert!(a.sha256.is_some(), "metadata stays");
    let record = bed.state.store.case_record(case).await.unwrap().unwrap();
    assert!(
        record
            .log
            .iter()
            .any(|l| l.kind
                == LogKind::AttachmentPurged { file_name: "certificat.pdf".into(), attachment_id: attachment }),
        "the purge is in the case's history"
    );
    assert!(matches!(bed.download(case, attachment).await, Err(ExchangeError::FileNotFound)));
    assert_eq!(bed.state.store.case(case).await.unwrap().unwrap().value.status, CaseStatus::Done);

    assert_eq!(bed.run().await, retention::RetentionReport::default(), "a second run has nothing left to do");
}

#[tokio::test]
async fn a_quarantined_binary_is_purged_with_the_rest() {
    let Some(clamd) = hubee_shared::testkit::scanner::clamd_addr() else { return };
    let mut bed = bed().await;
    bed.state = bed.state.clone().with_scanner(Some(Arc::new(hubee_shared::adapters::Clamd::new(clamd))));
    let (case, attachment) = deposit_case(&bed.state, hubee_shared::testkit::scanner::EICAR).await;
    let quarantined = bed.attachment(case, attachment).await;
    assert_eq!(quarantined.status, AttachmentStatus::Corrupted);
    let key = quarantined.object_key.unwrap();
    assert!(bed.object_exists(&key).await, "kept, quarantined");
    assert!(matches!(bed.download(case, attachment).await, Err(ExchangeError::Quarantined(id)) if id == attachment));
    bed.set_status("fixture-si", case, "DONE").await;

    bed.days(30);
    let report = bed.run().await;
    assert_eq!(report.purged_attachments, 1, "{report:?}");
    assert!(!bed.object_exists(&key).await, "the quarantined binary is gone");
    assert_eq!(bed.attachment(case, attachment).await.status, AttachmentStatus::Deleted);
}

#[tokio::test]
async fn a_case_reopened_before_the_deadline_keeps_its_binaries_and_its_clock_restarts() {
    let bed = bed().await;
    let (case, attachment) = deposit_case(&bed.state, b"%PDF-1.4 reopened").await;
    bed.set_status("fixture-si", case, "DONE").await;
    bed.days(10);
    bed.set_status("fixture-osl", case, "HUBEE_NOTIFIED").await;
    bed.days(25);
    let report = bed.run().await;
    assert_eq!(report.purged_attachments, 0, "{report:?}");
    assert_eq!(bed.attachment(case, attachment).await.status, AttachmentStatus::Received);

    // Closed again: a fresh 30 days from now, not from the first closing.
    bed.set_status("fixture-si", case, "REFUSED").await;
    bed.days(29);
    assert_eq!(bed.run().await.purged_attachments, 0);
    bed.days(1);
    assert_eq!(bed.run().await.purged_attachments, 1);
    assert_eq!(bed.attachment(case, attachment).await.status, AttachmentStatus::Deleted);
}

#[tokio::test]
async fn a_case_that_moves_back_below_the_purge_status_stops_its_clock() {
    let bed = bed().await;
    bed.rules(json!({"purgeAfterStatus": "IN_PROGRESS", "purgeDelayDays": 5})).await;
    let (case, attachment) = deposit_case(&bed.state, b"%PDF-1.4 strict").await;
    bed.set_status("fixture-si", case, "IN_PROGRESS").await;
    // ADD_AWAITING is as far along as IN_PROGRESS: the clock keeps running.
    bed.set_status("fixture-si", case, "ADD_AWAITING").await;
    bed.days(3);
    // SI_RECEIVED is not: the clock stops.
    bed.set_status("fixture-si", case, "SI_RECEIVED").await;
    bed.days(10);
    assert_eq!(bed.run().await.purged_attachments, 0);
    assert_eq!(bed.attachment(case, attachment).await.status, AttachmentStatus::Received);
    bed.set_status("fixture-si", case, "IN_PROGRESS").await;
    bed.days(5);
    assert_eq!(bed.run().await.purged_attachments, 1);
}

#[tokio::test]
async fn closed_cases_are_archived_after_the_delay_and_leave_their_tab() {
    let bed = bed().await;
    let (case, _) = deposit_case(&bed.state, b"%PDF-1.4 archive").await;
    bed.set_status("fixture-osl", case, "CLOSED").await;
    assert_eq!(bed.counts().await.get(&InboxTab::Clos), Some(&1));

    bed.days(89);
    assert_eq!(bed.run().await.archived_cases, 0);
    bed.days(1);
    let report = bed.run().await;
    assert_eq!(report.archived_cases, 1, "{report:?}");
    let record = bed.state.store.case_record(case).await.unwrap().unwrap();
    assert_eq!(record.case.value.status, CaseStatus::Archived);
    let last = record.history.last().unwrap();
    assert_eq!((last.from, last.to, last.source), (CaseStatus::Closed, CaseStatus::Archived, ChangeSource::Retention));
    let counts = bed.counts().await;
    assert_eq!(counts.get(&InboxTab::Clos), Some(&0));
    assert_eq!(counts.get(&InboxTab::Archive), Some(&1));
    // Archived cases are frozen: no party can move them.
    let actor = (&claims(&bed.state, "fixture-osl")).into();
    let reopen =
        cases::update_case(&bed.state, &actor, case, cases::CaseUpdate { status: CaseStatus::HubeeNotified }).await;
    assert!(reopen.is_err());
    assert_eq!(bed.run().await, retention::RetentionReport::default());
}

#[tokio::test]
async fn archived_folders_are_deleted_with_their_binaries_and_a_rerun_finishes_a_partial_one() {
    let bed = bed().await;
    bed.rules(json!({"purgeAfterStatus": "ARCHIVED", "archiveDelayDays": 1, "deleteDelayDays": 2})).await;
    let (case, attachment) = deposit_case(&bed.state, b"%PDF-1.4 deleted").await;
    let folder = bed.state.store.case(case).await.unwrap().unwrap().value.folder_id;
    let key = bed.attachment(case, attachment).await.object_key.unwrap();
    // A file deposited with an event: its binary lives under the case.
    let (event, file) = deposit_event(&bed.state, case, 5).await;
    let si = (&claims(&bed.state, "fixture-si")).into();
    let body = Box::pin(futures::stream::iter([Ok(bytes::Bytes::from_static(b"12345"))]));
    let headers = UploadHeaders { digest: None, content_length: None };
    events::upload_event_attachment(&bed.state, &si, case, event, file, headers, body).await.unwrap();
    let event_key =
        bed.state.store.event_attachment(case, event, file).await.unwrap().unwrap().value.object_key.unwrap();

    bed.set_status("fixture-si", case, "DONE").await;
    bed.days(1);
    assert_eq!(bed.run().await.archived_cases, 1);
    assert_eq!(bed.run().await.purged_attachments, 0, "the purge clock starts at archiving (delay 30 days)");
    assert_eq!(bed.counts().await.get(&InboxTab::Archive), Some(&1));
    bed.days(1);
    assert_eq!(bed.run().await.deleted_folders, 0, "deleted 2 days after archiving, not 1");

    // A run that died after deleting the binaries: the marker and metadata are still there.
    bed.state.objects.delete(&ObjectKey::parse(&key).unwrap()).await.unwrap();
    bed.days(1);
    let report = bed.run().await;
    assert_eq!(report.deleted_folders, 1, "{report:?}");
    assert!(bed.state.store.folder(folder).await.unwrap().is_none(), "the folder is gone");
    assert!(bed.state.store.case(case).await.unwrap().is_none(), "the case is gone");
    assert!(bed.state.store.partition_keys(&format!("CASE#{case}")).await.unwrap().is_empty(), "and its history");
    assert!(bed.state.store.partition_keys(&format!("FOLDER#{folder}")).await.unwrap().is_empty());
    assert!(!bed.object_exists(&key).await && !bed.object_exists(&event_key).await, "binaries are gone");
    assert_eq!(bed.counts().await.get(&InboxTab::Archive), Some(&0));
    let op = (&claims(&bed.state, "fixture-osl")).into();
    assert!(matches!(cases::get_case(&bed.state, &op, case, true).await, Err(ExchangeError::CaseNotFound)));
    assert_eq!(bed.run().await, retention::RetentionReport::default());
}

#[tokio::test]
async fn a_purge_that_died_after_deleting_the_binary_is_finished_by_the_next_run() {
    let bed = bed().await;
    let (case, attachment) = deposit_case(&bed.state, b"%PDF-1.4 partial").await;
    let key = bed.attachment(case, attachment).await.object_key.unwrap();
    bed.set_status("fixture-si", case, "DONE").await;
    bed.days(31);
    // What a run dying between the object deletion and the transaction leaves behind.
    bed.state.objects.delete(&ObjectKey::parse(&key).unwrap()).await.unwrap();
    assert!(matches!(bed.download(case, attachment).await, Err(ExchangeError::FileNotFound)));
    assert_eq!(bed.run().await.purged_attachments, 1);
    assert_eq!(bed.attachment(case, attachment).await.status, AttachmentStatus::Deleted);
    assert_eq!(bed.run().await, retention::RetentionReport::default());
}

#[tokio::test]
async fn one_run_takes_at_most_its_batch_and_says_more_is_due() {
    let bed = bed().await;
    let mut ids = Vec::new();
    for _ in 0..3 {
        let (case, attachment) = deposit_case(&bed.state, b"%PDF-1.4 batch").await;
        bed.set_status("fixture-si", case, "DONE").await;
        ids.push((case, attachment));
    }
    bed.days(31);
    let first = retention::run(&bed.state, 2).await.unwrap();
    assert_eq!((first.purged_cases, first.more), (2, true), "{first:?}");
    let mut purged = 0;
    for (case, attachment) in &ids {
        purged += usize::from(bed.attachment(*case, *attachment).await.status == AttachmentStatus::Deleted);
    }
    assert_eq!(purged, 2);
    let second = retention::run(&bed.state, 2).await.unwrap();
    assert_eq!((second.purged_cases, second.more), (1, false), "{second:?}");
}

#[tokio::test]
async fn a_longer_delay_set_later_moves_running_clocks() {
    let bed = bed().await;
    let (case, attachment) = deposit_case(&bed.state, b"%PDF-1.4 rules").await;
    bed.set_status("fixture-si", case, "DONE").await;
    bed.rules(json!({"purgeDelayDays": 60})).await;
    bed.days(31);
    let report = bed.run().await;
    assert_eq!((report.purged_attachments, report.rescheduled), (0, 1), "{report:?}");
    bed.days(28);
    assert_eq!(bed.run().await.purged_attachments, 0);
    bed.days(1);
    assert_eq!(bed.run().await.purged_attachments, 1);
    assert_eq!(bed.attachment(case, attachment).await.status, AttachmentStatus::Deleted);
}

#[tokio::test]
async fn the_provisioning_file_refuses_wrong_retention_rules_by_name() {
    let bed = bed().await;
    let load = |retention: serde_json::Value| {
        let seed = json!({"procedures": [{"code": "CERTDC", "title": "T", "operator": "DGS", "retention": retention}]});
        let state = bed.state.clone();
        async move { Provisioning::parse(&seed.to_string())?.load(&state.store).await }
    };
    let early = load(json!({"purgeAfterStatus": "HUBEE_RECEIVED"})).await.unwrap_err();
    assert!(format!("{early:#}").contains("purgeAfterStatus"), "{early:#}");
    let long = load(json!({"archiveDelayDays": 100_000})).await.unwrap_err();
    assert!(format!("{long:#}").contains("archiveDelayDays"), "{long:#}");
    let unknown = load(json!({"purgeDays": 3})).await.unwrap_err();
    assert!(format!("{unknown:#}").contains("purgeDays"), "{unknown:#}");
    let status = load(json!({"purgeAfterStatus": "FINISHED"})).await.unwrap_err();
    assert!(format!("{status:#}").contains("FINISHED"), "{status:#}");
    assert!(load(json!({"purgeAfterStatus": "SI_RECEIVED", "purgeDelayDays": 0})).await.is_ok());
}

#[tokio::test]
async fn a_marker_that_no_longer_matches_its_case_is_dropped_without_purging() {
    let bed = bed().await;
    let (case, attachment) = deposit_case(&bed.state, b"%PDF-1.4 stale").await;
    // A marker as a lagging index or an interrupted change could leave it: the case is only
    // HUBEE_NOTIFIED, its clock does not run.
    let current = bed.state.store.case(case).await.unwrap().unwrap().value;
    let done = hubee_shared::domain::Case { status: CaseStatus::Done, ..current.clone() };
    let rules = hubee_shared::domain::Retention::default();
    let writes = bed.state.store.retention_clock_writes(&current, &done, &rules, bed.state.clock.now()).unwrap();
    bed.state.store.commit(writes).await.unwrap();
    bed.days(365);
    let report = bed.run().await;
    assert_eq!((report.purged_attachments, report.archived_cases, report.stale), (0, 0, 2), "{report:?}");
    assert_eq!(bed.attachment(case, attachment).await.status, AttachmentStatus::Received);
    assert_eq!(bed.state.store.case(case).await.unwrap().unwrap().value.status, CaseStatus::HubeeNotified);
    assert_eq!(bed.run().await, retention::RetentionReport::default());
}

#[tokio::test]
async fn a_portal_deposit_whose_file_never_came_is_withdrawn_a_day_after_its_url_expired() {
    let bed = bed().await;
    let (case, _) = deposit_case(&bed.state, b"%PDF-1.4 deposits").await;
    let mairie = OrgRef {
        org_type: OrgType::Si,
        company_register: Siret::parse("11001401600015").unwrap(),
        branch_code: BranchCode::parse("75108").unwrap(),
    };
    let agent = Actor::portal_user(
        mairie,
        "agent@mairie-a.example",
        "Agent A",
        vec![ProcessCode::parse("CERTDC").unwrap()],
        true,
    );
    let file = |size| FileMeta {
        file_name: "scan.pdf".into(),
        attachment_type: "PJ".into(),
        size,
        mime_type: "application/pdf".into(),
    };
    let abandoned = portal_cases::deposit_upload_url(&bed.state, &agent, case, file(20), None).await.unwrap();
    let completed = portal_cases::deposit_upload_url(&bed.state, &agent, case, file(9), None).await.unwrap();
    // The second one's file comes, as the local hub's `/objects/` route (or S3's event) stores it.
    let key = completed.upload.url.split_once("/objects/").unwrap().1.split_once('?').unwrap().0;
    let key = ObjectKey::parse(key).unwrap();
    let body = Box::pin(futures::stream::iter([Ok(bytes::Bytes::from_static(b"%PDF-1.4 "))]));
    bed.state.objects.put(&key, "application/pdf", body, PutCheck::default()).await.unwrap();
    assert_eq!(complete_presigned(&bed.state, key.as_str()).await.unwrap(), Completion::Received);
    let status = |record: &hubee_shared::store::CaseRecord, id| record.event(id).map(|e| e.value.status);

    // Within a day of the URLs' expiry (15 minutes), an upload may still end: nothing is settled.
    bed.days(1);
    assert_eq!(bed.run().await, retention::RetentionReport::default());
    let record = bed.state.store.case_record(case).await.unwrap().unwrap();
    assert_eq!(status(&record, abandoned.event_id), Some(EventStatus::InProgress));

    // Then the deposit whose file never came is withdrawn; the one sent is left as it is.
    bed.clock.advance(Duration::minutes(16));
    let report = bed.run().await;
    assert_eq!((report.settled_uploads, report.withdrawn_deposits, report.more), (2, 1, false), "{report:?}");
    let record = bed.state.store.case_record(case).await.unwrap().unwrap();
    assert_eq!(status(&record, abandoned.event_id), None, "withdrawn");
    assert_eq!(status(&record, completed.event_id), Some(EventStatus::Sent));
    // Settled URLs are forgotten: a late storage event for one is ignored, and reruns find none.
    assert_eq!(complete_presigned(&bed.state, key.as_str()).await.unwrap(), Completion::Ignored);
    assert_eq!(bed.run().await, retention::RetentionReport::default());
}
