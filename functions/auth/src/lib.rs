//! `auth`: OAuth2 client credentials (`POST /token`) for API clients.

use axum::{
    Form, Json, Router,
    extract::{State, rejection::FormRejection},
    http::{HeaderMap, HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
    routing::post,
};
use base64::{Engine, engine::general_purpose::STANDARD};
use hubee_shared::{
    http,
    services::token::{TokenError, TokenRequest, client_credentials},
    state::AppState,
};
use serde_json::json;
use std::collections::HashMap;

/// The routes, for merging into the local hub.
pub fn routes() -> Router<AppState> {
    Router::new().route("/token", post(issue_token))
}

/// The function's router.
pub fn router(state: AppState) -> Router {
    http::finish(routes()).with_state(state)
}

/// `Authorization: Basic base64(clientId:clientSecret)`.
fn basic_credentials(headers: &HeaderMap) -> Option<(String, String)> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, encoded) = value.split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let decoded = String::from_utf8(STANDARD.decode(encoded.trim()).ok()?).ok()?;
    let (id, secret) = decoded.split_once(':')?;
    Some((id.to_owned(), secret.to_owned()))
}

fn oauth_error(e: &TokenError) -> Response {
    let (status, description) = match e {
        TokenError::InvalidRequest(d) => (StatusCode::BAD_REQUEST, d.clone()),
        TokenError::UnsupportedGrantType => (StatusCode::BAD_REQUEST, "only client_credentials is supported".into()),
        TokenError::InvalidClient => (StatusCode::UNAUTHORIZED, "client authentication failed".into()),
        TokenError::InvalidScope(d) => (StatusCode::BAD_REQUEST, d.clone()),
        TokenError::Unavailable => (StatusCode::SERVICE_UNAVAILABLE, "please retry later".into()),
    };
    let mut response = (
        status,
        Json(json!({"error": e.to_string(), "error_description": description})),
    )
        .into_response();
    if status == StatusCode::UNAUTHORIZED {
        response.headers_mut().insert(
            header::WWW_AUTHENTICATE,
            HeaderValue::from_static("Basic realm=\"hubee\""),
        );
    }
    response
}

async fn issue_token(
    State(state): State<AppState>,
    headers: HeaderMap,
    form: Result<Form<HashMap<String, String>>, FormRejection>,
) -> Response {
    let Ok(Form(form)) = form else {
        return oauth_error(&TokenError::InvalidRequest(
            "the body must be application/x-www-form-urlencoded".into(),
        ));
    };
    // Basic auth, or the credentials in the form (RFC 6749 §2.3.1 allows both).
    let (client_id, client_secret) = match basic_credentials(&headers) {
        Some(c) => c,
        None => match (form.get("client_id"), form.get("client_secret")) {
            (Some(id), Some(secret)) => (id.clone(), secret.clone()),
            _ => return oauth_error(&TokenError::InvalidClient),
        },
    };
    let request = TokenRequest {
        grant_type: form.get("grant_type").map(String::as_str),
        scope: form.get("scope").map(String::as_str),
        client_id: &client_id,
        client_secret: &client_secret,
    };
    match client_credentials(&state.store, &state.tokens, request, state.clock.now()).await {
        Ok(token) => {
            let mut response = Json(token).into_response();
            response
                .headers_mut()
                .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
            response
        }
        Err(e) => oauth_error(&e),
    }
}
