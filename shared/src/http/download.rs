//! Streaming a stored binary to the client with its metadata.

use axum::{
    body::Body,
    http::{HeaderName, HeaderValue, header},
    response::{IntoResponse, Response},
};
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};

use crate::services::Download;

/// RFC 8187 `attr-char`s are left as they are; everything else is percent-encoded.
const ATTR_CHAR: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'!')
    .remove(b'#')
    .remove(b'$')
    .remove(b'&')
    .remove(b'+')
    .remove(b'-')
    .remove(b'.')
    .remove(b'^')
    .remove(b'_')
    .remove(b'`')
    .remove(b'|')
    .remove(b'~');

/// `attachment` with an ASCII fallback name and the exact UTF-8 name (RFC 6266), safe for any
/// file name: quotes, backslashes, control characters and path separators never get through.
pub fn content_disposition(file_name: &str) -> HeaderValue {
    let base = file_name.rsplit(['/', '\\']).next().unwrap_or(file_name);
    let fallback: String = base
        .chars()
        .map(|c| if c.is_ascii_graphic() && !matches!(c, '"' | '\\' | '%' | ';') || c == ' ' { c } else { '_' })
        .collect();
    let fallback = if fallback.trim().is_empty() { "file".to_owned() } else { fallback };
    let value =
        format!("attachment; filename=\"{fallback}\"; filename*=UTF-8''{}", utf8_percent_encode(base, ATTR_CHAR));
    HeaderValue::from_str(&value).unwrap_or_else(|_| HeaderValue::from_static("attachment"))
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
