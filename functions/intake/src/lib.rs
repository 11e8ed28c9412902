//! `intake`: deposit intake, the operator side of `/teledossiers/v1/folders`.

use axum::{
    Json, Router,
    body::Body,
    extract::{Path, State},
    http::{HeaderMap, StatusCode, header},
    response::{IntoResponse, Response},
    routing::{post, put},
};
use futures::TryStreamExt;
use hubee_shared::{
    http::{self, ApiError, Caller, JsonBody, NoQuery, RequestLine, partner_info, path_uuid},
    services::{UploadHeaders, folders},
    state::AppState,
};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/teledossiers/v1/folders", post(create_folder))
        .route(
            "/teledossiers/v1/folders/{folderId}",
            axum::routing::get(get_folder).patch(update_folder).post(update_folder_override).delete(delete_folder),
        )
        .route("/teledossiers/v1/folders/{folderId}/attachments/{attachmentId}", put(upload_attachment))
}

pub fn router(state: AppState) -> Router {
    http::finish(routes()).with_state(state)
}

async fn create_folder(
    State(state): State<AppState>,
    Caller(caller): Caller,
    _: NoQuery,
    line: RequestLine,
    headers: HeaderMap,
    JsonBody(body): JsonBody,
) -> Result<Response, ApiError> {
    let partner = partner_info(&headers, &line)?;
    let folder = folders::create_folder(&state, &caller, &line.0, &body, partner).await?;
    Ok((StatusCode::CREATED, Json(folder)).into_response())
}

async fn get_folder(
    State(state): State<AppState>,
    Caller(caller): Caller,
    _: NoQuery,
    line: RequestLine,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let id = path_uuid(&line, "folderId", &id)?;
    Ok(Json(folders::get_folder(&state, &caller, id).await?).into_response())
}

async fn update_folder(
    State(state): State<AppState>,
    Caller(caller): Caller,
    _: NoQuery,
    line: RequestLine,
    Path(id): Path<String>,
    JsonBody(body): JsonBody,
) -> Result<StatusCode, ApiError> {
    let id = path_uuid(&line, "folderId", &id)?;
    folders::update_folder(&state, &caller, id, &line.0, &body).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `POST` with `X-HTTP-Method-Override: PATCH` is a PATCH, for clients that cannot send one.
async fn update_folder_override(
    State(state): State<AppState>,
    caller: Caller,
    query: NoQuery,
    line: RequestLine,
    headers: HeaderMap,
    path: Path<String>,
    body: JsonBody,
) -> Result<StatusCode, ApiError> {
    if !http::is_patch_override(&headers) {
        return Err(ApiError::method_not_allowed());
    }
    update_folder(State(state), caller, query, line, path, body).await
}

async fn delete_folder(
    State(state): State<AppState>,
    Caller(caller): Caller,
    _: NoQuery,
    line: RequestLine,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    let id = path_uuid(&line, "folderId", &id)?;
    folders::delete_folder(&state, &caller, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn upload_attachment(
    State(state): State<AppState>,
    Caller(caller): Caller,
    _: NoQuery,
    line: RequestLine,
    Path((folder_id, attachment_id)): Path<(String, String)>,
    headers: HeaderMap,
    body: Body,
) -> Result<StatusCode, ApiError> {
    let folder_id = path_uuid(&line, "folderId", &folder_id)?;
    let attachment_id = path_uuid(&line, "attachmentId", &attachment_id)?;
    let upload = UploadHeaders {
        digest: headers.get("digest").and_then(|v| v.to_str().ok()),
        content_length: headers.get(header::CONTENT_LENGTH).and_then(|v| v.to_str().ok()?.parse().ok()),
    };
    let stream = body.into_data_stream().map_err(std::io::Error::other);
    folders::upload_attachment(&state, &caller, folder_id, attachment_id, upload, Box::pin(stream)).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[cfg(test)]
mod tests {
    use super::*;
    use http_body_util::BodyExt;
    use hubee_shared::{
        domain::{BranchCode, Scope, Siret},
        testkit,
    };
    use tower::ServiceExt;

    #[tokio::test]
    async fn the_create_folder_fixture_creates_a_folder_through_the_router() {
        let dir = tempfile::tempdir().unwrap();
        let state = testkit::state(dir.path());
        testkit::provision(&state).await;
        let token = state
            .tokens
            .issue(
                "fixture-osl",
                Scope::Osl,
                &Siret::parse("11000000000007").unwrap(),
                &BranchCode::parse("00000").unwrap(),
                None,
                state.clock.now(),
            )
            .unwrap();
        let mut request = testkit::fixture_request(include_str!("../../../events/apigw-intake-create-folder.json"));
        request.headers_mut().insert(header::AUTHORIZATION, format!("Bearer {token}").parse().unwrap());
        let response = router(state.clone()).oneshot(request).await.unwrap();
        assert_eq!(response.status(), StatusCode::CREATED);
        let folder: serde_json::Value =
            serde_json::from_slice(&response.into_body().collect().await.unwrap().to_bytes()).unwrap();
        assert_eq!(folder["externalId"], "FIXTURE-0001");
        assert_eq!(folder["partnerInfo"]["editorName"], "Fixture");
        assert_eq!(folder["attachments"][0]["status"], "PENDING");

        let unauthenticated = testkit::fixture_request(include_str!("../../../events/apigw-intake-create-folder.json"));
        let response = router(state).oneshot(unauthenticated).await.unwrap();
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    }
}
