//! The authorization matrix of the portal: the dossier, account and subscription routes, for
//! every kind of person, answer the expected status — and nobody reads or changes another organisation's
//! data.

#![allow(clippy::unwrap_used, clippy::expect_used)] // Test code: a failed step is a failed test.

use hubee_tests::{folders::*, *};
use reqwest::Method;
use serde_json::{Value, json};

/// The people of the matrix, in its column order.
const PEOPLE: [&str; 9] = [
    "anonymous",
    "agent",
    "agent without habilitation",
    "reader",
    "local admin",
    "delegate",
    "suspended",
    "other organisation",
    "national admin",
];

/// A national route: 200, 400 or 404 for the national administrator, 403 for everyone else.
const NATIONAL_OK: [u16; 9] = [401, 403, 403, 403, 403, 403, 401, 403, 200];
const NATIONAL_BAD: [u16; 9] = [401, 403, 403, 403, 403, 403, 401, 403, 400];
const NATIONAL_MISSING: [u16; 9] = [401, 403, 403, 403, 403, 403, 401, 403, 404];

#[tokio::test]
async fn every_portal_route_answers_each_kind_of_person_as_expected() {
    let t = TestHub::spawn().await;
    let op = t.operator_token().await;
    let (body, files) = certdc_folder("DGS-CERTDC-0600");
    let folder = deposit(&t, &op, &body, &files).await;
    let case = folder["cases"][0]["id"].as_str().unwrap().to_owned();
    let attachment = folder["attachments"][0]["id"].as_str().unwrap().to_owned();

    let mut sessions: Vec<Option<PortalSession>> = vec![None];
    for (email, password) in [
        ("agent@mairie-a.example", "Agent-Test-2026!"),
        ("sans-habilitation@mairie-a.example", "Sans-Test-2026!"),
        ("lecteur@mairie-a.example", "Lecteur-Test-2026!"),
        ("admin@mairie-a.example", "Admin-Test-2026!"),
        ("delegue@editeur.example", "Delegue-Test-2026!"),
        ("suspendu@mairie-a.example", "Suspendu-Test-2026!"),
        ("agent@mairie-b.example", "AgentB-Test-2026!"),
        (NATIONAL_ADMIN, NATIONAL_ADMIN_PASSWORD),
    ] {
        sessions.push(Some(t.sign_in(email, password).await));
    }
    // Suspended after signing in: its live session must end.
    let store = &t.hub().state.store;
    let mut suspended = store.account("suspendu@mairie-a.example").await.unwrap().unwrap();
    suspended.active = false;
    store.save_account(&suspended).await.unwrap();

    let admin = sessions[4].clone().unwrap();
    let (_, subs) = answer(t.portal_as(&admin, Method::GET, "/subscriptions").send().await.unwrap()).await;
    let sub = subs["items"][0]["id"].as_str().unwrap().to_owned();

    // (method, path, body, expected status per person in PEOPLE's order)
    let c = &case;
    let matrix: Vec<(Method, String, Option<Value>, [u16; 9])> = vec![
        (Method::GET, "/me".into(), None, [401, 200, 200, 200, 200, 200, 401, 200, 200]),
        (Method::GET, "/cases".into(), None, [401, 200, 200, 200, 403, 403, 401, 200, 403]),
        (Method::GET, "/cases.csv".into(), None, [401, 200, 200, 200, 403, 403, 401, 200, 403]),
        (Method::GET, format!("/cases/{c}"), None, [401, 200, 403, 200, 403, 403, 401, 403, 403]),
        (Method::GET, format!("/cases/{c}/history"), None, [401, 200, 403, 200, 403, 403, 401, 403, 403]),
        (
            Method::POST,
            format!("/cases/{c}/comments"),
            Some(json!({"text": "note"})),
            [401, 201, 403, 403, 403, 403, 401, 403, 403],
        ),
        // FINISH is not possible on a new dossier: an allowed person gets the workflow's 400.
        (
            Method::POST,
            format!("/cases/{c}/status"),
            Some(json!({"action": "FINISH"})),
            [401, 400, 403, 403, 403, 403, 401, 403, 403],
        ),
        (
            Method::POST,
            "/bulk".into(),
            Some(json!({"caseIds": [c], "action": "FINISH"})),
            [401, 200, 200, 200, 403, 403, 401, 200, 403],
        ),
        (Method::GET, "/agents".into(), None, [401, 200, 200, 200, 403, 403, 401, 200, 403]),
        (
            Method::PUT,
            format!("/cases/{c}/assignee"),
            Some(json!({"email": "agent@mairie-a.example"})),
            [401, 200, 403, 403, 403, 403, 401, 403, 403],
        ),
        (Method::DELETE, format!("/cases/{c}/assignee"), None, [401, 204, 403, 403, 403, 403, 401, 403, 403]),
        (
            Method::POST,
            format!("/cases/{c}/messages"),
            Some(json!({"message": "Bonjour"})),
            [401, 201, 403, 403, 403, 403, 401, 403, 403],
        ),
        (
            Method::GET,
            format!("/cases/{c}/attachments/{attachment}"),
            None,
            [401, 200, 403, 403, 403, 403, 401, 403, 403],
        ),
        (Method::POST, format!("/cases/{c}/archive"), None, [401, 200, 403, 403, 403, 403, 401, 403, 403]),
        (
            Method::POST,
            "/archives".into(),
            Some(json!({"caseIds": [c]})),
            [401, 200, 403, 403, 403, 403, 401, 403, 403],
        ),
        (Method::GET, "/accounts".into(), None, [401, 403, 403, 403, 200, 403, 401, 403, 403]),
        (Method::GET, "/accounts.csv".into(), None, [401, 403, 403, 403, 200, 403, 401, 403, 403]),
        (Method::GET, "/accounts/agent%40mairie-a.example".into(), None, [401, 403, 403, 403, 200, 403, 401, 403, 403]),
        // Removing: allowed for the administrator only (404: it names nobody of the organisation).
        (
            Method::DELETE,
            "/accounts/nobody%40mairie-a.example".into(),
            None,
            [401, 403, 403, 403, 404, 403, 401, 403, 403],
        ),
        // "Renvoyer le code" needs no session: an unknown challenge is everyone's 400.
        (
            Method::POST,
            "/session/otp/resend".into(),
            Some(json!({"challengeId": uuid::Uuid::nil()})),
            [400, 400, 400, 400, 400, 400, 400, 400, 400],
        ),
        (Method::GET, "/subscriptions".into(), None, [401, 403, 403, 403, 200, 200, 401, 403, 403]),
        (Method::GET, "/subscriptions.csv".into(), None, [401, 403, 403, 403, 200, 200, 401, 403, 403]),
        (Method::GET, format!("/subscriptions/{sub}"), None, [401, 403, 403, 403, 200, 200, 401, 403, 403]),
        (
            Method::PUT,
            format!("/subscriptions/{sub}/notifications"),
            Some(json!({"notificationFrequency": "unitaire", "email": "etat-civil@mairie-a.example"})),
            [401, 403, 403, 403, 200, 200, 401, 403, 403],
        ),
        // The national back office: its administrator only (400/404: allowed, then the body or
        // the target is wrong), everyone else 403.
        (Method::GET, "/national/organisations".into(), None, NATIONAL_OK),
        (Method::POST, "/national/organisations".into(), Some(json!({})), NATIONAL_BAD),
        (Method::GET, format!("/national/organisations/{}/{}", MAIRIE_A.0, MAIRIE_A.1), None, NATIONAL_OK),
        (Method::PATCH, format!("/national/organisations/{}/{}", MAIRIE_A.0, MAIRIE_A.1), Some(json!({})), NATIONAL_OK),
        (Method::GET, "/national/procedures".into(), None, NATIONAL_OK),
        (Method::POST, "/national/procedures".into(), Some(json!({})), NATIONAL_BAD),
        (Method::GET, "/national/procedures/CERTDC".into(), None, NATIONAL_OK),
        (Method::PATCH, "/national/procedures/CERTDC".into(), Some(json!({})), NATIONAL_OK),
        (Method::GET, "/national/api-clients".into(), None, NATIONAL_OK),
        (Method::POST, "/national/api-clients".into(), Some(json!({})), NATIONAL_BAD),
        (Method::PATCH, "/national/api-clients/nope".into(), Some(json!({"disabled": true})), NATIONAL_MISSING),
        (Method::POST, "/national/api-clients/nope/secret".into(), None, NATIONAL_MISSING),
        (Method::GET, "/national/journal".into(), None, NATIONAL_OK),
        (Method::GET, "/national/subscriptions".into(), None, NATIONAL_OK),
        (
            Method::POST,
            format!("/national/subscriptions/{sub}/decision"),
            Some(json!({"decision": "NOPE"})),
            NATIONAL_BAD,
        ),
        (Method::GET, "/national/accounts?q=martin".into(), None, NATIONAL_OK),
        (Method::GET, "/national/accounts/agent%40mairie-a.example".into(), None, NATIONAL_OK),
        (Method::POST, "/national/accounts/nobody%40mairie-a.example/unlock".into(), None, NATIONAL_MISSING),
        (Method::POST, "/national/accounts/nobody%40mairie-a.example/activation".into(), None, NATIONAL_MISSING),
        (Method::POST, "/national/accounts/nobody%40mairie-a.example/suspension".into(), None, NATIONAL_MISSING),
        (Method::DELETE, "/national/accounts/nobody%40mairie-a.example/suspension".into(), None, NATIONAL_MISSING),
        (Method::GET, "/national/deliveries".into(), None, NATIONAL_OK),
        (Method::POST, format!("/national/deliveries/{}/resend", uuid::Uuid::nil()), None, NATIONAL_MISSING),
        (Method::POST, "/national/migrations".into(), Some(json!({})), NATIONAL_BAD),
        // Statistics: an organisation's for its local administrators, every one's nationally.
        (Method::GET, "/statistics".into(), None, [401, 403, 403, 403, 200, 403, 401, 403, 403]),
        (Method::GET, "/statistics.csv".into(), None, [401, 403, 403, 403, 200, 403, 401, 403, 403]),
        (Method::GET, "/statistics?from=2025-13".into(), None, [401, 403, 403, 403, 400, 403, 401, 403, 403]),
        (
            Method::GET,
            format!("/statistics?organisation={}-{}", MAIRIE_B.0, MAIRIE_B.1),
            None,
            [401, 403, 403, 403, 403, 403, 401, 403, 403],
        ),
        (Method::GET, "/national/statistics".into(), None, NATIONAL_OK),
        (Method::GET, "/national/statistics.csv".into(), None, NATIONAL_OK),
        (Method::GET, "/national/statistics?to=soon".into(), None, NATIONAL_BAD),
        // The audit journal: an organisation's for its local administrators, every one's nationally.
        (Method::GET, "/audit".into(), None, [401, 403, 403, 403, 200, 403, 401, 403, 403]),
        (Method::GET, "/audit?outcome=MAYBE".into(), None, [401, 403, 403, 403, 400, 403, 401, 403, 403]),
        (
            Method::GET,
            format!("/audit?organisation={}-{}", MAIRIE_B.0, MAIRIE_B.1),
            None,
            [401, 403, 403, 403, 403, 403, 401, 403, 403],
        ),
        (Method::GET, "/national/audit".into(), None, NATIONAL_OK),
        (Method::GET, "/national/audit?from=2026-13-01".into(), None, NATIONAL_BAD),
    ];
    let mut failures = Vec::new();
    for (method, path, body, expected) in &matrix {
        for (i, session) in sessions.iter().enumerate() {
            let mut request = match session {
                Some(s) => t.portal_as(s, method.clone(), path),
                None => t.portal(method.clone(), path),
            };
            if let Some(b) = body {
                request = request.json(b);
            }
            let r = request.send().await.unwrap();
            let status = r.status().as_u16();
            let text = r.text().await.unwrap_or_default();
            if status != expected[i] {
                failures.push(format!(
                    "{method} {path} as {}: {status}, expected {} ({text:.120})",
                    PEOPLE[i], expected[i]
                ));
            }
            // A bulk action answers 200 with one result per dossier: nobody but the agent may
            // have acted on this one.
            if path == "/bulk" && status == 200 && i != 1 {
                let results: Value = serde_json::from_str(&text).unwrap();
                assert_eq!(results["results"][0]["ok"], false, "{} acted through a bulk action", PEOPLE[i]);
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));

    // Mairie B's agent never saw Mairie A's dossier in its inbox.
    let other = sessions[7].clone().unwrap();
    let (_, inbox) = answer(t.portal_as(&other, Method::GET, "/cases").send().await.unwrap()).await;
    assert!(!inbox.to_string().contains(&case));
    let export = t.portal_as(&other, Method::GET, "/cases.csv").send().await.unwrap().text().await.unwrap();
    assert!(!export.contains("DGS-CERTDC-0600") && !export.contains("C-A"), "{export}");
    // Only the agent commented, deposited nothing and changed nothing else.
    let (_, history) = answer(
        t.portal_as(&sessions[1].clone().unwrap(), Method::GET, &format!("/cases/{case}/history"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    let comments = history["entries"].as_array().unwrap().iter().filter(|e| e["kind"] == "COMMENT").count();
    assert_eq!(comments, 1);
}
