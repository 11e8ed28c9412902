//! `ApiError`: every error answer of the API, as `{"errors":[{"code":…,"message":"…"}]}`.

use axum::{
    Json,
    http::StatusCode,
    response::{IntoResponse, Response},
};
use serde_json::json;

/// What clients written against the historical gateway expect on a bad bearer token.
pub const INVALID_CREDENTIALS: &str =
    "Invalid Credentials : Invalid Credentials. Make sure you have given the correct access token";

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    pub status: StatusCode,
    /// `(code, message)` pairs; the code is the HTTP status except where the contract says
    /// otherwise (900901 for bad credentials).
    pub errors: Vec<(u32, String)>,
    /// Seconds after which the client should try again (`Retry-After`), for a 503 that passes.
    pub retry_after: Option<u32>,
}

impl ApiError {
    pub fn new(status: StatusCode, message: impl Into<String>) -> Self {
        Self { status, errors: vec![(u32::from(status.as_u16()), message.into())], retry_after: None }
    }

    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, message)
    }

    /// Several independent problems, one entry each.
    pub fn bad_requests(messages: impl IntoIterator<Item = String>) -> Self {
        Self {
            status: StatusCode::BAD_REQUEST,
            errors: messages.into_iter().map(|m| (400, m)).collect(),
            retry_after: None,
        }
    }

    /// Schema problems of a request, in the contract's style: one message, one line each.
    pub fn validation(problems: &[String]) -> Self {
        let mut message = String::from("Bad Request : Validation failed.");
        for p in problems {
            message.push('\n');
            message.push_str(p);
        }
        Self::bad_request(message)
    }

    pub fn unauthorized() -> Self {
        Self {
            status: StatusCode::UNAUTHORIZED,
            errors: vec![(900_901, INVALID_CREDENTIALS.into())],
            retry_after: None,
        }
    }

    pub fn forbidden() -> Self {
        Self::new(StatusCode::FORBIDDEN, "Unauthorized user")
    }

    pub fn not_found(message: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, message)
    }

    pub fn conflict(message: impl Into<String>) -> Self {
        Self::new(StatusCode::CONFLICT, message)
    }

    pub fn method_not_allowed() -> Self {
        Self::new(StatusCode::METHOD_NOT_ALLOWED, "Method not allowed")
    }

    pub fn payload_too_large(message: impl Into<String>) -> Self {
        Self::new(StatusCode::PAYLOAD_TOO_LARGE, message)
    }

    /// The same error, telling the client when to try again (`Retry-After`).
    #[must_use]
    pub fn retry_after(self, seconds: u32) -> Self {
        Self { retry_after: Some(seconds), ..self }
    }

    pub fn unavailable() -> Self {
        Self::new(StatusCode::SERVICE_UNAVAILABLE, "Service unavailable, please retry")
    }

    /// Logs the cause with its detail and answers a generic message.
    pub fn internal(cause: impl std::fmt::Display) -> Self {
        tracing::error!(error = %cause, "internal error");
        Self::new(StatusCode::INTERNAL_SERVER_ERROR, "Internal server error")
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let errors: Vec<_> =
            self.errors.iter().map(|(code, message)| json!({"code": code, "message": message})).collect();
        let mut response = (self.status, Json(json!({ "errors": errors }))).into_response();
        if let Some(seconds) = self.retry_after {
            response.headers_mut().insert(axum::http::header::RETRY_AFTER, seconds.into());
        }
        response
    }
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.status)?;
        for (_, m) in &self.errors {
            write!(f, " {m}")?;
        }
        Ok(())
    }
}
