//! The web front (`web/dist`, built by `web/build.mjs`; docs/WEB.md): its files at `/`, the
//! portal's page paths answered with `index.html` (the front routes in the browser), a page
//! saying how to build the front when it is missing, and on every answer the
//! Content-Security-Policy, the other security headers and a cache policy.

use std::path::{Path, PathBuf};

use axum::{
    Router,
    body::Body,
    extract::Request,
    http::{HeaderMap, HeaderName, HeaderValue, Method, StatusCode, header},
    response::{Html, IntoResponse, Response},
};
use hubee_shared::http::ApiError;
use tower_http::services::{ServeDir, ServeFile, fs::ServeFileSystemResponseBody};

/// What the front may load: only its own files (the DSFR is self-hosted), no inline script or
/// style, never framed. The DSFR's `data:` SVGs in its CSS need `img-src data:`.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; script-src 'self'; style-src 'self'; \
     img-src 'self' data:; font-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; \
     frame-ancestors 'none'";

/// [`CONTENT_SECURITY_POLICY`], the sign-in page's form also allowed to lead to ProConnect
/// (`origin`, its issuer's): the ProConnect button posts to the hub, which redirects to
/// ProConnect, and `form-action` governs the redirects of a form's navigation too.
pub fn content_security_policy(proconnect: Option<&str>) -> String {
    match proconnect {
        Some(origin) => CONTENT_SECURITY_POLICY.replace("form-action 'self'", &format!("form-action 'self' {origin}")),
        None => CONTENT_SECURITY_POLICY.to_owned(),
    }
}

const SECURITY_HEADERS: &[(&str, &str)] = &[
    ("x-content-type-options", "nosniff"),
    ("x-frame-options", "DENY"),
    // Activation and reset links carry their token in the address: never send it elsewhere.
    ("referrer-policy", "no-referrer"),
    ("cross-origin-opener-policy", "same-origin"),
    ("cross-origin-resource-policy", "same-origin"),
    ("permissions-policy", "camera=(), geolocation=(), microphone=(), payment=(), usb=()"),
];

/// Paths whose names change with their content (the app under `/assets/<hash>/`, the DSFR under
/// `/dsfr/<version>/`): cached for a year. Everything else is revalidated on each use.
const IMMUTABLE_PREFIXES: &[&str] = &["/assets/", "/dsfr/"];
const IMMUTABLE: &str = "public, max-age=31536000, immutable";

/// The pages the front routes itself (web/src/js/routes.js), answered with `index.html`.
/// Activation and reset links (`/activation`, `/mot-de-passe`) and the new-dossier e-mails'
/// links (`/dossiers/{id}`) land here.
const PAGES: &[&str] = &[
    "/",
    "/connexion",
    "/connexion/proconnect",
    "/mot-de-passe-oublie",
    "/activation",
    "/mot-de-passe",
    "/teledossiers",
    "/comptes",
    "/abonnements",
    // The national back office (`/national/nouvelle-demarche`: any word under
    // `/national/demarches/` may be a procedure's code).
    "/national",
    "/national/organisations",
    "/national/demarches",
    "/national/nouvelle-demarche",
    "/national/clients-api",
    "/national/journal",
    "/national/abonnements",
    "/national/support",
    "/national/envois-en-echec",
    "/national/fusions",
    "/statistiques",
    "/national/statistiques",
    "/journal-audit",
    "/national/journal-audit",
    // Help and the footer's pages (accessibility, legal notice, personal data, cookies, site map).
    "/aide",
    "/plan-du-site",
    "/accessibilite",
    "/mentions-legales",
    "/donnees-personnelles",
    "/gestion-des-cookies",
];
/// Pages with one more path segment (`/dossiers/{id}`, `/comptes/{email}`, `/abonnements/{id}`).
const PAGE_PREFIXES: &[&str] = &[
    "/dossiers/",
    "/comptes/",
    "/abonnements/",
    "/national/organisations/",
    "/national/demarches/",
    "/national/clients-api/",
    "/national/support/",
];
/// Pages with several more path segments, and how many: an organisation
/// (`/national/organisations/{siret}/{branchCode}`) and its subscription to a procedure
/// (`/national/abonnements/{siret}/{branchCode}/{processCode}`).
const SEGMENTED_PAGE_PREFIXES: &[(&str, usize)] = &[("/national/organisations/", 2), ("/national/abonnements/", 3)];

/// The API's own addresses: an unknown one there stays the API's JSON `404`, whoever asks.
const API_PREFIXES: &[&str] = &["/portail/", "/teledossiers/v1", "/referential/", "/token", "/.well-known/", "/health"];

/// Whether a request is a browser's navigation (a link followed, an address typed), which gets
/// the front's "Page non trouvée" rather than the API's JSON: `Sec-Fetch-Mode: navigate`, or an
/// `Accept` naming HTML before JSON. Scripts and API clients (`*/*`, `application/json`) do not.
fn is_navigation(headers: &HeaderMap) -> bool {
    if headers.get("sec-fetch-mode").is_some_and(|mode| mode.as_bytes() == b"navigate") {
        return true;
    }
    let accept = headers.get(header::ACCEPT).and_then(|v| v.to_str().ok()).unwrap_or_default();
    accept
        .split(',')
        .map(|item| item.split(';').next().unwrap_or_default().trim())
        .find(|media| *media == "text/html" || *media == "application/json")
        .is_some_and(|media| media == "text/html")
}

/// Whether `path` is one of the front's pages (answered with `index.html`). The CloudFront
/// function `WebPages` of infra/template.yaml does the same on AWS.
pub fn is_page(path: &str) -> bool {
    PAGES.contains(&path)
        || PAGE_PREFIXES
            .iter()
            .any(|prefix| path.strip_prefix(prefix).is_some_and(|rest| !rest.is_empty() && !rest.contains('/')))
        || SEGMENTED_PAGE_PREFIXES.iter().any(|(prefix, segments)| {
            path.strip_prefix(prefix).is_some_and(|rest| {
                rest.split('/').count() == *segments && rest.split('/').all(|segment| !segment.is_empty())
            })
        })
}

/// The front, as the fallback of the API routes.
pub fn front(web_dir: &Path, csp: &str) -> Router {
    let dir = web_dir.to_path_buf();
    // A policy that is no header value (it cannot be: built from a URL) falls back to the strict one.
    let csp = HeaderValue::from_str(csp).unwrap_or(HeaderValue::from_static(CONTENT_SECURITY_POLICY));
    Router::new().fallback(move |request: Request| serve(dir.clone(), csp.clone(), request))
}

async fn serve(dir: PathBuf, csp: HeaderValue, request: Request) -> Response {
    let path = request.uri().path().to_owned();
    // An unknown address a browser navigates to: the front, which says so in French, as a 404.
    let html_not_found = is_navigation(request.headers()) && !API_PREFIXES.iter().any(|p| path.starts_with(p));
    let encoding = request.headers().get(header::ACCEPT_ENCODING).cloned();
    let method = request.method().clone();
    let mut response = if !matches!(*request.method(), Method::GET | Method::HEAD) {
        ApiError::not_found("Not Found").into_response()
    } else if is_page(&path) {
        let index = dir.join("index.html");
        if index.is_file() {
            file_response(ServeFile::new(index).precompressed_br().precompressed_gzip().try_call(request).await)
        } else {
            not_built(&dir)
        }
    } else {
        let mut files =
            ServeDir::new(&dir).precompressed_br().precompressed_gzip().append_index_html_on_directories(false);
        match file_response(files.try_call(request).await) {
            r if r.status() == StatusCode::NOT_FOUND && html_not_found => not_found_page(&dir, method, encoding).await,
            r if r.status() == StatusCode::NOT_FOUND => ApiError::not_found("Not Found").into_response(),
            r => r,
        }
    };
    let status = response.status();
    set_headers(response.headers_mut(), &path, status);
    response.headers_mut().insert(header::CONTENT_SECURITY_POLICY, csp);
    response
}

/// `index.html` with the status `404 Not Found`: the front's router finds no page for the
/// address and shows "Page non trouvée" with the site's header and a way back. Asked afresh
/// (no conditional header: a `304` would lose the status), compressed as the browser accepts.
async fn not_found_page(dir: &Path, method: Method, encoding: Option<HeaderValue>) -> Response {
    let index = dir.join("index.html");
    if !index.is_file() {
        let mut page = not_built(dir);
        *page.status_mut() = StatusCode::NOT_FOUND;
        return page;
    }
    let mut fresh = Request::new(Body::empty());
    *fresh.method_mut() = method;
    if let Some(encoding) = encoding {
        fresh.headers_mut().insert(header::ACCEPT_ENCODING, encoding);
    }
    let mut page = file_response(ServeFile::new(index).precompressed_br().precompressed_gzip().try_call(fresh).await);
    if page.status() == StatusCode::OK {
        *page.status_mut() = StatusCode::NOT_FOUND;
    }
    page
}

fn file_response(result: Result<axum::http::Response<ServeFileSystemResponseBody>, std::io::Error>) -> Response {
    match result {
        Ok(response) => response.map(Body::new),
        Err(e) => ApiError::internal(format!("serving the web front: {e}")).into_response(),
    }
}

fn set_headers(headers: &mut HeaderMap, path: &str, status: StatusCode) {
    for (name, value) in SECURITY_HEADERS {
        headers.insert(HeaderName::from_static(name), HeaderValue::from_static(value));
    }
    let cacheable = status.is_success() || status == StatusCode::NOT_MODIFIED;
    let policy = if !cacheable {
        "no-store"
    } else if IMMUTABLE_PREFIXES.iter().any(|p| path.starts_with(p)) {
        IMMUTABLE
    } else {
        "no-cache"
    };
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static(policy));
    if cacheable {
        // Precompressed variants are chosen by Accept-Encoding.
        headers.insert(header::VARY, HeaderValue::from_static("accept-encoding"));
    }
}

/// What a newcomer sees when the front was not built (no npm when cargo built the hub): a page
/// of its own (200, like the front it stands for) saying how to build the front.
fn not_built(dir: &Path) -> Response {
    let dir = dir.display().to_string().replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;");
    let page = format!(
        "<!doctype html>\n<html lang=\"fr\">\n<head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>Portail HubEE : interface web non construite</title></head>\n<body>\n<main>\n\
         <h1>L'interface web du portail n'est pas construite</h1>\n\
         <p>Le hub fonctionne (API sous <code>/teledossiers/v1</code> et <code>/portail/v1</code>), mais le \
         dossier <code>{dir}</code> ne contient pas l'interface web.</p>\n\
         <p>Pour la construire, installez Node.js 20 ou plus récent avec npm, puis lancez depuis la racine du \
         projet :</p>\n<pre><code>cd web &amp;&amp; npm ci &amp;&amp; npm run build</code></pre>\n\
         <p>ou relancez simplement <code>cargo run --release</code>, qui la construit quand npm est \
         disponible. Rechargez ensuite cette page.</p>\n\
         <p lang=\"en\">The web front is not built: install Node.js 20+ with npm and run \
         <code>cd web &amp;&amp; npm ci &amp;&amp; npm run build</code> (docs/WEB.md).</p>\n\
         </main>\n</body>\n</html>\n"
    );
    Html(page).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A throwaway front directory: an index page, one app asset, one DSFR file.
    struct Dist(PathBuf);

    impl Dist {
        fn new(name: &str, built: bool) -> Self {
            let dir = std::env::temp_dir().join(format!("hubee-web-{name}-{}", std::process::id()));
            let _ = std::fs::remove_dir_all(&dir);
            std::fs::create_dir_all(dir.join("assets/0123abcd/js")).unwrap();
            std::fs::create_dir_all(dir.join("dsfr/1.0.0")).unwrap();
            if built {
                std::fs::write(dir.join("index.html"), "<!doctype html><title>Portail HubEE</title>").unwrap();
            }
            std::fs::write(dir.join("assets/0123abcd/js/main.js"), "export {};").unwrap();
            std::fs::write(dir.join("dsfr/1.0.0/dsfr.min.css"), "body{}").unwrap();
            Self(dir)
        }

        async fn get(&self, path: &str) -> Response {
            serve(
                self.0.clone(),
                HeaderValue::from_static(CONTENT_SECURITY_POLICY),
                Request::get(path).body(Body::empty()).unwrap(),
            )
            .await
        }
    }

    impl Drop for Dist {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }

    async fn text(r: Response) -> String {
        let bytes = axum::body::to_bytes(r.into_body(), usize::MAX).await.unwrap();
        String::from_utf8(bytes.to_vec()).unwrap()
    }

    #[test]
    fn page_paths_are_the_front_routes_and_nothing_else() {
        for page in ["/", "/connexion", "/activation", "/mot-de-passe", "/teledossiers", "/comptes/nouveau"] {
            assert!(is_page(page), "{page}");
        }
        assert!(is_page("/dossiers/0b5c3c3e-3d1f-4f7e-9a59-1b1f7a3e2c11"));
        assert!(is_page("/comptes/agent%40mairie.example"));
        for other in ["/dossiers/", "/dossiers/a/b", "/portail/v1/me", "/teledossiers/v1/cases", "/index.html", "/x"] {
            assert!(!is_page(other), "{other}");
        }
        for national in [
            "/national",
            "/national/organisations",
            "/national/organisations/nouvelle",
            "/national/organisations/11001401600015/75108",
            "/national/demarches/CERTDC",
            "/national/nouvelle-demarche",
            "/national/clients-api/nouveau",
            "/national/journal",
            "/national/abonnements",
            "/national/abonnements/11001401600015/75108/CERTDC",
            "/national/support",
            "/national/support/agent%40mairie.example",
            "/national/envois-en-echec",
            "/national/fusions",
        ] {
            assert!(is_page(national), "{national}");
        }
        for other in [
            "/national/",
            "/national/organisations/11001401600015/",
            "/national/organisations//75108",
            "/national/organisations/a/b/c",
            "/national/demarches/a/b",
            "/national/journal/x",
            "/national/abonnements/11001401600015",
            "/national/abonnements/11001401600015/75108",
            "/national/abonnements/11001401600015/75108/",
            "/national/abonnements/11001401600015//CERTDC",
            "/national/abonnements/a/b/c/d",
            "/national/support/",
            "/national/support/a/b",
            "/national/fusions/x",
        ] {
            assert!(!is_page(other), "{other}");
        }
    }

    /// Every page the front routes (web/src/js/routes.js) is answered with the index: a route
    /// added there and not here would be a 404 on reload or from a link.
    #[test]
    fn every_route_of_the_front_is_a_page() {
        let routes = concat!(env!("CARGO_MANIFEST_DIR"), "/../../web/src/js/routes.js");
        let routes = std::fs::read_to_string(routes).unwrap();
        let paths: Vec<String> = routes
            .split("path: '")
            .skip(1)
            .filter_map(|rest| rest.split_once('\'').map(|(path, _)| path.to_owned()))
            .collect();
        assert!(paths.len() > 10, "the routes are read: {paths:?}");
        for path in paths {
            // A parameter (`:id`) stands for any one segment.
            let sample: Vec<&str> =
                path.split('/').map(|segment| if segment.starts_with(':') { "x1" } else { segment }).collect();
            let sample = sample.join("/");
            assert!(is_page(&sample), "{path} ({sample}) is routed by the front but not answered with the index");
        }
    }

    #[test]
    fn with_proconnect_the_sign_in_form_may_lead_to_it_and_nowhere_else() {
        assert_eq!(content_security_policy(None), CONTENT_SECURITY_POLICY);
        let csp = content_security_policy(Some("https://auth.proconnect.gouv.fr"));
        assert!(csp.contains("; form-action 'self' https://auth.proconnect.gouv.fr;"), "{csp}");
        assert_eq!(csp.replace(" https://auth.proconnect.gouv.fr", ""), CONTENT_SECURITY_POLICY);
    }

    #[tokio::test]
    async fn a_page_path_is_answered_with_the_index_and_the_security_headers() {
        let dist = Dist::new("page", true);
        let r = dist.get("/dossiers/0b5c3c3e-3d1f-4f7e-9a59-1b1f7a3e2c11").await;
        assert_eq!(r.status(), StatusCode::OK);
        assert_eq!(r.headers()[header::CONTENT_SECURITY_POLICY], CONTENT_SECURITY_POLICY);
        assert_eq!(r.headers()[header::X_CONTENT_TYPE_OPTIONS], "nosniff");
        assert_eq!(r.headers()[header::X_FRAME_OPTIONS], "DENY");
        assert_eq!(r.headers()[header::CACHE_CONTROL], "no-cache");
        assert!(text(r).await.contains("Portail HubEE"));
    }

    #[tokio::test]
    async fn versioned_files_are_cached_for_a_year_and_unknown_paths_are_404() {
        let dist = Dist::new("assets", true);
        for path in ["/assets/0123abcd/js/main.js", "/dsfr/1.0.0/dsfr.min.css"] {
            let r = dist.get(path).await;
            assert_eq!(r.status(), StatusCode::OK, "{path}");
            assert_eq!(r.headers()[header::CACHE_CONTROL], IMMUTABLE, "{path}");
        }
        let r = dist.get("/assets/0123abcd/js/missing.js").await;
        assert_eq!(r.status(), StatusCode::NOT_FOUND);
        assert_eq!(r.headers()[header::CACHE_CONTROL], "no-store");
        assert_eq!(r.headers()[header::CONTENT_SECURITY_POLICY], CONTENT_SECURITY_POLICY);
        assert!(text(r).await.contains("Not Found"));
    }

    async fn navigate(dist: &Dist, path: &str, headers: &[(&str, &str)]) -> Response {
        let mut request = Request::get(path);
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        serve(dist.0.clone(), HeaderValue::from_static(CONTENT_SECURITY_POLICY), request.body(Body::empty()).unwrap())
            .await
    }

    const BROWSER_ACCEPT: &str = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8";

    #[tokio::test]
    async fn a_browser_at_an_unknown_address_gets_the_front_as_a_404() {
        let dist = Dist::new("navigation", true);
        for (path, headers) in [
            ("/page-inexistante", &[("accept", BROWSER_ACCEPT)][..]),
            ("/teledossiers/", &[("accept", BROWSER_ACCEPT)][..]),
            ("/dossiers/a/b", &[("sec-fetch-mode", "navigate"), ("accept", "*/*")][..]),
        ] {
            let r = navigate(&dist, path, headers).await;
            assert_eq!(r.status(), StatusCode::NOT_FOUND, "{path}");
            assert_eq!(r.headers()[header::CACHE_CONTROL], "no-store", "{path}");
            assert_eq!(r.headers()[header::CONTENT_SECURITY_POLICY], CONTENT_SECURITY_POLICY, "{path}");
            assert!(r.headers()[header::CONTENT_TYPE].to_str().unwrap().starts_with("text/html"), "{path}");
            assert!(text(r).await.contains("Portail HubEE"), "{path}");
        }
    }

    #[tokio::test]
    async fn api_clients_and_the_apis_addresses_keep_the_json_404() {
        let dist = Dist::new("api-404", true);
        for (path, headers) in [
            ("/page-inexistante", &[("accept", "application/json")][..]),
            ("/page-inexistante", &[("accept", "application/json, text/html")][..]),
            ("/page-inexistante", &[("accept", "*/*")][..]),
            ("/page-inexistante", &[][..]),
            ("/portail/v1/nothing", &[("accept", BROWSER_ACCEPT), ("sec-fetch-mode", "navigate")][..]),
            ("/teledossiers/v1/nothing", &[("accept", BROWSER_ACCEPT)][..]),
            ("/referential/v1/nothing", &[("sec-fetch-mode", "navigate")][..]),
            ("/assets/0123abcd/js/missing.js", &[("sec-fetch-mode", "no-cors"), ("accept", "*/*")][..]),
        ] {
            let r = navigate(&dist, path, headers).await;
            assert_eq!(r.status(), StatusCode::NOT_FOUND, "{path} {headers:?}");
            assert!(text(r).await.contains("\"errors\""), "{path} {headers:?}: the API's error body");
        }
    }

    #[tokio::test]
    async fn without_a_built_front_the_pages_say_how_to_build_it() {
        let dist = Dist::new("unbuilt", false);
        let r = dist.get("/connexion").await;
        assert_eq!(r.status(), StatusCode::OK);
        assert_eq!(r.headers()[header::CONTENT_SECURITY_POLICY], CONTENT_SECURITY_POLICY);
        assert!(text(r).await.contains("npm ci &amp;&amp; npm run build"));
    }

    #[tokio::test]
    async fn other_methods_than_get_are_refused_in_the_api_shape() {
        let dist = Dist::new("post", true);
        let csp = HeaderValue::from_static(CONTENT_SECURITY_POLICY);
        let r = serve(dist.0.clone(), csp, Request::post("/connexion").body(Body::empty()).unwrap()).await;
        assert_eq!(r.status(), StatusCode::NOT_FOUND);
        assert!(text(r).await.contains("\"errors\""));
    }
}
