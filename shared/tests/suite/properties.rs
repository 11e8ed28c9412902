//! Properties of everything that parses untrusted input (issue 13, fuzzing): the folder, event,
//! subscription and bulk bodies, the query strings, the `Content-Disposition` encoder, zip entry
//! names and the presigned URLs of the filesystem store. Each runs a few dozen generated cases
//! by default; `PROPTEST_CASES=N` runs N of each (docs/FUZZING.md).

#![allow(clippy::unwrap_used, clippy::expect_used)] // Test code: a failed step is a failed test.

use std::{
    cell::RefCell,
    collections::{HashMap, HashSet},
    fmt::Debug,
    sync::Arc,
    time::Duration,
};

use axum::{extract::FromRequestParts, response::IntoResponse};
use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use hubee_shared::{
    adapters::{ManualClock, embedded::FsObjects},
    auth::Claims,
    domain::{Scope, format_time, parse_time},
    http::{ApiError, QueryParams, content_disposition},
    ports::{ObjectKey, ObjectStore, PresignMethod, PutCheck},
    seed::Provisioning,
    services::{
        ExchangeError,
        accounts::AccountFilters,
        archive::{self, ArchiveEntry, MANIFEST},
        events, folders, portal_cases, subscriptions,
    },
    state::AppState,
    testkit,
};
use percent_encoding::percent_decode_str;
use proptest::{
    collection::vec,
    option,
    prelude::*,
    sample::{Index, select},
    test_runner::{Config, TestCaseResult, TestRunner},
};
use serde_json::{Map, Value, json};
use uuid::Uuid;

// ---------------------------------------------------------------------------------------------
// Running properties
// ---------------------------------------------------------------------------------------------

/// `default_cases` generated cases, or `PROPTEST_CASES` when set; a failure prints the smallest
/// failing input found, to be kept as a regular unit test once fixed.
fn check<S>(default_cases: u32, strategy: S, test: impl Fn(S::Value) -> TestCaseResult)
where
    S: Strategy,
    S::Value: Debug,
{
    let cases = std::env::var("PROPTEST_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(default_cases);
    let mut runner = TestRunner::new(Config { cases, failure_persistence: None, ..Config::default() });
    if let Err(e) = runner.run(&strategy, test) {
        panic!("{e}");
    }
}

/// A hub on embedded storage with the testkit's referential (operator `fixture-osl` running
/// CERTDC, Mairie A subscribed), plus Mairie B, not subscribed yet.
struct Bed {
    _dir: tempfile::TempDir,
    state: AppState,
    rt: tokio::runtime::Runtime,
}

const MAIRIE_B: (&str, &str) = ("21000005908301", "69123");

impl Bed {
    fn new() -> Self {
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        let dir = tempfile::tempdir().unwrap();
        let state = testkit::state(dir.path());
        rt.block_on(async {
            testkit::provision(&state).await;
            let seed = json!({"organisations": [
                {"siret": MAIRIE_B.0, "branchCode": MAIRIE_B.1, "name": "Mairie B", "type": "SI"}
            ]});
            Provisioning::parse(&seed.to_string()).unwrap().load(&state.store).await.unwrap();
        });
        Self { _dir: dir, state, rt }
    }

    fn operator(&self) -> Claims {
        testkit::claims(&self.state, "fixture-osl")
    }

    fn platform(&self) -> Claims {
        Claims { scope: Scope::Admin, ..self.operator() }
    }
}

// ---------------------------------------------------------------------------------------------
// Generators
// ---------------------------------------------------------------------------------------------

/// Any text of at most `max` characters, control characters and every plane included.
fn text(max: usize) -> impl Strategy<Value = String> {
    vec(any::<char>(), 0..=max).prop_map(String::from_iter)
}

/// Text of 1 to `max` characters that is not blank (what a required string field takes).
fn filled(max: usize) -> impl Strategy<Value = String> {
    (any::<char>().prop_filter("not blank", |c| !c.is_whitespace()), text(max - 1))
        .prop_map(|(first, rest)| format!("{first}{rest}"))
}

/// Words the validators know, so that mutated bodies reach past the first check.
const WORDS: &[&str] = &[
    "",
    " ",
    "SI",
    "OSL",
    "CERTDC",
    "EtatCivil",
    "11001401600015",
    "75108",
    "21000005908301",
    "69123",
    "STATUS_UPDATE",
    "ATTACH_DEPOSIT",
    "COM_ADD",
    "SENDING_MESSAGE",
    "HUBEE_COMPLETED",
    "HUBEE_CLOSED",
    "SI_RECEIVED",
    "IN_PROGRESS",
    "DONE",
    "application/pdf",
    "unitaire",
    "API",
    "PORTAIL",
    "Actif",
    "Inactif",
    "2026-03-02T08:00:00Z",
    "2026-03-02",
    "agent@mairie-b.fr",
    "0123456789",
    "00000000-0000-4000-8000-000000000001",
];

/// Keys the bodies use, and a few more.
const KEYS: &[&str] = &[
    "externalId",
    "processCode",
    "applicant",
    "firstName",
    "lastName",
    "email",
    "cases",
    "recipient",
    "type",
    "companyRegister",
    "branchCode",
    "partnerAttributes",
    "attachments",
    "fileName",
    "size",
    "mimeType",
    "recipients",
    "actionType",
    "notification",
    "message",
    "comment",
    "author",
    "caseCurrentStatus",
    "caseNewStatus",
    "globalStatus",
    "datapassId",
    "subscriber",
    "notificationFrequency",
    "accessMode",
    "localAdministrator",
    "delegationActor",
    "status",
    "caseIds",
    "id",
    "__proto__",
];

fn key() -> impl Strategy<Value = String> {
    prop_oneof![select(KEYS).prop_map(str::to_owned), text(12)]
}

/// String lengths around the validators' limits (14, 15, 30, 100, 255, 320, 1000, 1024).
const LIMITS: &[usize] =
    &[0, 1, 13, 14, 15, 16, 29, 30, 31, 99, 100, 101, 254, 255, 256, 320, 321, 1000, 1001, 1024, 1025];

fn leaf() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        any::<f64>().prop_filter_map("a JSON number", serde_json::Number::from_f64).prop_map(Value::Number),
        text(24).prop_map(Value::String),
        (select(LIMITS), any::<char>()).prop_map(|(n, c)| Value::String(std::iter::repeat_n(c, n).collect())),
        select(WORDS).prop_map(|w| Value::String(w.to_owned())),
    ]
}

/// Any JSON value, a few levels deep.
fn json_value() -> impl Strategy<Value = Value> {
    leaf().prop_recursive(3, 24, 5, |inner| {
        prop_oneof![
            vec(inner.clone(), 0..5).prop_map(Value::Array),
            vec((key(), inner), 0..5).prop_map(|kv| Value::Object(kv.into_iter().collect::<Map<_, _>>())),
        ]
    })
}

/// One change to a JSON document, at a node picked by `Index`.
#[derive(Clone, Debug)]
enum Mutation {
    Replace(Index, Value),
    Remove(Index),
    Insert(Index, String, Value),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        (any::<Index>(), json_value()).prop_map(|(i, v)| Mutation::Replace(i, v)),
        any::<Index>().prop_map(Mutation::Remove),
        (any::<Index>(), key(), json_value()).prop_map(|(i, k, v)| Mutation::Insert(i, k, v)),
    ]
}

/// The JSON pointer of every node of `v`, the root (`""`) first.
fn pointers(v: &Value, at: &str, out: &mut Vec<String>) {
    out.push(at.to_owned());
    match v {
        Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                pointers(item, &format!("{at}/{i}"), out);
            }
        }
        Value::Object(fields) => {
            for (k, item) in fields {
                pointers(item, &format!("{at}/{}", k.replace('~', "~0").replace('/', "~1")), out);
            }
        }
        _ => {}
    }
}

fn mutate(mut v: Value, mutations: &[Mutation]) -> Value {
    for m in mutations {
        let mut all: Vec<String> = Vec::new();
        pointers(&v, "", &mut all);
        match m {
            Mutation::Replace(i, new) => *v.pointer_mut(i.get(&all[..]).as_str()).unwrap() = new.clone(),
            Mutation::Remove(i) => {
                let Some((parent, last)) = i.get(&all[..]).rsplit_once('/') else { continue };
                let last = last.replace("~1", "/").replace("~0", "~");
                match v.pointer_mut(parent).unwrap() {
                    Value::Object(fields) => {
                        fields.remove(&last);
                    }
                    Value::Array(items) => {
                        items.remove(last.parse::<usize>().unwrap());
                    }
                    _ => {}
                }
            }
            Mutation::Insert(i, k, new) => match v.pointer_mut(i.get(&all[..]).as_str()).unwrap() {
                Value::Object(fields) => {
                    fields.insert(k.clone(), new.clone());
                }
                Value::Array(items) => items.push(new.clone()),
                _ => {}
            },
        }
    }
    v
}

/// A valid body changed in up to three places, or any JSON value at all.
fn tampered(valid: impl Strategy<Value = Value>) -> impl Strategy<Value = Value> {
    prop_oneof![
        4 => (valid, vec(mutation(), 0..4)).prop_map(|(v, m)| mutate(v, &m)),
        1 => json_value(),
    ]
}

/// A folder for Mairie A that the hub accepts.
#[derive(Clone, Debug)]
struct FolderBody {
    external_id: String,
    first_name: String,
    last_name: String,
    email: Option<String>,
    case_id: String,
    partner_attributes: Option<String>,
    /// File name, type, size.
    files: Vec<(String, String, u64)>,
}

impl FolderBody {
    fn json(&self) -> Value {
        let mut case = json!({"externalId": self.case_id,
            "recipient": {"type": "SI", "companyRegister": "11001401600015", "branchCode": "75108"}});
        if let Some(p) = &self.partner_attributes {
            case["partnerAttributes"] = json!(p);
        }
        let mut applicant = json!({"firstName": self.first_name, "lastName": self.last_name});
        if let Some(e) = &self.email {
            applicant["email"] = json!(e);
        }
        json!({
            "externalId": self.external_id, "processCode": "CERTDC", "applicant": applicant, "cases": [case],
            "attachments": self.files.iter().map(|(name, kind, size)| json!({
                "fileName": name, "type": kind, "size": size, "mimeType": "application/pdf",
                "recipients": [self.case_id],
            })).collect::<Vec<_>>(),
        })
    }
}

fn folder_body() -> impl Strategy<Value = FolderBody> {
    (
        filled(30),
        (filled(255), filled(255), option::of(text(320))),
        (filled(100), option::of(text(1024))),
        vec((filled(255), filled(100), 0..=5_000_000u64), 1..=3),
    )
        .prop_map(|(external_id, (first_name, last_name, email), (case_id, partner_attributes), files)| {
            FolderBody { external_id, first_name, last_name, email, case_id, partner_attributes, files }
        })
}

/// An `ATTACH_DEPOSIT` event the hub accepts: message, comment, author and files.
fn deposit_event() -> impl Strategy<Value = Value> {
    (
        option::of(text(1000)),
        option::of(text(1000)),
        option::of(text(255)),
        vec((filled(255), filled(100), 0..=5_000_000u64), 1..=2),
    )
        .prop_map(|(message, comment, author, files)| {
            json!({"actionType": "ATTACH_DEPOSIT", "notification": true, "message": message, "comment": comment,
                "author": author, "attachments": files.iter().map(|(name, kind, size)| json!({
                    "fileName": name, "type": kind, "size": size, "mimeType": "application/pdf"})).collect::<Vec<_>>()})
        })
}

fn subscription_body() -> impl Strategy<Value = Value> {
    (any::<u32>(), select(&["unitaire", "quotidien", "aucune"][..]), filled(255), filled(255)).prop_map(
        |(datapass, frequency, first, last)| {
            json!({"datapassId": datapass, "processCode": "CERTDC",
                "subscriber": {"type": "SI", "companyRegister": MAIRIE_B.0, "branchCode": MAIRIE_B.1},
                "notificationFrequency": frequency, "accessMode": "PORTAIL",
                "localAdministrator": {"email": "admin@mairie-b.fr", "firstName": first, "lastName": last,
                    "phoneNumber": "0123456789"}})
        },
    )
}

/// Query parameters: the names a route takes, `[]` variants and others; values of every kind.
fn query_pairs(names: &'static [&'static str]) -> impl Strategy<Value = Vec<(String, String)>> {
    let name = prop_oneof![
        3 => select(names).prop_map(str::to_owned),
        1 => select(names).prop_map(|n| format!("{n}[]")),
        1 => text(8),
    ];
    let value = prop_oneof![
        select(WORDS).prop_map(str::to_owned),
        text(24),
        any::<i64>().prop_map(|n| n.to_string()),
        any::<f64>().prop_map(|n| n.to_string()),
        select(&["asc(status)", "desc(email)", "ASC( id )", "desc(nope)", "asc(", "desc()", "true", "FALSE"][..])
            .prop_map(str::to_owned),
    ];
    vec((name, value), 0..6)
}

/// Every validation problem names the request line and where in the request it is.
fn well_formed(problems: &[String], prefix: &str) -> TestCaseResult {
    prop_assert!(!problems.is_empty(), "an invalid request names its problems");
    for p in problems {
        prop_assert!(p.starts_with(prefix), "{p:?} does not start with {prefix:?}");
    }
    Ok(())
}

/// The error as a client would get it: rendering it must not fail either.
fn rendered(e: impl Into<ApiError>) -> u16 {
    e.into().into_response().status().as_u16()
}

// ---------------------------------------------------------------------------------------------
// Bodies
// ---------------------------------------------------------------------------------------------

#[test]
fn any_folder_body_is_created_or_refused_with_its_problems() {
    let bed = Bed::new();
    let op = bed.operator();
    check(48, tampered(folder_body().prop_map(|f| f.json())), |body| {
        match bed.rt.block_on(async {
            folders::create_folder(&bed.state, &op, folders::NewFolder::parse("POST /f", &body)?, None).await
        }) {
            Ok(folder) => prop_assert_eq!(&crate::json(folder)["externalId"], &body["externalId"]),
            Err(ExchangeError::Invalid(problems)) => well_formed(&problems, "[ERROR][REQUEST][POST /f @body")?,
            Err(e @ (ExchangeError::Refused(_) | ExchangeError::Conflict(_))) => {
                prop_assert!(matches!(rendered(e), 400 | 409));
            }
            Err(e) => prop_assert!(false, "unexpected {e:?}"),
        }
        Ok(())
    });
}

#[test]
fn a_valid_folder_reads_back_as_it_was_sent() {
    let bed = Bed::new();
    let op = bed.operator();
    let used = RefCell::new(HashSet::new());
    check(32, folder_body(), |f| {
        // The externalId identifies a deposit: a generated one may repeat an earlier case's.
        prop_assume!(used.borrow_mut().insert(f.external_id.clone()));
        let created = bed.rt.block_on(async {
            folders::create_folder(&bed.state, &op, folders::NewFolder::parse("POST /f", &f.json())?, None).await
        });
        let created = crate::json(created.map_err(|e| TestCaseError::fail(format!("{e:?}")))?);
        let id: Uuid = created["id"].as_str().unwrap().parse().unwrap();
        let got = crate::json(bed.rt.block_on(folders::get_folder(&bed.state, &op, id)).unwrap());
        prop_assert_eq!(got["externalId"].as_str(), Some(f.external_id.as_str()));
        prop_assert_eq!(got["applicant"]["firstName"].as_str(), Some(f.first_name.as_str()));
        prop_assert_eq!(got["applicant"]["lastName"].as_str(), Some(f.last_name.as_str()));
        prop_assert_eq!(got["applicant"]["email"].as_str(), f.email.as_deref());
        prop_assert_eq!(got["cases"][0]["externalId"].as_str(), Some(f.case_id.as_str()));
        prop_assert_eq!(got["cases"][0]["partnerAttributes"].as_str(), f.partner_attributes.as_deref());
        let mut sent: Vec<(String, String, u64)> = f.files.clone();
        let mut stored: Vec<(String, String, u64)> = got["attachments"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| {
                (
                    a["fileName"].as_str().unwrap().to_owned(),
                    a["type"].as_str().unwrap().to_owned(),
                    a["size"].as_u64().unwrap(),
                )
            })
            .collect();
        sent.sort();
        stored.sort();
        prop_assert_eq!(stored, sent);
        Ok(())
    });
}

#[test]
fn any_folder_update_body_is_applied_or_refused_with_its_problems() {
    let bed = Bed::new();
    let op = bed.operator();
    let (folder, _) = bed.rt.block_on(testkit::pending_folder(&bed.state, 3));
    let valid = select(&["HUBEE_COMPLETED", "HUBEE_CLOSED"][..]).prop_map(|s| json!({"globalStatus": s}));
    check(48, tampered(valid), |body| {
        match bed.rt.block_on(async {
            folders::update_folder(&bed.state, &op, folder, folders::FolderUpdate::parse("PATCH /f", &body)?).await
        }) {
            Ok(()) => {}
            Err(ExchangeError::Invalid(problems)) => well_formed(&problems, "[ERROR][REQUEST][PATCH /f @body")?,
            Err(e @ (ExchangeError::Refused(_) | ExchangeError::Conflict(_))) => {
                prop_assert!(matches!(rendered(e), 400 | 409));
            }
            Err(e) => prop_assert!(false, "unexpected {e:?}"),
        }
        Ok(())
    });
}

#[test]
fn any_event_body_is_created_or_refused_with_its_problems() {
    let bed = Bed::new();
    let (case, _) = bed.rt.block_on(testkit::deposit_case(&bed.state, b"%PDF-1.7"));
    let si = testkit::claims(&bed.state, "fixture-si");
    let valid = prop_oneof![
        deposit_event(),
        text(1000).prop_map(|m| json!({"actionType": "COM_ADD", "message": m})),
        select(&["SI_RECEIVED", "IN_PROGRESS", "DONE", "REFUSED"][..])
            .prop_map(|s| json!({"actionType": "STATUS_UPDATE", "caseNewStatus": s, "notification": true})),
    ];
    check(48, tampered(valid), |body| {
        match bed.rt.block_on(async {
            events::create_event(&bed.state, &(&si).into(), case, events::NewEvent::parse("POST /e", &body)?, None)
                .await
        }) {
            Ok(event) => prop_assert_eq!(&crate::json(event)["actionType"], &body["actionType"]),
            Err(ExchangeError::Invalid(problems)) => well_formed(&problems, "[ERROR][REQUEST][POST /e @body")?,
            Err(e @ (ExchangeError::Refused(_) | ExchangeError::Conflict(_))) => {
                prop_assert!(matches!(rendered(e), 400 | 409));
            }
            Err(e) => prop_assert!(false, "unexpected {e:?}"),
        }
        Ok(())
    });
}

#[test]
fn a_valid_event_reads_back_as_it_was_sent() {
    let bed = Bed::new();
    let (case, _) = bed.rt.block_on(testkit::deposit_case(&bed.state, b"%PDF-1.7"));
    let si = testkit::claims(&bed.state, "fixture-si");
    check(32, deposit_event(), |body| {
        let actor = (&si).into();
        let created = bed.rt.block_on(async {
            events::create_event(&bed.state, &actor, case, events::NewEvent::parse("POST /e", &body)?, None).await
        });
        let created = crate::json(created.map_err(|e| TestCaseError::fail(format!("{e:?}")))?);
        let id: Uuid = created["id"].as_str().unwrap().parse().unwrap();
        let got = crate::json(bed.rt.block_on(events::get_event(&bed.state, &actor, case, id)).unwrap());
        for field in ["actionType", "message", "comment", "author"] {
            prop_assert_eq!(&got[field], &body[field], "{}", field);
        }
        let files = |v: &Value| {
            let mut f: Vec<(Value, Value, Value, Value)> = v["attachments"]
                .as_array()
                .unwrap()
                .iter()
                .map(|a| (a["fileName"].clone(), a["type"].clone(), a["size"].clone(), a["mimeType"].clone()))
                .collect();
            f.sort_by_key(|t| format!("{t:?}"));
            f
        };
        prop_assert_eq!(files(&got), files(&body));
        Ok(())
    });
}

#[test]
fn any_subscription_body_is_created_or_refused_with_its_problems() {
    let bed = Bed::new();
    let platform = bed.platform();
    check(48, tampered(subscription_body()), |body| {
        match bed.rt.block_on(async {
            subscriptions::create_subscription(
                &bed.state,
                &platform,
                subscriptions::NewSubscription::parse("POST /s", &body)?,
            )
            .await
        }) {
            Ok(created) => prop_assert_eq!(&crate::json(created)["processCode"], &body["processCode"]),
            Err(ExchangeError::Invalid(problems)) => well_formed(&problems, "[ERROR][REQUEST][POST /s @body")?,
            Err(e @ (ExchangeError::Refused(_) | ExchangeError::Conflict(_))) => {
                prop_assert!(matches!(rendered(e), 400 | 409));
            }
            Err(e) => prop_assert!(false, "unexpected {e:?}"),
        }
        Ok(())
    });
}

#[test]
fn any_bulk_body_gives_its_case_ids_or_its_problems() {
    let ids = vec(any::<u128>().prop_map(Uuid::from_u128), 1..=5);
    check(256, (ids.clone(), tampered(ids.prop_map(|ids| json!({"caseIds": ids})))), |(sent, body)| {
        // Untouched, the ids come back in order.
        prop_assert_eq!(
            portal_cases::CaseSelection::parse("POST /b", &json!({"caseIds": sent})).unwrap().case_ids,
            sent
        );
        match portal_cases::CaseSelection::parse("POST /b", &body).map(|c| c.case_ids) {
            Ok(ids) => {
                let listed: Vec<Uuid> =
                    body["caseIds"].as_array().unwrap().iter().map(|v| v.as_str().unwrap().parse().unwrap()).collect();
                prop_assert_eq!(ids, listed);
            }
            Err(ExchangeError::Invalid(problems)) => well_formed(&problems, "[ERROR][REQUEST][POST /b @body")?,
            Err(e) => prop_assert!(false, "unexpected {e:?}"),
        }
        Ok(())
    });
}

// ---------------------------------------------------------------------------------------------
// Query strings
// ---------------------------------------------------------------------------------------------

fn query_params(query: &str) -> Option<QueryParams> {
    let request = axum::http::Request::builder().uri(format!("/x?{query}")).body(()).ok()?;
    let (mut parts, ()) = request.into_parts();
    let rt = tokio::runtime::Builder::new_current_thread().build().unwrap();
    Some(rt.block_on(QueryParams::from_request_parts(&mut parts, &())).unwrap_or_else(|e| match e {}))
}

/// Raw query strings: the characters a URI allows, and any byte percent-encoded.
fn raw_query() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        select(&["a", "q", "limit", "from", "to", "tab", "=", "&", "[]", ",", "+", "%", ";", "-", ".", "1", "e9"][..])
            .prop_map(str::to_owned),
        any::<u8>().prop_map(|b| format!("%{b:02X}")),
    ];
    vec(piece, 0..24).prop_map(|p| p.concat())
}

#[test]
fn any_query_string_is_read_without_failing() {
    check(256, raw_query(), |query| {
        let Some(params) = query_params(&query) else { return Ok(()) };
        let mut names: Vec<String> = params.pairs().iter().map(|(k, _)| k.clone()).collect();
        names.extend(["limit".to_owned(), "from".to_owned(), "absent".to_owned()]);
        for name in &names {
            let _ = (params.all(name), params.one(name), params.boolean(name));
            if let Ok(Some(n)) = params.number(name) {
                let v: f64 = params.one(name).unwrap().trim().parse().unwrap();
                prop_assert!(v >= 0.0 && v.is_finite() && n == v as usize);
            }
            let _ = (params.date(name, false), params.date(name, true));
        }
        if let Err(e) = params.only(&["q"]) {
            prop_assert_eq!(rendered(e), 400);
            prop_assert!(params.pairs().iter().any(|(k, _)| k != "q"));
        }
        Ok(())
    });
}

#[test]
fn query_parameters_read_back_as_they_were_sent() {
    let name = text(8).prop_filter("not a [] name", |n| !n.ends_with("[]"));
    check(256, vec((name, text(16)), 0..6), |pairs| {
        let query = form_urlencoded::Serializer::new(String::new()).extend_pairs(&pairs).finish();
        let params = query_params(&query).unwrap();
        prop_assert_eq!(params.pairs(), &pairs[..]);
        for (name, _) in &pairs {
            let last = pairs.iter().rev().find(|(k, _)| k == name).map(|(_, v)| v.as_str());
            prop_assert_eq!(params.one(name), last);
        }
        Ok(())
    });
}

#[test]
fn numbers_booleans_and_dates_in_a_query_read_back() {
    let instant = (0i64..253_402_300_799, 0u32..1000).prop_map(|(s, ms)| Utc.timestamp_opt(s, ms * 1_000_000).unwrap());
    let day = (1583i32..=9998, 1u32..=12, 1u32..=28).prop_map(|(y, m, d)| NaiveDate::from_ymd_opt(y, m, d).unwrap());
    check(256, (0usize..(1 << 53), any::<bool>(), instant, day), |(n, b, t, d)| {
        let b_text = if b { "TRUE" } else { "false" };
        let query = form_urlencoded::Serializer::new(String::new())
            .extend_pairs([("n", n.to_string()), ("b", b_text.to_owned()), ("t", format_time(t)), ("d", d.to_string())])
            .finish();
        let params = query_params(&query).unwrap();
        prop_assert_eq!(params.number("n").unwrap(), Some(n));
        prop_assert_eq!(params.boolean("b").unwrap(), Some(b));
        prop_assert_eq!(params.date("t", false).unwrap(), parse_time(&format_time(t)));
        let paris = |d: NaiveDate| {
            chrono_tz::Europe::Paris.from_local_datetime(&d.and_hms_opt(0, 0, 0).unwrap()).earliest().unwrap()
        };
        prop_assert_eq!(params.date("d", false).unwrap(), Some(paris(d).with_timezone(&Utc)));
        prop_assert_eq!(params.date("d", true).unwrap(), Some(paris(d.succ_opt().unwrap()).with_timezone(&Utc)));
        Ok(())
    });
}

#[test]
fn dates_of_any_year_are_read_or_refused_without_failing() {
    let date = (any::<i32>(), 0u32..=13, 0u32..=32, any::<bool>())
        .prop_map(|(y, m, d, plus)| format!("{}{y:04}-{m:02}-{d:02}", if plus && y >= 0 { "+" } else { "" }));
    let edges =
        select(&["+262143-12-31", "-262144-01-01", "262142-12-31", "9999-12-31", "0000-01-01", "-0001-01-01"][..])
            .prop_map(str::to_owned);
    check(256, prop_oneof![date, edges], |v| {
        let params =
            query_params(&form_urlencoded::Serializer::new(String::new()).append_pair("d", &v).finish()).unwrap();
        for end_of_day in [false, true] {
            if let Err(e) = params.date("d", end_of_day) {
                prop_assert_eq!(rendered(e), 400);
            }
        }
        Ok(())
    });
}

#[test]
fn any_subscription_list_query_is_read_or_refused_with_its_problems() {
    let bed = Bed::new();
    let platform = bed.platform();
    const NAMES: &[&str] =
        &["processCode", "status", "companyRegister", "delegationActorEmail", "orderBy", "offSet", "maxResult"];
    check(128, query_pairs(NAMES), |pairs| {
        match bed.rt.block_on(async {
            let query = subscriptions::SubscriptionQuery::parse("GET /s", &pairs)?;
            subscriptions::list_subscriptions(&bed.state, &platform, query).await
        }) {
            Ok(page) => {
                let max =
                    pairs.iter().find(|(k, _)| k == "maxResult").and_then(|(_, v)| v.trim().parse::<usize>().ok());
                prop_assert!(max.is_none_or(|m| page.items.len() <= m));
                let (range, total) =
                    page.content_range.strip_prefix("subscriptions ").unwrap().split_once('/').unwrap();
                prop_assert!(total.parse::<usize>().is_ok() && (range == "*" || range.split_once('-').is_some()));
            }
            Err(ExchangeError::Invalid(problems)) => well_formed(&problems, "[ERROR][REQUEST][GET /s @query.")?,
            Err(e) => prop_assert!(false, "unexpected {e:?}"),
        }
        Ok(())
    });
}

#[test]
fn any_account_filter_is_read_or_refused_with_its_problems() {
    let names: &'static [&'static str] = hubee_shared::services::accounts::LIST_PARAMETERS;
    check(256, query_pairs(names), |pairs| {
        match AccountFilters::parse("GET /a", &pairs) {
            Ok(f) => {
                let active =
                    pairs.iter().rev().find(|(k, _)| k == "active").map(|(_, v)| v.trim().to_ascii_lowercase());
                prop_assert_eq!(f.active, active.map(|v| v == "true"));
            }
            Err(hubee_shared::services::accounts::AccountsError::Invalid(problems)) => {
                well_formed(&problems, "[ERROR][REQUEST][GET /a @query.")?;
            }
            Err(e) => prop_assert!(false, "unexpected {e:?}"),
        }
        Ok(())
    });
}

// ---------------------------------------------------------------------------------------------
// Content-Disposition and zip entry names
// ---------------------------------------------------------------------------------------------

/// File names as operators send them: any text, with separators, quotes and dots in plenty.
fn file_name() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        text(6),
        select(&["/", "\\", "..", ".", "\"", ";", "%", " ", "\r\n", "\u{0}", "é", "manifest", ".csv", ".pdf", ":"][..])
            .prop_map(str::to_owned),
    ];
    vec(piece, 0..8).prop_map(|p| p.concat())
}

#[test]
fn any_file_name_gives_a_valid_content_disposition_that_names_it() {
    check(512, file_name(), |name| {
        let header = content_disposition(&name);
        let value = header.to_str().map_err(|e| TestCaseError::fail(format!("not visible ASCII: {e}")))?;
        prop_assert!(value.bytes().all(|b| (0x20..0x7f).contains(&b)), "{value:?}");
        let rest = value.strip_prefix("attachment; filename=\"").unwrap();
        let (fallback, encoded) = rest.split_once("\"; filename*=UTF-8''").unwrap();
        prop_assert!(!fallback.contains(['"', '\\', ';', '/']), "{fallback:?}");
        prop_assert!(!encoded.contains(['"', ';', ' ', '\'']), "{encoded:?}");
        // The exact name parses back: the last path segment of what was sent.
        let base = name.rsplit(['/', '\\']).next().unwrap();
        prop_assert_eq!(percent_decode_str(encoded).decode_utf8().unwrap(), base);
        if !fallback.is_empty() && fallback != "file" {
            prop_assert_eq!(fallback.chars().count(), base.chars().count());
        }
        Ok(())
    });
}

fn assert_safe_entry(path: &str) -> TestCaseResult {
    prop_assert!(!path.starts_with('/') && !path.contains('\\') && !path.contains(':'), "{path:?}");
    prop_assert!(!path.chars().any(char::is_control), "{path:?}");
    let segments: Vec<&str> = path.split('/').collect();
    prop_assert!(segments.len() <= 2, "{path:?}");
    for s in segments {
        prop_assert!(!s.is_empty() && !s.starts_with('.') && s != "..", "{path:?}");
    }
    prop_assert_ne!(path, MANIFEST);
    Ok(())
}

#[test]
fn zip_entry_names_never_escape_and_never_repeat() {
    check(256, vec((option::of(file_name()), file_name()), 1..24), |files| {
        let mut taken = HashSet::new();
        let mut paths = HashSet::new();
        for (dir, name) in &files {
            let path = archive::entry_path(&mut taken, dir.as_deref(), name);
            assert_safe_entry(&path)?;
            prop_assert!(paths.insert(path.clone()), "{path:?} given twice");
        }
        Ok(())
    });
}

#[test]
fn an_archive_holds_every_file_under_its_safe_name() {
    let bed = Bed::new();
    check(16, vec((option::of(file_name()), file_name(), vec(any::<u8>(), 0..64)), 1..6), |files| {
        let mut taken = HashSet::new();
        let mut entries = Vec::new();
        for (dir, name, bytes) in &files {
            let key = ObjectKey::new(["props", &Uuid::new_v4().simple().to_string()]).unwrap();
            let body = testkit::objects::body_of(vec![bytes.clone()]);
            let info =
                bed.rt.block_on(bed.state.objects.put(&key, "application/pdf", body, PutCheck::default())).unwrap();
            let path = archive::entry_path(&mut taken, dir.as_deref(), name);
            entries.push(ArchiveEntry { path, key, size: info.size, sha256: info.sha256, received: None });
        }
        let zip = bed.rt.block_on(async {
            use futures::TryStreamExt;
            let chunks: Vec<bytes::Bytes> = archive::stream(bed.state.clone(), entries.clone()).try_collect().await?;
            Ok::<_, std::io::Error>(chunks.concat())
        });
        let unzipped = bed.rt.block_on(testkit::unzip(zip.unwrap()));
        prop_assert_eq!(unzipped.len(), files.len() + 1);
        prop_assert_eq!(unzipped[0].0.as_str(), MANIFEST);
        for ((name, bytes), (entry, (_, _, sent))) in unzipped[1..].iter().zip(entries.iter().zip(&files)) {
            prop_assert_eq!(name, &entry.path);
            prop_assert_eq!(bytes, sent);
        }
        // One manifest line per file, however its name is made.
        let manifest = String::from_utf8(unzipped[0].1.clone()).unwrap();
        prop_assert_eq!(manifest.lines().count(), files.len() + 1);
        Ok(())
    });
}

// ---------------------------------------------------------------------------------------------
// Presigned URLs of the filesystem store
// ---------------------------------------------------------------------------------------------

const BASE: &str = "http://hub.test";

/// What a presigned URL grants, as the local hub's `/objects/` routes read it.
#[derive(Clone, Debug, PartialEq)]
struct Grant {
    key: String,
    method: Option<String>,
    size: Option<String>,
    expires: Option<String>,
    disposition: Option<String>,
    signature: Option<String>,
}

fn grant(url: &str) -> Option<Grant> {
    let (key, query) = url.strip_prefix(BASE)?.strip_prefix("/objects/")?.split_once('?')?;
    let params: HashMap<String, String> = form_urlencoded::parse(query.as_bytes()).into_owned().collect();
    let key = percent_decode_str(key).decode_utf8().ok()?.into_owned();
    Some(Grant {
        key,
        method: params.get("method").cloned(),
        size: params.get("size").cloned(),
        expires: params.get("expires").cloned(),
        disposition: params.get("disposition").cloned(),
        // Hex digits read the same in either case.
        signature: params.get("signature").map(|s| s.to_ascii_lowercase()),
    })
}

/// Whether the store accepts the URL for a request of `verb` (`GET` or `PUT`): the checks of
/// `functions/local`'s `authorise`, through `FsObjects::verify_presigned`, an upload's size
/// read from the URL as the local hub reads it.
fn verifies(store: &FsObjects, url: &str, verb: &str) -> bool {
    let Some(g) = grant(url) else { return false };
    let Ok(key) = ObjectKey::parse(&g.key) else { return false };
    let method = match verb {
        "GET" => PresignMethod::Get,
        _ => match g.size.as_deref().and_then(|s| s.parse().ok()) {
            Some(size) => PresignMethod::Put { size },
            None => return false,
        },
    };
    let expires = g.expires.as_deref().and_then(|e| e.parse().ok()).unwrap_or(0);
    g.method.as_deref() == Some(verb)
        && store.verify_presigned(&key, method, expires, g.disposition.as_deref(), g.signature.as_deref().unwrap_or(""))
}

#[derive(Clone, Debug)]
struct Presigned {
    key: Vec<String>,
    method: PresignMethod,
    disposition: Option<String>,
    expires_in: u64,
}

fn presigned() -> impl Strategy<Value = Presigned> {
    (
        vec("[A-Za-z0-9_-]{1,12}", 1..4),
        option::of(0u64..=5 << 30),
        option::of(prop_oneof![
            file_name().prop_map(|n| content_disposition(&n).to_str().unwrap().to_owned()),
            text(40)
        ]),
        1u64..=7 * 24 * 3600,
    )
        .prop_map(|(key, upload, disposition, expires_in)| Presigned {
            key,
            method: upload.map_or(PresignMethod::Get, |size| PresignMethod::Put { size }),
            // Downloads carry a disposition; uploads never do.
            disposition: disposition.filter(|_| upload.is_none()),
            expires_in,
        })
}

fn presign(store: &FsObjects, p: &Presigned) -> String {
    let key = ObjectKey::new(&p.key).unwrap();
    let expires_in = Duration::from_secs(p.expires_in);
    let rt = tokio::runtime::Builder::new_current_thread().build().unwrap();
    rt.block_on(async {
        match &p.disposition {
            Some(d) => store.presign_download(&key, d, expires_in).await,
            None => store.presign(&key, p.method, expires_in).await,
        }
    })
    .unwrap()
}

/// One character of the URL changed (`Index` picks where).
fn tamper(url: &str, at: Index, with: char) -> String {
    let start = BASE.len();
    let chars: Vec<char> = url[start..].chars().collect();
    let i = at.index(chars.len());
    let mut out: String = url[..start].to_owned();
    out.extend(chars[..i].iter().chain(std::iter::once(&with)).chain(&chars[i + 1..]));
    out
}

#[test]
fn a_presigned_url_verifies_unmodified_and_before_its_expiry_only() {
    let replacement = prop_oneof![
        select(&['0', '1', 'a', 'f', 'A', 'F', '&', '=', '/', '%', '+', 'x', 'G', 'P', 'T'][..]),
        any::<char>()
    ];
    check(256, (presigned(), any::<Index>(), replacement), |(p, at, with)| {
        let dir = tempfile::tempdir().unwrap();
        let clock = ManualClock::new(parse_time("2026-03-02T08:00:00Z").unwrap());
        let store = FsObjects::open(dir.path(), BASE, b"signing-key".to_vec(), Arc::new(clock.clone())).unwrap();
        let url = presign(&store, &p);
        let (granted, other) = match p.method {
            PresignMethod::Get => ("GET", "PUT"),
            PresignMethod::Put { .. } => ("PUT", "GET"),
        };
        prop_assert!(verifies(&store, &url, granted), "{url}");
        prop_assert!(!verifies(&store, &url, other), "{url} also grants {other}");

        // Another key does not sign it.
        let stranger = FsObjects::open(dir.path(), BASE, b"another-key".to_vec(), Arc::new(clock.clone())).unwrap();
        prop_assert!(!verifies(&stranger, &url, granted));

        // Any change to what it grants voids it (a change that reads the same, such as the
        // case of a hex digit or another percent-encoding of a character, grants the same).
        let changed = tamper(&url, at, with);
        if grant(&changed) != grant(&url) {
            prop_assert!(!verifies(&store, &changed, granted), "{changed} (from {url}) still verifies");
        }

        // Valid up to its last second, not after.
        let expiry =
            DateTime::<Utc>::from_timestamp(grant(&url).unwrap().expires.unwrap().parse().unwrap(), 0).unwrap();
        clock.set(expiry - chrono::Duration::seconds(1));
        prop_assert!(verifies(&store, &url, granted));
        clock.set(expiry);
        prop_assert!(!verifies(&store, &url, granted), "{url} verifies at its expiry");
        Ok(())
    });
}
