//! `attachments`: attachment binaries — case and event attachment downloads, event attachment uploads.

use axum::Router;
use hubee_shared::{http, state::AppState};

pub fn routes() -> Router<AppState> {
    Router::new()
}

pub fn router(state: AppState) -> Router {
    http::finish(routes()).with_state(state)
}
