//! `POST` with `X-HTTP-Method-Override: PATCH` behaves exactly as `PATCH` on folders, cases and
//! events (the contract), for clients that cannot send a PATCH: the method is rewritten before
//! the router matches, so that the PATCH handlers serve both. A layer added with
//! `Router::layer` runs after routing, too late to change the route a request takes: the
//! rewrite wraps the router as a service instead ([`MethodOverride`]).

use std::{
    collections::HashMap,
    task::{Context, Poll},
};

use axum::{
    Router,
    extract::Path,
    http::{HeaderMap, Method, Request},
};

use super::{ApiError, Caller, JsonBody, NoQuery};

/// The paths on which the override is accepted: the contract's operations that declare the
/// `X-HTTP-Method-Override` header (a test holds the two together). Elsewhere the header is
/// ignored, and a POST stays a POST.
pub const PATCH_OVERRIDE_PATHS: &[&str] = &[
    "/teledossiers/v1/folders/{folderId}",
    "/teledossiers/v1/cases/{caseId}",
    "/teledossiers/v1/cases/{caseId}/events/{eventId}",
];

/// The method a request was sent with, when the override changed it: messages and logs name
/// the request as the client sent it (`POST /teledossiers/v1/folders/…`).
#[derive(Clone, Debug)]
pub struct SentMethod(pub Method);

/// The method a request was sent with: its own, or the one the override replaced.
pub fn sent_method<'a>(method: &'a Method, extensions: &'a axum::http::Extensions) -> &'a Method {
    extensions.get::<SentMethod>().map_or(method, |sent| &sent.0)
}

/// Whether headers carry `X-HTTP-Method-Override: PATCH` (any case, spaces around allowed).
fn asks_for_patch(headers: &HeaderMap) -> bool {
    headers
        .get("x-http-method-override")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.trim().eq_ignore_ascii_case("PATCH"))
}

/// Whether `path` is one of [`PATCH_OVERRIDE_PATHS`], a `{parameter}` standing for one
/// non-empty segment as it does for the router.
fn accepts_override(path: &str) -> bool {
    PATCH_OVERRIDE_PATHS.iter().any(|template| {
        let (mut template, mut path) = (template.split('/'), path.split('/'));
        loop {
            match (template.next(), path.next()) {
                (None, None) => return true,
                (Some(t), Some(p)) if t.starts_with('{') && !p.is_empty() => {}
                (Some(t), Some(p)) if !t.starts_with('{') && t == p => {}
                _ => return false,
            }
        }
    })
}

/// The request the router sees: a POST asking for the override on a path that accepts it
/// becomes a PATCH, the method it was sent with kept as [`SentMethod`].
fn rewrite<B>(mut request: Request<B>) -> Request<B> {
    if request.method() == Method::POST && accepts_override(request.uri().path()) && asks_for_patch(request.headers()) {
        request.extensions_mut().insert(SentMethod(Method::POST));
        *request.method_mut() = Method::PATCH;
    }
    request
}

/// A router behind the method override: what a deployed function and the local hub serve.
#[derive(Clone, Debug)]
pub struct MethodOverride<S = Router> {
    inner: S,
}

impl MethodOverride {
    pub fn new(router: Router) -> Self {
        Self { inner: router }
    }

    /// The router changed by `f`, still behind the override: for a layer that must run after
    /// routing (one that reads the matched route), as `Router::layer` adds.
    #[must_use]
    pub fn map_router(self, f: impl FnOnce(Router) -> Router) -> Self {
        Self { inner: f(self.inner) }
    }

    /// What `axum::serve` takes, as `Router::into_make_service` gives.
    pub fn into_make_service(self) -> axum::routing::IntoMakeService<Self> {
        axum::ServiceExt::<axum::extract::Request>::into_make_service(self)
    }

    /// [`Self::into_make_service`], each request carrying the peer's address
    /// (`ConnectInfo<SocketAddr>`: the audit journal's source address).
    pub fn into_make_service_with_connect_info(
        self,
    ) -> axum::extract::connect_info::IntoMakeServiceWithConnectInfo<Self, std::net::SocketAddr> {
        axum::ServiceExt::<axum::extract::Request>::into_make_service_with_connect_info::<std::net::SocketAddr>(self)
    }
}

impl<S, B> tower::Service<Request<B>> for MethodOverride<S>
where
    S: tower::Service<Request<B>>,
{
    type Response = S::Response;
    type Error = S::Error;
    type Future = S::Future;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Request<B>) -> Self::Future {
        self.inner.call(rewrite(request))
    }
}

/// The POST route of a path that accepts the override, for a POST without it: the request is
/// checked as the PATCH's would be (credentials, query, path, then body), and answered 405.
pub async fn post_without_override(_: Caller, _: NoQuery, _: Path<HashMap<String, String>>, _: JsonBody) -> ApiError {
    ApiError::method_not_allowed()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(method: Method, path: &str, header: Option<&str>) -> Request<()> {
        let mut builder = Request::builder().method(method).uri(path);
        if let Some(value) = header {
            builder = builder.header("X-HTTP-Method-Override", value);
        }
        builder.body(()).unwrap()
    }

    #[test]
    fn a_post_asking_for_patch_on_a_folder_a_case_or_an_event_is_a_patch() {
        let id = "00000000-0000-4000-8000-000000000001";
        for path in [
            format!("/teledossiers/v1/folders/{id}"),
            format!("/teledossiers/v1/cases/{id}"),
            format!("/teledossiers/v1/cases/{id}/events/{id}"),
            format!("/teledossiers/v1/cases/{id}/events/{id}?x=1"),
        ] {
            for value in ["PATCH", "patch", " Patch "] {
                let rewritten = rewrite(request(Method::POST, &path, Some(value)));
                assert_eq!(rewritten.method(), Method::PATCH, "{path} {value:?}");
                assert_eq!(sent_method(rewritten.method(), rewritten.extensions()), Method::POST);
            }
        }
    }

    #[test]
    fn anything_else_keeps_its_method() {
        let id = "00000000-0000-4000-8000-000000000001";
        let kept = [
            (Method::POST, format!("/teledossiers/v1/folders/{id}"), None),
            (Method::POST, format!("/teledossiers/v1/folders/{id}"), Some("PUT")),
            (Method::POST, format!("/teledossiers/v1/folders/{id}"), Some("PATCHES")),
            (Method::PUT, format!("/teledossiers/v1/folders/{id}"), Some("PATCH")),
            (Method::GET, format!("/teledossiers/v1/cases/{id}"), Some("PATCH")),
            (Method::POST, "/teledossiers/v1/folders".to_owned(), Some("PATCH")),
            (Method::POST, "/teledossiers/v1/folders/".to_owned(), Some("PATCH")),
            (Method::POST, format!("/teledossiers/v1/folders/{id}/"), Some("PATCH")),
            (Method::POST, format!("/teledossiers/v1/cases/{id}/events"), Some("PATCH")),
            (Method::POST, format!("/teledossiers/v1/folders/{id}/attachments/{id}/upload-url"), Some("PATCH")),
            (Method::POST, "/portail/v1/bulk".to_owned(), Some("PATCH")),
        ];
        for (method, path, value) in kept {
            let rewritten = rewrite(request(method.clone(), &path, value));
            assert_eq!(rewritten.method(), method, "{method} {path} {value:?}");
            assert!(rewritten.extensions().get::<SentMethod>().is_none());
        }
    }
}
