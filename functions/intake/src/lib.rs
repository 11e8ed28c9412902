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
            axum::routing::get(get_folder).patch(update_folder).post(http::post_without_override).delete(delete_folder),
        )
        .route("/teledossiers/v1/folders/{folderId}/attachments/{attachmentId}", put(upload_attachment))
        .route("/teledossiers/v1/folders/{folderId}/attachments/{attachmentId}/upload-url", post(upload_url))
}

pub fn router(state: AppState) -> http::MethodOverride {
    http::finish(routes(), state)
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
    // The contract answers 403 to a caller that deposits no folders before any problem of the body.
    folders::authorise_operator(&caller)?;
    let new = folders::NewFolder::parse(&line.0, &body)?;
    let folder = folders::create_folder(&state, &caller, new, partner).await?;
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
    let update = folders::FolderUpdate::parse(&line.0, &body)?;
    folders::update_folder(&state, &caller, id, update).await?;
    Ok(StatusCode::NO_CONTENT)
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

/// `POST …/attachments/{attachmentId}/upload-url` (an extension of the contract, docs/API.md):
/// a presigned PUT for binaries too large to go through the API; an optional `digest` header
/// (base64 SHA-256) is checked once the binary is stored.
async fn upload_url(
    State(state): State<AppState>,
    Caller(caller): Caller,
    _: NoQuery,
    line: RequestLine,
    Path((folder_id, attachment_id)): Path<(String, String)>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let folder_id = path_uuid(&line, "folderId", &folder_id)?;
    let attachment_id = path_uuid(&line, "attachmentId", &attachment_id)?;
    let digest = headers.get("digest").and_then(|v| v.to_str().ok());
    Ok(Json(folders::upload_url(&state, &caller, folder_id, attachment_id, digest).await?).into_response())
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

    #[tokio::test]
    async fn above_the_inline_limit_an_upload_answers_413_and_an_upload_url_takes_the_binary() {
        use hubee_shared::{
            domain::AttachmentStatus,
            ports::{PresignMethod, PutCheck},
            services::{Completion, complete_presigned},
            testkit::{FIXTURE_ATTACHMENT_ID, FIXTURE_FOLDER_ID, bearer, fixture, json_body, pending_folder},
        };
        let dir = tempfile::tempdir().unwrap();
        let state = testkit::with_inline_limit(&testkit::state(dir.path()), 1024);
        testkit::provision(&state).await;
        let bytes = vec![b'%'; 2048];
        let (folder, attachment) = pending_folder(&state, 2048).await;
        let op = bearer(&state, "fixture-osl");
        let put = |len: usize| {
            axum::http::Request::put(format!("/teledossiers/v1/folders/{folder}/attachments/{attachment}"))
                .header(header::AUTHORIZATION, &op)
                .header(header::CONTENT_LENGTH, len)
                .body(Body::from(vec![b'%'; len]))
                .unwrap()
        };

        // Declared (and sent) above the limit: 413 in the contract's shape, naming the way on.
        let response = router(state.clone()).oneshot(put(2048)).await.unwrap();
        assert_eq!(response.status(), StatusCode::PAYLOAD_TOO_LARGE);
        let error = json_body(response).await;
        assert_eq!(error["errors"][0]["code"], 413);
        let message = error["errors"][0]["message"].as_str().unwrap();
        let route = format!("POST /teledossiers/v1/folders/{folder}/attachments/{attachment}/upload-url");
        assert!(
            message.contains("2048 bytes") && message.contains("1024 bytes") && message.contains(&route),
            "{message}"
        );
        // A small Content-Length does not get a large declared size through either.
        assert_eq!(router(state.clone()).oneshot(put(10)).await.unwrap().status(), StatusCode::PAYLOAD_TOO_LARGE);
        let agg = state.store.folder(folder).await.unwrap().unwrap();
        assert_eq!(agg.attachments[0].value.status, AttachmentStatus::Pending, "nothing stored");
        assert!(!dir.path().join("objects/folders").exists(), "no object written");

        // The upload URL: a presigned PUT of the exact declared size, for the folder's operator.
        let ids = [(FIXTURE_FOLDER_ID, folder.to_string()), (FIXTURE_ATTACHMENT_ID, attachment.to_string())];
        let ask = include_str!("../../../events/apigw-intake-upload-url.json");
        let response = router(state.clone()).oneshot(fixture(ask, &ids, &bearer(&state, "fixture-si"))).await.unwrap();
        assert_eq!(response.status(), StatusCode::FORBIDDEN, "an SI client does not deposit folders");
        let response = router(state.clone()).oneshot(fixture(ask, &ids, &op)).await.unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        let grant = json_body(response).await;
        assert_eq!((grant["method"].as_str(), grant["maxSize"].as_u64()), (Some("PUT"), Some(2048)));
        assert_eq!(
            grant["headers"],
            serde_json::json!({"If-None-Match": "*", "Content-Length": "2048"}),
            "the URL only creates its object, of the declared size"
        );
        assert!(grant["expiresAt"].as_str().is_some_and(|t| t.ends_with('Z')), "{grant}");
        let url = grant["url"].as_str().unwrap();
        assert!(testkit::presigned_key(dir.path(), url, PresignMethod::Put { size: 2049 }).is_none(), "size signed");
        let key = testkit::presigned_key(dir.path(), url, PresignMethod::Put { size: 2048 }).unwrap();
        assert!(key.as_str().starts_with(&format!("folders/{folder}/{attachment}/")), "built like a direct upload's");

        // The binary stored under that key (the local hub's /objects/ route, or S3), then completed.
        let body = Box::pin(futures::stream::iter([Ok(axum::body::Bytes::from(bytes))]));
        state.objects.put(&key, "application/octet-stream", body, PutCheck::default()).await.unwrap();
        assert_eq!(complete_presigned(&state, key.as_str()).await.unwrap(), Completion::Received);
        assert_eq!(complete_presigned(&state, key.as_str()).await.unwrap(), Completion::AlreadyReceived);
        let received = state.store.folder(folder).await.unwrap().unwrap().attachments.remove(0).value;
        assert_eq!(received.status, AttachmentStatus::Received);
        assert_eq!(received.object_key.as_deref(), Some(key.as_str()));
        assert!(received.sha256.is_some());

        // Received: no second upload URL, and the folder completes.
        let response = router(state.clone()).oneshot(fixture(ask, &ids, &op)).await.unwrap();
        assert_eq!(response.status(), StatusCode::BAD_REQUEST);
        let complete = serde_json::json!({"globalStatus": "HUBEE_COMPLETED"});
        folders::update_folder(
            &state,
            &testkit::claims(&state, "fixture-osl"),
            folder,
            folders::FolderUpdate::parse("PATCH /f", &complete).unwrap(),
        )
        .await
        .unwrap();
    }

    #[tokio::test]
    async fn within_the_inline_limit_uploads_go_through_the_api() {
        let dir = tempfile::tempdir().unwrap();
        let state = testkit::with_inline_limit(&testkit::state(dir.path()), 1024);
        testkit::provision(&state).await;
        let (folder, attachment) = testkit::pending_folder(&state, 1024).await;
        let request = axum::http::Request::put(format!("/teledossiers/v1/folders/{folder}/attachments/{attachment}"))
            .header(header::AUTHORIZATION, testkit::bearer(&state, "fixture-osl"))
            .header(header::CONTENT_LENGTH, 1024)
            .body(Body::from(vec![b'%'; 1024]))
            .unwrap();
        assert_eq!(router(state.clone()).oneshot(request).await.unwrap().status(), StatusCode::NO_CONTENT);
    }
}
