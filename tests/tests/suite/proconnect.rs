//! Signing in with ProConnect, against a real OpenID provider standing in for it
//! (tests/oidc-provider, started by the test command: `HUBEE_TEST_PROCONNECT_*`): the whole
//! redirect flow over HTTP, as a browser makes it — the hub's button, the provider's sign-in
//! form, the callback — and each rule of docs/PROCONNECT.md with its refusal.

#![allow(clippy::unwrap_used, clippy::expect_used)] // Test code: a failed step is a failed test.

use std::collections::BTreeMap;

use hubee_shared::domain::{Account, ActorType, BranchCode, Email, OrgId, Siret};
use hubee_tests::*;
use reqwest::{Method, Response, StatusCode, redirect::Policy};
use serde_json::{Value, json};

/// The stand-in is one process for every test, and its faults (`/__test/misbehave`) spoil the
/// next token whoever asks for it: these tests take it in turn.
static PROVIDER: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// The stand-in's issuer, or `None` (the test is skipped, and says so); fails when
/// `HUBEE_REQUIRE_PROCONNECT=1` (the test command) and it is missing.
fn stand_in() -> Option<String> {
    let issuer = std::env::var("HUBEE_TEST_PROCONNECT_ISSUER").ok().filter(|v| !v.is_empty());
    if issuer.is_none() {
        assert!(
            std::env::var("HUBEE_REQUIRE_PROCONNECT").as_deref() != Ok("1"),
            "HUBEE_REQUIRE_PROCONNECT=1 but no ProConnect stand-in: scripts/test starts it"
        );
        eprintln!("skipped: no ProConnect stand-in (HUBEE_TEST_PROCONNECT_ISSUER; scripts/test starts one)");
    }
    issuer
}

/// A browser: no automatic redirects, its own cookie jar (hub and provider share 127.0.0.1,
/// cookie names tell them apart; `Secure` cookies are carried over http as a browser on a
/// loopback address does).
struct Browser {
    http: reqwest::Client,
    jar: BTreeMap<String, String>,
}

/// Where a sign-in through the button ended, back at the hub.
#[derive(Debug)]
struct Landing {
    /// The hub's last redirect: `/` when signed in, the refusal page otherwise.
    location: String,
    session: Option<String>,
}

impl Landing {
    /// The refusal page's fields (its fragment), decoded.
    fn refusal(&self) -> BTreeMap<String, String> {
        let (page, fragment) = self.location.split_once('#').unwrap_or((&self.location, ""));
        assert_eq!(page, "/connexion/proconnect", "a refusal page: {self:?}");
        fragment
            .split('&')
            .filter_map(|kv| kv.split_once('='))
            .map(|(k, v)| (k.to_owned(), percent_decode(v)))
            .collect()
    }
}

fn percent_decode(v: &str) -> String {
    let bytes = v.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            out.push(u8::from_str_radix(&v[i + 1..i + 3], 16).unwrap());
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).unwrap()
}

impl Browser {
    fn new() -> Self {
        Self { http: reqwest::Client::builder().redirect(Policy::none()).build().unwrap(), jar: BTreeMap::new() }
    }

    fn keep(&mut self, r: &Response) {
        for set in r.headers().get_all("set-cookie").iter().filter_map(|v| v.to_str().ok()) {
            let Some((name, rest)) = set.split_once('=') else { continue };
            let value = rest.split(';').next().unwrap_or_default().to_owned();
            if set.to_ascii_lowercase().contains("max-age=0") || value.is_empty() {
                self.jar.remove(name);
            } else {
                self.jar.insert(name.to_owned(), value);
            }
        }
    }

    fn cookies(&self) -> String {
        self.jar.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join("; ")
    }

    async fn send(&mut self, method: Method, url: &str, form: Option<String>, origin: Option<&str>) -> Response {
        let mut request = self.http.request(method, url).header("cookie", self.cookies());
        if let Some(origin) = origin {
            request = request.header("origin", origin).header("sec-fetch-site", "same-origin");
        }
        if let Some(form) = form {
            request = request.header("content-type", "application/x-www-form-urlencoded").body(form);
        }
        let r = request.send().await.unwrap();
        self.keep(&r);
        r
    }
}

/// `scheme://host:port` of a URL.
fn origin_of(url: &str) -> String {
    let after = url.find("://").map_or(0, |i| i + 3);
    let end = url[after..].find('/').map_or(url.len(), |i| after + i);
    url[..end].to_owned()
}

/// Clicks the ProConnect button and answers the provider's sign-in form with `choices` in turn
/// (a user key and a second factor, `""` or `"1"`), following every redirect until the hub
/// answers with a page of its own.
async fn sign_in(t: &TestHub, browser: &mut Browser, choices: &[(&str, &str)]) -> Landing {
    let choices: Vec<(&str, &str, &str)> = choices.iter().map(|(u, m)| (*u, *m, "")).collect();
    sign_in_spoiling(t, browser, &choices).await
}

/// [`sign_in`], each choice with the ID token fault (`/__test/misbehave`) to arm before it is
/// submitted, `""` for none.
async fn sign_in_spoiling(t: &TestHub, browser: &mut Browser, choices: &[(&str, &str, &str)]) -> Landing {
    let mut choices = choices.iter();
    let mut r =
        browser.send(Method::POST, &format!("{}/portail/v1/proconnect/login", t.base), None, Some(&t.base)).await;
    let mut at = t.base.clone();
    for _ in 0..30 {
        assert_eq!(r.status(), StatusCode::SEE_OTHER, "a redirect from {at}: {:?}", r.text().await);
        let location = r.headers()["location"].to_str().unwrap().to_owned();
        let url = if location.starts_with('/') { format!("{}{location}", origin_of(&at)) } else { location.clone() };
        if url.starts_with(&t.base) && !url.contains("/portail/v1/proconnect/callback") {
            return Landing { location, session: browser.jar.get("__Host-hubee_session").cloned() };
        }
        at = url.clone();
        if url.contains("/interaction/") && !url.ends_with("/login") {
            let page = browser.send(Method::GET, &url, None, None).await;
            assert_eq!(page.status(), 200, "the provider's sign-in form");
            let (user, mfa, fault) = choices.next().expect("one more sign-in form than choices");
            if !fault.is_empty() {
                let issuer = std::env::var("HUBEE_TEST_PROCONNECT_ISSUER").unwrap();
                provider(&issuer, Method::POST, "/__test/misbehave", Some(json!({"idToken": fault}))).await;
            }
            let form = if mfa.is_empty() { format!("user={user}") } else { format!("user={user}&mfa={mfa}") };
            r = browser.send(Method::POST, &format!("{url}/login"), Some(form), None).await;
        } else {
            r = browser.send(Method::GET, &url, None, None).await;
        }
    }
    panic!("too many redirects");
}

/// Asks the stand-in (its test-only routes) something.
async fn provider(issuer: &str, method: Method, path: &str, body: Option<Value>) -> Value {
    let mut request = reqwest::Client::new().request(method, format!("{issuer}{path}"));
    if let Some(body) = body {
        request = request.json(&body);
    }
    let r = request.send().await.unwrap();
    assert!(r.status().is_success(), "{path}: {}", r.status());
    r.json().await.unwrap()
}

/// Enrols, as a local administrator would, the accounts the stand-in's users sign in to.
async fn enrol(t: &TestHub, email: &str, actor_type: ActorType, org: (&str, &str)) {
    let org = OrgId { siret: Siret::parse(org.0).unwrap(), branch_code: BranchCode::parse(org.1).unwrap() };
    let account = Account::new(Email::parse(email).unwrap(), actor_type, org, "Prénom", "NOM");
    t.hub().state.store.save_account(&account).await.unwrap();
}

async fn me(t: &TestHub, session: &str) -> (u16, Value) {
    answer(t.portal_cookie(session, Method::GET, "/me").send().await.unwrap()).await
}

#[tokio::test]
async fn an_enrolled_agent_signs_in_then_out_of_the_hub_and_of_proconnect() {
    let Some(issuer) = stand_in() else { return };
    let _in_turn = PROVIDER.lock().await;
    let t = TestHub::spawn().await;
    let (status, body) = answer(t.portal(Method::GET, "/proconnect").send().await.unwrap()).await;
    assert_eq!(
        (status, &body),
        (200, &json!({"enabled": true, "password": true, "support": "support@hubee.example"})),
        "the button is shown"
    );
    enrol(&t, "camille.martin@mairie-a.test", ActorType::Agent, MAIRIE_A).await;

    let mut browser = Browser::new();
    let landing = sign_in(&t, &mut browser, &[("agent", "")]).await;
    assert_eq!(landing.location, "/", "{landing:?}");
    let session = landing.session.expect("a session cookie");
    let (status, profile) = me(&t, &session).await;
    assert_eq!((status, profile["email"].as_str()), (200, Some("camille.martin@mairie-a.test")), "{profile}");
    assert!(!browser.jar.contains_key("__Host-hubee_proconnect"), "the login's cookie is cleared");
    let account = t.hub().state.store.account("camille.martin@mairie-a.test").await.unwrap().unwrap();
    assert_eq!(account.proconnect_sub.as_deref(), Some("b7c1d2e3-0001-4a5b-8c9d-000000000001"), "linked by address");

    // Signing out ends the hub's session first, then sends the browser to ProConnect's
    // end-session endpoint with the ID token.
    provider(&issuer, Method::DELETE, "/__test/logouts", None).await;
    let csrf = profile["csrfToken"].as_str().unwrap();
    let r = t.portal_cookie(&session, Method::DELETE, "/session").header("x-csrf-token", csrf).send().await.unwrap();
    let (status, out) = answer(r).await;
    assert_eq!(status, 200, "{out}");
    assert_eq!(me(&t, &session).await.0, 401, "the hub's session is over");
    let end_session = out["endSessionUrl"].as_str().unwrap();
    assert!(end_session.starts_with(&issuer) && end_session.contains("id_token_hint="), "{end_session}");
    assert!(end_session.contains("post_logout_redirect_uri="), "{end_session}");
    let page = browser.send(Method::GET, end_session, None, None).await;
    assert_eq!(page.status(), 200, "ProConnect's end-session page");
    let logouts = provider(&issuer, Method::GET, "/__test/logouts", None).await;
    assert_eq!(logouts["logouts"][0]["sub"], "b7c1d2e3-0001-4a5b-8c9d-000000000001", "{logouts}");

    // Later sign-ins find the account by its sub.
    let landing = sign_in(&t, &mut Browser::new(), &[("agent", "")]).await;
    assert_eq!(landing.location, "/");
}

#[tokio::test]
async fn a_login_never_creates_an_account_nor_opens_another_organisation() {
    let Some(_) = stand_in() else { return };
    let _in_turn = PROVIDER.lock().await;
    let t = TestHub::spawn().await;
    // ProConnect says Sacha works for Mairie B; the hub knows an account at Mairie A only.
    enrol(&t, "sacha.leroy@mairie-b.test", ActorType::Agent, MAIRIE_A).await;

    let unknown = sign_in(&t, &mut Browser::new(), &[("unknown", "")]).await;
    assert!(unknown.session.is_none());
    let page = unknown.refusal();
    assert_eq!(page["raison"], "inconnu");
    assert_eq!(page["adresse"], "inconnu.dupont@mairie-a.test", "the address used is named");
    assert!(page["deconnexion"].contains("id_token_hint="), "to try another account: {page:?}");
    assert!(t.hub().state.store.account("inconnu.dupont@mairie-a.test").await.unwrap().is_none(), "not created");

    let other = sign_in(&t, &mut Browser::new(), &[("other", "")]).await;
    assert!(other.session.is_none());
    let page = other.refusal();
    assert_eq!((page["raison"].as_str(), page["siret"].as_str()), ("organisation", MAIRIE_B.0), "{page:?}");
    let account = t.hub().state.store.account("sacha.leroy@mairie-b.test").await.unwrap().unwrap();
    assert!(account.proconnect_sub.is_none(), "a refused sign-in links nothing");
}

#[tokio::test]
async fn a_state_is_used_once_by_the_browser_that_started_the_login() {
    let Some(_) = stand_in() else { return };
    let _in_turn = PROVIDER.lock().await;
    let t = TestHub::spawn().await;
    enrol(&t, "camille.martin@mairie-a.test", ActorType::Agent, MAIRIE_A).await;

    // Up to the callback, then the callback twice.
    let mut browser = Browser::new();
    let mut r =
        browser.send(Method::POST, &format!("{}/portail/v1/proconnect/login", t.base), None, Some(&t.base)).await;
    let mut callback = None;
    let mut at = t.base.clone();
    for _ in 0..10 {
        let location = r.headers()["location"].to_str().unwrap().to_owned();
        let url = if location.starts_with('/') { format!("{}{location}", origin_of(&at)) } else { location };
        if url.contains("/portail/v1/proconnect/callback") {
            callback = Some(url);
            break;
        }
        at = url.clone();
        r = if url.contains("/interaction/") {
            browser.send(Method::POST, &format!("{url}/login"), Some("user=agent".into()), None).await
        } else {
            browser.send(Method::GET, &url, None, None).await
        };
    }
    let callback = callback.expect("ProConnect sends the browser back");
    let login_cookie = browser.jar.get("__Host-hubee_proconnect").cloned().unwrap();

    // Another browser (without the login's cookie) is refused, and spends nothing it may use.
    let mut stranger = Browser::new();
    let r = stranger.send(Method::GET, &callback, None, None).await;
    assert_eq!(r.headers()["location"], "/connexion/proconnect#raison=expiree");

    // The state was consumed by that attempt: the right browser cannot replay it either.
    browser.jar.insert("__Host-hubee_proconnect".into(), login_cookie);
    let r = browser.send(Method::GET, &callback, None, None).await;
    assert_eq!(r.headers()["location"], "/connexion/proconnect#raison=expiree", "single use");
    assert!(!browser.jar.contains_key("__Host-hubee_session"));

    // A forged state: refused the same way.
    let r = browser
        .send(Method::GET, &format!("{}/portail/v1/proconnect/callback?code=x&state=forged", t.base), None, None)
        .await;
    assert_eq!(r.headers()["location"], "/connexion/proconnect#raison=expiree");
    // ProConnect's own error (the agent cancelled).
    let r = browser
        .send(
            Method::GET,
            &format!("{}/portail/v1/proconnect/callback?error=access_denied&state=x", t.base),
            None,
            None,
        )
        .await;
    assert_eq!(r.headers()["location"], "/connexion/proconnect#raison=annulee");
}

#[tokio::test]
async fn a_cross_site_login_is_refused() {
    let Some(_) = stand_in() else { return };
    let _in_turn = PROVIDER.lock().await;
    let t = TestHub::spawn().await;
    let r = reqwest::Client::builder()
        .redirect(Policy::none())
        .build()
        .unwrap()
        .post(format!("{}/portail/v1/proconnect/login", t.base))
        .header("origin", "https://attacker.example")
        .header("sec-fetch-site", "cross-site")
        .send()
        .await
        .unwrap();
    let (status, body) = answer(r).await;
    assert_eq!((status, body["errors"][0]["message"].as_str()), (403, Some("Cross-site request refused")));
}

#[tokio::test]
async fn an_administrator_is_asked_for_a_second_factor_once_then_refused_without_it() {
    let Some(issuer) = stand_in() else { return };
    let _in_turn = PROVIDER.lock().await;
    let t = TestHub::spawn().await;
    enrol(&t, "alex.bernard@mairie-a.test", ActorType::LocalAdmin, MAIRIE_A).await;

    // Without a second factor: the hub asks ProConnect for one, and gets it.
    let landing = sign_in(&t, &mut Browser::new(), &[("admin", ""), ("admin", "1")]).await;
    assert_eq!(landing.location, "/", "{landing:?}");
    let session = landing.session.unwrap();
    assert_eq!(me(&t, &session).await.0, 200);

    // ProConnect answering the step-up without a second factor: refused, not asked again.
    let choices = [("admin", "", ""), ("admin", "1", "no-second-factor")];
    let landing = sign_in_spoiling(&t, &mut Browser::new(), &choices).await;
    assert!(landing.session.is_none());
    let page = landing.refusal();
    assert_eq!(
        (page["raison"].as_str(), page["adresse"].as_str()),
        ("double-authentification", "alex.bernard@mairie-a.test")
    );
    provider(&issuer, Method::DELETE, "/__test/misbehave", None).await;

    // An agent's session opened without a second factor ends when it becomes an administrator.
    enrol(&t, "camille.martin@mairie-a.test", ActorType::Agent, MAIRIE_A).await;
    let agent = sign_in(&t, &mut Browser::new(), &[("agent", "")]).await.session.unwrap();
    assert_eq!(me(&t, &agent).await.0, 200);
    let store = &t.hub().state.store;
    let mut promoted = store.account("camille.martin@mairie-a.test").await.unwrap().unwrap();
    promoted.actor_type = ActorType::LocalAdmin;
    store.save_account(&promoted).await.unwrap();
    assert_eq!(me(&t, &agent).await.0, 401, "re-checked on every request");
}

#[tokio::test]
async fn tokens_the_hub_cannot_trust_open_no_session() {
    let Some(issuer) = stand_in() else { return };
    let _in_turn = PROVIDER.lock().await;
    let t = TestHub::spawn().await;
    enrol(&t, "camille.martin@mairie-a.test", ActorType::Agent, MAIRIE_A).await;
    let faults = [
        json!({"idToken": "foreign-key"}),
        json!({"idToken": "foreign-key-same-kid"}),
        json!({"idToken": "wrong-aud"}),
        json!({"idToken": "wrong-iss"}),
        json!({"idToken": "expired"}),
        json!({"idToken": "nonce-mismatch"}),
        json!({"idToken": "no-nonce"}),
        json!({"idToken": "alg-none"}),
        json!({"idToken": "hs256"}),
        json!({"userinfo": "foreign-key"}),
        json!({"userinfo": "wrong-aud"}),
        json!({"token": "error"}),
        json!({"token": "down"}),
    ];
    for fault in faults {
        provider(&issuer, Method::POST, "/__test/misbehave", Some(fault.clone())).await;
        let landing = sign_in(&t, &mut Browser::new(), &[("agent", "")]).await;
        assert!(landing.session.is_none(), "{fault}: {landing:?}");
        assert_eq!(landing.refusal()["raison"], "technique", "{fault}: {landing:?}");
        provider(&issuer, Method::DELETE, "/__test/misbehave", None).await;
    }

    // A key rotation: the new kid is fetched once, and the sign-in goes through.
    provider(&issuer, Method::POST, "/__test/rotate-keys", None).await;
    let landing = sign_in(&t, &mut Browser::new(), &[("agent", "")]).await;
    assert_eq!(landing.location, "/", "{landing:?}");
}

#[tokio::test]
async fn a_sub_presenting_another_address_is_refused() {
    let Some(issuer) = stand_in() else { return };
    let _in_turn = PROVIDER.lock().await;
    let t = TestHub::spawn().await;
    enrol(&t, "dominique.petit@mairie-a.test", ActorType::Agent, MAIRIE_A).await;
    enrol(&t, "dominique.petit-renard@mairie-a.test", ActorType::Agent, MAIRIE_A).await;

    // Linked under the previous address…
    provider(
        &issuer,
        Method::POST,
        "/__test/users/changed-email",
        Some(json!({"email": "dominique.petit@mairie-a.test"})),
    )
    .await;
    let landing = sign_in(&t, &mut Browser::new(), &[("changed-email", "")]).await;
    assert_eq!(landing.location, "/", "{landing:?}");
    // …then the same person presents another address.
    provider(
        &issuer,
        Method::POST,
        "/__test/users/changed-email",
        Some(json!({"email": "dominique.petit-renard@mairie-a.test"})),
    )
    .await;
    let landing = sign_in(&t, &mut Browser::new(), &[("changed-email", "")]).await;
    let page = landing.refusal();
    assert_eq!(page["raison"], "adresse-changee", "{page:?}");
    assert_eq!(page["adresse-liee"], "dominique.petit@mairie-a.test");
    let other = t.hub().state.store.account("dominique.petit-renard@mairie-a.test").await.unwrap().unwrap();
    assert!(other.proconnect_sub.is_none(), "the other account is not taken over");
}

#[tokio::test]
async fn an_agent_habilitated_on_a_sensitive_procedure_needs_a_second_factor_too() {
    let Some(_) = stand_in() else { return };
    let _in_turn = PROVIDER.lock().await;
    let t = TestHub::spawn().await;
    enrol(&t, "camille.martin@mairie-a.test", ActorType::Agent, MAIRIE_A).await;
    let store = &t.hub().state.store;
    let mut agent = store.account("camille.martin@mairie-a.test").await.unwrap().unwrap();
    agent.habilitations = vec![hubee_shared::domain::ProcessCode::parse("CERTDC").unwrap()];
    store.save_account(&agent).await.unwrap();

    // CERTDC is not sensitive: no second factor asked.
    let session = sign_in(&t, &mut Browser::new(), &[("agent", "")]).await.session.expect("a session");
    assert_eq!(me(&t, &session).await.0, 200);

    // The national administrator marks it sensitive: the agent's session ends at its next
    // request, and signing in again asks ProConnect for the second factor.
    let national = t.sign_in(NATIONAL_ADMIN, NATIONAL_ADMIN_PASSWORD).await;
    let r = t.portal_as(&national, Method::PATCH, "/national/procedures/CERTDC").json(&json!({"sensitive": true}));
    let (status, procedure) = answer(r.send().await.unwrap()).await;
    assert_eq!((status, procedure["sensitive"].as_bool()), (200, Some(true)), "{procedure}");
    assert_eq!(me(&t, &session).await.0, 401, "re-checked on every request");
    let landing = sign_in(&t, &mut Browser::new(), &[("agent", ""), ("agent", "1")]).await;
    assert_eq!(landing.location, "/", "stepped up, then granted: {landing:?}");
}

#[tokio::test]
async fn with_password_sign_in_turned_off_only_proconnect_signs_in() {
    let Some(_) = stand_in() else { return };
    let _in_turn = PROVIDER.lock().await;
    let mut t = TestHub::spawn().await;
    enrol(&t, "camille.martin@mairie-a.test", ActorType::Agent, MAIRIE_A).await;
    t.restart_without_passwords().await;

    let (status, body) = answer(t.portal(Method::GET, "/proconnect").send().await.unwrap()).await;
    assert_eq!(
        (status, &body),
        (200, &json!({"enabled": true, "password": false, "support": "support@hubee.example"})),
        "the password form is hidden"
    );
    let (status, body) = t.portal_password("agent@mairie-a.example", "Agent-Test-2026!").await;
    assert_eq!(status, 403, "{body}");
    assert_eq!(body["errors"][0]["message"], "Password sign-in is turned off: sign in with ProConnect");
    let landing = sign_in(&t, &mut Browser::new(), &[("agent", "")]).await;
    assert_eq!(landing.location, "/", "{landing:?}");
}

#[tokio::test]
async fn an_organisation_reserved_to_proconnect_refuses_the_password_of_whoever_knows_it() {
    let Some(_) = stand_in() else { return };
    let _in_turn = PROVIDER.lock().await;
    let t = TestHub::spawn().await;
    enrol(&t, "camille.martin@mairie-a.test", ActorType::Agent, MAIRIE_A).await;
    let national = t.sign_in(NATIONAL_ADMIN, NATIONAL_ADMIN_PASSWORD).await;
    let path = format!("/national/organisations/{}/{}", MAIRIE_A.0, MAIRIE_A.1);
    let r = t.portal_as(&national, Method::PATCH, &path).json(&json!({"proconnectOnly": true}));
    let (status, org) = answer(r.send().await.unwrap()).await;
    assert_eq!((status, org["proconnectOnly"].as_bool()), (200, Some(true)), "{org}");

    // The right password of one of its agents: refused, and said; a wrong one: as ever.
    let (status, body) = t.portal_password("agent@mairie-a.example", "Agent-Test-2026!").await;
    assert_eq!(
        (status, first_error(&body).1.as_str()),
        (403, "Password sign-in is turned off: sign in with ProConnect")
    );
    let (status, _) = t.portal_password("agent@mairie-a.example", "Not-The-Password-1!").await;
    assert_eq!(status, 401, "nobody learns more without the password");
    // Another organisation's people still sign in with theirs; this one's with ProConnect.
    let (status, _) = t.portal_password("agent@mairie-b.example", "AgentB-Test-2026!").await;
    assert_eq!(status, 200);
    let landing = sign_in(&t, &mut Browser::new(), &[("agent", "")]).await;
    assert_eq!(landing.location, "/", "{landing:?}");
}
