//! `attachments`: attachment binaries — case and event attachment downloads (streamed, or
//! `303 See Other` to a presigned URL above the deployment's inline limit), event attachment
//! uploads and their upload URLs, and, as a second binary (`attachments-uploaded`), what
//! becomes of a stored object: on S3's `ObjectCreated` events, the completion of uploads made
//! to those URLs; on GuardDuty's scan results, the antivirus verdict ([`verdicts`]).

use aws_lambda_events::s3::S3Event;
use axum::{
    Json, Router,
    body::Body,
    extract::{Path, State},
    http::{HeaderMap, StatusCode, header},
    response::{IntoResponse, Response},
    routing::{get, post},
};
use futures::TryStreamExt;
use hubee_shared::{
    http::{self, ApiError, Caller, JsonBody, NoQuery, PortalUser, RequestLine, delivery_response, path_uuid},
    lambda::LambdaError,
    services::actor::{Actor, portal_actor},
    services::{Checker, UploadHeaders, cases, events, portal_cases},
    services::{Completion, complete_presigned},
    state::AppState,
};
use lambda_runtime::Diagnostic;
use serde_json::{Value, json};

pub mod verdicts;

/// The portal routes this function serves (documented in the portal's OpenAPI document).
pub const PORTAL_ROUTES: &[(&str, &str)] = &[
    ("GET", "/portail/v1/cases/{caseId}/attachments/{attachmentId}"),
    ("POST", "/portail/v1/cases/{caseId}/attachments"),
    ("POST", "/portail/v1/cases/{caseId}/attachments/upload-url"),
    ("POST", "/portail/v1/cases/{caseId}/archive"),
    ("POST", "/portail/v1/archives"),
];

fn portal_handler(method: &str, path: &str) -> Option<axum::routing::MethodRouter<AppState>> {
    Some(match (method, path) {
        ("GET", "/portail/v1/cases/{caseId}/attachments/{attachmentId}") => get(portal_file),
        ("POST", "/portail/v1/cases/{caseId}/attachments") => post(portal_deposit),
        ("POST", "/portail/v1/cases/{caseId}/attachments/upload-url") => post(portal_deposit_upload_url),
        ("POST", "/portail/v1/cases/{caseId}/archive") => post(portal_archive),
        ("POST", "/portail/v1/archives") => post(portal_archives),
        _ => return None,
    })
}

/// `GET /portail/v1/cases/{caseId}/attachments/{attachmentId}`: one file (`ATTACH_DL`); above the
/// deployment's inline limit, `303 See Other` to a presigned URL, as every download route.
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
    Ok(delivery_response(portal_cases::deliver_file(&state, &actor, case_id, attachment_id).await?))
}

/// `POST /portail/v1/cases/{caseId}/archive`: "Télécharger tous les éléments". A POST, with the
/// CSRF token, because it changes state (the dossier moves to "En cours", the operator gets
/// `ATTACH_DL_ALL`): no link or image of another site can trigger it. No body is read.
async fn portal_archive(
    State(state): State<AppState>,
    user: PortalUser,
    _: NoQuery,
    line: RequestLine,
    Path(case_id): Path<String>,
) -> Result<Response, ApiError> {
    let case_id = path_uuid(&line, "caseId", &case_id)?;
    let actor = portal_actor(&state, &user.account).await?;
    Ok(delivery_response(portal_cases::deliver_all(&state, &actor, case_id).await?))
}

/// `POST /portail/v1/archives` `{caseIds}`: several dossiers as one zip.
async fn portal_archives(
    State(state): State<AppState>,
    user: PortalUser,
    _: NoQuery,
    line: RequestLine,
    JsonBody(body): JsonBody,
) -> Result<Response, ApiError> {
    let ids = portal_cases::CaseSelection::parse(&line.0, &body)?.case_ids;
    let actor = portal_actor(&state, &user.account).await?;
    Ok(delivery_response(portal_cases::deliver_many(&state, &actor, &ids).await?))
}

/// `POST /portail/v1/cases/{caseId}/attachments`: "Déposer une pièce jointe". The body is the
/// file; `X-File-Name` (percent-encoded UTF-8) names it, `Content-Type` types it, and
/// `X-Attachment-Type` (optional) gives its nature. Above the deployment's inline limit, 413:
/// the file goes through `…/attachments/upload-url`.
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
        .and_then(|v| percent_encoding::percent_decode_str(v).decode_utf8().ok().map(|s| s.into_owned()));
    let size = headers.get(header::CONTENT_LENGTH).and_then(|v| v.to_str().ok()?.parse().ok());
    let meta = size.and_then(|size| {
        portal_cases::deposit_file(file_name.as_deref(), text("x-attachment-type"), size, text("content-type"))
    });
    let Some(meta) = meta else {
        return Err(ApiError::validation(&[format!(
            "[ERROR][REQUEST][{} @header] X-File-Name (1 to 255 characters, percent-encoded) and Content-Length are required",
            line.0
        )]));
    };
    let actor = portal_actor(&state, &user.account).await?;
    let stream = Box::pin(body.into_data_stream().map_err(std::io::Error::other));
    let event = portal_cases::deposit(&state, &actor, case_id, meta, stream).await?;
    Ok((StatusCode::CREATED, axum::Json(event)).into_response())
}

/// `POST /portail/v1/cases/{caseId}/attachments/upload-url` `{fileName, size, mimeType?, type?,
/// digest?}`: "Déposer une pièce jointe" for a file larger than a request to this deployment
/// carries. Creates the deposit and answers where to `PUT` its file (`url`, `method`, `headers`,
/// `expiresAt`, `maxSize`, with the deposit's `eventId` and `attachmentId`); once the file is
/// stored and checked, the deposit is sent as a direct one (see `portal_cases::deposit_upload_url`).
async fn portal_deposit_upload_url(
    State(state): State<AppState>,
    user: PortalUser,
    _: NoQuery,
    line: RequestLine,
    Path(case_id): Path<String>,
    JsonBody(body): JsonBody,
) -> Result<Response, ApiError> {
    let case_id = path_uuid(&line, "caseId", &case_id)?;
    let mut c = Checker::new(&line.0);
    let parsed = c.root(&body).map(|root| {
        (
            c.string(root, "", "fileName", true, portal_cases::MAX_FILE_NAME),
            c.unsigned(root, "", "size", true),
            c.string(root, "", "type", false, portal_cases::MAX_FILE_TYPE),
            c.string(root, "", "mimeType", false, portal_cases::MAX_MIME_TYPE),
            c.string(root, "", "digest", false, 100),
        )
    });
    let Some((Some(file_name), Some(size), attachment_type, mime_type, digest)) = parsed.filter(|_| c.is_ok()) else {
        return Err(ApiError::validation(&c.problems));
    };
    let Some(meta) =
        portal_cases::deposit_file(Some(&file_name), attachment_type.as_deref(), size, mime_type.as_deref())
    else {
        return Err(ApiError::validation(&[format!("[ERROR][REQUEST][{} @body.fileName] String is empty", line.0)]));
    };
    let actor = portal_actor(&state, &user.account).await?;
    let upload = portal_cases::deposit_upload_url(&state, &actor, case_id, meta, digest.as_deref()).await?;
    Ok((StatusCode::CREATED, Json(upload)).into_response())
}

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/teledossiers/v1/cases/{caseId}/attachments/{attachmentId}", get(download_case_attachment))
        .route(
            "/teledossiers/v1/cases/{caseId}/events/{eventId}/attachments/{attachmentId}",
            get(download_event_attachment).put(upload_event_attachment),
        )
        .route(
            "/teledossiers/v1/cases/{caseId}/events/{eventId}/attachments/{attachmentId}/upload-url",
            post(event_upload_url),
        )
        .merge(http::route_table(PORTAL_ROUTES, portal_handler))
}

pub fn router(state: AppState) -> http::MethodOverride {
    http::finish(routes(), state)
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
    Ok(delivery_response(cases::download_case_attachment(&state, &Actor::from(&caller), case_id, attachment_id).await?))
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
    Ok(delivery_response(
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

/// `POST …/events/{eventId}/attachments/{attachmentId}/upload-url` (an extension of the contract,
/// docs/API.md): a presigned PUT for a file of the caller's deposit; an optional `digest` header
/// (base64 SHA-256) is checked once the file is stored.
async fn event_upload_url(
    State(state): State<AppState>,
    Caller(caller): Caller,
    _: NoQuery,
    line: RequestLine,
    Path((case_id, event_id, attachment_id)): Path<(String, String, String)>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let case_id = path_uuid(&line, "caseId", &case_id)?;
    let event_id = path_uuid(&line, "eventId", &event_id)?;
    let attachment_id = path_uuid(&line, "attachmentId", &attachment_id)?;
    let digest = headers.get("digest").and_then(|v| v.to_str().ok());
    let actor = Actor::from(&caller);
    Ok(Json(events::upload_url(&state, &actor, case_id, event_id, attachment_id, digest).await?).into_response())
}

/// An S3 event's object key: URL-encoded, spaces as `+`.
fn object_key(raw: &str) -> Option<String> {
    percent_encoding::percent_decode_str(&raw.replace('+', " ")).decode_utf8().ok().map(|k| k.into_owned())
}

/// `attachments-uploaded`'s entry point: a GuardDuty scan result ([`verdicts::SCAN_RESULT`]), or
/// S3's `ObjectCreated` records ([`handle_s3`]).
///
/// # Errors
/// As each handler; `NonRetryable` for an event of neither shape.
pub async fn handle_object_event(state: &AppState, event: Value) -> Result<Value, Diagnostic> {
    if event.get("detail-type").and_then(Value::as_str) == Some(verdicts::SCAN_RESULT) {
        return verdicts::handle_scan_result(state, event).await;
    }
    let records: S3Event = serde_json::from_value(event).map_err(LambdaError::non_retryable)?;
    handle_s3(state, records).await
}

/// `attachments-uploaded`: S3's `ObjectCreated` events on the binaries bucket. Each object stored
/// through an upload URL completes its attachment (see `complete_presigned`); objects no URL
/// was issued for (direct uploads, archives) are ignored. Every record is handled before the
/// batch answers; delivering it again is harmless.
///
/// # Errors
/// `Retryable` when the store or the object store failed on a record (the object is kept, and
/// S3's retry completes it), `NonRetryable` for a record without an object key.
pub async fn handle_s3(state: &AppState, event: S3Event) -> Result<Value, Diagnostic> {
    let (mut received, mut quarantined, mut unchanged, mut rejected, mut ignored) = (0, 0, 0, 0, 0);
    let mut failure = None;
    for record in event.records {
        if !record.event_name.as_deref().is_some_and(|name| name.starts_with("ObjectCreated:")) {
            ignored += 1;
            continue;
        }
        let Some(key) = record.s3.object.key.as_deref().and_then(object_key) else {
            tracing::error!(event = ?record.event_name, "an S3 record without a readable object key");
            failure.get_or_insert(LambdaError::non_retryable("an S3 record without a readable object key"));
            continue;
        };
        match complete_presigned(state, &key).await {
            Ok(Completion::Received) => received += 1,
            Ok(Completion::Quarantined(_)) => quarantined += 1,
            Ok(Completion::AlreadyReceived) => unchanged += 1,
            Ok(Completion::Rejected(_)) => rejected += 1,
            Ok(Completion::Ignored) => ignored += 1,
            Err(e) => {
                tracing::error!(error = %e, %key, "completing a presigned upload failed");
                failure = Some(LambdaError::retryable(e));
            }
        }
    }
    match failure {
        Some(failure) => Err(failure.into()),
        None => Ok(json!({
            "received": received, "quarantined": quarantined, "unchanged": unchanged, "rejected": rejected,
            "ignored": ignored,
        })),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use http_body_util::BodyExt;
    use hubee_shared::{
        services::{Delivery, FileMeta},
        testkit::{self, FIXTURE_ATTACHMENT_ID, FIXTURE_CASE_ID, bearer, deposit_case, fixture, provision},
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

    /// Mairie A's agent on the portal, with the management role.
    fn agent() -> Actor {
        use hubee_shared::domain::{BranchCode, OrgRef, OrgType, ProcessCode, Siret};
        let org = OrgRef {
            org_type: OrgType::Si,
            company_register: Siret::parse("11001401600015").unwrap(),
            branch_code: BranchCode::parse("75108").unwrap(),
        };
        Actor::portal_user(org, "agent@mairie-a.example", "Agent A", vec![ProcessCode::parse("CERTDC").unwrap()], true)
    }

    fn stream(bytes: &'static [u8]) -> hubee_shared::ports::ByteStream {
        Box::pin(futures::stream::iter([Ok(axum::body::Bytes::from_static(bytes))]))
    }

    /// The object key of `events/s3-object-created.json`, which tests replace.
    const FIXTURE_OBJECT_KEY: &str = "cases/00000000-0000-4000-8000-00000000ca5e/events/00000000-0000-4000-8000-0000000e7e07/00000000-0000-4000-8000-0000000a77ac/00000000-0000-4000-8000-0000000ab1d0";

    /// A new deposit of one 16-byte file on the case, an upload URL for it (the fixture
    /// announces the digest of `%PDF-1.4 fixture`), `bytes` stored under its key: S3's event for
    /// that object, the key, and the event and file ids.
    async fn upload_to_url(
        state: &AppState,
        dir: &std::path::Path,
        case: uuid::Uuid,
        bytes: &'static [u8],
    ) -> (S3Event, hubee_shared::ports::ObjectKey, (uuid::Uuid, uuid::Uuid)) {
        use hubee_shared::{
            ports::{PresignMethod, PutCheck},
            testkit::{FIXTURE_EVENT_ID, deposit_event, json_body},
        };
        let (event, file) = deposit_event(state, case, 16).await;
        let ids = [
            (FIXTURE_CASE_ID, case.to_string()),
            (FIXTURE_EVENT_ID, event.to_string()),
            (FIXTURE_ATTACHMENT_ID, file.to_string()),
        ];
        let ask = include_str!("../../../events/apigw-attachments-event-upload-url.json");
        let response = router(state.clone()).oneshot(fixture(ask, &ids, &bearer(state, "fixture-si"))).await.unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        let url = json_body(response).await["url"].as_str().unwrap().to_owned();
        let key = testkit::presigned_key(dir, &url, PresignMethod::Put { size: 16 }).unwrap();
        state.objects.put(&key, "application/pdf", stream(bytes), PutCheck::default()).await.unwrap();
        let s3 = include_str!("../../../events/s3-object-created.json");
        assert!(s3.contains(FIXTURE_OBJECT_KEY));
        let created: S3Event = serde_json::from_str(&s3.replace(FIXTURE_OBJECT_KEY, key.as_str())).unwrap();
        (created, key, (event, file))
    }

    #[tokio::test]
    async fn the_s3_fixture_completes_uploads_made_to_an_upload_url_through_the_real_handler() {
        use hubee_shared::{domain::AttachmentStatus, ports::ObjectError};
        let dir = tempfile::tempdir().unwrap();
        let state = testkit::state(dir.path());
        provision(&state).await;
        let (case, _) = deposit_case(&state, b"%PDF-1.4 fixture").await;
        let s3 = include_str!("../../../events/s3-object-created.json");
        let upload = |bytes| upload_to_url(&state, dir.path(), case, bytes);

        let (event, key, (event_id, file)) = upload(b"%PDF-1.4 fixture").await;
        let done = handle_s3(&state, event.clone()).await.unwrap();
        assert_eq!(done["received"], 1, "{done}");
        let received = state.store.event_attachment(case, event_id, file).await.unwrap().unwrap().value;
        assert_eq!(received.status, AttachmentStatus::Received);
        assert_eq!(received.object_key.as_deref(), Some(key.as_str()));
        // S3 delivers at least once: the same event again changes nothing.
        let again = handle_s3(&state, event).await.unwrap();
        assert_eq!((again["received"].as_u64(), again["unchanged"].as_u64()), (Some(0), Some(1)), "{again}");
        assert!(state.objects.head(&key).await.is_ok(), "the received object stays");

        // Wrong bytes (the right size but not the announced digest; a wrong size): each object
        // is deleted and its file stays pending.
        for wrong in [b"%PDF-1.4 WRONG!!".as_slice(), b"short"] {
            let (event, key, (event_id, file)) = upload(wrong).await;
            let done = handle_s3(&state, event.clone()).await.unwrap();
            assert_eq!(done["rejected"], 1, "{done}");
            assert!(matches!(state.objects.head(&key).await, Err(ObjectError::NotFound)), "the object is deleted");
            let pending = state.store.event_attachment(case, event_id, file).await.unwrap().unwrap().value;
            assert_eq!((pending.status, pending.object_key), (AttachmentStatus::Pending, None));
            let again = handle_s3(&state, event).await.unwrap();
            assert_eq!(again["ignored"], 1, "a refused object's event again: nothing to do");
        }

        // Objects no upload URL was issued for (a direct upload's, an archive) are ignored.
        let archive = s3.replace(FIXTURE_OBJECT_KEY, "archives/00000000-0000-4000-8000-000000000001");
        let done = handle_s3(&state, serde_json::from_str(&archive).unwrap()).await.unwrap();
        assert_eq!(done["ignored"], 1, "{done}");
    }

    #[tokio::test]
    async fn above_the_inline_limit_event_uploads_and_portal_deposits_answer_413() {
        use hubee_shared::{
            services::UploadError,
            testkit::{FIXTURE_EVENT_ID, deposit_event, json_body},
        };
        let dir = tempfile::tempdir().unwrap();
        let base = testkit::state(dir.path());
        provision(&base).await;
        let (case, _) = deposit_case(&base, b"%PDF-1.4 fixture").await;
        let state = testkit::with_inline_limit(&base, 1024);
        let (event, file) = deposit_event(&state, case, 2048).await;
        let ids = [
            (FIXTURE_CASE_ID, case.to_string()),
            (FIXTURE_EVENT_ID, event.to_string()),
            (FIXTURE_ATTACHMENT_ID, file.to_string()),
        ];
        let upload = include_str!("../../../events/apigw-attachments-upload-event-attachment.json");
        let response =
            router(state.clone()).oneshot(fixture(upload, &ids, &bearer(&state, "fixture-si"))).await.unwrap();
        assert_eq!(response.status(), StatusCode::PAYLOAD_TOO_LARGE);
        let error = json_body(response).await;
        let message = error["errors"][0]["message"].as_str().unwrap();
        assert_eq!(error["errors"][0]["code"], 413);
        let route = format!("POST /teledossiers/v1/cases/{case}/events/{event}/attachments/{file}/upload-url");
        assert!(message.contains(&route), "{message}");

        // The portal: refused before the deposit event is even created.
        let meta = FileMeta {
            file_name: "grand.pdf".into(),
            attachment_type: "PJ".into(),
            size: 2048,
            mime_type: "application/pdf".into(),
        };
        let refused = portal_cases::deposit(&state, &agent(), case, meta, stream(b"")).await.unwrap_err();
        assert!(matches!(&refused, UploadError::TooLarge(m) if m.contains("upload-url")), "{refused:?}");
        assert_eq!(ApiError::from(refused).status, StatusCode::PAYLOAD_TOO_LARGE);
        let record = state.store.case_record(case).await.unwrap().unwrap();
        assert_eq!(record.events.len(), 1, "only the API deposit above");
    }

    #[tokio::test]
    async fn s3_events_complete_a_portal_deposit_made_through_its_upload_url() {
        use hubee_shared::{
            domain::{AttachmentStatus, EventStatus},
            ports::{PresignMethod, PutCheck},
        };
        let dir = tempfile::tempdir().unwrap();
        let base = testkit::state(dir.path());
        provision(&base).await;
        let (case, _) = deposit_case(&base, b"%PDF-1.4 fixture").await;
        let state = testkit::with_inline_limit(&base, 8);
        let s3 = include_str!("../../../events/s3-object-created.json");
        let meta = || FileMeta {
            file_name: "scan.pdf".into(),
            attachment_type: "PJ".into(),
            size: 16,
            mime_type: "application/pdf".into(),
        };
        // The fixture's digest is that of `%PDF-1.4 fixture`.
        let digest = Some("xcLovmrQglpW3tHxoVPOrxHcBgq0SxIKlEBqCCB7q8I=");
        let upload = |bytes: &'static [u8]| {
            let state = state.clone();
            let dir = dir.path().to_owned();
            async move {
                let upload = portal_cases::deposit_upload_url(&state, &agent(), case, meta(), digest).await.unwrap();
                let key = testkit::presigned_key(&dir, &upload.upload.url, PresignMethod::Put { size: 16 }).unwrap();
                state.objects.put(&key, "application/pdf", stream(bytes), PutCheck::default()).await.unwrap();
                let event: S3Event = serde_json::from_str(&s3.replace(FIXTURE_OBJECT_KEY, key.as_str())).unwrap();
                (upload, event)
            }
        };

        let (deposit, event) = upload(b"%PDF-1.4 fixture").await;
        assert_eq!(deposit.upload.headers["Content-Type"], "application/pdf");
        assert_eq!(deposit.upload.headers["If-None-Match"], "*");
        let pending = state.store.case_record(case).await.unwrap().unwrap();
        assert_eq!(pending.event(deposit.event_id).unwrap().value.status, EventStatus::InProgress);
        let done = handle_s3(&state, event.clone()).await.unwrap();
        assert_eq!(done["received"], 1, "{done}");
        let record = state.store.case_record(case).await.unwrap().unwrap();
        let sent = &record.event(deposit.event_id).unwrap().value;
        assert_eq!(sent.status, EventStatus::Sent, "sent to the operator once its file is received");
        assert_eq!(record.attachments_of(sent)[0].value.status, AttachmentStatus::Received);
        let again = handle_s3(&state, event).await.unwrap();
        assert_eq!(again["unchanged"], 1, "S3 delivers at least once: {again}");

        // A refused file withdraws its deposit.
        let (refused, event) = upload(b"%PDF-1.4 WRONG!!").await;
        let done = handle_s3(&state, event).await.unwrap();
        assert_eq!(done["rejected"], 1, "{done}");
        let record = state.store.case_record(case).await.unwrap().unwrap();
        assert!(record.event(refused.event_id).is_none(), "the refused deposit is withdrawn");
        assert!(record.event(deposit.event_id).is_some());
    }

    #[tokio::test]
    async fn above_the_inline_limit_downloads_answer_303_to_a_working_presigned_url() {
        use hubee_shared::{
            http::content_disposition,
            ports::{ObjectKey, PresignMethod},
            services::ARCHIVE_PREFIX,
            testkit::json_body,
        };
        static LARGE: [u8; 2048] = [b'%'; 2048];
        let dir = tempfile::tempdir().unwrap();
        let base = testkit::state(dir.path());
        provision(&base).await;
        let (large, large_file) = deposit_case(&base, &LARGE).await;
        let (small, small_file) = deposit_case(&base, b"%PDF-1.4 fixture").await;
        let state = testkit::with_inline_limit(&base, 1024);
        let download = include_str!("../../../events/apigw-attachments-download-case-attachment.json");
        let si = bearer(&state, "fixture-si");
        let read = |key: ObjectKey| {
            let state = state.clone();
            async move {
                let body = state.objects.get(&key, None).await.unwrap().body;
                body.map_ok(|chunk| chunk.to_vec()).try_concat().await.unwrap()
            }
        };

        let ids = [(FIXTURE_CASE_ID, large.to_string()), (FIXTURE_ATTACHMENT_ID, large_file.to_string())];
        let response = router(state.clone()).oneshot(fixture(download, &ids, &si)).await.unwrap();
        assert_eq!(response.status(), StatusCode::SEE_OTHER);
        let location = response.headers()[header::LOCATION].to_str().unwrap().to_owned();
        let body = json_body(response).await;
        assert_eq!((body["url"].as_str(), body["size"].as_u64()), (Some(location.as_str()), Some(2048)));
        assert_eq!(body["fileName"], "certificat.pdf");
        let key = testkit::presigned_key(dir.path(), &location, PresignMethod::Get).expect("a genuine GET URL");
        assert!(
            testkit::presigned_key(dir.path(), &location, PresignMethod::Put { size: 0 }).is_none(),
            "for reading only"
        );
        assert_eq!(read(key).await, LARGE.to_vec());
        let query = location.split_once('?').unwrap().1;
        let disposition = form_urlencoded::parse(query.as_bytes()).find(|(k, _)| k == "disposition").unwrap().1;
        assert_eq!(disposition, content_disposition("certificat.pdf").to_str().unwrap(), "saved under its name");

        // Within the limit: streamed as before.
        let ids = [(FIXTURE_CASE_ID, small.to_string()), (FIXTURE_ATTACHMENT_ID, small_file.to_string())];
        let response = router(state.clone()).oneshot(fixture(download, &ids, &si)).await.unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        assert_eq!(&response.into_body().collect().await.unwrap().to_bytes()[..], b"%PDF-1.4 fixture");

        // Zips: written to the object store under archives/, then a presigned GET.
        let agent = agent();
        let Delivery::Redirect(redirect) = portal_cases::deliver_many(&state, &agent, &[large, small]).await.unwrap()
        else {
            panic!("a limited deployment redirects zips")
        };
        let key = testkit::presigned_key(dir.path(), &redirect.url, PresignMethod::Get).unwrap();
        assert!(key.as_str().starts_with(&format!("{ARCHIVE_PREFIX}/")), "{key}");
        assert!(redirect.file_name.ends_with(".zip"));
        let entries = testkit::unzip(read(key).await).await;
        assert_eq!(entries.len(), 3, "the manifest and both files");
        assert_eq!(entries[1].1, LARGE.to_vec());
        let response = delivery_response(Delivery::Redirect(redirect));
        assert_eq!(response.status(), StatusCode::SEE_OTHER);
        // Without a limit (the local hub), the zip streams.
        assert!(matches!(portal_cases::deliver_all(&base, &agent, small).await.unwrap(), Delivery::Archive(_)));
    }
}
