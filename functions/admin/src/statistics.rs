//! The statistics pages (issue 15, docs/STATISTICS.md): an organisation's for its local
//! administrators ("Gestion des utilisateurs" there), and every organisation's for the
//! national administrator, as JSON and as a CSV file. Each route checks who asks before it
//! reads the query (403 before 400).

use axum::{
    Json, Router,
    extract::State,
    response::{IntoResponse, Response},
    routing::{MethodRouter, get},
};
use hubee_shared::{
    http::{self, ApiError, PortalUser, QueryParams, RequestLine},
    services::{
        accounts,
        national::{self, NationalAdmin},
        statistics::{self, LOCAL_PARAMETERS, NATIONAL_PARAMETERS, NationalQuery, StatisticsQuery},
    },
    state::AppState,
};

pub const STATISTICS: &str = "/portail/v1/statistics";
pub const STATISTICS_CSV: &str = "/portail/v1/statistics.csv";
pub const NATIONAL_STATISTICS: &str = "/portail/v1/national/statistics";
pub const NATIONAL_STATISTICS_CSV: &str = "/portail/v1/national/statistics.csv";

/// The portal routes of this module (documented in the portal's OpenAPI document).
pub const PORTAL_ROUTES: &[(&str, &str)] =
    &[("GET", STATISTICS), ("GET", STATISTICS_CSV), ("GET", NATIONAL_STATISTICS), ("GET", NATIONAL_STATISTICS_CSV)];

fn handler(method: &str, path: &str) -> Option<MethodRouter<AppState>> {
    Some(match (method, path) {
        ("GET", STATISTICS) => get(local),
        ("GET", STATISTICS_CSV) => get(local_csv),
        ("GET", NATIONAL_STATISTICS) => get(national_page),
        ("GET", NATIONAL_STATISTICS_CSV) => get(national_csv),
        _ => return None,
    })
}

pub fn routes() -> Router<AppState> {
    http::route_table(PORTAL_ROUTES, handler)
}

/// The local page's page: the role first, then the query, then the organisation asked.
async fn local_page(
    state: &AppState,
    user: &PortalUser,
    line: &RequestLine,
    query: &QueryParams,
) -> Result<statistics::StatisticsPage, ApiError> {
    statistics::authorise_local(&user.account)?;
    query.only(LOCAL_PARAMETERS)?;
    let asked = accounts::parse_organisation_param(&line.0, query.one("organisation"))?;
    let q = StatisticsQuery::parse(state, &line.0, query.pairs())?;
    let org = statistics::local_organisation(&user.account, asked)?;
    Ok(statistics::organisation(state, &org, &q).await?)
}

async fn local(
    State(state): State<AppState>,
    user: PortalUser,
    line: RequestLine,
    query: QueryParams,
) -> Result<Json<statistics::StatisticsPage>, ApiError> {
    Ok(Json(local_page(&state, &user, &line, &query).await?))
}

async fn local_csv(
    State(state): State<AppState>,
    user: PortalUser,
    line: RequestLine,
    query: QueryParams,
) -> Result<Response, ApiError> {
    let page = local_page(&state, &user, &line, &query).await?;
    Ok(http::csv_response(statistics::csv(&state, &page)).into_response())
}

fn admin(user: &PortalUser) -> Result<NationalAdmin, ApiError> {
    Ok(national::authorise(&user.account)?)
}

async fn national_figures(
    state: &AppState,
    user: &PortalUser,
    line: &RequestLine,
    query: &QueryParams,
) -> Result<statistics::StatisticsPage, ApiError> {
    let admin = admin(user)?;
    query.only(NATIONAL_PARAMETERS)?;
    let q = NationalQuery::parse(state, &line.0, query.pairs())?;
    Ok(statistics::national(state, &admin, &q).await?)
}

async fn national_page(
    State(state): State<AppState>,
    user: PortalUser,
    line: RequestLine,
    query: QueryParams,
) -> Result<Json<statistics::StatisticsPage>, ApiError> {
    Ok(Json(national_figures(&state, &user, &line, &query).await?))
}

async fn national_csv(
    State(state): State<AppState>,
    user: PortalUser,
    line: RequestLine,
    query: QueryParams,
) -> Result<Response, ApiError> {
    let page = national_figures(&state, &user, &line, &query).await?;
    Ok(http::csv_response(statistics::csv(&state, &page)).into_response())
}
