//! The audit journal (issue 16): a refused sign-in, a token, an account change, a secret
//! regeneration, a download and a refusal each appear with their actor, in their organisation's
//! chain; local administrators read their organisation's, the national administrator every
//! one's; `audit verify` passes, then names the entry altered or removed in the store.

#![allow(clippy::unwrap_used, clippy::expect_used)] // Test code: a failed step is a failed test.

use hubee_local::maintenance::Command;
use hubee_shared::ports::{Condition, Index, Query};
use hubee_tests::{folders::*, *};
use reqwest::Method;
use serde_json::{Value, json};

async fn journal(t: &TestHub, s: &PortalSession, path: &str) -> Vec<Value> {
    let (status, page) = answer(t.portal_as(s, Method::GET, path).send().await.unwrap()).await;
    assert_eq!(status, 200, "{page}");
    page["items"].as_array().unwrap().clone()
}

fn find<'a>(entries: &'a [Value], action: &str, actor: &str) -> Option<&'a Value> {
    entries.iter().find(|e| e["action"] == action && e["actor"]["id"] == actor)
}

#[tokio::test]
async fn decisions_are_recorded_with_their_actor_and_the_chains_verify_until_altered() {
    let t = TestHub::spawn().await;
    let op = t.operator_token().await;
    let (body, files) = certdc_folder("DGS-CERTDC-AUDIT");
    let folder = deposit(&t, &op, &body, &files).await;
    let case = folder["cases"][0]["id"].as_str().unwrap().to_owned();
    let attachment = folder["attachments"][0]["id"].as_str().unwrap().to_owned();

    // A refused sign-in, an unknown address, then the administrator and an agent signed in.
    assert_eq!(t.portal_password(PORTAL_ADMIN, "not the password").await.0, 401);
    assert_eq!(t.portal_password("nobody@mairie-a.example", "not the password").await.0, 401);
    let admin = t.sign_in(PORTAL_ADMIN, PORTAL_ADMIN_PASSWORD).await;
    let agent = t.sign_in("agent@mairie-a.example", "Agent-Test-2026!").await;

    // An account change, a secret regeneration, a download, a refusal.
    let r = t
        .portal_as(&admin, Method::PATCH, "/accounts/lecteur%40mairie-a.example")
        .json(&json!({"function": "Officier"}));
    assert_eq!(r.send().await.unwrap().status(), 200);
    let (_, subs) = answer(t.portal_as(&admin, Method::GET, "/subscriptions").send().await.unwrap()).await;
    let sub = subs["items"].as_array().unwrap().iter().find(|s| s["processCode"] == "CERTDC").unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let r = t
        .portal_as(&admin, Method::PUT, &format!("/subscriptions/{sub}/access-mode"))
        .json(&json!({"accessMode": "API"}));
    assert_eq!(r.send().await.unwrap().status(), 200);
    let r = t.portal_as(&admin, Method::POST, &format!("/subscriptions/{sub}/credentials")).json(&json!({}));
    let (status, secret) = answer(r.send().await.unwrap()).await;
    assert_eq!(status, 200, "{secret}");
    let download = format!("/cases/{case}/attachments/{attachment}");
    assert_eq!(t.portal_as(&agent, Method::GET, &download).send().await.unwrap().status(), 200);
    assert_eq!(t.portal_as(&agent, Method::GET, "/accounts").send().await.unwrap().status(), 403);

    let entries = journal(&t, &admin, "/audit?limit=200").await;
    let refused = entries
        .iter()
        .find(|e| e["action"] == "signIn.password" && e["actor"]["id"] == PORTAL_ADMIN && e["outcome"] == "DENIED")
        .expect("the refused sign-in");
    assert_eq!(refused["reason"], "wrong password, or account not activated");
    assert!(refused["requestId"].is_string() && refused["source"] == "127.0.0.1", "{refused}");
    assert!(find(&entries, "signIn.code", PORTAL_ADMIN).is_some_and(|e| e["outcome"] == "GRANTED"));
    let change = find(&entries, "accounts.update", PORTAL_ADMIN).expect("the account change");
    assert_eq!(change["target"], "/portail/v1/accounts/lecteur%40mairie-a.example");
    assert!(find(&entries, "subscriptions.credentials.create", PORTAL_ADMIN).is_some(), "the secret regeneration");
    let read = find(&entries, "cases.attachments.read", "agent@mairie-a.example").expect("the download");
    assert_eq!(read["target"], format!("/portail/v1{download}"));
    let denied = find(&entries, "access.denied", "agent@mairie-a.example").expect("the refusal");
    assert_eq!(
        (denied["target"].as_str(), denied["reason"].as_str()),
        (Some("GET /portail/v1/accounts"), Some("/portail/v1/accounts"))
    );
    assert!(
        !serde_json::to_string(&entries).unwrap().contains(&secret["clientSecret"].as_str().unwrap().to_owned()),
        "no secret"
    );
    assert!(!serde_json::to_string(&entries).unwrap().contains("not the password"));
    assert!(entries.iter().all(|e| e["chain"] == format!("{}#{}", MAIRIE_A.0, MAIRIE_A.1)), "Mairie A's chain only");
    assert!(
        entries.iter().all(|e| e["actor"]["id"] != "nobody@mairie-a.example"),
        "an unknown address is the platform's"
    );
    // Filters.
    let denials = journal(&t, &admin, "/audit?outcome=DENIED&action=signIn").await;
    assert!(
        !denials.is_empty()
            && denials.iter().all(|e| e["outcome"] == "DENIED" && e["action"].as_str().unwrap().starts_with("signIn."))
    );
    let agents = journal(&t, &admin, "/audit?actor=AGENT%40").await;
    assert!(!agents.is_empty() && agents.iter().all(|e| e["actor"]["id"] == "agent@mairie-a.example"));
    // Paging: two at a time, newest first, each once.
    let mut paged = Vec::new();
    let mut cursor = String::new();
    loop {
        let (_, page) =
            answer(t.portal_as(&admin, Method::GET, &format!("/audit?limit=2{cursor}")).send().await.unwrap()).await;
        paged.extend(page["items"].as_array().unwrap().iter().map(|e| (e["day"].clone(), e["seq"].as_u64().unwrap())));
        match page["nextCursor"].as_str() {
            Some(c) => cursor = format!("&cursor={c}"),
            None => break,
        }
    }
    let all = journal(&t, &admin, "/audit?limit=200").await;
    assert_eq!(paged.len(), all.len());
    assert!(paged.windows(2).all(|w| w[0].1 > w[1].1), "newest first, none twice: {paged:?}");

    // The national administrator sees every chain: the token issued to the operator, the
    // unknown address.
    let national = t.sign_in(NATIONAL_ADMIN, NATIONAL_ADMIN_PASSWORD).await;
    let everything = journal(&t, &national, "/national/audit?limit=200").await;
    assert!(find(&everything, "token.issue", "dgs-osl").is_some_and(|e| e["outcome"] == "GRANTED"));
    let unknown = find(&everything, "signIn.password", "nobody@mairie-a.example").expect("the unknown address");
    assert_eq!((unknown["chain"].as_str(), unknown["actor"]["kind"].as_str()), (Some("PLATFORM"), Some("ANONYMOUS")));
    let one =
        journal(&t, &national, &format!("/national/audit?siret={}&branchCode={}&limit=200", MAIRIE_A.0, MAIRIE_A.1))
            .await;
    assert_eq!(one.len(), all.len(), "Mairie A's chain, as its administrator reads it");

    // Verification passes; an altered entry, then a removed one, are named.
    t.maintenance(Command::AuditVerify).await;
    let table = &t.hub().table;
    let day = everything[0]["day"].as_str().unwrap();
    let chain = format!("AUDIT#{}#{}#{day}", MAIRIE_A.0, MAIRIE_A.1);
    let stored = table.query(Query::table(chain.clone())).await.unwrap().items;
    let mut second = stored.iter().find(|i| i["SK"] == "E#000000000002").unwrap().clone();
    let original = second.clone();
    second.insert("target".into(), json!("someone else"));
    table.put(second, Condition::Exists).await.unwrap();
    let e = t.maintenance_result(Command::AuditVerify).await.unwrap_err().to_string();
    assert!(e.contains(&format!("{}#{}", MAIRIE_A.0, MAIRIE_A.1)) && e.contains("entry 3"), "{e}");
    table.put(original, Condition::Exists).await.unwrap();
    t.maintenance(Command::AuditVerify).await;
    let fourth = hubee_shared::ports::Key::new(chain, "E#000000000004");
    table.delete(&fourth, Condition::Exists).await.unwrap();
    let e = t.maintenance_result(Command::AuditVerify).await.unwrap_err().to_string();
    assert!(e.contains("entry 4 is missing"), "{e}");
    // The heads of the day list every chain written.
    let heads = table.query(Query::index(Index::Gsi3, format!("AUDIT#HEADS#{day}"))).await.unwrap().items;
    assert!(heads.len() >= 3, "Mairie A, the operator, the platform: {}", heads.len());
}
