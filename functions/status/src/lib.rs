//! `status`: status transitions and events — case status changes, events, acknowledgements, notification deletion.

use axum::Router;
use hubee_shared::{http, state::AppState};

pub fn routes() -> Router<AppState> {
    Router::new()
}

pub fn router(state: AppState) -> Router {
    http::finish(routes()).with_state(state)
}
