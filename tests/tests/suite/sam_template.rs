//! The SAM template against the code: every route of the contract (and of its extensions) and of
//! the portal's OpenAPI document is routed to exactly one function, every routed request reaches
//! a handler of that function's router, every binary of the function crates is one function, and
//! the stream trigger wakes `notify` for outbox items only, `purge` runs hourly with leave to
//! delete binaries only, and each function links the S3 and SES clients its policies allow.

#![allow(clippy::unwrap_used, clippy::expect_used)] // Test code: a failed step is a failed test.

use std::collections::{BTreeMap, BTreeSet};

use axum::body::Body;
use hubee_shared::testkit;
use serde_json::Value as Json;
use serde_norway::Value;
use tower::ServiceExt;

/// Contract routes the hub does not serve, as docs/API.md explains.
const NOT_SERVED: &[(&str, &str)] = &[
    ("PUT", "/teledossiers/v1/cases/migrate"),
    ("GET", "/teledossiers/v1/attachmentsIdsForPurge"),
    ("PUT", "/teledossiers/v1/idsPurged"),
];

/// Routes the hub adds to the contract (docs/API.md, "Large binaries on AWS").
const EXTENSIONS: &[(&str, &str)] = &[
    ("POST", "/teledossiers/v1/folders/{folderId}/attachments/{attachmentId}/upload-url"),
    ("POST", "/teledossiers/v1/cases/{caseId}/events/{eventId}/attachments/{attachmentId}/upload-url"),
];

fn root() -> std::path::PathBuf {
    std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn template() -> Value {
    let text = std::fs::read_to_string(root().join("infra/template.yaml")).unwrap();
    serde_norway::from_str(&text).unwrap()
}

/// `(method, path)` → the function's binary, for every HttpApi event of the template.
fn routed() -> BTreeMap<(String, String), String> {
    let mut routes = BTreeMap::new();
    let template = template();
    for (name, resource) in template["Resources"].as_mapping().unwrap() {
        if resource["Type"].as_str() != Some("AWS::Serverless::Function") {
            continue;
        }
        let binary = resource["Metadata"]["BuildProperties"]["Binary"].as_str().unwrap().to_owned();
        let Some(events) = resource["Properties"]["Events"].as_mapping() else { continue };
        for event in events.values().filter(|e| e["Type"].as_str() == Some("HttpApi")) {
            let method = event["Properties"]["Method"].as_str().unwrap().to_owned();
            let path = event["Properties"]["Path"].as_str().unwrap().to_owned();
            let previous = routes.insert((method.clone(), path.clone()), binary.clone());
            assert!(previous.is_none(), "{method} {path} is routed twice ({name:?})");
        }
    }
    routes
}

/// Every `(method, path)` of an OpenAPI-like document, under `base`.
fn documented(doc: &Json, base: &str, into: &mut BTreeSet<(String, String)>) {
    for (path, item) in doc["paths"].as_object().unwrap() {
        for method in item.as_object().unwrap().keys() {
            if ["get", "put", "post", "patch", "delete"].contains(&method.as_str()) {
                into.insert((method.to_uppercase(), format!("{base}{path}")));
            }
        }
    }
}

fn yaml_as_json(path: std::path::PathBuf) -> Json {
    let value: Value = serde_norway::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    serde_json::to_value(value).unwrap()
}

#[test]
fn every_documented_route_is_routed_to_one_function_and_nothing_else_is() {
    let contract = root().join("../shared/contract");
    let mut expected = BTreeSet::from([("POST".to_owned(), "/token".to_owned())]);
    documented(&yaml_as_json(contract.join("api_folder_v1.2.7.yaml")), "/teledossiers/v1", &mut expected);
    documented(&yaml_as_json(contract.join("api_subscription_v1.2.3.yaml")), "/referential/v1", &mut expected);
    let portal: Json =
        serde_json::from_str(&std::fs::read_to_string(root().join("functions/auth/portal-openapi.json")).unwrap())
            .unwrap();
    documented(&portal, "", &mut expected);
    for (method, path) in NOT_SERVED {
        assert!(expected.remove(&((*method).to_owned(), (*path).to_owned())), "{method} {path} is in the contract");
    }
    expected.extend(EXTENSIONS.iter().map(|(m, p)| ((*m).to_owned(), (*p).to_owned())));
    let routed: BTreeSet<_> = routed().into_keys().collect();
    let missing: Vec<_> = expected.difference(&routed).collect();
    let extra: Vec<_> = routed.difference(&expected).collect();
    assert!(missing.is_empty() && extra.is_empty(), "not routed: {missing:?}; routed but not documented: {extra:?}");
}

#[tokio::test]
async fn every_routed_request_reaches_a_handler_of_its_function() {
    let dir = tempfile::tempdir().unwrap();
    let state = testkit::state(dir.path());
    let id = "00000000-0000-4000-8000-000000000001";
    for ((method, path), binary) in routed() {
        let router = match binary.as_str() {
            "auth" => hubee_auth::router(state.clone()),
            "intake" => hubee_intake::router(state.clone()),
            "search" => hubee_search::router(state.clone()),
            "status" => hubee_status::router(state.clone()),
            "attachments" => hubee_attachments::router(state.clone()),
            "admin" => hubee_admin::router(state.clone()),
            other => panic!("{method} {path} is routed to {other}, which serves no HTTP"),
        };
        // Path parameters filled with a well-formed id (an address for accounts).
        let uri: String = path
            .split('/')
            .map(|s| match s {
                "{email}" => "agent%40mairie-a.example",
                s if s.starts_with('{') => id,
                s => s,
            })
            .collect::<Vec<_>>()
            .join("/");
        let request = axum::http::Request::builder().method(method.as_str()).uri(&uri).body(Body::empty()).unwrap();
        let response = router.oneshot(request).await.unwrap();
        // Unauthenticated, a handler answers 400 or 401; the router's fallbacks 404 and 405.
        assert!(
            ![404, 405].contains(&response.status().as_u16()),
            "{method} {uri} does not reach a handler of {binary}: {}",
            response.status()
        );
    }
}

#[test]
fn every_function_builds_a_binary_of_the_function_crates_and_notify_wakes_on_outbox_items_only() {
    let template = template();
    let mut binaries = BTreeSet::new();
    for resource in template["Resources"].as_mapping().unwrap().values() {
        if resource["Type"].as_str() == Some("AWS::Serverless::Function") {
            assert_eq!(resource["Metadata"]["BuildMethod"].as_str(), Some("rust-cargolambda"));
            binaries.insert(resource["Metadata"]["BuildProperties"]["Binary"].as_str().unwrap().to_owned());
        }
    }
    // Every binary of the function crates (the local hub aside) is one function.
    let mut declared = BTreeSet::new();
    for entry in std::fs::read_dir(root().join("functions")).unwrap().flatten() {
        if entry.file_name() == "local" {
            continue;
        }
        let manifest = std::fs::read_to_string(entry.path().join("Cargo.toml")).unwrap();
        for bin in manifest.split("[[bin]]").skip(1) {
            let name = bin.lines().find_map(|l| l.trim().strip_prefix("name = ")).unwrap();
            declared.insert(name.trim_matches('"').to_owned());
        }
    }
    assert_eq!(binaries, declared, "one function per binary of the function crates");

    let stream = &template["Resources"]["NotifyFunction"]["Properties"]["Events"]["Outbox"]["Properties"];
    let pattern: Json =
        serde_json::from_str(stream["FilterCriteria"]["Filters"][0]["Pattern"].as_str().unwrap()).unwrap();
    let key = hubee_shared::store::keys::outbox(uuid::Uuid::nil());
    assert_eq!(pattern["dynamodb"]["Keys"]["SK"]["S"], serde_json::json!([key.sk]), "the filter matches outbox items");
}

/// Each function's `main` builds its state with S3 and SES adapters exactly where its policies
/// grant it S3 and SES actions (`bootstrap::lambda::<Objects, Mailer>`), and `Withheld` where
/// they do not: what the binary links and what IAM allows tell the same story.
#[test]
fn each_function_is_built_with_the_adapters_its_policies_allow() {
    let template = template();
    for (name, resource) in template["Resources"].as_mapping().unwrap() {
        if resource["Type"].as_str() != Some("AWS::Serverless::Function") {
            continue;
        }
        let binary = resource["Metadata"]["BuildProperties"]["Binary"].as_str().unwrap();
        let code = root().join("infra").join(resource["Properties"]["CodeUri"].as_str().unwrap());
        let manifest = std::fs::read_to_string(code.join("Cargo.toml")).unwrap();
        let main = manifest
            .split("[[bin]]")
            .skip(1)
            .find(|bin| bin.contains(&format!("name = \"{binary}\"")))
            .and_then(|bin| bin.lines().find_map(|l| l.trim().strip_prefix("path = ")))
            .unwrap()
            .trim_matches('"');
        let source = std::fs::read_to_string(code.join(main)).unwrap();
        let adapters = source.split("bootstrap::lambda::<").nth(1).and_then(|rest| rest.split_once(">()")).unwrap().0;
        let (objects, mailer) = adapters.split_once(", ").unwrap();

        let mut actions = Vec::new();
        for statement in resource["Properties"]["Policies"][0]["Statement"].as_sequence().unwrap() {
            actions.extend(statement["Action"].as_sequence().unwrap().iter().map(|a| a.as_str().unwrap().to_owned()));
        }
        let granted = |service: &str| actions.iter().any(|a| a.starts_with(service));
        assert_eq!(objects == "S3Objects", granted("s3:"), "{name:?}: {objects} and its S3 rights");
        assert_eq!(mailer == "SesMailer", granted("ses:"), "{name:?}: {mailer} and its SES rights");
        assert!(
            ["S3Objects", "Withheld"].contains(&objects) && ["SesMailer", "Withheld"].contains(&mailer),
            "{adapters}"
        );
    }
}

/// A string of the template, through an intrinsic tag such as `!Sub` if there is one.
fn text(value: &Value) -> &str {
    match value {
        Value::Tagged(tagged) => tagged.value.as_str().unwrap(),
        value => value.as_str().unwrap(),
    }
}

/// CloudFront answers the portal's page addresses with index.html exactly where the local hub
/// does: the function's own code, run by node, against `hubee_local::is_page`.
#[test]
fn cloudfront_rewrites_the_same_page_addresses_as_the_local_hub() {
    let template = template();
    let function = &template["Resources"]["WebPages"]["Properties"];
    assert_eq!(function["FunctionConfig"]["Runtime"].as_str(), Some("cloudfront-js-2.0"));
    let associations = &template["Resources"]["Distribution"]["Properties"]["DistributionConfig"]["DefaultCacheBehavior"]
        ["FunctionAssociations"];
    assert_eq!(associations[0]["EventType"].as_str(), Some("viewer-request"));

    let paths = [
        "/",
        "/connexion",
        "/mot-de-passe-oublie",
        "/activation",
        "/mot-de-passe",
        "/teledossiers",
        "/comptes",
        "/abonnements",
        "/dossiers/8b0e6a1c-1f7e-4c1e-9a55-2f4a3d1b2c3d",
        "/comptes/agent%40mairie.example",
        "/abonnements/42",
        "/dossiers/",
        "/dossiers",
        "/dossiers/a/b",
        "/comptes/x/",
        "/connexion/",
        "/connexionx",
        "/index.html",
        "/favicon.ico",
        "/assets/0123abcd/js/main.js",
        "/dsfr/1.14.4/dsfr.min.css",
        "/teledossiers/v1/notifications",
        "/portail/v1/me",
        "/abonnementsx/1",
    ];
    let code = format!(
        "{}\nconst paths = JSON.parse(process.argv[1]);\n\
         console.log(JSON.stringify(paths.map((uri) => handler({{ request: {{ uri }} }}).uri)));",
        text(&function["FunctionCode"])
    );
    let list = serde_json::to_string(&paths).unwrap();
    let run =
        std::process::Command::new("node").args(["-e", &code, &list]).output().expect("node, as for the web suites");
    assert!(run.status.success(), "{}", String::from_utf8_lossy(&run.stderr));
    let answered: Vec<String> = serde_json::from_slice(&run.stdout).unwrap();
    for (path, answered) in paths.iter().zip(answered) {
        let rewritten = answered != *path;
        assert_eq!(rewritten, hubee_local::is_page(path), "{path} → {answered}");
        if rewritten {
            assert_eq!(answered, "/index.html");
        }
    }
}

/// The portal gets the same Content-Security-Policy from CloudFront as from the local hub, but
/// for connect-src, which lets it reach the objects bucket (presigned downloads and uploads).
#[test]
fn cloudfront_sends_the_local_hubs_content_security_policy_plus_the_objects_bucket() {
    let template = template();
    let policy = &template["Resources"]["WebHeaders"]["Properties"]["ResponseHeadersPolicyConfig"]["SecurityHeadersConfig"]
        ["ContentSecurityPolicy"]["ContentSecurityPolicy"];
    let directives = |policy: &str| -> BTreeSet<String> { policy.split(';').map(|d| d.trim().to_owned()).collect() };
    let mut deployed = directives(text(policy));
    let connect = "connect-src 'self' https://${ObjectsBucket.RegionalDomainName}";
    assert!(deployed.remove(connect), "{deployed:?}");
    assert_eq!(deployed, directives(hubee_local::CONTENT_SECURITY_POLICY));
}

#[test]
fn purge_runs_hourly_and_may_only_delete_binaries() {
    let template = template();
    let purge = &template["Resources"]["PurgeFunction"]["Properties"];
    let schedule = &purge["Events"]["Schedule"];
    assert_eq!(schedule["Type"].as_str(), Some("ScheduleV2"));
    assert_eq!(schedule["Properties"]["ScheduleExpression"].as_str(), Some("cron(30 * * * ? *)"), "hourly");
    assert!(!schedule["Properties"]["DeadLetterConfig"]["Arn"].is_null(), "failed runs are kept");
    let fixture: Json =
        serde_json::from_str(&std::fs::read_to_string(root().join("events/eventbridge-purge-schedule.json")).unwrap())
            .unwrap();
    let input: Json = serde_json::from_str(schedule["Properties"]["Input"].as_str().unwrap()).unwrap();
    assert_eq!(input["detail-type"], fixture["detail-type"], "the schedule's input reads like the fixture");

    let mut actions = BTreeSet::new();
    let mut buckets = BTreeSet::new();
    for statement in purge["Policies"][0]["Statement"].as_sequence().unwrap() {
        for action in statement["Action"].as_sequence().unwrap() {
            let action = action.as_str().unwrap().to_owned();
            if action.starts_with("s3:") {
                for r in statement["Resource"].as_sequence().unwrap() {
                    buckets.insert(serde_norway::to_string(r).unwrap());
                }
            }
            actions.insert(action);
        }
    }
    assert!(!actions.contains("dynamodb:Scan"), "retention reads due markers by Query");
    let s3: Vec<_> = actions.iter().filter(|a| a.starts_with("s3:")).collect();
    assert_eq!(s3, ["s3:DeleteObject"], "purge reads and writes no binary");
    assert!(buckets.iter().all(|r| r.contains("/folders/*") || r.contains("/cases/*")), "binaries only: {buckets:?}");
    let alarm = &template["Resources"]["PurgeErrorsAlarm"]["Properties"];
    assert_eq!(alarm["MetricName"].as_str(), Some("Errors"));
}
