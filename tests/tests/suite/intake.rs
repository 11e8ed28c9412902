//! Deposit intake, black-box: an operator deposits a CERTDC folder for two instructing services
//! with the official test kit's files, against the local hub.

#![allow(clippy::unwrap_used, clippy::expect_used)] // Test code: a failed step is a failed test.
use hubee_shared::{
    domain::{BranchCode, OrgRef, OrgType, Siret},
    ports::Query,
};
use hubee_tests::{folders::*, *};
use reqwest::Method;
use serde_json::{Value, json};

fn org(o: (&str, &str)) -> OrgRef {
    OrgRef {
        org_type: OrgType::Si,
        company_register: Siret::parse(o.0).unwrap(),
        branch_code: BranchCode::parse(o.1).unwrap(),
    }
}

#[tokio::test]
async fn an_operator_deposits_a_certdc_folder_for_two_mairies_and_both_are_notified() {
    let mut t = TestHub::spawn().await;
    let token = t.operator_token().await;
    let (body, files) = certdc_folder("DGS-CERTDC-0001");

    // Create: ids generated, order kept, everything pending.
    let (status, folder) = create(&t, &token, &body).await;
    assert_eq!(status, 201, "{folder}");
    let id = folder["id"].as_str().unwrap().to_owned();
    assert_eq!(folder["globalStatus"], "HUBEE_RECEIVED");
    assert_eq!(folder["cases"][0]["externalId"], "C-A");
    assert_eq!(folder["cases"][1]["recipient"]["companyRegister"], MAIRIE_B.0);
    let names: Vec<_> =
        folder["attachments"].as_array().unwrap().iter().map(|a| a["fileName"].as_str().unwrap()).collect();
    assert_eq!(names, [VA_PDF, VA_XML, DD_PDF, DD_XML], "attachments keep the request order");
    assert!(folder["attachments"].as_array().unwrap().iter().all(|a| a["status"] == "PENDING"));
    assert_eq!(folder["attachments"][0]["recipients"], json!(["C-A", "C-B"]));

    // A retried POST answers the same folder; a different body with the same externalId is 409.
    let (status, again) = create(&t, &token, &body).await;
    assert_eq!((status, &again["id"]), (201, &folder["id"]), "a retry returns the existing folder");
    let mut changed = body.clone();
    changed["applicant"]["lastName"] = json!("AUTRE");
    let (status, err) = create(&t, &token, &changed).await;
    assert_eq!(status, 409, "{err}");

    // Wrong size, then wrong digest: refused, nothing stored, still PENDING; then retried.
    let (va_name, _, va) = &files[0];
    let (status, err) = upload(&t, &token, &folder, 0, va[..va.len() - 1].to_vec(), None).await;
    assert_eq!((status, first_error(&err).1.as_str()), (400, "Size does not match with attachment meta-data"));
    let wrong = sha256_base64(b"something else");
    let (status, err) = upload(&t, &token, &folder, 0, va.clone(), Some(wrong.clone())).await;
    assert_eq!(status, 400);
    assert!(first_error(&err).1.contains(&wrong), "the message names the digest: {err}");
    let (_, now) = get_folder(&t, &token, &id).await;
    assert_eq!(now["attachments"][0]["status"], "PENDING", "{va_name} stays PENDING after failed uploads");
    assert_eq!(t.stored_objects("folders/").await, 0, "failed uploads store nothing");

    // Upload with a digest, and without.
    let (status, _) = upload(&t, &token, &folder, 0, va.clone(), Some(sha256_base64(va))).await;
    assert_eq!(status, 204);
    let (status, err) = upload(&t, &token, &folder, 0, va.clone(), None).await;
    assert_eq!(status, 400, "a second upload of a RECEIVED attachment is refused: {err}");
    let (status, _) = upload(&t, &token, &folder, 1, files[1].2.clone(), None).await;
    assert_eq!(status, 204);
    let (status, _) = upload(&t, &token, &folder, 2, files[2].2.clone(), Some(sha256_base64(&files[2].2))).await;
    assert_eq!(status, 204);

    // Completing with a pending attachment is refused and names it.
    let (status, err) = patch_folder(&t, &token, &id, json!({"globalStatus": "HUBEE_COMPLETED"})).await;
    assert_eq!(status, 400);
    assert!(first_error(&err).1.contains(DD_XML), "the pending attachment is named: {err}");
    let (_, now) = get_folder(&t, &token, &id).await;
    assert_eq!(now["globalStatus"], "HUBEE_RECEIVED");

    let (status, _) = upload(&t, &token, &folder, 3, files[3].2.clone(), None).await;
    assert_eq!(status, 204);
    let (_, now) = get_folder(&t, &token, &id).await;
    assert!(now["attachments"].as_array().unwrap().iter().all(|a| a["status"] == "RECEIVED"), "{now}");

    // Complete through the POST override.
    let r = t
        .api(&token, Method::POST, &format!("/folders/{id}"))
        .header("X-HTTP-Method-Override", "PATCH")
        .json(&json!({"globalStatus": "HUBEE_COMPLETED"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 204);
    let (_, done) = get_folder(&t, &token, &id).await;
    assert_eq!(done["globalStatus"], "HUBEE_NOTIFIED");
    for c in done["cases"].as_array().unwrap() {
        assert_eq!(c["status"], "HUBEE_NOTIFIED");
        assert!(c["transmissionDateTime"].is_string(), "the transmission date is set: {c}");
    }
    let (status, _) = create(&t, &token, &body).await;
    assert_eq!(status, 409, "once completed, the externalId cannot be reused");

    // One notification per case in each recipient's inbox, one outbox item per case.
    let store = &t.hub().state.store;
    for (mairie, case) in [(MAIRIE_A, &done["cases"][0]), (MAIRIE_B, &done["cases"][1])] {
        let inbox = store.notifications_of(&org(mairie), 10).await.unwrap();
        assert_eq!(inbox.len(), 1, "one notification for {mairie:?}");
        assert_eq!(inbox[0].case_id.map(|c| c.to_string()), case["id"].as_str().map(str::to_owned));
        assert_eq!(inbox[0].event_id, None);
        assert_eq!(inbox[0].transmitter.company_register.as_str(), OPERATOR_SIRET);
    }
    // Each subscription's address gets exactly one e-mail, written to the outbox folder: the
    // procedure, the dossier number, a link to the dossier, no applicant data.
    for (address, case) in
        [("etat-civil@mairie-a.example", &done["cases"][0]), ("deces@mairie-b.example", &done["cases"][1])]
    {
        let emails = t.wait_for_emails(address, 1).await;
        assert_eq!(emails.len(), 1, "one e-mail to {address}");
        let number = case["externalId"].as_str().unwrap();
        assert_eq!(emails[0].subject, format!("Nouveau télédossier « Certificat de décès électronique » n° {number}"));
        assert!(emails[0].text.contains(&format!("/dossiers/{}", case["id"].as_str().unwrap())), "{}", emails[0].text);
        for body in [&emails[0].text, &emails[0].html] {
            assert!(!body.contains("TESTEUR") && !body.contains("Camille"), "no applicant data: {body}");
        }
    }
    let mut delivered = t.delivered().await;
    delivered.sort();
    assert_eq!(
        delivered,
        [vec!["deces@mairie-b.example".to_owned()], vec!["etat-civil@mairie-a.example".to_owned()]],
        "two messages delivered (outbox folder, or SES)"
    );

    // Completing again is a harmless retry: nothing more is written or sent.
    assert_eq!(patch_folder(&t, &token, &id, json!({"globalStatus": "HUBEE_COMPLETED"})).await.0, 204);
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    assert!(store.pending_outbox(10).await.unwrap().is_empty(), "nothing left to send");
    assert_eq!(t.delivered().await.len(), 2);

    // A second hub on the same data directory is refused: the dispatcher of the first one
    // would lose its leases to it. (On the AWS adapters the table is shared by design.)
    if t.is_embedded() {
        let refused = t.start_another().await.err().expect("a second hub on one data directory is refused");
        assert!(refused.to_string().contains("another hub is running"), "{refused:#}");
    }

    // A restart on the same data directory keeps everything, and the binaries.
    t.restart().await;
    let token = t.operator_token().await;
    let (status, after) = get_folder(&t, &token, &id).await;
    assert_eq!(status, 200);
    assert_eq!(after, done, "the folder reads the same after a restart");
    assert_eq!(t.stored_objects("folders/").await, 4, "the four binaries are kept");
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    assert_eq!(t.delivered().await.len(), 2, "nothing is sent twice after a restart");
}

#[tokio::test]
async fn recipients_must_exist_and_be_subscribed() {
    let t = TestHub::spawn().await;
    let token = t.operator_token().await;
    let (mut body, _) = certdc_folder("DGS-CERTDC-0002");
    body["cases"][0]["recipient"] = recipient(MAIRIE_UNKNOWN);
    body["cases"][1]["recipient"] = recipient(MAIRIE_UNSUBSCRIBED);
    let (status, err) = create(&t, &token, &body).await;
    assert_eq!(status, 400);
    let messages: Vec<_> =
        err["errors"].as_array().unwrap().iter().map(|e| e["message"].as_str().unwrap().to_owned()).collect();
    assert_eq!(
        messages,
        [
            format!("Case recipient SI-{}-{} does not exist", MAIRIE_UNKNOWN.0, MAIRIE_UNKNOWN.1),
            format!(
                "Case recipient SI-{}-{} does not suscribed to CERTDC",
                MAIRIE_UNSUBSCRIBED.0, MAIRIE_UNSUBSCRIBED.1
            ),
        ]
    );
    let table = &t.hub().table;
    let folders = table.query(Query::table(format!("FOLDEREXT#{OPERATOR_SIRET}#00000#DGS-CERTDC-0002"))).await.unwrap();
    assert!(folders.items.is_empty(), "a refused folder is not stored");
}

#[tokio::test]
async fn a_malformed_folder_gets_every_problem_listed() {
    let t = TestHub::spawn().await;
    let token = t.operator_token().await;
    let body = json!({"externalId": "X", "processCode": "CERTDC", "applicant": {"firstName": "A"},
                      "cases": [], "attachments": [{"fileName": "a.pdf", "size": -1}]});
    let (status, err) = create(&t, &token, &body).await;
    assert_eq!(status, 400);
    let (code, message) = first_error(&err);
    assert_eq!(code, 400);
    assert!(message.starts_with("Bad Request : Validation failed."), "{message}");
    for needle in ["@body.applicant]", "@body.cases]", "@body.attachments[0]]", "@body.attachments[0].size]"] {
        assert!(message.contains(needle), "{needle} in {message}");
    }

    let r = t
        .api(&token, Method::POST, "/folders")
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .await
        .unwrap();
    let (status, err) = answer(r).await;
    assert_eq!((status, first_error(&err).0), (400, 400), "malformed JSON gets the contract body: {err}");

    let (status, err) = answer(t.api(&token, Method::GET, "/folders/dddddd").send().await.unwrap()).await;
    assert_eq!(status, 400);
    assert!(first_error(&err).1.contains("@path.folderId] Input string \"dddddd\" is not a valid UUID"), "{err}");

    let (status, _) =
        answer(t.api(&token, Method::GET, &format!("/folders/{}?foo=1", uuid::Uuid::new_v4())).send().await.unwrap())
            .await;
    assert_eq!(status, 400, "unknown query parameters are refused");

    let (status, err) =
        answer(t.api(&token, Method::GET, &format!("/folders/{}", uuid::Uuid::new_v4())).send().await.unwrap()).await;
    assert_eq!((status, first_error(&err).1.as_str()), (404, "Folder is not found"));

    let (status, err) = answer(t.api(&token, Method::PUT, "/folders").send().await.unwrap()).await;
    assert_eq!((status, first_error(&err).1.as_str()), (405, "Method not allowed"));
    let (status, err) = answer(
        t.api(&token, Method::POST, &format!("/folders/{}", uuid::Uuid::new_v4()))
            .json(&json!({}))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!((status, first_error(&err).0), (405, 405), "a POST without the override is not a PATCH");
}

#[tokio::test]
async fn tokens_are_checked_and_folders_belong_to_their_operator() {
    let t = TestHub::spawn().await;

    // Missing, forged and wrong credentials.
    let (status, err) = answer(
        t.request(Method::GET, &format!("/teledossiers/v1/folders/{}", uuid::Uuid::new_v4())).send().await.unwrap(),
    )
    .await;
    assert_eq!(status, 401);
    assert_eq!(first_error(&err), (900_901, hubee_shared::http::INVALID_CREDENTIALS.to_owned()));
    let token = t.operator_token().await;
    let mut forged = token.clone();
    forged.replace_range(forged.len() - 4.., "AAAA");
    let (status, err) = answer(t.api(&forged, Method::POST, "/folders").json(&json!({})).send().await.unwrap()).await;
    assert_eq!((status, first_error(&err).0), (401, 900_901));
    let (status, err) = answer(t.token_response("dgs-osl", "not-the-secret", "OSL").await).await;
    assert_eq!((status, err["error"].as_str()), (401, Some("invalid_client")));
    let (status, err) = answer(t.token_response("nobody", "not-the-secret", "OSL").await).await;
    assert_eq!((status, err["error"].as_str()), (401, Some("invalid_client")), "an unknown client answers the same");
    let (status, err) = answer(t.token_response("dgs-osl", &t.secrets.operator, "SI").await).await;
    assert_eq!((status, err["error"].as_str()), (400, Some("invalid_scope")));
    let (status, ok) = answer(t.token_response("dgs-osl", &t.secrets.operator, "OSL").await).await;
    assert_eq!(status, 200);
    assert_eq!(
        (ok["token_type"].as_str(), ok["expires_in"].as_i64(), ok["scope"].as_str()),
        (Some("Bearer"), Some(3600), Some("OSL"))
    );

    // Another operator cannot read, change, upload to or delete the folder, nor deposit for
    // a procedure it does not run; an SI client cannot deposit at all.
    let (body, files) = certdc_folder("DGS-CERTDC-0003");
    let (_, folder) = create(&t, &token, &body).await;
    let id = folder["id"].as_str().unwrap();
    let other = t.other_operator_token().await;
    let forbidden = (403, "Unauthorized user".to_owned());
    let (status, err) = get_folder(&t, &other, id).await;
    assert_eq!((status, first_error(&err).1), forbidden.clone());
    assert_eq!(patch_folder(&t, &other, id, json!({"globalStatus": "CLOSED"})).await.0, 403);
    assert_eq!(upload(&t, &other, &folder, 0, files[0].2.clone(), None).await.0, 403);
    assert_eq!(answer(t.api(&other, Method::DELETE, &format!("/folders/{id}")).send().await.unwrap()).await.0, 403);
    let (body2, _) = certdc_folder("DILA-TRIES-CERTDC");
    assert_eq!(create(&t, &other, &body2).await.0, 403, "DILA does not run CERTDC");
    let si = t.si_token().await;
    assert_eq!(create(&t, &si, &body2).await.0, 403);
    assert_eq!(get_folder(&t, &si, id).await.0, 403);
}

#[tokio::test]
async fn a_folder_is_deleted_before_completion_and_closed_and_reopened_after() {
    let t = TestHub::spawn().await;
    let token = t.operator_token().await;

    // Delete while HUBEE_RECEIVED: metadata and binaries go; the externalId is free again.
    let (body, files) = certdc_folder("DGS-CERTDC-0004");
    let (_, folder) = create(&t, &token, &body).await;
    let id = folder["id"].as_str().unwrap().to_owned();
    assert_eq!(upload(&t, &token, &folder, 0, files[0].2.clone(), None).await.0, 204);
    assert_eq!(
        patch_folder(&t, &token, &id, json!({"globalStatus": "CLOSED"})).await.0,
        400,
        "a folder is closed once notified"
    );
    let r = t.api(&token, Method::DELETE, &format!("/folders/{id}")).send().await.unwrap();
    assert_eq!(r.status(), 204);
    assert_eq!(get_folder(&t, &token, &id).await.0, 404);
    assert_eq!(t.stored_objects("folders/").await, 0, "the binaries are deleted");
    let (status, again) = create(&t, &token, &body).await;
    assert_eq!(status, 201);
    assert_ne!(again["id"], folder["id"]);

    // Complete, then deletion is refused; close with a date; reopen.
    let id = again["id"].as_str().unwrap().to_owned();
    for (i, (_, _, bytes)) in files.iter().enumerate() {
        assert_eq!(upload(&t, &token, &again, i, bytes.clone(), None).await.0, 204);
    }
    assert_eq!(patch_folder(&t, &token, &id, json!({"globalStatus": "HUBEE_COMPLETED"})).await.0, 204);
    let (status, err) = answer(t.api(&token, Method::DELETE, &format!("/folders/{id}")).send().await.unwrap()).await;
    assert_eq!(status, 400, "{err}");
    let (status, _) = patch_folder(
        &t,
        &token,
        &id,
        json!({"globalStatus": "CLOSED", "closeDateTime": "2026-11-20T10:00:00.000+01:00"}),
    )
    .await;
    assert_eq!(status, 204);
    let (_, closed) = get_folder(&t, &token, &id).await;
    assert_eq!(
        (closed["globalStatus"].as_str(), closed["closeDateTime"].as_str()),
        (Some("CLOSED"), Some("2026-11-20T09:00:00.000Z"))
    );
    assert_eq!(closed["cases"][0]["status"], "HUBEE_NOTIFIED", "closing a folder leaves its cases alone");
    assert_eq!(patch_folder(&t, &token, &id, json!({"globalStatus": "HUBEE_NOTIFIED"})).await.0, 204);
    let (_, reopened) = get_folder(&t, &token, &id).await;
    assert_eq!((reopened["globalStatus"].as_str(), &reopened["closeDateTime"]), (Some("HUBEE_NOTIFIED"), &Value::Null));
    let (status, err) = patch_folder(&t, &token, &id, json!({"globalStatus": "DONE"})).await;
    assert_eq!(status, 400, "{err}");
    let (status, err) = patch_folder(&t, &token, &id, json!({"closeDateTime": "yesterday"})).await;
    assert_eq!(status, 400);
    assert!(first_error(&err).1.contains("globalStatus") && first_error(&err).1.contains("closeDateTime"), "{err}");
}

#[tokio::test]
async fn partner_headers_are_stored_and_returned() {
    let t = TestHub::spawn().await;
    let token = t.operator_token().await;
    let (body, _) = certdc_folder("DGS-CERTDC-0005");
    let r = t
        .api(&token, Method::POST, "/folders")
        .header("editorName", "Éditeur")
        .header("applicationName", "CertDc")
        .json(&body)
        .send()
        .await
        .unwrap();
    let (status, folder) = answer(r).await;
    assert_eq!(status, 201);
    assert_eq!(
        folder["partnerInfo"],
        json!({"editorName": "Éditeur", "applicationName": "CertDc", "softwareVersion": null})
    );
    let r = t
        .api(&token, Method::POST, "/folders")
        .header("softwareVersion", "x".repeat(51))
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
}

#[tokio::test]
async fn the_provisioning_file_loads_twice_without_change() {
    let t = TestHub::spawn().await;
    let text = std::fs::read_to_string(t.dir.path().join("seed.json")).unwrap();
    let seed = hubee_shared::seed::Provisioning::parse(&text).unwrap();
    let report = seed.load(&t.hub().state.store).await.unwrap();
    assert_eq!(report.written, 0, "loading the same file again changes nothing: {report:?}");
    assert!(report.unchanged > 0);
    // The secrets loaded the first time still work.
    t.operator_token().await;
}

#[tokio::test]
async fn the_health_check_and_the_front_page_answer() {
    let t = TestHub::spawn().await;
    let (status, body) = answer(t.request(Method::GET, "/health").send().await.unwrap()).await;
    assert_eq!((status, body["status"].as_str()), (200, Some("ok")));
    let page = t.request(Method::GET, "/").send().await.unwrap();
    assert_eq!(page.status(), 200);
    assert!(page.text().await.unwrap().contains("HubEE"));
    let (status, err) = answer(t.request(Method::GET, "/teledossiers/v1/nothing-here").send().await.unwrap()).await;
    assert_eq!((status, first_error(&err).0), (404, 404));
}
