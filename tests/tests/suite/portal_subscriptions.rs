//! Local administrators on the portal's subscription pages, black-box against the local hub:
//! deliveries, notifications, API credentials shown once and rotated with an overlap, access
//! mode, activation date, delegate, and who may do what.

#![allow(clippy::unwrap_used, clippy::expect_used)] // Test code: a failed step is a failed test.

use base64::{Engine, engine::general_purpose::STANDARD};
use hubee_tests::{folders::*, *};
use reqwest::Method;
use serde_json::{Value, json};

async fn get(t: &TestHub, s: &PortalSession, path: &str) -> (u16, Value) {
    answer(t.portal_as(s, Method::GET, path).send().await.unwrap()).await
}

async fn send(t: &TestHub, s: &PortalSession, method: Method, path: &str, body: Value) -> (u16, Value) {
    answer(t.portal_as(s, method, path).json(&body).send().await.unwrap()).await
}

async fn token_status(t: &TestHub, id: &str, secret: &str) -> u16 {
    t.request(Method::POST, "/token")
        .header("authorization", format!("Basic {}", STANDARD.encode(format!("{id}:{secret}"))))
        .header("content-type", "application/x-www-form-urlencoded")
        .body("grant_type=client_credentials&scope=SI")
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

#[tokio::test]
async fn an_administrator_manages_the_subscriptions_of_the_mairie() {
    let t = TestHub::spawn().await;
    let op = t.operator_token().await;
    let (body, files) = certdc_folder("DGS-CERTDC-0500");
    deposit(&t, &op, &body, &files).await;
    t.wait_for_emails("etat-civil@mairie-a.example", 1).await;
    let admin = t.sign_in("admin@mairie-a.example", "Admin-Test-2026!").await;

    let (status, list) = get(&t, &admin, "/subscriptions").await;
    assert_eq!(status, 200, "{list}");
    let codes: Vec<_> = list["items"].as_array().unwrap().iter().map(|s| s["processCode"].as_str().unwrap()).collect();
    assert_eq!(codes, ["CERTDC", "STRICTDEMO"], "Mairie A's subscriptions only");
    let certdc = list["items"][0]["id"].as_str().unwrap().to_owned();
    let strict = list["items"][1]["id"].as_str().unwrap().to_owned();

    // The detail shows the latest deliveries.
    let (_, detail) = get(&t, &admin, &format!("/subscriptions/{certdc}")).await;
    assert_eq!(detail["subscriber"]["name"], "Mairie A");
    assert_eq!(detail["deliveries"][0]["status"], "SENT");
    assert_eq!(detail["deliveries"][0]["to"], "etat-civil@mairie-a.example");

    // Notifications: frequency and address.
    let path = format!("/subscriptions/{certdc}/notifications");
    let (status, changed) = send(
        &t,
        &admin,
        Method::PUT,
        &path,
        json!({"notificationFrequency": "quotidienne", "email": "bal@mairie-a.example"}),
    )
    .await;
    assert_eq!(
        (status, changed["notificationFrequency"].as_str(), changed["email"].as_str()),
        (200, Some("quotidienne"), Some("bal@mairie-a.example"))
    );
    assert_eq!(send(&t, &admin, Method::PUT, &path, json!({"notificationFrequency": "hebdo"})).await.0, 400);

    // API mode: credentials shown once; a regeneration keeps the previous secret a while.
    let (status, api) =
        send(&t, &admin, Method::PUT, &format!("/subscriptions/{certdc}/access-mode"), json!({"accessMode": "API"}))
            .await;
    assert_eq!(status, 200, "{api}");
    let id = api["credentials"]["clientId"].as_str().unwrap().to_owned();
    let first = api["credentials"]["clientSecret"].as_str().unwrap().to_owned();
    assert_eq!(token_status(&t, &id, &first).await, 200, "the credentials obtain a token");
    let (_, again) = get(&t, &admin, &format!("/subscriptions/{certdc}")).await;
    assert!(!again.to_string().contains(&first), "the secret is never shown again");
    let (status, rotated) =
        send(&t, &admin, Method::POST, &format!("/subscriptions/{certdc}/credentials"), json!({})).await;
    assert_eq!(status, 200, "{rotated}");
    let second = rotated["clientSecret"].as_str().unwrap().to_owned();
    assert!(rotated["previousSecretValidUntil"].is_string());
    assert_eq!(token_status(&t, &id, &second).await, 200);
    assert_eq!(token_status(&t, &id, &first).await, 200, "the previous secret still works during the overlap");
    // Back to the portal: the client is disabled.
    send(&t, &admin, Method::PUT, &format!("/subscriptions/{certdc}/access-mode"), json!({"accessMode": "PORTAIL"}))
        .await;
    assert_eq!(token_status(&t, &id, &second).await, 401);

    // Activation date: in the future the subscription waits and refuses folders; today it is active.
    let activation = format!("/subscriptions/{strict}/activation");
    let (status, later) =
        send(&t, &admin, Method::PUT, &activation, json!({"activateDateTime": "2099-01-01T00:00:00.000Z"})).await;
    assert_eq!((status, later["status"].as_str()), (200, Some("Inactif")));
    let strict_body = json!({
        "externalId": "DGS-STRICT-9", "processCode": "STRICTDEMO", "applicant": {"firstName": "A", "lastName": "B"},
        "cases": [{"externalId": "S", "recipient": recipient(MAIRIE_A)}],
        "attachments": [{"fileName": "a.pdf", "type": "T", "size": 1, "mimeType": "application/pdf", "recipients": ["S"]}]
    });
    assert_eq!(create(&t, &op, &strict_body).await.0, 400, "an inactive subscription receives nothing");
    // A day in the past is refused, and nothing changes; today activates at once.
    let (status, err) =
        send(&t, &admin, Method::PUT, &activation, json!({"activateDateTime": "2020-01-01T00:00:00.000Z"})).await;
    assert_eq!(
        (status, first_error(&err).1.as_str()),
        (400, "The activation date cannot be in the past: choose today or a later day")
    );
    let (_, unchanged) =
        answer(t.portal_as(&admin, Method::GET, &format!("/subscriptions/{strict}")).send().await.unwrap()).await;
    assert_eq!(unchanged["status"], "Inactif", "{unchanged}");
    let today = hubee_shared::domain::format_time(chrono::Utc::now());
    let (_, now) = send(&t, &admin, Method::PUT, &activation, json!({"activateDateTime": today})).await;
    assert_eq!(now["status"], "Actif", "{now}");
    assert_eq!(create(&t, &op, &strict_body).await.0, 201);

    // The technical delegate: a new address needs names and gets an account and its activation
    // link; an existing delegate is kept; an agent's address cannot be a delegate.
    let path = format!("/subscriptions/{strict}/delegate");
    assert_eq!(send(&t, &admin, Method::PUT, &path, json!({"email": "support@editeur.example"})).await.0, 400);
    let body = json!({"email": "support@editeur.example", "firstName": "Paul", "lastName": "Support"});
    let (status, delegated) = send(&t, &admin, Method::PUT, &path, body).await;
    assert_eq!(
        (status, delegated["technicalDelegate"].as_str()),
        (200, Some("support@editeur.example")),
        "{delegated}"
    );
    t.wait_for_email_with_subject("support@editeur.example", ACTIVATION_SUBJECT, 1).await;
    let account = t.hub().state.store.account("support@editeur.example").await.unwrap().unwrap();
    assert_eq!(account.actor_type, hubee_shared::domain::ActorType::TechnicalDelegate);
    assert_eq!(send(&t, &admin, Method::PUT, &path, json!({"email": "delegue@editeur.example"})).await.0, 200);
    assert_eq!(send(&t, &admin, Method::PUT, &path, json!({"email": "agent@mairie-a.example"})).await.0, 400);
}

#[tokio::test]
async fn agents_and_other_organisations_cannot_touch_the_subscriptions() {
    let t = TestHub::spawn().await;
    let admin = t.sign_in("admin@mairie-a.example", "Admin-Test-2026!").await;
    let (_, list) = get(&t, &admin, "/subscriptions").await;
    let certdc = list["items"][0]["id"].as_str().unwrap().to_owned();
    let agent = t.sign_in("agent@mairie-a.example", "Agent-Test-2026!").await;
    assert_eq!(get(&t, &agent, "/subscriptions").await.0, 403, "no subscription role");
    let other = t.sign_in("agent@mairie-b.example", "AgentB-Test-2026!").await;
    assert_eq!(get(&t, &other, &format!("/subscriptions/{certdc}")).await.0, 403);
    assert_eq!(t.portal(Method::GET, "/subscriptions").send().await.unwrap().status(), 401);
    let r = t
        .portal_cookie(&admin.cookie, Method::PUT, &format!("/subscriptions/{certdc}/access-mode"))
        .json(&json!({"accessMode": "API"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403, "no CSRF token, no change");
    assert_eq!(get(&t, &admin, &format!("/subscriptions/{}", uuid::Uuid::new_v4())).await.0, 404);
    assert_eq!(get(&t, &admin, "/subscriptions/not-a-uuid").await.0, 400);
}

#[tokio::test]
async fn the_subscriptions_show_what_each_procedure_is_and_the_texts_it_rests_on() {
    let t = TestHub::spawn().await;
    let national = t.sign_in(NATIONAL_ADMIN, NATIONAL_ADMIN_PASSWORD).await;
    let texts = json!({"description": "Le certificat de décès rédigé par le médecin.",
                       "legalFramework": "Code général des collectivités territoriales, article L. 2223-42."});
    let (status, body) = send(&t, &national, Method::PATCH, "/national/procedures/CERTDC", texts).await;
    assert_eq!(status, 200, "{body}");

    let admin = t.sign_in(PORTAL_ADMIN, PORTAL_ADMIN_PASSWORD).await;
    let (_, list) = get(&t, &admin, "/subscriptions").await;
    let rows = list["items"].as_array().unwrap();
    let certdc = rows.iter().find(|s| s["processCode"] == "CERTDC").unwrap();
    assert_eq!(certdc["procedureDescription"], "Le certificat de décès rédigé par le médecin.");
    assert_eq!(certdc["legalFramework"], "Code général des collectivités territoriales, article L. 2223-42.");
    let (_, detail) = get(&t, &admin, &format!("/subscriptions/{}", certdc["id"].as_str().unwrap())).await;
    assert_eq!(detail["legalFramework"], certdc["legalFramework"], "the detail too");
    let other = rows.iter().find(|s| s["processCode"] != "CERTDC").unwrap();
    assert!(other.get("procedureDescription").is_none() && other.get("legalFramework").is_none(), "none written");
}
