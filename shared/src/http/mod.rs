//! HTTP glue shared by every router: the contract's error body, extractors that reject in that
//! shape, fallbacks, the common layers and the method override.

mod audit;
mod download;
mod drain;
mod error;
mod errors;
mod extract;
mod fetch_metadata;
mod identify;
mod method_override;
mod origin;
mod query;
mod routes;
mod session;

pub use download::{
    archive_response, content_disposition, csv_response, delivery_response, download_response, redirect_response,
};
pub use error::{ApiError, INVALID_CREDENTIALS};
pub use errors::bulk_results;
pub use extract::{Caller, JSON_ONLY, JsonBody, NoQuery, OptionalJsonBody, RequestLine, partner_info, path_uuid};
pub use fetch_metadata::{CROSS_SITE_REFUSED, SameOrigin};
pub use identify::Identify;
pub use method_override::{MethodOverride, PATCH_OVERRIDE_PATHS, SentMethod, post_without_override, sent_method};
pub use query::QueryParams;
pub use routes::route_table;
pub use session::{
    CSRF_HEADER, PortalUser, SESSION_COOKIE, SessionRejection, clear_session_cookie, cookie_value, session_cookie,
    session_cookie_value,
};

use axum::{Router, extract::MatchedPath, http::HeaderName, middleware};
use tower_http::{
    request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer},
    trace::TraceLayer,
};

use crate::state::AppState;

static REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// A deployed function's router, with its state: unknown paths answer 404 in the contract's
/// shape; when the configuration holds origin secrets (on AWS), a request that did not come
/// through CloudFront is refused 403 ([`origin`]); then [`layers`] (the hub's origin read from
/// the state's public URL).
pub fn finish(router: Router<AppState>, state: AppState) -> MethodOverride {
    let secrets = state.config.origin_secrets.clone();
    let mut router = router.fallback(|| async { ApiError::not_found("Not Found") }).with_state(state.clone());
    if !secrets.is_empty() {
        router =
            router.layer(middleware::from_fn_with_state(origin::OriginSecrets::new(&secrets), origin::require_cdn));
    }
    layers(router, &state)
}

/// What every router answers the same way: 405 in the contract's shape, 403 to a cross-site
/// portal request with a session ([`SameOrigin`]; the state's public URL is the hub's
/// address), a request id, the audit journal's view of the request (its id and source for the
/// entries recorded while it is served, an entry for each 403: `audit`), and one tracing span
/// per request (method, route, status, latency), what is left of a request's body read once it
/// is answered (up to a bound: `drain`, so that a client refused mid-upload reads the answer);
/// and, before the router matches, the method override ([`MethodOverride`]).
///
/// The span names the route's template (`/portail/v1/accounts/{email}`), never the request's
/// path or query: paths carry e-mail addresses, and every log line of the request repeats the
/// span's fields. A request no route matches is logged without a route. Its method is the one
/// the request was sent with, before an override.
pub fn layers(router: Router, state: &AppState) -> MethodOverride {
    let router = router
        .method_not_allowed_fallback(|| async { ApiError::method_not_allowed() })
        .layer(middleware::from_fn_with_state(
            SameOrigin::new(&state.config.public_url),
            fetch_metadata::refuse_cross_site,
        ))
        .layer(middleware::from_fn_with_state(state.clone(), audit::audit_requests))
        .layer(PropagateRequestIdLayer::new(REQUEST_ID.clone()))
        .layer(TraceLayer::new_for_http().make_span_with(|req: &axum::http::Request<_>| {
            let id = req.headers().get(&REQUEST_ID).and_then(|v| v.to_str().ok()).unwrap_or("-");
            let route = req.extensions().get::<MatchedPath>().map_or("-", MatchedPath::as_str);
            let method = sent_method(req.method(), req.extensions());
            tracing::info_span!("request", %method, route, request_id = %id)
        }))
        .layer(SetRequestIdLayer::new(REQUEST_ID.clone(), MakeRequestUuid))
        .layer(middleware::from_fn(drain::drain_unread));
    MethodOverride::new(router)
}
