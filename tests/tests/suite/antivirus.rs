//! Every binary the hub receives is scanned, black-box with a real clamd (the one `scripts/test`
//! starts, `HUBEE_CLAMD_ADDR`; skipped with a message without it, failed under `scripts/test`):
//! the EICAR test file is `CORRUPTED` and never served, the dossier goes on, the clean files
//! of the same dossier are served; the antivirus down, an upload answers 503 and nothing is
//! stored.

#![allow(clippy::unwrap_used, clippy::expect_used)] // Test code: a failed step is a failed test.

use hubee_shared::testkit::{scanner::EICAR, unzip};
use hubee_tests::{folders::*, *};
use reqwest::Method;
use serde_json::{Value, json};

const AGENT: (&str, &str) = ("agent@mairie-a.example", "Agent-Test-2026!");

async fn api_get(t: &TestHub, token: &str, path: &str) -> (u16, Value) {
    answer(t.api(token, Method::GET, path).send().await.unwrap()).await
}

async fn portal_get(t: &TestHub, s: &PortalSession, path: &str) -> (u16, Value) {
    answer(t.portal_as(s, Method::GET, path).send().await.unwrap()).await
}

/// The status of each attachment of a view, by file name.
fn statuses(view: &Value) -> Vec<(String, String)> {
    view["attachments"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| (a["fileName"].as_str().unwrap().to_owned(), a["status"].as_str().unwrap().to_owned()))
        .collect()
}

fn id_of(view: &Value, file_name: &str) -> String {
    let a = view["attachments"].as_array().unwrap().iter().find(|a| a["fileName"] == file_name).unwrap();
    a["id"].as_str().unwrap().to_owned()
}

/// A download refused because the antivirus rejected the file: 404 in the contract's shape,
/// saying why.
fn assert_quarantined(status: u16, body: &Value) {
    let (code, message) = first_error(body);
    assert_eq!((status, code), (404, 404), "{body}");
    assert!(message.contains("rejected by the antivirus"), "{message}");
}

/// The CERTDC kit with its first file (sent to both mairies) replaced by the EICAR test file.
fn infected_certdc_folder(external_id: &str) -> (Value, Vec<File>) {
    let (mut body, mut files) = certdc_folder(external_id);
    files[0].2 = EICAR.to_vec();
    body["attachments"][0]["size"] = json!(EICAR.len());
    (body, files)
}

fn kinds(history: &Value) -> Vec<&Value> {
    history["entries"].as_array().unwrap().iter().filter(|e| e["kind"] == "ATTACHMENT_QUARANTINED").collect()
}

#[tokio::test]
async fn an_infected_operator_upload_is_corrupted_the_folder_completes_and_the_file_is_never_served() {
    if testkit_clamd().is_none() {
        return;
    }
    let t = TestHub::spawn().await;
    let (status, health) = answer(t.request(Method::GET, "/health").send().await.unwrap()).await;
    assert_eq!((status, health["antivirus"]["enabled"].as_bool()), (200, Some(true)), "{health}");

    let op = t.operator_token().await;
    let (body, files) = infected_certdc_folder("DGS-CERTDC-AV01");
    let (status, folder) = create(&t, &op, &body).await;
    assert_eq!(status, 201, "{folder}");
    // Every upload is taken (204): the infected one is recorded, not refused.
    for (i, (_, _, bytes)) in files.iter().enumerate() {
        assert_eq!(upload(&t, &op, &folder, i, bytes.clone(), Some(sha256_base64(bytes))).await.0, 204);
    }
    let folder_id = folder["id"].as_str().unwrap();
    let (_, seen) = get_folder(&t, &op, folder_id).await;
    assert_eq!(
        statuses(&seen),
        [
            (VA_PDF.to_owned(), "CORRUPTED".to_owned()),
            (VA_XML.to_owned(), "RECEIVED".to_owned()),
            (DD_PDF.to_owned(), "RECEIVED".to_owned()),
            (DD_XML.to_owned(), "RECEIVED".to_owned()),
        ],
        "the operator sees the status"
    );
    // The quarantined binary is kept (retention purges it with the rest), never served.
    assert_eq!(t.stored_objects(&format!("folders/{folder_id}")).await, 4);

    // The folder is not blocked: it completes, the instructing services are notified.
    assert_eq!(patch_folder(&t, &op, folder_id, json!({"globalStatus": "HUBEE_COMPLETED"})).await.0, 204);
    let (_, completed) = get_folder(&t, &op, folder_id).await;
    assert_eq!(completed["globalStatus"], "HUBEE_NOTIFIED", "{completed}");
    let si = t.si_token().await;
    let (_, notifications) = api_get(&t, &si, "/notifications").await;
    assert_eq!(notifications.as_array().unwrap().len(), 1, "{notifications}");
    t.wait_for_emails("etat-civil@mairie-a.example", 1).await;

    // The instructing service lists the file as CORRUPTED and cannot download it; the clean
    // files of the same case come back as deposited.
    let case_id = completed["cases"][0]["id"].as_str().unwrap().to_owned();
    let (_, case) = api_get(&t, &si, &format!("/cases/{case_id}")).await;
    assert_eq!(statuses(&case)[0], (VA_PDF.to_owned(), "CORRUPTED".to_owned()));
    let (status, err) = api_get(&t, &si, &format!("/cases/{case_id}/attachments/{}", id_of(&case, VA_PDF))).await;
    assert_quarantined(status, &err);
    for (name, _, bytes) in files.iter().filter(|f| [VA_XML, DD_PDF].contains(&f.0.as_str())) {
        let r = t.api(&si, Method::GET, &format!("/cases/{case_id}/attachments/{}", id_of(&case, name))).send().await;
        let r = r.unwrap();
        assert_eq!(r.status(), 200, "{name}");
        assert!(r.bytes().await.unwrap().to_vec() == *bytes, "{name} as deposited");
    }

    // On the portal: listed, rejected; no download, alone or in the zip.
    let agent = t.sign_in(AGENT.0, AGENT.1).await;
    let (_, page) = portal_get(&t, &agent, &format!("/cases/{case_id}")).await;
    assert_eq!(statuses(&page)[0], (VA_PDF.to_owned(), "CORRUPTED".to_owned()));
    let (status, err) = portal_get(&t, &agent, &format!("/cases/{case_id}/attachments/{}", id_of(&page, VA_PDF))).await;
    assert_quarantined(status, &err);
    let r = t.portal_as(&agent, Method::GET, &format!("/cases/{case_id}/attachments/{}", id_of(&page, VA_XML)));
    assert_eq!(r.send().await.unwrap().status(), 200, "a clean file of the same dossier is served");
    let r = t.portal_as(&agent, Method::POST, &format!("/cases/{case_id}/archive")).send().await.unwrap();
    assert_eq!(r.status(), 200);
    let names: Vec<String> = unzip(r.bytes().await.unwrap().to_vec()).await.into_iter().map(|e| e.0).collect();
    assert!(!names.contains(&VA_PDF.to_owned()), "the zip leaves the infected file out: {names:?}");
    assert!(names.contains(&VA_XML.to_owned()) && names.contains(&DD_PDF.to_owned()), "{names:?}");

    // The dossier's history records it, with the signature.
    let (_, history) = portal_get(&t, &agent, &format!("/cases/{case_id}/history")).await;
    let found = kinds(&history);
    assert_eq!(found.len(), 1, "{history}");
    assert_eq!(found[0]["fileName"], VA_PDF);
    assert!(found[0]["signature"].as_str().unwrap().starts_with("Eicar-Test-Signature"), "{}", found[0]);
}

#[tokio::test]
async fn an_infected_event_attachment_is_corrupted_and_the_event_is_sent() {
    if testkit_clamd().is_none() {
        return;
    }
    let t = TestHub::spawn().await;
    let op = t.operator_token().await;
    let (body, files) = certdc_folder("DGS-CERTDC-AV02");
    let folder = deposit(&t, &op, &body, &files).await;
    let case_id = folder["cases"][0]["id"].as_str().unwrap().to_owned();
    let clean = b"Piece complementaire saine".to_vec();
    let (status, event) = answer(
        t.api(&op, Method::POST, &format!("/cases/{case_id}/events"))
            .json(&json!({
                "actionType": "ATTACH_DEPOSIT", "notification": true, "message": "Pièces complémentaires",
                "attachments": [
                    {"fileName": "virus.pdf", "type": "PJ", "size": EICAR.len(), "mimeType": "application/pdf"},
                    {"fileName": "sain.pdf", "type": "PJ", "size": clean.len(), "mimeType": "application/pdf"}
                ]
            }))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, 201, "{event}");
    let event_path = format!("/cases/{case_id}/events/{}", event["id"].as_str().unwrap());
    for (name, bytes) in [("virus.pdf", EICAR.to_vec()), ("sain.pdf", clean.clone())] {
        let r = t.api(&op, Method::PUT, &format!("{event_path}/attachments/{}", id_of(&event, name)));
        assert_eq!(r.body(bytes).send().await.unwrap().status(), 204, "{name}");
    }
    let r = t.api(&op, Method::PATCH, &event_path).json(&json!({"status": "SENT"})).send().await.unwrap();
    assert_eq!(r.status(), 204, "a quarantined file does not hold the event back");

    let si = t.si_token().await;
    let (_, sent) = api_get(&t, &si, &event_path).await;
    assert_eq!(sent["status"], "SENT");
    assert_eq!(
        statuses(&sent),
        [("virus.pdf".to_owned(), "CORRUPTED".to_owned()), ("sain.pdf".to_owned(), "RECEIVED".to_owned())]
    );
    let (status, err) = api_get(&t, &si, &format!("{event_path}/attachments/{}", id_of(&sent, "virus.pdf"))).await;
    assert_quarantined(status, &err);
    let r = t.api(&si, Method::GET, &format!("{event_path}/attachments/{}", id_of(&sent, "sain.pdf"))).send().await;
    assert!(r.unwrap().bytes().await.unwrap().to_vec() == clean, "the clean file of the same event is served");

    let agent = t.sign_in(AGENT.0, AGENT.1).await;
    let (_, history) = portal_get(&t, &agent, &format!("/cases/{case_id}/history")).await;
    let found = kinds(&history);
    assert_eq!(found.len(), 1, "{history}");
    assert_eq!(found[0]["fileName"], "virus.pdf");
}

#[tokio::test]
async fn an_infected_portal_deposit_is_sent_corrupted_and_never_served() {
    if testkit_clamd().is_none() {
        return;
    }
    let t = TestHub::spawn().await;
    let op = t.operator_token().await;
    let (body, files) = certdc_folder("DGS-CERTDC-AV03");
    let folder = deposit(&t, &op, &body, &files).await;
    let case_id = folder["cases"][0]["id"].as_str().unwrap().to_owned();
    let agent = t.sign_in(AGENT.0, AGENT.1).await;
    let r = t
        .portal_as(&agent, Method::POST, &format!("/cases/{case_id}/attachments"))
        .header("x-file-name", "justificatif.pdf")
        .header("content-type", "application/pdf")
        .body(EICAR.to_vec())
        .send()
        .await
        .unwrap();
    let (status, event) = answer(r).await;
    assert_eq!(status, 201, "{event}");
    assert_eq!(event["status"], "SENT", "the deposit is sent, its file listed as rejected");
    assert_eq!(statuses(&event), [("justificatif.pdf".to_owned(), "CORRUPTED".to_owned())]);
    let file_id = id_of(&event, "justificatif.pdf");
    let event_id = event["id"].as_str().unwrap();

    let (status, err) = portal_get(&t, &agent, &format!("/cases/{case_id}/attachments/{file_id}")).await;
    assert_quarantined(status, &err);
    let (status, err) = api_get(&t, &op, &format!("/cases/{case_id}/events/{event_id}/attachments/{file_id}")).await;
    assert_quarantined(status, &err);
    let (_, seen) = api_get(&t, &op, &format!("/cases/{case_id}/events/{event_id}")).await;
    assert_eq!(statuses(&seen), [("justificatif.pdf".to_owned(), "CORRUPTED".to_owned())], "the operator sees it");

    let (_, history) = portal_get(&t, &agent, &format!("/cases/{case_id}/history")).await;
    assert_eq!(kinds(&history).len(), 1, "{history}");
}

#[tokio::test]
async fn an_infected_presigned_upload_is_corrupted() {
    if testkit_clamd().is_none() {
        return;
    }
    let t = TestHub::spawn_with_inline_limit(16).await;
    if !t.completes_presigned_uploads() {
        return;
    }
    let op = t.operator_token().await;
    let (body, files) = infected_certdc_folder("DGS-CERTDC-AV04");
    let (_, folder) = create(&t, &op, &body).await;
    let folder_id = folder["id"].as_str().unwrap();
    for (i, (_, _, bytes)) in files.iter().enumerate() {
        let attachment = folder["attachments"][i]["id"].as_str().unwrap();
        let (status, url) = answer(
            t.api(&op, Method::POST, &format!("/folders/{folder_id}/attachments/{attachment}/upload-url"))
                .send()
                .await
                .unwrap(),
        )
        .await;
        assert_eq!(status, 200, "{url}");
        let mut put = t.http.put(url["url"].as_str().unwrap()).body(bytes.clone());
        for (name, value) in url["headers"].as_object().unwrap() {
            put = put.header(name, value.as_str().unwrap());
        }
        assert_eq!(put.send().await.unwrap().status(), 200);
    }
    let (_, seen) = get_folder(&t, &op, folder_id).await;
    assert_eq!(statuses(&seen)[0], (VA_PDF.to_owned(), "CORRUPTED".to_owned()));
    assert!(statuses(&seen)[1..].iter().all(|(_, s)| s == "RECEIVED"), "{seen}");
    assert_eq!(patch_folder(&t, &op, folder_id, json!({"globalStatus": "HUBEE_COMPLETED"})).await.0, 204);
}

#[tokio::test]
async fn with_the_antivirus_down_an_upload_answers_503_and_nothing_is_stored() {
    // A port nothing listens on: clamd stopped.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = closed.local_addr().unwrap().to_string();
    drop(closed);
    let mut t = TestHub::spawn_with_clamd(&addr).await;
    let op = t.operator_token().await;
    let (body, files) = certdc_folder("DGS-CERTDC-AV05");
    let (status, folder) = create(&t, &op, &body).await;
    assert_eq!(status, 201, "{folder}");
    let (status, err) = upload(&t, &op, &folder, 0, files[0].2.clone(), None).await;
    let (code, message) = first_error(&err);
    assert_eq!((status, code), (503, 503), "{err}");
    assert!(message.contains("antivirus"), "{message}");
    let folder_id = folder["id"].as_str().unwrap();
    assert_eq!(t.stored_objects("folders/").await, 0, "nothing stored");
    let (_, seen) = get_folder(&t, &op, folder_id).await;
    assert_eq!(statuses(&seen)[0].1, "PENDING", "the upload can be made again");
    let (status, _) = patch_folder(&t, &op, folder_id, json!({"globalStatus": "HUBEE_COMPLETED"})).await;
    assert_eq!(status, 400, "nothing unscanned completes a folder");

    let (status, health) = answer(t.request(Method::GET, "/health").send().await.unwrap()).await;
    assert_eq!((status, health["antivirus"]["enabled"].as_bool()), (200, Some(true)), "{health}");

    // A portal deposit: a dossier transmitted while nothing scanned, then the antivirus down.
    t.restart_with_clamd(None).await;
    let (status, health) = answer(t.request(Method::GET, "/health").send().await.unwrap()).await;
    assert_eq!((status, health["antivirus"]["enabled"].as_bool()), (200, Some(false)), "said on /health");
    let (body, files) = certdc_folder("DGS-CERTDC-AV06");
    let transmitted = deposit(&t, &op, &body, &files).await;
    let case_id = transmitted["cases"][0]["id"].as_str().unwrap().to_owned();
    t.restart_with_clamd(Some(&addr)).await;
    let before = t.stored_objects("cases/").await;
    let agent = t.sign_in(AGENT.0, AGENT.1).await;
    let r = t
        .portal_as(&agent, Method::POST, &format!("/cases/{case_id}/attachments"))
        .header("x-file-name", "justificatif.pdf")
        .header("content-type", "application/pdf")
        .body(b"un justificatif".to_vec())
        .send()
        .await
        .unwrap();
    let (status, err) = answer(r).await;
    assert_eq!((status, first_error(&err).0), (503, 503), "{err}");
    assert_eq!(t.stored_objects("cases/").await, before, "nothing stored");
    let (_, page) = portal_get(&t, &agent, &format!("/cases/{case_id}")).await;
    let deposits: Vec<_> =
        page["events"].as_array().unwrap().iter().filter(|e| e["actionType"] == "ATTACH_DEPOSIT").collect();
    assert!(deposits.is_empty(), "the deposit is withdrawn: {deposits:?}");
}

/// The test clamd's address, or `None` (the test is skipped, and says so); fails under
/// `scripts/test` without one.
fn testkit_clamd() -> Option<String> {
    hubee_shared::testkit::scanner::clamd_addr()
}
