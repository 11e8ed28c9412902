//! The portal refuses cross-site requests that carry a session: a layer reading the browser's
//! fetch metadata (`Sec-Fetch-Site`) and `Origin`, defence in depth behind the `SameSite=Strict`
//! cookie and the CSRF token (docs/PORTAL-API.md, "Cross-site requests").

use std::sync::Arc;

use axum::{
    extract::{Request, State},
    http::{HeaderMap, StatusCode, Uri, header},
    middleware::Next,
    response::{IntoResponse, Response},
};

use super::{ApiError, session_cookie_value};

/// The paths the check covers: the portal's API, the only one a browser session reaches.
const PORTAL: &str = "/portail/v1/";

/// What a refused request is answered, with 403.
pub const CROSS_SITE_REFUSED: &str = "Cross-site request refused";

/// An origin as browsers compare them: scheme, host (lower case) and port (the scheme's default
/// when absent).
#[derive(Clone, Debug, PartialEq, Eq)]
struct Origin {
    scheme: String,
    host: String,
    port: u16,
}

impl Origin {
    /// The origin of a URL (`https://hubee.example.gouv.fr/` or an `Origin` header value);
    /// `None` for `null` and anything else that names no origin.
    fn of(url: &str) -> Option<Self> {
        let uri: Uri = url.trim().parse().ok()?;
        let scheme = uri.scheme_str()?.to_ascii_lowercase();
        let port = uri.port_u16().or(match scheme.as_str() {
            "https" => Some(443),
            "http" => Some(80),
            _ => None,
        })?;
        Some(Self { scheme, host: uri.host()?.to_ascii_lowercase(), port })
    }
}

/// The hub's own origin, from its public URL (`Config::public_url`): the only one the portal's
/// front is served from. `None` (an unreadable URL) refuses every `Origin`.
#[derive(Clone, Debug)]
pub struct SameOrigin(Option<Arc<Origin>>);

impl SameOrigin {
    pub fn new(public_url: &str) -> Self {
        Self(Origin::of(public_url).map(Arc::new))
    }

    /// Whether a request's headers say a page of another origin sent it: `Sec-Fetch-Site`
    /// `cross-site` or `same-site` (the front is same-origin; a sibling subdomain is not
    /// trusted), or an `Origin` other than the hub's (`null` included). A request with neither
    /// header (an API client, curl) is not cross-site; `same-origin` and `none` (the person
    /// typed the address or followed a bookmark) are not either.
    pub fn is_cross_site(&self, headers: &HeaderMap) -> bool {
        let site = headers.get("sec-fetch-site").map(|v| v.to_str().unwrap_or_default().trim().to_ascii_lowercase());
        if site.is_some_and(|s| s != "same-origin" && s != "none") {
            return true;
        }
        headers.get_all(header::ORIGIN).iter().any(|origin| {
            let theirs = origin.to_str().ok().and_then(Origin::of);
            theirs.is_none() || theirs.as_ref() != self.0.as_deref()
        })
    }
}

impl SameOrigin {
    /// [`Self::is_cross_site`] for a form the portal's own page posts (a navigation, not a
    /// `fetch`): under the front's `Referrer-Policy: no-referrer` a browser sends such a form with
    /// `Origin: null`, so `Sec-Fetch-Site` decides when it is there; `Origin` only for a browser
    /// that sends no fetch metadata.
    pub fn is_cross_site_form(&self, headers: &HeaderMap) -> bool {
        match headers.get("sec-fetch-site").map(|v| v.to_str().unwrap_or_default().trim().to_ascii_lowercase()) {
            Some(site) => site != "same-origin" && site != "none",
            None => self.is_cross_site(headers),
        }
    }
}

/// The layer's function: a `/portail/v1/` request carrying a session cookie from another site
/// is answered 403 before any handler runs (nothing is read, nothing is recorded).
pub async fn refuse_cross_site(State(same): State<SameOrigin>, request: Request, next: Next) -> Response {
    let refused = request.uri().path().starts_with(PORTAL)
        && session_cookie_value(request.headers()).is_some()
        && same.is_cross_site(request.headers());
    if refused {
        tracing::warn!(event = "cross_site_refused", "a cross-site request with a session was refused");
        return ApiError::new(StatusCode::FORBIDDEN, CROSS_SITE_REFUSED).into_response();
    }
    next.run(request).await
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (name, value) in pairs {
            h.append(*name, value.parse().unwrap());
        }
        h
    }

    #[test]
    fn a_form_of_the_portal_posted_with_a_null_origin_is_not_cross_site() {
        let same = SameOrigin::new("https://hubee.example.gouv.fr");
        assert!(!same.is_cross_site_form(&headers(&[("origin", "null"), ("sec-fetch-site", "same-origin")])));
        assert!(same.is_cross_site_form(&headers(&[("origin", "null"), ("sec-fetch-site", "cross-site")])));
        assert!(same.is_cross_site_form(&headers(&[("origin", "https://evil.example")])), "no fetch metadata");
        assert!(same.is_cross_site_form(&headers(&[("origin", "null")])), "no fetch metadata: null refused");
        assert!(!same.is_cross_site_form(&headers(&[])), "neither header: not a browser");
    }

    #[test]
    fn only_the_hubs_origin_and_same_origin_fetches_pass() {
        let hub = SameOrigin::new("https://HubEE.example.gouv.fr/");
        for ok in [
            &[][..],
            &[("sec-fetch-site", "same-origin")],
            &[("sec-fetch-site", "none")],
            &[("origin", "https://hubee.example.gouv.fr")],
            &[("origin", "https://hubee.example.gouv.fr:443"), ("sec-fetch-site", "same-origin")],
        ] {
            assert!(!hub.is_cross_site(&headers(ok)), "{ok:?}");
        }
        for refused in [
            &[("sec-fetch-site", "cross-site")][..],
            &[("sec-fetch-site", "same-site")],
            &[("sec-fetch-site", "something-new")],
            &[("origin", "https://evil.example")],
            &[("origin", "http://hubee.example.gouv.fr")],
            &[("origin", "https://hubee.example.gouv.fr:8443")],
            &[("origin", "https://hubee.example.gouv.fr.evil.example")],
            &[("origin", "null")],
            &[("origin", "https://hubee.example.gouv.fr"), ("sec-fetch-site", "cross-site")],
        ] {
            assert!(hub.is_cross_site(&headers(refused)), "{refused:?}");
        }
        let local = SameOrigin::new("http://127.0.0.1:8080");
        assert!(!local.is_cross_site(&headers(&[("origin", "http://127.0.0.1:8080")])));
        assert!(local.is_cross_site(&headers(&[("origin", "http://localhost:8080")])), "another origin");
        let unreadable = SameOrigin::new("not a url");
        assert!(unreadable.is_cross_site(&headers(&[("origin", "http://127.0.0.1:8080")])), "fails closed");
    }
}
