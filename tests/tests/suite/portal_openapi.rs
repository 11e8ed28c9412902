//! The portal's OpenAPI document stays true: every portal route a function declares is
//! documented, every documented operation is declared, and each answers on the running hub.

#![allow(clippy::unwrap_used, clippy::expect_used)] // Test code: a failed step is a failed test.

use std::collections::BTreeSet;

use hubee_tests::*;
use reqwest::Method;
use serde_json::Value;

const METHODS: [&str; 5] = ["get", "post", "put", "patch", "delete"];

fn document() -> Value {
    serde_json::from_str(hubee_auth::PORTAL_OPENAPI).expect("the OpenAPI document is JSON")
}

/// Every `(METHOD, path)` the document describes.
fn documented(doc: &Value) -> BTreeSet<(String, String)> {
    let mut ops = BTreeSet::new();
    for (path, item) in doc["paths"].as_object().expect("paths") {
        for method in METHODS {
            if item.get(method).is_some() {
                ops.insert((method.to_uppercase(), path.clone()));
            }
        }
    }
    ops
}

#[test]
fn every_declared_portal_route_is_documented_and_every_documented_operation_declared() {
    let doc = document();
    assert_eq!(doc["openapi"], "3.1.0");
    let declared: BTreeSet<(String, String)> =
        portal_routes().iter().map(|(m, p)| ((*m).to_owned(), (*p).to_owned())).collect();
    let documented = documented(&doc);
    let undocumented: Vec<_> = declared.difference(&documented).collect();
    let unserved: Vec<_> = documented.difference(&declared).collect();
    assert!(undocumented.is_empty(), "declared but not in the document: {undocumented:?}");
    assert!(unserved.is_empty(), "in the document but declared by no function: {unserved:?}");
    for (_, path) in &documented {
        assert!(path.starts_with("/portail/v1/"), "{path} is outside the portal API");
    }
    // Every operation has an id, and every reference resolves.
    let text = hubee_auth::PORTAL_OPENAPI;
    for (method, path) in &documented {
        assert!(doc["paths"][path][method.to_lowercase()]["operationId"].is_string(), "{method} {path}");
    }
    for reference in text.split("\"$ref\": \"#/").skip(1).map(|r| r.split('"').next().unwrap()) {
        let target = reference.split('/').fold(&doc, |v, part| &v[part]);
        assert!(!target.is_null(), "#/{reference} does not resolve");
    }
}

#[tokio::test]
async fn every_documented_operation_answers_on_the_running_hub() {
    let t = TestHub::spawn().await;
    let doc = document();
    let no_redirects = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    for (method, path) in documented(&doc) {
        // Path parameters get a well-formed id that names nothing.
        let concrete: String = path
            .split('/')
            .map(|seg| if seg.starts_with('{') { "00000000-0000-4000-8000-000000000000" } else { seg })
            .collect::<Vec<_>>()
            .join("/");
        // Redirects (ProConnect's routes) are answers of their own: not followed.
        let r = no_redirects
            .request(Method::from_bytes(method.as_bytes()).unwrap(), format!("{}{concrete}", t.base))
            .send()
            .await
            .unwrap();
        let (status, body) = answer(r).await;
        assert_ne!(status, 405, "{method} {path}");
        // A handler's 404 names what it did not find; the router's says "Not Found".
        assert!(!(status == 404 && first_error(&body).1 == "Not Found"), "{method} {path} is not routed");
    }
    let served: Value = t.request(Method::GET, "/portail/v1/openapi.json").send().await.unwrap().json().await.unwrap();
    assert_eq!(served, doc, "the hub serves the document");
}
