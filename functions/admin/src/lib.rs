//! `admin`: the subscriptions referential (`/referential/v1/subscriptions`).

use axum::Router;
use hubee_shared::{http, state::AppState};

pub fn routes() -> Router<AppState> {
    Router::new()
}

pub fn router(state: AppState) -> Router {
    http::finish(routes()).with_state(state)
}
