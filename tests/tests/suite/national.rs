//! The national back office: a national administrator creates an operator, a procedure with
//! its rules and an API client; the operator deposits with it; the client is disabled and its
//! live token refused at once; a procedure and an organisation are closed to new folders; the
//! rules are enforced by the API and offered by the portal; every change is in the journal.

#![allow(clippy::unwrap_used, clippy::expect_used)] // Test code: a failed step is a failed test.

use hubee_tests::{folders::*, *};
use reqwest::Method;
use serde_json::{Value, json};

async fn national(t: &TestHub, s: &PortalSession, method: Method, path: &str, body: Option<Value>) -> (u16, Value) {
    let mut r = t.portal_as(s, method, &format!("/national{path}"));
    if let Some(b) = body {
        r = r.json(&b);
    }
    answer(r.send().await.unwrap()).await
}

/// Waits for an e-mail whose subject starts with `subject` (they end with the procedure's title).
async fn email_starting(t: &TestHub, to: &str, subject: &str) -> hubee_shared::ports::Email {
    for _ in 0..200 {
        if let Some(e) = t.emails_to(to).into_iter().find(|e| e.subject.starts_with(subject)) {
            return e;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("an e-mail {subject:?}… to {to} expected");
}

/// A one-file PERMIS folder for Mairie A.
fn permis_folder(external_id: &str) -> (Value, Vec<File>) {
    let file = sample("CERTDC", VA_PDF);
    let body = json!({
        "externalId": external_id, "processCode": "PERMIS",
        "applicant": {"firstName": "Camille", "lastName": "TESTEUR"},
        "cases": [{"externalId": "C-A", "recipient": recipient(MAIRIE_A)}],
        "attachments": [{"fileName": file.0, "type": "PJ", "size": file.2.len(), "mimeType": file.1, "recipients": ["C-A"]}]
    });
    (body, vec![file])
}

#[tokio::test]
async fn a_national_administrator_onboards_an_operator_and_its_procedure_and_controls_its_client() {
    let t = TestHub::spawn().await;
    let s = t.sign_in(NATIONAL_ADMIN, NATIONAL_ADMIN_PASSWORD).await;
    let ants = fictional_siret(4242);

    // An operator, with the code procedures name; its code is unique, its SIRET checked.
    let operator = json!({"siret": ants, "branchCode": "00000", "name": "ANTS (test)", "type": "OSL", "code": "ANTS",
                          "contacts": [{"name": "Support ANTS", "email": "support@ants.example"}]});
    let (status, created) = national(&t, &s, Method::POST, "/organisations", Some(operator.clone())).await;
    assert_eq!((status, created["code"].as_str(), created["toComplete"].as_bool()), (201, Some("ANTS"), Some(false)));
    assert_eq!(national(&t, &s, Method::POST, "/organisations", Some(operator)).await.0, 409);
    let taken =
        json!({"siret": fictional_siret(4243), "branchCode": "00000", "name": "Autre", "type": "OSL", "code": "ANTS"});
    assert_eq!(national(&t, &s, Method::POST, "/organisations", Some(taken)).await.0, 409, "a code is unique");
    let (status, err) = national(
        &t,
        &s,
        Method::POST,
        "/organisations",
        Some(json!({"siret": "12345678901234", "branchCode": "00000", "name": "X", "type": "OSL", "colour": "red"})),
    )
    .await;
    assert_eq!(status, 400);
    let all = err.to_string();
    for needle in ["@body.siret", "@body.code", "colour"] {
        assert!(all.contains(needle), "{needle} in {all}");
    }

    // A procedure it runs, with rules; an unknown operator is refused.
    let procedure = json!({"code": "PERMIS", "title": "Permis de construire (test)", "operator": "ANTS",
                           "description": "Demande de permis de construire.", "legalFramework": "Code de l'urbanisme",
                           "allowedMimeTypes": ["application/pdf"], "messages": false});
    let (status, p) = national(&t, &s, Method::POST, "/procedures", Some(procedure.clone())).await;
    assert_eq!(status, 201, "{p}");
    assert_eq!(
        (&p["messages"], &p["awaitingComplements"], &p["instructingDeposits"], &p["maxAttachmentSize"]),
        (&json!(false), &json!(true), &json!(true), &json!(1u64 << 30)),
        "the defaults are written out"
    );
    assert_eq!(national(&t, &s, Method::POST, "/procedures", Some(procedure)).await.0, 409);
    let (status, err) = national(
        &t,
        &s,
        Method::POST,
        "/procedures",
        Some(json!({"code": "AUTRE", "title": "Autre", "operator": "NOBODY"})),
    )
    .await;
    assert_eq!((status, first_error(&err).1.as_str()), (400, "Operator NOBODY does not exist"));

    // Mairie A subscribes (the referential, as DataPass would), and the subscription is active.
    let admin_token = t.admin_token().await;
    let sub = json!({"datapassId": 9001, "processCode": "PERMIS", "subscriber": recipient(MAIRIE_A),
                     "accessMode": "PORTAIL", "notificationFrequency": "unitaire", "email": "urbanisme@mairie-a.example",
                     "localAdministrator": {"firstName": "Alice", "lastName": "Martin", "email": PORTAL_ADMIN}});
    let r = t.referential(&admin_token, Method::POST, "/subscriptions").json(&sub).send().await.unwrap();
    let (status, created_sub) = answer(r).await;
    assert_eq!(status, 201, "{created_sub}");
    let mut active = sub.clone();
    active["status"] = json!("Actif");
    let path = format!("/subscriptions/{}", created_sub["id"].as_str().unwrap());
    let r = t.referential(&admin_token, Method::PUT, &path).json(&active).send().await.unwrap();
    assert_eq!(answer(r).await.0, 200);

    // Its API client: the secret is shown once; the operator deposits with it.
    let (status, client) = national(
        &t,
        &s,
        Method::POST,
        "/api-clients",
        Some(json!({"scope": "OSL", "siret": ants, "branchCode": "00000"})),
    )
    .await;
    assert_eq!(status, 201, "{client}");
    let (client_id, secret) =
        (client["clientId"].as_str().unwrap().to_owned(), client["clientSecret"].as_str().unwrap());
    assert!(!client.to_string().contains("argon2"), "no hash shown");
    let token = t.token(&client_id, secret, "OSL").await;
    let (body, files) = permis_folder("ANTS-0001");
    let folder = deposit(&t, &token, &body, &files).await;
    assert_eq!(folder["cases"][0]["status"], "HUBEE_NOTIFIED", "{folder}");
    let folder_path = format!("/folders/{}", folder["id"].as_str().unwrap());

    // Disabled: the live token is refused at once, no new one is issued.
    let client_path = format!("/api-clients/{client_id}");
    let (status, disabled) = national(&t, &s, Method::PATCH, &client_path, Some(json!({"disabled": true}))).await;
    assert_eq!((status, disabled["enabled"].as_bool()), (200, Some(false)));
    let (status, err) = answer(t.api(&token, Method::GET, &folder_path).send().await.unwrap()).await;
    assert_eq!((status, first_error(&err).0), (401, 900901), "{err}");
    assert_ne!(t.token_response(&client_id, secret, "OSL").await.status(), 200);
    // Enabled again: a new token works. (The old one stays void when it is older than the
    // disabling's second: tokens carry whole seconds, and this test runs within one.)
    assert_eq!(national(&t, &s, Method::PATCH, &client_path, Some(json!({"disabled": false}))).await.0, 200);
    let fresh = t.token(&client_id, secret, "OSL").await;
    assert_eq!(answer(t.api(&fresh, Method::GET, &folder_path).send().await.unwrap()).await.0, 200);

    // Rotation: the previous secret works during the overlap, unless revoked.
    let rotate = format!("{client_path}/secret");
    let (status, rotated) = national(&t, &s, Method::POST, &rotate, None).await;
    assert_eq!((status, rotated["secrets"].as_array().unwrap().len()), (201, 2));
    let second = rotated["clientSecret"].as_str().unwrap().to_owned();
    t.token(&client_id, secret, "OSL").await;
    t.token(&client_id, &second, "OSL").await;
    let (_, revoked) = national(&t, &s, Method::POST, &rotate, Some(json!({"revokePrevious": true}))).await;
    assert_eq!(revoked["secrets"].as_array().unwrap().len(), 1);
    assert_ne!(t.token_response(&client_id, &second, "OSL").await.status(), 200);
    t.token(&client_id, revoked["clientSecret"].as_str().unwrap(), "OSL").await;

    // Closed to new folders: 400 in the contract's shape; what it holds stays readable.
    let (status, closed) = national(&t, &s, Method::PATCH, "/procedures/PERMIS", Some(json!({"closed": true}))).await;
    assert_eq!((status, closed["closed"].as_bool()), (200, Some(true)));
    let token = t.token(&client_id, revoked["clientSecret"].as_str().unwrap(), "OSL").await;
    let (status, err) = create(&t, &token, &permis_folder("ANTS-0002").0).await;
    assert_eq!((status, first_error(&err).1.as_str()), (400, "Process PERMIS is closed to new folders"), "{err}");
    assert_eq!(answer(t.api(&token, Method::GET, &folder_path).send().await.unwrap()).await.0, 200);

    // The listings find them.
    let (_, osl) = national(&t, &s, Method::GET, "/organisations?type=OSL&name=ants", None).await;
    assert_eq!(osl["items"].as_array().unwrap().len(), 1, "{osl}");
    let (_, by_siren) = national(&t, &s, Method::GET, &format!("/organisations?siret={}", &ants[..9]), None).await;
    assert_eq!(by_siren["items"][0]["siret"], ants.as_str());
    let (_, clients) =
        national(&t, &s, Method::GET, &format!("/api-clients?siret={ants}&branchCode=00000"), None).await;
    assert_eq!(clients["items"][0]["clientId"], client_id.as_str());
    let (_, procedures) = national(&t, &s, Method::GET, "/procedures", None).await;
    assert!(procedures.as_array().unwrap().iter().any(|p| p["code"] == "PERMIS" && p["closed"] == true));

    // Every change is in the journal, newest first, with who, before and after.
    let (_, journal) = national(&t, &s, Method::GET, "/journal?limit=100", None).await;
    let actions: Vec<&str> =
        journal["items"].as_array().unwrap().iter().map(|a| a["action"].as_str().unwrap()).collect();
    assert_eq!(
        actions,
        [
            "procedure.close",
            "apiClient.rotateSecret",
            "apiClient.rotateSecret",
            "apiClient.enable",
            "apiClient.disable",
            "apiClient.create",
            "procedure.create",
            "organisation.create"
        ]
    );
    let close = &journal["items"][0];
    assert_eq!((close["actor"].as_str(), close["target"].as_str()), (Some(NATIONAL_ADMIN), Some("procedure PERMIS")));
    assert_eq!((&close["before"]["closed"], &close["after"]["closed"]), (&json!(false), &json!(true)));
    assert!(!journal.to_string().contains("argon2"), "no secret hash in the journal");
}

#[tokio::test]
async fn listings_page_with_their_cursor_and_an_organisation_page_shows_metadata_only() {
    let t = TestHub::spawn().await;
    let s = t.sign_in(NATIONAL_ADMIN, NATIONAL_ADMIN_PASSWORD).await;
    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let path = match &cursor {
            Some(c) => format!("/organisations?limit=2&cursor={c}"),
            None => "/organisations?limit=2".to_owned(),
        };
        let (status, page) = national(&t, &s, Method::GET, &path, None).await;
        assert_eq!(status, 200, "{page}");
        seen.extend(page["items"].as_array().unwrap().iter().map(|o| o["siret"].as_str().unwrap().to_owned()));
        match page["nextCursor"].as_str() {
            Some(c) => cursor = Some(c.to_owned()),
            None => break,
        }
    }
    let mut sorted = seen.clone();
    sorted.sort();
    sorted.dedup();
    assert_eq!(seen, sorted, "each once, in SIRET order");
    assert_eq!(seen.len(), 6, "every provisioned organisation: {seen:?}");
    assert_eq!(national(&t, &s, Method::GET, "/organisations?cursor=%25%25", None).await.0, 400);
    assert_eq!(national(&t, &s, Method::GET, "/organisations?limit=0", None).await.0, 400);

    let (status, page) =
        national(&t, &s, Method::GET, &format!("/organisations/{}/{}", MAIRIE_A.0, MAIRIE_A.1), None).await;
    assert_eq!(status, 200);
    assert_eq!(page["name"], "Mairie A");
    assert!(page["subscriptions"].as_array().unwrap().iter().any(|s| s["processCode"] == "CERTDC"));
    let accounts = page["accounts"].as_array().unwrap();
    assert!(accounts.iter().any(|a| a["lastName"] == "Martin" && a["actorType"] == "LOCAL_ADMIN"));
    assert!(accounts.iter().all(|a| a.get("email").is_none() && a.get("passwordHash").is_none()), "{page}");
    assert!(page["apiClients"].as_array().unwrap().iter().any(|c| c["clientId"] == "mairie-a-certdc"));
    assert!(!page.to_string().contains("argon2"));
    assert_eq!(national(&t, &s, Method::GET, "/organisations/21000000000000/00000", None).await.0, 400, "Luhn");
    let unknown = fictional_siret(999);
    assert_eq!(national(&t, &s, Method::GET, &format!("/organisations/{unknown}/00000"), None).await.0, 404);

    // The national administrator reads no dossier, whatever it is given.
    let store = &t.hub().state.store;
    let mut account = store.account(NATIONAL_ADMIN).await.unwrap().unwrap();
    account.roles = vec![hubee_shared::domain::Role::ManageDossiers, hubee_shared::domain::Role::ManageUsers];
    store.save_account(&account).await.unwrap();
    for path in ["/cases", "/accounts", "/subscriptions"] {
        assert_eq!(t.portal_as(&s, Method::GET, path).send().await.unwrap().status(), 403, "{path}");
    }
}

#[tokio::test]
async fn a_closed_organisation_gets_no_new_folder_until_reopened() {
    let t = TestHub::spawn().await;
    let s = t.sign_in(NATIONAL_ADMIN, NATIONAL_ADMIN_PASSWORD).await;
    let op = t.operator_token().await;
    let path = format!("/organisations/{}/{}", MAIRIE_B.0, MAIRIE_B.1);
    let (status, closed) = national(&t, &s, Method::PATCH, &path, Some(json!({"closed": true}))).await;
    assert_eq!(status, 200);
    assert!(closed["closedAt"].is_string());
    let (status, err) = create(&t, &op, &certdc_folder("DGS-CLOSED-1").0).await;
    assert_eq!(status, 400);
    assert_eq!(first_error(&err).1, format!("Case recipient SI-{}-{} is closed", MAIRIE_B.0, MAIRIE_B.1));
    assert_eq!(national(&t, &s, Method::PATCH, &path, Some(json!({"closed": false}))).await.0, 200);
    assert_eq!(create(&t, &op, &certdc_folder("DGS-CLOSED-1").0).await.0, 201);
}

#[tokio::test]
async fn the_procedures_rules_are_enforced_by_the_api_and_offered_by_the_portal() {
    let t = TestHub::spawn().await;
    let s = t.sign_in(NATIONAL_ADMIN, NATIONAL_ADMIN_PASSWORD).await;
    let rules = json!({"awaitingComplements": false, "instructingDeposits": false, "messages": false});
    assert_eq!(national(&t, &s, Method::PATCH, "/procedures/CERTDC", Some(rules)).await.0, 200);
    let (op, si) = (t.operator_token().await, t.si_token().await);
    let (body, files) = certdc_folder("DGS-RULES-1");
    let folder = deposit(&t, &op, &body, &files).await;
    let case = folder["cases"][0]["id"].as_str().unwrap().to_owned();
    let events = format!("/cases/{case}/events");
    let post = |token: &str, body: Value| t.api(token, Method::POST, &events).json(&body).send();

    let file = json!([{"fileName": "x.pdf", "type": "PJ", "size": 3, "mimeType": "application/pdf"}]);
    for (who, token, body, message) in [
        (
            "SI",
            &si,
            json!({"actionType": "STATUS_UPDATE", "caseNewStatus": "ADD_AWAITING", "notification": true}),
            "Procedure CERTDC does not allow asking for complements (ADD_AWAITING)",
        ),
        (
            "SI",
            &si,
            json!({"actionType": "SENDING_MESSAGE", "message": "Bonjour", "notification": true}),
            "Procedure CERTDC does not allow messages",
        ),
        (
            "OSL",
            &op,
            json!({"actionType": "SENDING_MESSAGE", "message": "Bonjour", "notification": true}),
            "Procedure CERTDC does not allow messages",
        ),
        (
            "SI",
            &si,
            json!({"actionType": "ATTACH_DEPOSIT", "notification": true, "attachments": file}),
            "Procedure CERTDC does not take deposits from instructing services",
        ),
    ] {
        let (status, err) = answer(post(token, body.clone()).await.unwrap()).await;
        assert_eq!((status, first_error(&err).1.as_str()), (400, message), "{who} {body}");
    }
    // What the rules allow still goes through.
    let (status, _) = answer(
        post(&si, json!({"actionType": "STATUS_UPDATE", "caseNewStatus": "IN_PROGRESS", "notification": true}))
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, 201);

    // The portal offers the agent only what the procedure allows, and refuses the rest.
    let agent = t.sign_in("agent@mairie-a.example", "Agent-Test-2026!").await;
    let (_, page) = answer(t.portal_as(&agent, Method::GET, &format!("/cases/{case}")).send().await.unwrap()).await;
    let actions: Vec<&str> = page["actions"].as_array().unwrap().iter().map(|a| a.as_str().unwrap()).collect();
    assert!(!actions.contains(&"REQUEST_COMPLEMENTS") && actions.contains(&"FINISH"), "{actions:?}");
    assert_eq!(page["depositsAllowed"], false);
    let r = t
        .portal_as(&agent, Method::POST, &format!("/cases/{case}/status"))
        .json(&json!({"action": "REQUEST_COMPLEMENTS"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);

    // Per emitter: the instructing service's own limit.
    let rules = json!({"instructingDeposits": true, "instructingMaxAttachmentSize": 2});
    assert_eq!(national(&t, &s, Method::PATCH, "/procedures/CERTDC", Some(rules)).await.0, 200);
    let (status, err) = answer(
        post(&si, json!({"actionType": "ATTACH_DEPOSIT", "notification": true, "attachments": file})).await.unwrap(),
    )
    .await;
    assert_eq!(status, 400);
    assert!(first_error(&err).1.contains("larger than the 2 bytes"), "{err}");
    let (_, page) = answer(t.portal_as(&agent, Method::GET, &format!("/cases/{case}")).send().await.unwrap()).await;
    assert_eq!(page["depositsAllowed"], true);
}

#[tokio::test]
async fn the_national_team_decides_subscriptions_and_the_local_administrators_hear_of_it() {
    let t = TestHub::spawn().await;
    let s = t.sign_in(NATIONAL_ADMIN, NATIONAL_ADMIN_PASSWORD).await;
    let r = t.portal_as(&s, Method::GET, "/national/subscriptions?processCode=CERTDC").send().await.unwrap();
    let range = r.headers()["content-range"].to_str().unwrap().to_owned();
    let (_, subs) = answer(r).await;
    assert!(range.starts_with("subscriptions 0-"), "{range}");
    let mairie_a = subs
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["subscriber"]["companyRegister"] == MAIRIE_A.0)
        .expect("Mairie A subscribes to CERTDC");
    let decision = format!("/subscriptions/{}/decision", mairie_a["id"].as_str().unwrap());
    let decide = |body: Value| national(&t, &s, Method::POST, &decision, Some(body));

    // Suspended: its API client is refused, its local administrator told.
    let si = t.si_token().await;
    let (status, suspended) = decide(json!({"decision": "SUSPEND", "reason": "Contrôle de sécurité"})).await;
    assert_eq!((status, suspended["status"].as_str()), (200, Some("Suspendu")), "{suspended}");
    let (status, err) = answer(t.api(&si, Method::GET, "/notifications").send().await.unwrap()).await;
    assert_eq!((status, first_error(&err).0), (401, 900901));
    let mail = email_starting(&t, PORTAL_ADMIN, "HubEE : abonnement suspendu").await;
    assert!(mail.text.contains("Motif : Contrôle de sécurité"), "{}", mail.text);
    // A decision that does not fit the status is refused; resumed, the client works again.
    assert_eq!(decide(json!({"decision": "VALIDATE"})).await.0, 400);
    assert_eq!(decide(json!({"decision": "RESUME"})).await.1["status"], "Actif");
    email_starting(&t, PORTAL_ADMIN, "HubEE : abonnement rétabli").await;
    let fresh = t.si_token().await;
    assert_eq!(answer(t.api(&fresh, Method::GET, "/notifications").send().await.unwrap()).await.0, 200);
    let (_, ended) = decide(json!({"decision": "END"})).await;
    assert_eq!((ended["status"].as_str(), ended["endDateTime"].is_string()), (Some("Suspendu"), true));

    // A new subscription (Inactif) is refused with its reason, which the referential shows.
    let admin_token = t.admin_token().await;
    let new = json!({"datapassId": 9100, "processCode": "CERTDC", "subscriber": recipient(MAIRIE_UNSUBSCRIBED),
                     "accessMode": "PORTAIL", "notificationFrequency": "unitaire", "email": "deces@mairie-c.example",
                     "localAdministrator": {"firstName": "Jeanne", "lastName": "Roy", "email": "admin@mairie-c.example"}});
    let r = t.referential(&admin_token, Method::POST, "/subscriptions").json(&new).send().await.unwrap();
    let (_, created) = answer(r).await;
    let path = format!("/subscriptions/{}/decision", created["id"].as_str().unwrap());
    let (status, err) = national(&t, &s, Method::POST, &path, Some(json!({"decision": "REFUSE"}))).await;
    assert_eq!((status, first_error(&err).1.as_str()), (400, "A refusal needs a reason"));
    let body = json!({"decision": "REFUSE", "reason": "SIRET d'une autre commune"});
    let (status, refused) = national(&t, &s, Method::POST, &path, Some(body)).await;
    assert_eq!((status, refused["status"].as_str()), (200, Some("Refusé")));
    assert_eq!(refused["rejectionReason"], "SIRET d'une autre commune");

    let (_, journal) = national(&t, &s, Method::GET, "/journal", None).await;
    let actions: Vec<&str> =
        journal["items"].as_array().unwrap().iter().map(|a| a["action"].as_str().unwrap()).collect();
    assert_eq!(actions, ["subscription.refuse", "subscription.end", "subscription.resume", "subscription.suspend"]);
}

#[tokio::test]
async fn support_finds_an_account_unlocks_suspends_and_resends_its_activation() {
    let t = TestHub::spawn().await;
    let s = t.sign_in(NATIONAL_ADMIN, NATIONAL_ADMIN_PASSWORD).await;
    let agent = "agent@mairie-a.example";
    for _ in 0..hubee_shared::domain::LOCKOUT_FAILURES {
        t.portal_password(agent, "Wrong-Password-1!").await;
    }
    let (status, found) = national(&t, &s, Method::GET, "/accounts?q=AGENT%40mairie-a.example", None).await;
    assert_eq!(status, 200);
    let a = &found["items"][0];
    assert_eq!((a["email"].as_str(), a["lastName"].as_str()), (Some(agent), Some("Petit")));
    assert!(a["lockedUntil"].is_string(), "{a}");
    assert!(!found.to_string().contains("argon2") && a.get("passwordHash").is_none());
    let (_, by_name) = national(&t, &s, Method::GET, "/accounts?q=pétit", None).await;
    assert!(by_name["items"].as_array().unwrap().iter().any(|a| a["email"] == agent), "{by_name}");

    // Unlocked, the agent signs in; support sees when.
    let path = "/accounts/agent%40mairie-a.example";
    let (status, unlocked) = national(&t, &s, Method::POST, &format!("{path}/unlock"), None).await;
    assert_eq!((status, unlocked.get("lockedUntil")), (200, None));
    let session = t.sign_in(agent, "Agent-Test-2026!").await;
    assert!(national(&t, &s, Method::GET, path, None).await.1["lastSignIn"].is_string());

    // Suspended: the live session ends; reinstated, the agent signs in again.
    assert_eq!(national(&t, &s, Method::POST, &format!("{path}/suspension"), None).await.1["active"], false);
    assert_eq!(t.portal_as(&session, Method::GET, "/me").send().await.unwrap().status(), 401);
    assert_eq!(national(&t, &s, Method::DELETE, &format!("{path}/suspension"), None).await.1["active"], true);
    t.sign_in(agent, "Agent-Test-2026!").await;
    let own = format!("/accounts/{}/suspension", NATIONAL_ADMIN.replace('@', "%40"));
    assert_eq!(national(&t, &s, Method::POST, &own, None).await.0, 400, "nobody suspends themselves");

    // An account waiting for activation gets its link again; an activated one is refused.
    let admin_token = t.admin_token().await;
    let new = json!({"datapassId": 9200, "processCode": "CERTDC", "subscriber": recipient(MAIRIE_UNSUBSCRIBED),
                     "accessMode": "PORTAIL", "notificationFrequency": "unitaire", "email": "deces@mairie-c.example",
                     "localAdministrator": {"firstName": "Jeanne", "lastName": "Roy", "email": "admin@mairie-c.example"}});
    t.referential(&admin_token, Method::POST, "/subscriptions").json(&new).send().await.unwrap();
    t.wait_for_email_with_subject("admin@mairie-c.example", "HubEE : activez votre compte", 1).await;
    let (status, waiting) = national(&t, &s, Method::POST, "/accounts/admin%40mairie-c.example/activation", None).await;
    assert_eq!((status, waiting["activated"].as_bool()), (200, Some(false)));
    t.wait_for_email_with_subject("admin@mairie-c.example", "HubEE : activez votre compte", 2).await;
    assert_eq!(national(&t, &s, Method::POST, &format!("{path}/activation"), None).await.0, 400);

    let (_, journal) = national(&t, &s, Method::GET, "/journal", None).await;
    let actions: Vec<&str> =
        journal["items"].as_array().unwrap().iter().map(|a| a["action"].as_str().unwrap()).collect();
    assert_eq!(actions, ["account.resendActivation", "account.reinstate", "account.suspend", "account.unlock"]);
}

#[tokio::test]
async fn a_failed_email_is_listed_platform_wide_and_sent_again() {
    use hubee_shared::domain::{Email, MailItem, MailMessage, OutboxStatus};
    let t = TestHub::spawn().await;
    let s = t.sign_in(NATIONAL_ADMIN, NATIONAL_ADMIN_PASSWORD).await;
    // A reset e-mail that failed for good (as the dispatcher parks it after its last retry).
    let state = &t.hub().state;
    let now = state.clock.now();
    let message = MailMessage::ResetLink { email: Email::parse(PORTAL_ADMIN).unwrap() };
    let failed = MailItem {
        status: OutboxStatus::Failed,
        attempts: 5,
        last_error: Some("mailer refused: 550".into()),
        done_at: Some(now),
        ..MailItem::new(uuid::Uuid::new_v4(), message, now)
    };
    state.store.commit(vec![state.store.create_mail_write(&failed).unwrap()]).await.unwrap();

    let (status, list) = national(&t, &s, Method::GET, "/deliveries", None).await;
    assert_eq!(status, 200);
    let item = &list["items"][0];
    assert_eq!(
        (item["kind"].as_str(), item["message"].as_str(), item["to"].as_str()),
        (Some("MAIL"), Some("RESET_LINK"), Some(PORTAL_ADMIN))
    );
    assert_eq!(item["lastError"], "mailer refused: 550");
    let resend = format!("/deliveries/{}/resend", failed.id);
    let (status, pending) = national(&t, &s, Method::POST, &resend, None).await;
    assert_eq!((status, pending["status"].as_str(), pending["attempts"].as_u64()), (200, Some("PENDING"), Some(0)));
    t.wait_for_email_with_subject(PORTAL_ADMIN, "HubEE : réinitialisation de votre mot de passe", 1).await;
    assert_eq!(national(&t, &s, Method::POST, &resend, None).await.0, 400, "no longer failed");
    assert_eq!(national(&t, &s, Method::GET, "/deliveries", None).await.1["items"], json!([]));
}

#[tokio::test]
async fn a_commune_merger_moves_every_case_event_and_notification_once() {
    let t = TestHub::spawn().await;
    let (op, si_a, admin) = (t.operator_token().await, t.si_token().await, t.admin_token().await);
    let mut cases_a = Vec::new();
    for n in 1..=2 {
        let (body, files) = certdc_folder(&format!("DGS-MERGE-{n}"));
        let folder = deposit(&t, &op, &body, &files).await;
        cases_a.push(folder["cases"][0]["id"].as_str().unwrap().to_owned());
    }
    // Mairie A acknowledges one: an event it sent.
    let ack = json!({"actionType": "STATUS_UPDATE", "caseNewStatus": "SI_RECEIVED", "notification": true});
    let path = format!("/cases/{}/events", cases_a[0]);
    assert_eq!(answer(t.api(&si_a, Method::POST, &path).json(&ack).send().await.unwrap()).await.0, 201);

    let migrate = |token: &str, body: Value| {
        t.request(Method::PUT, "/teledossiers/v1/cases/migrate").bearer_auth(token.to_owned()).json(&body).send()
    };
    let body = json!({"organizationSource": recipient(MAIRIE_A), "organizationTarget": recipient(MAIRIE_B),
                      "processCode": "CERTDC"});
    assert_eq!(answer(migrate(&op, body.clone()).await.unwrap()).await.0, 403, "the platform only");
    let unsubscribed =
        json!({"organizationSource": recipient(MAIRIE_A), "organizationTarget": recipient(MAIRIE_UNSUBSCRIBED)});
    let (status, err) = answer(migrate(&admin, unsubscribed).await.unwrap()).await;
    assert_eq!((status, first_error(&err).1.as_str()), (400, "organizationTarget is not subscribed to CERTDC"));
    let unknown = json!({"organizationSource": recipient((fictional_siret(7).as_str(), "00000")), "organizationTarget": recipient(MAIRIE_B)});
    assert_eq!(answer(migrate(&admin, unknown).await.unwrap()).await.0, 404);

    let (status, done) = answer(migrate(&admin, body.clone()).await.unwrap()).await;
    assert_eq!(status, 200, "{done}");
    assert_eq!((done["caseUpdated"].as_u64(), done["done"].as_bool()), (Some(2), Some(true)));
    assert!(done["notificationsUpdated"].as_u64().unwrap() >= 2, "{done}");
    let (_, again) = answer(migrate(&admin, body).await.unwrap()).await;
    assert_eq!(
        (again["caseUpdated"].as_u64(), again["notificationsUpdated"].as_u64()),
        (Some(0), Some(0)),
        "idempotent"
    );

    // Mairie A sees nothing more; Mairie B sees the cases, their events from B, its notifications.
    let case_path = format!("/cases/{}", cases_a[0]);
    assert_ne!(answer(t.api(&si_a, Method::GET, &case_path).send().await.unwrap()).await.0, 200);
    let (_, notes_a) = answer(t.api(&si_a, Method::GET, "/notifications").send().await.unwrap()).await;
    assert!(!notes_a.to_string().contains(&cases_a[0]), "{notes_a}");
    let si_b = t.si_b_token().await;
    let (status, case) = answer(t.api(&si_b, Method::GET, &case_path).send().await.unwrap()).await;
    assert_eq!((status, case["recipient"]["companyRegister"].as_str()), (200, Some(MAIRIE_B.0)));
    let (_, notes_b) = answer(t.api(&si_b, Method::GET, "/notifications").send().await.unwrap()).await;
    assert!(notes_b.to_string().contains(&cases_a[1]), "{notes_b}");
    let events = case["events"].as_array().expect("the case's events");
    let ack = events.iter().find(|e| e["actionType"] == "STATUS_UPDATE").expect("the acknowledgement");
    assert_eq!(ack["transmitter"]["companyRegister"], MAIRIE_B.0, "sent by the merged commune");
    // The portal's counters follow: A's inbox is empty, B's holds its own two and the two moved.
    let agent_a = t.sign_in("agent@mairie-a.example", "Agent-Test-2026!").await;
    let (_, inbox_a) = answer(t.portal_as(&agent_a, Method::GET, "/cases").send().await.unwrap()).await;
    assert_eq!((inbox_a["counts"]["TOUS"].as_i64(), inbox_a["items"].as_array().unwrap().len()), (Some(0), 0));
    let agent_b = t.sign_in("agent@mairie-b.example", "AgentB-Test-2026!").await;
    let (_, inbox_b) = answer(t.portal_as(&agent_b, Method::GET, "/cases").send().await.unwrap()).await;
    assert_eq!((inbox_b["counts"]["TOUS"].as_i64(), inbox_b["items"].as_array().unwrap().len()), (Some(4), 4));
    assert_eq!(inbox_b["counts"]["RECU"].as_i64(), Some(1), "the acknowledged case keeps its tab");
    // So do the statistics: the moved dossiers count for Mairie B, no longer for Mairie A.
    let admin_a = t.sign_in(PORTAL_ADMIN, PORTAL_ADMIN_PASSWORD).await;
    let r = t.portal_as(&admin_a, Method::GET, "/statistics?processCode=CERTDC").send().await.unwrap();
    let (status, page) = answer(r).await;
    assert_eq!((status, page["procedures"][0]["total"]["transmitted"].as_i64()), (200, Some(0)), "{page}");

    // The national pages run the same operation; the journal names who ran each.
    let s = t.sign_in(NATIONAL_ADMIN, NATIONAL_ADMIN_PASSWORD).await;
    let of_b = format!("/statistics?siret={}&branchCode={}&processCode=CERTDC", MAIRIE_B.0, MAIRIE_B.1);
    let (status, page) = national(&t, &s, Method::GET, &of_b, None).await;
    assert_eq!((status, page["procedures"][0]["total"]["transmitted"].as_i64()), (200, Some(4)), "{page}");
    let back = json!({"source": {"siret": MAIRIE_B.0, "branchCode": MAIRIE_B.1},
                      "target": {"siret": MAIRIE_A.0, "branchCode": MAIRIE_A.1}, "processCode": "CERTDC"});
    let (status, moved) = national(&t, &s, Method::POST, "/migrations", Some(back)).await;
    assert_eq!((status, moved["caseUpdated"].as_u64()), (200, Some(4)), "{moved}");
    let (_, journal) = national(&t, &s, Method::GET, "/journal", None).await;
    let who: Vec<&str> = journal["items"].as_array().unwrap().iter().map(|a| a["actor"].as_str().unwrap()).collect();
    assert_eq!(who, [NATIONAL_ADMIN, "hubee-admin", "hubee-admin"]);
}

/// Upgrading a deployment: the accounts and API clients an older version stored, without their
/// entry in the national listings, are listed once `reindex` has run.
#[tokio::test]
async fn reindexing_lists_what_an_older_version_stored() {
    use hubee_shared::ports::{Condition, Index, Query};
    let t = TestHub::spawn().await;
    let s = t.sign_in(NATIONAL_ADMIN, NATIONAL_ADMIN_PASSWORD).await;
    let listed = |path: &'static str| {
        let (t, s) = (&t, &s);
        async move {
            let (status, page) = national(t, s, Method::GET, path, None).await;
            assert_eq!(status, 200, "{page}");
            page["items"].as_array().unwrap().len()
        }
    };
    let (clients, accounts) = (listed("/api-clients").await, listed("/accounts?q=martin").await);
    assert!(clients > 3 && accounts == 1, "{clients} clients, {accounts} accounts");

    // As an older version wrote them: no GSI2 entry.
    let table = &t.hub().table;
    for listing in ["CLIENTS", "ACCOUNTS"] {
        for mut item in table.query(Query::index(Index::Gsi2, listing)).await.unwrap().items {
            item.remove("GSI2PK");
            item.remove("GSI2SK");
            table.put(item, Condition::Exists).await.unwrap();
        }
    }
    assert_eq!((listed("/api-clients").await, listed("/accounts?q=martin").await), (0, 0));

    t.maintenance(hubee_local::maintenance::Command::Reindex).await;
    assert_eq!((listed("/api-clients").await, listed("/accounts?q=martin").await), (clients, accounts));
}
