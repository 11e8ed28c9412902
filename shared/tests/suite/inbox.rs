//! The portal inbox against embedded adapters: order, pagination, tabs and counters, name and
//! number search, dates, and what a user may see.

#![allow(clippy::unwrap_used, clippy::expect_used)] // Test code: a failed step is a failed test.

use std::sync::Arc;

use chrono::Duration;
use hubee_shared::{
    adapters::ManualClock,
    auth::Claims,
    domain::{BranchCode, OrgRef, OrgType, ProcessCode, Scope, Siret, parse_time},
    seed::Provisioning,
    services::{
        UploadHeaders, cases, folders,
        inbox::{self, InboxQuery},
    },
    state::AppState,
    testkit::{RecordingMailer, state_with},
};
use serde_json::{Value, json};
use uuid::Uuid;

pub(crate) const A: (&str, &str) = ("11001401600015", "75108");
pub(crate) const B: (&str, &str) = ("21000005908301", "69123");

pub(crate) fn org(o: (&str, &str)) -> OrgRef {
    OrgRef {
        org_type: OrgType::Si,
        company_register: Siret::parse(o.0).unwrap(),
        branch_code: BranchCode::parse(o.1).unwrap(),
    }
}

pub(crate) fn claims(state: &AppState, scope: Scope, who: (&str, &str), process: Option<&str>) -> Claims {
    let process = process.map(|p| ProcessCode::parse(p).unwrap());
    let token = state
        .tokens
        .issue(
            "t",
            scope,
            &Siret::parse(who.0).unwrap(),
            &BranchCode::parse(who.1).unwrap(),
            process.as_ref(),
            state.clock.now(),
        )
        .unwrap();
    state.tokens.verify(&token, state.clock.now()).unwrap()
}

async fn bed() -> (tempfile::TempDir, AppState, ManualClock) {
    let dir = tempfile::tempdir().unwrap();
    let clock = ManualClock::new(parse_time("2026-03-02T08:00:00Z").unwrap());
    let state = state_with(dir.path(), Arc::new(clock.clone()), Arc::new(RecordingMailer::default()));
    let sub = |o: (&str, &str), p: &str| json!({"siret": o.0, "branchCode": o.1, "processCode": p, "status": "Actif", "accessMode": "PORTAIL", "notificationFrequency": "aucune"});
    let seed = json!({
        "procedures": [
            {"code": "CERTDC", "title": "Certificat de décès électronique", "operator": "DGS"},
            {"code": "EtatCivil", "title": "Demande d'acte d'état civil", "operator": "DILA"}
        ],
        "organisations": [
            {"siret": A.0, "branchCode": A.1, "name": "Mairie A", "type": "SI"},
            {"siret": B.0, "branchCode": B.1, "name": "Mairie B", "type": "SI"},
            {"siret": "11000000000007", "branchCode": "00000", "name": "Plateforme", "type": "ADMIN"}
        ],
        "subscriptions": [sub(A, "CERTDC"), sub(A, "EtatCivil"), sub(B, "CERTDC")]
    });
    Provisioning::parse(&seed.to_string()).unwrap().load(&state.store).await.unwrap();
    (dir, state, clock)
}

/// A completed folder with one case for `to`; returns the case id.
pub(crate) async fn transmit(
    state: &AppState,
    process: &str,
    number: &str,
    (first, last): (&str, &str),
    to: (&str, &str),
) -> Uuid {
    let admin = claims(state, Scope::Admin, ("11000000000007", "00000"), None);
    let body = json!({"externalId": number, "processCode": process, "applicant": {"firstName": first, "lastName": last},
        "cases": [{"externalId": number, "recipient": {"type": "SI", "companyRegister": to.0, "branchCode": to.1}}],
        "attachments": [{"fileName": "a.pdf", "type": "T", "size": 1, "mimeType": "application/pdf", "recipients": [number]}]});
    let folder = crate::json(
        folders::create_folder(state, &admin, folders::NewFolder::parse("POST /f", &body).unwrap(), None)
            .await
            .unwrap(),
    );
    let id = folder["id"].as_str().unwrap().parse().unwrap();
    let att = folder["attachments"][0]["id"].as_str().unwrap().parse().unwrap();
    let stream = Box::pin(futures::stream::iter([Ok(bytes::Bytes::from_static(b"x"))]));
    folders::upload_attachment(state, &admin, id, att, UploadHeaders { digest: None, content_length: None }, stream)
        .await
        .unwrap();
    folders::update_folder(
        state,
        &admin,
        id,
        folders::FolderUpdate::parse("PATCH /f", &json!({"globalStatus": "HUBEE_COMPLETED"})).unwrap(),
    )
    .await
    .unwrap();
    folder["cases"][0]["id"].as_str().unwrap().parse().unwrap()
}

fn numbers(page: &Value) -> Vec<String> {
    page["items"].as_array().unwrap().iter().map(|i| i["number"].as_str().unwrap().to_owned()).collect()
}

fn codes(list: &[&str]) -> Vec<ProcessCode> {
    list.iter().map(|c| ProcessCode::parse(c).unwrap()).collect()
}

const NAMES: [(&str, &str); 5] =
    [("Élodie", "LEFÈVRE"), ("Jean", "Lefebvre"), ("Zoé", "Martin"), ("Noël", "d'Artagnan"), ("Ana", "Œuvray")];

#[tokio::test]
async fn the_inbox_lists_newest_first_across_procedures_and_pages_without_gap_or_repeat() {
    let (_dir, state, clock) = bed().await;
    let mut expected = Vec::new();
    for i in 0..23 {
        clock.advance(Duration::minutes(7));
        let process = if i % 3 == 0 { "EtatCivil" } else { "CERTDC" };
        let number = format!("N-{i:02}");
        transmit(&state, process, &number, NAMES[i % NAMES.len()], A).await;
        expected.push(number);
    }
    transmit(&state, "CERTDC", "OTHER-ORG", NAMES[0], B).await;
    expected.reverse();

    let both = codes(&["CERTDC", "EtatCivil"]);
    let mut seen = Vec::new();
    let mut cursor = None;
    loop {
        let page =
            list(&state, &org(A), &both, &InboxQuery { cursor: cursor.clone(), limit: Some(5), ..Default::default() })
                .await
                .unwrap();
        assert!(page["items"].as_array().unwrap().len() <= 5);
        seen.extend(numbers(&page));
        match page["nextCursor"].as_str() {
            Some(c) => cursor = Some(c.to_owned()),
            None => break,
        }
    }
    assert_eq!(seen, expected, "newest transmission first, every case once, nothing of another organisation");

    // A transmission while paging does not shift the pages below it.
    let first = list(&state, &org(A), &both, &InboxQuery { limit: Some(5), ..Default::default() }).await.unwrap();
    clock.advance(Duration::minutes(1));
    transmit(&state, "CERTDC", "N-NEW", NAMES[1], A).await;
    let next =
        InboxQuery { cursor: first["nextCursor"].as_str().map(str::to_owned), limit: Some(5), ..Default::default() };
    assert_eq!(numbers(&list(&state, &org(A), &both, &next).await.unwrap()), expected[5..10]);

    // Only the procedures the user may see.
    let certdc = list(&state, &org(A), &codes(&["CERTDC"]), &InboxQuery { limit: Some(100), ..Default::default() })
        .await
        .unwrap();
    assert_eq!(certdc["items"].as_array().unwrap().len(), 16);
    assert!(certdc["items"].as_array().unwrap().iter().all(|i| i["processCode"] == "CERTDC"));
    assert_eq!(certdc["items"][0]["procedureTitle"], "Certificat de décès électronique");
    assert_eq!(certdc["counts"]["TOUS"], 16);
    assert!(
        list(&state, &org(A), &both, &InboxQuery { cursor: Some("garbage!".into()), ..Default::default() })
            .await
            .is_err()
    );
}

#[tokio::test]
async fn tabs_and_counts_follow_every_status_change() {
    let (_dir, state, clock) = bed().await;
    let mut ids = Vec::new();
    for (i, name) in NAMES.iter().take(4).enumerate() {
        clock.advance(Duration::minutes(1));
        ids.push(transmit(&state, "CERTDC", &format!("T-{i}"), *name, A).await);
    }
    let si = hubee_shared::services::actor::Actor::from(&claims(&state, Scope::Si, A, Some("CERTDC")));
    for (id, status) in [(ids[0], "SI_RECEIVED"), (ids[1], "IN_PROGRESS"), (ids[2], "IN_PROGRESS")] {
        cases::update_case(&state, &si, id, cases::CaseUpdate::parse("PATCH /c", &json!({"status": status})).unwrap())
            .await
            .unwrap();
    }
    cases::update_case(
        &state,
        &si,
        ids[2],
        cases::CaseUpdate::parse("PATCH /c", &json!({"status": "REFUSED"})).unwrap(),
    )
    .await
    .unwrap();
    cases::update_case(
        &state,
        &si,
        ids[2],
        cases::CaseUpdate::parse("PATCH /c", &json!({"status": "REFUSED"})).unwrap(),
    )
    .await
    .unwrap();

    let certdc = codes(&["CERTDC"]);
    let all = list(&state, &org(A), &certdc, &InboxQuery::default()).await.unwrap();
    let counts = &all["counts"];
    assert_eq!(
        (
            counts["NOUVEAU"].as_i64(),
            counts["RECU"].as_i64(),
            counts["EN_COURS"].as_i64(),
            counts["REFUSE"].as_i64(),
            counts["TOUS"].as_i64()
        ),
        (Some(1), Some(1), Some(1), Some(1), Some(4)),
        "{counts}"
    );
    assert_eq!(counts["TRAITE"], 0);
    let refused = list(
        &state,
        &org(A),
        &certdc,
        &InboxQuery { tab: Some(hubee_shared::domain::InboxTab::Refuse), ..Default::default() },
    )
    .await
    .unwrap();
    assert_eq!(numbers(&refused), ["T-2"]);
    assert_eq!(refused["items"][0]["tab"], "REFUSE");
    let new = list(
        &state,
        &org(A),
        &certdc,
        &InboxQuery { tab: Some(hubee_shared::domain::InboxTab::Nouveau), ..Default::default() },
    )
    .await
    .unwrap();
    assert_eq!(numbers(&new), ["T-3"]);
    // Mairie B's counters are its own.
    let b = list(&state, &org(B), &certdc, &InboxQuery::default()).await.unwrap();
    assert_eq!(b["counts"]["TOUS"], 0);
}

#[tokio::test]
async fn names_are_found_by_prefix_whatever_the_accents_and_numbers_exactly() {
    let (_dir, state, clock) = bed().await;
    for (i, name) in NAMES.iter().enumerate() {
        clock.advance(Duration::minutes(1));
        transmit(&state, "CERTDC", &format!("DGS-CERTDC-{i:04}"), *name, A).await;
    }
    let certdc = codes(&["CERTDC"]);
    let search = |q: &str| InboxQuery { q: Some(q.into()), ..Default::default() };
    let found = list(&state, &org(A), &certdc, &search("lef")).await.unwrap();
    assert_eq!(numbers(&found), ["DGS-CERTDC-0001", "DGS-CERTDC-0000"], "lefebvre before lefevre, accents ignored");
    assert_eq!(found["items"][0]["concerned"], json!({"lastName": "Lefebvre", "firstName": "Jean"}));
    assert_eq!(numbers(&list(&state, &org(A), &certdc, &search("LEFÈVRE él")).await.unwrap()), ["DGS-CERTDC-0000"]);
    assert_eq!(numbers(&list(&state, &org(A), &certdc, &search("oeuv")).await.unwrap()), ["DGS-CERTDC-0004"]);
    assert_eq!(numbers(&list(&state, &org(A), &certdc, &search("d artagnan")).await.unwrap()), ["DGS-CERTDC-0003"]);
    assert!(numbers(&list(&state, &org(A), &certdc, &search("dupont")).await.unwrap()).is_empty());
    // An exact dossier number goes straight to it (case-insensitive), within what the user sees.
    assert_eq!(
        numbers(&list(&state, &org(A), &certdc, &search("dgs-certdc-0002")).await.unwrap()),
        ["DGS-CERTDC-0002"]
    );
    assert!(
        numbers(&list(&state, &org(A), &codes(&["EtatCivil"]), &search("DGS-CERTDC-0002")).await.unwrap()).is_empty()
    );
    assert!(numbers(&list(&state, &org(B), &certdc, &search("DGS-CERTDC-0002")).await.unwrap()).is_empty());
}

#[tokio::test]
async fn dates_bound_the_transmission_date() {
    let (_dir, state, clock) = bed().await;
    for (i, name) in NAMES.iter().enumerate() {
        clock.set(parse_time(&format!("2026-03-0{}T10:00:00Z", i + 1)).unwrap());
        transmit(&state, "CERTDC", &format!("D-{i}"), *name, A).await;
    }
    let certdc = codes(&["CERTDC"]);
    let range = InboxQuery {
        from: parse_time("2026-03-02T00:00:00Z"),
        to: parse_time("2026-03-04T10:00:00Z"),
        ..Default::default()
    };
    assert_eq!(
        numbers(&list(&state, &org(A), &certdc, &range).await.unwrap()),
        ["D-2", "D-1"],
        "from inclusive, to exclusive"
    );
    let named = InboxQuery { q: Some("l".into()), from: parse_time("2026-03-02T00:00:00Z"), ..Default::default() };
    assert_eq!(numbers(&list(&state, &org(A), &certdc, &named).await.unwrap()), ["D-1"], "names within the dates");
}

#[tokio::test]
async fn a_name_search_pages_in_name_order_without_gap_or_repeat() {
    let (_dir, state, clock) = bed().await;
    for (i, name) in NAMES.iter().cycle().take(12).enumerate() {
        clock.advance(Duration::minutes(1));
        let process = if i % 2 == 0 { "CERTDC" } else { "EtatCivil" };
        transmit(&state, process, &format!("P-{i:02}"), *name, A).await;
    }
    let both = codes(&["CERTDC", "EtatCivil"]);
    let all =
        list(&state, &org(A), &both, &InboxQuery { q: Some("le".into()), limit: Some(100), ..Default::default() })
            .await
            .unwrap();
    let expected = numbers(&all);
    assert_eq!(
        expected,
        ["P-01", "P-06", "P-11", "P-00", "P-05", "P-10"],
        "Lefebvre then Lefèvre, by transmission date for one name"
    );
    let mut seen = Vec::new();
    let mut cursor = None;
    loop {
        let q = InboxQuery { q: Some("le".into()), cursor: cursor.clone(), limit: Some(2), ..Default::default() };
        let page = list(&state, &org(A), &both, &q).await.unwrap();
        seen.extend(numbers(&page));
        match page["nextCursor"].as_str() {
            Some(c) => cursor = Some(c.to_owned()),
            None => break,
        }
    }
    assert_eq!(seen, expected);
}

/// The inbox page as the edge serialises it.
async fn list(
    state: &hubee_shared::state::AppState,
    org: &OrgRef,
    visible: &[ProcessCode],
    query: &InboxQuery,
) -> Result<Value, hubee_shared::services::ExchangeError> {
    inbox::list(state, org, visible, query).await.map(crate::json)
}
