//! The ProConnect routes (docs/PROCONNECT.md): whether the button is shown, the login that
//! sends the browser to ProConnect, and the callback it comes back to. Browsers navigate here
//! (a form post, then redirects): answers are redirects, never JSON, but for the button's
//! status. What a refusal page shows travels in the address's fragment, which no server, log
//! or `Referer` ever sees.

use std::collections::HashMap;

use axum::{
    Json,
    extract::{Query, State},
    http::{HeaderMap, HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
};
use hubee_shared::{
    domain::Refusal,
    http::{ApiError, SameOrigin, cookie_value, session_cookie},
    services::proconnect::{self, Callback, CallbackError, CallbackParams, LoginStart},
    state::AppState,
};
use serde_json::json;

pub const STATUS: &str = "/portail/v1/proconnect";
pub const LOGIN: &str = "/portail/v1/proconnect/login";
pub const CALLBACK: &str = proconnect::CALLBACK_PATH;

/// The cookie binding a login to the browser that started it: sent back with the callback, a
/// cross-site navigation (hence `Lax`), for the login's ten minutes.
const LOGIN_COOKIE: &str = "__Host-hubee_proconnect";
/// The front's page saying why a ProConnect sign-in did not open a session.
const REFUSAL_PAGE: &str = "/connexion/proconnect";
/// Where a signed-in person lands.
const HOME: &str = "/";

/// `GET /portail/v1/proconnect`: whether the sign-in page shows the ProConnect button
/// (`enabled`) and the password form (`password`), and the support address the refusal page
/// gives (`support`, or null).
pub async fn status(State(state): State<AppState>) -> Response {
    let config = &state.config;
    let answer = json!({
        "enabled": state.proconnect.is_some(),
        "password": config.password_sign_in,
        "support": config.support_email,
    });
    Json(answer).into_response()
}

/// `POST /portail/v1/proconnect/login`: the sign-in page's button (a form). No session, no
/// token: a request another site sent is refused, as the portal refuses any.
///
/// # Errors
/// 403 cross-site, 501 when ProConnect is not configured, 502 when it cannot be reached.
pub async fn login(State(state): State<AppState>, headers: HeaderMap) -> Result<Response, ApiError> {
    if SameOrigin::new(&state.config.public_url).is_cross_site_form(&headers) {
        tracing::warn!(event = "cross_site_refused", "a cross-site ProConnect login was refused");
        return Err(ApiError::new(StatusCode::FORBIDDEN, hubee_shared::http::CROSS_SITE_REFUSED));
    }
    match proconnect::start_login(&state, None).await {
        Ok(Some(start)) => Ok(to_proconnect(start)),
        Ok(None) => Err(ApiError::new(StatusCode::NOT_IMPLEMENTED, "ProConnect is not configured on this hub")),
        Err(e) => {
            tracing::error!(error = %e, "starting a ProConnect login failed");
            Err(ApiError::new(StatusCode::BAD_GATEWAY, "ProConnect cannot be reached, please retry later"))
        }
    }
}

/// `GET /portail/v1/proconnect/callback`: see `services::proconnect::callback`.
pub async fn callback(
    State(state): State<AppState>,
    Query(query): Query<HashMap<String, String>>,
    headers: HeaderMap,
) -> Response {
    let params = CallbackParams {
        code: query.get("code").cloned(),
        state: query.get("state").cloned(),
        error: query.get("error").cloned(),
    };
    let browser = cookie_value(&headers, LOGIN_COOKIE);
    let mut response = match proconnect::callback(&state, params, browser).await {
        Ok(Callback::SignedIn(session)) => match HeaderValue::from_str(&session_cookie(&session.cookie_value)) {
            Ok(cookie) => {
                let mut response = see_other(HOME);
                response.headers_mut().append(header::SET_COOKIE, cookie);
                response
            }
            Err(e) => ApiError::internal(e).into_response(),
        },
        Ok(Callback::StepUp(start)) => return to_proconnect(start),
        Ok(Callback::Refused(refused)) => {
            let mut fields =
                vec![("raison", reason(&refused.refusal).to_owned()), ("adresse", refused.email.to_string())];
            fields.extend(refused.siret.clone().map(|s| ("siret", s)));
            if let Refusal::AddressChanged { linked } = &refused.refusal {
                fields.push(("adresse-liee", linked.to_string()));
            }
            fields.extend(refused.end_session_url.clone().map(|u| ("deconnexion", u)));
            see_other(&format!("{REFUSAL_PAGE}#{}", fragment(&fields)))
        }
        Err(e) => {
            let why = match e {
                CallbackError::Provider(code) if code == "access_denied" => "annulee",
                CallbackError::Provider(_) => "proconnect",
                CallbackError::LoginExpired => "expiree",
                CallbackError::ProConnect(_) | CallbackError::Store(_) => "technique",
            };
            see_other(&format!("{REFUSAL_PAGE}#raison={why}"))
        }
    };
    // The login is over, whatever became of it.
    response.headers_mut().append(header::SET_COOKIE, HeaderValue::from_static(CLEAR_LOGIN_COOKIE));
    response
}

const CLEAR_LOGIN_COOKIE: &str = "__Host-hubee_proconnect=; HttpOnly; Secure; SameSite=Lax; Path=/; Max-Age=0";

/// The redirect to ProConnect, with the cookie binding the login to this browser.
fn to_proconnect(start: LoginStart) -> Response {
    let mut response = see_other(&start.url);
    let cookie = format!(
        "{LOGIN_COOKIE}={}; HttpOnly; Secure; SameSite=Lax; Path=/; Max-Age={}",
        start.browser_cookie,
        hubee_shared::domain::LOGIN_VALIDITY_MINUTES * 60
    );
    match HeaderValue::from_str(&cookie) {
        Ok(cookie) => {
            response.headers_mut().append(header::SET_COOKIE, cookie);
            response
        }
        Err(e) => ApiError::internal(e).into_response(),
    }
}

fn see_other(location: &str) -> Response {
    match HeaderValue::from_str(location) {
        Ok(location) => {
            let mut response = StatusCode::SEE_OTHER.into_response();
            response.headers_mut().insert(header::LOCATION, location);
            response.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
            response
        }
        Err(e) => ApiError::internal(e).into_response(),
    }
}

/// The refusal's name on the front's page.
fn reason(refusal: &Refusal) -> &'static str {
    match refusal {
        Refusal::UnknownAgent => "inconnu",
        Refusal::OrganisationMismatch { .. } => "organisation",
        Refusal::SecondFactorMissing => "double-authentification",
        Refusal::Suspended => "suspendu",
        Refusal::AddressChanged { .. } => "adresse-changee",
    }
}

/// `name=value&…`, each value percent-encoded but for RFC 3986's unreserved characters.
fn fragment(fields: &[(&str, String)]) -> String {
    let encode = |v: &str| {
        v.bytes()
            .map(|b| match b {
                b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => (b as char).to_string(),
                _ => format!("%{b:02X}"),
            })
            .collect::<String>()
    };
    fields.iter().map(|(k, v)| format!("{k}={}", encode(v))).collect::<Vec<_>>().join("&")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fragment_values_are_percent_encoded() {
        let f = fragment(&[("adresse", "a.b+c@mairie.example".into()), ("x", "é &=#".into())]);
        assert_eq!(f, "adresse=a.b%2Bc%40mairie.example&x=%C3%A9%20%26%3D%23");
    }
}
