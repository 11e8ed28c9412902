//! Extractors whose rejections use the contract's error body.

use axum::{
    body::Bytes,
    extract::{FromRequest, FromRequestParts, Request},
    http::{HeaderMap, request::Parts},
};
use serde_json::Value;
use uuid::Uuid;

use super::{ApiError, Identify};
use crate::{auth::Claims, domain::PartnerInfo};

/// The largest JSON body accepted (binaries go through their own streaming routes).
pub const MAX_JSON_BODY: usize = 1 << 20;

/// The authenticated API client behind a bearer token.
#[derive(Clone, Debug)]
pub struct Caller(pub Claims);

impl<S: Identify> FromRequestParts<S> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        let token = parts
            .headers
            .get(axum::http::header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer ").or_else(|| v.strip_prefix("bearer ")))
            .ok_or_else(ApiError::unauthorized)?;
        let claims =
            state.api_client(token.trim()).await.map_err(ApiError::internal)?.ok_or_else(ApiError::unauthorized)?;
        let org = crate::domain::OrgId { siret: claims.siret.clone(), branch_code: claims.branch.clone() };
        crate::services::audit::identify(crate::domain::AuditActor::api_client(&claims.sub, Some(org)));
        Ok(Caller(claims))
    }
}

/// `METHOD /path` of the request, as validation messages name it (the method it was sent with,
/// before an override).
#[derive(Clone, Debug)]
pub struct RequestLine(pub String);

impl<S: Send + Sync> FromRequestParts<S> for RequestLine {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(RequestLine(format!("{} {}", super::sent_method(&parts.method, &parts.extensions), parts.uri.path())))
    }
}

/// Refuses any query parameter: the route takes none (the contract: unknown parameters are 400).
#[derive(Clone, Copy, Debug)]
pub struct NoQuery;

impl<S: Send + Sync> FromRequestParts<S> for NoQuery {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, ApiError> {
        match parts.uri.query().filter(|q| !q.is_empty()) {
            None => Ok(NoQuery),
            Some(q) => {
                let names: Vec<String> = q
                    .split('&')
                    .filter(|kv| !kv.is_empty())
                    .map(|kv| {
                        let name = kv.split('=').next().unwrap_or_default();
                        format!(
                            "[ERROR][REQUEST][{} {} @query.{name}] Unknown query parameter",
                            super::sent_method(&parts.method, &parts.extensions),
                            parts.uri.path()
                        )
                    })
                    .collect();
                Err(ApiError::validation(&names))
            }
        }
    }
}

/// A JSON body, parsed but not yet typed: the use case validates it and lists every problem.
///
/// The body must be labelled JSON (see [`is_json`]), else 415 before it is read: a cross-site
/// HTML form can post `text/plain` without a CORS preflight, never `application/json`.
#[derive(Clone, Debug)]
pub struct JsonBody(pub Value);

/// What a 415 answers.
pub const JSON_ONLY: &str = "Unsupported Media Type: the body must be application/json";

/// Whether a `Content-Type` names JSON: `application/json` or `application/<x>+json`, in any
/// case, parameters (`charset=utf-8`) allowed. A missing or unreadable header is not JSON.
pub fn is_json(content_type: Option<&axum::http::HeaderValue>) -> bool {
    let Some(essence) = content_type.and_then(|v| v.to_str().ok()).and_then(|v| v.split(';').next()) else {
        return false;
    };
    let essence = essence.trim().to_ascii_lowercase();
    match essence.strip_prefix("application/") {
        Some("json") => true,
        Some(subtype) => subtype
            .strip_suffix("+json")
            .is_some_and(|x| !x.is_empty() && x.bytes().all(|b| b.is_ascii_alphanumeric() || b"!#$&-^_.".contains(&b))),
        None => false,
    }
}

impl<S: Send + Sync> FromRequest<S> for JsonBody {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        if !is_json(req.headers().get(axum::http::header::CONTENT_TYPE)) {
            return Err(unsupported_media_type());
        }
        let (line, body) = read_body(req, state).await?;
        parse(&line, &body).map(JsonBody)
    }
}

/// A JSON body a route may also go without (`POST …/credentials`): an empty body is `None`,
/// whatever its `Content-Type`; any other body is read as [`JsonBody`] reads it, and must be
/// labelled JSON (415 otherwise).
#[derive(Clone, Debug)]
pub struct OptionalJsonBody(pub Option<Value>);

impl<S: Send + Sync> FromRequest<S> for OptionalJsonBody {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        let labelled = is_json(req.headers().get(axum::http::header::CONTENT_TYPE));
        let (line, body) = read_body(req, state).await?;
        if body.iter().all(u8::is_ascii_whitespace) {
            return Ok(OptionalJsonBody(None));
        }
        if !labelled {
            return Err(unsupported_media_type());
        }
        parse(&line, &body).map(|v| OptionalJsonBody(Some(v)))
    }
}

fn unsupported_media_type() -> ApiError {
    ApiError::new(axum::http::StatusCode::UNSUPPORTED_MEDIA_TYPE, JSON_ONLY)
}

/// The request line and its body, at most [`MAX_JSON_BODY`] bytes (413 beyond).
async fn read_body<S: Send + Sync>(req: Request, state: &S) -> Result<(String, Bytes), ApiError> {
    let line = format!("{} {}", super::sent_method(req.method(), req.extensions()), req.uri().path());
    let too_large = || ApiError::payload_too_large(format!("Request body larger than {MAX_JSON_BODY} bytes"));
    let body = Bytes::from_request(req, state).await.map_err(|e| {
        if e.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE {
            too_large()
        } else {
            ApiError::bad_request(e.body_text())
        }
    })?;
    if body.len() > MAX_JSON_BODY {
        return Err(too_large());
    }
    Ok((line, body))
}

fn parse(line: &str, body: &[u8]) -> Result<Value, ApiError> {
    serde_json::from_slice(body)
        .map_err(|e| ApiError::validation(&[format!("[ERROR][REQUEST][{line} @body] Malformed JSON: {e}")]))
}

/// Parses a path identifier, which must be a UUID.
///
/// # Errors
/// 400 in the contract's style naming the parameter.
pub fn path_uuid(line: &RequestLine, name: &str, value: &str) -> Result<Uuid, ApiError> {
    Uuid::parse_str(value).map_err(|_| {
        ApiError::validation(&[format!(
            "[ERROR][REQUEST][{} @path.{name}] Input string \"{value}\" is not a valid UUID",
            line.0
        )])
    })
}

/// Reads the optional `editorName`, `applicationName`, `softwareVersion` headers.
///
/// # Errors
/// 400 when one is longer than 50 characters or not text.
pub fn partner_info(headers: &HeaderMap, line: &RequestLine) -> Result<Option<PartnerInfo>, ApiError> {
    let mut problems = Vec::new();
    let mut read = |name: &str| -> Option<String> {
        let v = headers.get(name)?;
        // Header values are bytes; UTF-8 is accepted (editor names carry accents).
        match std::str::from_utf8(v.as_bytes()) {
            Ok(s) if s.chars().count() <= 50 => Some(s.to_owned()),
            _ => {
                problems.push(format!(
                    "[ERROR][REQUEST][{} @header.{name}] String is longer than 50 characters or not text",
                    line.0
                ));
                None
            }
        }
    };
    let info = PartnerInfo {
        editor_name: read("editorName"),
        application_name: read("applicationName"),
        software_version: read("softwareVersion"),
    };
    if !problems.is_empty() {
        return Err(ApiError::validation(&problems));
    }
    Ok((!info.is_empty()).then_some(info))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;
    use axum::http::HeaderValue;

    #[test]
    fn only_a_json_media_type_is_json() {
        let json = |v: &'static str| is_json(Some(&HeaderValue::from_static(v)));
        for yes in [
            "application/json",
            "Application/JSON",
            "application/json; charset=utf-8",
            "application/merge-patch+json",
            " application/problem+json ;q=1",
        ] {
            assert!(json(yes), "{yes}");
        }
        for no in [
            "text/plain",
            "text/plain; application/json",
            "application/x-www-form-urlencoded",
            "multipart/form-data; boundary=x",
            "application/jsonp",
            "application/+json",
            "application/x+json+xml",
            "text/json",
            "",
        ] {
            assert!(!json(no), "{no}");
        }
        assert!(!is_json(None));
    }
}
