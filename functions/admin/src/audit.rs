//! Reading the audit journal (issue 16, docs/AUDIT.md): an organisation's entries for its
//! local administrators ("Gestion des utilisateurs" there), every organisation's for the
//! national administrator. Each route checks who asks before it reads the query (403 before
//! 400).

use axum::{
    Json, Router,
    extract::State,
    routing::{MethodRouter, get},
};
use hubee_shared::{
    http::{self, ApiError, PortalUser, QueryParams, RequestLine},
    services::{
        accounts,
        audit::{self, AuditPage, AuditQuery, LOCAL_PARAMETERS, NATIONAL_PARAMETERS},
        national,
    },
    state::AppState,
};

pub const AUDIT: &str = "/portail/v1/audit";
pub const NATIONAL_AUDIT: &str = "/portail/v1/national/audit";

/// The portal routes of this module (documented in the portal's OpenAPI document).
pub const PORTAL_ROUTES: &[(&str, &str)] = &[("GET", AUDIT), ("GET", NATIONAL_AUDIT)];

fn handler(method: &str, path: &str) -> Option<MethodRouter<AppState>> {
    Some(match (method, path) {
        ("GET", AUDIT) => get(local),
        ("GET", NATIONAL_AUDIT) => get(national_journal),
        _ => return None,
    })
}

pub fn routes() -> Router<AppState> {
    http::route_table(PORTAL_ROUTES, handler)
}

async fn local(
    State(state): State<AppState>,
    user: PortalUser,
    line: RequestLine,
    query: QueryParams,
) -> Result<Json<AuditPage>, ApiError> {
    accounts::authorise(&user.account)?;
    query.only(LOCAL_PARAMETERS)?;
    let asked = accounts::parse_organisation_param(&line.0, query.one("organisation"))?;
    let q = AuditQuery::parse(&state, &line.0, query.pairs())?;
    let org = accounts::organisation(&user.account, asked)?;
    Ok(Json(audit::list(&state, Some(&org), &q).await?))
}

async fn national_journal(
    State(state): State<AppState>,
    user: PortalUser,
    line: RequestLine,
    query: QueryParams,
) -> Result<Json<AuditPage>, ApiError> {
    national::authorise(&user.account)?;
    query.only(NATIONAL_PARAMETERS)?;
    let q = AuditQuery::parse(&state, &line.0, query.pairs())?;
    Ok(Json(audit::list(&state, None, &q).await?))
}
