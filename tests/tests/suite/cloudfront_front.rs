//! The web front on AWS (infra/template.yaml): CloudFront gives a browser at an unknown address
//! the front's French page, as the local hub does (functions/local/src/web.rs), and sends only
//! the API's own paths to the API. Beside `sam_template`, whose template reader it uses.

#![allow(clippy::unwrap_used, clippy::expect_used)] // Test code: a failed step is a failed test.

use crate::sam_template::{template, text};

/// A browser navigating to an unknown address gets the front (which says "Page non trouvée" in
/// French) from CloudFront too; API clients and missing files do not. (CloudFront answers it
/// with the index's `200`: a viewer-request function cannot set the status of S3's answer.)
#[test]
fn cloudfront_gives_browsers_the_front_at_unknown_addresses_and_others_the_plain_answer() {
    let template = template();
    let function = &template["Resources"]["WebPages"]["Properties"];
    let html = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8";
    let cases = serde_json::json!([
        ["/page-inexistante", {"accept": {"value": html}}, "/index.html"],
        ["/teledossiers-anciens/x", {"sec-fetch-mode": {"value": "navigate"}}, "/index.html"],
        ["/aide", {}, "/index.html"],
        ["/page-inexistante", {"accept": {"value": "application/json"}}, "/page-inexistante"],
        ["/page-inexistante", {"accept": {"value": "application/json, text/html"}}, "/page-inexistante"],
        ["/page-inexistante", {}, "/page-inexistante"],
        ["/assets/0123abcd/js/missing.js", {"sec-fetch-mode": {"value": "navigate"}}, "/assets/0123abcd/js/missing.js"],
        ["/favicon.ico", {"accept": {"value": html}}, "/favicon.ico"],
    ]);
    let code = format!(
        "{}\nconst cases = JSON.parse(process.argv[1]);\n\
         console.log(JSON.stringify(cases.map(([uri, headers]) => handler({{ request: {{ uri, headers }} }}).uri)));",
        text(&function["FunctionCode"])
    );
    let run = std::process::Command::new("node")
        .args(["-e", &code, &cases.to_string()])
        .output()
        .expect("node, as for the web suites");
    assert!(run.status.success(), "{}", String::from_utf8_lossy(&run.stderr));
    let answered: Vec<String> = serde_json::from_slice(&run.stdout).unwrap();
    for (case, answered) in cases.as_array().unwrap().iter().zip(answered) {
        assert_eq!(answered, case[2].as_str().unwrap(), "{case}");
    }

    // Only the API's own paths go to the API: a browser at /teledossiers/ (the inbox without its
    // version) reaches the function above, not the API's JSON.
    let behaviours = template["Resources"]["Distribution"]["Properties"]["DistributionConfig"]["CacheBehaviors"]
        .as_sequence()
        .unwrap();
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
}
