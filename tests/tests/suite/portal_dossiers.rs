//! Agents on the portal, black-box against the local hub: the inbox, the dossier page, the
//! workflow, comments, history, downloads, deposits and bulk actions, signed in as a person is.

#![allow(clippy::unwrap_used, clippy::expect_used)] // Test code: a failed step is a failed test.

use hubee_shared::testkit::unzip;
use hubee_tests::{folders::*, *};
use reqwest::Method;
use serde_json::{Value, json};

async fn get(t: &TestHub, s: &PortalSession, path: &str) -> (u16, Value) {
    answer(t.portal_as(s, Method::GET, path).send().await.unwrap()).await
}

async fn post(t: &TestHub, s: &PortalSession, path: &str, body: Value) -> (u16, Value) {
    answer(t.portal_as(s, Method::POST, path).json(&body).send().await.unwrap()).await
}

#[tokio::test]
async fn an_agent_finds_confirms_downloads_comments_and_finishes_a_dossier() {
    let t = TestHub::spawn().await;
    let op = t.operator_token().await;
    let (body, files) = certdc_folder("DGS-CERTDC-0300");
    let folder = deposit(&t, &op, &body, &files).await;
    let case_id = folder["cases"][0]["id"].as_str().unwrap().to_owned();
    let agent = t.sign_in("agent@mairie-a.example", "Agent-Test-2026!").await;

    // The inbox: by name, by number, the tab counts.
    let (status, inbox) = get(&t, &agent, "/cases").await;
    assert_eq!(status, 200, "{inbox}");
    assert_eq!(inbox["items"].as_array().unwrap().len(), 1);
    assert_eq!(inbox["items"][0]["concerned"], json!({"lastName": "TESTEUR", "firstName": "Camille"}));
    assert_eq!((inbox["counts"]["NOUVEAU"].as_i64(), inbox["counts"]["TOUS"].as_i64()), (Some(1), Some(1)));
    assert_eq!(get(&t, &agent, "/cases?q=testeur").await.1["items"][0]["id"], case_id.as_str());
    assert_eq!(get(&t, &agent, "/cases?q=c-a").await.1["items"][0]["id"], case_id.as_str(), "an exact number");
    assert_eq!(get(&t, &agent, "/cases?q=dupont").await.1["items"], json!([]));
    assert_eq!(get(&t, &agent, "/cases?status=TRAITE").await.1["items"], json!([]));
    assert_eq!(get(&t, &agent, "/cases?unknown=1").await.0, 400);

    // The dossier page asks to confirm the reception.
    let (_, page) = get(&t, &agent, &format!("/cases/{case_id}")).await;
    assert_eq!((page["receptionToConfirm"].as_bool(), page["tab"].as_str()), (Some(true), Some("NOUVEAU")));
    let r = t
        .portal_cookie(&agent.cookie, Method::POST, &format!("/cases/{case_id}/status"))
        .json(&json!({"action": "CONFIRM_RECEPTION"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403, "no CSRF token, no change");
    let (status, changed) =
        post(&t, &agent, &format!("/cases/{case_id}/status"), json!({"action": "CONFIRM_RECEPTION"})).await;
    assert_eq!((status, changed["status"].as_str()), (200, Some("SI_RECEIVED")), "{changed}");

    // Télécharger tous les éléments: a zip whose manifest matches the deposited files.
    let r = t.portal_as(&agent, Method::POST, &format!("/cases/{case_id}/archive")).send().await.unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["content-type"], "application/zip");
    let entries = unzip(r.bytes().await.unwrap().to_vec()).await;
    let manifest = String::from_utf8(entries[0].1.clone()).unwrap();
    for (name, _, bytes) in files.iter().filter(|f| [VA_PDF, VA_XML, DD_PDF].contains(&f.0.as_str())) {
        use sha2::Digest;
        let line = format!("{name};{};{}", bytes.len(), hex_of(&sha2::Sha256::digest(bytes)));
        assert!(manifest.contains(&line), "{line} in {manifest}");
        assert_eq!(&entries.iter().find(|e| &e.0 == name).unwrap().1, bytes);
    }
    assert_eq!(entries.len(), 4, "the manifest and the three files addressed to Mairie A");
    assert_eq!(
        get(&t, &agent, &format!("/cases/{case_id}")).await.1["status"],
        "IN_PROGRESS",
        "downloading everything starts the processing"
    );

    // A comment, a deposit for the operator, then finishing; all in the history.
    assert_eq!(
        post(&t, &agent, &format!("/cases/{case_id}/comments"), json!({"text": "Vu avec le service"})).await.0,
        201
    );
    let r = t
        .portal_as(&agent, Method::POST, &format!("/cases/{case_id}/attachments"))
        .header("x-file-name", "compl%C3%A9ment.pdf")
        .header("content-type", "application/pdf")
        .body(files[0].2.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    assert_eq!(
        post(&t, &agent, &format!("/cases/{case_id}/status"), json!({"action": "REFUSE"})).await.0,
        400,
        "a refusal needs a reason"
    );
    assert_eq!(post(&t, &agent, &format!("/cases/{case_id}/status"), json!({"action": "FINISH"})).await.0, 200);
    let (_, history) = get(&t, &agent, &format!("/cases/{case_id}/history")).await;
    let kinds: Vec<_> = history["entries"].as_array().unwrap().iter().map(|e| e["kind"].as_str().unwrap()).collect();
    for k in ["CREATED", "TRANSMITTED", "CONSULTED", "COMMENT", "STATUS", "EVENT"] {
        assert!(kinds.contains(&k), "{k} in {kinds:?}");
    }
    let actions: Vec<_> =
        history["entries"].as_array().unwrap().iter().filter_map(|e| e["actionType"].as_str()).collect();
    assert!(actions.contains(&"ATTACH_DL_ALL") && actions.contains(&"ATTACH_DEPOSIT"), "{actions:?}");
    let (_, inbox) = get(&t, &agent, "/cases").await;
    assert_eq!((inbox["counts"]["TRAITE"].as_i64(), inbox["counts"]["NOUVEAU"].as_i64()), (Some(1), Some(0)));

    // The operator sees the agent's events, not the comment.
    let (_, case) = answer(t.api(&op, Method::GET, &format!("/cases/{case_id}")).send().await.unwrap()).await;
    assert!(!case.to_string().contains("Vu avec le service"));
    assert!(case["events"].as_array().unwrap().iter().any(|e| e["author"] == "Bruno Petit"));
}

fn hex_of(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[tokio::test]
async fn readers_read_other_organisations_see_nothing_and_bulk_actions_report_each_dossier() {
    let t = TestHub::spawn().await;
    let op = t.operator_token().await;
    let mut ids = Vec::new();
    for i in 0..3 {
        let (body, files) = certdc_folder(&format!("DGS-CERTDC-04{i:02}"));
        let folder = deposit(&t, &op, &body, &files).await;
        ids.push(folder["cases"][0]["id"].as_str().unwrap().to_owned());
    }

    // A consultation-only agent reads but changes and downloads nothing.
    let reader = t.sign_in("lecteur@mairie-a.example", "Lecteur-Test-2026!").await;
    assert_eq!(get(&t, &reader, "/cases").await.1["counts"]["TOUS"], 3);
    assert_eq!(get(&t, &reader, &format!("/cases/{}", ids[0])).await.0, 200);
    assert_eq!(
        post(&t, &reader, &format!("/cases/{}/status", ids[0]), json!({"action": "CONFIRM_RECEPTION"})).await.0,
        403
    );
    assert_eq!(
        t.portal_as(&reader, Method::POST, &format!("/cases/{}/archive", ids[0])).send().await.unwrap().status(),
        403
    );

    // Mairie B's agent never sees Mairie A's dossiers.
    let other = t.sign_in("agent@mairie-b.example", "AgentB-Test-2026!").await;
    let (_, inbox_b) = get(&t, &other, "/cases").await;
    assert!(inbox_b["items"].as_array().unwrap().iter().all(|i| !ids.contains(&i["id"].as_str().unwrap().to_owned())));
    assert_eq!(get(&t, &other, &format!("/cases/{}", ids[0])).await.0, 403);
    // Without a dossier role (a local administrator by default), nothing either.
    let admin = t.sign_in("admin@mairie-a.example", "Admin-Test-2026!").await;
    assert_eq!(get(&t, &admin, "/cases").await.0, 403);
    assert_eq!(t.portal(Method::GET, "/cases").send().await.unwrap().status(), 401);

    // Bulk: one already received, one unknown.
    let agent = t.sign_in("agent@mairie-a.example", "Agent-Test-2026!").await;
    post(&t, &agent, &format!("/cases/{}/status", ids[1]), json!({"action": "CONFIRM_RECEPTION"})).await;
    let unknown = uuid::Uuid::new_v4().to_string();
    let (status, bulk) =
        post(&t, &agent, "/bulk", json!({"caseIds": [ids[0], ids[1], ids[2], unknown], "action": "CONFIRM_RECEPTION"}))
            .await;
    assert_eq!(status, 200, "{bulk}");
    let oks: Vec<_> = bulk["results"].as_array().unwrap().iter().map(|r| r["ok"].as_bool().unwrap()).collect();
    assert_eq!(oks, [true, false, true, false]);
    assert_eq!(get(&t, &agent, "/cases?status=RECU").await.1["counts"]["RECU"], 3);

    // Several dossiers in one zip, a folder per dossier.
    let r = t
        .portal_as(&agent, Method::POST, "/archives")
        .json(&json!({"caseIds": [ids[0], ids[1]]}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let names: Vec<_> = unzip(r.bytes().await.unwrap().to_vec()).await.into_iter().map(|e| e.0).collect();
    assert_eq!(names.len(), 7, "the manifest and three files per dossier: {names:?}");
    assert!(names.iter().any(|n| n.starts_with("C-A/")) && names.iter().any(|n| n.starts_with("C-A (2)/")));
}

/// Above the inline limit of a Lambda deployment, an agent deposits a file through an upload
/// URL: the inline route answers 413 and stores nothing; the upload-URL route keeps the deposit
/// route's rules; a PUT of the right bytes completes the deposit as an inline one, wrong bytes
/// withdraw it.
#[tokio::test]
async fn above_the_inline_limit_an_agent_deposits_a_file_through_an_upload_url() {
    // Above the largest sample of the operator's folder, below the file the agent deposits.
    const LIMIT: u64 = 256 << 10;
    let t = TestHub::spawn_with_inline_limit(LIMIT).await;
    let op = t.operator_token().await;
    let (body, files) = certdc_folder("DGS-CERTDC-0500");
    let folder = deposit(&t, &op, &body, &files).await;
    let case_id = folder["cases"][0]["id"].as_str().unwrap().to_owned();
    let agent = t.sign_in("agent@mairie-a.example", "Agent-Test-2026!").await;
    let scan: Vec<u8> = b"%PDF-1.4 scan ".iter().copied().cycle().take(300_000).collect();
    let deposits = |page: &Value| -> Vec<Value> {
        page["events"].as_array().unwrap().iter().filter(|e| e["actionType"] == "ATTACH_DEPOSIT").cloned().collect()
    };
    let stored = format!("cases/{case_id}/events");

    // Inline: 413 in the contract's shape, saying where to go; nothing is written.
    let r = t
        .portal_as(&agent, Method::POST, &format!("/cases/{case_id}/attachments"))
        .header("x-file-name", "scan%20complet.pdf")
        .header("content-type", "application/pdf")
        .body(scan.clone())
        .send()
        .await
        .unwrap();
    let (status, error) = answer(r).await;
    assert_eq!(status, 413, "{error}");
    let (code, message) = first_error(&error);
    assert_eq!(code, 413);
    assert!(message.contains(&format!("POST /portail/v1/cases/{case_id}/attachments/upload-url")), "{message}");
    assert_eq!(deposits(&get(&t, &agent, &format!("/cases/{case_id}")).await.1), Vec::<Value>::new());
    assert_eq!(t.stored_objects(&stored).await, 0);

    // The upload-URL route: a session, its CSRF token, the management role on the dossier.
    let ask = format!("/cases/{case_id}/attachments/upload-url");
    let request = json!({"fileName": "scan complet.pdf", "size": scan.len(), "mimeType": "application/pdf",
                         "digest": sha256_base64(&scan)});
    let r = t.portal(Method::POST, &ask).json(&request).send().await.unwrap();
    assert_eq!(r.status(), 401, "no session");
    let r = t.portal_cookie(&agent.cookie, Method::POST, &ask).json(&request).send().await.unwrap();
    assert_eq!(r.status(), 403, "no CSRF token");
    let reader = t.sign_in("lecteur@mairie-a.example", "Lecteur-Test-2026!").await;
    assert_eq!(post(&t, &reader, &ask, request.clone()).await.0, 403, "consultation only");
    let other = t.sign_in("agent@mairie-b.example", "AgentB-Test-2026!").await;
    assert_eq!(post(&t, &other, &ask, request.clone()).await.0, 403, "another organisation's dossier");
    let unhabilitated = t.sign_in("sans-habilitation@mairie-a.example", "Sans-Test-2026!").await;
    assert_eq!(post(&t, &unhabilitated, &ask, request.clone()).await.0, 403, "no habilitation to CERTDC");
    // The deposit's checks: a name, a size the procedure takes, a well-formed digest.
    let (status, error) = post(&t, &agent, &ask, json!({"size": 10})).await;
    assert_eq!(status, 400, "{error}");
    assert!(first_error(&error).1.contains("@body] Object has missing required properties ([\"fileName\"])"));
    assert_eq!(post(&t, &agent, &ask, json!({"fileName": "  ", "size": 10})).await.0, 400);
    let (status, error) = post(&t, &agent, &ask, json!({"fileName": "énorme.pdf", "size": 2u64 << 30})).await;
    assert_eq!(status, 400, "{error}");
    assert!(first_error(&error).1.contains("procedure CERTDC accepts"), "{error}");
    let wrong_digest = json!({"fileName": "a.pdf", "size": 10, "digest": "not a digest"});
    assert_eq!(post(&t, &agent, &ask, wrong_digest).await.0, 400);
    assert_eq!(deposits(&get(&t, &agent, &format!("/cases/{case_id}")).await.1), Vec::<Value>::new(), "none left");

    // The URL: where and how to PUT the file, until when.
    let (status, upload) = post(&t, &agent, &ask, request.clone()).await;
    assert_eq!(status, 201, "{upload}");
    assert_eq!((upload["method"].as_str(), upload["maxSize"].as_u64()), (Some("PUT"), Some(scan.len() as u64)));
    assert_eq!(
        upload["headers"],
        json!({"Content-Type": "application/pdf", "If-None-Match": "*", "Content-Length": scan.len().to_string()})
    );
    assert!(upload["expiresAt"].as_str().unwrap().ends_with('Z'), "{upload}");
    let (event_id, file_id) = (upload["eventId"].as_str().unwrap(), upload["attachmentId"].as_str().unwrap());
    let page = get(&t, &agent, &format!("/cases/{case_id}")).await.1;
    let pending = deposits(&page);
    assert_eq!((pending.len(), pending[0]["status"].as_str()), (1, Some("IN_PROGRESS")), "until the file arrives");
    assert_eq!(pending[0]["attachments"][0]["status"], "PENDING");
    if !t.completes_presigned_uploads() {
        return; // On AWS, S3's ObjectCreated event completes it (hubee_attachments::handle_s3).
    }

    // The URL only creates its object, as S3's conditional write: without the header it names,
    // the PUT is refused and stores nothing.
    let url = upload["url"].as_str().unwrap();
    let r = t.http.put(url).header("content-type", "application/pdf").body(scan.clone()).send().await.unwrap();
    let (status, error) = answer(r).await;
    assert_eq!(status, 403, "{error}");
    assert!(first_error(&error).1.contains("If-None-Match: *"), "{error}");
    assert_eq!(t.stored_objects(&stored).await, 0);
    // Nor does it store more (or less) than the declared size: the length is signed, as on S3.
    for body in [[scan.as_slice(), b"and more"].concat(), scan[..1000].to_vec()] {
        let r = t.http.put(url).header("content-type", "application/pdf").header("if-none-match", "*").body(body);
        let (status, error) = answer(r.send().await.unwrap()).await;
        assert_eq!(status, 403, "{error}");
        assert!(first_error(&error).1.contains(&format!("Content-Length: {}", scan.len())), "{error}");
    }
    assert_eq!(t.stored_objects(&stored).await, 0);

    // The PUT completes the deposit as an inline one: the file received and sent to the operator.
    let put = |url: &str, bytes: Vec<u8>| {
        t.http.put(url).header("content-type", "application/pdf").header("if-none-match", "*").body(bytes).send()
    };
    let r = put(url, scan.clone()).await.unwrap();
    assert!(r.status().is_success(), "{}", r.status());
    let page = get(&t, &agent, &format!("/cases/{case_id}")).await.1;
    let sent = deposits(&page);
    assert_eq!(sent.len(), 1);
    assert_eq!((sent[0]["id"].as_str(), sent[0]["status"].as_str()), (Some(event_id), Some("SENT")), "{page}");
    assert_eq!(sent[0]["author"], "Bruno Petit");
    let file = &sent[0]["attachments"][0];
    assert_eq!((file["id"].as_str(), file["status"].as_str()), (Some(file_id), Some("RECEIVED")));
    assert_eq!((file["fileName"].as_str(), file["size"].as_u64()), (Some("scan complet.pdf"), Some(300_000)));
    let (_, history) = get(&t, &agent, &format!("/cases/{case_id}/history")).await;
    let entry = history["entries"].as_array().unwrap().iter().find(|e| e["actionType"] == "ATTACH_DEPOSIT").cloned();
    let entry = entry.expect("the deposit in the history");
    assert_eq!(
        (entry["status"].as_str(), entry["attachments"][0]["fileName"].as_str()),
        (Some("SENT"), Some("scan complet.pdf"))
    );
    assert_eq!(entry["attachments"][0]["sha256"], sha256_base64(&scan));
    // The same bytes back: for the agent (a redirect to a presigned URL, above the limit)…
    let r = t.portal_as(&agent, Method::GET, &format!("/cases/{case_id}/attachments/{file_id}")).send().await.unwrap();
    assert_eq!(r.status(), 200);
    assert!(r.bytes().await.unwrap().to_vec() == scan, "the deposited bytes");
    // …and for the operator, who sees the deposit sent.
    let r = t.api(&op, Method::GET, &format!("/cases/{case_id}/events/{event_id}/attachments/{file_id}")).send().await;
    let r = r.unwrap();
    assert_eq!(r.status(), 200);
    assert!(r.bytes().await.unwrap().to_vec() == scan, "the deposited bytes");
    let (_, event) =
        answer(t.api(&op, Method::GET, &format!("/cases/{case_id}/events/{event_id}")).send().await.unwrap()).await;
    assert_eq!(event["status"], "SENT", "{event}");
    // The URL is still valid, but cannot swap the bytes of the received file (even of its size).
    let (status, error) = answer(put(url, vec![b'x'; scan.len()]).await.unwrap()).await;
    assert_eq!(status, 412, "{error}");
    let r = t.api(&op, Method::GET, &format!("/cases/{case_id}/events/{event_id}/attachments/{file_id}")).send().await;
    assert!(r.unwrap().bytes().await.unwrap().to_vec() == scan, "the deposited bytes, still");
    // Wrong bytes of the declared size (another size is refused by the PUT, above) — the
    // announced digest not matched — complete nothing: the deposit is withdrawn and its object
    // deleted.
    let mut tampered = scan.clone();
    tampered[1000] ^= 1;
    let (status, upload) = post(&t, &agent, &ask, request.clone()).await;
    assert_eq!(status, 201, "{upload}");
    let event_id = upload["eventId"].as_str().unwrap();
    let r = put(upload["url"].as_str().unwrap(), tampered).await.unwrap();
    assert!(r.status().is_success(), "as S3 does, the PUT succeeds; the completion refuses it");
    let page = get(&t, &agent, &format!("/cases/{case_id}")).await.1;
    let ids: Vec<_> = deposits(&page).iter().map(|e| e["id"].as_str().unwrap().to_owned()).collect();
    assert_eq!(ids, vec![sent[0]["id"].as_str().unwrap().to_owned()], "the refused deposit is withdrawn");
    assert_eq!(t.stored_objects(&format!("{stored}/{event_id}")).await, 0, "its object is deleted");

    // Below the limit, the inline route takes the file as before.
    let r = t
        .portal_as(&agent, Method::POST, &format!("/cases/{case_id}/attachments"))
        .header("x-file-name", "petit.pdf")
        .header("content-type", "application/pdf")
        .body(scan[..1000].to_vec())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    assert_eq!(deposits(&get(&t, &agent, &format!("/cases/{case_id}")).await.1).len(), 2);
}
