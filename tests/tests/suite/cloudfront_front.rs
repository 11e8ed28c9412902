//! The web front on AWS (infra/template.yaml): CloudFront gives a browser at an unknown address
//! the front's French page with the status 404, as the local hub does (functions/local/src/web.rs),
//! and sends only the API's own paths to the API. Beside `sam_template`, whose template reader it
//! uses.

#![allow(clippy::unwrap_used, clippy::expect_used)] // Test code: a failed step is a failed test.

use serde_json::{Value as Json, json};

use crate::sam_template::{template, text};

const HTML: &str = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8";

/// Runs the `WebPages` function's code under node on each case (`[uri, headers]`) as CloudFront
/// would: the viewer request, then the viewer response to what it asked for, S3 answering `200`
/// (`status` sets another). The viewer response is run twice, with the request as the viewer
/// request left it and as the viewer sent it (CloudFront's documentation for CloudFront
/// Functions does not say which it shows: the function must hold either way). Each answer:
/// `{uri, status, statusAsSent, cacheControl}`.
fn edge(cases: &Json, status: u16) -> Vec<Json> {
    let function = &template()["Resources"]["WebPages"]["Properties"];
    let code = format!(
        "{}\nconst cases = JSON.parse(process.argv[1]);\n\
         const copy = (value) => JSON.parse(JSON.stringify(value));\n\
         const respond = (request) => handler({{ context: {{ eventType: 'viewer-response' }}, request,\n\
           response: {{ statusCode: {status}, statusDescription: 'OK', headers: {{}} }} }});\n\
         console.log(JSON.stringify(cases.map(([uri, headers]) => {{\n\
           const request = handler({{ context: {{ eventType: 'viewer-request' }}, request: {{ uri, headers: copy(headers) }} }});\n\
           const response = respond(copy(request));\n\
           const asSent = respond({{ uri, headers: copy(headers) }});\n\
           const cacheControl = response.headers['cache-control'] ? response.headers['cache-control'].value : null;\n\
           return {{ uri: request.uri, status: response.statusCode, statusAsSent: asSent.statusCode, cacheControl }};\n\
         }})));",
        text(&function["FunctionCode"])
    );
    let run = std::process::Command::new("node")
        .args(["-e", &code, &cases.to_string()])
        .output()
        .expect("node, as for the web suites");
    assert!(run.status.success(), "{}", String::from_utf8_lossy(&run.stderr));
    serde_json::from_slice(&run.stdout).unwrap()
}

/// A browser navigating to an unknown address — with or without a dot in its last segment — gets
/// the front (which says "Page non trouvée" in French) with the status 404, not stored; a page
/// address gets it with 200; API clients, scripts and the front's own files get S3's answer,
/// untouched.
#[test]
fn cloudfront_gives_browsers_the_front_as_a_404_at_unknown_addresses_and_others_the_plain_answer() {
    let navigate = json!({"sec-fetch-mode": {"value": "navigate"}});
    let cases = json!([
        // [uri, headers, what S3 is asked for, the status the viewer gets]
        ["/page-inexistante", {"accept": {"value": HTML}}, "/index.html", 404],
        ["/teledossiers-anciens/x", navigate, "/index.html", 404],
        ["/ancien-portail.php", navigate, "/index.html", 404],
        ["/dossiers/a/b.pdf", {"accept": {"value": HTML}}, "/index.html", 404],
        ["/favicon.ico", {"accept": {"value": HTML}}, "/index.html", 404],
        ["/aide", {}, "/index.html", 200],
        ["/teledossiers", navigate, "/index.html", 200],
        ["/dossiers/8b0e6a1c-1f7e-4c1e-9a55-2f4a3d1b2c3d", navigate, "/index.html", 200],
        ["/index.html", navigate, "/index.html", 200],
        ["/page-inexistante", {"accept": {"value": "application/json"}}, "/page-inexistante", 200],
        ["/page-inexistante", {"accept": {"value": "application/json, text/html"}}, "/page-inexistante", 200],
        ["/page-inexistante", {}, "/page-inexistante", 200],
        ["/favicon.ico", {"accept": {"value": "image/avif,image/webp,*/*"}}, "/favicon.ico", 200],
        ["/assets/0123abcd/js/missing.js", navigate, "/assets/0123abcd/js/missing.js", 200],
        ["/dsfr/1.14.4/dsfr.min.css", {"accept": {"value": HTML}}, "/dsfr/1.14.4/dsfr.min.css", 200],
        // A viewer's own marker changes nothing.
        ["/aide", {"x-hubee-not-found": {"value": "1"}, "accept": {"value": HTML}}, "/index.html", 200],
    ]);
    let answers = edge(&cases, 200);
    for (case, answer) in cases.as_array().unwrap().iter().zip(&answers) {
        assert_eq!(answer["uri"], case[2], "S3 is asked for: {case} → {answer}");
        assert_eq!(answer["status"], case[3], "the viewer gets: {case} → {answer}");
        assert_eq!(answer["statusAsSent"], case[3], "with the request as sent: {case} → {answer}");
        let not_stored = if case[3] == 404 { json!("no-store") } else { Json::Null };
        assert_eq!(answer["cacheControl"], not_stored, "{case} → {answer}");
    }

    // Only a 200 becomes a 404: a 304 (the browser revalidating a copy) keeps its status, or
    // the browser would show an empty page.
    let revalidated = edge(&json!([["/page-inexistante", {"accept": {"value": HTML}}]]), 304);
    assert_eq!(revalidated[0]["status"], 304, "{revalidated:?}");
}

/// Only the API's own paths go to the API: a browser at /teledossiers/ (the inbox without its
/// version) reaches the function above, not the API's JSON; and the function answers on the web
/// behaviour only, for both the viewer request and the viewer response.
#[test]
fn cloudfront_sends_only_the_apis_paths_to_the_api_and_runs_the_function_on_the_web_behaviour() {
    let template = template();
    let config = &template["Resources"]["Distribution"]["Properties"]["DistributionConfig"];
    let behaviours = config["CacheBehaviors"].as_sequence().unwrap();
    let to_api: Vec<&str> = behaviours
        .iter()
        .filter(|b| b["TargetOriginId"].as_str() == Some("api"))
        .map(|b| b["PathPattern"].as_str().unwrap())
        .collect();
    let goes_to_api =
        |path: &str| to_api.iter().any(|p| p.strip_suffix('*').map_or(path == *p, |prefix| path.starts_with(prefix)));
    for api in ["/teledossiers/v1/cases", "/portail/v1/me", "/token", "/referential/v1/subscriptions"] {
        assert!(goes_to_api(api), "{api} reaches the API");
    }
    for page in ["/teledossiers/", "/teledossiers/x", "/teledossiers", "/page-inexistante"] {
        assert!(!goes_to_api(page), "{page} is the front's");
    }

    let events = |behaviour: &serde_norway::Value| -> Vec<String> {
        behaviour["FunctionAssociations"]
            .as_sequence()
            .map(|list| list.iter().map(|a| a["EventType"].as_str().unwrap().to_owned()).collect())
            .unwrap_or_default()
    };
    let web = &config["DefaultCacheBehavior"];
    assert_eq!(events(web), ["viewer-request", "viewer-response"]);
    let associations = &web["FunctionAssociations"];
    assert_eq!(associations[0]["FunctionARN"], associations[1]["FunctionARN"], "one function for both");
    for behaviour in behaviours {
        assert_eq!(events(behaviour), Vec::<String>::new(), "no function on {:?}", behaviour["PathPattern"]);
    }
    // No distribution-wide error page: it would replace the API's JSON 404s too.
    assert!(config.get("CustomErrorResponses").is_none(), "custom error responses would hide the API's errors");
}
