//! Notification dispatch against embedded adapters: unitary e-mails, retries, parking,
//! digests, `aucune`, redelivery and crash recovery.

#![allow(clippy::unwrap_used, clippy::expect_used)] // Test code: a failed step is a failed test.

use std::sync::Arc;

use chrono::Duration;
use hubee_shared::ports::Mailer;
use hubee_shared::{
    adapters::{ManualClock, embedded::OutboxMailer},
    domain::{OutboxMessage, OutboxStatus, parse_time},
    seed::Provisioning,
    services::{UploadHeaders, folders, notify},
    state::AppState,
    testkit::{RecordingMailer, claims, state_with},
};
use serde_json::json;
use uuid::Uuid;

const A: (&str, &str) = ("11001401600015", "75108");
const B: (&str, &str) = ("21000005908301", "69123");
const C: (&str, &str) = ("21000014875749", "33063");
const D: (&str, &str) = ("21000032233079", "13055");

struct Bed {
    state: AppState,
    clock: ManualClock,
    mailer: Arc<RecordingMailer>,
    _dir: tempfile::TempDir,
}

/// Four mairies subscribed to CERTDC: A unitaire, B quotidienne, C aucune, D biquotidienne.
async fn bed(mailer: RecordingMailer, now: &str) -> Bed {
    let dir = tempfile::tempdir().unwrap();
    let clock = ManualClock::new(parse_time(now).unwrap());
    let mailer = Arc::new(mailer);
    let state = state_with(dir.path(), Arc::new(clock.clone()), mailer.clone());
    provision(&state).await;
    Bed { state, clock, mailer, _dir: dir }
}

async fn provision(state: &AppState) {
    let sub = |o: (&str, &str), f: &str, email: &str| {
        json!({"siret": o.0, "branchCode": o.1, "processCode": "CERTDC", "status": "Actif", "accessMode": "PORTAIL",
               "notificationFrequency": f, "email": email})
    };
    let seed = json!({
        "procedures": [{"code": "CERTDC", "title": "Certificat de décès électronique", "operator": "DGS"}],
        "organisations": [
            {"siret": A.0, "branchCode": A.1, "name": "Mairie A", "type": "SI"},
            {"siret": B.0, "branchCode": B.1, "name": "Mairie B", "type": "SI"},
            {"siret": C.0, "branchCode": C.1, "name": "Mairie C", "type": "SI"},
            {"siret": D.0, "branchCode": D.1, "name": "Mairie D", "type": "SI"},
            {"siret": "11000000000007", "branchCode": "00000", "name": "DGS", "type": "OSL", "code": "DGS"}
        ],
        "subscriptions": [
            sub(A, "unitaire", "etat-civil@mairie-a.example"),
            sub(B, "quotidienne", "deces@mairie-b.example"),
            sub(C, "aucune", "rien@mairie-c.example"),
            sub(D, "biquotidienne", "deces@mairie-d.example")
        ]
    });
    Provisioning::parse(&seed.to_string()).unwrap().load(&state.store).await.unwrap();
}

/// Deposits and completes a folder for the given mairies; returns the case ids in order.
async fn complete(state: &AppState, number: &str, recipients: &[(&str, &str)]) -> Vec<Uuid> {
    complete_as(state, number, recipients, false).await
}

/// [`complete`]; `as_stored_before`: the folder is rewritten without its cases' recipients
/// before it is completed, as folders stored before it kept them.
async fn complete_as(state: &AppState, number: &str, recipients: &[(&str, &str)], as_stored_before: bool) -> Vec<Uuid> {
    let op = claims(state, "fixture-osl");
    let cases: Vec<_> = recipients
        .iter()
        .enumerate()
        .map(|(i, r)| json!({"externalId": format!("{number}-{i}"), "recipient": {"type": "SI", "companyRegister": r.0, "branchCode": r.1}}))
        .collect();
    let all: Vec<String> = (0..recipients.len()).map(|i| format!("{number}-{i}")).collect();
    let body = json!({"externalId": number, "processCode": "CERTDC", "applicant": {"firstName": "Camille", "lastName": "SECRETNAME"},
                      "cases": cases, "attachments": [{"fileName": "a.pdf", "type": "T", "size": 3, "mimeType": "application/pdf", "recipients": all}]});
    let folder = crate::json(
        folders::create_folder(state, &op, folders::NewFolder::parse("POST /f", &body).unwrap(), None).await.unwrap(),
    );
    let id = folder["id"].as_str().unwrap().parse().unwrap();
    let att = folder["attachments"][0]["id"].as_str().unwrap().parse().unwrap();
    let stream = Box::pin(futures::stream::iter([Ok(bytes::Bytes::from_static(b"pdf"))]));
    folders::upload_attachment(state, &op, id, att, UploadHeaders { digest: None, content_length: None }, stream)
        .await
        .unwrap();
    if as_stored_before {
        let agg = state.store.folder(id).await.unwrap().unwrap();
        let mut older = agg.folder.value.clone();
        assert_eq!(older.recipients.len(), recipients.len(), "a new folder keeps its recipients");
        older.recipients.clear();
        state.store.commit(vec![state.store.update_folder_write(&older, agg.folder.version).unwrap()]).await.unwrap();
    }
    folders::update_folder(
        state,
        &op,
        id,
        folders::FolderUpdate::parse("PATCH /f", &json!({"globalStatus": "HUBEE_COMPLETED"})).unwrap(),
    )
    .await
    .unwrap();
    folder["cases"].as_array().unwrap().iter().map(|c| c["id"].as_str().unwrap().parse().unwrap()).collect()
}

async fn pending_ids(state: &AppState) -> Vec<Uuid> {
    state.store.pending_outbox(100).await.unwrap().into_iter().map(|i| i.value.id).collect()
}

#[tokio::test]
async fn a_folder_stored_before_it_kept_its_recipients_completes_with_an_email_for_each_case() {
    let b = bed(RecordingMailer::default(), "2026-03-02T10:00:00Z").await;
    let cases = complete_as(&b.state, "DGS-OLD", &[C, A], true).await;
    let mut queued: Vec<(Uuid, String)> = Vec::new();
    for id in pending_ids(&b.state).await {
        let item = b.state.store.outbox_item(id).await.unwrap().unwrap().value;
        let OutboxMessage::NewCase { case_id } = item.message else { panic!("a new-case item") };
        queued.push((case_id, item.recipient.company_register.to_string()));
    }
    queued.sort();
    let mut expected = vec![(cases[0], C.0.to_owned()), (cases[1], A.0.to_owned())];
    expected.sort();
    assert_eq!(queued, expected, "one item per case, for its own recipient");
}

#[tokio::test]
async fn a_unitary_subscription_gets_one_email_per_dossier_and_a_redelivered_batch_sends_nothing_more() {
    let b = bed(RecordingMailer::default(), "2026-03-02T10:00:00Z").await;
    let cases = complete(&b.state, "DGS-1", &[A, C]).await;
    let batch = pending_ids(&b.state).await;
    assert_eq!(batch.len(), 2, "A's item and C's (aucune) item are to process now");
    assert!(notify::handle(&b.state, batch.clone()).await.is_empty());
    let sent = b.mailer.sent();
    assert_eq!(sent.len(), 1, "one e-mail, for A; C asked for none");
    assert_eq!(sent[0].to, ["etat-civil@mairie-a.example"]);
    assert_eq!(sent[0].subject, "Nouveau télédossier « Certificat de décès électronique » n° DGS-1-0");
    assert!(sent[0].text.contains(&format!("/dossiers/{}", cases[0])));
    assert!(!sent[0].text.contains("SECRETNAME") && !sent[0].html.contains("SECRETNAME"), "no applicant data");

    // The same batch again (a stream redelivery) sends nothing more.
    assert!(notify::handle(&b.state, batch.clone()).await.is_empty());
    assert_eq!(b.mailer.sent().len(), 1);
    for id in batch {
        let item = b.state.store.outbox_item(id).await.unwrap().unwrap().value;
        assert!(matches!(item.status, OutboxStatus::Sent | OutboxStatus::Closed), "{item:?}");
    }
    assert!(pending_ids(&b.state).await.is_empty());
}

#[tokio::test]
async fn a_mailer_failing_twice_ends_with_one_email_and_three_attempts() {
    let b = bed(RecordingMailer::failing(2), "2026-03-02T10:00:00Z").await;
    complete(&b.state, "DGS-2", &[A]).await;
    let batch = pending_ids(&b.state).await;
    assert!(notify::handle(&b.state, batch.clone()).await.is_empty());
    assert_eq!(b.mailer.sent().len(), 1);
    let item = b.state.store.outbox_item(batch[0]).await.unwrap().unwrap().value;
    assert_eq!((item.status, item.attempts), (OutboxStatus::Sent, 3));
    assert!(item.last_error.unwrap().contains("attempt 2"), "the last error is kept");
    let deliveries = notify::delivery_state(&b.state, item.subscription_id, 10).await.unwrap();
    assert_eq!(deliveries.len(), 1);
    assert_eq!(deliveries[0].sent_to.as_deref(), Some("etat-civil@mairie-a.example"));
}

#[tokio::test]
async fn a_bouncing_address_ends_parked_and_shown_in_the_delivery_state() {
    let b = bed(RecordingMailer::failing(usize::MAX), "2026-03-02T10:00:00Z").await;
    complete(&b.state, "DGS-3", &[A]).await;
    let batch = pending_ids(&b.state).await;
    assert!(notify::handle(&b.state, batch.clone()).await.is_empty());
    assert!(b.mailer.sent().is_empty());
    let item = b.state.store.outbox_item(batch[0]).await.unwrap().unwrap().value;
    assert_eq!((item.status, item.attempts), (OutboxStatus::Failed, 5), "parked after the last of five attempts");
    let deliveries = notify::delivery_state(&b.state, item.subscription_id, 10).await.unwrap();
    assert_eq!(deliveries.len(), 1);
    assert_eq!(deliveries[0].status, OutboxStatus::Failed);
    assert!(deliveries[0].last_error.as_deref().unwrap().contains("550"), "{deliveries:?}");
    assert!(notify::sweep(&b.state).await.is_ok());
    assert_eq!(b.mailer.attempts.load(std::sync::atomic::Ordering::SeqCst), 5, "a parked item is not retried");
}

#[tokio::test]
async fn the_morning_digest_holds_every_dossier_of_the_day_for_its_subscription_only() {
    // Monday 2 March 2026, winter time: 08:00 Paris is 07:00 UTC.
    let b = bed(RecordingMailer::default(), "2026-03-02T07:30:00Z").await;
    // Yesterday's afternoon and night dossiers for B (quotidienne) and D (biquotidienne).
    b.clock.set(parse_time("2026-03-01T15:00:00Z").unwrap());
    let first = complete(&b.state, "DGS-10", &[B, D]).await;
    b.clock.set(parse_time("2026-03-01T22:00:00Z").unwrap());
    let second = complete(&b.state, "DGS-11", &[B, A]).await;
    assert!(notify::sweep(&b.state).await.is_ok());
    assert_eq!(b.mailer.sent().len(), 1, "only A's unitary e-mail before the digest");

    // 08:00 Paris: one digest each for B and D.
    b.clock.set(parse_time("2026-03-02T07:00:30Z").unwrap());
    assert_eq!(notify::send_digests(&b.state).await.unwrap(), 2);
    let sent = b.mailer.sent();
    let to_b: Vec<_> = sent.iter().filter(|e| e.to == ["deces@mairie-b.example"]).collect();
    let to_d: Vec<_> = sent.iter().filter(|e| e.to == ["deces@mairie-d.example"]).collect();
    assert_eq!((to_b.len(), to_d.len()), (1, 1));
    assert_eq!(to_b[0].subject, "HubEE : 2 nouveaux télédossiers");
    assert!(to_b[0].text.contains("DGS-10-0") && to_b[0].text.contains("DGS-11-0"));
    assert!(!to_b[0].text.contains("DGS-10-1"), "nothing of another subscription");
    assert!(to_d[0].text.contains(&first[1].to_string()) && !to_d[0].text.contains(&second[0].to_string()));

    // Running the job again for the same slot sends nothing; the 14:00 run is D's only.
    assert_eq!(notify::send_digests(&b.state).await.unwrap(), 0);
    b.clock.set(parse_time("2026-03-02T10:00:00Z").unwrap());
    complete(&b.state, "DGS-12", &[B, D]).await;
    b.clock.set(parse_time("2026-03-02T13:00:00Z").unwrap());
    assert_eq!(notify::send_digests(&b.state).await.unwrap(), 1);
    let last = b.mailer.sent().pop().unwrap();
    assert_eq!(
        (last.to[0].as_str(), last.subject.as_str()),
        ("deces@mairie-d.example", "HubEE : 1 nouveau télédossier")
    );
    assert_eq!(b.mailer.sent().len(), 4);
}

#[tokio::test]
async fn aucune_sends_nothing_and_closes_the_items() {
    let b = bed(RecordingMailer::default(), "2026-03-02T10:00:00Z").await;
    complete(&b.state, "DGS-20", &[C]).await;
    assert_eq!(notify::sweep(&b.state).await.unwrap(), 1);
    b.clock.advance(Duration::days(1));
    notify::send_digests(&b.state).await.unwrap();
    assert!(b.mailer.sent().is_empty());
    assert!(pending_ids(&b.state).await.is_empty());
}

#[tokio::test]
async fn a_crash_between_sending_and_marking_sends_one_duplicate_not_zero() {
    let b = bed(RecordingMailer::default(), "2026-03-02T10:00:00Z").await;
    complete(&b.state, "DGS-30", &[A]).await;
    let id = pending_ids(&b.state).await[0];
    // A dispatcher claims the item and sends it, then dies before marking it sent.
    let claimed = notify::claim(&b.state, id, None).await.unwrap().expect("claimed");
    b.mailer
        .send(&hubee_shared::templates::new_dossier(
            "etat-civil@mairie-a.example",
            &hubee_shared::templates::DossierNotice {
                procedure_title: "x".into(),
                number: "DGS-30-0".into(),
                transmitted: b.clock_now(),
                link: "l".into(),
            },
        ))
        .await
        .unwrap();
    drop(claimed);
    // While the lease runs, nobody else sends it.
    assert_eq!(notify::sweep(&b.state).await.unwrap(), 0);
    assert_eq!(b.mailer.sent().len(), 1);
    // Once it expires, the sweep sends it again: one duplicate, and the item is done.
    b.clock.advance(Duration::minutes(2));
    notify::sweep(&b.state).await.unwrap();
    assert_eq!(b.mailer.sent().len(), 2);
    let item = b.state.store.outbox_item(id).await.unwrap().unwrap().value;
    assert_eq!((item.status, item.attempts), (OutboxStatus::Sent, 2));
    notify::sweep(&b.state).await.unwrap();
    assert_eq!(b.mailer.sent().len(), 2);
    assert!(matches!(item.message, OutboxMessage::NewCase { .. }));
}

#[tokio::test]
async fn after_a_crash_the_leases_are_taken_back_and_the_outbox_holds_each_email_once() {
    let dir = tempfile::tempdir().unwrap();
    let clock = ManualClock::new(parse_time("2026-03-02T10:00:00Z").unwrap());
    let outbox = dir.path().join("outbox");
    let mailer = Arc::new(OutboxMailer::open(&outbox, "ne-pas-repondre@hubee.example").unwrap());
    let state = state_with(dir.path(), Arc::new(clock.clone()), mailer.clone());
    provision(&state).await;
    complete(&state, "DGS-40", &[A]).await;
    complete(&state, "DGS-41", &[A]).await;
    let ids = pending_ids(&state).await;
    assert_eq!(ids.len(), 2);
    // A dispatcher claims both items, sends the first one's e-mail, and dies before marking it.
    let first = notify::claim(&state, ids[0], None).await.unwrap().expect("claimed");
    notify::claim(&state, ids[1], None).await.unwrap().expect("claimed");
    let mut email = hubee_shared::templates::new_dossier(
        "etat-civil@mairie-a.example",
        &hubee_shared::templates::DossierNotice {
            procedure_title: "Certificat de décès électronique".into(),
            number: "DGS-40-0".into(),
            transmitted: parse_time("2026-03-02T10:00:00Z").unwrap(),
            link: "l".into(),
        },
    );
    email.key = Some(first.value.id);
    mailer.send(&email).await.unwrap();
    let emls = || {
        std::fs::read_dir(&outbox)
            .unwrap()
            .flatten()
            .filter(|e| e.path().extension().is_some_and(|x| x == "eml"))
            .count()
    };
    assert_eq!(emls(), 1);
    // Their leases hold them from a sweep (a minute)...
    assert_eq!(notify::sweep(&state).await.unwrap(), 0);
    // ...until the only dispatcher of the data directory takes them back at its start.
    assert_eq!(notify::take_back_leases(&state).await.unwrap(), 2);
    assert_eq!(notify::sweep(&state).await.unwrap(), 2, "sent at once, without waiting for the leases");
    for id in &ids {
        let item = state.store.outbox_item(*id).await.unwrap().unwrap().value;
        assert_eq!((item.status, item.attempts), (OutboxStatus::Sent, 2));
    }
    assert_eq!(emls(), 2, "the e-mail sent before the crash was written over, not added");
    assert_eq!(notify::take_back_leases(&state).await.unwrap(), 0, "nothing held any more");
}

#[tokio::test]
async fn a_sweep_claims_and_marks_a_page_in_batches_and_sends_each_item_once() {
    let b = bed(RecordingMailer::default(), "2026-03-02T10:00:00Z").await;
    // 150 dossiers for A (unitaire): more than two batches, fewer than a page.
    for n in 0..150 {
        complete(&b.state, &format!("DGS-5{n:03}"), &[A]).await;
    }
    assert_eq!(notify::sweep(&b.state).await.unwrap(), 150);
    let sent = b.mailer.sent();
    assert_eq!(sent.len(), 150);
    let keys: std::collections::HashSet<_> = sent.iter().map(|e| e.key.expect("an outbox item's key")).collect();
    assert_eq!(keys.len(), 150, "one e-mail per item");
    assert!(pending_ids(&b.state).await.is_empty());
    assert_eq!(notify::sweep(&b.state).await.unwrap(), 0);
}

impl Bed {
    fn clock_now(&self) -> chrono::DateTime<chrono::Utc> {
        use hubee_shared::ports::Clock;
        self.clock.now()
    }
}
