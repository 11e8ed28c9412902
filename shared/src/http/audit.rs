//! The audit journal's view of a request: its id and source address for every entry recorded
//! while it is served, and an entry for every request answered 403, naming who was refused what
//! (the route's template, never its path: paths carry addresses).

use std::net::SocketAddr;

use axum::{
    extract::{ConnectInfo, MatchedPath, Request, State},
    http::{Method, StatusCode},
    middleware::Next,
    response::Response,
};

use super::REQUEST_ID;
use crate::{
    domain::{AuditActor, AuditRecord, Outcome},
    services::audit::{self, RequestAudit},
    state::AppState,
};

/// The address a request came from: the peer of the connection where the hub is reached
/// directly (the local hub); behind CloudFront (AWS), the last address of `X-Forwarded-For`,
/// the one CloudFront appended for the viewer it served (those before it are the client's to
/// say, and are not trusted).
pub fn source_address(req: &Request) -> Option<String> {
    if let Some(ConnectInfo(peer)) = req.extensions().get::<ConnectInfo<SocketAddr>>() {
        return Some(peer.ip().to_string());
    }
    let forwarded = req.headers().get("x-forwarded-for")?.to_str().ok()?;
    let last = forwarded.rsplit(',').next()?.trim();
    last.parse::<std::net::IpAddr>().ok().map(|ip| ip.to_string())
}

/// The API prefixes the journal names actions without.
const PREFIXES: &[&str] = &["/portail/v1/", "/teledossiers/v1/", "/referential/v1/"];

/// Whether a request answered 2xx is recorded: a change made through the portal (every
/// administrative action is one; signing in is recorded by its use case), a change to the
/// referential or a migration through the API, and the consultation of a dossier or the
/// download of one of its files, through the portal or the API.
fn recorded(method: &Method, route: &str) -> bool {
    let dossier =
        route.starts_with("/portail/v1/cases/{caseId}") || route.starts_with("/teledossiers/v1/cases/{caseId}");
    if method == Method::GET {
        return dossier || route.starts_with("/portail/v1/archives");
    }
    (route.starts_with("/portail/v1/")
        && !route.starts_with("/portail/v1/session")
        && route != "/portail/v1/password/forgotten")
        || route.starts_with("/referential/v1/")
        || route == "/teledossiers/v1/cases/migrate"
}

/// An action's name: the route's fixed segments and what the method does (`PATCH
/// /portail/v1/accounts/{email}` is `accounts.update`; `GET /teledossiers/v1/cases/{caseId}/
/// attachments/{attachmentId}` is `cases.attachments.read`).
pub fn action_name(method: &Method, route: &str) -> String {
    let path = PREFIXES.iter().find_map(|p| route.strip_prefix(p)).unwrap_or(route);
    let verb = match *method {
        Method::GET => "read",
        Method::POST => "create",
        Method::PUT | Method::PATCH => "update",
        Method::DELETE => "delete",
        _ => "other",
    };
    let mut parts: Vec<&str> = path.split('/').filter(|s| !s.is_empty() && !s.starts_with('{')).collect();
    parts.push(verb);
    parts.join(".")
}

pub async fn audit_requests(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let request_id = req.headers().get(&REQUEST_ID).and_then(|v| v.to_str().ok()).map(str::to_owned);
    let context = RequestAudit::new(request_id, source_address(&req));
    let route = req.extensions().get::<MatchedPath>().map_or("-", MatchedPath::as_str).to_owned();
    let method = req.method().clone();
    // The path names what was asked for (a dossier, a file, an account); never the query.
    let path = req.uri().path().to_owned();
    let scope = context.clone();
    context
        .scope(async move {
            let response = next.run(req).await;
            let status = response.status();
            let record = if status == StatusCode::FORBIDDEN {
                let actor = scope.actor().unwrap_or_else(|| AuditActor::anonymous(None));
                Some(
                    AuditRecord::new(actor, "access.denied", format!("{method} {path}"), Outcome::Denied).reason(route),
                )
            } else if status.is_success() && recorded(&method, &route) {
                let actor = scope.actor().unwrap_or_else(|| AuditActor::anonymous(None));
                Some(AuditRecord::new(actor, &action_name(&method, &route), path, Outcome::Granted))
            } else {
                None
            };
            if let Some(record) = record {
                audit::record(&state, record).await;
            }
            response
        })
        .await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(forwarded: Option<&str>, peer: Option<&str>) -> Request {
        let mut builder = Request::builder().uri("/x");
        if let Some(f) = forwarded {
            builder = builder.header("x-forwarded-for", f);
        }
        let mut req = builder.body(axum::body::Body::empty()).unwrap();
        if let Some(p) = peer {
            req.extensions_mut().insert(ConnectInfo(p.parse::<SocketAddr>().unwrap()));
        }
        req
    }

    #[test]
    fn actions_are_named_from_their_route_and_method() {
        assert_eq!(action_name(&Method::PATCH, "/portail/v1/accounts/{email}"), "accounts.update");
        assert_eq!(
            action_name(&Method::POST, "/portail/v1/national/api-clients/{clientId}/secret"),
            "national.api-clients.secret.create"
        );
        assert_eq!(
            action_name(&Method::GET, "/teledossiers/v1/cases/{caseId}/attachments/{attachmentId}"),
            "cases.attachments.read"
        );
        assert!(recorded(&Method::GET, "/portail/v1/cases/{caseId}/attachments/{attachmentId}"));
        assert!(recorded(&Method::DELETE, "/portail/v1/accounts/{email}/suspension"));
        assert!(
            recorded(&Method::PUT, "/teledossiers/v1/cases/migrate")
                && recorded(&Method::POST, "/referential/v1/subscriptions")
        );
        assert!(
            !recorded(&Method::GET, "/portail/v1/cases") && !recorded(&Method::GET, "/teledossiers/v1/notifications")
        );
        assert!(
            !recorded(&Method::POST, "/portail/v1/session") && !recorded(&Method::POST, "/teledossiers/v1/folders")
        );
    }

    #[test]
    fn the_source_is_the_peer_else_the_address_the_cdn_appended() {
        assert_eq!(source_address(&request(Some("203.0.113.9"), Some("127.0.0.1:5000"))).as_deref(), Some("127.0.0.1"));
        assert_eq!(source_address(&request(Some("198.51.100.1, 203.0.113.9"), None)).as_deref(), Some("203.0.113.9"));
        assert_eq!(source_address(&request(Some("not an address"), None)), None);
        assert_eq!(source_address(&request(None, None)), None);
    }
}
