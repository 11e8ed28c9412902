//! `search`: reads — the notifications listing, case and event reads.

use axum::{
    Json, Router,
    extract::{Path, State},
    response::Response,
    routing::{MethodRouter, get},
};
use hubee_shared::{
    domain::{InboxTab, ProcessCode},
    http::{self, ApiError, Caller, NoQuery, PortalUser, QueryParams, RequestLine, path_uuid},
    services::{
        actor::{Actor, portal_actor},
        cases, events, exports,
        inbox::{self, InboxPage, InboxQuery, InboxSort},
        notifications::{self, ListNotifications},
        portal_cases::{self, Colleague, DossierPage, History},
        views::{CaseView, EventView, NotificationView},
    },
    state::AppState,
};

/// The portal routes this function serves (documented in the portal's OpenAPI document).
pub const PORTAL_ROUTES: &[(&str, &str)] = &[
    ("GET", "/portail/v1/cases"),
    ("GET", "/portail/v1/cases.csv"),
    ("GET", "/portail/v1/cases/{caseId}"),
    ("GET", "/portail/v1/cases/{caseId}/history"),
    ("GET", "/portail/v1/agents"),
];

fn portal_handler(method: &str, path: &str) -> Option<MethodRouter<AppState>> {
    Some(match (method, path) {
        ("GET", "/portail/v1/cases") => get(portal_inbox),
        ("GET", "/portail/v1/cases.csv") => get(portal_inbox_csv),
        ("GET", "/portail/v1/cases/{caseId}") => get(portal_dossier),
        ("GET", "/portail/v1/cases/{caseId}/history") => get(portal_history),
        ("GET", "/portail/v1/agents") => get(portal_agents),
        _ => return None,
    })
}

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/teledossiers/v1/notifications", get(list_notifications))
        .route("/teledossiers/v1/cases/{caseId}", get(get_case))
        .route("/teledossiers/v1/cases/{caseId}/events/{eventId}", get(get_event))
        .merge(http::route_table(PORTAL_ROUTES, portal_handler))
}

pub fn router(state: AppState) -> http::MethodOverride {
    http::finish(routes(), state)
}

fn process_codes(query: &QueryParams, name: &str) -> Result<Vec<ProcessCode>, ApiError> {
    query
        .all(name)
        .iter()
        .map(|c| {
            ProcessCode::parse(c).map_err(|e| ApiError::validation(&[format!("[ERROR][REQUEST] @query.{name}: {e}")]))
        })
        .collect()
}

async fn list_notifications(
    State(state): State<AppState>,
    Caller(caller): Caller,
    query: QueryParams,
) -> Result<Json<Vec<NotificationView>>, ApiError> {
    query.only(&["maxResult", "processCode", "processPriority", "eventDetails"])?;
    query.boolean("eventDetails")?;
    let params = ListNotifications {
        max_result: query.number("maxResult")?,
        process_codes: process_codes(&query, "processCode")?,
        process_priority: process_codes(&query, "processPriority")?,
    };
    Ok(Json(notifications::list(&state, &caller, &params).await?))
}

async fn get_case(
    State(state): State<AppState>,
    Caller(caller): Caller,
    query: QueryParams,
    line: RequestLine,
    Path(id): Path<String>,
) -> Result<Json<CaseView>, ApiError> {
    let lite = query.only(&["lite"])?.boolean("lite")?.unwrap_or(false);
    let id = path_uuid(&line, "caseId", &id)?;
    Ok(Json(cases::get_case(&state, &Actor::from(&caller), id, lite).await?))
}

/// The inbox's filters and order (`status`, `q`, `processCode`, `from`, `to`, `agent`, `sort`,
/// `order`) and the procedures they leave visible to the person.
fn inbox_filters(query: &QueryParams, visible: &[ProcessCode]) -> Result<(Vec<ProcessCode>, InboxQuery), ApiError> {
    let mut visible = visible.to_vec();
    let asked = process_codes(query, "processCode")?;
    if !asked.is_empty() {
        visible.retain(|p| asked.contains(p));
    }
    let tab = query
        .one("status")
        .map(|s| {
            InboxTab::parse(s).ok_or_else(|| {
                let all: Vec<_> = InboxTab::ALL.iter().map(|t| t.as_str()).collect();
                ApiError::validation(&[format!(
                    "[ERROR][REQUEST] @query.status: \"{s}\" is not a tab ({})",
                    all.join(", ")
                )])
            })
        })
        .transpose()?;
    let sort = query
        .one("sort")
        .map(|s| {
            InboxSort::parse(s).ok_or_else(|| {
                let all: Vec<_> = InboxSort::ALL.iter().map(|(name, _)| *name).collect();
                ApiError::validation(&[format!(
                    "[ERROR][REQUEST] @query.sort: \"{s}\" is not an order ({})",
                    all.join(", ")
                )])
            })
        })
        .transpose()?
        .unwrap_or_default();
    let ascending = match query.one("order") {
        None => None,
        Some("desc") => Some(false),
        Some("asc") => Some(true),
        Some(o) => {
            return Err(ApiError::validation(&[format!("[ERROR][REQUEST] @query.order: \"{o}\" is not asc or desc")]));
        }
    };
    let filters = InboxQuery {
        tab,
        q: query.one("q").map(str::to_owned),
        from: query.date("from", false)?,
        to: query.date("to", true)?,
        sort,
        ascending,
        agent: query.one("agent").map(str::trim).filter(|a| !a.is_empty()).map(str::to_owned),
        ..InboxQuery::default()
    };
    Ok((visible, filters))
}

/// `GET /portail/v1/cases`: the inbox.
async fn portal_inbox(
    State(state): State<AppState>,
    user: PortalUser,
    query: QueryParams,
) -> Result<Json<InboxPage>, ApiError> {
    query.only(&["status", "q", "processCode", "from", "to", "agent", "sort", "order", "cursor", "limit"])?;
    let actor = portal_actor(&state, &user.account).await?;
    let (visible, filters) = inbox_filters(&query, actor.procedures.as_deref().unwrap_or_default())?;
    let params = InboxQuery {
        cursor: query.one("cursor").map(str::to_owned),
        limit: query.number("limit")?,
        viewer: Some(actor.id.clone()),
        ..filters
    };
    Ok(Json(inbox::list(&state, &actor.org, &visible, &params).await?))
}

/// `GET /portail/v1/cases.csv`: every dossier of the inbox with its filters, as a CSV file.
async fn portal_inbox_csv(
    State(state): State<AppState>,
    user: PortalUser,
    query: QueryParams,
) -> Result<Response, ApiError> {
    query.only(&["status", "q", "processCode", "from", "to", "agent", "sort", "order"])?;
    let actor = portal_actor(&state, &user.account).await?;
    let (visible, filters) = inbox_filters(&query, actor.procedures.as_deref().unwrap_or_default())?;
    Ok(http::csv_response(exports::inbox(&state, &actor.org, &visible, &filters).await?))
}

/// `GET /portail/v1/cases/{caseId}`: the dossier page (the consultation is recorded).
async fn portal_dossier(
    State(state): State<AppState>,
    user: PortalUser,
    _: NoQuery,
    line: RequestLine,
    Path(id): Path<String>,
) -> Result<Json<DossierPage>, ApiError> {
    let id = path_uuid(&line, "caseId", &id)?;
    let actor = portal_actor(&state, &user.account).await?;
    Ok(Json(portal_cases::read(&state, &actor, id).await?))
}

/// `GET /portail/v1/cases/{caseId}/history`.
async fn portal_history(
    State(state): State<AppState>,
    user: PortalUser,
    _: NoQuery,
    line: RequestLine,
    Path(id): Path<String>,
) -> Result<Json<History>, ApiError> {
    let id = path_uuid(&line, "caseId", &id)?;
    let actor = portal_actor(&state, &user.account).await?;
    Ok(Json(portal_cases::history(&state, &actor, id).await?))
}

/// `GET /portail/v1/agents?processCode=`: the colleagues who may hold dossiers of the procedure
/// (or of any procedure the person sees), for "Attribuer" and the inbox's "Agent" filter.
async fn portal_agents(
    State(state): State<AppState>,
    user: PortalUser,
    query: QueryParams,
) -> Result<Json<Vec<Colleague>>, ApiError> {
    query.only(&["processCode"])?;
    let process = process_codes(&query, "processCode")?;
    let actor = portal_actor(&state, &user.account).await?;
    Ok(Json(portal_cases::colleagues(&state, &actor, process.first()).await?))
}

async fn get_event(
    State(state): State<AppState>,
    Caller(caller): Caller,
    _: NoQuery,
    line: RequestLine,
    Path((case_id, event_id)): Path<(String, String)>,
) -> Result<Json<EventView>, ApiError> {
    let case_id = path_uuid(&line, "caseId", &case_id)?;
    let event_id = path_uuid(&line, "eventId", &event_id)?;
    Ok(Json(events::get_event(&state, &Actor::from(&caller), case_id, event_id).await?))
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::StatusCode;
    use hubee_shared::testkit::{self, FIXTURE_CASE_ID, bearer, deposit_case, fixture, json_body, provision};
    use tower::ServiceExt;

    #[tokio::test]
    async fn the_search_fixtures_list_notifications_and_read_a_case_through_the_router() {
        let dir = tempfile::tempdir().unwrap();
        let state = testkit::state(dir.path());
        provision(&state).await;
        let (case, attachment) = deposit_case(&state, b"%PDF-1.4 fixture").await;
        let si = bearer(&state, "fixture-si");

        let request = fixture(include_str!("../../../events/apigw-search-list-notifications.json"), &[], &si);
        let response = router(state.clone()).oneshot(request).await.unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        let list = json_body(response).await;
        assert_eq!(list.as_array().unwrap().len(), 1);
        assert_eq!(list[0]["caseId"], case.to_string());

        let ids = [(FIXTURE_CASE_ID, case.to_string())];
        let request = fixture(include_str!("../../../events/apigw-search-get-case.json"), &ids, &si);
        let response = router(state.clone()).oneshot(request).await.unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        let body = json_body(response).await;
        assert_eq!(body["attachments"][0]["id"], attachment.to_string());
        assert_eq!(body["events"], serde_json::json!([]));

        let other_case = [(FIXTURE_CASE_ID, uuid::Uuid::new_v4().to_string())];
        let request = fixture(include_str!("../../../events/apigw-search-get-case.json"), &other_case, &si);
        assert_eq!(router(state).oneshot(request).await.unwrap().status(), StatusCode::NOT_FOUND);
    }

    #[tokio::test]
    async fn the_get_event_fixture_reads_an_event_through_the_router() {
        use hubee_shared::testkit::{FIXTURE_EVENT_ID, deposit_event};
        let dir = tempfile::tempdir().unwrap();
        let state = testkit::state(dir.path());
        provision(&state).await;
        let (case, _) = deposit_case(&state, b"%PDF-1.4 fixture").await;
        let (event, file) = deposit_event(&state, case, 3).await;
        let ids = [(FIXTURE_CASE_ID, case.to_string()), (FIXTURE_EVENT_ID, event.to_string())];
        let request =
            fixture(include_str!("../../../events/apigw-search-get-event.json"), &ids, &bearer(&state, "fixture-osl"));
        let response = router(state).oneshot(request).await.unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        let body = json_body(response).await;
        assert_eq!(
            (body["actionType"].as_str(), body["status"].as_str()),
            (Some("ATTACH_DEPOSIT"), Some("IN_PROGRESS"))
        );
        assert_eq!(body["attachments"][0]["id"], file.to_string());
    }
}
