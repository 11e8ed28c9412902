//! Technical delegates serving other organisations, black-box against the local hub (issue 13,
//! finding 1): what a delegate may do in an organisation is set by that organisation only; it is
//! invited and accepts before it gets any access; that organisation lists, edits and detaches
//! it, and detaching ends its access at once, live sessions included.

#![allow(clippy::unwrap_used, clippy::expect_used)] // Test code: a failed step is a failed test.

use hubee_shared::{
    auth::hash_secret,
    domain::{Account, ActorType, BranchCode, Email, OrgId, Siret},
};
use hubee_tests::*;
use reqwest::Method;
use serde_json::{Value, json};

/// Provisioned with Mairie A as its own organisation, "Gestion des abonnements" by default.
const DELEGATE: &str = "delegue@editeur.example";
const DELEGATE_PASSWORD: &str = "Delegue-Test-2026!";
const ADMIN_B: &str = "admin@mairie-b.example";
const ADMIN_B_PASSWORD: &str = "AdminB-Test-2026!";

fn key(org: (&str, &str)) -> String {
    format!("{}-{}", org.0, org.1)
}

async fn call(t: &TestHub, s: &PortalSession, method: Method, path: &str, body: Option<Value>) -> (u16, Value) {
    let r = t.portal_as(s, method, path);
    answer(
        match body {
            Some(b) => r.json(&b),
            None => r,
        }
        .send()
        .await
        .unwrap(),
    )
    .await
}

/// Mairie B's local administrator, who has no account in the test referential.
async fn admin_of_mairie_b(t: &TestHub) -> PortalSession {
    let org = OrgId { siret: Siret::parse(MAIRIE_B.0).unwrap(), branch_code: BranchCode::parse(MAIRIE_B.1).unwrap() };
    let admin = Account {
        password_hash: Some(hash_secret(ADMIN_B_PASSWORD).unwrap()),
        ..Account::new(Email::parse(ADMIN_B).unwrap(), ActorType::LocalAdmin, org, "Claire", "Maire")
    };
    t.hub().state.store.save_account(&admin).await.unwrap();
    t.sign_in(ADMIN_B, ADMIN_B_PASSWORD).await
}

fn emails(list: &Value) -> Vec<&str> {
    list["items"].as_array().unwrap().iter().map(|a| a["email"].as_str().unwrap()).collect()
}

#[tokio::test]
async fn a_delegate_gets_in_another_organisation_only_what_it_gives_and_loses_it_when_detached() {
    let t = TestHub::spawn().await;
    let admin_a = t.sign_in("admin@mairie-a.example", "Admin-Test-2026!").await;
    let admin_b = admin_of_mairie_b(&t).await;
    let in_b = format!("?organisation={}", key(MAIRIE_B));

    // At home (Mairie A), the delegate is given "Gestion des utilisateurs".
    let delegate_path = "/accounts/delegue%40editeur.example";
    let roles = json!({"roles": ["GESTION_ABONNEMENTS", "GESTION_UTILISATEURS"]});
    assert_eq!(call(&t, &admin_a, Method::PATCH, delegate_path, Some(roles)).await.0, 200);

    // Mairie B names it on its CERTDC subscription: an invitation, no access yet.
    let (_, subscriptions) = call(&t, &admin_b, Method::GET, "/subscriptions", None).await;
    let certdc_b = subscriptions["items"][0]["id"].as_str().unwrap().to_owned();
    let delegate_of = |email: Option<&str>| json!({"email": email});
    let (status, row) = call(
        &t,
        &admin_b,
        Method::PUT,
        &format!("/subscriptions/{certdc_b}/delegate"),
        Some(delegate_of(Some(DELEGATE))),
    )
    .await;
    assert_eq!((status, row["technicalDelegate"].as_str()), (200, Some(DELEGATE)), "{row}");
    let invitation = t.wait_for_email_with_subject(DELEGATE, "HubEE : invitation à intervenir pour Mairie B", 1).await;
    assert!(invitation.text.contains(MAIRIE_B.0));
    let (_, listed) = call(&t, &admin_b, Method::GET, &format!("/accounts{in_b}"), None).await;
    let row = listed["items"].as_array().unwrap().iter().find(|a| a["email"] == DELEGATE).unwrap().clone();
    assert_eq!(row["delegation"]["status"], "INVITED");
    for private in ["phoneNumber", "organisation", "otherOrganisations", "function"] {
        assert!(row.get(private).is_none(), "B does not learn the delegate's {private}: {row}");
    }

    let delegate = t.sign_in(DELEGATE, DELEGATE_PASSWORD).await;
    assert_eq!(delegate.me["invitations"][0]["siret"], MAIRIE_B.0);
    assert_eq!(delegate.me["organisations"].as_array().unwrap().len(), 1, "invited is not serving");
    assert_eq!(call(&t, &delegate, Method::GET, &format!("/accounts{in_b}"), None).await.0, 403);
    let (_, visible) = call(&t, &delegate, Method::GET, "/subscriptions", None).await;
    assert!(visible["items"].as_array().unwrap().iter().all(|s| s["subscriber"]["siret"] == MAIRIE_A.0));

    // Accepted: it serves B with B's delegate defaults, never with its roles at home.
    let invitation_path = format!("/me/invitations/{}", key(MAIRIE_B));
    assert_eq!(call(&t, &delegate, Method::POST, &invitation_path, None).await.0, 204);
    let (_, me) = call(&t, &delegate, Method::GET, "/me", None).await;
    assert_eq!(me["organisations"][1]["siret"], MAIRIE_B.0);
    assert_eq!(me["organisations"][1]["roles"], json!(["GESTION_ABONNEMENTS"]));
    assert_eq!(me["invitations"], json!([]));
    let (status, _) = call(&t, &delegate, Method::GET, &format!("/subscriptions/{certdc_b}"), None).await;
    assert_eq!(status, 200, "B's subscriptions, with the role B gave");
    let new_admin = json!({"actorType": "LOCAL_ADMIN", "email": "intrus@editeur.example", "firstName": "I",
        "lastName": "Ntrus", "phoneNumber": "+33123456789"});
    let (status, _) = call(&t, &delegate, Method::POST, &format!("/accounts{in_b}"), Some(new_admin.clone())).await;
    assert_eq!(status, 403, "its users role at home does not let it create an administrator in B");
    let admin_b_path = format!("/accounts/admin%40mairie-b.example/suspension{in_b}");
    assert_eq!(call(&t, &delegate, Method::POST, &admin_b_path, None).await.0, 403, "nor suspend B's administrator");
    assert!(t.hub().state.store.account("intrus@editeur.example").await.unwrap().is_none());

    // B edits what it gave, never the delegate's profile or suspension.
    let in_b_path = format!("{delegate_path}{in_b}");
    let (status, err) = call(&t, &admin_b, Method::PATCH, &in_b_path, Some(json!({"lastName": "Autre"}))).await;
    assert_eq!((status, first_error(&err).1.contains("roles and habilitations")), (403, true), "{err}");
    let suspension = format!("{delegate_path}/suspension{in_b}");
    assert_eq!(call(&t, &admin_b, Method::POST, &suspension, None).await.0, 403);
    let readonly = json!({"roles": ["CONSULTATION_ABONNEMENTS"]});
    let (status, edited) = call(&t, &admin_b, Method::PATCH, &in_b_path, Some(readonly)).await;
    assert_eq!((status, edited["roles"].clone()), (200, json!(["CONSULTATION_ABONNEMENTS"])));
    let (status, _) = call(
        &t,
        &delegate,
        Method::PUT,
        &format!("/subscriptions/{certdc_b}/notifications"),
        Some(json!({"notificationFrequency": "aucune"})),
    )
    .await;
    assert_eq!(status, 403, "reading only, from B's next request on");
    let (_, at_home) = call(&t, &admin_a, Method::GET, delegate_path, None).await;
    assert_eq!(at_home["roles"], json!(["GESTION_ABONNEMENTS", "GESTION_UTILISATEURS"]), "A's roles untouched");

    // Removing it from the subscription detaches it: its live session loses B at once.
    let (status, _) =
        call(&t, &admin_b, Method::PUT, &format!("/subscriptions/{certdc_b}/delegate"), Some(delegate_of(None))).await;
    assert_eq!(status, 200);
    assert_eq!(call(&t, &delegate, Method::GET, &format!("/subscriptions/{certdc_b}"), None).await.0, 404);
    let (_, me) = call(&t, &delegate, Method::GET, "/me", None).await;
    assert_eq!(me["organisations"].as_array().unwrap().len(), 1, "{me}");
    let (_, listed) = call(&t, &admin_b, Method::GET, &format!("/accounts{in_b}"), None).await;
    assert!(!emails(&listed).contains(&DELEGATE), "{listed}");

    // Named again and accepted, then detached from "Gestion des comptes": gone at once too.
    call(&t, &admin_b, Method::PUT, &format!("/subscriptions/{certdc_b}/delegate"), Some(delegate_of(Some(DELEGATE))))
        .await;
    assert_eq!(call(&t, &delegate, Method::POST, &invitation_path, None).await.0, 204);
    assert_eq!(call(&t, &delegate, Method::GET, &format!("/subscriptions/{certdc_b}"), None).await.0, 200);
    let detach = format!("{delegate_path}/delegation{in_b}");
    assert_eq!(call(&t, &admin_b, Method::DELETE, &detach, None).await.0, 204);
    assert_eq!(call(&t, &delegate, Method::GET, &format!("/subscriptions/{certdc_b}"), None).await.0, 404);
    assert_eq!(call(&t, &delegate, Method::POST, &invitation_path, None).await.0, 404, "no invitation left");
    assert_eq!(call(&t, &delegate, Method::GET, "/accounts", None).await.0, 200, "still at home");
}

#[tokio::test]
async fn naming_an_existing_delegate_as_an_account_invites_it_and_answers_its_name_and_address_only() {
    let t = TestHub::spawn().await;
    let admin_b = admin_of_mairie_b(&t).await;
    let body = json!({"actorType": "TECHNICAL_DELEGATE", "email": DELEGATE, "firstName": "X", "lastName": "Y",
        "phoneNumber": "+33123456789"});
    let (status, invited) = call(&t, &admin_b, Method::POST, "/accounts", Some(body.clone())).await;
    assert_eq!(status, 202, "{invited}");
    let keys: Vec<_> = invited.as_object().unwrap().keys().cloned().collect();
    assert_eq!(keys, ["delegation", "email", "firstName", "lastName"]);
    assert_eq!((invited["firstName"].as_str(), invited["lastName"].as_str()), (Some("Inès"), Some("Moreau")));
    assert_eq!(call(&t, &admin_b, Method::POST, "/accounts", Some(body)).await.0, 409, "already invited");

    // Declining leaves no trace in B.
    let delegate = t.sign_in(DELEGATE, DELEGATE_PASSWORD).await;
    assert_eq!(delegate.me["invitations"][0]["name"], "Mairie B");
    let invitation_path = format!("/me/invitations/{}", key(MAIRIE_B));
    assert_eq!(call(&t, &delegate, Method::DELETE, &invitation_path, None).await.0, 204);
    let (_, listed) = call(&t, &admin_b, Method::GET, "/accounts", None).await;
    assert!(!emails(&listed).contains(&DELEGATE), "{listed}");
    assert_eq!(call(&t, &delegate, Method::POST, &invitation_path, None).await.0, 404);
    assert_eq!(call(&t, &delegate, Method::POST, "/me/invitations/not-an-organisation", None).await.0, 404);
}

#[tokio::test]
async fn removing_a_delegate_of_another_organisation_detaches_it_and_its_account_lives_on_at_home() {
    let t = TestHub::spawn().await;
    let admin_b = admin_of_mairie_b(&t).await;
    let store = &t.hub().state.store;
    let mut delegate = store.account(DELEGATE).await.unwrap().unwrap();
    let org_b = OrgId { siret: Siret::parse(MAIRIE_B.0).unwrap(), branch_code: BranchCode::parse(MAIRIE_B.1).unwrap() };
    let mut serving = hubee_shared::domain::Delegation::invitation(org_b, chrono::Utc::now());
    serving.status = hubee_shared::domain::DelegationStatus::Accepted;
    delegate.delegations.push(serving);
    store.save_account(&delegate).await.unwrap();
    assert!(emails(&call(&t, &admin_b, Method::GET, "/accounts", None).await.1).contains(&DELEGATE));

    let path = "/accounts/delegue%40editeur.example";
    let (status, removed) = call(&t, &admin_b, Method::DELETE, path, None).await;
    assert_eq!((status, removed), (200, json!({"outcome": "DETACHED"})));
    assert!(!emails(&call(&t, &admin_b, Method::GET, "/accounts", None).await.1).contains(&DELEGATE));
    let session = t.sign_in(DELEGATE, DELEGATE_PASSWORD).await;
    assert_eq!(session.me["organisations"].as_array().unwrap().len(), 1, "it serves its own organisation only");
    assert!(store.account(DELEGATE).await.unwrap().unwrap().removed_at.is_none(), "only detached");
}
