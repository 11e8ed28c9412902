//! `attachments`: attachment binaries — case and event attachment downloads, event attachment
//! uploads.

use axum::{
    Router,
    body::Body,
    extract::{Path, State},
    http::{HeaderMap, StatusCode, header},
    response::Response,
    routing::get,
};
use futures::TryStreamExt;
use hubee_shared::{
    http::{self, ApiError, Caller, NoQuery, RequestLine, download_response, path_uuid},
    services::actor::Actor,
    services::{UploadHeaders, cases, events},
    state::AppState,
};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/teledossiers/v1/cases/{caseId}/attachments/{attachmentId}", get(download_case_attachment))
        .route(
            "/teledossiers/v1/cases/{caseId}/events/{eventId}/attachments/{attachmentId}",
            get(download_event_attachment).put(upload_event_attachment),
        )
}

pub fn router(state: AppState) -> Router {
    http::finish(routes()).with_state(state)
}

async fn download_case_attachment(
    State(state): State<AppState>,
    Caller(caller): Caller,
    _: NoQuery,
    line: RequestLine,
    Path((case_id, attachment_id)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    let case_id = path_uuid(&line, "caseId", &case_id)?;
    let attachment_id = path_uuid(&line, "attachmentId", &attachment_id)?;
    Ok(download_response(cases::download_case_attachment(&state, &Actor::from(&caller), case_id, attachment_id).await?))
}

async fn download_event_attachment(
    State(state): State<AppState>,
    Caller(caller): Caller,
    _: NoQuery,
    line: RequestLine,
    Path((case_id, event_id, attachment_id)): Path<(String, String, String)>,
) -> Result<Response, ApiError> {
    let case_id = path_uuid(&line, "caseId", &case_id)?;
    let event_id = path_uuid(&line, "eventId", &event_id)?;
    let attachment_id = path_uuid(&line, "attachmentId", &attachment_id)?;
    Ok(download_response(
        events::download_event_attachment(&state, &Actor::from(&caller), case_id, event_id, attachment_id).await?,
    ))
}

async fn upload_event_attachment(
    State(state): State<AppState>,
    Caller(caller): Caller,
    _: NoQuery,
    line: RequestLine,
    Path((case_id, event_id, attachment_id)): Path<(String, String, String)>,
    headers: HeaderMap,
    body: Body,
) -> Result<StatusCode, ApiError> {
    let case_id = path_uuid(&line, "caseId", &case_id)?;
    let event_id = path_uuid(&line, "eventId", &event_id)?;
    let attachment_id = path_uuid(&line, "attachmentId", &attachment_id)?;
    let upload = UploadHeaders {
        digest: headers.get("digest").and_then(|v| v.to_str().ok()),
        content_length: headers.get(header::CONTENT_LENGTH).and_then(|v| v.to_str().ok()?.parse().ok()),
    };
    let stream = Box::pin(body.into_data_stream().map_err(std::io::Error::other));
    events::upload_event_attachment(&state, &Actor::from(&caller), case_id, event_id, attachment_id, upload, stream)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

#[cfg(test)]
mod tests {
    use super::*;
    use http_body_util::BodyExt;
    use hubee_shared::testkit::{
        self, FIXTURE_ATTACHMENT_ID, FIXTURE_CASE_ID, bearer, deposit_case, fixture, provision,
    };
    use tower::ServiceExt;

    #[tokio::test]
    async fn the_download_fixture_streams_a_case_attachment_with_its_digest_through_the_router() {
        let dir = tempfile::tempdir().unwrap();
        let state = testkit::state(dir.path());
        provision(&state).await;
        let bytes: &'static [u8] = b"%PDF-1.4 fixture";
        let (case, attachment) = deposit_case(&state, bytes).await;
        let ids = [(FIXTURE_CASE_ID, case.to_string()), (FIXTURE_ATTACHMENT_ID, attachment.to_string())];
        let event = include_str!("../../../events/apigw-attachments-download-case-attachment.json");

        let response =
            router(state.clone()).oneshot(fixture(event, &ids, &bearer(&state, "fixture-si"))).await.unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        let headers = response.headers().clone();
        assert_eq!(headers[header::CONTENT_TYPE], "application/pdf");
        // `printf '%PDF-1.4 fixture' | openssl dgst -sha256 -binary | base64`
        assert_eq!(headers["digest"], "xcLovmrQglpW3tHxoVPOrxHcBgq0SxIKlEBqCCB7q8I=");
        assert!(headers[header::CONTENT_DISPOSITION].to_str().unwrap().contains("certificat.pdf"));
        assert_eq!(&response.into_body().collect().await.unwrap().to_bytes()[..], bytes);

        let unknown = [(FIXTURE_CASE_ID, case.to_string()), (FIXTURE_ATTACHMENT_ID, uuid::Uuid::new_v4().to_string())];
        let response =
            router(state.clone()).oneshot(fixture(event, &unknown, &bearer(&state, "fixture-si"))).await.unwrap();
        assert_eq!(response.status(), StatusCode::NOT_FOUND);
    }

    #[tokio::test]
    async fn the_event_attachment_fixtures_upload_then_download_a_deposit_file_through_the_router() {
        use hubee_shared::testkit::{FIXTURE_EVENT_ID, deposit_event};
        let dir = tempfile::tempdir().unwrap();
        let state = testkit::state(dir.path());
        provision(&state).await;
        let (case, _) = deposit_case(&state, b"%PDF-1.4 fixture").await;
        let (event, file) = deposit_event(&state, case, 16).await;
        let ids = [
            (FIXTURE_CASE_ID, case.to_string()),
            (FIXTURE_EVENT_ID, event.to_string()),
            (FIXTURE_ATTACHMENT_ID, file.to_string()),
        ];
        let upload = include_str!("../../../events/apigw-attachments-upload-event-attachment.json");
        let response =
            router(state.clone()).oneshot(fixture(upload, &ids, &bearer(&state, "fixture-si"))).await.unwrap();
        assert_eq!(response.status(), StatusCode::NO_CONTENT);
        let again = router(state.clone()).oneshot(fixture(upload, &ids, &bearer(&state, "fixture-si"))).await.unwrap();
        assert_eq!(again.status(), StatusCode::BAD_REQUEST, "a received file is not uploaded twice");

        let download = include_str!("../../../events/apigw-attachments-download-event-attachment.json");
        let response =
            router(state.clone()).oneshot(fixture(download, &ids, &bearer(&state, "fixture-osl"))).await.unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        assert_eq!(response.headers()["digest"], "xcLovmrQglpW3tHxoVPOrxHcBgq0SxIKlEBqCCB7q8I=");
        assert_eq!(&response.into_body().collect().await.unwrap().to_bytes()[..], b"%PDF-1.4 fixture");
    }
}
