//! The portal's session: the `__Host-hubee_session` cookie, its CSRF token, and [`PortalUser`],
//! the extractor every `/portail/v1/` route behind sign-in takes.
//!
//! ```ignore
//! async fn list_inbox(State(state): State<AppState>, user: PortalUser, …) -> Result<Json<Value>, ApiError> {
//!     user.require(Role::ReadDossiers)?;
//!     for org in user.organisations() { … }
//! }
//! ```
//!
//! The scheme (docs/PORTAL-API.md): the session id is a random 256-bit value in an `HttpOnly;
//! Secure; SameSite=Strict; Path=/` cookie without `Domain`, stored only as its SHA-256; every POST, PUT, PATCH and
//! DELETE must also carry the session's token in `X-CSRF-Token` (the front reads it from the
//! sign-in answer or `GET /portail/v1/me`), compared in constant time.

use axum::{
    extract::FromRequestParts,
    http::{HeaderMap, HeaderValue, Method, header, request::Parts},
    response::{IntoResponse, Response},
};

use super::{ApiError, Identify};
use crate::{
    domain::{Account, ActorType, Email, OrgId, OrgRef, OrgType, ProcessCode, Role},
    services::portal_auth::PortalAuthError,
};

/// The session cookie's name. The `__Host-` prefix makes browsers refuse it unless it is
/// `Secure`, `Path=/` and without `Domain`: a sibling subdomain or a plain-HTTP page cannot
/// plant or shadow a session (session fixation).
pub const SESSION_COOKIE: &str = "__Host-hubee_session";
/// The header carrying the session's CSRF token on state-changing requests.
pub const CSRF_HEADER: &str = "x-csrf-token";

/// The `Set-Cookie` value opening a session. No `Max-Age`: the cookie goes with the browser,
/// and the hub ends the session itself (idle and absolute expiry).
pub fn session_cookie(value: &str) -> String {
    format!("{SESSION_COOKIE}={value}; HttpOnly; Secure; SameSite=Strict; Path=/")
}

/// The `Set-Cookie` value removing the session cookie.
pub fn clear_session_cookie() -> HeaderValue {
    HeaderValue::from_static("__Host-hubee_session=; HttpOnly; Secure; SameSite=Strict; Path=/; Max-Age=0")
}

/// The session cookie's value, from every `Cookie` header (HTTP/2 may send several).
pub fn session_cookie_value(headers: &HeaderMap) -> Option<&str> {
    cookie_value(headers, SESSION_COOKIE)
}

/// A cookie's value, from every `Cookie` header.
pub fn cookie_value<'h>(headers: &'h HeaderMap, cookie: &str) -> Option<&'h str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == cookie)
        .map(|(_, value)| value.trim().trim_matches('"'))
}

/// A person signed in to the portal, with a live session: the extractor of every portal route
/// behind sign-in.
///
/// Extracting it reads the cookie and asks the hub ([`Identify::portal_session`]), which loads the session and the account (two GetItems; the
/// session's idle expiry is pushed back with one write at most once a minute), and answers,
/// in the contract's error shape:
///
/// - **401** without a session cookie, or when it opens no session: unknown, idle for 30
///   minutes, older than 12 hours, a suspended account, a password changed since. The session
///   is ended then and the answer clears the cookie.
/// - **403** for a POST, PUT, PATCH or DELETE whose `X-CSRF-Token` header is missing or is not
///   the session's token.
///
/// What the person may do is the handler's to check, with [`PortalUser::require`] (roles at
/// home), [`PortalUser::organisations_with`] (the organisations where it holds a role — a
/// technical delegate's roles are set by each organisation it serves) and
/// [`PortalUser::visible_procedures`] (habilitations). Nobody ever sees another organisation's
/// dossiers.
#[derive(Clone, Debug)]
pub struct PortalUser {
    /// The account as read for this request.
    pub account: Account,
    /// The session's key (hash of the cookie value): `services::portal_auth::sign_out` ends it.
    pub session_id: String,
    /// The session's CSRF token, for answers that hand it to the front (`/me`).
    pub csrf_token: String,
}

impl PortalUser {
    pub fn email(&self) -> &Email {
        &self.account.email
    }

    pub fn actor_type(&self) -> ActorType {
        self.account.actor_type
    }

    pub fn roles(&self) -> &[Role] {
        &self.account.roles
    }

    /// Whether the account holds `role`, or a role that includes it (managing includes
    /// reading), in its own organisation.
    pub fn has_role(&self, role: Role) -> bool {
        self.account.has_role(role)
    }

    /// # Errors
    /// 403 `Unauthorized user` when the account lacks the role in its own organisation.
    pub fn require(&self, role: Role) -> Result<(), ApiError> {
        if self.has_role(role) { Ok(()) } else { Err(ApiError::forbidden()) }
    }

    /// The procedures given to the account in its own organisation (agents); see
    /// [`Self::visible_procedures`].
    pub fn habilitations(&self) -> &[ProcessCode] {
        &self.account.habilitations
    }

    /// The procedures whose dossiers it may see, among those its organisation subscribes to:
    /// `None` for all of them (local administrators), else its habilitations (none by default).
    pub fn visible_procedures(&self) -> Option<&[ProcessCode]> {
        self.account.visible_procedures()
    }

    /// The organisations it acts for: its own first, then those a technical delegate serves
    /// (invitations it accepted). Portal accounts belong to instructing services, hence the
    /// `SI` type.
    pub fn organisations(&self) -> Vec<OrgRef> {
        self.account.organisations().into_iter().map(si).collect()
    }

    /// The organisations where it holds `role` (or a role including it): at home its own roles,
    /// elsewhere the roles each organisation gave it.
    pub fn organisations_with(&self, role: Role) -> Vec<OrgRef> {
        self.account.organisations_with(role).into_iter().map(si).collect()
    }

    /// Its own organisation.
    pub fn organisation(&self) -> OrgRef {
        si(self.account.home())
    }

    /// Whether it acts for the organisation (SIRET and branch code; the type is not compared).
    pub fn serves(&self, org: &OrgRef) -> bool {
        self.account.organisations().iter().any(|o| o.siret == org.company_register && o.branch_code == org.branch_code)
    }

    /// "Prénom NOM", as records and events name their author.
    pub fn display_name(&self) -> String {
        format!("{} {}", self.account.first_name, self.account.last_name)
    }
}

fn si(o: OrgId) -> OrgRef {
    OrgRef { org_type: OrgType::Si, company_register: o.siret, branch_code: o.branch_code }
}

/// Why a request gets no [`PortalUser`]: the error, and whether to clear the cookie.
#[derive(Debug)]
pub struct SessionRejection {
    pub error: ApiError,
    pub clear_cookie: bool,
}

impl From<PortalAuthError> for SessionRejection {
    fn from(e: PortalAuthError) -> Self {
        let clear_cookie = matches!(e, PortalAuthError::SessionEnded);
        Self { error: e.into(), clear_cookie }
    }
}

impl IntoResponse for SessionRejection {
    fn into_response(self) -> Response {
        let mut response = self.error.into_response();
        if self.clear_cookie {
            response.headers_mut().append(header::SET_COOKIE, clear_session_cookie());
        }
        response
    }
}

/// Whether a request may change state, and so needs the CSRF token.
fn changes_state(method: &Method) -> bool {
    !matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS)
}

impl<S: Identify> FromRequestParts<S> for PortalUser {
    type Rejection = SessionRejection;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, SessionRejection> {
        let cookie = session_cookie_value(&parts.headers);
        let csrf = parts.headers.get(CSRF_HEADER).and_then(|v| v.to_str().ok());
        let a = state.portal_session(cookie, csrf, changes_state(&parts.method)).await?;
        crate::services::audit::identify(crate::domain::AuditActor::account(
            a.account.email.as_str(),
            Some(a.account.home()),
        ));
        Ok(PortalUser { account: a.account, session_id: a.session_id, csrf_token: a.csrf_token })
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn the_session_cookie_is_found_among_others_and_across_headers() {
        let mut h = HeaderMap::new();
        assert_eq!(session_cookie_value(&h), None);
        h.append(header::COOKIE, "a=1; hubee_session=old; other__Host-hubee_session=x".parse().unwrap());
        h.append(header::COOKIE, "b=2;__Host-hubee_session=abc-_1 ; c=3".parse().unwrap());
        assert_eq!(session_cookie_value(&h), Some("abc-_1"));
        assert!(session_cookie("v").starts_with("__Host-hubee_session=v; HttpOnly; Secure; SameSite=Strict; Path=/"));
        assert!(clear_session_cookie().to_str().unwrap().starts_with(&format!("{SESSION_COOKIE}=;")));
        assert!(changes_state(&Method::DELETE) && changes_state(&Method::POST) && !changes_state(&Method::GET));
    }
}
