//! The statistics pages, black-box against the local hub: an organisation's figures for its
//! local administrator, every organisation's for the national administrator, their filters, the
//! CSV files, and who may read them.

#![allow(clippy::unwrap_used, clippy::expect_used)] // Test code: a failed step is a failed test.

use hubee_tests::{folders::*, *};
use reqwest::{Method, Response};
use serde_json::{Value, json};

async fn get(t: &TestHub, s: &PortalSession, path: &str) -> (u16, Value) {
    answer(t.portal_as(s, Method::GET, path).send().await.unwrap()).await
}

/// The figures of a procedure over the page's range.
fn procedure<'a>(page: &'a Value, code: &str) -> &'a Value {
    page["procedures"].as_array().unwrap().iter().find(|p| p["processCode"] == code).unwrap_or_else(|| {
        panic!("{code} in {page}");
    })
}

fn this_month() -> String {
    hubee_shared::domain::Month::of(chrono::Utc::now()).to_string()
}

/// The page until `done` holds of it (the e-mail is counted once it settles, just after it is
/// sent): at most 10 s, for a hub under load.
async fn page_when(t: &TestHub, s: &PortalSession, path: &str, done: impl Fn(&Value) -> bool) -> Value {
    let mut last = Value::Null;
    for _ in 0..200 {
        let (status, page) = get(t, s, path).await;
        assert_eq!(status, 200, "{page}");
        if done(&page) {
            return page;
        }
        last = page;
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("{path} never showed what was expected: {last}");
}

async fn csv_rows(r: Response) -> Vec<Vec<String>> {
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["content-type"], "text/csv; charset=utf-8");
    let disposition = r.headers()["content-disposition"].to_str().unwrap().to_owned();
    assert!(disposition.starts_with("attachment; filename=\"statistiques-"), "{disposition}");
    let bytes = r.bytes().await.unwrap();
    assert_eq!(&bytes[..3], b"\xEF\xBB\xBF", "a UTF-8 byte order mark");
    parse_csv(std::str::from_utf8(&bytes[3..]).unwrap())
}

fn cell<'a>(rows: &'a [Vec<String>], row: &[String], name: &str) -> &'a str {
    let i = rows[0].iter().position(|h| h == name).unwrap_or_else(|| panic!("{name} in {:?}", rows[0]));
    let r = rows.iter().find(|r| *r == row).unwrap();
    &r[i]
}

#[tokio::test]
async fn local_and_national_figures_follow_the_dossiers_consultations_statuses_and_emails() {
    let t = TestHub::spawn().await;
    let op = t.operator_token().await;
    let (body, files) = certdc_folder("DGS-STATS-1");
    let folder = deposit(&t, &op, &body, &files).await;
    let case_a = folder["cases"].as_array().unwrap().iter().find(|c| c["externalId"] == "C-A").unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let month = this_month();
    let admin = t.sign_in(PORTAL_ADMIN, PORTAL_ADMIN_PASSWORD).await;

    // Mairie A's administrator: its one dossier, new, not consulted yet; its e-mail once sent.
    t.wait_for_emails("etat-civil@mairie-a.example", 1).await;
    let page = page_when(&t, &admin, "/statistics", |p| p["total"]["emailsSent"] == 1).await;
    assert_eq!(page["scope"]["kind"], "ORGANISATION");
    assert_eq!(page["scope"]["name"], "Mairie A");
    assert_eq!(page["to"], month.as_str());
    assert_eq!(page["months"].as_array().unwrap().len(), 12, "the last twelve months by default");
    assert!((page["delayPrecision"].as_f64().unwrap() - 0.19).abs() < 1e-9);
    let certdc = procedure(&page, "CERTDC");
    assert_eq!(certdc["procedureTitle"], "Certificat de décès électronique");
    assert_eq!(certdc["total"]["transmitted"], 1, "Mairie B's dossier is not Mairie A's");
    assert_eq!(certdc["total"]["byStatus"]["HUBEE_NOTIFIED"], 1);
    assert_eq!(certdc["total"]["firstConsultation"]["count"], 0);
    assert_eq!(certdc["total"]["firstConsultation"]["medianSeconds"], Value::Null);
    let last = certdc["months"].as_array().unwrap().last().unwrap();
    assert_eq!((last["month"].as_str(), last["transmitted"].as_i64()), (Some(month.as_str()), Some(1)));
    assert_eq!(procedure(&page, "STRICTDEMO")["total"]["transmitted"], 0, "a procedure without dossiers");

    // The agent opens the dossier (its first consultation), then confirms its reception.
    let agent = t.sign_in("agent@mairie-a.example", "Agent-Test-2026!").await;
    assert_eq!(get(&t, &agent, &format!("/cases/{case_a}")).await.0, 200);
    assert_eq!(get(&t, &agent, &format!("/cases/{case_a}")).await.0, 200, "a second one counts for nothing");
    let (status, _) = answer(
        t.portal_as(&agent, Method::POST, &format!("/cases/{case_a}/status"))
            .json(&json!({"action": "CONFIRM_RECEPTION"}))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, 200);
    let (_, page) = get(&t, &admin, "/statistics?processCode=CERTDC").await;
    assert_eq!(page["procedures"].as_array().unwrap().len(), 1, "one procedure asked");
    let total = &page["total"];
    assert_eq!(total["transmitted"], 1);
    assert_eq!(
        (total["byStatus"]["HUBEE_NOTIFIED"].as_i64(), total["byStatus"]["SI_RECEIVED"].as_i64()),
        (Some(0), Some(1))
    );
    assert_eq!(total["firstConsultation"]["count"], 1);
    assert!(total["firstConsultation"]["medianSeconds"].as_i64().is_some_and(|s| s >= 0), "{total}");
    assert_eq!(total["finalStatus"]["count"], 0);

    // Months before the dossier: nothing.
    let (_, page) = get(&t, &admin, "/statistics?from=2025-01&to=2025-03").await;
    assert_eq!(page["total"]["transmitted"], 0);
    assert_eq!(page["months"].as_array().unwrap().len(), 3);

    // The CSV file: one line per procedure and month, the same figures.
    let rows =
        csv_rows(t.portal_as(&admin, Method::GET, "/statistics.csv?processCode=CERTDC").send().await.unwrap()).await;
    assert_eq!(rows[0][..4], ["Démarche", "Code démarche", "Mois", "Dossiers transmis"]);
    assert_eq!(rows.len(), 1 + 12, "{rows:?}");
    let row = rows.iter().find(|r| r[2] == month).unwrap().clone();
    assert_eq!(cell(&rows, &row, "Dossiers transmis"), "1");
    assert_eq!(cell(&rows, &row, "Reçus"), "1");
    assert_eq!(cell(&rows, &row, "Nouveaux"), "0");
    assert_eq!(cell(&rows, &row, "Premières consultations"), "1");
    assert_eq!(cell(&rows, &row, "E-mails envoyés"), "1");

    // The national administrator: both organisations' dossiers, or one's, or one operator's.
    let national = t.sign_in(NATIONAL_ADMIN, NATIONAL_ADMIN_PASSWORD).await;
    let (status, page) = get(&t, &national, "/national/statistics").await;
    assert_eq!(status, 200, "{page}");
    assert_eq!(page["scope"]["kind"], "NATIONAL");
    let certdc = procedure(&page, "CERTDC");
    assert_eq!(certdc["total"]["transmitted"], 2);
    assert_eq!(certdc["total"]["byStatus"]["SI_RECEIVED"], 1);
    assert_eq!(procedure(&page, "EtatCivil")["total"]["transmitted"], 0, "every procedure is listed");
    let b = format!("/national/statistics?siret={}&branchCode={}", MAIRIE_B.0, MAIRIE_B.1);
    let (_, page) = get(&t, &national, &b).await;
    assert_eq!(
        (page["scope"]["kind"].as_str(), page["scope"]["name"].as_str()),
        (Some("ORGANISATION"), Some("Mairie B"))
    );
    assert_eq!(page["total"]["transmitted"], 1);
    assert_eq!(page["total"]["byStatus"]["HUBEE_NOTIFIED"], 1);
    let (_, page) = get(&t, &national, &format!("/national/statistics?operator={OPERATOR_SIRET}-00000")).await;
    assert_eq!((page["scope"]["kind"].as_str(), page["scope"]["name"].as_str()), (Some("OPERATOR"), Some("DGS")));
    assert_eq!(page["total"]["transmitted"], 2);
    assert_eq!(page["total"]["emailsSent"], 0, "e-mails are not counted per operator");
    let (_, page) = get(&t, &national, &format!("/national/statistics?operator={OTHER_OPERATOR_SIRET}-00000")).await;
    assert_eq!(page["total"]["transmitted"], 0, "another operator deposited nothing");
    let (_, page) = get(&t, &national, "/national/statistics?processCode=EtatCivil").await;
    assert_eq!((page["procedures"].as_array().unwrap().len(), page["total"]["transmitted"].as_i64()), (1, Some(0)));
    let rows = csv_rows(
        t.portal_as(&national, Method::GET, "/national/statistics.csv?processCode=CERTDC").send().await.unwrap(),
    )
    .await;
    let row = rows.iter().find(|r| r[2] == month).unwrap().clone();
    assert_eq!(cell(&rows, &row, "Dossiers transmis"), "2");
    assert_eq!(cell(&rows, &row, "Nouveaux"), "1");
}

#[tokio::test]
async fn wrong_filters_are_refused_and_nobody_else_reads_the_figures() {
    let t = TestHub::spawn().await;
    let admin = t.sign_in(PORTAL_ADMIN, PORTAL_ADMIN_PASSWORD).await;
    let national = t.sign_in(NATIONAL_ADMIN, NATIONAL_ADMIN_PASSWORD).await;
    for path in [
        "/statistics?from=2025-06&to=2025-01",
        "/statistics?from=2020-01&to=2025-12",
        "/statistics?to=june",
        "/statistics?siret=1",
    ] {
        let (status, body) = get(&t, &admin, path).await;
        assert_eq!(status, 400, "{path}: {body}");
    }
    let both =
        format!("/national/statistics?siret={}&branchCode={}&operator={OPERATOR_SIRET}-00000", MAIRIE_B.0, MAIRIE_B.1);
    for path in [
        "/national/statistics?siret=21000005908301",
        both.as_str(),
        "/national/statistics?operator=DGS",
        "/national/statistics?from=2025-13",
        "/national/statistics?organisation=x",
    ] {
        let (status, body) = get(&t, &national, path).await;
        assert_eq!(status, 400, "{path}: {body}");
    }
    // Another organisation's figures, the national ones: not for a local administrator.
    let other = format!("/statistics?organisation={}-{}", MAIRIE_B.0, MAIRIE_B.1);
    assert_eq!(get(&t, &admin, &other).await.0, 403);
    assert_eq!(get(&t, &admin, "/national/statistics").await.0, 403);
    assert_eq!(get(&t, &admin, "/national/statistics.csv").await.0, 403);
    // An agent: 403 before its query is read.
    let agent = t.sign_in("agent@mairie-a.example", "Agent-Test-2026!").await;
    assert_eq!(get(&t, &agent, "/statistics?from=nope").await.0, 403);
    assert_eq!(get(&t, &agent, "/statistics.csv").await.0, 403);
    assert_eq!(answer(t.portal(Method::GET, "/statistics").send().await.unwrap()).await.0, 401);
}
