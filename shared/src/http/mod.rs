//! HTTP glue shared by every router: the contract's error body, extractors that reject in that
//! shape, fallbacks and the common layers.

mod download;
mod error;
mod extract;
mod query;
mod routes;
mod session;

pub use download::{archive_response, content_disposition, delivery_response, download_response, redirect_response};
pub use error::{ApiError, INVALID_CREDENTIALS};
pub use extract::{Caller, JsonBody, NoQuery, RequestLine, partner_info, path_uuid};
pub use query::QueryParams;
pub use routes::route_table;
pub use session::{
    CSRF_HEADER, PortalUser, SESSION_COOKIE, SessionRejection, clear_session_cookie, session_cookie,
    session_cookie_value,
};

use axum::{Router, http::HeaderName};
use tower_http::{
    request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer},
    trace::TraceLayer,
};

static REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// A deployed function's router: unknown paths answer 404 in the contract's shape, then
/// [`layers`].
pub fn finish<S: Clone + Send + Sync + 'static>(router: Router<S>) -> Router<S> {
    layers(router.fallback(|| async { ApiError::not_found("Not Found") }))
}

/// What every router answers the same way: 405 in the contract's shape, a request id, and one
/// tracing span per request (method, path, status, latency; no personal data).
pub fn layers<S: Clone + Send + Sync + 'static>(router: Router<S>) -> Router<S> {
    router
        .method_not_allowed_fallback(|| async { ApiError::method_not_allowed() })
        .layer(PropagateRequestIdLayer::new(REQUEST_ID.clone()))
        .layer(TraceLayer::new_for_http().make_span_with(|req: &axum::http::Request<_>| {
            let id = req.headers().get(&REQUEST_ID).and_then(|v| v.to_str().ok()).unwrap_or("-");
            tracing::info_span!("request", method = %req.method(), path = %req.uri().path(), request_id = %id)
        }))
        .layer(SetRequestIdLayer::new(REQUEST_ID.clone(), MakeRequestUuid))
}

/// Whether a POST carries `X-HTTP-Method-Override: PATCH`.
pub fn is_patch_override(headers: &axum::http::HeaderMap) -> bool {
    headers
        .get("x-http-method-override")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.trim().eq_ignore_ascii_case("PATCH"))
}
