//! Portal sign-in and sessions, black-box: people sign in with their password and the code the
//! hub e-mails them, carry the session cookie and its CSRF token, are locked out after repeated
//! failures, see their sessions expire, sign out, and choose their password through activation
//! and reset links — all read from the e-mails the hub wrote.

#![allow(clippy::unwrap_used, clippy::expect_used)] // Test code: a failed step is a failed test.

use std::sync::Arc;

use chrono::Duration;
use hubee_shared::{
    adapters::ManualClock,
    domain::{Account, ActorType, BranchCode, Email, OrgId, Siret, parse_time},
};
use hubee_tests::*;
use reqwest::Method;
use serde_json::{Value, json};

const START: &str = "2026-03-01T08:00:00.000Z";
const INVALID_CREDENTIALS: &str = "Invalid e-mail address or password";
const SIGN_IN_AGAIN: &str = "This code has expired or can no longer be used: sign in again";
const NOT_SIGNED_IN: &str = "Not signed in, or the session has expired: sign in again";
const INVALID_LINK: &str = "This link is invalid, has expired or was already used: ask for a new one";

async fn hub_with_clock() -> (TestHub, ManualClock) {
    let clock = ManualClock::new(parse_time(START).unwrap());
    (TestHub::spawn_with_clock(Arc::new(clock.clone())).await, clock)
}

async fn me(t: &TestHub, cookie: &str) -> (u16, Value) {
    answer(t.portal_cookie(cookie, Method::GET, "/me").send().await.unwrap()).await
}

fn messages(body: &Value) -> Vec<&str> {
    body["errors"].as_array().unwrap().iter().map(|e| e["message"].as_str().unwrap()).collect()
}

/// `POST /portail/v1/password` with a link's token.
async fn set_password(t: &TestHub, token: &str, password: &str) -> (u16, Value) {
    let body = json!({"token": token, "password": password});
    answer(t.portal(Method::POST, "/password").json(&body).send().await.unwrap()).await
}

async fn forgotten(t: &TestHub, email: &str) -> (u16, Value) {
    answer(t.portal(Method::POST, "/password/forgotten").json(&json!({"email": email})).send().await.unwrap()).await
}

#[tokio::test]
async fn a_person_signs_in_with_the_password_then_the_emailed_code_and_reads_their_profile() {
    let t = TestHub::spawn().await;
    let (status, challenge) = t.portal_password("Admin@Mairie-A.example", PORTAL_ADMIN_PASSWORD).await;
    assert_eq!(status, 200, "{challenge}");
    assert_eq!(challenge["email"], PORTAL_ADMIN, "the address the code went to");
    let email = t.wait_for_email_with_subject(PORTAL_ADMIN, SIGN_IN_SUBJECT, 1).await;
    assert!(email.text.contains("Veuillez utiliser ce mot de passe à usage unique"), "{}", email.text);
    let code = code_in(&email).unwrap();

    let r = t.portal_code(&challenge["challengeId"], &code).await;
    let set_cookie = r.headers()["set-cookie"].to_str().unwrap().to_owned();
    assert!(set_cookie.starts_with("__Host-hubee_session="));
    assert!(set_cookie.ends_with("; HttpOnly; Secure; SameSite=Strict; Path=/"), "{set_cookie}");
    assert_eq!(r.headers()["cache-control"], "no-store");
    let cookie = session_cookie_of(&r).unwrap();
    let (status, signed_in) = answer(r).await;
    assert_eq!(status, 200, "{signed_in}");

    let (status, profile) = me(&t, &cookie).await;
    assert_eq!(status, 200, "{profile}");
    assert_eq!(profile, signed_in, "the sign-in answers what /me answers");
    assert_eq!(profile["email"], PORTAL_ADMIN);
    assert_eq!((profile["firstName"].as_str(), profile["lastName"].as_str()), (Some("Alice"), Some("Martin")));
    assert_eq!(profile["actorType"], "LOCAL_ADMIN");
    assert_eq!(
        profile["organisations"],
        json!([{"siret": MAIRIE_A.0, "branchCode": MAIRIE_A.1, "name": "Mairie A",
                "roles": ["GESTION_UTILISATEURS", "GESTION_ABONNEMENTS"], "habilitations": []}])
    );
    assert_eq!(profile["invitations"], json!([]));
    assert_eq!(profile["roles"], json!(["GESTION_UTILISATEURS", "GESTION_ABONNEMENTS"]), "the defaults");
    assert_eq!(profile["habilitations"], json!([]));
    assert!(profile["csrfToken"].as_str().unwrap().len() >= 32);

    // Without the cookie, nobody is signed in.
    let (status, err) = answer(t.portal(Method::GET, "/me").send().await.unwrap()).await;
    assert_eq!((status, messages(&err)), (401, vec![NOT_SIGNED_IN]));
}

#[tokio::test]
async fn a_wrong_password_and_an_unknown_address_get_exactly_the_same_answer() {
    let t = TestHub::spawn().await;
    let wrong = t.portal_password(PORTAL_ADMIN, "Not-The-Password-1!").await;
    let unknown = t.portal_password("nobody@mairie-a.example", PORTAL_ADMIN_PASSWORD).await;
    assert_eq!(wrong, unknown);
    assert_eq!((wrong.0, messages(&wrong.1)), (401, vec![INVALID_CREDENTIALS]));
    // So does an account waiting for activation (no password yet), whatever it is sent.
    let waiting = "waiting@mairie-a.example";
    let org = OrgId { siret: Siret::parse(MAIRIE_A.0).unwrap(), branch_code: BranchCode::parse(MAIRIE_A.1).unwrap() };
    let account = Account::new(Email::parse(waiting).unwrap(), ActorType::Agent, org, "Wanda", "WAITING");
    t.hub().state.store.save_account(&account).await.unwrap();
    assert_eq!(t.portal_password(waiting, "").await.0, 400, "an empty password is a malformed body");
    assert_eq!(t.portal_password(waiting, PORTAL_ADMIN_PASSWORD).await, wrong);
    for address in [PORTAL_ADMIN, "nobody@mairie-a.example", waiting] {
        assert!(t.emails_to(address).is_empty(), "no code to {address}");
    }
}

#[tokio::test]
async fn five_wrong_passwords_lock_the_account_for_fifteen_minutes_behind_the_same_answer() {
    let (t, clock) = hub_with_clock().await;
    for _ in 0..5 {
        let (status, body) = t.portal_password(PORTAL_ADMIN, "Not-The-Password-1!").await;
        assert_eq!((status, messages(&body)), (401, vec![INVALID_CREDENTIALS]));
        clock.advance(Duration::seconds(30));
    }
    // Locked: even the right password gets the generic answer, and no code is sent.
    let locked = t.portal_password(PORTAL_ADMIN, PORTAL_ADMIN_PASSWORD).await;
    assert_eq!((locked.0, messages(&locked.1)), (401, vec![INVALID_CREDENTIALS]));
    assert!(t.emails_with_subject(PORTAL_ADMIN, SIGN_IN_SUBJECT).is_empty());
    // The fifth failure was at 08:02:00: locked until 08:17:00.
    clock.set(parse_time("2026-03-01T08:16:59Z").unwrap());
    assert_eq!(t.portal_password(PORTAL_ADMIN, PORTAL_ADMIN_PASSWORD).await.0, 401, "still locked");
    clock.advance(Duration::seconds(1));
    let session = t.sign_in(PORTAL_ADMIN, PORTAL_ADMIN_PASSWORD).await;
    assert_eq!(me(&t, &session.cookie).await.0, 200);
}

#[tokio::test]
async fn exhausted_codes_count_towards_the_lockout() {
    let (t, _clock) = hub_with_clock().await;
    for round in 1..=5 {
        let (status, challenge) = t.portal_password(PORTAL_ADMIN, PORTAL_ADMIN_PASSWORD).await;
        assert_eq!(status, 200, "round {round}: {challenge}");
        for _ in 0..5 {
            let (status, _) = answer(t.portal_code(&challenge["challengeId"], "000000x").await).await;
            assert_eq!(status, 400);
        }
    }
    let (status, body) = t.portal_password(PORTAL_ADMIN, PORTAL_ADMIN_PASSWORD).await;
    assert_eq!((status, messages(&body)), (401, vec![INVALID_CREDENTIALS]), "five exhausted challenges lock it");
}

#[tokio::test]
async fn a_code_expires_after_ten_minutes() {
    let (t, clock) = hub_with_clock().await;
    let (_, challenge) = t.portal_password(PORTAL_ADMIN, PORTAL_ADMIN_PASSWORD).await;
    let code = t.sign_in_code(PORTAL_ADMIN, 1).await;
    clock.advance(Duration::minutes(10));
    let r = t.portal_code(&challenge["challengeId"], &code).await;
    assert!(session_cookie_of(&r).is_none());
    let (status, body) = answer(r).await;
    assert_eq!((status, messages(&body)), (400, vec![SIGN_IN_AGAIN]));
}

#[tokio::test]
async fn a_code_opens_one_session_only() {
    let t = TestHub::spawn().await;
    let (_, challenge) = t.portal_password(PORTAL_ADMIN, PORTAL_ADMIN_PASSWORD).await;
    let code = t.sign_in_code(PORTAL_ADMIN, 1).await;
    assert_eq!(answer(t.portal_code(&challenge["challengeId"], &code).await).await.0, 200);
    let (status, body) = answer(t.portal_code(&challenge["challengeId"], &code).await).await;
    assert_eq!((status, messages(&body)), (400, vec![SIGN_IN_AGAIN]));
}

#[tokio::test]
async fn five_wrong_codes_spend_the_challenge_and_a_new_sign_in_sends_a_new_code() {
    let t = TestHub::spawn().await;
    let (_, challenge) = t.portal_password(PORTAL_ADMIN, PORTAL_ADMIN_PASSWORD).await;
    let code = t.sign_in_code(PORTAL_ADMIN, 1).await;
    let wrong = if code == "000000" { "000001" } else { "000000" };
    for left in [4, 3, 2] {
        let (status, body) = answer(t.portal_code(&challenge["challengeId"], wrong).await).await;
        assert_eq!((status, messages(&body)), (400, vec![format!("Wrong code: {left} attempts left").as_str()]));
    }
    let (_, body) = answer(t.portal_code(&challenge["challengeId"], wrong).await).await;
    assert_eq!(messages(&body), ["Wrong code: 1 attempt left"]);
    let (status, body) = answer(t.portal_code(&challenge["challengeId"], wrong).await).await;
    assert_eq!((status, messages(&body)), (400, vec![SIGN_IN_AGAIN]), "the fifth wrong code spends it");
    let (status, body) = answer(t.portal_code(&challenge["challengeId"], &code).await).await;
    assert_eq!((status, messages(&body)), (400, vec![SIGN_IN_AGAIN]), "even the right code comes too late");

    // Signing in again sends a new code, for a new challenge.
    let (_, again) = t.portal_password(PORTAL_ADMIN, PORTAL_ADMIN_PASSWORD).await;
    assert_ne!(again["challengeId"], challenge["challengeId"]);
    let new_code = t.sign_in_code(PORTAL_ADMIN, 2).await;
    assert_eq!(answer(t.portal_code(&again["challengeId"], &new_code).await).await.0, 200);
}

#[tokio::test]
async fn a_state_change_needs_the_sessions_csrf_token() {
    let t = TestHub::spawn().await;
    let session = t.sign_in(PORTAL_ADMIN, PORTAL_ADMIN_PASSWORD).await;
    let other = t.sign_in(PORTAL_ADMIN, PORTAL_ADMIN_PASSWORD).await;
    assert_ne!(session.csrf, other.csrf, "one token per session");

    let without = t.portal_cookie(&session.cookie, Method::DELETE, "/session").send().await.unwrap();
    let (status, body) = answer(without).await;
    assert_eq!((status, messages(&body)), (403, vec!["Missing or wrong X-CSRF-Token header"]));
    let with_another = t
        .portal_cookie(&session.cookie, Method::DELETE, "/session")
        .header("x-csrf-token", &other.csrf)
        .send()
        .await
        .unwrap();
    assert_eq!(with_another.status(), 403, "another session's token does not do");
    assert_eq!(me(&t, &session.cookie).await.0, 200, "refused changes changed nothing");

    let r = t.portal_as(&session, Method::DELETE, "/session").send().await.unwrap();
    assert_eq!(r.status(), 204);
    assert_eq!(me(&t, &session.cookie).await.0, 401);
    assert_eq!(me(&t, &other.cookie).await.0, 200, "the other session lives on");
}

#[tokio::test]
async fn signing_out_ends_the_session_and_clears_the_cookie() {
    let t = TestHub::spawn().await;
    let session = t.sign_in(PORTAL_ADMIN, PORTAL_ADMIN_PASSWORD).await;
    let r = t.portal_as(&session, Method::DELETE, "/session").send().await.unwrap();
    assert_eq!(r.status(), 204);
    let cleared = r.headers()["set-cookie"].to_str().unwrap();
    assert!(cleared.starts_with("__Host-hubee_session=;") && cleared.contains("Max-Age=0"), "{cleared}");
    let (status, body) = me(&t, &session.cookie).await;
    assert_eq!((status, messages(&body)), (401, vec![NOT_SIGNED_IN]));
    let again = t.portal_as(&session, Method::DELETE, "/session").send().await.unwrap();
    assert_eq!(again.status(), 401, "an ended session cannot be signed out of again");
}

#[tokio::test]
async fn a_session_ends_after_thirty_idle_minutes() {
    let (t, clock) = hub_with_clock().await;
    let session = t.sign_in(PORTAL_ADMIN, PORTAL_ADMIN_PASSWORD).await;
    clock.advance(Duration::minutes(29));
    assert_eq!(me(&t, &session.cookie).await.0, 200, "29 minutes idle, then a request");
    clock.advance(Duration::minutes(29));
    assert_eq!(me(&t, &session.cookie).await.0, 200, "the request pushed the expiry back");
    clock.advance(Duration::minutes(30));
    let r = t.portal_cookie(&session.cookie, Method::GET, "/me").send().await.unwrap();
    assert!(r.headers()["set-cookie"].to_str().unwrap().contains("Max-Age=0"), "the dead cookie is cleared");
    assert_eq!(answer(r).await.0, 401);
}

#[tokio::test]
async fn a_busy_session_still_ends_twelve_hours_after_sign_in() {
    let (t, clock) = hub_with_clock().await;
    let session = t.sign_in(PORTAL_ADMIN, PORTAL_ADMIN_PASSWORD).await;
    // A request every 25 minutes for 11 h 40 min.
    for _ in 0..28 {
        clock.advance(Duration::minutes(25));
        assert_eq!(me(&t, &session.cookie).await.0, 200);
    }
    clock.advance(Duration::minutes(20));
    assert_eq!(me(&t, &session.cookie).await.0, 401, "12 hours after sign-in");
}

#[tokio::test]
async fn a_suspended_account_cannot_sign_in_and_its_live_session_ends() {
    let t = TestHub::spawn().await;
    let session = t.sign_in(PORTAL_ADMIN, PORTAL_ADMIN_PASSWORD).await;
    let store = &t.hub().state.store;
    let mut account = store.account(PORTAL_ADMIN).await.unwrap().unwrap();
    account.active = false;
    store.save_account(&account).await.unwrap();

    let r = t.portal_cookie(&session.cookie, Method::GET, "/me").send().await.unwrap();
    assert!(r.headers()["set-cookie"].to_str().unwrap().contains("Max-Age=0"));
    assert_eq!(answer(r).await, (401, json!({"errors": [{"code": 401, "message": NOT_SIGNED_IN}]})));
    let (status, body) = t.portal_password(PORTAL_ADMIN, PORTAL_ADMIN_PASSWORD).await;
    assert_eq!((status, messages(&body)), (401, vec![INVALID_CREDENTIALS]), "the generic answer");
    assert_eq!(t.emails_with_subject(PORTAL_ADMIN, SIGN_IN_SUBJECT).len(), 1, "no code for a suspended account");

    // The session was ended, not paused: reactivating the account does not revive it.
    account.active = true;
    store.save_account(&account).await.unwrap();
    assert_eq!(me(&t, &session.cookie).await.0, 401);
}

#[tokio::test]
async fn a_new_account_chooses_its_password_through_the_activation_link_then_signs_in() {
    let t = TestHub::spawn().await;
    let admin = "claire.maire@mairie-b.example";
    let body = json!({
        "datapassId": 4242, "processCode": PACS,
        "subscriber": {"type": "SI", "companyRegister": MAIRIE_B.0, "branchCode": MAIRIE_B.1},
        "accessMode": "PORTAIL", "notificationFrequency": "unitaire",
        "localAdministrator": {"firstName": "Claire", "lastName": "MAIRE", "email": admin}
    });
    let created = t.referential(&t.datapass_token().await, Method::POST, "/subscriptions").json(&body).send().await;
    assert_eq!(created.unwrap().status(), 201);
    let activation = t.wait_for_email_with_subject(admin, ACTIVATION_SUBJECT, 1).await;
    assert!(activation.text.contains(&format!("{}/activation?token=", t.base)), "{}", activation.text);
    let token = link_token_in(&activation).unwrap();

    // Not activated yet: no sign-in.
    assert_eq!(t.portal_password(admin, "Claire-Pass-2026!").await.0, 401);
    let (status, body) = set_password(&t, &token, "claire").await;
    assert_eq!(status, 400);
    assert_eq!(messages(&body).len(), 4, "{body}");
    assert_eq!(set_password(&t, &token, "Claire-Pass-2026!").await.0, 204, "a weak password did not spend the link");

    let session = t.sign_in(admin, "Claire-Pass-2026!").await;
    assert_eq!(session.me["actorType"], "LOCAL_ADMIN");
    assert_eq!(session.me["organisations"][0]["name"], "Mairie B");
    let (status, body) = set_password(&t, &token, "Another-Pass-2026!").await;
    assert_eq!((status, messages(&body)), (400, vec![INVALID_LINK]), "an activation link works once");
}

#[tokio::test]
async fn a_reset_link_works_once_and_signs_every_browser_out() {
    let (t, clock) = hub_with_clock().await;
    assert_eq!(forgotten(&t, PORTAL_ADMIN).await, (202, json!({})));
    let reset = t.wait_for_email_with_subject(PORTAL_ADMIN, RESET_SUBJECT, 1).await;
    assert!(reset.text.contains(&format!("{}/mot-de-passe?token=", t.base)), "{}", reset.text);
    let token = link_token_in(&reset).unwrap();

    clock.advance(Duration::hours(47));
    let session = t.sign_in(PORTAL_ADMIN, PORTAL_ADMIN_PASSWORD).await;
    assert_eq!(set_password(&t, &token, "New-Admin-Pass-2026!").await.0, 204);
    let (status, body) = set_password(&t, &token, "Newer-Admin-Pass-2026!").await;
    assert_eq!((status, messages(&body)), (400, vec![INVALID_LINK]), "a reset link works once");
    assert_eq!(me(&t, &session.cookie).await.0, 401, "the new password ended the old session");
    assert_eq!(t.portal_password(PORTAL_ADMIN, PORTAL_ADMIN_PASSWORD).await.0, 401, "the old password is gone");
    t.sign_in(PORTAL_ADMIN, "New-Admin-Pass-2026!").await;

    // A link expires after 48 hours.
    forgotten(&t, PORTAL_ADMIN).await;
    let late = link_token_in(&t.wait_for_email_with_subject(PORTAL_ADMIN, RESET_SUBJECT, 2).await).unwrap();
    clock.advance(Duration::hours(48));
    assert_eq!(
        set_password(&t, &late, "Late-Admin-Pass-2026!").await,
        (400, json!({"errors": [{"code": 400, "message": INVALID_LINK}]}))
    );
}

#[tokio::test]
async fn a_password_that_breaks_the_rule_is_refused_with_everything_it_lacks() {
    let t = TestHub::spawn().await;
    forgotten(&t, PORTAL_ADMIN).await;
    let token = link_token_in(&t.wait_for_email_with_subject(PORTAL_ADMIN, RESET_SUBJECT, 1).await).unwrap();
    let (status, body) = set_password(&t, &token, "abc").await;
    assert_eq!(status, 400);
    assert_eq!(
        messages(&body),
        [
            "The password must have at least 8 characters",
            "The password must contain a digit",
            "The password must contain an upper-case letter",
            "The password must contain a special character among !@#$%&*()",
        ]
    );
    let (_, body) = set_password(&t, &token, "Longenough1-").await;
    assert_eq!(messages(&body), ["The password must contain a special character among !@#$%&*()"]);
    assert_eq!(set_password(&t, &token, "Longenough1(").await.0, 204);
}

#[tokio::test]
async fn a_forgotten_password_for_an_unknown_address_answers_the_same_and_sends_nothing() {
    let t = TestHub::spawn().await;
    let unknown = forgotten(&t, "nobody@mairie-a.example").await;
    let known = forgotten(&t, PORTAL_ADMIN).await;
    assert_eq!(unknown, known);
    assert_eq!(unknown, (202, json!({})));
    t.wait_for_email_with_subject(PORTAL_ADMIN, RESET_SUBJECT, 1).await;
    assert!(t.emails_to("nobody@mairie-a.example").is_empty());
    // A malformed address is no account either.
    assert_eq!(forgotten(&t, "not an address").await, (202, json!({})));
}

#[tokio::test]
async fn reset_e_mails_to_an_account_are_capped_at_three_an_hour() {
    let (t, clock) = hub_with_clock().await;
    let resets = || t.emails_with_subject(PORTAL_ADMIN, RESET_SUBJECT).len();
    for _ in 0..5 {
        assert_eq!(forgotten(&t, PORTAL_ADMIN).await, (202, json!({})), "the same answer, capped or not");
    }
    // Each e-mail is queued with the count, in one transaction: three queued, three sent.
    let counted = t.hub().state.store.reset_requests(PORTAL_ADMIN).await.unwrap().unwrap().value;
    assert_eq!(counted.sent, 3, "anyone may ask, nobody can flood the mailbox");
    t.wait_for_email_with_subject(PORTAL_ADMIN, RESET_SUBJECT, 3).await;
    assert_eq!(resets(), 3);
    // An hour after the first one, a new allowance.
    clock.advance(Duration::minutes(61));
    forgotten(&t, PORTAL_ADMIN).await;
    let latest = t.wait_for_email_with_subject(PORTAL_ADMIN, RESET_SUBJECT, 4).await;
    assert_eq!(set_password(&t, &link_token_in(&latest).unwrap(), "Capped-Admin-Pass-2026!").await.0, 204);
}

#[tokio::test]
async fn resending_the_code_voids_the_previous_one_and_stops_at_three_codes() {
    const TOO_MANY_CODES: &str = "Three codes were already sent for this sign-in: sign in again";
    let t = TestHub::spawn().await;
    let (_, challenge) = t.portal_password(PORTAL_ADMIN, PORTAL_ADMIN_PASSWORD).await;
    let id = challenge["challengeId"].clone();
    let first = t.sign_in_code(PORTAL_ADMIN, 1).await;
    let hub = &t;
    let resend = |body: Value| async move {
        answer(hub.portal(Method::POST, "/session/otp/resend").json(&body).send().await.unwrap()).await
    };

    let (status, body) = resend(json!({"challengeId": id})).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!((&body["challengeId"], &body["email"]), (&id, &json!(PORTAL_ADMIN)), "the same challenge");
    let second = t.sign_in_code(PORTAL_ADMIN, 2).await;
    assert_eq!(resend(json!({"challengeId": id})).await.0, 200);
    let third = t.sign_in_code(PORTAL_ADMIN, 3).await;
    let (status, body) = resend(json!({"challengeId": id})).await;
    assert_eq!((status, messages(&body)), (429, vec![TOO_MANY_CODES]), "a fourth code is refused");
    assert_eq!(t.emails_with_subject(PORTAL_ADMIN, SIGN_IN_SUBJECT).len(), 3, "and not sent");

    // The earlier codes are void: each is a wrong guess now (unless the draw repeated a code).
    for old in [&first, &second].into_iter().filter(|c| **c != third) {
        let (status, body) = answer(t.portal_code(&id, old).await).await;
        assert_eq!(status, 400);
        assert!(messages(&body)[0].starts_with("Wrong code:"), "{body}");
    }
    assert_eq!(answer(t.portal_code(&id, &third).await).await.0, 200, "the last code opens the session");
    let (status, body) = resend(json!({"challengeId": id})).await;
    assert_eq!((status, messages(&body)), (400, vec![SIGN_IN_AGAIN]), "a used challenge sends no more codes");
    let (status, _) = resend(json!({"challengeId": "not-a-uuid"})).await;
    assert_eq!(status, 400);

    // Each code sent, and the refused fourth, are in the organisation's journal.
    let admin = t.sign_in(PORTAL_ADMIN, PORTAL_ADMIN_PASSWORD).await;
    let (_, journal) =
        answer(t.portal_as(&admin, Method::GET, "/audit?action=signIn.resend").send().await.unwrap()).await;
    let outcomes: Vec<_> =
        journal["items"].as_array().unwrap().iter().map(|e| e["outcome"].as_str().unwrap()).collect();
    assert_eq!(outcomes.iter().filter(|o| **o == "GRANTED").count(), 2, "{journal}");
    assert_eq!(outcomes.iter().filter(|o| **o == "DENIED").count(), 1, "{journal}");
}
