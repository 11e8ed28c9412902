//! `status`: status transitions and events — case status changes, events, acknowledgements,
//! notification deletion.

use axum::{
    Json, Router,
    extract::{Path, State},
    http::{HeaderMap, StatusCode},
    response::{IntoResponse, Response},
    routing::{delete, patch, post, put},
};
use hubee_shared::{
    http::{self, ApiError, Caller, JsonBody, NoQuery, PortalUser, RequestLine, partner_info, path_uuid},
    services::actor::{Actor, portal_actor},
    services::{
        Checker, cases, events, notifications,
        portal_cases::{self, Action},
    },
    state::AppState,
};

/// The portal routes this function serves (documented in the portal's OpenAPI document).
pub const PORTAL_ROUTES: &[(&str, &str)] = &[
    ("POST", "/portail/v1/cases/{caseId}/status"),
    ("POST", "/portail/v1/cases/{caseId}/comments"),
    ("POST", "/portail/v1/bulk"),
    ("PUT", "/portail/v1/cases/{caseId}/assignee"),
    ("DELETE", "/portail/v1/cases/{caseId}/assignee"),
    ("POST", "/portail/v1/cases/{caseId}/messages"),
];

fn portal_handler(method: &str, path: &str) -> Option<axum::routing::MethodRouter<AppState>> {
    Some(match (method, path) {
        ("POST", "/portail/v1/cases/{caseId}/status") => post(portal_status),
        ("POST", "/portail/v1/cases/{caseId}/comments") => post(portal_comment),
        ("POST", "/portail/v1/bulk") => post(portal_bulk),
        ("PUT", "/portail/v1/cases/{caseId}/assignee") => put(portal_assign),
        ("DELETE", "/portail/v1/cases/{caseId}/assignee") => delete(portal_release),
        ("POST", "/portail/v1/cases/{caseId}/messages") => post(portal_message),
        _ => return None,
    })
}

/// `{action, reason?}` of a status change.
fn parse_action(line: &str, body: &serde_json::Value) -> Result<(Action, Option<String>), ApiError> {
    let mut c = Checker::new(line);
    let parsed = c.root(body).map(|root| {
        (
            c.parsed(root, "", "action", true, 40, Action::parse),
            c.string(root, "", "reason", false, portal_cases::MAX_TEXT),
        )
    });
    match parsed {
        Some((Some(action), reason)) if c.is_ok() => Ok((action, reason)),
        _ => Err(ApiError::validation(&c.problems)),
    }
}

/// `POST /portail/v1/cases/{caseId}/status`: "Modifier le statut".
async fn portal_status(
    State(state): State<AppState>,
    user: PortalUser,
    _: NoQuery,
    line: RequestLine,
    Path(id): Path<String>,
    JsonBody(body): JsonBody,
) -> Result<Json<serde_json::Value>, ApiError> {
    let id = path_uuid(&line, "caseId", &id)?;
    let (action, reason) = parse_action(&line.0, &body)?;
    let actor = portal_actor(&state, &user.account).await?;
    let status = portal_cases::act(&state, &actor, id, action, reason.as_deref()).await?;
    Ok(Json(serde_json::json!({"caseId": id, "status": status})))
}

/// The body's one required string `field`, of at most `max` characters.
fn required_text(line: &str, body: &serde_json::Value, field: &str, max: usize) -> Result<String, ApiError> {
    let mut c = Checker::new(line);
    let text = c.root(body).and_then(|root| c.string(root, "", field, true, max));
    text.filter(|_| c.is_ok()).ok_or_else(|| ApiError::validation(&c.problems))
}

/// `POST /portail/v1/cases/{caseId}/comments` `{text}`: an internal comment.
async fn portal_comment(
    State(state): State<AppState>,
    user: PortalUser,
    _: NoQuery,
    line: RequestLine,
    Path(id): Path<String>,
    JsonBody(body): JsonBody,
) -> Result<Response, ApiError> {
    let id = path_uuid(&line, "caseId", &id)?;
    let text = required_text(&line.0, &body, "text", portal_cases::MAX_TEXT)?;
    let actor = portal_actor(&state, &user.account).await?;
    let entry = portal_cases::comment(&state, &actor, id, &text).await?;
    Ok((StatusCode::CREATED, Json(entry)).into_response())
}

/// `PUT /portail/v1/cases/{caseId}/assignee` `{email}`: "Me l'attribuer" (one's own address) or
/// "Attribuer" to a colleague.
async fn portal_assign(
    State(state): State<AppState>,
    user: PortalUser,
    _: NoQuery,
    line: RequestLine,
    Path(id): Path<String>,
    JsonBody(body): JsonBody,
) -> Result<Json<serde_json::Value>, ApiError> {
    let id = path_uuid(&line, "caseId", &id)?;
    let email = required_text(&line.0, &body, "email", 254)?;
    let actor = portal_actor(&state, &user.account).await?;
    let assignee = portal_cases::assign(&state, &actor, id, Some(&email)).await?;
    Ok(Json(serde_json::json!({"caseId": id, "assignee": assignee})))
}

/// `DELETE /portail/v1/cases/{caseId}/assignee`: the dossier is nobody's.
async fn portal_release(
    State(state): State<AppState>,
    user: PortalUser,
    _: NoQuery,
    line: RequestLine,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    let id = path_uuid(&line, "caseId", &id)?;
    let actor = portal_actor(&state, &user.account).await?;
    portal_cases::assign(&state, &actor, id, None).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `POST /portail/v1/cases/{caseId}/messages` `{message}`: a message to the operator.
async fn portal_message(
    State(state): State<AppState>,
    user: PortalUser,
    _: NoQuery,
    line: RequestLine,
    Path(id): Path<String>,
    JsonBody(body): JsonBody,
) -> Result<Response, ApiError> {
    let id = path_uuid(&line, "caseId", &id)?;
    let text = required_text(&line.0, &body, "message", portal_cases::MAX_TEXT)?;
    let actor = portal_actor(&state, &user.account).await?;
    let event = portal_cases::send_message(&state, &actor, id, &text).await?;
    Ok((StatusCode::CREATED, Json(serde_json::json!({"caseId": id, "eventId": event}))).into_response())
}

/// `POST /portail/v1/bulk` `{caseIds, action, reason?}`: one result per dossier.
async fn portal_bulk(
    State(state): State<AppState>,
    user: PortalUser,
    _: NoQuery,
    line: RequestLine,
    JsonBody(body): JsonBody,
) -> Result<Json<serde_json::Value>, ApiError> {
    let (action, reason) = parse_action(&line.0, &body)?;
    let ids = portal_cases::CaseSelection::parse(&line.0, &body)?.case_ids;
    let actor = portal_actor(&state, &user.account).await?;
    let results = portal_cases::bulk(&state, &actor, &ids, action, reason.as_deref()).await?;
    Ok(Json(serde_json::json!({"results": http::bulk_results(results)})))
}

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/teledossiers/v1/notifications/{notificationId}", delete(delete_notification))
        .route("/teledossiers/v1/cases/{caseId}", patch(update_case).post(http::post_without_override))
        .route("/teledossiers/v1/cases/{caseId}/events", post(create_event))
        .route(
            "/teledossiers/v1/cases/{caseId}/events/{eventId}",
            patch(update_event).post(http::post_without_override).delete(delete_event),
        )
        .merge(http::route_table(PORTAL_ROUTES, portal_handler))
}

pub fn router(state: AppState) -> http::MethodOverride {
    http::finish(routes(), state)
}

async fn delete_notification(
    State(state): State<AppState>,
    Caller(caller): Caller,
    _: NoQuery,
    line: RequestLine,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    let id = path_uuid(&line, "notificationId", &id)?;
    notifications::delete(&state, &caller, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn update_case(
    State(state): State<AppState>,
    Caller(caller): Caller,
    _: NoQuery,
    line: RequestLine,
    Path(id): Path<String>,
    JsonBody(body): JsonBody,
) -> Result<StatusCode, ApiError> {
    let id = path_uuid(&line, "caseId", &id)?;
    let update = cases::CaseUpdate::parse(&line.0, &body)?;
    cases::update_case(&state, &Actor::from(&caller), id, update).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn create_event(
    State(state): State<AppState>,
    Caller(caller): Caller,
    _: NoQuery,
    line: RequestLine,
    headers: HeaderMap,
    Path(id): Path<String>,
    JsonBody(body): JsonBody,
) -> Result<Response, ApiError> {
    let id = path_uuid(&line, "caseId", &id)?;
    let partner = partner_info(&headers, &line)?;
    let new = events::NewEvent::parse(&line.0, &body)?;
    let event = events::create_event(&state, &Actor::from(&caller), id, new, partner).await?;
    Ok((StatusCode::CREATED, Json(event)).into_response())
}

fn event_path(
    line: &RequestLine,
    (case_id, event_id): &(String, String),
) -> Result<(uuid::Uuid, uuid::Uuid), ApiError> {
    Ok((path_uuid(line, "caseId", case_id)?, path_uuid(line, "eventId", event_id)?))
}

async fn update_event(
    State(state): State<AppState>,
    Caller(caller): Caller,
    _: NoQuery,
    line: RequestLine,
    Path(ids): Path<(String, String)>,
    JsonBody(body): JsonBody,
) -> Result<StatusCode, ApiError> {
    let (case_id, event_id) = event_path(&line, &ids)?;
    let update = events::EventUpdate::parse(&line.0, &body)?;
    events::update_event(&state, &Actor::from(&caller), case_id, event_id, update).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn delete_event(
    State(state): State<AppState>,
    Caller(caller): Caller,
    _: NoQuery,
    line: RequestLine,
    Path(ids): Path<(String, String)>,
) -> Result<StatusCode, ApiError> {
    let (case_id, event_id) = event_path(&line, &ids)?;
    events::delete_event(&state, &Actor::from(&caller), case_id, event_id).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[cfg(test)]
mod tests {
    use super::*;
    use hubee_shared::testkit::{
        self, FIXTURE_CASE_ID, FIXTURE_NOTIFICATION_ID, bearer, claims, deposit_case, fixture, json_body, provision,
    };
    use tower::ServiceExt;

    #[tokio::test]
    async fn the_status_fixtures_post_an_event_patch_the_case_and_delete_a_notification_through_the_router() {
        let dir = tempfile::tempdir().unwrap();
        let state = testkit::state(dir.path());
        provision(&state).await;
        let (case, _) = deposit_case(&state, b"%PDF-1.4 fixture").await;
        let si = bearer(&state, "fixture-si");
        let ids = [(FIXTURE_CASE_ID, case.to_string())];

        let request = fixture(include_str!("../../../events/apigw-status-create-event.json"), &ids, &si);
        let response = router(state.clone()).oneshot(request).await.unwrap();
        assert_eq!(response.status(), StatusCode::CREATED);
        assert_eq!(json_body(response).await["caseNewStatus"], "SI_RECEIVED");
        assert_eq!(state.store.case(case).await.unwrap().unwrap().value.status.as_str(), "SI_RECEIVED");

        let request = fixture(include_str!("../../../events/apigw-status-patch-case.json"), &ids, &si);
        assert_eq!(router(state.clone()).oneshot(request).await.unwrap().status(), StatusCode::NO_CONTENT);
        assert_eq!(state.store.case(case).await.unwrap().unwrap().value.status.as_str(), "IN_PROGRESS");

        let org = claims(&state, "fixture-si").org();
        let page = state.store.notifications_page(&org, None, 10, None).await.unwrap();
        let id = page.items[0].value.id.to_string();
        let request = fixture(
            include_str!("../../../events/apigw-status-delete-notification.json"),
            &[(FIXTURE_NOTIFICATION_ID, id.clone())],
            &si,
        );
        assert_eq!(router(state.clone()).oneshot(request).await.unwrap().status(), StatusCode::NO_CONTENT);
        let request = fixture(
            include_str!("../../../events/apigw-status-delete-notification.json"),
            &[(FIXTURE_NOTIFICATION_ID, id)],
            &si,
        );
        assert_eq!(router(state).oneshot(request).await.unwrap().status(), StatusCode::NOT_FOUND);
    }

    #[tokio::test]
    async fn the_event_fixtures_send_acknowledge_and_delete_events_through_the_router() {
        use hubee_shared::{
            services::{UploadHeaders, events},
            testkit::{FIXTURE_EVENT_ID, deposit_event},
        };
        let dir = tempfile::tempdir().unwrap();
        let state = testkit::state(dir.path());
        provision(&state).await;
        let (case, _) = deposit_case(&state, b"%PDF-1.4 fixture").await;
        let (event, file) = deposit_event(&state, case, 3).await;
        let stream = Box::pin(futures::stream::iter([Ok(bytes::Bytes::from_static(b"pdf"))]));
        let headers = UploadHeaders { digest: None, content_length: None };
        events::upload_event_attachment(
            &state,
            &(&claims(&state, "fixture-si")).into(),
            case,
            event,
            file,
            headers,
            stream,
        )
        .await
        .unwrap();
        let ids = [(FIXTURE_CASE_ID, case.to_string()), (FIXTURE_EVENT_ID, event.to_string())];

        let send = include_str!("../../../events/apigw-status-send-event-override.json");
        let response = router(state.clone()).oneshot(fixture(send, &ids, &bearer(&state, "fixture-si"))).await.unwrap();
        assert_eq!(response.status(), StatusCode::NO_CONTENT);
        let acknowledge = include_str!("../../../events/apigw-status-acknowledge-event.json");
        let response =
            router(state.clone()).oneshot(fixture(acknowledge, &ids, &bearer(&state, "fixture-osl"))).await.unwrap();
        assert_eq!(response.status(), StatusCode::NO_CONTENT);
        assert_eq!(state.store.event(case, event).await.unwrap().unwrap().value.status.as_str(), "RECEIVED");

        let delete = include_str!("../../../events/apigw-status-delete-event.json");
        let response =
            router(state.clone()).oneshot(fixture(delete, &ids, &bearer(&state, "fixture-si"))).await.unwrap();
        assert_eq!(response.status(), StatusCode::BAD_REQUEST, "a sent event is not deleted");
        let (unsent, _) = deposit_event(&state, case, 3).await;
        let ids = [(FIXTURE_CASE_ID, case.to_string()), (FIXTURE_EVENT_ID, unsent.to_string())];
        let response =
            router(state.clone()).oneshot(fixture(delete, &ids, &bearer(&state, "fixture-si"))).await.unwrap();
        assert_eq!(response.status(), StatusCode::NO_CONTENT);
        assert!(state.store.event(case, unsent).await.unwrap().is_none());
    }
}
