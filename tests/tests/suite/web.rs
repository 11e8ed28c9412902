//! The web front as the local hub serves it (functions/local/src/web.rs, docs/WEB.md): every page
//! address answers the front with the Content-Security-Policy and the other security headers,
//! versioned files are cached for a year, and the API keeps its own answers.

#![allow(clippy::unwrap_used, clippy::expect_used)] // Test code: a failed step is a failed test.

use std::path::PathBuf;

use hubee_tests::*;
use reqwest::{Method, Response, StatusCode};

const CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; \
                   object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'";

/// The policy of a hub under test: [`CSP`], its sign-in form also allowed to lead to the
/// ProConnect stand-in when the test command started one.
fn csp() -> String {
    match proconnect_stand_in() {
        Some(pc) => CSP.replace("form-action 'self'", &format!("form-action 'self' {}", pc.origin())),
        None => CSP.to_owned(),
    }
}

fn header<'a>(r: &'a Response, name: &str) -> &'a str {
    r.headers().get(name).map(|v| v.to_str().unwrap()).unwrap_or_default()
}

/// The front `cargo build` made (functions/local/build.rs), when npm was there to make it.
fn built_index() -> Option<String> {
    std::fs::read_to_string(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../web/dist/index.html")).ok()
}

fn assert_secured(r: &Response, what: &str) {
    assert_eq!(header(r, "content-security-policy"), csp(), "{what}");
    assert_eq!(header(r, "x-content-type-options"), "nosniff", "{what}");
    assert_eq!(header(r, "x-frame-options"), "DENY", "{what}");
    assert_eq!(header(r, "referrer-policy"), "no-referrer", "{what}");
}

#[tokio::test]
async fn every_page_address_answers_the_front_with_the_security_headers() {
    let hub = TestHub::spawn().await;
    let built = built_index().is_some();
    for path in [
        "/",
        "/connexion",
        "/mot-de-passe-oublie",
        "/activation?token=abc",
        "/mot-de-passe?token=abc",
        "/teledossiers?statut=NOUVEAU",
        "/dossiers/0b5c3c3e-3d1f-4f7e-9a59-1b1f7a3e2c11",
        "/comptes",
        "/comptes/nouveau",
        "/comptes/agent%40mairie.example",
        "/abonnements",
        "/abonnements/0b5c3c3e-3d1f-4f7e-9a59-1b1f7a3e2c11",
        "/national",
        "/national/organisations?siret=110014016",
        "/national/organisations/nouvelle",
        "/national/organisations/11001401600015/75108",
        "/national/demarches/CERTDC",
        "/national/nouvelle-demarche",
        "/national/clients-api/nouveau",
        "/national/journal",
        "/national/abonnements?processCode=CERTDC&status=Actif",
        "/national/abonnements/11001401600015/75108/CERTDC",
        "/national/support?q=petit",
        "/national/support/agent%40mairie.example",
        "/national/envois-en-echec",
        "/national/fusions",
        "/aide",
        "/plan-du-site",
        "/accessibilite",
        "/mentions-legales",
        "/donnees-personnelles",
        "/gestion-des-cookies",
    ] {
        let r = hub.request(Method::GET, path).send().await.unwrap();
        assert_secured(&r, path);
        assert_eq!(header(&r, "cache-control"), "no-cache", "{path}");
        assert!(header(&r, "content-type").starts_with("text/html"), "{path}");
        assert_eq!(r.status(), StatusCode::OK, "{path}");
        let page = r.text().await.unwrap();
        assert!(page.contains("<html lang=\"fr\">"), "{path}");
        if !built {
            assert!(page.contains("npm ci &amp;&amp; npm run build"), "{path}: the page says how to build the front");
        }
    }
}

#[tokio::test]
async fn the_front_loads_only_its_own_versioned_files_cached_for_a_year() {
    let Some(index) = built_index() else {
        eprintln!("web/dist is not built (no npm when cargo built the hub): nothing to load");
        return;
    };
    assert!(!index.contains("<script>") && !index.contains(" style="), "no inline script or style");
    let hub = TestHub::spawn().await;
    let referenced: Vec<&str> =
        index.split(['"', '\'']).filter(|s| s.starts_with("/dsfr/") || s.starts_with("/assets/")).collect();
    assert!(referenced.iter().any(|p| p.ends_with("/dsfr.min.css")), "the DSFR is self-hosted");
    assert!(referenced.iter().any(|p| p.ends_with("/dsfr.module.min.js")));
    assert!(referenced.iter().any(|p| p.ends_with("/js/main.js")));
    for path in referenced {
        let r = hub.request(Method::GET, path).header("accept-encoding", "br, gzip").send().await.unwrap();
        assert_eq!(r.status(), StatusCode::OK, "{path}");
        assert_secured(&r, path);
        assert_eq!(header(&r, "cache-control"), "public, max-age=31536000, immutable", "{path}");
        let expected_type = match path.rsplit('.').next() {
            Some("css") => "text/css",
            Some("js") => "text/javascript",
            Some("svg") => "image/svg+xml",
            Some("png") => "image/png",
            _ => "",
        };
        assert!(header(&r, "content-type").starts_with(expected_type), "{path}: {}", header(&r, "content-type"));
        if expected_type == "text/css" || expected_type == "text/javascript" {
            assert!(["br", "gzip"].contains(&header(&r, "content-encoding")), "{path} is sent compressed");
        }
    }
    let fonts = hub.request(Method::GET, "/dsfr/").send().await.unwrap();
    assert_eq!(fonts.status(), StatusCode::NOT_FOUND, "no directory listing");
}

#[tokio::test]
async fn the_api_keeps_its_own_answers_and_unknown_addresses_are_404() {
    let hub = TestHub::spawn().await;
    let health = hub.request(Method::GET, "/health").send().await.unwrap();
    assert_eq!(health.status(), StatusCode::OK);
    assert!(health.headers().get("content-security-policy").is_none(), "the policy is the front's");

    for path in ["/portail/v1/nothing-here", "/teledossiers/v1/nothing", "/dossiers/a/b", "/index.html.gz.nope"] {
        let r = hub.request(Method::GET, path).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::NOT_FOUND, "{path}");
        assert_eq!(header(&r, "cache-control"), "no-store", "{path}");
        let (_, body) = answer(r).await;
        assert_eq!(first_error(&body), (404, "Not Found".to_owned()), "{path}");
    }
    let post = hub.request(Method::POST, "/connexion").send().await.unwrap();
    assert_eq!(post.status(), StatusCode::NOT_FOUND, "pages are read, never posted to");
}

#[tokio::test]
async fn a_browser_at_an_unknown_address_gets_a_french_page_and_api_clients_the_json_404() {
    let hub = TestHub::spawn().await;
    let browser = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8";
    for path in ["/page-inexistante", "/teledossiers/", "/comptes/a/b"] {
        let r = hub.request(Method::GET, path).header("accept", browser).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::NOT_FOUND, "{path}");
        assert_secured(&r, path);
        assert_eq!(header(&r, "cache-control"), "no-store", "{path}");
        assert!(header(&r, "content-type").starts_with("text/html"), "{path}");
        assert!(r.text().await.unwrap().contains("<html lang=\"fr\">"), "{path}");
    }
    for (path, accept) in [
        ("/page-inexistante", "application/json"),
        ("/teledossiers/", "*/*"),
        ("/portail/v1/nothing-here", browser),
        ("/teledossiers/v1/nothing", browser),
    ] {
        let r = hub.request(Method::GET, path).header("accept", accept).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::NOT_FOUND, "{path} ({accept})");
        let (_, body) = answer(r).await;
        assert_eq!(first_error(&body), (404, "Not Found".to_owned()), "{path} ({accept})");
    }
}
