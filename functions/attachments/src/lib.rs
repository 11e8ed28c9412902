//! `attachments`: attachment binaries — case and event attachment downloads, event attachment
//! uploads.

use axum::{
    Router,
    body::Body,
    extract::{Path, State},
    http::{HeaderMap, StatusCode, header},
    response::{IntoResponse, Response},
    routing::get,
};
use futures::TryStreamExt;
use hubee_shared::{
    http::{self, ApiError, Caller, JsonBody, NoQuery, PortalUser, RequestLine, download_response, path_uuid},
    services::actor::{Actor, portal_actor},
    services::{FileMeta, UploadHeaders, cases, dossier, events},
    state::AppState,
};

/// The portal routes this function serves (documented in the portal's OpenAPI document).
pub const PORTAL_ROUTES: &[(&str, &str)] = &[
    ("GET", "/portail/v1/cases/{caseId}/attachments/{attachmentId}"),
    ("POST", "/portail/v1/cases/{caseId}/attachments"),
    ("GET", "/portail/v1/cases/{caseId}/archive"),
    ("POST", "/portail/v1/archives"),
];

fn portal_handler(method: &str, path: &str) -> Option<axum::routing::MethodRouter<AppState>> {
    use axum::routing::post;
    Some(match (method, path) {
        ("GET", "/portail/v1/cases/{caseId}/attachments/{attachmentId}") => get(portal_file),
        ("POST", "/portail/v1/cases/{caseId}/attachments") => post(portal_deposit),
        ("GET", "/portail/v1/cases/{caseId}/archive") => get(portal_archive),
        ("POST", "/portail/v1/archives") => post(portal_archives),
        _ => return None,
    })
}

/// `GET /portail/v1/cases/{caseId}/attachments/{attachmentId}`: one file (`ATTACH_DL`).
async fn portal_file(
    State(state): State<AppState>,
    user: PortalUser,
    _: NoQuery,
    line: RequestLine,
    Path((case_id, attachment_id)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    let case_id = path_uuid(&line, "caseId", &case_id)?;
    let attachment_id = path_uuid(&line, "attachmentId", &attachment_id)?;
    let actor = portal_actor(&state, &user.account).await?;
    Ok(download_response(dossier::download_file(&state, &actor, case_id, attachment_id).await?))
}

fn zip_response(archive: dossier::Archive) -> Response {
    let headers = [
        (header::CONTENT_TYPE, header::HeaderValue::from_static("application/zip")),
        (header::CONTENT_DISPOSITION, http::content_disposition(&archive.file_name)),
    ];
    (headers, Body::from_stream(archive.body)).into_response()
}

/// `GET /portail/v1/cases/{caseId}/archive`: "Télécharger tous les éléments".
async fn portal_archive(
    State(state): State<AppState>,
    user: PortalUser,
    _: NoQuery,
    line: RequestLine,
    Path(case_id): Path<String>,
) -> Result<Response, ApiError> {
    let case_id = path_uuid(&line, "caseId", &case_id)?;
    let actor = portal_actor(&state, &user.account).await?;
    Ok(zip_response(dossier::download_all(&state, &actor, case_id).await?))
}

/// `POST /portail/v1/archives` `{caseIds}`: several dossiers as one zip.
async fn portal_archives(
    State(state): State<AppState>,
    user: PortalUser,
    _: NoQuery,
    line: RequestLine,
    JsonBody(body): JsonBody,
) -> Result<Response, ApiError> {
    let ids = dossier::parse_case_ids(&line.0, &body)?;
    let actor = portal_actor(&state, &user.account).await?;
    Ok(zip_response(dossier::download_many(&state, &actor, &ids).await?))
}

/// `POST /portail/v1/cases/{caseId}/attachments`: "Déposer une pièce jointe". The body is the
/// file; `X-File-Name` (percent-encoded UTF-8) names it, `Content-Type` types it, and
/// `X-Attachment-Type` (optional) gives its nature.
async fn portal_deposit(
    State(state): State<AppState>,
    user: PortalUser,
    _: NoQuery,
    line: RequestLine,
    Path(case_id): Path<String>,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, ApiError> {
    let case_id = path_uuid(&line, "caseId", &case_id)?;
    let text = |name: &str| headers.get(name).and_then(|v| v.to_str().ok()).map(str::trim).filter(|v| !v.is_empty());
    let file_name = text("x-file-name")
        .and_then(|v| percent_encoding::percent_decode_str(v).decode_utf8().ok().map(|s| s.into_owned()))
        .filter(|n| !n.trim().is_empty() && n.chars().count() <= 255);
    let size = headers.get(header::CONTENT_LENGTH).and_then(|v| v.to_str().ok()?.parse().ok());
    let (Some(file_name), Some(size)) = (file_name, size) else {
        return Err(ApiError::validation(&[format!(
            "[ERROR][REQUEST][{} @header] X-File-Name (1 to 255 characters, percent-encoded) and Content-Length are required",
            line.0
        )]));
    };
    let meta = FileMeta {
        file_name,
        attachment_type: text("x-attachment-type").unwrap_or("PJ").chars().take(100).collect(),
        size,
        mime_type: text("content-type").unwrap_or("application/octet-stream").chars().take(255).collect(),
    };
    let actor = portal_actor(&state, &user.account).await?;
    let stream = Box::pin(body.into_data_stream().map_err(std::io::Error::other));
    let event = dossier::deposit(&state, &actor, case_id, meta, stream).await?;
    Ok((StatusCode::CREATED, axum::Json(event)).into_response())
}

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/teledossiers/v1/cases/{caseId}/attachments/{attachmentId}", get(download_case_attachment))
        .route(
            "/teledossiers/v1/cases/{caseId}/events/{eventId}/attachments/{attachmentId}",
            get(download_event_attachment).put(upload_event_attachment),
        )
        .merge(http::route_table(PORTAL_ROUTES, portal_handler))
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
