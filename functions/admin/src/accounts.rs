//! The portal's account administration ("Gestion des comptes"), for holders of "Gestion des
//! utilisateurs" inside their organisation, and the invitations a technical delegate answers.
//!
//! Every administration route takes `organisation=<siret>-<branchCode>`, optional: the
//! organisation managed, one the caller serves (a technical delegate serving several picks one),
//! its own by default. Accounts are named in paths by their e-mail address, percent-encoded.
use axum::{
    Json, Router,
    extract::{Path, State},
    http::StatusCode,
    response::{IntoResponse, Response},
    routing::{MethodRouter, delete, get, patch, post},
};
use hubee_shared::{
    http::{self, ApiError, JsonBody, NoQuery, PortalUser, QueryParams, RequestLine},
    services::{
        accounts::{
            self, AccountChanges, AccountFilters, AccountList, AccountView, Created, NewAccount, OrgAccountView,
        },
        exports,
    },
    state::AppState,
};

pub const ACCOUNTS: &str = "/portail/v1/accounts";
pub const ACCOUNTS_CSV: &str = "/portail/v1/accounts.csv";
pub const ACCOUNT: &str = "/portail/v1/accounts/{email}";
pub const SUSPENSION: &str = "/portail/v1/accounts/{email}/suspension";
pub const DELEGATION: &str = "/portail/v1/accounts/{email}/delegation";
pub const INVITATION: &str = "/portail/v1/me/invitations/{organisation}";

/// The portal routes of this module (documented in the portal's OpenAPI document).
pub const PORTAL_ROUTES: &[(&str, &str)] = &[
    ("GET", ACCOUNTS),
    ("POST", ACCOUNTS),
    ("GET", ACCOUNTS_CSV),
    ("GET", ACCOUNT),
    ("PATCH", ACCOUNT),
    ("DELETE", ACCOUNT),
    ("POST", SUSPENSION),
    ("DELETE", SUSPENSION),
    ("DELETE", DELEGATION),
    ("POST", INVITATION),
    ("DELETE", INVITATION),
];

fn handler(method: &str, path: &str) -> Option<MethodRouter<AppState>> {
    Some(match (method, path) {
        ("GET", ACCOUNTS) => get(list_accounts),
        ("POST", ACCOUNTS) => post(create_account),
        ("GET", ACCOUNTS_CSV) => get(export_accounts),
        ("GET", ACCOUNT) => get(get_account),
        ("PATCH", ACCOUNT) => patch(update_account),
        ("DELETE", ACCOUNT) => delete(remove_account),
        ("POST", SUSPENSION) => post(suspend_account),
        ("DELETE", SUSPENSION) => delete(reactivate_account),
        ("DELETE", DELEGATION) => delete(detach_delegate),
        ("POST", INVITATION) => post(accept_invitation),
        ("DELETE", INVITATION) => delete(leave_organisation),
        _ => return None,
    })
}

pub fn routes() -> Router<AppState> {
    http::route_table(PORTAL_ROUTES, handler)
}

/// The organisation the request manages, after the role check ("Gestion des utilisateurs"
/// there).
fn organisation(
    user: &PortalUser,
    line: &RequestLine,
    query: &QueryParams,
    allowed: &[&str],
) -> Result<hubee_shared::domain::OrgId, ApiError> {
    accounts::authorise(&user.account)?;
    query.only(allowed)?;
    let asked = accounts::parse_organisation_param(&line.0, query.one("organisation"))?;
    Ok(accounts::organisation(&user.account, asked)?)
}

async fn list_accounts(
    State(state): State<AppState>,
    user: PortalUser,
    line: RequestLine,
    query: QueryParams,
) -> Result<Json<AccountList>, ApiError> {
    let org = organisation(&user, &line, &query, accounts::LIST_PARAMETERS)?;
    let filters = AccountFilters::parse(&line.0, query.pairs())?;
    Ok(Json(accounts::list(&state, &user.account, &org, &filters).await?))
}

/// The list as a CSV file: the same filters, the same accounts.
async fn export_accounts(
    State(state): State<AppState>,
    user: PortalUser,
    line: RequestLine,
    query: QueryParams,
) -> Result<Response, ApiError> {
    let org = organisation(&user, &line, &query, accounts::LIST_PARAMETERS)?;
    let filters = AccountFilters::parse(&line.0, query.pairs())?;
    Ok(http::csv_response(exports::accounts(&state, &user.account, &org, &filters).await?))
}

async fn create_account(
    State(state): State<AppState>,
    user: PortalUser,
    line: RequestLine,
    query: QueryParams,
    JsonBody(body): JsonBody,
) -> Result<Response, ApiError> {
    let org = organisation(&user, &line, &query, &["organisation"])?;
    let subscribed = accounts::procedures_to_give(&state, &user.account, &org).await?;
    let command = NewAccount::parse(&line.0, &body, &subscribed)?;
    Ok(match accounts::create(&state, &user.account, &org, command).await? {
        Created::Account(account) => (StatusCode::CREATED, Json(account)).into_response(),
        Created::DelegateInvited(invited) => (StatusCode::ACCEPTED, Json(invited)).into_response(),
    })
}

async fn get_account(
    State(state): State<AppState>,
    user: PortalUser,
    line: RequestLine,
    query: QueryParams,
    Path(email): Path<String>,
) -> Result<Json<OrgAccountView>, ApiError> {
    let org = organisation(&user, &line, &query, &["organisation"])?;
    Ok(Json(accounts::read(&state, &user.account, &org, &email).await?))
}

async fn update_account(
    State(state): State<AppState>,
    user: PortalUser,
    line: RequestLine,
    query: QueryParams,
    Path(email): Path<String>,
    JsonBody(body): JsonBody,
) -> Result<Json<OrgAccountView>, ApiError> {
    let org = organisation(&user, &line, &query, &["organisation"])?;
    let subscribed = accounts::procedures_to_give(&state, &user.account, &org).await?;
    let command = AccountChanges::parse(&line.0, &body, &subscribed)?;
    Ok(Json(accounts::update(&state, &user.account, &org, &email, command).await?))
}

async fn suspend_account(
    State(state): State<AppState>,
    user: PortalUser,
    line: RequestLine,
    query: QueryParams,
    Path(email): Path<String>,
) -> Result<Json<AccountView>, ApiError> {
    let org = organisation(&user, &line, &query, &["organisation"])?;
    Ok(Json(accounts::set_active(&state, &user.account, &org, &email, false).await?))
}

async fn reactivate_account(
    State(state): State<AppState>,
    user: PortalUser,
    line: RequestLine,
    query: QueryParams,
    Path(email): Path<String>,
) -> Result<Json<AccountView>, ApiError> {
    let org = organisation(&user, &line, &query, &["organisation"])?;
    Ok(Json(accounts::set_active(&state, &user.account, &org, &email, true).await?))
}

async fn detach_delegate(
    State(state): State<AppState>,
    user: PortalUser,
    line: RequestLine,
    query: QueryParams,
    Path(email): Path<String>,
) -> Result<StatusCode, ApiError> {
    let org = organisation(&user, &line, &query, &["organisation"])?;
    accounts::detach(&state, &user.account, &org, &email).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// "Retirer le compte": a delegate of another organisation is detached, an account of the
/// organisation closed; `{"outcome": "DETACHED" | "CLOSED"}` says which.
async fn remove_account(
    State(state): State<AppState>,
    user: PortalUser,
    line: RequestLine,
    query: QueryParams,
    Path(email): Path<String>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let org = organisation(&user, &line, &query, &["organisation"])?;
    let outcome = match accounts::remove(&state, &user.account, &org, &email).await? {
        accounts::Removed::Detached => "DETACHED",
        accounts::Removed::Closed => "CLOSED",
    };
    Ok(Json(serde_json::json!({ "outcome": outcome })))
}

/// The organisation of an invitation path (`<siret>-<branchCode>`): a malformed one is no
/// invitation.
fn invitation_org(raw: &str) -> Result<hubee_shared::domain::OrgId, ApiError> {
    accounts::parse_org(raw).ok_or_else(|| ApiError::not_found(accounts::NO_INVITATION))
}

async fn accept_invitation(
    State(state): State<AppState>,
    user: PortalUser,
    _: NoQuery,
    Path(organisation): Path<String>,
) -> Result<StatusCode, ApiError> {
    accounts::accept_invitation(&state, &user.account, &invitation_org(&organisation)?).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn leave_organisation(
    State(state): State<AppState>,
    user: PortalUser,
    _: NoQuery,
    Path(organisation): Path<String>,
) -> Result<StatusCode, ApiError> {
    accounts::leave(&state, &user.account, &invitation_org(&organisation)?).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)] // Test code: a failed step is a failed test.

    use std::sync::Arc;

    use axum::{body::Body, http::Request};
    use http_body_util::BodyExt;
    use hubee_shared::{
        adapters::SystemClock,
        auth::portal::token_hash,
        domain::{Account, ActorType, BranchCode, Email, OrgId, OrgType, Organisation, ProcessCode, Session, Siret},
        testkit::{self, RecordingMailer},
    };
    use serde_json::{Value, json};
    use tower::ServiceExt;

    use super::*;

    const MAIRIE_A: (&str, &str) = ("11001401600015", "75108");
    const MAIRIE_B: (&str, &str) = ("21000005908301", "69123");
    const ADMIN_A: &str = "admin@mairie-a.example";
    const AGENT_A: &str = "agent@mairie-a.example";
    const ADMIN_B: &str = "admin@mairie-b.example";

    fn org(o: (&str, &str)) -> OrgId {
        OrgId { siret: Siret::parse(o.0).unwrap(), branch_code: BranchCode::parse(o.1).unwrap() }
    }

    struct Hub {
        _dir: tempfile::TempDir,
        state: AppState,
        mailer: Arc<RecordingMailer>,
    }

    /// The router-test referential, Mairie B, and an administrator in each mairie plus an
    /// agent of Mairie A ("Bruno Petit", CERTDC).
    async fn hub() -> Hub {
        let dir = tempfile::tempdir().unwrap();
        let mailer = Arc::new(RecordingMailer::default());
        let state = testkit::state_with(dir.path(), Arc::new(SystemClock), mailer.clone());
        testkit::provision(&state).await;
        let b = org(MAIRIE_B);
        let mairie_b = Organisation::new(b.siret, b.branch_code, "Mairie B", OrgType::Si);
        state.store.save_organisation(&mairie_b).await.unwrap();
        let person = |email: &str, t: ActorType, o: (&str, &str), first: &str, last: &str| Account {
            password_hash: Some("set".into()),
            ..Account::new(Email::parse(email).unwrap(), t, org(o), first, last)
        };
        let agent = Account {
            habilitations: vec![ProcessCode::parse("CERTDC").unwrap()],
            ..person(AGENT_A, ActorType::Agent, MAIRIE_A, "Bruno", "Petit")
        };
        for a in [
            person(ADMIN_A, ActorType::LocalAdmin, MAIRIE_A, "Alice", "Martin"),
            agent,
            person(ADMIN_B, ActorType::LocalAdmin, MAIRIE_B, "Claire", "Blanc"),
        ] {
            state.store.save_account(&a).await.unwrap();
        }
        Hub { _dir: dir, state, mailer }
    }

    /// A live session of the account, as sign-in opens it: `(cookie value, CSRF token)`.
    async fn session(state: &AppState, email: &str) -> (String, String) {
        let (cookie, csrf) = (format!("cookie-of-{email}"), format!("csrf-of-{email}"));
        let a = state.store.account(email).await.unwrap().unwrap();
        let s = Session::new(a.email, csrf.clone(), a.credentials_version, state.clock.now());
        let write = state.store.create_session_write(&token_hash(&cookie), &s).unwrap();
        state.store.commit(vec![write]).await.unwrap();
        (cookie, csrf)
    }

    fn request(method: &str, uri: &str, s: &(String, String), body: Option<Value>) -> Request<Body> {
        Request::builder()
            .method(method)
            .uri(uri)
            .header("content-type", "application/json")
            .header("cookie", format!("__Host-hubee_session={}", s.0))
            .header("x-csrf-token", &s.1)
            .body(body.map_or_else(Body::empty, |b| Body::from(b.to_string())))
            .unwrap()
    }

    async fn send(state: &AppState, request: Request<Body>) -> (StatusCode, Value) {
        let response = crate::router(state.clone()).oneshot(request).await.unwrap();
        let status = response.status();
        let bytes = response.into_body().collect().await.unwrap().to_bytes();
        (status, if bytes.is_empty() { Value::Null } else { serde_json::from_slice(&bytes).unwrap() })
    }

    fn emails(items: &Value) -> Vec<&str> {
        items["items"].as_array().unwrap().iter().map(|a| a["email"].as_str().unwrap()).collect()
    }

    const LIST_FIXTURE: &str = include_str!("../../../events/apigw-admin-portal-list-accounts.json");

    #[tokio::test]
    async fn the_list_fixture_finds_the_agent_by_an_accented_name_through_the_router() {
        let h = hub().await;
        let (cookie, _) = session(&h.state, ADMIN_A).await;
        let fixture = |cookie: &str| testkit::fixture_request(&LIST_FIXTURE.replace("SESSION-SET-BY-THE-TEST", cookie));
        let (status, list) = send(&h.state, fixture(&cookie)).await;
        assert_eq!(status, StatusCode::OK, "{list}");
        assert_eq!(list["items"].as_array().unwrap().len(), 1, "{list}");
        let row = &list["items"][0];
        assert_eq!(
            (row["email"].as_str(), row["lastName"].as_str(), row["actorType"].as_str(), row["active"].as_bool()),
            (Some(AGENT_A), Some("Petit"), Some("AGENT"), Some(true))
        );
        assert_eq!(
            (row["roles"].clone(), row["habilitations"].clone()),
            (json!(["GESTION_TELEDOSSIERS"]), json!(["CERTDC"]))
        );
        assert!(row.get("passwordHash").is_none());

        // An agent lacks "Gestion des utilisateurs"; without a session nothing is listed.
        let (agent_cookie, _) = session(&h.state, AGENT_A).await;
        assert_eq!(send(&h.state, fixture(&agent_cookie)).await.0, StatusCode::FORBIDDEN);
        assert_eq!(send(&h.state, fixture("no-such-session")).await.0, StatusCode::UNAUTHORIZED);
    }

    #[tokio::test]
    async fn an_administrator_creates_edits_suspends_and_reactivates_an_account_of_its_organisation_only() {
        let h = hub().await;
        let admin = session(&h.state, ADMIN_A).await;
        let new = json!({"actorType": "AGENT", "email": "Nouvel.Agent@Mairie-A.example", "civility": "MADAME",
            "firstName": "Inès", "lastName": "Nouvel", "function": "Officière d'état civil",
            "phoneNumber": "+33 6 12 34 56 78", "habilitations": ["CERTDC"]});
        let (status, created) = send(&h.state, request("POST", ACCOUNTS, &admin, Some(new.clone()))).await;
        assert_eq!(status, StatusCode::CREATED, "{created}");
        assert_eq!(
            (created["email"].as_str(), created["phoneNumber"].as_str(), created["activated"].as_bool()),
            (Some("nouvel.agent@mairie-a.example"), Some("+33612345678"), Some(false))
        );
        assert_eq!(created["roles"], json!(["GESTION_TELEDOSSIERS"]), "the actor type's default roles");
        let sent = h.mailer.sent();
        assert_eq!(sent.len(), 1);
        assert_eq!(sent[0].to, ["nouvel.agent@mairie-a.example"]);
        assert!(sent[0].text.contains("/activation?token="), "the activation link is e-mailed");

        let (status, err) = send(&h.state, request("POST", ACCOUNTS, &admin, Some(new))).await;
        assert_eq!((status, err["errors"][0]["message"].as_str()), (StatusCode::CONFLICT, Some(accounts::TAKEN)));
        let bad = json!({"actorType": "AGENT", "email": "not an address", "phoneNumber": "061234567",
            "habilitations": ["EtatCivil", "bad code!"], "lastName": " "});
        let (status, err) = send(&h.state, request("POST", ACCOUNTS, &admin, Some(bad))).await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        let message = err["errors"][0]["message"].as_str().unwrap();
        for part in [
            "@body.email]",
            "@body.phoneNumber]",
            "@body.habilitations[0]]",
            "@body.habilitations[1]]",
            "@body.lastName]",
            "[\"firstName\"]",
        ] {
            assert!(message.contains(part), "{part} in {message}");
        }

        // Read, edit, suspend, reactivate — by the percent-encoded address.
        let path = "/portail/v1/accounts/nouvel.agent%40mairie-a.example";
        let (status, read) = send(&h.state, request("GET", path, &admin, None)).await;
        assert_eq!((status, read["firstName"].as_str()), (StatusCode::OK, Some("Inès")));
        let change = json!({"roles": ["CONSULTATION_TELEDOSSIERS", "GESTION_UTILISATEURS"], "function": null, "lastName": "Nouvelle"});
        let (status, edited) = send(&h.state, request("PATCH", path, &admin, Some(change))).await;
        assert_eq!(status, StatusCode::OK, "{edited}");
        assert_eq!(edited["roles"], json!(["CONSULTATION_TELEDOSSIERS", "GESTION_UTILISATEURS"]));
        assert_eq!((edited["function"].clone(), edited["lastName"].as_str()), (Value::Null, Some("Nouvelle")));
        let without_csrf = request("PATCH", path, &(admin.0.clone(), "wrong".into()), Some(json!({"lastName": "X"})));
        assert_eq!(send(&h.state, without_csrf).await.0, StatusCode::FORBIDDEN);

        let agent = session(&h.state, AGENT_A).await;
        let agent_path = "/portail/v1/accounts/agent%40mairie-a.example";
        let (status, suspended) =
            send(&h.state, request("POST", &format!("{agent_path}/suspension"), &admin, None)).await;
        assert_eq!((status, suspended["active"].as_bool()), (StatusCode::OK, Some(false)));
        let (status, _) = send(&h.state, request("GET", ACCOUNTS, &agent, None)).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "the suspended agent's session is over");
        let (status, back) = send(&h.state, request("DELETE", &format!("{agent_path}/suspension"), &admin, None)).await;
        assert_eq!((status, back["active"].as_bool()), (StatusCode::OK, Some(true)));
        let (status, _) = send(&h.state, request("GET", ACCOUNTS, &agent, None)).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "reactivating does not revive old sessions");

        // Oneself: no suspension, no giving up the users role.
        let own = "/portail/v1/accounts/admin%40mairie-a.example";
        let (status, err) = send(&h.state, request("POST", &format!("{own}/suspension"), &admin, None)).await;
        assert_eq!(
            (status, err["errors"][0]["message"].as_str()),
            (StatusCode::BAD_REQUEST, Some(accounts::SELF_SUSPENSION))
        );
        let (status, err) =
            send(&h.state, request("PATCH", own, &admin, Some(json!({"roles": ["GESTION_ABONNEMENTS"]})))).await;
        assert_eq!(
            (status, err["errors"][0]["message"].as_str()),
            (StatusCode::BAD_REQUEST, Some(accounts::SELF_ADMINISTRATION))
        );

        // Mairie B's administrator does not see Mairie A's accounts, nor learns they exist.
        let admin_b = session(&h.state, ADMIN_B).await;
        for (method, uri) in [
            ("GET", agent_path.to_owned()),
            ("PATCH", agent_path.to_owned()),
            ("POST", format!("{agent_path}/suspension")),
        ] {
            let (status, err) = send(&h.state, request(method, &uri, &admin_b, Some(json!({})))).await;
            assert_eq!(
                (status, err["errors"][0]["message"].as_str()),
                (StatusCode::NOT_FOUND, Some(accounts::NOT_FOUND)),
                "{method} {uri}"
            );
        }
        let (_, list_b) = send(&h.state, request("GET", ACCOUNTS, &admin_b, None)).await;
        assert_eq!(emails(&list_b), [ADMIN_B]);
        let (status, _) =
            send(&h.state, request("GET", &format!("{ACCOUNTS}?organisation=11001401600015-75108"), &admin_b, None))
                .await;
        assert_eq!(status, StatusCode::FORBIDDEN, "an organisation it does not serve");
    }

    #[tokio::test]
    async fn a_delegate_invited_by_another_organisation_gets_there_only_what_that_organisation_gives_it() {
        let h = hub().await;
        let (admin_a, admin_b) = (session(&h.state, ADMIN_A).await, session(&h.state, ADMIN_B).await);
        let delegate = json!({"actorType": "TECHNICAL_DELEGATE", "email": "support@editeur.example",
            "firstName": "Sam", "lastName": "Éditeur", "phoneNumber": "+33123456789"});
        assert_eq!(
            send(&h.state, request("POST", ACCOUNTS, &admin_a, Some(delegate.clone()))).await.0,
            StatusCode::CREATED
        );
        // Mairie B names it: an invitation, and B learns only its name and address.
        let (status, invited) = send(&h.state, request("POST", ACCOUNTS, &admin_b, Some(delegate.clone()))).await;
        assert_eq!(status, StatusCode::ACCEPTED, "{invited}");
        assert_eq!(
            invited,
            json!({"email": "support@editeur.example", "firstName": "Sam", "lastName": "Éditeur",
                   "delegation": {"status": "INVITED", "invitedAt": invited["delegation"]["invitedAt"]}})
        );
        let invitation = h.mailer.sent().into_iter().last().unwrap();
        assert_eq!(invitation.to, ["support@editeur.example"]);
        assert!(invitation.subject.contains("invitation"), "{}", invitation.subject);
        let (status, _) = send(&h.state, request("POST", ACCOUNTS, &admin_b, Some(delegate))).await;
        assert_eq!(status, StatusCode::CONFLICT, "invited once");
        let as_agent = json!({"actorType": "AGENT", "email": "support@editeur.example", "firstName": "S", "lastName": "E", "phoneNumber": "+33123456789"});
        assert_eq!(send(&h.state, request("POST", ACCOUNTS, &admin_b, Some(as_agent))).await.0, StatusCode::CONFLICT);

        // Mairie A gives it "Gestion des utilisateurs" at home; B lists it, invited.
        let path = "/portail/v1/accounts/support%40editeur.example";
        let roles = json!({"roles": ["GESTION_ABONNEMENTS", "GESTION_UTILISATEURS"]});
        assert_eq!(send(&h.state, request("PATCH", path, &admin_a, Some(roles.clone()))).await.0, StatusCode::OK);
        let (_, list_b) =
            send(&h.state, request("GET", &format!("{ACCOUNTS}?actorType=TECHNICAL_DELEGATE"), &admin_b, None)).await;
        assert_eq!(emails(&list_b), ["support@editeur.example"]);
        let row = &list_b["items"][0];
        assert_eq!(
            (row["roles"].clone(), row["delegation"]["status"].as_str()),
            (json!(["GESTION_ABONNEMENTS"]), Some("INVITED"))
        );
        assert!(row.get("phoneNumber").is_none() && row.get("organisation").is_none(), "{row}");

        // Until it accepts, it has no access to B; once accepted, its roles at home do not cross.
        let delegate = session(&h.state, "support@editeur.example").await;
        let in_b = format!("{ACCOUNTS}?organisation=21000005908301-69123");
        assert_eq!(send(&h.state, request("GET", &in_b, &delegate, None)).await.0, StatusCode::FORBIDDEN);
        let invitation_path = "/portail/v1/me/invitations/21000005908301-69123";
        assert_eq!(send(&h.state, request("POST", invitation_path, &delegate, None)).await.0, StatusCode::NO_CONTENT);
        assert_eq!(send(&h.state, request("GET", &in_b, &delegate, None)).await.0, StatusCode::FORBIDDEN);
        assert_eq!(
            send(&h.state, request("GET", ACCOUNTS, &delegate, None)).await.0,
            StatusCode::OK,
            "at home, it may"
        );

        // B gives it what B chooses; B edits neither its profile nor its suspension.
        assert_eq!(send(&h.state, request("PATCH", path, &admin_b, Some(roles))).await.0, StatusCode::OK);
        let (status, list) = send(&h.state, request("GET", &in_b, &delegate, None)).await;
        assert_eq!((status, emails(&list)), (StatusCode::OK, vec![ADMIN_B, "support@editeur.example"]));
        let (status, err) = send(&h.state, request("PATCH", path, &admin_b, Some(json!({"lastName": "X"})))).await;
        assert_eq!((status, err["errors"][0]["message"].as_str()), (StatusCode::FORBIDDEN, Some(accounts::NOT_HOME)));
        let (status, _) = send(&h.state, request("POST", &format!("{path}/suspension"), &admin_b, None)).await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        let (_, home_view) = send(&h.state, request("GET", path, &admin_a, None)).await;
        assert_eq!(home_view["roles"], json!(["GESTION_ABONNEMENTS", "GESTION_UTILISATEURS"]), "A's roles unchanged");

        // B detaches it: its live session loses B at once; A cannot detach its own account.
        let detach = format!("{path}/delegation");
        assert_eq!(send(&h.state, request("DELETE", &detach, &admin_b, None)).await.0, StatusCode::NO_CONTENT);
        assert_eq!(send(&h.state, request("GET", &in_b, &delegate, None)).await.0, StatusCode::FORBIDDEN);
        let (_, list_b) = send(&h.state, request("GET", ACCOUNTS, &admin_b, None)).await;
        assert_eq!(emails(&list_b), [ADMIN_B]);
        let (status, err) = send(&h.state, request("DELETE", &detach, &admin_a, None)).await;
        assert_eq!(
            (status, err["errors"][0]["message"].as_str()),
            (StatusCode::BAD_REQUEST, Some(accounts::NOT_A_DELEGATE))
        );
        assert_eq!(send(&h.state, request("POST", invitation_path, &delegate, None)).await.0, StatusCode::NOT_FOUND);
        let (status, _) = send(&h.state, request("GET", ACCOUNTS, &delegate, None)).await;
        assert_eq!(status, StatusCode::OK, "its own organisation is untouched");
    }
}
