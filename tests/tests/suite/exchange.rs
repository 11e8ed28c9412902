//! The instructing-service side of the exchange, black-box against the local hub with the
//! CERTDC kit: notifications, cases, downloads, events, acknowledgements, reopening.

#![allow(clippy::unwrap_used, clippy::expect_used)] // Test code: a failed step is a failed test.

use hubee_shared::domain::ChangeSource;
use hubee_tests::{folders::*, *};
use reqwest::Method;
use serde_json::{Value, json};

async fn get(t: &TestHub, token: &str, path: &str) -> (u16, Value) {
    answer(t.api(token, Method::GET, path).send().await.unwrap()).await
}

async fn send(t: &TestHub, token: &str, method: Method, path: &str, body: Value) -> (u16, Value) {
    answer(t.api(token, method, path).json(&body).send().await.unwrap()).await
}

async fn notifications(t: &TestHub, token: &str) -> Vec<Value> {
    let (status, list) = get(t, token, "/notifications").await;
    assert_eq!(status, 200, "{list}");
    list.as_array().unwrap().clone()
}

/// Downloads a file and checks its body against the `digest` header and the expected bytes.
async fn download(t: &TestHub, token: &str, path: &str, expected: &[u8], name: &str, mime: &str) {
    let r = t.api(token, Method::GET, path).send().await.unwrap();
    assert_eq!(r.status(), 200, "{path}");
    let headers = r.headers().clone();
    let body = r.bytes().await.unwrap();
    assert_eq!(headers["digest"].to_str().unwrap(), sha256_base64(&body), "the digest header matches the body");
    assert_eq!(&body[..], expected, "{name} comes back as deposited");
    assert_eq!(headers["content-type"], mime);
    assert_eq!(headers["content-length"].to_str().unwrap(), expected.len().to_string());
    let disposition = headers["content-disposition"].to_str().unwrap();
    assert!(disposition.starts_with("attachment;") && disposition.contains(name), "{disposition}");
}

fn case_of<'a>(folder: &'a Value, external_id: &str) -> &'a Value {
    folder["cases"].as_array().unwrap().iter().find(|c| c["externalId"] == external_id).unwrap()
}

#[tokio::test]
async fn an_instructing_service_processes_a_case_and_the_operator_reopens_it_with_new_files() {
    let t = TestHub::spawn().await;
    let op = t.operator_token().await;
    let (body, files) = certdc_folder("DGS-CERTDC-0100");
    let folder = deposit(&t, &op, &body, &files).await;
    let folder_id = folder["id"].as_str().unwrap().to_owned();
    let case_a = case_of(&folder, "C-A")["id"].as_str().unwrap().to_owned();
    let case_b = case_of(&folder, "C-B")["id"].as_str().unwrap().to_owned();
    let si = t.si_token().await;
    let si_b = t.si_b_token().await;

    // SI 1 finds exactly one notification, for its case.
    let inbox = notifications(&t, &si).await;
    assert_eq!(inbox.len(), 1, "{inbox:?}");
    assert_eq!((inbox[0]["caseId"].as_str(), &inbox[0]["eventId"]), (Some(case_a.as_str()), &Value::Null));
    assert_eq!(inbox[0]["processCode"], "CERTDC");
    assert_eq!(inbox[0]["recipient"]["companyRegister"], MAIRIE_A.0);
    assert_eq!(inbox[0]["transmitter"]["companyRegister"], OPERATOR_SIRET);
    let new_case_notification = inbox[0]["id"].as_str().unwrap().to_owned();

    // It reads the case: the applicant, its three attachments, no event yet.
    let (status, case) = get(&t, &si, &format!("/cases/{case_a}")).await;
    assert_eq!(status, 200, "{case}");
    assert_eq!(case["status"], "HUBEE_NOTIFIED");
    assert_eq!(case["applicant"]["lastName"], "TESTEUR");
    assert_eq!(case["events"], json!([]), "events is always an array");
    let names: Vec<_> =
        case["attachments"].as_array().unwrap().iter().map(|a| a["fileName"].as_str().unwrap()).collect();
    assert_eq!(names, [VA_PDF, VA_XML, DD_PDF]);
    let (_, lite) = get(&t, &si, &format!("/cases/{case_a}?lite=true")).await;
    assert!(lite.get("events").is_none(), "lite leaves the events out");

    // It downloads every attachment and checks each against its digest.
    for a in case["attachments"].as_array().unwrap() {
        let (name, mime, bytes) = files.iter().find(|f| f.0 == a["fileName"]).unwrap();
        download(&t, &si, &format!("/cases/{case_a}/attachments/{}", a["id"].as_str().unwrap()), bytes, name, mime)
            .await;
    }
    // The file sent only to Mairie B is not addressed to this case.
    let dd_xml = folder["attachments"].as_array().unwrap().iter().find(|a| a["fileName"] == DD_XML).unwrap();
    let (status, err) = get(&t, &si, &format!("/cases/{case_a}/attachments/{}", dd_xml["id"].as_str().unwrap())).await;
    assert_eq!((status, first_error(&err).1.as_str()), (404, "File is not found"));

    // It posts STATUS_UPDATE events, never PATCHing the case.
    let mut si_events = Vec::new();
    for (current, new) in [("HUBEE_NOTIFIED", "IN_PROGRESS"), ("IN_PROGRESS", "DONE")] {
        let (status, event) = send(
            &t,
            &si,
            Method::POST,
            &format!("/cases/{case_a}/events"),
            json!({
                "actionType": "STATUS_UPDATE", "notification": true, "caseCurrentStatus": current, "caseNewStatus": new,
                "message": format!("Passage en {new}"), "comment": "note interne", "author": "Agent instructeur"
            }),
        )
        .await;
        assert_eq!(status, 201, "{event}");
        assert_eq!((event["status"].as_str(), event["actionType"].as_str()), (Some("SENT"), Some("STATUS_UPDATE")));
        assert_eq!(event["transmitter"]["companyRegister"], MAIRIE_A.0);
        assert_eq!(event["comment"], "note interne", "the author's organisation sees its comment");
        si_events.push(event["id"].as_str().unwrap().to_owned());
    }
    let (_, case) = get(&t, &si, &format!("/cases/{case_a}")).await;
    assert_eq!(case["status"], "DONE");
    let ids: Vec<_> = case["events"].as_array().unwrap().iter().map(|e| e["id"].as_str().unwrap().to_owned()).collect();
    assert_eq!(ids, si_events, "events oldest first");

    // It deletes its notification.
    let (status, _) =
        answer(t.api(&si, Method::DELETE, &format!("/notifications/{new_case_notification}")).send().await.unwrap())
            .await;
    assert_eq!(status, 204);
    assert!(notifications(&t, &si).await.is_empty());

    // The operator finds one notification per SI event, with the events' current status.
    let inbox = notifications(&t, &op).await;
    let mut about: Vec<_> = inbox.iter().map(|n| n["eventId"].as_str().unwrap().to_owned()).collect();
    about.sort();
    let mut expected = si_events.clone();
    expected.sort();
    assert_eq!(about, expected, "{inbox:?}");
    assert!(inbox.iter().all(|n| n["eventStatus"] == "SENT" && n["eventActionType"] == "STATUS_UPDATE"));
    let (_, seen_by_operator) = get(&t, &op, &format!("/cases/{case_a}")).await;
    assert!(
        seen_by_operator["events"].as_array().unwrap().iter().all(|e| e["comment"].is_null()),
        "comments are internal"
    );

    // It acknowledges them; the listing then shows the current status.
    for e in &si_events {
        let (status, err) =
            send(&t, &op, Method::PATCH, &format!("/cases/{case_a}/events/{e}"), json!({"status": "RECEIVED"})).await;
        assert_eq!(status, 204, "{err}");
    }
    assert!(notifications(&t, &op).await.iter().all(|n| n["eventStatus"] == "RECEIVED"));
    for n in notifications(&t, &op).await {
        let id = n["id"].as_str().unwrap();
        assert_eq!(
            answer(t.api(&op, Method::DELETE, &format!("/notifications/{id}")).send().await.unwrap()).await.0,
            204
        );
    }
    // SI 1 finds the acknowledgement notifications.
    let acks = notifications(&t, &si).await;
    assert_eq!(acks.len(), 2, "{acks:?}");
    assert!(
        acks.iter().all(|n| n["eventStatus"] == "RECEIVED" && n["transmitter"]["companyRegister"] == OPERATOR_SIRET)
    );

    // The operator closes the case and the folder, then reopens the case with two new files.
    assert_eq!(send(&t, &op, Method::PATCH, &format!("/cases/{case_a}"), json!({"status": "CLOSED"})).await.0, 204);
    assert_eq!(patch_folder(&t, &op, &folder_id, json!({"globalStatus": "CLOSED"})).await.0, 204);
    let (_, closed) = get(&t, &op, &format!("/cases/{case_a}?lite=true")).await;
    assert_eq!(closed["status"], "CLOSED");
    assert!(closed["closeDateTime"].is_string());
    let new_files: Vec<_> =
        ["ActeEtatCivil-PDF.pdf", "ActeEtatCivil-XML.xml"].iter().map(|n| sample("ETATCIVIL", n)).collect();
    let (status, deposit_event) = send(&t, &op, Method::POST, &format!("/cases/{case_a}/events"), json!({
        "actionType": "ATTACH_DEPOSIT", "notification": true, "caseNewStatus": "HUBEE_NOTIFIED",
        "message": "Pièces complémentaires",
        "attachments": new_files.iter().map(|(n, m, b)| json!({"fileName": n, "type": "PJ", "size": b.len(), "mimeType": m})).collect::<Vec<_>>()
    })).await;
    assert_eq!(status, 201, "{deposit_event}");
    assert_eq!(deposit_event["status"], "IN_PROGRESS");
    let deposit_id = deposit_event["id"].as_str().unwrap().to_owned();
    let names: Vec<_> =
        deposit_event["attachments"].as_array().unwrap().iter().map(|a| a["fileName"].as_str().unwrap()).collect();
    assert_eq!(names, ["ActeEtatCivil-PDF.pdf", "ActeEtatCivil-XML.xml"], "attachment ids in request order");
    assert!(notifications(&t, &si).await.len() == 2, "nothing is notified before the deposit is sent");

    // SENT with a pending file is refused; upload both, then SENT.
    let event_path = format!("/cases/{case_a}/events/{deposit_id}");
    let (status, err) = send(&t, &op, Method::PATCH, &event_path, json!({"status": "SENT"})).await;
    assert_eq!(status, 400, "{err}");
    assert!(first_error(&err).1.contains("ActeEtatCivil-PDF.pdf"));
    for (a, (_, _, bytes)) in deposit_event["attachments"].as_array().unwrap().iter().zip(&new_files) {
        let r = t
            .api(&op, Method::PUT, &format!("{event_path}/attachments/{}", a["id"].as_str().unwrap()))
            .header("digest", sha256_base64(bytes))
            .body(bytes.clone())
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 204);
    }
    let r = t
        .api(&op, Method::POST, &event_path)
        .header("X-HTTP-Method-Override", "PATCH")
        .json(&json!({"status": "SENT"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 204);
    let (_, reopened) = get(&t, &si, &format!("/cases/{case_a}")).await;
    assert_eq!(reopened["status"], "HUBEE_NOTIFIED", "the deposit's caseNewStatus reopened the case");
    assert!(reopened["closeDateTime"].is_null());

    // SI 1 gets the notification, downloads the event's files and acknowledges.
    let inbox = notifications(&t, &si).await;
    let n = inbox.iter().find(|n| n["eventId"] == deposit_id.as_str()).expect("a notification for the deposit");
    assert_eq!((n["eventActionType"].as_str(), n["eventStatus"].as_str()), (Some("ATTACH_DEPOSIT"), Some("SENT")));
    assert_eq!(inbox[0]["eventId"], deposit_id.as_str(), "newest first");
    let (_, event) = get(&t, &si, &event_path).await;
    for (a, (name, mime, bytes)) in event["attachments"].as_array().unwrap().iter().zip(&new_files) {
        assert_eq!(a["status"], "RECEIVED");
        download(&t, &si, &format!("{event_path}/attachments/{}", a["id"].as_str().unwrap()), bytes, name, mime).await;
    }
    assert_eq!(send(&t, &si, Method::PATCH, &event_path, json!({"status": "RECEIVED"})).await.0, 204);
    let acked = notifications(&t, &op).await;
    assert!(acked.iter().any(|n| n["eventId"] == deposit_id.as_str() && n["eventStatus"] == "RECEIVED"), "{acked:?}");

    // The reopening queued Mairie A's e-mail; every change is recorded with its actor.
    let store = &t.hub().state.store;
    let emails = t.wait_for_emails("etat-civil@mairie-a.example", 2).await;
    assert!(emails[1].subject.ends_with("nouvelles pièces"), "{}", emails[1].subject);
    let record = store.case_record(case_a.parse().unwrap()).await.unwrap().unwrap();
    let steps: Vec<_> = record.history.iter().map(|h| (h.to.as_str(), h.source, h.actor_id.as_str())).collect();
    assert_eq!(
        steps,
        [
            ("IN_PROGRESS", ChangeSource::Event, "mairie-a-certdc"),
            ("DONE", ChangeSource::Event, "mairie-a-certdc"),
            ("CLOSED", ChangeSource::Patch, "dgs-osl"),
            ("HUBEE_NOTIFIED", ChangeSource::Event, "dgs-osl"),
        ]
    );

    // SI 2 never sees SI 1's case, and sees only its own notification.
    assert_eq!(get(&t, &si_b, &format!("/cases/{case_a}")).await.0, 403);
    assert_eq!(
        get(&t, &si_b, &format!("{event_path}/attachments/{}", event["attachments"][0]["id"].as_str().unwrap()))
            .await
            .0,
        403
    );
    let inbox_b = notifications(&t, &si_b).await;
    assert_eq!(inbox_b.len(), 1);
    assert_eq!(inbox_b[0]["caseId"], case_b.as_str());
}

#[tokio::test]
async fn every_error_of_the_exchange_routes_has_the_contract_status_and_body() {
    let t = TestHub::spawn().await;
    let op = t.operator_token().await;
    let (body, files) = certdc_folder("DGS-CERTDC-0101");
    let folder = deposit(&t, &op, &body, &files).await;
    let case_a = case_of(&folder, "C-A")["id"].as_str().unwrap().to_owned();
    let si = t.si_token().await;
    let si_b = t.si_b_token().await;
    let other_procedure = t.si_other_procedure_token().await;
    let unknown = uuid::Uuid::new_v4();
    let forbidden = (403, "Unauthorized user".to_owned());

    // Non-UUID ids.
    for path in [
        "/cases/abc".to_owned(),
        format!("/cases/{case_a}/events/xyz"),
        format!("/cases/{case_a}/attachments/1"),
        format!("/cases/{case_a}/events/{unknown}/attachments/nope"),
    ] {
        let (status, err) = get(&t, &si, &path).await;
        assert_eq!(status, 400, "{path}");
        assert!(first_error(&err).1.contains("is not a valid UUID"), "{err}");
    }
    let (status, _) = answer(t.api(&si, Method::DELETE, "/notifications/dddddd").send().await.unwrap()).await;
    assert_eq!(status, 400);

    // Unknown ids.
    assert_eq!(first_error(&get(&t, &si, &format!("/cases/{unknown}")).await.1).1, "Case is not found");
    assert_eq!(
        first_error(&get(&t, &si, &format!("/cases/{case_a}/events/{unknown}")).await.1).1,
        "Event is not found"
    );
    assert_eq!(
        first_error(&get(&t, &si, &format!("/cases/{case_a}/attachments/{unknown}")).await.1).1,
        "File is not found"
    );
    let (status, err) =
        answer(t.api(&si, Method::DELETE, &format!("/notifications/{unknown}")).send().await.unwrap()).await;
    assert_eq!((status, first_error(&err).1.as_str()), (404, "Notification is not found"));

    // A foreign organisation, another procedure's SI token, another operator.
    assert_eq!(first_error(&get(&t, &si_b, &format!("/cases/{case_a}")).await.1), forbidden);
    let (status, err) = get(&t, &other_procedure, &format!("/cases/{case_a}")).await;
    assert_eq!(
        (status, first_error(&err)),
        (403, forbidden.clone()),
        "an SI token of procedure B gets 403 on a case of A"
    );
    assert_eq!(send(&t, &si_b, Method::PATCH, &format!("/cases/{case_a}"), json!({"status": "DONE"})).await.0, 403);
    assert_eq!(
        send(&t, &si_b, Method::POST, &format!("/cases/{case_a}/events"), json!({"actionType": "COM_ADD"})).await.0,
        403
    );
    let dila = t.other_operator_token().await;
    assert_eq!(get(&t, &dila, &format!("/cases/{case_a}")).await.0, 403);
    let a_notification = notifications(&t, &si).await[0]["id"].as_str().unwrap().to_owned();
    let (status, err) =
        answer(t.api(&si_b, Method::DELETE, &format!("/notifications/{a_notification}")).send().await.unwrap()).await;
    assert_eq!((status, first_error(&err)), (403, forbidden.clone()));
    assert!(notifications(&t, &other_procedure).await.is_empty(), "an SI client sees its own procedure only");

    // Unknown query parameters, malformed JSON, bad bodies.
    assert_eq!(get(&t, &si, "/notifications?maxResults=3").await.0, 400);
    assert_eq!(get(&t, &si, "/notifications?maxResult=abc").await.0, 400);
    assert_eq!(get(&t, &si, &format!("/cases/{case_a}?full=1")).await.0, 400);
    assert_eq!(get(&t, &si, &format!("/cases/{case_a}?lite=maybe")).await.0, 400);
    let r = t
        .api(&si, Method::POST, &format!("/cases/{case_a}/events"))
        .header("content-type", "application/json")
        .body("{\"actionType\":")
        .send()
        .await
        .unwrap();
    let (status, err) = answer(r).await;
    assert_eq!((status, first_error(&err).0), (400, 400));
    let (status, err) =
        send(&t, &si, Method::POST, &format!("/cases/{case_a}/events"), json!({"actionType": "DANCE", "message": 3}))
            .await;
    assert_eq!(status, 400);
    assert!(first_error(&err).1.contains("@body.actionType") && first_error(&err).1.contains("@body.message"), "{err}");
    let (status, _) =
        send(&t, &si, Method::POST, &format!("/cases/{case_a}/events"), json!({"actionType": "ATTACH_DEPOSIT"})).await;
    assert_eq!(status, 400, "a deposit without files");
    assert_eq!(send(&t, &si, Method::PATCH, &format!("/cases/{case_a}"), json!({"status": "NOPE"})).await.0, 400);
    assert_eq!(send(&t, &si, Method::PATCH, &format!("/cases/{case_a}"), json!({"status": "ARCHIVED"})).await.0, 400);
    assert_eq!(
        send(&t, &si, Method::PATCH, &format!("/cases/{case_a}"), json!({"status": "HUBEE_RECEIVED"})).await.0,
        400
    );
    let r =
        t.api(&si, Method::POST, &format!("/cases/{case_a}")).json(&json!({"status": "SENT"})).send().await.unwrap();
    assert_eq!(r.status(), 405, "POST without the override");

    // Deposits: SENT with pending files, deleting a SENT event, only the transmitter acts.
    let (name, mime, bytes) = sample("ETATCIVIL", "ActeEtatCivil-PDF.pdf");
    let (status, deposit) = send(
        &t,
        &si,
        Method::POST,
        &format!("/cases/{case_a}/events"),
        json!({
            "actionType": "ATTACH_DEPOSIT", "notification": true,
            "attachments": [{"fileName": name, "type": "PJ", "size": bytes.len(), "mimeType": mime}]
        }),
    )
    .await;
    assert_eq!(status, 201, "{deposit}");
    let path = format!("/cases/{case_a}/events/{}", deposit["id"].as_str().unwrap());
    let file_path = format!("{path}/attachments/{}", deposit["attachments"][0]["id"].as_str().unwrap());
    assert_eq!(send(&t, &si, Method::PATCH, &path, json!({"status": "SENT"})).await.0, 400, "SENT with pending files");
    assert_eq!(send(&t, &op, Method::PATCH, &path, json!({"status": "RECEIVED"})).await.0, 400, "not sent yet");
    assert_eq!(get(&t, &op, &file_path).await.0, 404, "a pending file is not downloadable");
    let put = |token: &str, body: Vec<u8>| t.api(token, Method::PUT, &file_path).body(body).send();
    assert_eq!(put(&op, bytes.clone()).await.unwrap().status(), 403, "only the transmitter uploads");
    assert_eq!(put(&si, bytes[1..].to_vec()).await.unwrap().status(), 400, "wrong size");
    assert_eq!(put(&si, bytes.clone()).await.unwrap().status(), 204);
    assert_eq!(
        send(&t, &op, Method::PATCH, &path, json!({"status": "SENT"})).await.0,
        403,
        "only the transmitter sends"
    );
    assert_eq!(send(&t, &si, Method::PATCH, &path, json!({"status": "SENT"})).await.0, 204);
    assert_eq!(put(&si, bytes.clone()).await.unwrap().status(), 400, "a sent event's files do not change");
    let (status, err) = answer(t.api(&si, Method::DELETE, &path).send().await.unwrap()).await;
    assert_eq!(status, 400, "deleting a SENT event: {err}");
    assert_eq!(
        send(&t, &si, Method::PATCH, &path, json!({"status": "RECEIVED"})).await.0,
        403,
        "the transmitter does not acknowledge"
    );
    assert_eq!(send(&t, &op, Method::PATCH, &path, json!({"status": "DONE"})).await.0, 400);

    // An unsent deposit can be withdrawn by its transmitter, files and all.
    let (_, withdrawn) = send(&t, &op, Method::POST, &format!("/cases/{case_a}/events"), json!({
        "actionType": "ATTACH_DEPOSIT", "attachments": [{"fileName": "x.pdf", "type": "PJ", "size": 3, "mimeType": "application/pdf"}]
    })).await;
    let wpath = format!("/cases/{case_a}/events/{}", withdrawn["id"].as_str().unwrap());
    let r = t
        .api(&op, Method::PUT, &format!("{wpath}/attachments/{}", withdrawn["attachments"][0]["id"].as_str().unwrap()))
        .body("abc")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 204);
    assert_eq!(answer(t.api(&si, Method::DELETE, &wpath).send().await.unwrap()).await.0, 403);
    assert_eq!(answer(t.api(&op, Method::DELETE, &wpath).send().await.unwrap()).await.0, 204);
    assert_eq!(get(&t, &op, &wpath).await.0, 404);
}

#[tokio::test]
async fn strict_procedures_refuse_transitions_outside_the_table_and_compatible_ones_accept_them() {
    let t = TestHub::spawn().await;
    let op = t.operator_token().await;

    // Compatible (CERTDC): an SI may go straight from HUBEE_NOTIFIED to SI_INTG_ERROR.
    let (body, files) = certdc_folder("DGS-CERTDC-0102");
    let folder = deposit(&t, &op, &body, &files).await;
    let case_a = case_of(&folder, "C-A")["id"].as_str().unwrap().to_owned();
    let si = t.si_token().await;
    assert_eq!(
        send(&t, &si, Method::PATCH, &format!("/cases/{case_a}"), json!({"status": "SI_INTG_ERROR"})).await.0,
        204
    );
    assert_eq!(
        send(&t, &op, Method::PATCH, &format!("/cases/{case_a}"), json!({"status": "IN_PROGRESS"})).await.0,
        204
    );

    // Strict (STRICTDEMO): the same jump is refused, the table's path is accepted.
    let strict_body = json!({
        "externalId": "DGS-STRICT-1", "processCode": "STRICTDEMO",
        "applicant": {"firstName": "Camille", "lastName": "STRICT"},
        "cases": [{"externalId": "S-A", "recipient": recipient(MAIRIE_A)}],
        "attachments": [{"fileName": files[0].0, "type": "T", "size": files[0].2.len(), "mimeType": "application/pdf", "recipients": ["S-A"]}]
    });
    let strict = deposit(&t, &op, &strict_body, &files[..1]).await;
    let case_s = strict["cases"][0]["id"].as_str().unwrap().to_owned();
    let ss = t.si_strict_token().await;
    let path = format!("/cases/{case_s}");
    let (status, err) = send(&t, &ss, Method::PATCH, &path, json!({"status": "SI_INTG_ERROR"})).await;
    assert_eq!(status, 400);
    assert!(first_error(&err).1.contains("HUBEE_NOTIFIED to SI_INTG_ERROR"), "{err}");
    let (status, _) = send(
        &t,
        &ss,
        Method::POST,
        &format!("{path}/events"),
        json!({"actionType": "STATUS_UPDATE", "caseNewStatus": "DONE"}),
    )
    .await;
    assert_eq!(status, 400, "an event's caseNewStatus follows the same rules");
    for next in ["SENT", "SI_RECEIVED", "IN_PROGRESS"] {
        assert_eq!(send(&t, &ss, Method::PATCH, &path, json!({"status": next})).await.0, 204, "{next}");
    }
    assert_eq!(
        send(&t, &op, Method::PATCH, &path, json!({"status": "DONE"})).await.0,
        400,
        "the operator does not finish a case"
    );
    let (status, _) = send(
        &t,
        &ss,
        Method::POST,
        &format!("{path}/events"),
        json!({"actionType": "STATUS_UPDATE", "caseNewStatus": "DONE"}),
    )
    .await;
    assert_eq!(status, 201);
    assert_eq!(send(&t, &op, Method::PATCH, &path, json!({"status": "CLOSED"})).await.0, 204);

    // Both record every change.
    let store = &t.hub().state.store;
    let compatible = store.case_record(case_a.parse().unwrap()).await.unwrap().unwrap();
    assert_eq!(compatible.history.len(), 2);
    let strict = store.case_record(case_s.parse().unwrap()).await.unwrap().unwrap();
    let path: Vec<_> = strict.history.iter().map(|h| h.to.as_str()).collect();
    assert_eq!(path, ["SENT", "SI_RECEIVED", "IN_PROGRESS", "DONE", "CLOSED"]);
}

#[tokio::test]
async fn notifications_are_newest_first_with_priority_procedures_first_and_capped() {
    let t = TestHub::spawn().await;
    let op = t.operator_token().await;
    let (body, files) = certdc_folder("DGS-CERTDC-0103");
    deposit(&t, &op, &body, &files).await;
    let (body2, _) = certdc_folder("DGS-CERTDC-0104");
    deposit(&t, &op, &body2, &files).await;
    let strict_body = json!({
        "externalId": "DGS-STRICT-2", "processCode": "STRICTDEMO",
        "applicant": {"firstName": "Camille", "lastName": "STRICT"},
        "cases": [{"externalId": "S-A", "recipient": recipient(MAIRIE_A)}],
        "attachments": [{"fileName": files[0].0, "type": "T", "size": files[0].2.len(), "mimeType": "application/pdf", "recipients": ["S-A"]}]
    });
    let strict = deposit(&t, &op, &strict_body, &files[..1]).await;

    // Mairie A's CERTDC client sees CERTDC only, newest first, capped by maxResult.
    let si = t.si_token().await;
    let certdc = notifications(&t, &si).await;
    assert_eq!(certdc.len(), 2);
    assert!(certdc[0]["dateTime"].as_str() >= certdc[1]["dateTime"].as_str(), "newest first");
    let (_, one) = get(&t, &si, "/notifications?maxResult=1").await;
    assert_eq!(one.as_array().unwrap().len(), 1);
    assert_eq!(one[0]["id"], certdc[0]["id"]);
    let (_, huge) = get(&t, &si, "/notifications?maxResult=100000").await;
    assert_eq!(huge.as_array().unwrap().len(), 2, "large values are accepted and capped");
    let (_, filtered) = get(&t, &si, "/notifications?processCode=EtatCivil").await;
    assert_eq!(filtered, json!([]), "an SI client's procedure filter cannot widen its view");

    // The operator gets notifications of two procedures: a STRICTDEMO event, then a newer
    // CERTDC one.
    let ss = t.si_strict_token().await;
    let strict_case = strict["cases"][0]["id"].as_str().unwrap();
    let com = json!({"actionType": "COM_ADD", "notification": true, "message": "Bien reçu"});
    assert_eq!(send(&t, &ss, Method::POST, &format!("/cases/{strict_case}/events"), com.clone()).await.0, 201);
    tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    let certdc_case = certdc[0]["caseId"].as_str().unwrap();
    assert_eq!(send(&t, &si, Method::POST, &format!("/cases/{certdc_case}/events"), com).await.0, 201);
    let codes = |list: &Value| {
        list.as_array().unwrap().iter().map(|n| n["processCode"].as_str().unwrap().to_owned()).collect::<Vec<_>>()
    };
    let (_, plain) = get(&t, &op, "/notifications").await;
    assert_eq!(codes(&plain), ["CERTDC", "STRICTDEMO"], "newest first");
    let (_, prioritised) = get(&t, &op, "/notifications?processPriority=STRICTDEMO").await;
    assert_eq!(codes(&prioritised), ["STRICTDEMO", "CERTDC"], "priority procedures first");
    let (_, only) = get(&t, &op, "/notifications?processCode=CERTDC&processCode=EtatCivil").await;
    assert_eq!(codes(&only), ["CERTDC"]);
    let (_, first) = get(&t, &op, "/notifications?processPriority=STRICTDEMO&maxResult=1").await;
    assert_eq!(codes(&first), ["STRICTDEMO"]);
}
