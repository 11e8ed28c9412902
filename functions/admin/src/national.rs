//! The national back office (`/portail/v1/national/…`), for `NATIONAL_ADMIN` accounts only:
//! every route checks the actor type before reading a body or a query (403 before 400).
//! docs/NATIONAL.md.

use axum::{
    Json, Router,
    extract::{Path, State},
    http::{StatusCode, header},
    response::{IntoResponse, Response},
    routing::{MethodRouter, delete, get, patch, post},
};
use hubee_shared::{
    domain::{BranchCode, ProcessCode, Siret},
    http::{self, ApiError, JsonBody, NoQuery, OptionalJsonBody, PortalUser, QueryParams, RequestLine, path_uuid},
    services::migration::{self, Migration, MigrationOutcome},
    services::national::{
        self, ApiClientChange, ApiClientQuery, ApiClientView, JournalPage, ListPage, NationalAdmin, NewApiClient,
        NewOrganisation, NewProcedure, OrganisationChanges, OrganisationPage, OrganisationQuery, OrganisationView,
        ProcedureChanges, ProcedureView, SecretRotation,
        subscriptions::Decision,
        support::{DeliveryView, SupportAccountView},
    },
    services::subscriptions::{SubscriptionQuery, SubscriptionView},
    state::AppState,
};

pub const ORGANISATIONS: &str = "/portail/v1/national/organisations";
pub const ORGANISATION: &str = "/portail/v1/national/organisations/{siret}/{branchCode}";
pub const PROCEDURES: &str = "/portail/v1/national/procedures";
pub const PROCEDURE: &str = "/portail/v1/national/procedures/{code}";
pub const API_CLIENTS: &str = "/portail/v1/national/api-clients";
pub const API_CLIENT: &str = "/portail/v1/national/api-clients/{clientId}";
pub const API_CLIENT_SECRET: &str = "/portail/v1/national/api-clients/{clientId}/secret";
pub const JOURNAL: &str = "/portail/v1/national/journal";
pub const SUBSCRIPTIONS: &str = "/portail/v1/national/subscriptions";
pub const DECISION: &str = "/portail/v1/national/subscriptions/{subscriptionId}/decision";
pub const ACCOUNTS: &str = "/portail/v1/national/accounts";
pub const ACCOUNT: &str = "/portail/v1/national/accounts/{email}";
pub const UNLOCK: &str = "/portail/v1/national/accounts/{email}/unlock";
pub const ACTIVATION: &str = "/portail/v1/national/accounts/{email}/activation";
pub const SUSPENSION: &str = "/portail/v1/national/accounts/{email}/suspension";
pub const DELIVERIES: &str = "/portail/v1/national/deliveries";
pub const RESEND: &str = "/portail/v1/national/deliveries/{deliveryId}/resend";
pub const MIGRATIONS: &str = "/portail/v1/national/migrations";

/// The portal routes of this module (documented in the portal's OpenAPI document).
pub const PORTAL_ROUTES: &[(&str, &str)] = &[
    ("GET", ORGANISATIONS),
    ("POST", ORGANISATIONS),
    ("GET", ORGANISATION),
    ("PATCH", ORGANISATION),
    ("GET", PROCEDURES),
    ("POST", PROCEDURES),
    ("GET", PROCEDURE),
    ("PATCH", PROCEDURE),
    ("GET", API_CLIENTS),
    ("POST", API_CLIENTS),
    ("PATCH", API_CLIENT),
    ("POST", API_CLIENT_SECRET),
    ("GET", JOURNAL),
    ("GET", SUBSCRIPTIONS),
    ("POST", DECISION),
    ("GET", ACCOUNTS),
    ("GET", ACCOUNT),
    ("POST", UNLOCK),
    ("POST", ACTIVATION),
    ("POST", SUSPENSION),
    ("DELETE", SUSPENSION),
    ("GET", DELIVERIES),
    ("POST", RESEND),
    ("POST", MIGRATIONS),
];

fn handler(method: &str, path: &str) -> Option<MethodRouter<AppState>> {
    Some(match (method, path) {
        ("GET", ORGANISATIONS) => get(list_organisations),
        ("POST", ORGANISATIONS) => post(create_organisation),
        ("GET", ORGANISATION) => get(organisation_page),
        ("PATCH", ORGANISATION) => patch(update_organisation),
        ("GET", PROCEDURES) => get(list_procedures),
        ("POST", PROCEDURES) => post(create_procedure),
        ("GET", PROCEDURE) => get(procedure),
        ("PATCH", PROCEDURE) => patch(update_procedure),
        ("GET", API_CLIENTS) => get(list_api_clients),
        ("POST", API_CLIENTS) => post(create_api_client),
        ("PATCH", API_CLIENT) => patch(change_api_client),
        ("POST", API_CLIENT_SECRET) => post(rotate_secret),
        ("GET", JOURNAL) => get(journal),
        ("GET", SUBSCRIPTIONS) => get(list_subscriptions),
        ("POST", DECISION) => post(decide),
        ("GET", ACCOUNTS) => get(find_accounts),
        ("GET", ACCOUNT) => get(account),
        ("POST", UNLOCK) => post(unlock),
        ("POST", ACTIVATION) => post(resend_activation),
        ("POST", SUSPENSION) => post(suspend),
        ("DELETE", SUSPENSION) => delete(reinstate),
        ("GET", DELIVERIES) => get(deliveries),
        ("POST", RESEND) => post(resend),
        ("POST", MIGRATIONS) => post(migrate),
        _ => return None,
    })
}

pub fn routes() -> Router<AppState> {
    http::route_table(PORTAL_ROUTES, handler)
}

fn admin(user: &PortalUser) -> Result<NationalAdmin, ApiError> {
    Ok(national::authorise(&user.account)?)
}

fn bad_path(line: &RequestLine, name: &str, e: impl std::fmt::Display) -> ApiError {
    ApiError::validation(&[format!("[ERROR][REQUEST][{}] @path.{name}: {e}", line.0)])
}

fn org_path(line: &RequestLine, siret: &str, branch: &str) -> Result<(Siret, BranchCode), ApiError> {
    let siret = Siret::parse(siret).map_err(|e| bad_path(line, "siret", e))?;
    let branch = BranchCode::parse(branch).map_err(|e| bad_path(line, "branchCode", e))?;
    Ok((siret, branch))
}

fn code_path(line: &RequestLine, code: &str) -> Result<ProcessCode, ApiError> {
    ProcessCode::parse(code).map_err(|e| bad_path(line, "code", e))
}

async fn list_organisations(
    State(state): State<AppState>,
    user: PortalUser,
    line: RequestLine,
    query: QueryParams,
) -> Result<Json<ListPage<OrganisationView>>, ApiError> {
    let admin = admin(&user)?;
    let q = OrganisationQuery::parse(&line.0, query.pairs())?;
    Ok(Json(national::list_organisations(&state, &admin, q).await?))
}

async fn create_organisation(
    State(state): State<AppState>,
    user: PortalUser,
    _: NoQuery,
    line: RequestLine,
    JsonBody(body): JsonBody,
) -> Result<Response, ApiError> {
    let admin = admin(&user)?;
    let new = NewOrganisation::parse(&line.0, &body)?;
    let created = national::create_organisation(&state, &admin, new).await?;
    Ok((StatusCode::CREATED, Json(created)).into_response())
}

async fn organisation_page(
    State(state): State<AppState>,
    user: PortalUser,
    _: NoQuery,
    line: RequestLine,
    Path((siret, branch)): Path<(String, String)>,
) -> Result<Json<OrganisationPage>, ApiError> {
    let admin = admin(&user)?;
    let (siret, branch) = org_path(&line, &siret, &branch)?;
    Ok(Json(national::organisation_page(&state, &admin, &siret, &branch).await?))
}

async fn update_organisation(
    State(state): State<AppState>,
    user: PortalUser,
    _: NoQuery,
    line: RequestLine,
    Path((siret, branch)): Path<(String, String)>,
    JsonBody(body): JsonBody,
) -> Result<Json<OrganisationView>, ApiError> {
    let admin = admin(&user)?;
    let (siret, branch) = org_path(&line, &siret, &branch)?;
    let changes = OrganisationChanges::parse(&line.0, &body)?;
    Ok(Json(national::update_organisation(&state, &admin, &siret, &branch, changes).await?))
}

async fn list_procedures(
    State(state): State<AppState>,
    user: PortalUser,
    _: NoQuery,
) -> Result<Json<Vec<ProcedureView>>, ApiError> {
    let admin = admin(&user)?;
    Ok(Json(national::list_procedures(&state, &admin).await?))
}

async fn create_procedure(
    State(state): State<AppState>,
    user: PortalUser,
    _: NoQuery,
    line: RequestLine,
    JsonBody(body): JsonBody,
) -> Result<Response, ApiError> {
    let admin = admin(&user)?;
    let new = NewProcedure::parse(&line.0, &body)?;
    let created = national::create_procedure(&state, &admin, new).await?;
    Ok((StatusCode::CREATED, Json(created)).into_response())
}

async fn procedure(
    State(state): State<AppState>,
    user: PortalUser,
    _: NoQuery,
    line: RequestLine,
    Path(code): Path<String>,
) -> Result<Json<ProcedureView>, ApiError> {
    let admin = admin(&user)?;
    let code = code_path(&line, &code)?;
    Ok(Json(national::procedure(&state, &admin, &code).await?))
}

async fn update_procedure(
    State(state): State<AppState>,
    user: PortalUser,
    _: NoQuery,
    line: RequestLine,
    Path(code): Path<String>,
    JsonBody(body): JsonBody,
) -> Result<Json<ProcedureView>, ApiError> {
    let admin = admin(&user)?;
    let code = code_path(&line, &code)?;
    let changes = ProcedureChanges::parse(&line.0, &body)?;
    Ok(Json(national::update_procedure(&state, &admin, &code, changes).await?))
}

async fn list_api_clients(
    State(state): State<AppState>,
    user: PortalUser,
    line: RequestLine,
    query: QueryParams,
) -> Result<Json<ListPage<ApiClientView>>, ApiError> {
    let admin = admin(&user)?;
    let q = ApiClientQuery::parse(&line.0, query.pairs())?;
    Ok(Json(national::list_api_clients(&state, &admin, q).await?))
}

/// `201` with `clientSecret`: the only time the secret is shown.
async fn create_api_client(
    State(state): State<AppState>,
    user: PortalUser,
    _: NoQuery,
    line: RequestLine,
    JsonBody(body): JsonBody,
) -> Result<Response, ApiError> {
    let admin = admin(&user)?;
    let new = NewApiClient::parse(&line.0, &body)?;
    let issued = national::create_api_client(&state, &admin, new).await?;
    Ok((StatusCode::CREATED, Json(issued)).into_response())
}

async fn change_api_client(
    State(state): State<AppState>,
    user: PortalUser,
    _: NoQuery,
    line: RequestLine,
    Path(client_id): Path<String>,
    JsonBody(body): JsonBody,
) -> Result<Json<ApiClientView>, ApiError> {
    let admin = admin(&user)?;
    let change = ApiClientChange::parse(&line.0, &body)?;
    Ok(Json(national::change_api_client(&state, &admin, &client_id, change).await?))
}

/// The body is optional (`{"revokePrevious": true}` stops the previous secret at once).
async fn rotate_secret(
    State(state): State<AppState>,
    user: PortalUser,
    _: NoQuery,
    line: RequestLine,
    Path(client_id): Path<String>,
    OptionalJsonBody(body): OptionalJsonBody,
) -> Result<Response, ApiError> {
    let admin = admin(&user)?;
    let rotation = SecretRotation::parse(&line.0, body.as_ref())?;
    let issued = national::rotate_secret(&state, &admin, &client_id, rotation).await?;
    Ok((StatusCode::CREATED, Json(issued)).into_response())
}

async fn journal(
    State(state): State<AppState>,
    user: PortalUser,
    query: QueryParams,
) -> Result<Json<JournalPage>, ApiError> {
    let admin = admin(&user)?;
    let (cursor, limit) = paging(&query, &["cursor", "limit"])?;
    Ok(Json(national::journal(&state, &admin, cursor, limit).await?))
}

/// A page's `cursor` and `limit` (1 to 500, 50 by default), after the allowed parameters.
fn paging<'q>(query: &'q QueryParams, allowed: &[&str]) -> Result<(Option<&'q str>, usize), ApiError> {
    query.only(allowed)?;
    let limit = query.number("limit")?.unwrap_or(national::PAGE).clamp(1, national::MAX_PAGE);
    Ok((query.one("cursor"), limit))
}

/// The referential's filters and paging (`Content-Range`), over every subscription.
async fn list_subscriptions(
    State(state): State<AppState>,
    user: PortalUser,
    line: RequestLine,
    query: QueryParams,
) -> Result<Response, ApiError> {
    let admin = admin(&user)?;
    let q = SubscriptionQuery::parse(&line.0, query.pairs())?;
    let page = national::subscriptions::list_subscriptions(&state, &admin, q).await?;
    Ok(([(header::CONTENT_RANGE, page.content_range)], Json(page.items)).into_response())
}

async fn decide(
    State(state): State<AppState>,
    user: PortalUser,
    _: NoQuery,
    line: RequestLine,
    Path(raw): Path<String>,
    JsonBody(body): JsonBody,
) -> Result<Json<SubscriptionView>, ApiError> {
    let admin = admin(&user)?;
    let id = path_uuid(&line, "subscriptionId", &raw)?;
    let decision = Decision::parse(&line.0, &body)?;
    Ok(Json(national::subscriptions::decide(&state, &admin, id, decision).await?))
}

/// `q`: an address (exact) or the beginning of a last name.
async fn find_accounts(
    State(state): State<AppState>,
    user: PortalUser,
    query: QueryParams,
) -> Result<Json<ListPage<SupportAccountView>>, ApiError> {
    let admin = admin(&user)?;
    let (cursor, limit) = paging(&query, &["q", "cursor", "limit"])?;
    let q = query.one("q").unwrap_or_default();
    Ok(Json(national::support::find_accounts(&state, &admin, q, cursor, limit).await?))
}

async fn account(
    State(state): State<AppState>,
    user: PortalUser,
    _: NoQuery,
    Path(email): Path<String>,
) -> Result<Json<SupportAccountView>, ApiError> {
    let admin = admin(&user)?;
    Ok(Json(national::support::account(&state, &admin, &email).await?))
}

async fn unlock(
    State(state): State<AppState>,
    user: PortalUser,
    _: NoQuery,
    Path(email): Path<String>,
) -> Result<Json<SupportAccountView>, ApiError> {
    let admin = admin(&user)?;
    Ok(Json(national::support::unlock(&state, &admin, &email).await?))
}

async fn resend_activation(
    State(state): State<AppState>,
    user: PortalUser,
    _: NoQuery,
    Path(email): Path<String>,
) -> Result<Json<SupportAccountView>, ApiError> {
    let admin = admin(&user)?;
    Ok(Json(national::support::resend_activation(&state, &admin, &email).await?))
}

async fn suspend(
    State(state): State<AppState>,
    user: PortalUser,
    _: NoQuery,
    Path(email): Path<String>,
) -> Result<Json<SupportAccountView>, ApiError> {
    let admin = admin(&user)?;
    Ok(Json(national::support::set_active(&state, &admin, &email, false).await?))
}

async fn reinstate(
    State(state): State<AppState>,
    user: PortalUser,
    _: NoQuery,
    Path(email): Path<String>,
) -> Result<Json<SupportAccountView>, ApiError> {
    let admin = admin(&user)?;
    Ok(Json(national::support::set_active(&state, &admin, &email, true).await?))
}

async fn deliveries(
    State(state): State<AppState>,
    user: PortalUser,
    query: QueryParams,
) -> Result<Json<ListPage<DeliveryView>>, ApiError> {
    let admin = admin(&user)?;
    let (cursor, limit) = paging(&query, &["cursor", "limit"])?;
    Ok(Json(national::support::failed_deliveries(&state, &admin, cursor, limit).await?))
}

async fn resend(
    State(state): State<AppState>,
    user: PortalUser,
    _: NoQuery,
    line: RequestLine,
    Path(raw): Path<String>,
) -> Result<Json<DeliveryView>, ApiError> {
    let admin = admin(&user)?;
    let id = path_uuid(&line, "deliveryId", &raw)?;
    Ok(Json(national::support::resend(&state, &admin, id).await?))
}

/// Moves an organisation's dossiers to another, as `PUT /teledossiers/v1/cases/migrate` does.
async fn migrate(
    State(state): State<AppState>,
    user: PortalUser,
    _: NoQuery,
    line: RequestLine,
    JsonBody(body): JsonBody,
) -> Result<Json<MigrationOutcome>, ApiError> {
    let admin = admin(&user)?;
    let m = Migration::parse_national(&line.0, &body)?;
    Ok(Json(migration::migrate(&state, &(&admin).into(), &m, migration::BUDGET).await?))
}
