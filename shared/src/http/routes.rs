//! Routers built from a declared table of `(method, path)` pairs: the table is what tests
//! compare with an API description (the portal's OpenAPI document), and a route cannot be
//! served without being in it.

use axum::{Router, routing::MethodRouter};

/// A router serving, for each `(method, path)` of `table`, the handler `handler` gives for it.
/// `handler` answers `None` for a pair it does not know: the pair is then left out (and
/// logged), which the table's tests catch as a documented route that answers 404 or 405.
pub fn route_table<S: Clone + Send + Sync + 'static>(
    table: &[(&'static str, &'static str)],
    handler: impl Fn(&str, &str) -> Option<MethodRouter<S>>,
) -> Router<S> {
    table.iter().fold(Router::new(), |router, &(method, path)| match handler(method, path) {
        // Several methods on one path merge into one route.
        Some(h) => router.route(path, h),
        None => {
            tracing::error!(method, path, "a declared route has no handler");
            router
        }
    })
}
