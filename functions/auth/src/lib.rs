//! `auth`: OAuth2 client credentials (`POST /token`) for API clients, the public keys their
//! tokens are verified with (`GET /.well-known/jwks.json`), and the portal's sign-in and
//! sessions under `/portail/v1/` (docs/PORTAL-API.md): password then e-mailed code, the session
//! cookie, `/me`, sign-out, activation and reset links, and the portal's OpenAPI document; and
//! signing in with ProConnect ([`proconnect`], docs/PROCONNECT.md).

use axum::{
    Form, Json, Router,
    extract::{State, rejection::FormRejection},
    http::{HeaderMap, HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
    routing::{MethodRouter, delete, get, post},
};
use base64::{Engine, engine::general_purpose::STANDARD};
use hubee_shared::{
    http::{self, ApiError, JsonBody, PortalUser, RequestLine, clear_session_cookie, route_table, session_cookie},
    services::{
        portal_auth,
        token::{TokenError, TokenRequest, client_credentials},
    },
    state::AppState,
};
use serde_json::json;
use std::collections::HashMap;

pub mod proconnect;

pub const SESSION: &str = "/portail/v1/session";
pub const SESSION_OTP: &str = "/portail/v1/session/otp";
pub const SESSION_OTP_RESEND: &str = "/portail/v1/session/otp/resend";
pub const ME: &str = "/portail/v1/me";
pub const PASSWORD: &str = "/portail/v1/password";
pub const PASSWORD_FORGOTTEN: &str = "/portail/v1/password/forgotten";
pub const OPENAPI: &str = "/portail/v1/openapi.json";
/// The public keys API tokens are verified with, an RFC 7517 JWK set (RFC 8414's usual place).
pub const JWKS: &str = "/.well-known/jwks.json";

/// The portal routes this function serves, `(method, path)`: its router is built from this
/// table, and tests compare the union of every function's table with [`PORTAL_OPENAPI`].
pub const PORTAL_ROUTES: &[(&str, &str)] = &[
    ("POST", SESSION),
    ("POST", SESSION_OTP),
    ("POST", SESSION_OTP_RESEND),
    ("DELETE", SESSION),
    ("GET", ME),
    ("POST", PASSWORD_FORGOTTEN),
    ("POST", PASSWORD),
    ("GET", OPENAPI),
    ("GET", proconnect::STATUS),
    ("POST", proconnect::LOGIN),
    ("GET", proconnect::CALLBACK),
];

/// The OpenAPI 3.1 description of the whole portal API (every function's portal routes),
/// served at [`OPENAPI`].
pub const PORTAL_OPENAPI: &str = include_str!("../portal-openapi.json");

fn portal_handler(method: &str, path: &str) -> Option<MethodRouter<AppState>> {
    Some(match (method, path) {
        ("POST", SESSION) => post(sign_in),
        ("POST", SESSION_OTP) => post(verify_code),
        ("POST", SESSION_OTP_RESEND) => post(resend_code),
        ("DELETE", SESSION) => delete(sign_out),
        ("GET", ME) => get(me),
        ("POST", PASSWORD_FORGOTTEN) => post(forgotten_password),
        ("POST", PASSWORD) => post(set_password),
        ("GET", OPENAPI) => get(openapi),
        ("GET", proconnect::STATUS) => get(proconnect::status),
        ("POST", proconnect::LOGIN) => post(proconnect::login),
        ("GET", proconnect::CALLBACK) => get(proconnect::callback),
        _ => return None,
    })
}

/// The routes, for merging into the local hub.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/token", post(issue_token))
        .route(JWKS, get(public_keys))
        .merge(route_table(PORTAL_ROUTES, portal_handler))
}

/// The function's router.
pub fn router(state: AppState) -> http::MethodOverride {
    http::finish(routes(), state)
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
    match client_credentials(&state, request).await {
        Ok(token) => {
            let mut response = Json(token).into_response();
            response.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
            response
        }
        Err(e) => oauth_error(&e),
    }
}

/// The public keys (both during a rotation), never a private part: cacheable for a few minutes,
/// which a rotation's hour of overlap outlasts.
async fn public_keys(State(state): State<AppState>) -> Response {
    let mut response = Json(state.tokens.public_keys()).into_response();
    response.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("public, max-age=300"));
    response
}

// ---------------------------------------------------------------------------------------------
// Portal sign-in and sessions
// ---------------------------------------------------------------------------------------------

/// Answers about sessions are never cached (they carry the CSRF token or open a session).
fn no_store(mut response: Response) -> Response {
    response.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

async fn sign_in(
    State(state): State<AppState>,
    line: RequestLine,
    JsonBody(body): JsonBody,
) -> Result<Response, ApiError> {
    let sent = portal_auth::sign_in(&state, portal_auth::SignIn::parse(&line.0, &body)?).await?;
    Ok(no_store(Json(sent).into_response()))
}

/// "Renvoyer le code": a new code for the same challenge, the previous one void.
async fn resend_code(
    State(state): State<AppState>,
    line: RequestLine,
    JsonBody(body): JsonBody,
) -> Result<Response, ApiError> {
    let challenge_id = portal_auth::challenge_to_resend(&line.0, &body)?;
    Ok(no_store(Json(portal_auth::resend_code(&state, challenge_id).await?).into_response()))
}

async fn verify_code(
    State(state): State<AppState>,
    line: RequestLine,
    JsonBody(body): JsonBody,
) -> Result<Response, ApiError> {
    let session = portal_auth::verify_code(&state, portal_auth::CodeAnswer::parse(&line.0, &body)?).await?;
    let profile = portal_auth::profile(&state, &session.account, &session.csrf_token).await?;
    let cookie = HeaderValue::from_str(&session_cookie(&session.cookie_value)).map_err(ApiError::internal)?;
    let mut response = no_store(Json(profile).into_response());
    response.headers_mut().insert(header::SET_COOKIE, cookie);
    Ok(response)
}

async fn me(State(state): State<AppState>, user: PortalUser) -> Result<Response, ApiError> {
    let profile = portal_auth::profile(&state, &user.account, &user.csrf_token).await?;
    Ok(no_store(Json(profile).into_response()))
}

/// Ends the hub's session; a session ProConnect opened answers where the browser goes next to
/// sign out of ProConnect too (`endSessionUrl`).
async fn sign_out(State(state): State<AppState>, user: PortalUser) -> Result<Response, ApiError> {
    let clear = [(header::SET_COOKIE, clear_session_cookie())];
    Ok(match portal_auth::sign_out(&state, &user.session_id).await? {
        Some(url) => (StatusCode::OK, clear, Json(json!({ "endSessionUrl": url }))).into_response(),
        None => (StatusCode::NO_CONTENT, clear).into_response(),
    })
}

async fn forgotten_password(
    State(state): State<AppState>,
    line: RequestLine,
    JsonBody(body): JsonBody,
) -> Result<Response, ApiError> {
    portal_auth::forgotten_password(&state, portal_auth::ForgottenPassword::parse(&line.0, &body)?).await?;
    Ok((StatusCode::ACCEPTED, Json(json!({}))).into_response())
}

async fn set_password(
    State(state): State<AppState>,
    line: RequestLine,
    JsonBody(body): JsonBody,
) -> Result<Response, ApiError> {
    portal_auth::set_password(&state, portal_auth::NewPassword::parse(&line.0, &body)?).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

async fn openapi() -> Response {
    ([(header::CONTENT_TYPE, "application/json")], PORTAL_OPENAPI).into_response()
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

    /// Behind CloudFront, the token route (and every other) answers only requests carrying
    /// CloudFront's secret header: a direct call to the API's domain skips the WAF.
    #[tokio::test]
    async fn on_aws_a_request_that_did_not_come_through_cloudfront_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let (current, previous) = ("c".repeat(40), "p".repeat(40));
        let state = testkit::with_origin_secrets(&testkit::state(dir.path()), &[&current, &previous]);
        testkit::provision(&state).await;
        let token = |secret: Option<&str>| {
            let mut request = testkit::fixture_request(include_str!("../../../events/apigw-auth-token.json"));
            if let Some(s) = secret {
                request.headers_mut().insert(hubee_shared::config::ORIGIN_VERIFY_HEADER, s.parse().unwrap());
            }
            router(state.clone()).oneshot(request)
        };
        for refused in [None, Some("wrong"), Some(&current[1..])] {
            let response = token(refused).await.unwrap();
            assert_eq!(response.status(), StatusCode::FORBIDDEN, "{refused:?}");
            let body: serde_json::Value =
                serde_json::from_slice(&response.into_body().collect().await.unwrap().to_bytes()).unwrap();
            assert_eq!(body["errors"][0]["code"], 403, "the contract's error shape: {body}");
        }
        for accepted in [&current, &previous] {
            assert_eq!(token(Some(accepted)).await.unwrap().status(), StatusCode::OK);
        }
        let jwks = axum::http::Request::get(JWKS).body(axum::body::Body::empty()).unwrap();
        assert_eq!(router(state.clone()).oneshot(jwks).await.unwrap().status(), StatusCode::FORBIDDEN);
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

#[cfg(test)]
mod portal_tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)] // Test code: a failed step is a failed test.

    use std::sync::Arc;

    use super::*;
    use axum::body::Body;
    use http_body_util::BodyExt;
    use hubee_shared::{
        adapters::ManualClock,
        domain::parse_time,
        seed::Provisioning,
        testkit::{self, RecordingMailer},
    };
    use serde_json::Value;
    use tower::ServiceExt;

    const AGENT: &str = "agent@mairie-a.example";
    const PASSWORD: &str = "Fixture-Pass-2026!";
    const SESSION_FIXTURE: &str = include_str!("../../../events/apigw-auth-portal-session.json");
    const ME_FIXTURE: &str = include_str!("../../../events/apigw-auth-portal-me.json");

    struct Portal {
        _dir: tempfile::TempDir,
        state: AppState,
        mailer: Arc<RecordingMailer>,
    }

    /// The router-test referential with an agent (the fixture's credentials), on a clock that
    /// stands still.
    async fn portal() -> Portal {
        let dir = tempfile::tempdir().unwrap();
        let clock = ManualClock::new(parse_time("2026-03-01T08:00:00Z").unwrap());
        let mailer = Arc::new(RecordingMailer::default());
        let state = testkit::state_with(dir.path(), Arc::new(clock), mailer.clone());
        testkit::provision(&state).await;
        let seed = json!({"accounts": [{"email": AGENT, "password": PASSWORD, "actorType": "AGENT",
            "siret": "11001401600015", "branchCode": "75108", "firstName": "Bruno", "lastName": "Petit",
            "habilitations": ["CERTDC"]}]});
        Provisioning::parse(&seed.to_string()).unwrap().load(&state.store).await.unwrap();
        Portal { _dir: dir, state, mailer }
    }

    async fn send(state: &AppState, request: axum::http::Request<Body>) -> (StatusCode, HeaderMap, Value) {
        let response = router(state.clone()).oneshot(request).await.unwrap();
        let (status, headers) = (response.status(), response.headers().clone());
        let bytes = response.into_body().collect().await.unwrap().to_bytes();
        let body = if bytes.is_empty() { Value::Null } else { serde_json::from_slice(&bytes).unwrap() };
        (status, headers, body)
    }

    fn request(
        method: &str,
        uri: &str,
        body: Option<Value>,
        cookie: Option<&str>,
        csrf: Option<&str>,
    ) -> axum::http::Request<Body> {
        let mut builder =
            axum::http::Request::builder().method(method).uri(uri).header("content-type", "application/json");
        if let Some(c) = cookie {
            builder = builder.header(header::COOKIE, format!("__Host-hubee_session={c}"));
        }
        if let Some(t) = csrf {
            builder = builder.header("x-csrf-token", t);
        }
        builder.body(body.map_or_else(Body::empty, |b| Body::from(b.to_string()))).unwrap()
    }

    /// The code of the last sign-in e-mail.
    fn last_code(mailer: &RecordingMailer) -> String {
        let sent = mailer.sent();
        let text = &sent.last().expect("a sign-in e-mail").text;
        text.split("portail HubEE : ").nth(1).expect("the code").chars().take(6).collect()
    }

    /// The session cookie's value in a `Set-Cookie` header.
    fn cookie_value(headers: &HeaderMap) -> String {
        let set = headers[header::SET_COOKIE].to_str().unwrap();
        set.strip_prefix("__Host-hubee_session=").unwrap().split(';').next().unwrap().to_owned()
    }

    #[tokio::test]
    async fn the_sign_in_fixture_sends_a_code_that_opens_a_session_read_back_through_the_me_fixture() {
        let p = portal().await;
        let (status, headers, challenge) = send(&p.state, testkit::fixture_request(SESSION_FIXTURE)).await;
        assert_eq!(status, StatusCode::OK, "{challenge}");
        assert_eq!(challenge["email"], AGENT);
        assert_eq!(headers[header::CACHE_CONTROL], "no-store");
        let sent = p.mailer.sent();
        assert_eq!((sent.len(), sent[0].to.as_slice()), (1, [AGENT.to_owned()].as_slice()));
        let code = last_code(&p.mailer);
        assert!(code.len() == 6 && code.bytes().all(|b| b.is_ascii_digit()), "{code:?}");

        let body = json!({"challengeId": challenge["challengeId"], "code": code});
        let (status, headers, me) = send(&p.state, request("POST", SESSION_OTP, Some(body), None, None)).await;
        assert_eq!(status, StatusCode::OK, "{me}");
        let set_cookie = headers[header::SET_COOKIE].to_str().unwrap();
        assert!(set_cookie.ends_with("; HttpOnly; Secure; SameSite=Strict; Path=/"), "{set_cookie}");
        let cookie = cookie_value(&headers);
        assert_eq!(cookie.len(), 43, "256 random bits, base64url");
        assert_eq!(me["actorType"], "AGENT");
        assert_eq!(me["roles"], json!(["GESTION_TELEDOSSIERS"]));
        assert_eq!(me["habilitations"], json!(["CERTDC"]));
        assert_eq!(
            me["organisations"],
            json!([{"siret": "11001401600015", "branchCode": "75108", "name": "Mairie A",
                    "roles": ["GESTION_TELEDOSSIERS"], "habilitations": ["CERTDC"]}])
        );
        assert_eq!(me["invitations"], json!([]));
        let csrf = me["csrfToken"].as_str().unwrap().to_owned();

        // On Lambda, API Gateway v2 passes cookies in `cookies`, not in a header.
        let (status, _, read) =
            send(&p.state, testkit::fixture_request(&ME_FIXTURE.replace("SESSION-SET-BY-THE-TEST", &cookie))).await;
        assert_eq!(status, StatusCode::OK, "{read}");
        assert_eq!(read, me);

        // Signing out is a state change: the CSRF token is needed.
        let (status, _, err) = send(&p.state, request("DELETE", SESSION, None, Some(&cookie), None)).await;
        assert_eq!((status, &err["errors"][0]["message"]), (StatusCode::FORBIDDEN, &json!(portal_auth::CSRF_REFUSED)));
        let (status, headers, _) = send(&p.state, request("DELETE", SESSION, None, Some(&cookie), Some(&csrf))).await;
        assert_eq!(status, StatusCode::NO_CONTENT);
        assert!(headers[header::SET_COOKIE].to_str().unwrap().contains("Max-Age=0"));
        let (status, headers, err) = send(&p.state, request("GET", ME, None, Some(&cookie), None)).await;
        assert_eq!((status, &err["errors"][0]["code"]), (StatusCode::UNAUTHORIZED, &json!(401)));
        assert!(headers[header::SET_COOKIE].to_str().unwrap().contains("Max-Age=0"), "a dead cookie is cleared");
    }

    #[tokio::test]
    async fn a_wrong_password_and_an_unknown_address_get_the_same_answer() {
        let p = portal().await;
        let wrong = json!({"email": AGENT, "password": "Wrong-Pass-2026!"});
        let unknown = json!({"email": "nobody@mairie-a.example", "password": PASSWORD});
        let a = send(&p.state, request("POST", SESSION, Some(wrong), None, None)).await;
        let b = send(&p.state, request("POST", SESSION, Some(unknown), None, None)).await;
        assert_eq!((a.0, &a.2), (b.0, &b.2));
        assert_eq!(a.0, StatusCode::UNAUTHORIZED);
        assert_eq!(a.2["errors"][0]["message"], portal_auth::INVALID_CREDENTIALS);
        assert!(p.mailer.sent().is_empty());
        let (status, _, err) =
            send(&p.state, request("POST", SESSION, Some(json!({"email": AGENT})), None, None)).await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert!(
            err["errors"][0]["message"]
                .as_str()
                .unwrap()
                .contains("@body] Object has missing required properties ([\"password\"])")
        );
    }

    #[tokio::test]
    async fn every_declared_portal_route_is_served_and_no_other_method_on_its_paths() {
        let p = portal().await;
        let mut paths: Vec<&str> = PORTAL_ROUTES.iter().map(|(_, path)| *path).collect();
        paths.sort_unstable();
        paths.dedup();
        for path in paths {
            for method in ["GET", "POST", "PUT", "PATCH", "DELETE"] {
                let (status, _, body) = send(&p.state, request(method, path, None, None, None)).await;
                if PORTAL_ROUTES.contains(&(method, path)) {
                    assert!(
                        status != StatusCode::NOT_FOUND && status != StatusCode::METHOD_NOT_ALLOWED,
                        "{method} {path}: {status} {body}"
                    );
                } else {
                    assert_eq!(status, StatusCode::METHOD_NOT_ALLOWED, "{method} {path} is not declared");
                }
            }
        }
    }

    #[tokio::test]
    async fn the_openapi_document_is_served_and_documents_this_functions_routes() {
        let p = portal().await;
        let (status, headers, doc) = send(&p.state, request("GET", OPENAPI, None, None, None)).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(headers[header::CONTENT_TYPE], "application/json");
        assert_eq!(doc["openapi"], "3.1.0");
        for (method, path) in PORTAL_ROUTES {
            assert!(doc["paths"][path][method.to_lowercase()].is_object(), "{method} {path} is not documented");
        }
    }
}
