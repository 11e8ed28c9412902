//! The portal's subscription pages ("Gestion des abonnements") for local administrators and
//! technical delegates: activation, access mode and API credentials, notifications, deliveries.
use axum::{Router, routing::MethodRouter};
use hubee_shared::{http, state::AppState};

/// The portal routes of this module (documented in the portal's OpenAPI document).
pub const PORTAL_ROUTES: &[(&str, &str)] = &[];

fn handler(_method: &str, _path: &str) -> Option<MethodRouter<AppState>> {
    None
}

pub fn routes() -> Router<AppState> {
    http::route_table(PORTAL_ROUTES, handler)
}
