//! Conformance suites for the ports, written once and run against every implementation
//! (feature `testkit`). Each panics with a message naming the broken rule.

#![allow(clippy::unwrap_used, clippy::expect_used)] // Test code: a failed step is a failed check.

pub mod mailer;
pub mod objects;
pub mod table;

use std::{path::Path, sync::Arc};

use crate::{
    adapters::{
        RandomIds, SystemClock,
        embedded::{FsObjects, OutboxMailer, SqliteTable},
    },
    auth::TokenKeys,
    config::{Config, DEFAULT_MAIL_FROM},
    state::AppState,
};

/// A state on embedded adapters (the table in memory, objects and outbox under `dir`), for
/// router tests.
pub fn state(dir: &Path) -> AppState {
    let clock = Arc::new(SystemClock);
    AppState::new(
        Arc::new(SqliteTable::in_memory().unwrap()),
        Arc::new(
            FsObjects::open(
                &dir.join("objects"),
                "http://127.0.0.1:1",
                b"test".to_vec(),
                clock.clone(),
            )
            .unwrap(),
        ),
        Arc::new(OutboxMailer::open(&dir.join("outbox"), DEFAULT_MAIL_FROM).unwrap()),
        clock,
        Arc::new(RandomIds),
        TokenKeys::new(b"router-test-key"),
        Config {
            public_url: "http://127.0.0.1:1".into(),
            mail_from: DEFAULT_MAIL_FROM.into(),
        },
    )
}

/// An API Gateway v2 event fixture of `events/` as the request the router receives on Lambda.
pub fn fixture_request(event_json: &str) -> axum::http::Request<axum::body::Body> {
    let request = lambda_http::request::from_str(event_json).unwrap();
    let (parts, body) = request.into_parts();
    axum::http::Request::from_parts(parts, axum::body::Body::from(body.to_vec()))
}

/// A small referential for router tests: one operator running CERTDC (client `fixture-osl`,
/// secret `fixture-secret-not-real`, as in the fixtures), one subscribed mairie.
pub async fn provision(state: &AppState) {
    let seed = serde_json::json!({
        "procedures": [{"code": "CERTDC", "title": "Certificat de décès électronique", "operator": "DGS"}],
        "organisations": [
            {"siret": "11001401600015", "branchCode": "75108", "name": "Mairie A", "type": "SI"},
            {"siret": "11000000000007", "branchCode": "00000", "name": "DGS", "type": "OSL", "code": "DGS"}
        ],
        "subscriptions": [{"siret": "11001401600015", "branchCode": "75108", "processCode": "CERTDC", "status": "Actif",
                           "accessMode": "API", "notificationFrequency": "unitaire", "email": "etat-civil@mairie-a.example"}],
        "apiClients": [{"clientId": "fixture-osl", "clientSecret": "fixture-secret-not-real", "scope": "OSL",
                        "siret": "11000000000007", "branchCode": "00000"}]
    });
    crate::seed::Provisioning::parse(&seed.to_string())
        .unwrap()
        .load(&state.store)
        .await
        .unwrap();
}
