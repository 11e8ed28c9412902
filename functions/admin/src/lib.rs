//! `admin`: the subscriptions referential (`/referential/v1/subscriptions`), and the portal's
//! administration: accounts (`accounts`) and subscriptions (`portal_subscriptions`).

pub mod accounts;
pub mod audit;
pub mod national;
pub mod portal_subscriptions;
pub mod statistics;

use axum::{
    Json, Router,
    extract::{Path, State},
    http::{HeaderMap, StatusCode, header},
    response::{IntoResponse, Response},
    routing::{get, post, put},
};
use hubee_shared::{
    domain::Scope,
    http::{self, ApiError, Caller, JsonBody, NoQuery, QueryParams, RequestLine, partner_info, path_uuid},
    services::{migration, subscriptions},
    state::AppState,
};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/referential/v1/subscriptions", post(create_subscription).get(list_subscriptions))
        .route("/referential/v1/subscriptions/{subscriptionId}", get(get_subscription).put(update_subscription))
        .route("/teledossiers/v1/cases/migrate", put(migrate_cases))
        .merge(accounts::routes())
        .merge(audit::routes())
        .merge(national::routes())
        .merge(portal_subscriptions::routes())
        .merge(statistics::routes())
}

pub fn router(state: AppState) -> http::MethodOverride {
    http::finish(routes(), state)
}

async fn create_subscription(
    State(state): State<AppState>,
    Caller(caller): Caller,
    _: NoQuery,
    line: RequestLine,
    headers: HeaderMap,
    JsonBody(body): JsonBody,
) -> Result<Response, ApiError> {
    // The contract allows the partner headers here; they are checked but subscriptions keep none.
    partner_info(&headers, &line)?;
    // The contract answers 403 to a scope that creates none before any problem of the body.
    subscriptions::authorise_create(&caller)?;
    let new = subscriptions::NewSubscription::parse(&line.0, &body)?;
    let created = subscriptions::create_subscription(&state, &caller, new).await?;
    Ok((StatusCode::CREATED, Json(created)).into_response())
}

async fn list_subscriptions(
    State(state): State<AppState>,
    Caller(caller): Caller,
    line: RequestLine,
    headers: HeaderMap,
    query: QueryParams,
) -> Result<Response, ApiError> {
    partner_info(&headers, &line)?;
    // As for a body: a scope that reads none gets 403 before any problem of the query.
    subscriptions::authorise_list(&caller)?;
    let query = subscriptions::SubscriptionQuery::parse(&line.0, query.pairs())?;
    let page = subscriptions::list_subscriptions(&state, &caller, query).await?;
    Ok(([(header::CONTENT_RANGE, page.content_range)], Json(page.items)).into_response())
}

async fn get_subscription(
    State(state): State<AppState>,
    Caller(caller): Caller,
    _: NoQuery,
    line: RequestLine,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    partner_info(&headers, &line)?;
    let id = path_uuid(&line, "subscriptionId", &id)?;
    Ok(Json(subscriptions::get_subscription(&state, &caller, id).await?).into_response())
}

async fn update_subscription(
    State(state): State<AppState>,
    Caller(caller): Caller,
    _: NoQuery,
    line: RequestLine,
    headers: HeaderMap,
    Path(id): Path<String>,
    JsonBody(body): JsonBody,
) -> Result<Response, ApiError> {
    partner_info(&headers, &line)?;
    let id = path_uuid(&line, "subscriptionId", &id)?;
    subscriptions::authorise_update(&caller)?;
    let update = subscriptions::SubscriptionUpdate::parse(&line.0, &body, id)?;
    Ok(Json(subscriptions::update_subscription(&state, &caller, id, update).await?).into_response())
}

/// `PUT /teledossiers/v1/cases/migrate`: the platform (`ADMIN` scope) moves an organisation's
/// dossiers to another (commune mergers). Answers the contract's `caseUpdated`, and `done`:
/// false when the call ran out of time, to call again (services::migration).
async fn migrate_cases(
    State(state): State<AppState>,
    Caller(caller): Caller,
    _: NoQuery,
    line: RequestLine,
    headers: HeaderMap,
    JsonBody(body): JsonBody,
) -> Result<Response, ApiError> {
    partner_info(&headers, &line)?;
    if caller.scope != Scope::Admin {
        return Err(ApiError::forbidden());
    }
    let m = migration::Migration::parse_contract(&line.0, &body)?;
    let who = migration::Migrator { actor: caller.sub.clone(), name: format!("API client {}", caller.sub) };
    Ok(Json(migration::migrate(&state, &who, &m, migration::BUDGET).await?).into_response())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)] // Test code: a failed step is a failed test.

    use super::*;
    use axum::body::Body;
    use http_body_util::BodyExt;
    use hubee_shared::{
        domain::{ApiClient, BranchCode, OrgType, Organisation, Scope, Siret},
        testkit,
    };
    use serde_json::{Value, json};
    use tower::ServiceExt;

    const MAIRIE_B: (&str, &str) = ("21000005908301", "69123");

    async fn state() -> (tempfile::TempDir, AppState) {
        let dir = tempfile::tempdir().unwrap();
        let state = testkit::state(dir.path());
        testkit::provision(&state).await;
        state
            .store
            .save_organisation(&Organisation::new(
                Siret::parse(MAIRIE_B.0).unwrap(),
                BranchCode::parse(MAIRIE_B.1).unwrap(),
                "Mairie B",
                OrgType::Si,
            ))
            .await
            .unwrap();
        // The client behind `token`: every API call checks that a token's client is enabled.
        state
            .store
            .save_api_client(&ApiClient {
                client_id: "router-test".into(),
                scopes: vec![Scope::Osl, Scope::Si, Scope::Admin, Scope::Datapass],
                siret: Siret::parse("13002526500013").unwrap(),
                branch_code: BranchCode::parse("00000").unwrap(),
                process_code: None,
                secrets: Vec::new(),
                disabled: false,
                subscription_suspended: false,
                tokens_not_before: None,
            })
            .await
            .unwrap();
        (dir, state)
    }

    /// A token for `scope`; operators are DGS (running CERTDC), the others the platform.
    fn token(state: &AppState, scope: Scope) -> String {
        let (siret, branch) = match scope {
            Scope::Osl => ("11000000000007", "00000"),
            Scope::Si => ("11001401600015", "75108"),
            Scope::Admin | Scope::Datapass => ("13002526500013", "00000"),
        };
        state
            .tokens
            .issue(
                "router-test",
                scope,
                &Siret::parse(siret).unwrap(),
                &BranchCode::parse(branch).unwrap(),
                None,
                state.clock.now(),
            )
            .unwrap()
    }

    fn with_token(mut request: axum::http::Request<Body>, token: &str) -> axum::http::Request<Body> {
        request.headers_mut().insert(header::AUTHORIZATION, format!("Bearer {token}").parse().unwrap());
        request
    }

    fn request(method: &str, uri: &str, token: &str, body: Option<Value>) -> axum::http::Request<Body> {
        let builder = axum::http::Request::builder().method(method).uri(uri).header("content-type", "application/json");
        let body = body.map_or_else(Body::empty, |b| Body::from(b.to_string()));
        with_token(builder.body(body).unwrap(), token)
    }

    async fn send(state: &AppState, request: axum::http::Request<Body>) -> (StatusCode, HeaderMap, Value) {
        let response = router(state.clone()).oneshot(request).await.unwrap();
        let (status, headers) = (response.status(), response.headers().clone());
        let bytes = response.into_body().collect().await.unwrap().to_bytes();
        let body = if bytes.is_empty() { Value::Null } else { serde_json::from_slice(&bytes).unwrap() };
        (status, headers, body)
    }

    const CREATE_FIXTURE: &str = include_str!("../../../events/apigw-admin-create-subscription.json");
    const LIST_FIXTURE: &str = include_str!("../../../events/apigw-admin-list-subscriptions.json");

    #[tokio::test]
    async fn the_create_subscription_fixture_creates_an_inactive_subscription_through_the_router() {
        let (_dir, state) = state().await;
        let request = with_token(testkit::fixture_request(CREATE_FIXTURE), &token(&state, Scope::Datapass));
        let (status, _, created) = send(&state, request).await;
        assert_eq!(status, StatusCode::CREATED, "{created}");
        assert_eq!(created["status"], "Inactif");
        assert_eq!(
            created["subscriber"],
            json!({"type": "SI", "companyRegister": MAIRIE_B.0, "branchCode": MAIRIE_B.1})
        );
        assert_eq!(created["localAdministrator"]["firstName"], "Claire");
        assert_eq!(created["delegationActor"]["email"], "support@editeur-fixture.example");
        let admin = state.store.account("admin@mairie-b.example").await.unwrap().expect("the administrator's account");
        assert_eq!(admin.password_hash, None, "the account waits for activation");
        assert!(state.store.account("support@editeur-fixture.example").await.unwrap().is_some());

        // The same event again (same datapassId): a retry, answered with what it created.
        let request = with_token(testkit::fixture_request(CREATE_FIXTURE), &token(&state, Scope::Admin));
        let (status, _, again) = send(&state, request).await;
        assert_eq!((status, &again["id"]), (StatusCode::CREATED, &created["id"]), "{again}");

        // Without a token, and with a scope that may not create.
        let (status, _, err) = send(&state, testkit::fixture_request(CREATE_FIXTURE)).await;
        assert_eq!((status, &err["errors"][0]["code"]), (StatusCode::UNAUTHORIZED, &json!(900_901)));
        let request = with_token(testkit::fixture_request(CREATE_FIXTURE), &token(&state, Scope::Osl));
        let (status, _, err) = send(&state, request).await;
        assert_eq!((status, &err["errors"][0]["message"]), (StatusCode::FORBIDDEN, &json!("Unauthorized user")));
    }

    #[tokio::test]
    async fn the_list_fixture_pages_through_the_router_with_a_content_range() {
        let (_dir, state) = state().await;
        let request = with_token(testkit::fixture_request(CREATE_FIXTURE), &token(&state, Scope::Datapass));
        assert_eq!(send(&state, request).await.0, StatusCode::CREATED);

        // `processCode[]=CERTDC&orderBy=desc(si_company_register)&offSet=0&maxResult=1`,
        // percent-encoded: of the provisioned Mairie A (110…) and the fixture's Mairie B (210…),
        // the highest SIRET comes first. DGS runs CERTDC, so its operator token sees both.
        let request = with_token(testkit::fixture_request(LIST_FIXTURE), &token(&state, Scope::Osl));
        let (status, headers, list) = send(&state, request).await;
        assert_eq!(status, StatusCode::OK, "{list}");
        assert_eq!(headers[header::CONTENT_RANGE], "subscriptions 0-0/2");
        assert_eq!(list.as_array().unwrap().len(), 1);
        assert_eq!(list[0]["subscriber"]["companyRegister"], MAIRIE_B.0);
        assert_eq!(list[0]["localAdministrator"], json!({"email": "admin@mairie-b.example"}));
        assert_eq!(list[0]["status"], "Inactif");
    }

    #[tokio::test]
    async fn reads_and_updates_check_scopes_ids_and_query_parameters() {
        let (_dir, state) = state().await;
        let admin = token(&state, Scope::Admin);
        let fixture = with_token(testkit::fixture_request(CREATE_FIXTURE), &token(&state, Scope::Datapass));
        let (_, _, created) = send(&state, fixture).await;
        let id = created["id"].as_str().unwrap();
        let path = format!("/referential/v1/subscriptions/{id}");

        let (status, _, read) = send(&state, request("GET", &path, &admin, None)).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(read["localAdministrator"], json!({"email": "admin@mairie-b.example"}), "reads give e-mails only");
        let (status, _, err) = send(&state, request("GET", "/referential/v1/subscriptions/23133", &admin, None)).await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert_eq!(
            err["errors"][0]["message"],
            "Bad Request : Validation failed.\n[ERROR][REQUEST][GET /referential/v1/subscriptions/23133 @path.subscriptionId] Input string \"23133\" is not a valid UUID"
        );
        let (status, _, _) = send(&state, request("GET", &format!("{path}?x=1"), &admin, None)).await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        let (status, _, err) =
            send(&state, request("GET", "/referential/v1/subscriptions?processType=CERTDC", &admin, None)).await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert_eq!(
            err["errors"][0]["message"],
            "Bad Request : Validation failed.\n[ERROR][REQUEST][GET /referential/v1/subscriptions @query.processType] Query parameter 'processType' is unexpected on path \"/subscriptions\""
        );
        for scope in [Scope::Si, Scope::Datapass] {
            let (status, _, _) = send(&state, request("GET", &path, &token(&state, scope), None)).await;
            assert_eq!(status, StatusCode::FORBIDDEN, "{scope:?} reads no subscription");
        }

        let mut change = created.clone();
        change["notificationFrequency"] = json!("quotidienne");
        change.as_object_mut().unwrap().remove("status");
        let (status, _, err) =
            send(&state, request("PUT", &path, &token(&state, Scope::Datapass), Some(change.clone()))).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{err}");
        let (status, _, updated) = send(&state, request("PUT", &path, &admin, Some(change))).await;
        assert_eq!(status, StatusCode::OK, "{updated}");
        assert_eq!(
            (updated["notificationFrequency"].as_str(), updated["status"].as_str()),
            (Some("quotidienne"), Some("Inactif"))
        );
        assert!(updated["updateDateTime"].is_string());
        let (status, _, _) = send(&state, request("DELETE", &path, &admin, None)).await;
        assert_eq!(status, StatusCode::METHOD_NOT_ALLOWED);
    }

    #[tokio::test]
    async fn the_get_and_update_fixtures_read_and_change_a_subscription_through_the_router() {
        let (_dir, state) = state().await;
        let request = with_token(testkit::fixture_request(CREATE_FIXTURE), &token(&state, Scope::Datapass));
        let (_, _, created) = send(&state, request).await;
        let id = created["id"].as_str().unwrap().to_owned();
        let fixture = |text: &str| testkit::fixture_request(&text.replace("00000000-0000-4000-8000-0000000005ab", &id));

        let get = include_str!("../../../events/apigw-admin-get-subscription.json");
        let (status, _, read) = send(&state, with_token(fixture(get), &token(&state, Scope::Admin))).await;
        assert_eq!((status, read["id"].as_str()), (StatusCode::OK, Some(id.as_str())));

        let update = include_str!("../../../events/apigw-admin-update-subscription.json");
        let (status, _, updated) = send(&state, with_token(fixture(update), &token(&state, Scope::Admin))).await;
        assert_eq!(status, StatusCode::OK, "{updated}");
        assert_eq!(updated["notificationFrequency"], "quotidienne");
        assert_eq!(updated["status"], "Inactif", "a body without status keeps it");
        let (status, _, _) = send(&state, with_token(fixture(update), &token(&state, Scope::Osl))).await;
        assert_eq!(status, StatusCode::FORBIDDEN);
    }
}
