//! "Gestion des comptes", black-box against the local hub: Mairie A's administrator creates an
//! agent who activates the account from the e-mailed link and sees the dossiers of its
//! procedure only; invalid and duplicate creations; edits, roles taking effect at once;
//! suspension ending the live session; and nothing across organisations.

#![allow(clippy::unwrap_used, clippy::expect_used)] // Test code: a failed step is a failed test.

use hubee_tests::{folders::*, *};
use reqwest::Method;
use serde_json::{Value, json};

const NEW_AGENT: &str = "ines.nouvel@mairie-a.example";
const NEW_AGENT_PATH: &str = "/accounts/ines.nouvel%40mairie-a.example";
const NEW_PASSWORD: &str = "Nouvel-Agent-2026!";

async fn call(t: &TestHub, s: &PortalSession, method: Method, path: &str, body: Option<Value>) -> (u16, Value) {
    let mut r = t.portal_as(s, method, path);
    if let Some(b) = body {
        r = r.json(&b);
    }
    answer(r.send().await.unwrap()).await
}

fn emails(list: &Value) -> Vec<&str> {
    list["items"].as_array().unwrap().iter().map(|a| a["email"].as_str().unwrap()).collect()
}

fn new_agent() -> Value {
    json!({"actorType": "AGENT", "email": NEW_AGENT, "civility": "MADAME", "firstName": "Inès", "lastName": "Nouvel",
           "function": "Officière d'état civil", "phoneNumber": "+33612345678", "habilitations": ["STRICTDEMO"]})
}

/// Creates the agent and has it choose its password from the activation e-mail, then sign in.
async fn activated_agent(t: &TestHub, admin: &PortalSession) -> PortalSession {
    let (status, created) = call(t, admin, Method::POST, "/accounts", Some(new_agent())).await;
    assert_eq!(status, 201, "{created}");
    let email = t.wait_for_email_with_subject(NEW_AGENT, ACTIVATION_SUBJECT, 1).await;
    let token = link_token_in(&email).expect("a link in the activation e-mail");
    let r = t.portal(Method::POST, "/password").json(&json!({"token": token, "password": NEW_PASSWORD}));
    assert_eq!(r.send().await.unwrap().status(), 204, "the link sets the password");
    t.sign_in(NEW_AGENT, NEW_PASSWORD).await
}

#[tokio::test]
async fn an_administrator_creates_an_agent_who_activates_the_account_and_sees_its_procedure_only() {
    let t = TestHub::spawn().await;
    let op = t.operator_token().await;
    let (certdc, files) = certdc_folder("DGS-CERTDC-ACCOUNTS-1");
    deposit(&t, &op, &certdc, &files).await;
    let strict = json!({
        "externalId": "DGS-STRICT-ACCOUNTS-1", "processCode": "STRICTDEMO",
        "applicant": {"firstName": "Camille", "lastName": "STRICT"},
        "cases": [{"externalId": "S-A", "recipient": recipient(MAIRIE_A)}],
        "attachments": [{"fileName": files[0].0, "type": "T", "size": files[0].2.len(), "mimeType": "application/pdf", "recipients": ["S-A"]}]
    });
    deposit(&t, &op, &strict, &files[..1]).await;

    let admin = t.sign_in(PORTAL_ADMIN, PORTAL_ADMIN_PASSWORD).await;
    let agent = activated_agent(&t, &admin).await;
    assert_eq!(agent.me["habilitations"], json!(["STRICTDEMO"]));
    let (status, inbox) = call(&t, &agent, Method::GET, "/cases", None).await;
    assert_eq!(status, 200, "{inbox}");
    let procedures: Vec<_> =
        inbox["items"].as_array().unwrap().iter().map(|i| i["processCode"].as_str().unwrap()).collect();
    assert_eq!(procedures, ["STRICTDEMO"], "the CERTDC dossier of Mairie A stays out of sight");

    let (status, read) = call(&t, &admin, Method::GET, NEW_AGENT_PATH, None).await;
    assert_eq!(status, 200);
    assert_eq!((read["activated"].as_bool(), read["active"].as_bool()), (Some(true), Some(true)));
}

#[tokio::test]
async fn an_invalid_creation_lists_every_problem_and_a_taken_address_is_a_conflict() {
    let t = TestHub::spawn().await;
    let admin = t.sign_in(PORTAL_ADMIN, PORTAL_ADMIN_PASSWORD).await;
    let bad = json!({"actorType": "AGENT", "email": "pas-une-adresse", "phoneNumber": "06 12 34 56",
                     "secondaryPhoneNumber": "+330612345678", "habilitations": ["EtatCivil", "INCONNUE"]});
    let (status, err) = call(&t, &admin, Method::POST, "/accounts", Some(bad)).await;
    assert_eq!(status, 400);
    let message = first_error(&err).1;
    for part in [
        "@body.email] \"pas-une-adresse\" is not a valid e-mail address",
        "@body.phoneNumber] \"06 12 34 56\" is not a phone number",
        "@body.secondaryPhoneNumber]",
        "@body.habilitations[0]] The organisation does not subscribe to procedure EtatCivil",
        "@body.habilitations[1]] The organisation does not subscribe to procedure INCONNUE",
        "missing required properties ([\"firstName\"])",
        "missing required properties ([\"lastName\"])",
    ] {
        assert!(message.contains(part), "{part:?} in {message}");
    }
    assert!(t.emails_with_subject("pas-une-adresse", ACTIVATION_SUBJECT).is_empty());

    let taken = json!({"actorType": "AGENT", "email": "Agent@Mairie-B.example", "firstName": "A", "lastName": "B",
                       "phoneNumber": "+33612345678"});
    let (status, err) = call(&t, &admin, Method::POST, "/accounts", Some(taken)).await;
    assert_eq!((status, first_error(&err).1.as_str()), (409, "An account already exists with this e-mail address"));
    let (status, _) = call(&t, &admin, Method::GET, "/accounts/agent%40mairie-b.example", None).await;
    assert_eq!(status, 404, "a conflict, yet another organisation's account stays hidden");
}

#[tokio::test]
async fn edits_and_roles_take_effect_on_the_next_request_and_suspension_ends_the_session() {
    let t = TestHub::spawn().await;
    let admin = t.sign_in(PORTAL_ADMIN, PORTAL_ADMIN_PASSWORD).await;
    let agent = activated_agent(&t, &admin).await;

    // Edit the profile.
    let change = json!({"lastName": "Nouvel-Durand", "secondaryPhoneNumber": "+262 692 12 34 56", "function": null});
    let (status, edited) = call(&t, &admin, Method::PATCH, NEW_AGENT_PATH, Some(change)).await;
    assert_eq!(status, 200, "{edited}");
    assert_eq!(
        (edited["lastName"].as_str(), edited["secondaryPhoneNumber"].as_str(), edited["function"].clone()),
        (Some("Nouvel-Durand"), Some("+262692123456"), Value::Null)
    );
    let (status, err) = call(&t, &admin, Method::PATCH, NEW_AGENT_PATH, Some(json!({"email": "x@y.example"}))).await;
    assert_eq!(status, 400, "the address does not change: {err}");

    // Roles: the agent may not manage accounts, then may, then may not read dossiers.
    assert_eq!(call(&t, &agent, Method::GET, "/accounts", None).await.0, 403);
    let roles = json!({"roles": ["GESTION_TELEDOSSIERS", "GESTION_UTILISATEURS"]});
    assert_eq!(call(&t, &admin, Method::PATCH, NEW_AGENT_PATH, Some(roles)).await.0, 200);
    let (status, list) = call(&t, &agent, Method::GET, "/accounts", None).await;
    assert_eq!(status, 200, "the same session, the new role: {list}");
    assert!(emails(&list).contains(&PORTAL_ADMIN));
    let (status, err) = call(&t, &admin, Method::PATCH, NEW_AGENT_PATH, Some(json!({"roles": []}))).await;
    assert_eq!(status, 400, "an account keeps at least one role");
    assert!(first_error(&err).1.contains("@body.roles] At least one role is required"), "{err}");
    assert_eq!(call(&t, &agent, Method::GET, "/accounts", None).await.0, 200, "nothing changed");
    let roles = json!({"roles": ["CONSULTATION_ABONNEMENTS"]});
    assert_eq!(call(&t, &admin, Method::PATCH, NEW_AGENT_PATH, Some(roles)).await.0, 200);
    assert_eq!(call(&t, &agent, Method::GET, "/accounts", None).await.0, 403);
    assert_eq!(call(&t, &agent, Method::GET, "/cases", None).await.0, 403, "no dossier role left");
    let roles = json!({"roles": ["CONSULTATION_TELEDOSSIERS"]});
    assert_eq!(call(&t, &admin, Method::PATCH, NEW_AGENT_PATH, Some(roles)).await.0, 200);
    assert_eq!(call(&t, &agent, Method::GET, "/cases", None).await.0, 200);

    // The administrator keeps its own role and account.
    let own = "/accounts/admin%40mairie-a.example";
    let (status, err) = call(&t, &admin, Method::PATCH, own, Some(json!({"actorType": "AGENT"}))).await;
    assert_eq!((status, first_error(&err).1.contains("GESTION_UTILISATEURS")), (400, true), "{err}");
    assert_eq!(call(&t, &admin, Method::POST, &format!("{own}/suspension"), None).await.0, 400);

    // Suspend: the live session ends, sign-in is refused; reactivate: sign-in works again.
    let (status, suspended) = call(&t, &admin, Method::POST, &format!("{NEW_AGENT_PATH}/suspension"), None).await;
    assert_eq!((status, suspended["active"].as_bool()), (200, Some(false)));
    let (status, _) = call(&t, &agent, Method::GET, "/cases", None).await;
    assert_eq!(status, 401, "the suspended agent's session is over");
    assert_eq!(t.portal_password(NEW_AGENT, NEW_PASSWORD).await.0, 401);
    let (_, inactive) = call(&t, &admin, Method::GET, "/accounts?active=false", None).await;
    assert_eq!(emails(&inactive), [NEW_AGENT]);
    let (status, back) = call(&t, &admin, Method::DELETE, &format!("{NEW_AGENT_PATH}/suspension"), None).await;
    assert_eq!((status, back["active"].as_bool()), (200, Some(true)));
    assert_eq!(call(&t, &agent, Method::GET, "/cases", None).await.0, 401, "old sessions stay over");
    let again = t.sign_in(NEW_AGENT, NEW_PASSWORD).await;
    assert_eq!(call(&t, &again, Method::GET, "/cases", None).await.0, 200);
}

#[tokio::test]
async fn the_list_filters_and_stays_inside_the_organisation() {
    let t = TestHub::spawn().await;
    let admin = t.sign_in(PORTAL_ADMIN, PORTAL_ADMIN_PASSWORD).await;
    activated_agent(&t, &admin).await;
    let get = |path: &'static str| {
        let (t, admin) = (&t, &admin);
        async move { call(t, admin, Method::GET, path, None).await }
    };

    let (status, all) = get("/accounts").await;
    assert_eq!(status, 200, "{all}");
    // Every account of Mairie A (whatever else the provisioning holds), by last name; never
    // Mairie B's agent.
    let everyone = emails(&all);
    for email in [PORTAL_ADMIN, NEW_AGENT, "agent@mairie-a.example", "lecteur@mairie-a.example"] {
        assert!(everyone.contains(&email), "{email} in {everyone:?}");
    }
    assert!(!everyone.contains(&"agent@mairie-b.example"));
    let last_names: Vec<String> =
        all["items"].as_array().unwrap().iter().map(|a| a["lastName"].as_str().unwrap().to_lowercase()).collect();
    assert!(last_names.is_sorted(), "{last_names:?}");
    let row = all["items"].as_array().unwrap().iter().find(|a| a["email"] == NEW_AGENT).unwrap();
    assert_eq!(
        (row["firstName"].as_str(), row["actorType"].as_str(), row["roles"].clone(), row["habilitations"].clone()),
        (Some("Inès"), Some("AGENT"), json!(["GESTION_TELEDOSSIERS"]), json!(["STRICTDEMO"]))
    );
    assert_eq!(row["active"], true);

    // Each filter keeps exactly the rows that pass it.
    let (_, admins) = get("/accounts?actorType=LOCAL_ADMIN").await;
    assert!(emails(&admins).contains(&PORTAL_ADMIN));
    assert!(admins["items"].as_array().unwrap().iter().all(|a| a["actorType"] == "LOCAL_ADMIN"));
    let (_, readers) = get("/accounts?role=CONSULTATION_TELEDOSSIERS").await;
    assert!(emails(&readers).contains(&"lecteur@mairie-a.example") && !emails(&readers).contains(&NEW_AGENT));
    assert_eq!(emails(&get("/accounts?processCode=STRICTDEMO").await.1), [NEW_AGENT]);
    assert_eq!(emails(&get("/accounts?name=NOUV").await.1), [NEW_AGENT], "case ignored");
    assert_eq!(emails(&get("/accounts?name=ines%20no").await.1), [NEW_AGENT], "accents ignored, first name first");
    let (_, certdc) = get("/accounts?active=true&actorType=AGENT&processCode=CERTDC").await;
    assert!(emails(&certdc).contains(&"agent@mairie-a.example") && !emails(&certdc).contains(&NEW_AGENT));
    let (_, active) = get("/accounts?active=true").await;
    assert!(active["items"].as_array().unwrap().iter().all(|a| a["active"] == true));
    assert_eq!(get("/accounts?role=BOSS").await.0, 400);
    assert_eq!(get("/accounts?colour=blue").await.0, 400);
    assert_eq!(get("/accounts?organisation=21000005908301-69123").await.0, 403, "Mairie B is not served");

    // Mairie A's administrator is the other organisation's administrator for Mairie B's agent.
    for method in [Method::GET, Method::PATCH] {
        let (status, err) = call(&t, &admin, method, "/accounts/agent%40mairie-b.example", Some(json!({}))).await;
        assert_eq!((status, first_error(&err).1.as_str()), (404, "Account is not found"));
    }
    let (status, _) = call(&t, &admin, Method::POST, "/accounts/agent%40mairie-b.example/suspension", None).await;
    assert_eq!(status, 404);

    // An agent without "Gestion des utilisateurs" gets nothing.
    let agent = t.sign_in("agent@mairie-a.example", "Agent-Test-2026!").await;
    assert_eq!(call(&t, &agent, Method::GET, "/accounts", None).await.0, 403);
    assert_eq!(call(&t, &agent, Method::POST, "/accounts", Some(new_agent())).await.0, 403);
    assert_eq!(call(&t, &agent, Method::GET, NEW_AGENT_PATH, None).await.0, 403);
}

#[tokio::test]
async fn removing_an_account_closes_it_for_good_but_keeps_its_history_and_an_organisation_keeps_an_administrator() {
    const SELF_REMOVAL: &str = "You cannot remove your own account";
    const LAST_ADMINISTRATOR: &str = "This account is the organisation's last active local administrator: name another \
                                      local administrator before removing it";
    let t = TestHub::spawn().await;
    let admin = t.sign_in(PORTAL_ADMIN, PORTAL_ADMIN_PASSWORD).await;
    let agent = activated_agent(&t, &admin).await;

    let own = "/accounts/admin%40mairie-a.example";
    let (status, err) = call(&t, &admin, Method::DELETE, own, None).await;
    assert_eq!((status, first_error(&err).1.as_str()), (400, SELF_REMOVAL));

    let (status, removed) = call(&t, &admin, Method::DELETE, NEW_AGENT_PATH, None).await;
    assert_eq!((status, removed), (200, json!({"outcome": "CLOSED"})));
    // Its live session ends, it cannot sign in again, and it is out of the organisation's lists.
    assert_eq!(call(&t, &agent, Method::GET, "/me", None).await.0, 401);
    let (status, _) = t.portal_password(NEW_AGENT, NEW_PASSWORD).await;
    assert_eq!(status, 401);
    let (_, list) = call(&t, &admin, Method::GET, "/accounts", None).await;
    assert!(!emails(&list).contains(&NEW_AGENT), "{list}");
    let csv = t.portal_as(&admin, Method::GET, "/accounts.csv").send().await.unwrap().text().await.unwrap();
    assert!(!csv.contains(NEW_AGENT), "{csv}");
    assert_eq!(call(&t, &admin, Method::GET, NEW_AGENT_PATH, None).await.0, 404);
    assert_eq!(call(&t, &admin, Method::DELETE, NEW_AGENT_PATH, None).await.0, 404, "removed once");
    let back = call(&t, &admin, Method::DELETE, &format!("{NEW_AGENT_PATH}/suspension"), None).await;
    assert_eq!(back.0, 404, "a removed account is not reactivated");
    // The item stays, closed and without rights, so that what it did stays attributed to it.
    let kept = t.hub().state.store.account(NEW_AGENT).await.unwrap().expect("the account item is kept");
    assert!(kept.removed_at.is_some() && !kept.active && kept.roles.is_empty() && kept.habilitations.is_empty());
    let (_, journal) = call(&t, &admin, Method::GET, "/audit?limit=200", None).await;
    let entries = journal["items"].as_array().unwrap();
    assert!(entries.iter().any(|e| e["action"] == "signIn.code" && e["actor"]["id"] == NEW_AGENT), "{journal}");
    assert!(entries.iter().any(|e| e["action"] == "accounts.delete" && e["actor"]["id"] == PORTAL_ADMIN));

    // The address may be given again: a new account, which activates anew.
    let (status, again) = call(&t, &admin, Method::POST, "/accounts", Some(new_agent())).await;
    assert_eq!((status, again["active"].as_bool(), again["activated"].as_bool()), (201, Some(true), Some(false)));
    assert!(emails(&call(&t, &admin, Method::GET, "/accounts", None).await.1).contains(&NEW_AGENT));

    // The delegate, given "Gestion des utilisateurs", may not remove the only local administrator...
    let delegate_path = "/accounts/delegue%40editeur.example";
    let roles = json!({"roles": ["GESTION_ABONNEMENTS", "GESTION_UTILISATEURS"]});
    assert_eq!(call(&t, &admin, Method::PATCH, delegate_path, Some(roles)).await.0, 200);
    let delegate = t.sign_in("delegue@editeur.example", "Delegue-Test-2026!").await;
    let (status, err) = call(&t, &delegate, Method::DELETE, own, None).await;
    assert_eq!((status, first_error(&err).1.as_str()), (400, LAST_ADMINISTRATOR));
    assert!(t.hub().state.store.account(PORTAL_ADMIN).await.unwrap().unwrap().active, "nothing changed");
    // ... but may once there is another one.
    let second = json!({"actorType": "LOCAL_ADMIN", "email": "second.admin@mairie-a.example", "firstName": "Marc",
                        "lastName": "Second", "phoneNumber": "06 12 34 56 78"});
    let (status, created) = call(&t, &admin, Method::POST, "/accounts", Some(second)).await;
    assert_eq!((status, created["phoneNumber"].as_str()), (201, Some("+33612345678")), "stored in E.164");
    assert_eq!(call(&t, &delegate, Method::DELETE, own, None).await.0, 200);
    assert_eq!(call(&t, &admin, Method::GET, "/me", None).await.0, 401, "its session ended");
}
