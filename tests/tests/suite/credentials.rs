//! API credentials under control, black-box against the local hub: every change of a
//! subscription's API access is recorded and e-mailed to the organisation's local
//! administrators, a previous secret can be revoked at once, and a token stops working as soon
//! as its client is disabled, its secret revoked, or its subscription suspended.

#![allow(clippy::unwrap_used, clippy::expect_used)] // Test code: a failed step is a failed test.

use std::sync::Arc;

use chrono::Duration;
use hubee_shared::{adapters::ManualClock, domain::parse_time};
use hubee_tests::*;
use reqwest::Method;
use serde_json::{Value, json};

const NOTICE_SUBJECT: &str = "HubEE : accès API modifié pour « Certificat de décès électronique »";
const SECOND_ADMIN: &str = "admin2@mairie-a.example";
const DELEGATE: &str = "delegue@editeur.example";

async fn send(t: &TestHub, s: &PortalSession, method: Method, path: &str, body: Option<Value>) -> (u16, Value) {
    let r = t.portal_as(s, method, path);
    let r = match body {
        Some(b) => r.json(&b),
        None => r,
    };
    answer(r.send().await.unwrap()).await
}

/// The id of Mairie A's CERTDC subscription, as the portal lists it.
async fn certdc(t: &TestHub, s: &PortalSession) -> String {
    let (status, list) = send(t, s, Method::GET, "/subscriptions", None).await;
    assert_eq!(status, 200, "{list}");
    let item = list["items"].as_array().unwrap().iter().find(|i| i["processCode"] == "CERTDC").expect("CERTDC");
    item["id"].as_str().unwrap().to_owned()
}

async fn token_status(t: &TestHub, id: &str, secret: &str) -> u16 {
    t.token_response(id, secret, "SI").await.status().as_u16()
}

/// What an API call with this token answers.
async fn api_status(t: &TestHub, token: &str) -> u16 {
    t.api(token, Method::GET, "/notifications").send().await.unwrap().status().as_u16()
}

async fn access_mode(t: &TestHub, s: &PortalSession, id: &str, mode: &str) -> Value {
    let path = format!("/subscriptions/{id}/access-mode");
    let (status, body) = send(t, s, Method::PUT, &path, Some(json!({"accessMode": mode}))).await;
    assert_eq!(status, 200, "{body}");
    body
}

/// The referential API's `PUT /subscriptions/{id}` with the subscription's status changed.
async fn set_status(t: &TestHub, id: &str, status: &str) {
    let admin = t.admin_token().await;
    let r = t.referential(&admin, Method::GET, &format!("/subscriptions/{id}")).send().await.unwrap();
    let (code, mut body) = answer(r).await;
    assert_eq!(code, 200, "{body}");
    body["status"] = json!(status);
    // A provisioned subscription lacks what the contract requires of an update.
    body["datapassId"] = json!(1);
    body["localAdministrator"] = json!({"firstName": "Alice", "lastName": "Martin", "email": PORTAL_ADMIN});
    let r = t.referential(&admin, Method::PUT, &format!("/subscriptions/{id}")).json(&body).send().await.unwrap();
    let (code, body) = answer(r).await;
    assert_eq!(code, 200, "{body}");
}

#[tokio::test]
async fn every_change_of_api_access_is_recorded_and_emailed_to_every_local_administrator() {
    let t = TestHub::spawn().await;
    let admin = t.sign_in(PORTAL_ADMIN, PORTAL_ADMIN_PASSWORD).await;
    let second = json!({"actorType": "LOCAL_ADMIN", "email": SECOND_ADMIN, "firstName": "Anne", "lastName": "Durand",
                        "phoneNumber": "+33612345678"});
    let (status, created) = send(&t, &admin, Method::POST, "/accounts", Some(second)).await;
    assert_eq!(status, 201, "{created}");
    // The technical delegate, who manages subscriptions but is not an administrator, changes them.
    let delegate = t.sign_in(DELEGATE, "Delegue-Test-2026!").await;
    let id = certdc(&t, &delegate).await;

    let api = access_mode(&t, &delegate, &id, "API").await;
    let client = api["credentials"]["clientId"].as_str().unwrap().to_owned();
    for to in [PORTAL_ADMIN, SECOND_ADMIN] {
        let e = t.wait_for_email_with_subject(to, NOTICE_SUBJECT, 1).await;
        assert!(e.text.contains(&format!("par {DELEGATE}")), "who: {}", e.text);
        assert!(e.text.contains("mode API") && e.text.contains(&client), "what: {}", e.text);
        assert!(e.html.contains(&format!("/abonnements/{id}")), "a link to the subscription");
    }
    let path = format!("/subscriptions/{id}/credentials");
    assert_eq!(send(&t, &delegate, Method::POST, &path, None).await.0, 200, "regenerated, no body");
    t.wait_for_email_with_subject(PORTAL_ADMIN, NOTICE_SUBJECT, 2).await;
    let (status, revoked) = send(&t, &delegate, Method::DELETE, &format!("{path}/previous"), None).await;
    assert_eq!(status, 200, "{revoked}");
    t.wait_for_email_with_subject(PORTAL_ADMIN, NOTICE_SUBJECT, 3).await;
    access_mode(&t, &delegate, &id, "PORTAIL").await;
    let last = t.wait_for_email_with_subject(SECOND_ADMIN, NOTICE_SUBJECT, 4).await;
    assert!(last.text.contains("mode PORTAIL"), "{}", last.text);
    // Saving the same mode again changes nothing, and tells nobody.
    access_mode(&t, &delegate, &id, "PORTAIL").await;

    let (_, detail) = send(&t, &admin, Method::GET, &format!("/subscriptions/{id}"), None).await;
    let history = detail["credentialHistory"].as_array().unwrap();
    let kinds: Vec<_> = history.iter().map(|e| e["kind"].as_str().unwrap()).collect();
    assert_eq!(kinds, ["ACCESS_MODE", "PREVIOUS_SECRET_REVOKED", "SECRET_REGENERATED", "ACCESS_MODE"], "newest first");
    assert_eq!(history[3]["to"], "API");
    assert_eq!(history[3]["secretIssued"], true);
    assert!(history[2]["previousValidUntil"].is_string());
    for e in history {
        assert_eq!(e["actor"], DELEGATE);
        assert!(e["dateTime"].is_string());
        assert_eq!(e["notified"], json!([SECOND_ADMIN, PORTAL_ADMIN]));
    }
    assert_eq!(t.emails_with_subject(DELEGATE, NOTICE_SUBJECT).len(), 0, "administrators only");
    assert_eq!(t.emails_with_subject("agent@mairie-a.example", NOTICE_SUBJECT).len(), 0);
    assert_eq!(t.emails_with_subject(PORTAL_ADMIN, NOTICE_SUBJECT).len(), 4, "one e-mail per change");
}

#[tokio::test]
async fn a_previous_secret_is_revoked_at_once_with_every_token_it_obtained() {
    let clock = ManualClock::new(parse_time("2026-03-02T09:00:00Z").unwrap());
    let t = TestHub::spawn_with_clock(Arc::new(clock.clone())).await;
    let admin = t.sign_in(PORTAL_ADMIN, PORTAL_ADMIN_PASSWORD).await;
    let id = certdc(&t, &admin).await;
    let api = access_mode(&t, &admin, &id, "API").await;
    let client = api["credentials"]["clientId"].as_str().unwrap().to_owned();
    let first = api["credentials"]["clientSecret"].as_str().unwrap().to_owned();
    let first_token = t.token(&client, &first, "SI").await;
    clock.advance(Duration::seconds(2));

    let path = format!("/subscriptions/{id}/credentials");
    let (_, rotated) = send(&t, &admin, Method::POST, &path, Some(json!({}))).await;
    let second = rotated["clientSecret"].as_str().unwrap().to_owned();
    assert_eq!(token_status(&t, &client, &first).await, 200, "the 24-hour overlap by default");
    assert_eq!(api_status(&t, &first_token).await, 200);
    clock.advance(Duration::seconds(2));

    let (status, revoked) = send(&t, &admin, Method::DELETE, &format!("{path}/previous"), None).await;
    assert_eq!(status, 200, "{revoked}");
    assert_eq!(revoked["apiClient"]["secrets"].as_array().unwrap().len(), 1);
    assert_eq!(token_status(&t, &client, &first).await, 401, "the previous secret is refused at once");
    assert_eq!(api_status(&t, &first_token).await, 401, "and so is every token issued before");
    let second_token = t.token(&client, &second, "SI").await;
    assert_eq!(api_status(&t, &second_token).await, 200, "the new secret works");
    let (status, _) = send(&t, &admin, Method::DELETE, &format!("{path}/previous"), None).await;
    assert_eq!(status, 400, "nothing left to revoke");
    clock.advance(Duration::seconds(2));

    // A leaked secret: regenerate and revoke in one step.
    let (status, leaked) = send(&t, &admin, Method::POST, &path, Some(json!({"revokePrevious": true}))).await;
    assert_eq!(status, 200, "{leaked}");
    assert_eq!(leaked["previousSecretValidUntil"], Value::Null);
    let third = leaked["clientSecret"].as_str().unwrap();
    assert_eq!(token_status(&t, &client, &second).await, 401);
    assert_eq!(api_status(&t, &second_token).await, 401);
    assert_eq!(token_status(&t, &client, third).await, 200);
    let (status, _) = send(&t, &admin, Method::POST, &path, Some(json!({"revokePrevious": "yes"}))).await;
    assert_eq!(status, 400, "a boolean");
}

#[tokio::test]
async fn a_token_stops_working_as_soon_as_its_client_is_disabled() {
    let t = TestHub::spawn().await;
    let admin = t.sign_in(PORTAL_ADMIN, PORTAL_ADMIN_PASSWORD).await;
    let id = certdc(&t, &admin).await;
    let api = access_mode(&t, &admin, &id, "API").await;
    let (client, secret) =
        (api["credentials"]["clientId"].as_str().unwrap(), api["credentials"]["clientSecret"].as_str().unwrap());
    let token = t.token(client, secret, "SI").await;
    assert_eq!(api_status(&t, &token).await, 200);
    access_mode(&t, &admin, &id, "PORTAIL").await;
    let r = t.api(&token, Method::GET, "/notifications").send().await.unwrap();
    let (status, body) = answer(r).await;
    assert_eq!(status, 401, "the token of a disabled client is refused within the hour it was valid for");
    assert_eq!(first_error(&body).0, 900_901);
}

#[tokio::test]
async fn a_suspended_subscription_disables_its_api_clients_until_it_is_reactivated() {
    let clock = ManualClock::new(parse_time("2026-03-02T09:00:00Z").unwrap());
    let t = TestHub::spawn_with_clock(Arc::new(clock.clone())).await;
    let admin = t.sign_in(PORTAL_ADMIN, PORTAL_ADMIN_PASSWORD).await;
    let id = certdc(&t, &admin).await;
    // The portal's client, disabled by hand (back to PORTAIL), and the provisioned client.
    let api = access_mode(&t, &admin, &id, "API").await;
    let (portal_client, portal_secret) = (
        api["credentials"]["clientId"].as_str().unwrap().to_owned(),
        api["credentials"]["clientSecret"].as_str().unwrap().to_owned(),
    );
    access_mode(&t, &admin, &id, "PORTAIL").await;
    let before = t.si_token().await;
    assert_eq!(api_status(&t, &before).await, 200);
    clock.advance(Duration::seconds(2));

    set_status(&t, &id, "Suspendu").await;
    assert_eq!(api_status(&t, &before).await, 401, "a suspended subscription's tokens are refused");
    assert_eq!(token_status(&t, "mairie-a-certdc", &t.secrets.si).await, 401, "and it obtains none");
    let other = t.si_other_procedure_token().await;
    assert_eq!(api_status(&t, &other).await, 200, "the organisation's other subscriptions are untouched");

    clock.advance(Duration::seconds(2));
    set_status(&t, &id, "Actif").await;
    let after = t.si_token().await;
    assert_eq!(api_status(&t, &after).await, 200, "reactivated, its client works again");
    assert_eq!(api_status(&t, &before).await, 401, "tokens from before the suspension stay void");
    assert_eq!(token_status(&t, &portal_client, &portal_secret).await, 401, "a client disabled by hand stays so");

    set_status(&t, &id, "Refusé").await;
    assert_eq!(api_status(&t, &after).await, 401, "a refused subscription disables its clients too");
}
