//! The SAM template against the code: every route of the contract (and of its extensions) and of
//! the portal's OpenAPI document is routed to exactly one function, every routed request reaches
//! a handler of that function's router, every binary of the function crates is one function, and
//! the stream trigger wakes `notify` for outbox items only, `purge` runs hourly with leave to
//! delete binaries only, and each function links the S3, SES and Secrets Manager clients its
//! policies allow. And the security controls the template carries: only `auth` reads the token
//! signing key; CloudFront, behind a WAF, is the only way in; alarms can reach their encrypted
//! topic; replaced binaries do not outlive a day; only this stack's schedules post failed runs.

#![allow(clippy::unwrap_used, clippy::expect_used)] // Test code: a failed step is a failed test.

use std::collections::{BTreeMap, BTreeSet};

use axum::body::Body;
use hubee_shared::testkit;
use serde_json::Value as Json;
use serde_norway::Value;
use tower::ServiceExt;

/// Contract routes the hub does not serve, as docs/API.md explains.
const NOT_SERVED: &[(&str, &str)] =
    &[("GET", "/teledossiers/v1/attachmentsIdsForPurge"), ("PUT", "/teledossiers/v1/idsPurged")];

/// Routes the hub adds to the contract (docs/API.md, "Large binaries on AWS").
const EXTENSIONS: &[(&str, &str)] = &[
    ("POST", "/teledossiers/v1/folders/{folderId}/attachments/{attachmentId}/upload-url"),
    ("POST", "/teledossiers/v1/cases/{caseId}/events/{eventId}/attachments/{attachmentId}/upload-url"),
];

fn root() -> std::path::PathBuf {
    std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

pub(crate) fn template() -> Value {
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
    let mut expected =
        BTreeSet::from([("POST".to_owned(), "/token".to_owned()), ("GET".to_owned(), hubee_auth::JWKS.to_owned())]);
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

/// The paths where `POST` with `X-HTTP-Method-Override: PATCH` is a PATCH are the contract's
/// operations that declare the header: POSTs, each on a path that also takes a PATCH.
#[test]
fn the_method_override_is_accepted_where_the_contract_declares_it() {
    let contract = yaml_as_json(root().join("../shared/contract/api_folder_v1.2.7.yaml"));
    let mut declared = BTreeSet::new();
    for (path, item) in contract["paths"].as_object().unwrap() {
        for (method, operation) in item.as_object().unwrap() {
            let Some(parameters) = operation["parameters"].as_array() else { continue };
            if parameters.iter().any(|p| p["name"] == "X-HTTP-Method-Override") {
                assert_eq!(method, "post", "{path}");
                assert!(item.get("patch").is_some(), "{path} takes a PATCH");
                declared.insert(format!("/teledossiers/v1{path}"));
            }
        }
    }
    let accepted: BTreeSet<_> = hubee_shared::http::PATCH_OVERRIDE_PATHS.iter().map(|p| (*p).to_owned()).collect();
    assert_eq!(accepted, declared);
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

/// The Lambda entry points of `shared::bootstrap` and the adapters each builds its state with
/// (`lambda::<Objects, Mailer, TokenKeys>`): S3, SES, the Secrets Manager key reader, or
/// `Withheld`. Checked against bootstrap.rs below, so that it cannot drift from the code.
const ENTRY_POINTS: &[(&str, [&str; 3])] = &[
    ("lambda_bare", ["Withheld", "Withheld", "Withheld"]),
    ("lambda_with_objects", ["S3Objects", "Withheld", "Withheld"]),
    ("lambda_sealing", ["S3Objects", "Withheld", "Withheld"]),
    ("lambda_with_mailer", ["Withheld", "SesMailer", "Withheld"]),
    ("lambda_administering", ["Withheld", "SesMailer", "Withheld"]),
    ("lambda_issuing_tokens", ["Withheld", "SesMailer", "SecretsManagerKey"]),
];

/// `ENTRY_POINTS` is what bootstrap.rs says: every `pub async fn lambda_…()` and the adapters of
/// the `lambda::<…>()` it calls.
#[test]
fn the_entry_points_table_is_what_bootstrap_builds() {
    let source = std::fs::read_to_string(root().join("shared/src/bootstrap.rs")).unwrap();
    let mut found = BTreeMap::new();
    for chunk in source.split("pub async fn ").skip(1) {
        let Some((name, body)) = chunk.split_once("()") else { continue };
        if !name.starts_with("lambda_") {
            continue;
        }
        let body = body.split("\n}").next().unwrap();
        let adapters = body.split("lambda::<").nth(1).and_then(|rest| rest.split_once(">()")).unwrap().0;
        found.insert(name.to_owned(), adapters.split(", ").map(str::to_owned).collect::<Vec<_>>());
    }
    let table: BTreeMap<_, _> = ENTRY_POINTS
        .iter()
        .map(|(name, adapters)| ((*name).to_owned(), adapters.map(str::to_owned).to_vec()))
        .collect();
    assert_eq!(found, table);
}

/// Each function's `main` builds its state with S3 and SES adapters exactly where its policies
/// grant it S3 and SES actions, and the Secrets Manager key reader where they grant it to read a
/// secret (through the `bootstrap` entry point it calls, see `ENTRY_POINTS`), and `Withheld`
/// where they do not: what the binary links and what IAM allows tell the same story.
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
        assert!(!source.contains("adapters::"), "{name:?}: the main picks an entry point, not adapters");
        assert_eq!(source.matches("bootstrap::lambda").count(), 1, "{name:?}: one entry point");
        let entry = source.split("bootstrap::lambda").nth(1).and_then(|rest| rest.split_once("()")).unwrap().0;
        let entry = format!("lambda{entry}");
        let [objects, mailer, keys] = ENTRY_POINTS
            .iter()
            .find(|(e, _)| *e == entry.as_str())
            .unwrap_or_else(|| panic!("{name:?} calls bootstrap::{entry}, not an entry point of ENTRY_POINTS"))
            .1;

        let mut actions = Vec::new();
        for statement in resource["Properties"]["Policies"][0]["Statement"].as_sequence().unwrap() {
            actions.extend(statement["Action"].as_sequence().unwrap().iter().map(|a| a.as_str().unwrap().to_owned()));
        }
        let granted = |service: &str| actions.iter().any(|a| a.starts_with(service));
        assert_eq!(objects == "S3Objects", granted("s3:"), "{name:?}: {objects} and its S3 rights");
        assert_eq!(mailer == "SesMailer", granted("ses:"), "{name:?}: {mailer} and its SES rights");
        assert_eq!(keys == "SecretsManagerKey", granted("secretsmanager:"), "{name:?}: {keys} and its rights");
        assert!(
            ["S3Objects", "Withheld"].contains(&objects)
                && ["SesMailer", "Withheld"].contains(&mailer)
                && ["SecretsManagerKey", "Withheld"].contains(&keys),
            "{entry}: {objects}, {mailer}, {keys}"
        );
    }
}

/// A string of the template, through an intrinsic tag such as `!Sub` if there is one.
pub(crate) fn text(value: &Value) -> &str {
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
        "/national",
        "/national/organisations",
        "/national/organisations/nouvelle",
        "/national/organisations/11001401600015/75108",
        "/national/organisations/11001401600015/",
        "/national/organisations//75108",
        "/national/organisations/a/b/c",
        "/national/demarches",
        "/national/demarches/CERTDC",
        "/national/demarches/CERTDC/x",
        "/national/nouvelle-demarche",
        "/national/clients-api",
        "/national/clients-api/nouveau",
        "/national/journal",
        "/national/journal/x",
        "/national/",
        "/national/abonnements",
        "/national/abonnements/11001401600015/75108/CERTDC",
        "/national/abonnements/11001401600015/75108",
        "/national/abonnements/11001401600015/75108/",
        "/national/abonnements/11001401600015//CERTDC",
        "/national/abonnements/a/b/c/d",
        "/national/support",
        "/national/support/agent%40mairie.example",
        "/national/support/a/b",
        "/national/envois-en-echec",
        "/national/fusions",
        "/national/fusions/x",
    ];
    let code = format!(
        "{}\nconst paths = JSON.parse(process.argv[1]);\n\
         console.log(JSON.stringify(paths.map((uri) => handler({{ request: {{ uri }} }}).uri)));",
        text(&function["FunctionCode"])
    );
    let list = serde_json::to_string(&paths[..]).unwrap();
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
    let Value::Tagged(choice) = policy else { panic!("the policy depends on ProConnect: {policy:?}") };
    let [condition, with_proconnect, without] = choice.value.as_sequence().unwrap().as_slice() else {
        panic!("!If [condition, then, else]")
    };
    assert_eq!(condition.as_str(), Some("HasProConnect"));
    let connect = "connect-src 'self' https://${ObjectsBucket.RegionalDomainName}";
    let mut deployed = directives(text(without));
    assert!(deployed.remove(connect), "{deployed:?}");
    assert_eq!(deployed, directives(hubee_local::CONTENT_SECURITY_POLICY));
    // With ProConnect, the local hub's policy for its issuer: the sign-in form may lead there.
    let Value::Tagged(sub) = with_proconnect else { panic!("!Sub [text, variables]") };
    let mut deployed = directives(sub.value[0].as_str().unwrap());
    assert!(deployed.remove(connect), "{deployed:?}");
    assert_eq!(deployed, directives(&hubee_local::content_security_policy(Some("https://${ProConnectHost}"))));
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
    let mut objects = BTreeSet::new();
    let mut on_anchors = BTreeSet::new();
    for statement in purge["Policies"][0]["Statement"].as_sequence().unwrap() {
        let resources = serde_norway::to_string(&statement["Resource"]).unwrap();
        if resources.contains("-audit-") {
            // The audit journal's anchors: written and read back, never deleted.
            on_anchors
                .extend(statement["Action"].as_sequence().unwrap().iter().map(|a| a.as_str().unwrap().to_owned()));
            continue;
        }
        for action in statement["Action"].as_sequence().unwrap() {
            let action = action.as_str().unwrap().to_owned();
            if action.starts_with("s3:Delete") {
                for r in statement["Resource"].as_sequence().unwrap() {
                    objects.insert(serde_norway::to_string(r).unwrap());
                }
            }
            if action == "s3:ListBucketVersions" {
                let prefixes = &statement["Condition"]["StringLike"]["s3:prefix"];
                assert_eq!(prefixes, &serde_norway::from_str::<Value>("[folders/*, cases/*]").unwrap());
            }
            actions.insert(action);
        }
    }
    assert!(!actions.contains("dynamodb:Scan"), "retention reads due markers by Query");
    let s3: Vec<_> = actions.iter().filter(|a| a.starts_with("s3:")).collect();
    assert_eq!(
        s3,
        ["s3:DeleteObject", "s3:DeleteObjectVersion", "s3:ListBucketVersions"],
        "purge reads and writes no binary; it deletes them with their versions"
    );
    assert!(objects.iter().all(|r| r.contains("/folders/*") || r.contains("/cases/*")), "binaries only: {objects:?}");
    assert_eq!(
        on_anchors.iter().map(String::as_str).collect::<Vec<_>>(),
        ["s3:GetObject", "s3:ListBucket", "s3:PutObject", "s3:PutObjectRetention"],
        "purge seals anchors and reads them back, never deletes one"
    );
    let bucket = &template["Resources"]["AuditAnchorsBucket"];
    assert_eq!(bucket["DeletionPolicy"].as_str(), Some("Retain"));
    let lock = &bucket["Properties"]["ObjectLockConfiguration"];
    assert_eq!(bucket["Properties"]["ObjectLockEnabled"].as_bool(), Some(true));
    assert_eq!(lock["Rule"]["DefaultRetention"]["Mode"].as_str(), Some("COMPLIANCE"), "nobody may shorten the lock");
    assert_eq!(lock["Rule"]["DefaultRetention"]["Years"].as_u64(), Some(5));
    let variables = &purge["Environment"]["Variables"];
    assert_eq!(text(&variables["HUBEE_AUDIT_BUCKET"]), "AuditAnchorsBucket", "{variables:?}");
    let alarm = &template["Resources"]["PurgeErrorsAlarm"]["Properties"];
    assert_eq!(alarm["MetricName"].as_str(), Some("Errors"));
}

#[test]
fn guardduty_scans_every_binary_and_its_verdicts_reach_the_function_that_records_them() {
    let template = template();
    let resources = &template["Resources"];
    let plan = &resources["BinariesMalwareProtection"];
    assert_eq!(plan["Type"].as_str(), Some("AWS::GuardDuty::MalwareProtectionPlan"));
    let bucket = &plan["Properties"]["ProtectedResource"]["S3Bucket"];
    assert_eq!(text(&bucket["BucketName"]), "ObjectsBucket");
    assert_eq!(
        bucket["ObjectPrefixes"],
        serde_norway::from_str::<Value>("[folders/, cases/]").unwrap(),
        "every binary"
    );
    assert_eq!(
        plan["Properties"]["Actions"]["Tagging"]["Status"].as_str(),
        Some("ENABLED"),
        "the bucket policy reads the tag"
    );
    let role = &resources["MalwareProtectionRole"]["Properties"];
    let trusted = &role["AssumeRolePolicyDocument"]["Statement"][0]["Principal"]["Service"];
    assert_eq!(trusted.as_str(), Some("malware-protection-plan.guardduty.amazonaws.com"));
    let notifications = &resources["ObjectsBucket"]["Properties"]["NotificationConfiguration"];
    assert_eq!(notifications["EventBridgeConfiguration"]["EventBridgeEnabled"].as_bool(), Some(true));

    // The scan results go to the function that records them, as the fixture reads.
    let fixture: Json =
        serde_json::from_str(&std::fs::read_to_string(root().join("events/guardduty-scan-result.json")).unwrap())
            .unwrap();
    let uploaded = &resources["AttachmentsUploadedFunction"]["Properties"];
    let rule = &uploaded["Events"]["ScanResults"];
    assert_eq!(rule["Type"].as_str(), Some("EventBridgeRule"));
    let pattern = &rule["Properties"]["Pattern"];
    assert_eq!(pattern["source"][0].as_str(), fixture["source"].as_str());
    assert_eq!(pattern["detail-type"][0].as_str(), fixture["detail-type"].as_str());
    assert_eq!(text(&pattern["detail"]["s3ObjectDetails"]["bucketName"][0]), "ObjectsBucket");
    assert!(
        !uploaded["EventInvokeConfig"]["DestinationConfig"]["OnFailure"].is_null(),
        "an undelivered verdict is kept"
    );
    let variables = &template["Globals"]["Function"]["Environment"]["Variables"];
    assert_eq!(variables["HUBEE_ANTIVIRUS"].as_str(), Some("guardduty"), "every function knows verdicts come later");

    // Nothing unscanned is read from the bucket but by GuardDuty and the recording function.
    let statements =
        resources["ObjectsBucketPolicy"]["Properties"]["PolicyDocument"]["Statement"].as_sequence().unwrap();
    let deny = statements.iter().find(|s| s["Sid"].as_str() == Some("ServeScannedBinariesOnly")).unwrap();
    assert_eq!(deny["Effect"].as_str(), Some("Deny"));
    assert_eq!(
        deny["Condition"]["StringNotEquals"]["s3:ExistingObjectTag/GuardDutyMalwareScanStatus"].as_str(),
        Some("NO_THREATS_FOUND")
    );
    let exempt = serde_norway::to_string(&deny["Condition"]["ArnNotEquals"]).unwrap();
    assert!(exempt.contains("MalwareProtectionRole") && exempt.contains("AttachmentsUploadedFunctionRole"), "{exempt}");
    assert_eq!(exempt.matches(".Arn").count(), 2, "no one else: {exempt}");

    // Verdicts that cannot be given, or do not come, raise an alarm.
    let alarm = &resources["AntivirusDownAlarm"]["Properties"];
    for filter in ["AntivirusUnjudgedMetric", "AntivirusOverdueMetric"] {
        let metric = &resources[filter]["Properties"]["MetricTransformations"][0];
        assert_eq!(text(&metric["MetricName"]), text(&alarm["MetricName"]), "{filter}");
    }
}

/// Every function resource of the template, by name.
fn functions(template: &Value) -> Vec<(String, &Value)> {
    let resources = template["Resources"].as_mapping().unwrap();
    resources
        .iter()
        .filter(|(_, r)| r["Type"].as_str() == Some("AWS::Serverless::Function"))
        .map(|(name, r)| (name.as_str().unwrap().to_owned(), r))
        .collect()
}

/// The statements of a function's inline policy.
fn statements(function: &Value) -> &Vec<Value> {
    function["Properties"]["Policies"][0]["Statement"].as_sequence().unwrap()
}

fn actions(statement: &Value) -> Vec<&str> {
    statement["Action"].as_sequence().unwrap().iter().map(|a| a.as_str().unwrap()).collect()
}

/// Finding 2: API tokens are signed with a private key that only `auth` reads, from Secrets
/// Manager at cold start; every function's environment holds the public keys, and no value
/// resolved from a secret but the key's public id and CloudFront's origin proof (which grants
/// nothing: see the next test).
#[test]
fn only_the_auth_function_reads_the_token_signing_key_and_no_environment_holds_one() {
    let template = template();
    let globals = &template["Globals"]["Function"]["Environment"]["Variables"];
    assert_eq!(text(&globals["HUBEE_TOKEN_PUBLIC_KEYS"]), "{{resolve:ssm:/hubee/${Stage}/token-public-keys}}");
    let mut environments = vec![("Globals".to_owned(), globals)];
    for (name, function) in functions(&template) {
        environments.push((name, &function["Properties"]["Environment"]["Variables"]));
    }
    for (name, variables) in environments {
        let Some(variables) = variables.as_mapping() else { continue };
        for (variable, value) in variables {
            let value = serde_norway::to_string(value).unwrap();
            let resolved = value.split("{{resolve:secretsmanager:").skip(1);
            for reference in resolved {
                let reference = reference.split("}}").next().unwrap();
                assert!(
                    reference.ends_with(":SecretString:kid") || reference.starts_with("${OriginVerifySecret}:"),
                    "{name}: {variable:?} resolves a secret into the environment: {value}"
                );
            }
        }
    }
    let secrets: Vec<_> = template["Resources"]
        .as_mapping()
        .unwrap()
        .iter()
        .filter(|(_, r)| r["Type"].as_str() == Some("AWS::SecretsManager::Secret"))
        .map(|(name, _)| name.as_str().unwrap())
        .collect();
    assert_eq!(secrets, ["OriginVerifySecret"], "no shared signing secret is generated into the stack");

    let mut readers = Vec::new();
    for (name, function) in functions(&template) {
        for statement in statements(function) {
            if actions(statement).iter().any(|a| a.starts_with("secretsmanager:")) {
                assert_eq!(actions(statement), ["secretsmanager:GetSecretValue"]);
                let resource = text(&statement["Resource"]);
                assert!(
                    resource.ends_with(":secret:hubee-${Stage}-token-signing-key-??????")
                        || resource.ends_with(":secret:hubee-${Stage}-proconnect-client-secret-??????"),
                    "{resource}"
                );
                if !readers.contains(&name) {
                    readers.push(name.clone());
                }
            }
        }
    }
    assert_eq!(readers, ["AuthFunction"], "only the token-issuing function reads the key");
    let auth = &template["Resources"]["AuthFunction"]["Properties"]["Environment"]["Variables"];
    assert_eq!(
        text(&auth["HUBEE_TOKEN_SIGNING_SECRET"]),
        "hubee-${Stage}-token-signing-key",
        "its name, not its value"
    );

    let behaviours = &template["Resources"]["Distribution"]["Properties"]["DistributionConfig"]["CacheBehaviors"];
    let well_known =
        behaviours.as_sequence().unwrap().iter().find(|b| b["PathPattern"].as_str() == Some("/.well-known/*"));
    assert_eq!(well_known.unwrap()["TargetOriginId"].as_str(), Some("api"), "the JWK set is served by the API");
}

/// Finding 3: CloudFront is the only way in (the execute-api endpoint is off, CloudFront's
/// origin is the API's own domain), its WAF web ACL (infra/edge.yaml, in us-east-1) rate-limits
/// every route of `auth` that hashes a password or secret and applies AWS's common rule set, and
/// `auth` runs on reserved concurrency.
#[test]
fn cloudfront_behind_a_rate_limiting_waf_is_the_only_way_in() {
    let template = template();
    let api = &template["Resources"]["HttpApi"]["Properties"];
    assert_eq!(api["DisableExecuteApiEndpoint"].as_bool(), Some(true), "no execute-api endpoint");
    let config = &template["Resources"]["Distribution"]["Properties"]["DistributionConfig"];
    assert_eq!(text(&config["WebACLId"]), "WebAclArn", "the distribution is associated with the web ACL");
    let arn = template["Parameters"]["WebAclArn"]["AllowedPattern"].as_str().unwrap();
    assert!(arn.contains(":wafv2:us-east-1:") && arn.contains(":global/webacl/"), "a CloudFront-scoped ACL: {arn}");
    let origin = config["Origins"].as_sequence().unwrap().iter().find(|o| o["Id"].as_str() == Some("api")).unwrap();
    assert_eq!(text(&origin["DomainName"]), "ApiOriginDomain");
    assert_eq!(text(&template["Resources"]["ApiOriginMapping"]["Properties"]["ApiId"]), "HttpApi");
    // That domain answers anyone: CloudFront proves the path with a secret header, which every
    // function requires (`HUBEE_ORIGIN_VERIFY`, checked in `http::finish`).
    let proof = origin["OriginCustomHeaders"].as_sequence().unwrap();
    assert_eq!(proof.len(), 1);
    assert!(proof[0]["HeaderName"].as_str().unwrap().eq_ignore_ascii_case(hubee_shared::config::ORIGIN_VERIFY_HEADER));
    let current = "{{resolve:secretsmanager:${OriginVerifySecret}:SecretString:current}}";
    assert_eq!(text(&proof[0]["HeaderValue"]), current);
    let globals = &template["Globals"]["Function"]["Environment"]["Variables"];
    assert_eq!(text(&globals["HUBEE_ORIGIN_VERIFY"]), current);
    assert_eq!(
        text(&globals["HUBEE_ORIGIN_VERIFY_PREVIOUS"]),
        "{{resolve:secretsmanager:${OriginVerifySecret}:SecretString:previous}}"
    );

    let edge: Value =
        serde_norway::from_str(&std::fs::read_to_string(root().join("infra/edge.yaml")).unwrap()).unwrap();
    let acl = &edge["Resources"]["WebAcl"]["Properties"];
    assert_eq!(acl["Scope"].as_str(), Some("CLOUDFRONT"));
    let mut limited = Vec::new();
    let mut common = false;
    for rule in acl["Rules"].as_sequence().unwrap() {
        let statement = &rule["Statement"];
        if let Some(rate) = statement.get("RateBasedStatement") {
            assert_eq!(rate["AggregateKeyType"].as_str(), Some("IP"));
            assert!(rule["Action"].get("Block").is_some(), "{rule:?}");
            let matched = &rate["ScopeDownStatement"]["ByteMatchStatement"];
            assert_eq!(matched["PositionalConstraint"].as_str(), Some("STARTS_WITH"));
            limited.push(matched["SearchString"].as_str().unwrap().to_owned());
        }
        if let Some(group) = statement.get("ManagedRuleGroupStatement") {
            common |= group["VendorName"].as_str() == Some("AWS")
                && group["Name"].as_str() == Some("AWSManagedRulesCommonRuleSet")
                && rule["OverrideAction"].get("None").is_some();
        }
    }
    assert!(common, "AWS's common rule set applies");
    // Every sign-in, password and token route of auth (each hashes with argon2) is rate-limited.
    let auth = &template["Resources"]["AuthFunction"]["Properties"];
    for event in auth["Events"].as_mapping().unwrap().values() {
        let (method, path) =
            (event["Properties"]["Method"].as_str().unwrap(), event["Properties"]["Path"].as_str().unwrap());
        let hashes = method == "POST" && (path == "/token" || path.contains("/session") || path.contains("/password"));
        if hashes {
            assert!(limited.iter().any(|prefix| path.starts_with(prefix.as_str())), "{method} {path} is rate-limited");
        }
    }
    assert!(limited.len() >= 3, "{limited:?}");
    let reserved = auth["ReservedConcurrentExecutions"].as_u64().expect("auth runs on reserved concurrency");
    assert!((1..=50).contains(&reserved), "{reserved}");
}

/// Finding 5: the alarm topic is encrypted with a key whose policy lets CloudWatch use it (the
/// AWS-managed SNS key's cannot), and its policy lets this account's alarms publish.
#[test]
fn alarms_reach_their_topic_through_a_key_cloudwatch_may_use() {
    let template = template();
    let resources = &template["Resources"];
    let key = text(&resources["AlarmTopic"]["Properties"]["KmsMasterKeyId"]);
    assert!(!key.contains("alias/aws/sns"), "the AWS-managed key's policy cannot admit CloudWatch");
    let key = &resources[key];
    assert_eq!(key["Type"].as_str(), Some("AWS::KMS::Key"));
    let allowed = key["Properties"]["KeyPolicy"]["Statement"].as_sequence().unwrap().iter().any(|s| {
        s["Effect"].as_str() == Some("Allow")
            && s["Principal"]["Service"].as_str() == Some("cloudwatch.amazonaws.com")
            && actions(s).contains(&"kms:Decrypt")
            && actions(s).contains(&"kms:GenerateDataKey*")
    });
    assert!(allowed, "CloudWatch may encrypt the alarms it publishes");
    let topic_policy = &resources["AlarmTopicPolicy"]["Properties"]["PolicyDocument"]["Statement"][0];
    assert_eq!(topic_policy["Principal"]["Service"].as_str(), Some("cloudwatch.amazonaws.com"));
    assert!(topic_policy["Condition"]["StringEquals"].get("aws:SourceAccount").is_some());
    for (name, resource) in resources.as_mapping().unwrap() {
        if resource["Type"].as_str() == Some("AWS::CloudWatch::Alarm") {
            let actions = &resource["Properties"]["AlarmActions"];
            assert_eq!(text(&actions[0]), "AlarmTopic", "{name:?}");
        }
    }
}

/// Finding 11: a replaced, refused or deleted binary is kept as a noncurrent version one day at
/// most (it was 35), and every function that deletes binaries may delete their versions, which
/// `S3Objects::delete` does.
#[test]
fn noncurrent_binaries_expire_after_a_day_and_deleters_may_delete_versions() {
    let template = template();
    let rules = &template["Resources"]["ObjectsBucket"]["Properties"]["LifecycleConfiguration"]["Rules"];
    for prefix in ["folders/", "cases/"] {
        let covering: Vec<_> = rules
            .as_sequence()
            .unwrap()
            .iter()
            .filter(|r| r.get("NoncurrentVersionExpiration").is_some())
            .filter(|r| r["Prefix"].as_str().is_none_or(|p| prefix.starts_with(p)))
            .collect();
        assert!(!covering.is_empty(), "a rule expires {prefix}'s noncurrent versions");
        for rule in covering {
            assert_eq!(rule["NoncurrentVersionExpiration"]["NoncurrentDays"].as_u64(), Some(1), "{prefix}: {rule:?}");
        }
    }
    for (name, function) in functions(&template) {
        let all: Vec<&str> = statements(function).iter().flat_map(actions).collect();
        if all.contains(&"s3:DeleteObject") {
            assert!(
                all.contains(&"s3:DeleteObjectVersion") && all.contains(&"s3:ListBucketVersions"),
                "{name}: {all:?}"
            );
        }
    }
}

/// Finding 14: the scheduler may post failed runs into the failed-events queue for this
/// account's schedules of this stack only, each named in the policy.
#[test]
fn only_this_stacks_schedules_may_post_into_the_failed_events_queue() {
    let template = template();
    let mut schedules = BTreeSet::new();
    for (_, function) in functions(&template) {
        let Some(events) = function["Properties"]["Events"].as_mapping() else { continue };
        for event in events.values().filter(|e| e["Type"].as_str() == Some("ScheduleV2")) {
            assert_eq!(text(&event["Properties"]["DeadLetterConfig"]["Arn"]), "FailedEvents.Arn");
            let name = text(&event["Properties"]["Name"]).to_owned();
            schedules.insert(format!(
                "arn:${{AWS::Partition}}:scheduler:${{AWS::Region}}:${{AWS::AccountId}}:schedule/default/{name}"
            ));
        }
    }
    assert_eq!(schedules.len(), 2, "notify's and purge's");
    let policy = &template["Resources"]["FailedEventsPolicy"]["Properties"]["PolicyDocument"]["Statement"];
    for statement in policy.as_sequence().unwrap() {
        assert_eq!(statement["Principal"]["Service"].as_str(), Some("scheduler.amazonaws.com"));
        let condition = &statement["Condition"];
        assert_eq!(text(&condition["StringEquals"]["aws:SourceAccount"]), "AWS::AccountId");
        let arns: BTreeSet<String> = condition["ArnEquals"]["aws:SourceArn"]
            .as_sequence()
            .expect("the schedules are named")
            .iter()
            .map(|a| text(a).to_owned())
            .collect();
        assert_eq!(arns, schedules);
    }
}
