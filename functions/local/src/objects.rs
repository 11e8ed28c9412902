//! Presigned object URLs of the filesystem store (`/objects/<key>?method=…&expires=…&signature=…`),
//! what S3 serves on AWS. An object PUT here completes the upload its URL was issued for, as
//! S3's `ObjectCreated` event does on AWS (`hubee_attachments::handle_s3`).

use std::{collections::HashMap, sync::Arc};

use axum::{
    Router,
    body::Body,
    extract::{Path, Query, State},
    http::{HeaderMap, StatusCode, header},
    response::{IntoResponse, Response},
    routing::get,
};
use futures::TryStreamExt;
use hubee_shared::{
    adapters::embedded::FsObjects,
    http::ApiError,
    ports::{ObjectError, ObjectKey, ObjectStore, PRESIGNED_PUT_HEADER, PresignMethod, PutCheck},
    services::{Completion, complete_presigned},
    state::AppState,
};

/// What the routes serve: the filesystem store, and the hub whose uploads they complete.
#[derive(Clone)]
pub struct Objects {
    store: Arc<FsObjects>,
    hub: AppState,
}

pub fn routes(store: Arc<FsObjects>, hub: AppState) -> Router {
    Router::new().route("/objects/{*key}", get(get_object).put(put_object)).with_state(Objects { store, hub })
}

fn authorise(
    objects: &FsObjects,
    key: &str,
    method: PresignMethod,
    query: &HashMap<String, String>,
) -> Result<ObjectKey, ApiError> {
    let key = ObjectKey::parse(key).map_err(|_| ApiError::not_found("File is not found"))?;
    let expected = match method {
        PresignMethod::Get => "GET",
        PresignMethod::Put { .. } => "PUT",
    };
    let expires = query.get("expires").and_then(|e| e.parse().ok()).unwrap_or(0);
    let signature = query.get("signature").map_or("", String::as_str);
    let disposition = query.get("disposition").map(String::as_str);
    if query.get("method").map(String::as_str) != Some(expected)
        || !objects.verify_presigned(&key, method, expires, disposition, signature)
    {
        return Err(ApiError::forbidden());
    }
    Ok(key)
}

async fn get_object(
    State(objects): State<Objects>,
    Path(key): Path<String>,
    Query(query): Query<HashMap<String, String>>,
) -> Result<Response, ApiError> {
    let key = authorise(&objects.store, &key, PresignMethod::Get, &query)?;
    let object = match objects.store.get(&key, None).await {
        Ok(o) => o,
        Err(ObjectError::NotFound) => return Err(ApiError::not_found("File is not found")),
        Err(e) => return Err(ApiError::internal(e)),
    };
    let headers = [
        (header::CONTENT_TYPE, object.info.content_type.clone()),
        (header::CONTENT_LENGTH, object.info.size.to_string()),
        (header::HeaderName::from_static("digest"), object.info.sha256.to_base64()),
    ];
    let mut response = (headers, Body::from_stream(object.body)).into_response();
    // The disposition the URL was signed with (checked above), as S3 answers it.
    if let Some(value) = query.get("disposition").and_then(|d| header::HeaderValue::from_str(d).ok()) {
        response.headers_mut().insert(header::CONTENT_DISPOSITION, value);
    }
    Ok(response)
}

/// Stores the object, then completes its upload as S3's event would: like S3, the PUT succeeds
/// whatever the completion decides (a refused object is deleted, its attachment stays
/// `PENDING`); a failure to complete answers 500, and the PUT may be retried. As on S3, the PUT
/// only creates: without `If-None-Match: *` (which S3's signature covers) it is refused with
/// 403, and onto an object already stored with 412 — a URL still valid cannot swap the bytes of
/// a received attachment. And as on S3, whose signature covers `Content-Length`, the body is
/// the size the URL was signed for, or 403: a URL holder cannot store more.
async fn put_object(
    State(objects): State<Objects>,
    Path(key): Path<String>,
    Query(query): Query<HashMap<String, String>>,
    headers: HeaderMap,
    body: Body,
) -> Result<StatusCode, ApiError> {
    let size = query.get("size").and_then(|s| s.parse::<u64>().ok()).ok_or_else(ApiError::forbidden)?;
    let key = authorise(&objects.store, &key, PresignMethod::Put { size }, &query)?;
    let (name, value) = PRESIGNED_PUT_HEADER;
    if headers.get(name).and_then(|v| v.to_str().ok()) != Some(value) {
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            format!("An upload URL is used with the header {name}: {value}"),
        ));
    }
    let length = headers.get(header::CONTENT_LENGTH).and_then(|v| v.to_str().ok()).and_then(|v| v.parse::<u64>().ok());
    if length != Some(size) {
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            format!("This upload URL takes a body of Content-Length: {size} exactly"),
        ));
    }
    let content_type =
        headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("application/octet-stream");
    let stream = Box::pin(body.into_data_stream().map_err(std::io::Error::other));
    // The length is announced; the check holds the body to it as it streams.
    match objects.store.put_new(&key, content_type, stream, PutCheck { size: Some(size), sha256: None }).await {
        Ok(_) => {}
        Err(ObjectError::Exists) => {
            return Err(ApiError::new(
                StatusCode::PRECONDITION_FAILED,
                "The object of this upload URL is already stored",
            ));
        }
        Err(e) => return Err(ApiError::internal(e)),
    }
    // The antivirus down answers 503 (the object was removed: the upload is to be made again).
    match complete_presigned(&objects.hub, key.as_str()).await.map_err(ApiError::from)? {
        Completion::Rejected(reason) => tracing::info!(%key, reason, "the upload was refused"),
        Completion::Received | Completion::Quarantined(_) | Completion::AlreadyReceived | Completion::Ignored => {}
    }
    Ok(StatusCode::OK)
}
