//! The portal's CSV exports, black-box against the local hub: the inbox with its filters (every
//! page of it), the accounts and the subscriptions lists, each as a French spreadsheet opens
//! it — a byte order mark, `;`, a header, one row per item of the JSON list — with formulas
//! made harmless, and for the people who may read the list only.

#![allow(clippy::unwrap_used, clippy::expect_used)] // Test code: a failed step is a failed test.

use hubee_tests::{folders::*, *};
use reqwest::{Method, Response};
use serde_json::{Value, json};

async fn get(t: &TestHub, s: &PortalSession, path: &str) -> (u16, Value) {
    answer(t.portal_as(s, Method::GET, path).send().await.unwrap()).await
}

/// The rows of a CSV export (the header first), after checking what makes it a file a French
/// spreadsheet opens as it is: the headers of a download, a byte order mark, CRLF lines.
async fn csv_rows(r: Response, list: &str) -> Vec<Vec<String>> {
    assert_eq!(r.status(), 200, "{list}");
    assert_eq!(r.headers()["content-type"], "text/csv; charset=utf-8");
    assert_eq!(r.headers()["cache-control"], "no-store");
    let disposition = r.headers()["content-disposition"].to_str().unwrap().to_owned();
    let name = disposition.strip_prefix(&format!("attachment; filename=\"{list}-")).expect(&disposition);
    let (day, rest) = name.split_at(10);
    assert!(rest.starts_with(".csv\""), "{disposition}");
    assert!(chrono::NaiveDate::parse_from_str(day, "%Y-%m-%d").is_ok(), "{disposition}");
    let bytes = r.bytes().await.unwrap();
    assert_eq!(&bytes[..3], b"\xEF\xBB\xBF", "a UTF-8 byte order mark");
    let text = std::str::from_utf8(&bytes[3..]).unwrap();
    assert!(text.ends_with("\r\n"), "{text}");
    parse_csv(text)
}

fn column(rows: &[Vec<String>], name: &str) -> Vec<String> {
    let i = rows[0].iter().position(|h| h == name).unwrap_or_else(|| panic!("{name} in {:?}", rows[0]));
    rows[1..].iter().map(|r| r[i].clone()).collect()
}

/// A CERTDC folder for Mairie A and B whose cases are numbered `number` (and `number-B`), for
/// the person `last_name`.
fn folder(external_id: &str, number: &str, last_name: &str) -> (Value, Vec<File>) {
    let (body, files) = certdc_folder(external_id);
    let text = body
        .to_string()
        .replace("\"C-A\"", &json!(number).to_string())
        .replace("\"C-B\"", &json!(format!("{number}-B")).to_string());
    let mut body: Value = serde_json::from_str(&text).unwrap();
    body["applicant"]["lastName"] = json!(last_name);
    (body, files)
}

#[tokio::test]
async fn the_inbox_export_lists_every_dossier_its_filters_select_with_formulas_made_harmless() {
    let t = TestHub::spawn().await;
    let op = t.operator_token().await;
    for (external_id, number, name) in [
        ("DGS-CSV-1", "CSV-0001", "Testeur"),
        ("DGS-CSV-2", "-1+2", "=HYPERLINK(\"http://evil.example\")"),
        ("DGS-CSV-3", "CSV-0003", "Testeur"),
    ] {
        let (body, files) = folder(external_id, number, name);
        deposit(&t, &op, &body, &files).await;
    }
    let agent = t.sign_in("agent@mairie-a.example", "Agent-Test-2026!").await;
    let (_, first) = get(&t, &agent, "/cases?q=CSV-0003").await;
    let received = first["items"][0]["id"].as_str().unwrap().to_owned();
    let r = t.portal_as(&agent, Method::POST, &format!("/cases/{received}/status"));
    assert_eq!(r.json(&json!({"action": "CONFIRM_RECEPTION"})).send().await.unwrap().status(), 200);

    // The JSON inbox, a dossier per page.
    let mut listed = Vec::new();
    let mut path = "/cases?limit=1".to_owned();
    loop {
        let (status, page) = get(&t, &agent, &path).await;
        assert_eq!(status, 200, "{page}");
        listed.extend(page["items"].as_array().unwrap().iter().cloned());
        match page["nextCursor"].as_str() {
            Some(c) => path = format!("/cases?limit=1&cursor={c}"),
            None => break,
        }
    }
    assert_eq!(listed.len(), 3);

    let rows = csv_rows(t.portal_as(&agent, Method::GET, "/cases.csv").send().await.unwrap(), "teledossiers").await;
    assert_eq!(
        rows[0],
        [
            "N° de télédossier",
            "Démarche",
            "Code démarche",
            "Statut",
            "Personne concernée",
            "Transmis le",
            "Mis à jour le"
        ]
    );
    let numbers: Vec<String> = listed.iter().map(|i| i["number"].as_str().unwrap().to_owned()).collect();
    let exported: Vec<String> = column(&rows, "N° de télédossier").iter().map(|n| n.replace('\'', "")).collect();
    assert_eq!(exported, numbers, "every page, in the inbox's order");
    assert!(column(&rows, "Démarche").iter().all(|d| d == "Certificat de décès électronique"));
    let statuses = column(&rows, "Statut");
    assert_eq!(statuses.iter().filter(|s| *s == "Reçu").count(), 1, "{statuses:?}");
    assert_eq!(statuses.iter().filter(|s| *s == "Nouveau").count(), 2, "{statuses:?}");
    assert!(column(&rows, "Transmis le").iter().all(|d| d.len() == 16 && d.as_bytes()[2] == b'/'), "{rows:?}");

    // A formula in a value is shown as text, never run.
    let formula = rows.iter().find(|r| r[0] == "'-1+2").expect("the number, made text");
    assert_eq!(formula[4], "'=HYPERLINK(\"HTTP://EVIL.EXAMPLE\") Camille", "the person, as the page names it");
    for row in &rows {
        assert!(row.iter().all(|c| !c.starts_with(['=', '+', '-', '@'])), "{row:?}");
    }

    // The page's filters, and only those.
    let only = |path: &str| {
        let t = &t;
        let agent = &agent;
        let path = path.to_owned();
        async move { csv_rows(t.portal_as(agent, Method::GET, &path).send().await.unwrap(), "teledossiers").await }
    };
    let recu = only("/cases.csv?status=RECU").await;
    assert_eq!(column(&recu, "N° de télédossier"), ["CSV-0003"]);
    assert_eq!(column(&only("/cases.csv?q=testeur").await, "Personne concernée"), ["TESTEUR Camille"; 2]);
    assert_eq!(column(&only("/cases.csv?q=csv-0001").await, "N° de télédossier"), ["CSV-0001"]);
    assert_eq!(only("/cases.csv?processCode=EtatCivil").await.len(), 1, "a procedure it may not see: the header only");
    assert_eq!(only("/cases.csv?from=2000-01-01&to=2000-01-02").await.len(), 1);
    for wrong in ["/cases.csv?cursor=abc", "/cases.csv?limit=5", "/cases.csv?status=TOUS", "/cases.csv?from=hier"] {
        assert_eq!(get(&t, &agent, wrong).await.0, 400, "{wrong}");
    }

    // Mairie B sees its own dossiers only; people without a dossier role, and nobody signed in,
    // get nothing.
    let other = t.sign_in("agent@mairie-b.example", "AgentB-Test-2026!").await;
    let theirs = csv_rows(t.portal_as(&other, Method::GET, "/cases.csv").send().await.unwrap(), "teledossiers").await;
    let mut numbers = column(&theirs, "N° de télédossier");
    numbers.sort();
    assert_eq!(numbers, ["'-1+2-B", "CSV-0001-B", "CSV-0003-B"]);
    let admin = t.sign_in(PORTAL_ADMIN, PORTAL_ADMIN_PASSWORD).await;
    assert_eq!(get(&t, &admin, "/cases.csv").await.0, 403);
    assert_eq!(answer(t.portal(Method::GET, "/cases.csv").send().await.unwrap()).await.0, 401);
}

#[tokio::test]
async fn the_accounts_export_is_the_filtered_list_in_french_without_secrets() {
    let t = TestHub::spawn().await;
    let admin = t.sign_in(PORTAL_ADMIN, PORTAL_ADMIN_PASSWORD).await;
    let created = json!({"actorType": "AGENT", "email": "formule@mairie-a.example", "firstName": "@Ève",
                         "lastName": "=cmd|' /C calc'!A0", "phoneNumber": "+33612345678", "habilitations": ["CERTDC"]});
    let r = t.portal_as(&admin, Method::POST, "/accounts").json(&created).send().await.unwrap();
    assert_eq!(r.status(), 201);

    let (_, list) = get(&t, &admin, "/accounts").await;
    let r = t.portal_as(&admin, Method::GET, "/accounts.csv").send().await.unwrap();
    let rows = csv_rows(r, "comptes").await;
    assert_eq!(
        rows[0],
        ["Nom", "Prénom", "Adresse électronique", "Type d'acteur", "Rôles", "Habilitations démarches", "Statut"]
    );
    let emails: Vec<&str> = list["items"].as_array().unwrap().iter().map(|a| a["email"].as_str().unwrap()).collect();
    assert_eq!(column(&rows, "Adresse électronique"), emails, "the list's accounts, in its order");
    let row = |email: &str| rows.iter().find(|r| r[2] == email).unwrap().clone();
    assert_eq!(
        row("agent@mairie-a.example"),
        [
            "Petit",
            "Bruno",
            "agent@mairie-a.example",
            "Agent",
            "Gestion des télédossiers",
            "Certificat de décès électronique",
            "Actif"
        ]
    );
    let admin_row = row(PORTAL_ADMIN);
    assert_eq!(
        admin_row[3..6],
        ["Administrateur local", "Gestion des utilisateurs, Gestion des abonnements", "Toutes (administrateur local)"]
    );
    assert_eq!(row("formule@mairie-a.example")[..2], ["'=cmd|' /C calc'!A0", "'@Ève"], "formulas made text");
    assert_eq!(row("formule@mairie-a.example")[6], "En attente d'activation");
    let bytes = t.portal_as(&admin, Method::GET, "/accounts.csv").send().await.unwrap().text().await.unwrap();
    assert!(!bytes.contains("argon2") && !bytes.contains("+33612345678"), "no hash, no phone number");

    // The list's filters; its rights.
    let agents = t.portal_as(&admin, Method::GET, "/accounts.csv?actorType=AGENT&active=true").send().await.unwrap();
    let agents = csv_rows(agents, "comptes").await;
    let (_, json_agents) = get(&t, &admin, "/accounts?actorType=AGENT&active=true").await;
    assert_eq!(agents.len() - 1, json_agents["items"].as_array().unwrap().len());
    assert!(column(&agents, "Type d'acteur").iter().all(|a| a == "Agent"));
    assert!(!column(&agents, "Adresse électronique").contains(&PORTAL_ADMIN.to_owned()));
    assert_eq!(get(&t, &admin, "/accounts.csv?organisation=garbage").await.0, 400);
    assert_eq!(get(&t, &admin, "/accounts.csv?password=1").await.0, 400);
    let other = format!("/accounts.csv?organisation={}-{}", MAIRIE_B.0, MAIRIE_B.1);
    assert_eq!(get(&t, &admin, &other).await.0, 403, "another organisation's accounts");
    let agent = t.sign_in("agent@mairie-a.example", "Agent-Test-2026!").await;
    assert_eq!(get(&t, &agent, "/accounts.csv").await.0, 403);
    assert_eq!(answer(t.portal(Method::GET, "/accounts.csv").send().await.unwrap()).await.0, 401);
}

#[tokio::test]
async fn the_subscriptions_export_is_the_list_with_its_organisation() {
    let t = TestHub::spawn().await;
    let admin = t.sign_in(PORTAL_ADMIN, PORTAL_ADMIN_PASSWORD).await;
    let (_, list) = get(&t, &admin, "/subscriptions").await;
    let r = t.portal_as(&admin, Method::GET, "/subscriptions.csv").send().await.unwrap();
    let rows = csv_rows(r, "abonnements").await;
    assert_eq!(
        rows[0],
        [
            "Organisation",
            "SIRET",
            "Opérateur",
            "Démarche",
            "Code démarche",
            "N° DataPass",
            "Modalité d'accès",
            "Délégué technique",
            "Statut",
            "Date d'activation",
            "Date de suspension",
            "Fréquence des notifications",
            "Adresse des notifications"
        ]
    );
    let codes: Vec<&str> =
        list["items"].as_array().unwrap().iter().map(|s| s["processCode"].as_str().unwrap()).collect();
    assert_eq!(column(&rows, "Code démarche"), codes, "the list's subscriptions, in its order");
    let certdc = rows.iter().find(|r| r[4] == "CERTDC").unwrap();
    assert_eq!(certdc[..5], ["Mairie A", MAIRIE_A.0, "DGS", "Certificat de décès électronique", "CERTDC"]);
    assert_eq!(certdc[6..], ["API", "", "Actif", "01/01/2026", "", "Unitaire", "etat-civil@mairie-a.example"]);

    // Who may read the list may export it; nobody else.
    let delegate = t.sign_in("delegue@editeur.example", "Delegue-Test-2026!").await;
    let theirs =
        csv_rows(t.portal_as(&delegate, Method::GET, "/subscriptions.csv").send().await.unwrap(), "abonnements").await;
    assert_eq!(theirs.len(), rows.len());
    assert_eq!(get(&t, &admin, "/subscriptions.csv?all=1").await.0, 400);
    let agent = t.sign_in("agent@mairie-a.example", "Agent-Test-2026!").await;
    assert_eq!(get(&t, &agent, "/subscriptions.csv").await.0, 403);
    assert_eq!(answer(t.portal(Method::GET, "/subscriptions.csv").send().await.unwrap()).await.0, 401);
}
