//! Delivering a stored binary to the client: streamed with its metadata, or, above what a
//! response of the deployment carries, `303 See Other` to a presigned URL; and the portal's CSV
//! exports.

use axum::{
    Json,
    body::Body,
    http::{HeaderName, HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
};
use serde_json::json;

use super::ApiError;
use crate::{
    domain::{attachment_disposition, format_time},
    services::{Delivery, Download, Redirect, csv::CsvExport, portal_cases::Archive},
};

/// `attachment` with an ASCII fallback name and the exact UTF-8 name (RFC 6266), safe for any
/// file name ([`attachment_disposition`]).
pub fn content_disposition(file_name: &str) -> HeaderValue {
    HeaderValue::from_str(&attachment_disposition(file_name)).unwrap_or_else(|_| HeaderValue::from_static("attachment"))
}

/// The binary with `Content-Type` (the declared MIME type), `Content-Length`,
/// `Content-Disposition` and the contract's `digest` header (base64 SHA-256).
pub fn download_response(d: Download) -> Response {
    let content_type =
        HeaderValue::from_str(&d.mime_type).unwrap_or_else(|_| HeaderValue::from_static("application/octet-stream"));
    let headers = [
        (header::CONTENT_TYPE, content_type),
        (header::CONTENT_LENGTH, HeaderValue::from(d.size)),
        (header::CONTENT_DISPOSITION, content_disposition(&d.file_name)),
        (
            HeaderName::from_static("digest"),
            HeaderValue::from_str(&d.sha256.to_base64()).unwrap_or(HeaderValue::from_static("")),
        ),
        (header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff")),
    ];
    (headers, Body::from_stream(d.body)).into_response()
}

/// A zip archive, streamed, with the name to offer.
pub fn archive_response(archive: Archive) -> Response {
    let headers = [
        (header::CONTENT_TYPE, HeaderValue::from_static("application/zip")),
        (header::CONTENT_DISPOSITION, content_disposition(&archive.file_name)),
    ];
    (headers, Body::from_stream(archive.body)).into_response()
}

/// A CSV export as a file to save: `text/csv` in UTF-8, never stored by a cache (it lists
/// people and dossiers).
pub fn csv_response(export: CsvExport) -> Response {
    let headers = [
        (header::CONTENT_TYPE, HeaderValue::from_static("text/csv; charset=utf-8")),
        (header::CONTENT_DISPOSITION, content_disposition(&export.file_name)),
        (header::CACHE_CONTROL, HeaderValue::from_static("no-store")),
        (header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff")),
    ];
    (headers, export.csv.into_bytes()).into_response()
}

/// `303 See Other` to a presigned URL (clients follow it; the URL needs no credentials), with a
/// JSON body naming the file, its size and its digest (base64 SHA-256) for those that do not.
pub fn redirect_response(r: Redirect) -> Response {
    let Ok(location) = HeaderValue::from_str(&r.url) else {
        return ApiError::internal("a presigned URL is not a valid header value").into_response();
    };
    let headers = [(header::LOCATION, location), (header::CACHE_CONTROL, HeaderValue::from_static("no-store"))];
    let body = json!({
        "url": r.url,
        "expiresAt": format_time(r.expires_at),
        "fileName": r.file_name,
        "size": r.size,
        "digest": r.sha256.to_base64(),
    });
    (StatusCode::SEE_OTHER, headers, Json(body)).into_response()
}

/// A binary as the services chose to deliver it.
pub fn delivery_response(delivery: Delivery) -> Response {
    match delivery {
        Delivery::File(d) => download_response(d),
        Delivery::Archive(a) => archive_response(a),
        Delivery::Redirect(r) => redirect_response(r),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn any_file_name_makes_a_safe_content_disposition() {
        let v = content_disposition("Acte de décès \"final\".pdf");
        assert_eq!(
            v.to_str().unwrap(),
            "attachment; filename=\"Acte de d_c_s _final_.pdf\"; filename*=UTF-8''Acte%20de%20d%C3%A9c%C3%A8s%20%22final%22.pdf"
        );
        let v = content_disposition("../../etc/passwd\r\nX-Injected: 1");
        let s = v.to_str().unwrap();
        assert!(!s.contains('\r') && !s.contains('\n') && !s.contains("../"), "{s}");
        assert_eq!(content_disposition("").to_str().unwrap(), "attachment; filename=\"file\"; filename*=UTF-8''");
    }
}
