//! The portal's dossier workflow against embedded adapters: reading, confirming reception,
//! status changes with their events for the operator, comments, history, bulk actions, and
//! what a consultation-only or unauthorised user may do.

#![allow(clippy::unwrap_used, clippy::expect_used)] // Test code: a failed step is a failed test.

use hubee_shared::{
    domain::{BranchCode, OrgRef, OrgType, ProcessCode, Siret},
    services::{
        actor::Actor,
        portal_cases::{self, Action},
    },
    state::AppState,
    testkit::{self, claims, deposit_case, provision, unzip},
};
use serde_json::json;

fn mairie_a() -> OrgRef {
    OrgRef {
        org_type: OrgType::Si,
        company_register: Siret::parse("11001401600015").unwrap(),
        branch_code: BranchCode::parse("75108").unwrap(),
    }
}

fn agent(procedures: &[&str], manages: bool) -> Actor {
    let procedures = procedures.iter().map(|p| ProcessCode::parse(p).unwrap()).collect();
    Actor::portal_user(mairie_a(), "agent@mairie-a.example", "Bruno Petit", procedures, manages)
}

async fn bed() -> (tempfile::TempDir, AppState) {
    let dir = tempfile::tempdir().unwrap();
    let state = testkit::state(dir.path());
    provision(&state).await;
    (dir, state)
}

#[tokio::test]
async fn an_agent_confirms_reception_processes_and_finishes_a_dossier_and_the_operator_follows() {
    let (_dir, state) = bed().await;
    let (case, _) = deposit_case(&state, b"%PDF-1.4 fixture").await;
    let a = agent(&["CERTDC"], true);

    let page = crate::json(portal_cases::read(&state, &a, case).await.unwrap());
    assert_eq!((page["status"].as_str(), page["tab"].as_str()), (Some("HUBEE_NOTIFIED"), Some("NOUVEAU")));
    assert_eq!(page["receptionToConfirm"], true);
    assert_eq!(page["actions"], json!(["CONFIRM_RECEPTION"]));
    assert_eq!(page["procedureTitle"], "Certificat de décès électronique");

    assert_eq!(
        portal_cases::act(&state, &a, case, Action::ConfirmReception, None).await.unwrap().as_str(),
        "SI_RECEIVED"
    );
    assert!(portal_cases::act(&state, &a, case, Action::Finish, None).await.is_err(), "not from SI_RECEIVED");
    assert!(portal_cases::act(&state, &a, case, Action::Refuse, Some("  ")).await.is_err(), "a refusal needs a reason");
    portal_cases::act(&state, &a, case, Action::StartProcessing, None).await.unwrap();
    portal_cases::comment(&state, &a, case, "Pièce d'identité vérifiée").await.unwrap();
    portal_cases::act(&state, &a, case, Action::Finish, None).await.unwrap();

    // The operator got one notified STATUS_UPDATE event per change, written by the agent.
    let op = claims(&state, "fixture-osl");
    let events = crate::json(
        hubee_shared::services::cases::get_case(&state, &(&op).into(), case, false).await.unwrap(),
    )["events"]
        .clone();
    let changes: Vec<_> =
        events.as_array().unwrap().iter().map(|e| e["caseNewStatus"].as_str().unwrap().to_owned()).collect();
    assert_eq!(changes, ["SI_RECEIVED", "IN_PROGRESS", "DONE"]);
    assert!(events.as_array().unwrap().iter().all(|e| e["author"] == "Bruno Petit" && e["notification"] == true));
    let inbox = state.store.notifications_page(&op.org(), None, 10, None).await.unwrap();
    assert_eq!(inbox.items.len(), 3);

    // The history holds everything, who and when; the comment is internal.
    let history = crate::json(portal_cases::history(&state, &a, case).await.unwrap());
    let kinds: Vec<_> =
        history["entries"].as_array().unwrap().iter().map(|e| e["kind"].as_str().unwrap().to_owned()).collect();
    for k in ["CREATED", "TRANSMITTED", "CONSULTED", "EVENT", "STATUS", "COMMENT"] {
        assert!(kinds.contains(&k.to_owned()), "{k} in {kinds:?}");
    }
    let comment = history["entries"].as_array().unwrap().iter().find(|e| e["kind"] == "COMMENT").unwrap();
    assert_eq!(
        (comment["text"].as_str(), comment["author"].as_str()),
        (Some("Pièce d'identité vérifiée"), Some("Bruno Petit"))
    );
    assert!(!events.to_string().contains("Pièce d'identité vérifiée"), "the operator never sees internal comments");
    assert_eq!(history["status"], "DONE");
}

#[tokio::test]
async fn a_refusal_carries_its_reason_to_the_operator() {
    let (_dir, state) = bed().await;
    let (case, _) = deposit_case(&state, b"%PDF-1.4 fixture").await;
    let a = agent(&["CERTDC"], true);
    portal_cases::act(&state, &a, case, Action::ConfirmReception, None).await.unwrap();
    portal_cases::act(&state, &a, case, Action::Refuse, Some("Acte illisible")).await.unwrap();
    let op = claims(&state, "fixture-osl");
    let case_json =
        crate::json(hubee_shared::services::cases::get_case(&state, &(&op).into(), case, false).await.unwrap());
    assert_eq!(case_json["status"], "REFUSED");
    assert_eq!(case_json["events"][1]["message"], "Acte illisible");
}

#[tokio::test]
async fn consultation_only_and_unauthorised_users_are_held_back() {
    let (_dir, state) = bed().await;
    let (case, _) = deposit_case(&state, b"%PDF-1.4 fixture").await;
    let reader = agent(&["CERTDC"], false);
    let page = crate::json(portal_cases::read(&state, &reader, case).await.unwrap());
    assert_eq!((page["actions"].clone(), page["receptionToConfirm"].clone()), (json!([]), json!(false)));
    let forbidden = |r: Result<_, hubee_shared::services::ExchangeError>| {
        matches!(r, Err(hubee_shared::services::ExchangeError::Forbidden))
    };
    assert!(forbidden(portal_cases::act(&state, &reader, case, Action::ConfirmReception, None).await.map(|_| ())));
    assert!(forbidden(portal_cases::comment(&state, &reader, case, "x").await.map(|_| ())));
    let other_procedure = agent(&["EtatCivil"], true);
    assert!(forbidden(portal_cases::read(&state, &other_procedure, case).await.map(|_| ())));
    let mut other_org = agent(&["CERTDC"], true);
    other_org.org.company_register = Siret::parse("21000005908301").unwrap();
    assert!(forbidden(portal_cases::read(&state, &other_org, case).await.map(|_| ())));
}

#[tokio::test]
async fn a_bulk_action_reports_each_dossier() {
    let (_dir, state) = bed().await;
    let a = agent(&["CERTDC"], true);
    let mut ids = Vec::new();
    for _ in 0..3 {
        ids.push(deposit_case(&state, b"%PDF-1.4 fixture").await.0);
    }
    portal_cases::act(&state, &a, ids[1], Action::ConfirmReception, None).await.unwrap();
    ids.push(uuid::Uuid::new_v4());
    let results = hubee_shared::http::bulk_results(
        portal_cases::bulk(&state, &a, &ids, Action::ConfirmReception, None).await.unwrap(),
    );
    let oks: Vec<_> = results.iter().map(|r| r["ok"].as_bool().unwrap()).collect();
    assert_eq!(oks, [true, false, true, false], "{results:?}");
    assert_eq!(results[3]["error"], "Case is not found");
    assert!(results[1]["error"].as_str().unwrap().contains("SI_RECEIVED"));
    assert!(portal_cases::bulk(&state, &a, &vec![ids[0]; 501], Action::ConfirmReception, None).await.is_err());
    assert!(portal_cases::bulk(&state, &a, &[], Action::ConfirmReception, None).await.is_err());
}

async fn collect(mut body: hubee_shared::ports::ByteStream) -> Vec<u8> {
    use futures::StreamExt;
    let mut out = Vec::new();
    while let Some(chunk) = body.next().await {
        out.extend_from_slice(&chunk.unwrap());
    }
    out
}

#[tokio::test]
async fn downloading_everything_streams_a_zip_with_its_manifest_and_moves_the_dossier_to_en_cours() {
    let (_dir, state) = bed().await;
    let (case, attachment) = deposit_case(&state, b"%PDF-1.4 fixture").await;
    let a = agent(&["CERTDC"], true);
    portal_cases::act(&state, &a, case, Action::ConfirmReception, None).await.unwrap();

    let one = portal_cases::download_file(&state, &a, case, attachment).await.unwrap();
    assert_eq!(collect(one.body).await, b"%PDF-1.4 fixture");
    let archive = portal_cases::download_all(&state, &a, case).await.unwrap();
    assert!(archive.file_name.ends_with(".zip"));
    let entries = unzip(collect(archive.body).await).await;
    assert_eq!(entries.iter().map(|e| e.0.as_str()).collect::<Vec<_>>(), ["manifest.csv", "certificat.pdf"]);
    let manifest = String::from_utf8(entries[0].1.clone()).unwrap();
    assert!(
        manifest.contains("certificat.pdf;16;c5c2e8be6ad0825a56ded1f1a153ceaf11dc060ab44b120a94406a08207babc2"),
        "{manifest}"
    );
    assert_eq!(entries[1].1, b"%PDF-1.4 fixture");

    // Both downloads are in the history; the dossier is now "En cours".
    let history = crate::json(portal_cases::history(&state, &a, case).await.unwrap());
    let actions: Vec<_> =
        history["entries"].as_array().unwrap().iter().filter_map(|e| e["actionType"].as_str()).collect();
    assert!(actions.contains(&"ATTACH_DL") && actions.contains(&"ATTACH_DL_ALL"), "{actions:?}");
    assert_eq!(history["status"], "IN_PROGRESS");

    // Several dossiers: a folder per dossier; a consultation-only user downloads nothing.
    let (second, _) = deposit_case(&state, b"%PDF-1.4 second!").await;
    let archive = portal_cases::download_many(&state, &a, &[case, second]).await.unwrap();
    let names: Vec<_> = unzip(collect(archive.body).await).await.into_iter().map(|e| e.0).collect();
    assert_eq!(names.len(), 3, "{names:?}");
    assert_eq!(names, ["manifest.csv", "A/certificat.pdf", "A (2)/certificat.pdf"], "a folder per dossier");
    let reader = agent(&["CERTDC"], false);
    assert!(portal_cases::download_all(&state, &reader, case).await.is_err());
    assert!(portal_cases::download_file(&state, &reader, case, attachment).await.is_err());
}

#[tokio::test]
async fn an_agent_deposits_a_file_for_the_operator_and_a_wrong_size_leaves_nothing() {
    let (_dir, state) = bed().await;
    let (case, _) = deposit_case(&state, b"%PDF-1.4 fixture").await;
    let a = agent(&["CERTDC"], true);
    let meta = |size| hubee_shared::services::FileMeta {
        file_name: "justificatif.pdf".into(),
        attachment_type: "PJ".into(),
        size,
        mime_type: "application/pdf".into(),
    };
    let body = |bytes: &'static [u8]| -> hubee_shared::ports::ByteStream {
        Box::pin(futures::stream::iter([Ok(bytes::Bytes::from_static(bytes))]))
    };
    let event = crate::json(portal_cases::deposit(&state, &a, case, meta(7), body(b"%PDF-ok")).await.unwrap());
    assert_eq!((event["actionType"].as_str(), event["status"].as_str()), (Some("ATTACH_DEPOSIT"), Some("SENT")));
    assert_eq!(event["attachments"][0]["status"], "RECEIVED");
    assert_eq!(event["author"], "Bruno Petit");
    let op = claims(&state, "fixture-osl");
    let inbox = state.store.notifications_page(&op.org(), None, 10, None).await.unwrap();
    assert_eq!(inbox.items.len(), 1, "the operator is notified");

    assert!(
        portal_cases::deposit(&state, &a, case, meta(9), body(b"%PDF-ok")).await.is_err(),
        "a wrong size is refused"
    );
    let events = crate::json(
        hubee_shared::services::cases::get_case(&state, &(&op).into(), case, false).await.unwrap(),
    )["events"]
        .clone();
    assert_eq!(events.as_array().unwrap().len(), 1, "the failed deposit was withdrawn");
    assert!(portal_cases::deposit(&state, &agent(&["CERTDC"], false), case, meta(7), body(b"%PDF-ok")).await.is_err());
}
