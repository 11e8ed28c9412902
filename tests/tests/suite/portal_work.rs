//! A team's day on the portal, black-box against the local hub: dossiers taken, given and
//! released ("Mes télédossiers", the "Agent" filter, the history), the inbox's orders with
//! exact cursor paging, the archive tab, messages to the operator, what the operator sent
//! acknowledged when seen, and the download rule (reception confirmed, "En cours" once every
//! file is taken, one by one or all at once).

#![allow(clippy::unwrap_used, clippy::expect_used)] // Test code: a failed step is a failed test.

use hubee_tests::{folders::*, *};
use reqwest::Method;
use serde_json::{Value, json};

const AGENT: &str = "agent@mairie-a.example";

async fn call(t: &TestHub, s: &PortalSession, method: Method, path: &str, body: Option<Value>) -> (u16, Value) {
    let mut r = t.portal_as(s, method, path);
    if let Some(body) = body {
        r = r.json(&body);
    }
    answer(r.send().await.unwrap()).await
}

async fn get(t: &TestHub, s: &PortalSession, path: &str) -> Value {
    let (status, body) = call(t, s, Method::GET, path, None).await;
    assert_eq!(status, 200, "{path}: {body}");
    body
}

/// Deposits a CERTDC folder whose applicant is named `last_name`; Mairie A's case id.
async fn deposit_for(t: &TestHub, op: &str, number: &str, last_name: &str) -> String {
    let (mut body, files) = certdc_folder(number);
    body["applicant"]["lastName"] = json!(last_name);
    let folder = deposit(t, op, &body, &files).await;
    folder["cases"][0]["id"].as_str().unwrap().to_owned()
}

fn ids(page: &Value) -> Vec<String> {
    page["items"].as_array().unwrap().iter().map(|i| i["id"].as_str().unwrap().to_owned()).collect()
}

/// Every page of an inbox listing, one dossier at a time.
async fn walk(t: &TestHub, s: &PortalSession, query: &str) -> Vec<String> {
    let mut listed = Vec::new();
    let mut path = format!("/cases?{query}&limit=1");
    loop {
        let page = get(t, s, &path).await;
        listed.extend(ids(&page));
        match page["nextCursor"].as_str() {
            Some(c) => path = format!("/cases?{query}&limit=1&cursor={c}"),
            None => return listed,
        }
    }
}

fn history_kinds(history: &Value) -> Vec<String> {
    history["entries"].as_array().unwrap().iter().map(|e| e["kind"].as_str().unwrap().to_owned()).collect()
}

#[tokio::test]
async fn dossiers_are_taken_given_and_released_with_their_history() {
    let t = TestHub::spawn().await;
    let op = t.operator_token().await;
    let case = deposit_for(&t, &op, "DGS-CERTDC-0700", "ARNAUD").await;
    let other = deposit_for(&t, &op, "DGS-CERTDC-0701", "BLIN").await;
    let agent = t.sign_in(AGENT, "Agent-Test-2026!").await;
    let reader = t.sign_in("lecteur@mairie-a.example", "Lecteur-Test-2026!").await;

    // Who may hold a CERTDC dossier: agents managing dossiers and habilitated, active.
    let store = &t.hub().state.store;
    let mut suspended = store.account("suspendu@mairie-a.example").await.unwrap().unwrap();
    let listed = |a: &Value| a.as_array().unwrap().iter().any(|a| a["email"] == "suspendu@mairie-a.example");
    assert!(listed(&get(&t, &agent, "/agents?processCode=CERTDC").await), "while active");
    suspended.active = false;
    store.save_account(&suspended).await.unwrap();
    let agents = get(&t, &agent, "/agents?processCode=CERTDC").await;
    let emails: Vec<&str> = agents.as_array().unwrap().iter().map(|a| a["email"].as_str().unwrap()).collect();
    assert_eq!(emails, [AGENT], "not the reader, the unhabilitated, the suspended: {agents}");

    let path = format!("/cases/{case}/assignee");
    let (status, taken) = call(&t, &agent, Method::PUT, &path, Some(json!({"email": AGENT}))).await;
    assert_eq!(status, 200, "{taken}");
    assert_eq!(taken["assignee"], json!({"email": AGENT, "name": "Bruno Petit"}));
    let (status, refused) =
        call(&t, &agent, Method::PUT, &path, Some(json!({"email": "lecteur@mairie-a.example"}))).await;
    assert_eq!(status, 400, "a reader cannot hold a dossier: {refused}");
    assert_eq!(call(&t, &reader, Method::DELETE, &path, None).await.0, 403, "reading is not managing");

    // "Mes télédossiers": the agent's own, counted; the inbox shows who holds each.
    let mine = get(&t, &agent, &format!("/cases?agent={AGENT}")).await;
    assert_eq!(ids(&mine), vec![case.clone()]);
    assert_eq!(mine["counts"]["MES"], 1);
    assert_eq!(mine["items"][0]["assignee"]["name"], "Bruno Petit");
    let all = get(&t, &agent, "/cases").await;
    assert_eq!(ids(&all).len(), 2);
    let row = |id: &str| all["items"].as_array().unwrap().iter().find(|i| i["id"] == id).unwrap().clone();
    assert!(row(&other)["assignee"].is_null());
    assert_eq!(get(&t, &agent, &format!("/cases?agent={AGENT}&q=blin")).await["items"], json!([]));
    assert_eq!(ids(&get(&t, &agent, &format!("/cases?agent={AGENT}&status=NOUVEAU")).await), vec![case.clone()]);
    assert_eq!(get(&t, &agent, &format!("/cases?agent={AGENT}&status=TRAITE")).await["items"], json!([]));
    assert_eq!(get(&t, &agent, &format!("/cases/{case}")).await["assignee"]["email"], AGENT);

    // Taking it again changes nothing; releasing it empties the list; both in the history.
    assert_eq!(call(&t, &agent, Method::PUT, &path, Some(json!({"email": AGENT}))).await.0, 200);
    assert_eq!(call(&t, &agent, Method::DELETE, &path, None).await.0, 204);
    let mine = get(&t, &agent, &format!("/cases?agent={AGENT}")).await;
    assert_eq!((mine["items"].clone(), mine["counts"]["MES"].clone()), (json!([]), json!(0)));
    let history = get(&t, &agent, &format!("/cases/{case}/history")).await;
    let kinds = history_kinds(&history);
    assert_eq!(kinds.iter().filter(|k| *k == "ASSIGNED").count(), 1, "{kinds:?}");
    assert_eq!(kinds.iter().filter(|k| *k == "RELEASED").count(), 1, "{kinds:?}");
    let assigned = history["entries"].as_array().unwrap().iter().find(|e| e["kind"] == "ASSIGNED").unwrap();
    assert_eq!((assigned["assigneeId"].as_str(), assigned["actorId"].as_str()), (Some(AGENT), Some(AGENT)));
    assert_eq!(call(&t, &agent, Method::DELETE, &path, None).await.0, 204, "releasing a free dossier");
    assert_eq!(history_kinds(&get(&t, &agent, &format!("/cases/{case}/history")).await), kinds);
}

#[tokio::test]
async fn the_inbox_sorts_three_ways_both_directions_and_pages_exactly() {
    let t = TestHub::spawn().await;
    let op = t.operator_token().await;
    let bernard = deposit_for(&t, &op, "DGS-CERTDC-0710", "BERNARD").await;
    let adam = deposit_for(&t, &op, "DGS-CERTDC-0711", "ADAM").await;
    let caron = deposit_for(&t, &op, "DGS-CERTDC-0712", "CARON").await;
    let agent = t.sign_in(AGENT, "Agent-Test-2026!").await;
    // The first one deposited is the last one updated.
    let (status, _) = call(
        &t,
        &agent,
        Method::POST,
        &format!("/cases/{bernard}/status"),
        Some(json!({"action": "CONFIRM_RECEPTION"})),
    )
    .await;
    assert_eq!(status, 200);

    let newest = [caron.clone(), adam.clone(), bernard.clone()];
    let by_name = [adam.clone(), bernard.clone(), caron.clone()];
    let by_update = [bernard.clone(), caron.clone(), adam.clone()];
    for (query, expected) in [
        ("sort=transmissionDate", newest.to_vec()),
        ("sort=transmissionDate&order=asc", newest.iter().rev().cloned().collect()),
        ("sort=name&order=asc", by_name.to_vec()),
        ("sort=name&order=desc", by_name.iter().rev().cloned().collect()),
        ("sort=name", by_name.to_vec()),
        ("sort=updateDate", by_update.to_vec()),
        ("sort=updateDate&order=asc", by_update.iter().rev().cloned().collect()),
        // Filters still apply: the tab, and a name search (in name order).
        ("sort=updateDate&status=NOUVEAU", vec![caron.clone(), adam.clone()]),
        ("sort=name&order=asc&status=NOUVEAU", vec![adam.clone(), caron.clone()]),
        ("q=a&order=asc", vec![adam.clone()]),
    ] {
        assert_eq!(walk(&t, &agent, query).await, expected, "{query}, a page at a time");
        assert_eq!(ids(&get(&t, &agent, &format!("/cases?{query}")).await), expected, "{query}, one page");
    }
    // The agent's own list pages the same ways.
    for id in [&bernard, &adam, &caron] {
        let path = format!("/cases/{id}/assignee");
        assert_eq!(call(&t, &agent, Method::PUT, &path, Some(json!({"email": AGENT}))).await.0, 200);
    }
    for (query, expected) in [
        (format!("agent={AGENT}"), newest.to_vec()),
        (format!("agent={AGENT}&order=asc"), newest.iter().rev().cloned().collect()),
        (format!("agent={AGENT}&sort=name&order=asc"), by_name.to_vec()),
        (format!("agent={AGENT}&sort=updateDate"), by_update.to_vec()),
        (format!("agent={AGENT}&status=NOUVEAU&order=asc"), vec![adam.clone(), caron.clone()]),
    ] {
        assert_eq!(walk(&t, &agent, &query).await, expected, "{query}, a page at a time");
    }
    let (status, bad) = call(&t, &agent, Method::GET, "/cases?sort=size", None).await;
    assert_eq!(status, 400, "{bad}");
    assert_eq!(call(&t, &agent, Method::GET, "/cases?order=up", None).await.0, 400);
}

#[tokio::test]
async fn archived_dossiers_have_their_own_tab_and_are_read_only() {
    let t = TestHub::spawn().await;
    let op = t.operator_token().await;
    let kept = deposit_for(&t, &op, "DGS-CERTDC-0720", "DURAND").await;
    let archived = deposit_for(&t, &op, "DGS-CERTDC-0721", "ETIENNE").await;
    // Retention archives it (its clock is tested elsewhere): the same writes.
    let store = &t.hub().state.store;
    let before = store.case(archived.parse().unwrap()).await.unwrap().unwrap();
    let after =
        hubee_shared::domain::Case { status: hubee_shared::domain::CaseStatus::Archived, ..before.value.clone() };
    let writes = store
        .update_case_writes(&before.value, &after, before.version, &Default::default(), chrono::Utc::now())
        .unwrap();
    store.commit(writes).await.unwrap();

    let agent = t.sign_in(AGENT, "Agent-Test-2026!").await;
    let inbox = get(&t, &agent, "/cases").await;
    assert_eq!(ids(&inbox), vec![kept.clone()], "« Tous » leaves the archive out");
    assert_eq!((inbox["counts"]["TOUS"].as_i64(), inbox["counts"]["ARCHIVE"].as_i64()), (Some(1), Some(1)));
    for sort in ["updateDate", "name"] {
        assert_eq!(ids(&get(&t, &agent, &format!("/cases?sort={sort}")).await), vec![kept.clone()], "{sort}");
    }
    assert_eq!(ids(&get(&t, &agent, "/cases?status=ARCHIVE").await), vec![archived.clone()]);
    let (status, refused) =
        call(&t, &agent, Method::PUT, &format!("/cases/{archived}/assignee"), Some(json!({"email": AGENT}))).await;
    assert_eq!(status, 400, "{refused}");
    let page = get(&t, &agent, &format!("/cases/{archived}")).await;
    assert_eq!(
        (&page["actions"], &page["depositsAllowed"], &page["messagesAllowed"], &page["receptionToConfirm"]),
        (&json!([]), &json!(false), &json!(false), &json!(false)),
        "the page offers no change"
    );
    // Nor does the API take one: no comment, message or deposit (inline or through an upload URL).
    for (path, body) in [
        ("comments", json!({"text": "Trop tard"})),
        ("messages", json!({"message": "Trop tard"})),
        ("attachments/upload-url", json!({"fileName": "tardif.pdf", "size": 4, "mimeType": "application/pdf"})),
    ] {
        let (status, refused) = call(&t, &agent, Method::POST, &format!("/cases/{archived}/{path}"), Some(body)).await;
        assert_eq!(status, 400, "{path}: {refused}");
        assert!(refused.to_string().contains("An archived dossier is read-only"), "{path}: {refused}");
    }
    let r = t
        .portal_as(&agent, Method::POST, &format!("/cases/{archived}/attachments"))
        .header("x-file-name", "tardif.pdf")
        .header("content-type", "application/pdf")
        .body(b"%PDF".to_vec())
        .send()
        .await
        .unwrap();
    let (status, refused) = answer(r).await;
    assert_eq!(status, 400, "{refused}");
    let history = get(&t, &agent, &format!("/cases/{archived}/history")).await;
    assert!(!history.to_string().contains("Trop tard"), "nothing was written: {history}");
    // Its kept twin still takes them.
    assert_eq!(
        call(&t, &agent, Method::POST, &format!("/cases/{kept}/comments"), Some(json!({"text": "À temps"}))).await.0,
        201
    );
}

#[tokio::test]
async fn agents_message_the_operator_and_acknowledge_what_it_sent_on_sight() {
    let t = TestHub::spawn().await;
    let op = t.operator_token().await;
    let case = deposit_for(&t, &op, "DGS-CERTDC-0730", "FABRE").await;
    let agent = t.sign_in(AGENT, "Agent-Test-2026!").await;

    // The operator writes first: seen on the dossier page, the message is acknowledged.
    let (status, sent) = answer(
        t.api(&op, Method::POST, &format!("/cases/{case}/events"))
            .json(&json!({"actionType": "SENDING_MESSAGE", "message": "Pièce à venir", "notification": true}))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, 201, "{sent}");
    let page = get(&t, &agent, &format!("/cases/{case}")).await;
    assert_eq!(page["messagesAllowed"], true);
    let theirs = page["events"].as_array().unwrap().iter().find(|e| e["id"] == sent["id"]).unwrap().clone();
    assert_eq!(theirs["status"], "RECEIVED", "{theirs}");

    // The agent answers without changing the status; the operator reads it.
    let path = format!("/cases/{case}/messages");
    assert_eq!(call(&t, &agent, Method::POST, &path, Some(json!({"message": ""}))).await.0, 400);
    assert_eq!(call(&t, &agent, Method::POST, &path, Some(json!({"message": "x".repeat(1001)}))).await.0, 400);
    let (status, answered) = call(&t, &agent, Method::POST, &path, Some(json!({"message": "Bien noté"}))).await;
    assert_eq!(status, 201, "{answered}");
    let (_, seen) = answer(t.api(&op, Method::GET, &format!("/cases/{case}")).send().await.unwrap()).await;
    assert_eq!(seen["status"], "HUBEE_NOTIFIED", "a message changes no status");
    let ours = seen["events"].as_array().unwrap().iter().find(|e| e["id"] == answered["eventId"]).unwrap().clone();
    assert_eq!((ours["actionType"].as_str(), ours["message"].as_str()), (Some("SENDING_MESSAGE"), Some("Bien noté")));
}

#[tokio::test]
async fn downloading_every_file_one_by_one_starts_the_processing_after_confirming_the_reception() {
    let t = TestHub::spawn().await;
    let op = t.operator_token().await;
    let case = deposit_for(&t, &op, "DGS-CERTDC-0740", "GIRAUD").await;
    let agent = t.sign_in(AGENT, "Agent-Test-2026!").await;
    let page = get(&t, &agent, &format!("/cases/{case}")).await;
    let files: Vec<String> =
        page["attachments"].as_array().unwrap().iter().map(|a| a["id"].as_str().unwrap().to_owned()).collect();
    assert_eq!(files.len(), 3, "the files addressed to Mairie A");
    for (i, file) in files.iter().enumerate() {
        let r = t.portal_as(&agent, Method::GET, &format!("/cases/{case}/attachments/{file}")).send().await.unwrap();
        assert_eq!(r.status(), 200);
        let expected = if i + 1 < files.len() { "SI_RECEIVED" } else { "IN_PROGRESS" };
        assert_eq!(get(&t, &agent, &format!("/cases/{case}")).await["status"], expected, "after file {}", i + 1);
    }
    let history = get(&t, &agent, &format!("/cases/{case}/history")).await;
    let statuses: Vec<&str> = history["entries"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["kind"] == "STATUS")
        .map(|e| e["to"].as_str().unwrap())
        .collect();
    assert!(statuses.ends_with(&["SI_RECEIVED", "IN_PROGRESS"]), "{statuses:?}");
}
