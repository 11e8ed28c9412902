//! The statistics counters against embedded adapters: random status changes, consultations and
//! e-mails over months, then every counter read back equals a recount from the cases — per
//! organisation, nationally and per operator — and the inbox's tabs still add up.

#![allow(clippy::unwrap_used, clippy::expect_used)] // Test code: a failed step is a failed test.

use std::{
    collections::{BTreeMap, HashMap},
    sync::Arc,
};

use chrono::Duration;
use hubee_shared::{
    adapters::ManualClock,
    domain::{
        Case, CaseStatus, Histogram, InboxTab, Month, MonthFigures, OrgId, OrgRef, OrgType, ProcessCode, Scope, bucket,
        parse_time,
    },
    seed::Provisioning,
    services::{
        actor::Actor,
        cases::{self, CaseUpdate},
        notify, portal_cases,
        statistics::{self, StatisticsQuery},
    },
    state::AppState,
    testkit::{RecordingMailer, state_with},
};
use rand::{Rng, SeedableRng, rngs::StdRng};
use serde_json::json;
use uuid::Uuid;

use crate::inbox::{A, B, claims, org, transmit};

const PLATFORM: (&str, &str) = ("11000000000007", "00000");

async fn bed(mailer: Arc<RecordingMailer>) -> (tempfile::TempDir, AppState, ManualClock) {
    let dir = tempfile::tempdir().unwrap();
    let clock = ManualClock::new(parse_time("2026-01-20T08:00:00Z").unwrap());
    let state = state_with(dir.path(), Arc::new(clock.clone()), mailer);
    let sub = |o: (&str, &str), p: &str, f: &str| json!({"siret": o.0, "branchCode": o.1, "processCode": p, "status": "Actif", "accessMode": "PORTAIL", "notificationFrequency": f, "email": "etat-civil@mairie.example"});
    let seed = json!({
        "procedures": [
            {"code": "CERTDC", "title": "Certificat de décès électronique", "operator": "DGS"},
            {"code": "EtatCivil", "title": "Demande d'acte d'état civil", "operator": "DILA"}
        ],
        "organisations": [
            {"siret": A.0, "branchCode": A.1, "name": "Mairie A", "type": "SI"},
            {"siret": B.0, "branchCode": B.1, "name": "Mairie B", "type": "SI"},
            {"siret": PLATFORM.0, "branchCode": PLATFORM.1, "name": "Plateforme", "type": "ADMIN"}
        ],
        "subscriptions": [sub(A, "CERTDC", "aucune"), sub(A, "EtatCivil", "aucune"), sub(B, "CERTDC", "unitaire")]
    });
    Provisioning::parse(&seed.to_string()).unwrap().load(&state.store).await.unwrap();
    (dir, state, clock)
}

fn code(c: &str) -> ProcessCode {
    ProcessCode::parse(c).unwrap()
}

/// The figures recounted from the cases themselves, by scope key, procedure and month.
fn recount(cases: &[Case]) -> HashMap<(String, ProcessCode, Month), MonthFigures> {
    let mut out: HashMap<(String, ProcessCode, Month), MonthFigures> = HashMap::new();
    for c in cases {
        let (Some(stats), Some(sent)) = (&c.statistics, c.transmission_date_time) else { continue };
        let month = Month::of(sent);
        let operator = stats.operator.as_ref().map(|o| format!("OP#{}", o.key())).unwrap();
        for scope in [c.recipient.key(), "NATIONAL".to_owned(), operator] {
            let f = out.entry((scope, c.process_code.clone(), month)).or_default();
            *f.statuses.entry(c.status).or_default() += 1;
            if let Some(at) = stats.consulted {
                f.consulted.add(bucket((at - sent).num_seconds()), 1);
            }
            if let Some(at) = stats.finalised {
                f.finalised.add(bucket((at - sent).num_seconds()), 1);
            }
        }
    }
    out
}

/// Figures without their zero entries, so that a counter moved back to 0 equals none.
fn nonzero(mut f: MonthFigures) -> MonthFigures {
    f.statuses.retain(|_, n| *n != 0);
    f.consulted = Histogram(f.consulted.0.into_iter().filter(|(_, n)| *n != 0).collect());
    f.finalised = Histogram(f.finalised.0.into_iter().filter(|(_, n)| *n != 0).collect());
    f
}

async fn scenario(seed: u64) {
    let mailer = Arc::new(RecordingMailer::default());
    let (_dir, state, clock) = bed(mailer.clone()).await;
    let mut rng = StdRng::seed_from_u64(seed);
    let targets: Vec<(&str, (&str, &str))> = vec![("CERTDC", A), ("EtatCivil", A), ("CERTDC", B)];
    let mut ids: Vec<(Uuid, &str, (&str, &str))> = Vec::new();
    for step in 0..60 {
        // Time moves on by seconds to weeks, across month ends.
        clock.advance(Duration::seconds(rng.random_range(0..=900_000)));
        if ids.is_empty() || rng.random_bool(0.3) {
            let (process, to) = targets[rng.random_range(0..targets.len())];
            let number = format!("N-{seed}-{step}");
            ids.push((transmit(&state, process, &number, ("Léa", "Martin"), to).await, process, to));
            continue;
        }
        let (id, process, to) = ids[rng.random_range(0..ids.len())];
        let recipient: Actor = (&claims(&state, Scope::Si, to, Some(process))).into();
        let platform: Actor = (&claims(&state, Scope::Admin, PLATFORM, None)).into();
        match rng.random_range(0..4) {
            0 => {
                portal_cases::read(&state, &recipient, id).await.unwrap();
            }
            1 | 2 => {
                let statuses = &CaseStatus::ALL[1..];
                let status = statuses[rng.random_range(0..statuses.len())];
                let who = if rng.random_bool(0.7) { &recipient } else { &platform };
                // The transition policy refuses many: only what changes is counted.
                let _ = cases::update_case(&state, who, id, CaseUpdate { status }).await;
            }
            _ => {
                notify::sweep(&state).await.unwrap();
            }
        }
    }
    notify::sweep(&state).await.unwrap();

    let mut cases = Vec::new();
    for (id, ..) in &ids {
        cases.push(state.store.case(*id).await.unwrap().unwrap().value);
    }
    let expected = recount(&cases);
    let first = Month::parse("2026-01").unwrap();
    let last = Month::of(state.clock.now());
    let procedures = [code("CERTDC"), code("EtatCivil")];
    let mut checked = 0;
    for (scope, figures) in [
        ("A", state.store.organisation_statistics(&org(A), &procedures, first, last).await.unwrap()),
        ("B", state.store.organisation_statistics(&org(B), &procedures, first, last).await.unwrap()),
        ("NATIONAL", state.store.national_statistics(None, &procedures, first, last).await.unwrap()),
    ] {
        let key = match scope {
            "A" => org(A).key(),
            "B" => org(B).key(),
            other => other.to_owned(),
        };
        for (process, by_month) in procedures.iter().zip(figures) {
            for month in first.through(last) {
                let mut want = expected.get(&(key.clone(), process.clone(), month)).cloned().unwrap_or_default();
                let mut got = nonzero(by_month.get(&month).cloned().unwrap_or_default());
                // E-mails are checked below, against what the mailer sent.
                (got.mail_sent, got.mail_failed) = (0, 0);
                want = nonzero(want);
                assert_eq!(got, want, "seed {seed}, {scope} {process} {month}");
                checked += want.transmitted();
            }
        }
    }
    assert!(checked > 0, "seed {seed}: the scenario transmitted nothing");

    // The operator's figures (the platform deposited every folder here).
    let op = OrgRef { org_type: OrgType::Osl, ..org(PLATFORM) };
    let by_operator = state.store.national_statistics(Some(&op), &procedures, first, last).await.unwrap();
    for (process, by_month) in procedures.iter().zip(by_operator) {
        for month in first.through(last) {
            let want = expected.get(&(format!("OP#{}", op.key()), process.clone(), month)).cloned().unwrap_or_default();
            let mut got = nonzero(by_month.get(&month).cloned().unwrap_or_default());
            (got.mail_sent, got.mail_failed) = (0, 0);
            assert_eq!(got, nonzero(want), "seed {seed}, operator {process} {month}");
        }
    }

    // Every e-mail sent (to Mairie B, the only subscription that wants them) is counted once.
    let b = OrgId { siret: org(B).company_register, branch_code: org(B).branch_code };
    let query = StatisticsQuery { from: first, to: last, process_code: None };
    let page = statistics::organisation(&state, &b, &query).await.unwrap();
    assert_eq!(page.total.emails_sent, i64::try_from(mailer.sent().len()).unwrap(), "seed {seed}");
    assert_eq!(page.total.emails_failed, 0);
    let national = state.store.national_statistics(None, &[code("CERTDC")], first, last).await.unwrap();
    let national_sent: i64 = national[0].values().map(|f| f.mail_sent).sum();
    assert_eq!(national_sent, page.total.emails_sent, "seed {seed}: nationally too");

    // The inbox's tabs sum the month counters: they equal a recount of the cases by tab.
    for (who, process) in [(A, "CERTDC"), (A, "EtatCivil"), (B, "CERTDC")] {
        let counts = state.store.inbox_counts(&org(who), &code(process)).await.unwrap();
        let mut want: BTreeMap<InboxTab, i64> = BTreeMap::new();
        for c in cases.iter().filter(|c| c.recipient.key() == org(who).key() && c.process_code.as_str() == process) {
            *want.entry(c.tab().unwrap()).or_default() += 1;
        }
        let got: BTreeMap<InboxTab, i64> = counts.into_iter().filter(|(_, n)| *n != 0).collect();
        assert_eq!(got, want, "seed {seed}: inbox counts of {process}");
    }
}

#[tokio::test]
async fn counters_equal_a_recount_of_the_cases_after_random_changes() {
    for seed in 1..=6 {
        scenario(seed).await;
    }
}

#[tokio::test]
async fn a_consultation_counts_once_and_only_for_the_recipient() {
    let (_dir, state, clock) = bed(Arc::new(RecordingMailer::default())).await;
    let id = transmit(&state, "CERTDC", "C-1", ("Léa", "Martin"), A).await;
    let sent = state.clock.now();
    let platform: Actor = (&claims(&state, Scope::Admin, PLATFORM, None)).into();
    clock.advance(Duration::hours(3));
    portal_cases::read(&state, &platform, id).await.unwrap();
    let case = state.store.case(id).await.unwrap().unwrap().value;
    assert_eq!(case.statistics.as_ref().unwrap().consulted, None, "the platform is not the instructing service");
    let recipient: Actor = (&claims(&state, Scope::Si, A, Some("CERTDC"))).into();
    portal_cases::read(&state, &recipient, id).await.unwrap();
    clock.advance(Duration::days(2));
    portal_cases::read(&state, &recipient, id).await.unwrap();
    let case = state.store.case(id).await.unwrap().unwrap().value;
    assert_eq!(case.statistics.as_ref().unwrap().consulted, Some(sent + Duration::hours(3)), "the first one is kept");
    let month = Month::of(sent);
    let figures = state.store.organisation_statistics(&org(A), &[code("CERTDC")], month, month).await.unwrap();
    let f = &figures[0][&month];
    assert_eq!(f.consulted.count(), 1, "{f:?}");
    assert_eq!(f.consulted.quantile(0.5).map(|s| (s - 3 * 3600).abs() * 100 / (3 * 3600) <= 19), Some(true));
}

#[tokio::test]
async fn a_completion_of_24_cases_fits_its_transaction_and_counts_each_case() {
    use hubee_shared::services::{UploadHeaders, folders};
    let (_dir, state, _clock) = bed(Arc::new(RecordingMailer::default())).await;
    let admin = claims(&state, Scope::Admin, PLATFORM, None);
    // 24 recipients: Mairie A and 23 branches of Mairie B's SIRET, each subscribed.
    let branches: Vec<String> = (1..24).map(|i| format!("{:05}", 69_000 + i)).collect();
    let mut seed = json!({"organisations": [], "subscriptions": []});
    for b in &branches {
        seed["organisations"]
            .as_array_mut()
            .unwrap()
            .push(json!({"siret": B.0, "branchCode": b, "name": format!("Mairie {b}"), "type": "SI"}));
        seed["subscriptions"].as_array_mut().unwrap().push(json!({"siret": B.0, "branchCode": b, "processCode": "CERTDC", "status": "Actif", "accessMode": "PORTAIL", "notificationFrequency": "unitaire", "email": "ec@mairie.example"}));
    }
    Provisioning::parse(&seed.to_string()).unwrap().load(&state.store).await.unwrap();
    let mut recipients = vec![json!({"type": "SI", "companyRegister": A.0, "branchCode": A.1})];
    recipients.extend(branches.iter().map(|b| json!({"type": "SI", "companyRegister": B.0, "branchCode": b})));
    let cases: Vec<_> =
        recipients.iter().enumerate().map(|(i, r)| json!({"externalId": format!("BIG-{i}"), "recipient": r})).collect();
    let numbers: Vec<String> = (0..24).map(|i| format!("BIG-{i}")).collect();
    let body = json!({"externalId": "BIG", "processCode": "CERTDC", "applicant": {"firstName": "A", "lastName": "B"},
        "cases": cases,
        "attachments": [{"fileName": "a.pdf", "type": "T", "size": 1, "mimeType": "application/pdf", "recipients": numbers}]});
    let folder = crate::json(
        folders::create_folder(&state, &admin, folders::NewFolder::parse("POST /f", &body).unwrap(), None)
            .await
            .unwrap(),
    );
    let id = folder["id"].as_str().unwrap().parse().unwrap();
    let att = folder["attachments"][0]["id"].as_str().unwrap().parse().unwrap();
    let stream = Box::pin(futures::stream::iter([Ok(bytes::Bytes::from_static(b"x"))]));
    folders::upload_attachment(&state, &admin, id, att, UploadHeaders { digest: None, content_length: None }, stream)
        .await
        .unwrap();
    folders::update_folder(
        &state,
        &admin,
        id,
        folders::FolderUpdate::parse("PATCH /f", &json!({"globalStatus": "HUBEE_COMPLETED"})).unwrap(),
    )
    .await
    .expect("the largest folder completes in one transaction");
    let month = Month::of(state.clock.now());
    let national = state.store.national_statistics(None, &[code("CERTDC")], month, month).await.unwrap();
    assert_eq!(national[0][&month].statuses.get(&CaseStatus::HubeeNotified), Some(&24));
    let op = OrgRef { org_type: OrgType::Osl, ..org(PLATFORM) };
    let by_operator = state.store.national_statistics(Some(&op), &[code("CERTDC")], month, month).await.unwrap();
    assert_eq!(by_operator[0][&month].transmitted(), 24);
    let a = state.store.organisation_statistics(&org(A), &[code("CERTDC")], month, month).await.unwrap();
    assert_eq!(a[0][&month].transmitted(), 1);
}
