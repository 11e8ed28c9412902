//! The portal's subscription pages ("Gestion des abonnements") for local administrators and
//! technical delegates: activation, access mode and API credentials, notifications, deliveries.

use axum::{
    Json, Router,
    extract::{Path, State},
    response::Response,
    routing::{MethodRouter, delete, get, post, put},
};
use hubee_shared::{
    http::{self, ApiError, JsonBody, NoQuery, OptionalJsonBody, PortalUser, RequestLine, path_uuid},
    services::{
        exports,
        portal_subscriptions::{
            self, AccessModeChange, AccessModeView, Activation, ApiClientState, CredentialsView, DelegateChange,
            NotificationSettings, SecretRegeneration, SubscriptionDetail, SubscriptionList, SubscriptionRow, Viewer,
        },
    },
    state::AppState,
};
use uuid::Uuid;

const ONE: &str = "/portail/v1/subscriptions/{subscriptionId}";
const ACTIVATION: &str = "/portail/v1/subscriptions/{subscriptionId}/activation";
const ACCESS_MODE: &str = "/portail/v1/subscriptions/{subscriptionId}/access-mode";
const CREDENTIALS: &str = "/portail/v1/subscriptions/{subscriptionId}/credentials";
const PREVIOUS_SECRET: &str = "/portail/v1/subscriptions/{subscriptionId}/credentials/previous";
const DELEGATE: &str = "/portail/v1/subscriptions/{subscriptionId}/delegate";
const NOTIFICATIONS: &str = "/portail/v1/subscriptions/{subscriptionId}/notifications";

/// The portal routes of this module (documented in the portal's OpenAPI document).
pub const PORTAL_ROUTES: &[(&str, &str)] = &[
    ("GET", "/portail/v1/subscriptions"),
    ("GET", "/portail/v1/subscriptions.csv"),
    ("GET", ONE),
    ("PUT", ACTIVATION),
    ("PUT", ACCESS_MODE),
    ("POST", CREDENTIALS),
    ("DELETE", PREVIOUS_SECRET),
    ("PUT", DELEGATE),
    ("PUT", NOTIFICATIONS),
];

fn handler(method: &str, path: &str) -> Option<MethodRouter<AppState>> {
    Some(match (method, path) {
        ("GET", "/portail/v1/subscriptions") => get(list),
        ("GET", "/portail/v1/subscriptions.csv") => get(export),
        ("GET", ONE) => get(detail),
        ("PUT", ACTIVATION) => put(activation),
        ("PUT", ACCESS_MODE) => put(access_mode),
        ("POST", CREDENTIALS) => post(credentials),
        ("DELETE", PREVIOUS_SECRET) => delete(revoke_previous_secret),
        ("PUT", DELEGATE) => put(delegate),
        ("PUT", NOTIFICATIONS) => put(notifications),
        _ => return None,
    })
}

pub fn routes() -> Router<AppState> {
    http::route_table(PORTAL_ROUTES, handler)
}

/// Who looks ([`Viewer::of`]): checked before the body is read, so that 403 comes before 400.
fn viewer(user: &PortalUser) -> Result<Viewer, ApiError> {
    Ok(Viewer::of(&user.account)?)
}

fn id(line: &RequestLine, raw: &str) -> Result<Uuid, ApiError> {
    path_uuid(line, "subscriptionId", raw)
}

async fn list(State(state): State<AppState>, user: PortalUser, _: NoQuery) -> Result<Json<SubscriptionList>, ApiError> {
    Ok(Json(portal_subscriptions::list(&state, &viewer(&user)?).await?))
}

/// The list as a CSV file.
async fn export(State(state): State<AppState>, user: PortalUser, _: NoQuery) -> Result<Response, ApiError> {
    Ok(http::csv_response(exports::subscriptions(&state, &viewer(&user)?).await?))
}

async fn detail(
    State(state): State<AppState>,
    user: PortalUser,
    _: NoQuery,
    line: RequestLine,
    Path(raw): Path<String>,
) -> Result<Json<SubscriptionDetail>, ApiError> {
    Ok(Json(portal_subscriptions::detail(&state, &viewer(&user)?, id(&line, &raw)?).await?))
}

async fn activation(
    State(state): State<AppState>,
    user: PortalUser,
    _: NoQuery,
    line: RequestLine,
    Path(raw): Path<String>,
    JsonBody(body): JsonBody,
) -> Result<Json<SubscriptionRow>, ApiError> {
    let id = id(&line, &raw)?;
    let viewer = viewer(&user)?;
    let command = Activation::parse(&line.0, &body)?;
    Ok(Json(portal_subscriptions::activate(&state, &viewer, id, command).await?))
}

async fn access_mode(
    State(state): State<AppState>,
    user: PortalUser,
    _: NoQuery,
    line: RequestLine,
    Path(raw): Path<String>,
    JsonBody(body): JsonBody,
) -> Result<Json<AccessModeView>, ApiError> {
    let id = id(&line, &raw)?;
    let viewer = viewer(&user)?;
    let command = AccessModeChange::parse(&line.0, &body)?;
    Ok(Json(portal_subscriptions::set_access_mode(&state, &viewer, id, command).await?))
}

/// The body is optional (`{"revokePrevious": true}` revokes the previous secret at once).
async fn credentials(
    State(state): State<AppState>,
    user: PortalUser,
    _: NoQuery,
    line: RequestLine,
    Path(raw): Path<String>,
    OptionalJsonBody(body): OptionalJsonBody,
) -> Result<Json<CredentialsView>, ApiError> {
    let id = id(&line, &raw)?;
    let viewer = viewer(&user)?;
    let command = SecretRegeneration::parse(&line.0, body.as_ref())?;
    Ok(Json(portal_subscriptions::regenerate_secret(&state, &viewer, id, command).await?))
}

async fn revoke_previous_secret(
    State(state): State<AppState>,
    user: PortalUser,
    _: NoQuery,
    line: RequestLine,
    Path(raw): Path<String>,
) -> Result<Json<ApiClientState>, ApiError> {
    let id = id(&line, &raw)?;
    Ok(Json(portal_subscriptions::revoke_previous_secret(&state, &viewer(&user)?, id).await?))
}

async fn delegate(
    State(state): State<AppState>,
    user: PortalUser,
    _: NoQuery,
    line: RequestLine,
    Path(raw): Path<String>,
    JsonBody(body): JsonBody,
) -> Result<Json<SubscriptionRow>, ApiError> {
    let id = id(&line, &raw)?;
    let viewer = viewer(&user)?;
    let command = DelegateChange::parse(&line.0, &body)?;
    Ok(Json(portal_subscriptions::set_delegate(&state, &viewer, id, command).await?))
}

async fn notifications(
    State(state): State<AppState>,
    user: PortalUser,
    _: NoQuery,
    line: RequestLine,
    Path(raw): Path<String>,
    JsonBody(body): JsonBody,
) -> Result<Json<SubscriptionRow>, ApiError> {
    let id = id(&line, &raw)?;
    let viewer = viewer(&user)?;
    let command = NotificationSettings::parse(&line.0, &body)?;
    Ok(Json(portal_subscriptions::set_notifications(&state, &viewer, id, command).await?))
}
