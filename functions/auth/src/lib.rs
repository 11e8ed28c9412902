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
    let mut response =
        (status, Json(json!({"error": e.to_string(), "error_description": description}))).into_response();
    if status == StatusCode::UNAUTHORIZED {
        response.headers_mut().insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Basic realm=\"hubee\""));
    }
    response
}

async fn issue_token(
    State(state): State<AppState>,
    headers: HeaderMap,
    form: Result<Form<HashMap<String, String>>, FormRejection>,
) -> Response {
    let Ok(Form(form)) = form else {
        return oauth_error(&TokenError::InvalidRequest("the body must be application/x-www-form-urlencoded".into()));
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
            response.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
            response
        }
        Err(e) => oauth_error(&e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use http_body_util::BodyExt;
    use hubee_shared::testkit;
    use tower::ServiceExt;

    #[tokio::test]
    async fn the_token_fixture_gets_a_bearer_token_through_the_router() {
        let dir = tempfile::tempdir().unwrap();
        let state = testkit::state(dir.path());
        testkit::provision(&state).await;
        let request = testkit::fixture_request(include_str!("../../../events/apigw-auth-token.json"));
        let response = router(state.clone()).oneshot(request).await.unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        assert_eq!(response.headers()[header::CACHE_CONTROL], "no-store");
        let body: serde_json::Value =
            serde_json::from_slice(&response.into_body().collect().await.unwrap().to_bytes()).unwrap();
        let claims = state.tokens.verify(body["access_token"].as_str().unwrap(), state.clock.now()).unwrap();
        assert_eq!((claims.sub.as_str(), body["scope"].as_str()), ("fixture-osl", Some("OSL")));
    }

    #[tokio::test]
    async fn a_missing_grant_type_or_credentials_get_oauth_errors() {
        let dir = tempfile::tempdir().unwrap();
        let state = testkit::state(dir.path());
        testkit::provision(&state).await;
        let post = |body: &'static str, auth: Option<&'static str>| {
            let mut r =
                axum::http::Request::post("/token").header(header::CONTENT_TYPE, "application/x-www-form-urlencoded");
            if let Some(a) = auth {
                r = r.header(header::AUTHORIZATION, a);
            }
            r.body(axum::body::Body::from(body)).unwrap()
        };
        let app = router(state);
        let r = app
            .clone()
            .oneshot(post("scope=OSL", Some("Basic Zml4dHVyZS1vc2w6Zml4dHVyZS1zZWNyZXQtbm90LXJlYWw=")))
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::BAD_REQUEST);
        let r = app
            .clone()
            .oneshot(post("grant_type=password", Some("Basic Zml4dHVyZS1vc2w6Zml4dHVyZS1zZWNyZXQtbm90LXJlYWw=")))
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::BAD_REQUEST);
        let r = app.clone().oneshot(post("grant_type=client_credentials", None)).await.unwrap();
        assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
        assert!(r.headers().contains_key(header::WWW_AUTHENTICATE));
        let form = "grant_type=client_credentials&client_id=fixture-osl&client_secret=fixture-secret-not-real";
        assert_eq!(
            app.oneshot(post(form, None)).await.unwrap().status(),
            StatusCode::OK,
            "credentials in the form work too"
        );
    }
}
