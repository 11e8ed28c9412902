//! The HTTP edge's security controls, black-box (docs/security/http.md): JSON bodies must say
//! they are JSON, the portal refuses cross-site requests carrying a session, downloading
//! everything is a POST behind the CSRF token, logs name routes and never the addresses in
//! paths, the session cookie is `__Host-` prefixed, and zip manifests neutralise formulas.

#![allow(clippy::unwrap_used, clippy::expect_used)] // Test code: a failed step is a failed test.

use std::sync::{Arc, Mutex};

use hubee_shared::testkit::unzip;
use hubee_tests::{folders::*, *};
use reqwest::Method;
use serde_json::{Value, json};

const AGENT: &str = "agent@mairie-a.example";
const AGENT_PASSWORD: &str = "Agent-Test-2026!";
const UNSUPPORTED: &str = "Unsupported Media Type: the body must be application/json";
const CROSS_SITE: &str = "Cross-site request refused";
/// A well-formed id, for routes whose body is refused before the id is looked up.
const SOME_ID: &str = "00000000-0000-4000-8000-000000000000";

/// A dossier of the CERTDC kit for Mairie A: its case id, and the operator's token.
async fn dossier_for_mairie_a(t: &TestHub, external_id: &str) -> (String, String) {
    let op = t.operator_token().await;
    let (body, files) = certdc_folder(external_id);
    let folder = deposit(t, &op, &body, &files).await;
    (folder["cases"][0]["id"].as_str().unwrap().to_owned(), op)
}

async fn history_kinds(t: &TestHub, s: &PortalSession, case: &str) -> Vec<String> {
    let (status, history) =
        answer(t.portal_as(s, Method::GET, &format!("/cases/{case}/history")).send().await.unwrap()).await;
    assert_eq!(status, 200, "{history}");
    history["entries"].as_array().unwrap().iter().map(|e| e["kind"].as_str().unwrap().to_owned()).collect()
}

// ---------------------------------------------------------------------------------------------
// Finding 6: JSON bodies must be labelled JSON
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn every_route_taking_json_answers_415_to_a_body_not_labelled_json() {
    let t = TestHub::spawn().await;
    let session = t.sign_in(PORTAL_ADMIN, PORTAL_ADMIN_PASSWORD).await;
    let (op, si, datapass) = (t.operator_token().await, t.si_token().await, t.datapass_token().await);

    // What a cross-site HTML form can send without a CORS preflight: JSON text as text/plain.
    let refused = |r: reqwest::RequestBuilder| async move {
        let (status, body) =
            answer(r.header("content-type", "text/plain;charset=UTF-8").body("{}").send().await.unwrap()).await;
        (status, first_error(&body))
    };
    let expected = (415, (415, UNSUPPORTED.to_owned()));

    // Every portal operation the OpenAPI document describes with a JSON body, with the session.
    let doc: Value = serde_json::from_str(hubee_auth::PORTAL_OPENAPI).unwrap();
    let mut portal = 0;
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            if op["requestBody"]["content"]["application/json"].is_null() {
                continue;
            }
            let concrete: Vec<&str> =
                path.split('/').map(|seg| if seg.starts_with('{') { SOME_ID } else { seg }).collect();
            let method = Method::from_bytes(method.to_uppercase().as_bytes()).unwrap();
            let path = concrete.join("/");
            let r = t.portal_as(&session, method.clone(), path.trim_start_matches("/portail/v1"));
            assert_eq!(refused(r).await, expected, "{method} {path}");
            portal += 1;
        }
    }
    assert!(portal >= 15, "the document lists the portal's JSON operations ({portal})");

    // The HubEE API and the referential.
    let api = [
        (&op, Method::POST, "/teledossiers/v1/folders".to_owned()),
        (&op, Method::PATCH, format!("/teledossiers/v1/folders/{SOME_ID}")),
        (&op, Method::POST, format!("/teledossiers/v1/folders/{SOME_ID}")),
        (&si, Method::PATCH, format!("/teledossiers/v1/cases/{SOME_ID}")),
        (&si, Method::POST, format!("/teledossiers/v1/cases/{SOME_ID}")),
        (&si, Method::POST, format!("/teledossiers/v1/cases/{SOME_ID}/events")),
        (&si, Method::PATCH, format!("/teledossiers/v1/cases/{SOME_ID}/events/{SOME_ID}")),
        (&si, Method::POST, format!("/teledossiers/v1/cases/{SOME_ID}/events/{SOME_ID}")),
        (&datapass, Method::POST, "/referential/v1/subscriptions".to_owned()),
        (&datapass, Method::PUT, format!("/referential/v1/subscriptions/{SOME_ID}")),
    ];
    for (token, method, path) in api {
        let r = t.request(method.clone(), &path).bearer_auth(token).header("x-http-method-override", "PATCH");
        assert_eq!(refused(r).await, expected, "{method} {path}");
    }

    // Login CSRF: a cross-site form cannot open a session, nor send a code or a reset e-mail.
    let (status, challenge) = t.portal_password(AGENT, AGENT_PASSWORD).await;
    assert_eq!(status, 200);
    let code = t.sign_in_code(AGENT, 1).await;
    let form = json!({"challengeId": challenge["challengeId"], "code": code}).to_string();
    let r =
        t.portal(Method::POST, "/session/otp").header("content-type", "text/plain").body(form).send().await.unwrap();
    assert!(session_cookie_of(&r).is_none(), "no session opened");
    assert_eq!(r.status(), 415);
    let r = t.portal(Method::POST, "/session").header("content-type", "text/plain");
    let body = json!({"email": AGENT, "password": AGENT_PASSWORD}).to_string();
    assert_eq!(r.body(body.clone()).send().await.unwrap().status(), 415);
    let r = t.portal(Method::POST, "/password/forgotten").header("content-type", "application/x-www-form-urlencoded");
    assert_eq!(r.body(json!({"email": AGENT}).to_string()).send().await.unwrap().status(), 415);
    // No Content-Type at all (an empty body included) is not JSON either.
    assert_eq!(t.portal(Method::POST, "/session").send().await.unwrap().status(), 415);
    assert_eq!(t.emails_with_subject(AGENT, SIGN_IN_SUBJECT).len(), 1, "only the code asked for above");
    assert!(t.emails_with_subject(AGENT, RESET_SUBJECT).is_empty());

    // JSON with parameters, or a +json type, is read.
    let r = t.portal(Method::POST, "/session").header("content-type", "application/json; charset=utf-8");
    assert_eq!(r.body(body.clone()).send().await.unwrap().status(), 200);
    let r = t.portal(Method::POST, "/session").header("content-type", "Application/Vnd.Hubee+JSON");
    assert_eq!(r.body(body).send().await.unwrap().status(), 200);
}

// ---------------------------------------------------------------------------------------------
// Finding 7: fetch metadata
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn a_cross_site_request_carrying_a_session_is_refused_before_it_reads_or_records_anything() {
    let t = TestHub::spawn().await;
    let (case, _) = dossier_for_mairie_a(&t, "DGS-CERTDC-0901").await;
    let agent = t.sign_in(AGENT, AGENT_PASSWORD).await;
    let refused = |r: reqwest::RequestBuilder| async move {
        let (status, body) = answer(r.send().await.unwrap()).await;
        (status, first_error(&body))
    };
    let expected = (403, (403, CROSS_SITE.to_owned()));

    // The dossier page records a consultation: not when another site asks for it.
    let page = format!("/cases/{case}");
    for (name, value) in [("sec-fetch-site", "cross-site"), ("sec-fetch-site", "same-site"), ("origin", "null")] {
        let r = t.portal_as(&agent, Method::GET, &page).header(name, value);
        assert_eq!(refused(r).await, expected, "{name}: {value}");
    }
    assert!(!history_kinds(&t, &agent, &case).await.contains(&"CONSULTED".to_owned()), "nothing recorded");

    // A state change with the right CSRF token, from a foreign origin.
    let comment = json!({"text": "écrit par un autre site"});
    for origin in ["https://evil.example", t.base.replace("127.0.0.1", "localhost").as_str()] {
        let r = t.portal_as(&agent, Method::POST, &format!("/cases/{case}/comments")).header("origin", origin);
        assert_eq!(refused(r.json(&comment)).await, expected, "{origin}");
    }
    assert!(!history_kinds(&t, &agent, &case).await.contains(&"COMMENT".to_owned()), "no comment written");

    // The front itself, a person typing the address, and clients sending neither header pass.
    let same = t.portal_as(&agent, Method::GET, &page).header("sec-fetch-site", "same-origin");
    assert_eq!(same.send().await.unwrap().status(), 200);
    let typed = t.portal_as(&agent, Method::GET, "/me").header("sec-fetch-site", "none");
    assert_eq!(typed.send().await.unwrap().status(), 200);
    let r = t.portal_as(&agent, Method::POST, &format!("/cases/{case}/comments")).header("origin", &t.base);
    assert_eq!(r.header("sec-fetch-site", "same-origin").json(&comment).send().await.unwrap().status(), 201);
    assert_eq!(t.portal_as(&agent, Method::GET, "/me").send().await.unwrap().status(), 200);

    // Without a session there is nothing to ride on: signing in from a link elsewhere is fine.
    let r = t.portal(Method::POST, "/session").header("sec-fetch-site", "cross-site");
    let r = r.json(&json!({"email": AGENT, "password": AGENT_PASSWORD})).send().await.unwrap();
    assert_eq!(r.status(), 200);
}

// ---------------------------------------------------------------------------------------------
// Finding 8: no state change on GET
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn downloading_everything_is_a_post_with_the_csrf_token_and_a_get_changes_nothing() {
    let t = TestHub::spawn().await;
    let (case, op) = dossier_for_mairie_a(&t, "DGS-CERTDC-0902").await;
    let agent = t.sign_in(AGENT, AGENT_PASSWORD).await;
    let archive = format!("/cases/{case}/archive");
    let status_of = || async {
        let (_, page) = answer(t.portal_as(&agent, Method::GET, &format!("/cases/{case}")).send().await.unwrap()).await;
        page["status"].as_str().unwrap().to_owned()
    };
    let operator_events = || async {
        let (_, read) = answer(t.api(&op, Method::GET, &format!("/cases/{case}")).send().await.unwrap()).await;
        read["events"].as_array().unwrap().len()
    };
    let confirm = t.portal_as(&agent, Method::POST, &format!("/cases/{case}/status"));
    assert_eq!(confirm.json(&json!({"action": "CONFIRM_RECEPTION"})).send().await.unwrap().status(), 200);
    let (before, events) = (status_of().await, operator_events().await);
    assert_eq!(before, "SI_RECEIVED");

    // A link or an image elsewhere sends the cookie with a GET: it changes nothing.
    let r = t.portal_cookie(&agent.cookie, Method::GET, &archive).send().await.unwrap();
    assert_eq!(r.status(), 405);
    let r = t.portal_cookie(&agent.cookie, Method::POST, &archive).send().await.unwrap();
    assert_eq!(r.status(), 403, "a POST needs the CSRF token");
    assert_eq!((status_of().await, operator_events().await), (before.clone(), events));
    assert!(!history_kinds(&t, &agent, &case).await.contains(&"DOWNLOADED_ALL".to_owned()));

    // The front's POST, with the token: the zip, and the dossier is En cours.
    let r = t.portal_as(&agent, Method::POST, &archive).send().await.unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["content-type"], "application/zip");
    assert!(!unzip(r.bytes().await.unwrap().to_vec()).await.is_empty());
    assert_eq!(status_of().await, "IN_PROGRESS");
    assert_eq!(operator_events().await, events + 1, "the operator hears of it (ATTACH_DL_ALL)");
}

// ---------------------------------------------------------------------------------------------
// Finding 10: no personal data in logs
// ---------------------------------------------------------------------------------------------

/// Log lines written into memory, as the hub's JSON logs are (the span's fields on every line).
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Captured {
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap()).into_owned()
    }
}

// A current-thread runtime (the default): the hub's tasks run on this thread, so the
// subscriber set for the test's scope sees every line they log, and no other test's.
#[tokio::test(flavor = "current_thread")]
async fn log_lines_name_the_route_and_never_the_addresses_in_paths_or_queries() {
    use tracing_subscriber::{filter::LevelFilter, layer::SubscriberExt};

    let logs = Captured::default();
    let writer = logs.clone();
    let subscriber = tracing_subscriber::registry()
        .with(
            tracing_subscriber::fmt::layer()
                .json()
                .with_current_span(true)
                .with_span_list(true)
                .with_writer(move || writer.clone()),
        )
        .with(LevelFilter::DEBUG);
    // While a single dispatcher exists, tracing-core takes a callsite's interest from the
    // subscriber of the thread that reaches it first: another test's thread (no subscriber)
    // would switch the hub's spans off for this one too. A second, silent dispatcher makes it
    // ask every dispatcher instead.
    let _second = tracing::Dispatch::new(tracing::subscriber::NoSubscriber::default());
    let _scope = tracing::subscriber::set_default(subscriber);

    let t = TestHub::spawn().await;
    let admin = t.sign_in(PORTAL_ADMIN, PORTAL_ADMIN_PASSWORD).await;
    let reader = "lecteur@mairie-a.example";
    let absent = "personne.inconnue@mairie-a.example";
    let requests = [
        (Method::GET, format!("/accounts/{AGENT}")),
        (Method::GET, format!("/accounts/{}", AGENT.replace('@', "%40"))),
        (Method::GET, format!("/accounts/{absent}")),
        (Method::POST, format!("/accounts/{reader}/suspension")),
        (Method::DELETE, format!("/accounts/{}/suspension", reader.replace('@', "%40"))),
        (Method::GET, format!("/accounts?email={absent}")),
        (Method::GET, format!("/nowhere/{absent}")),
    ];
    let mut answered = Vec::new();
    for (method, path) in &requests {
        answered.push(t.portal_as(&admin, method.clone(), path).send().await.unwrap().status().as_u16());
    }
    let api = t.request(Method::GET, &format!("/teledossiers/v1/notifications?to={absent}")).send().await.unwrap();
    answered.push(api.status().as_u16());
    assert_eq!(answered, [200, 200, 404, 200, 200, 400, 404, 401], "the requests were served");

    let text = logs.text();
    for address in [AGENT, reader, absent] {
        for written in [address.to_owned(), address.replace('@', "%40")] {
            let lines: Vec<&str> = text.lines().filter(|l| l.contains(&written)).collect();
            assert!(lines.is_empty(), "{written} is in the logs:\n{}", lines.join("\n"));
        }
    }
    // The lines were captured, and name what was asked for.
    assert!(text.contains("\"route\":\"/portail/v1/accounts/{email}\""), "the route template is logged:\n{text}");
    assert!(text.contains("\"route\":\"/portail/v1/accounts/{email}/suspension\""), "{text}");
}

// ---------------------------------------------------------------------------------------------
// Finding 13: the session cookie's prefix
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn the_session_cookie_is_a_host_prefixed_cookie_and_the_old_name_opens_nothing() {
    let t = TestHub::spawn().await;
    let (status, challenge) = t.portal_password(AGENT, AGENT_PASSWORD).await;
    assert_eq!(status, 200);
    let code = t.sign_in_code(AGENT, 1).await;
    let r = t.portal_code(&challenge["challengeId"], &code).await;
    let set_cookie = r.headers()["set-cookie"].to_str().unwrap().to_owned();
    let attributes: Vec<&str> = set_cookie.split(';').map(str::trim).collect();
    assert!(attributes[0].starts_with("__Host-hubee_session="), "{set_cookie}");
    assert!(attributes.contains(&"Secure") && attributes.contains(&"Path=/"), "{set_cookie}");
    assert!(!attributes.iter().any(|a| a.to_ascii_lowercase().starts_with("domain")), "{set_cookie}");
    let value = session_cookie_of(&r).unwrap();

    let me =
        |cookie: String| async { t.portal(Method::GET, "/me").header("cookie", cookie).send().await.unwrap().status() };
    assert_eq!(me(format!("__Host-hubee_session={value}")).await, 200);
    assert_eq!(me(format!("hubee_session={value}")).await, 401, "a cookie without the prefix is not the session");
}

// ---------------------------------------------------------------------------------------------
// Finding 15: formulas in zip manifests
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn a_file_name_an_operator_chose_as_a_formula_is_text_in_the_manifest() {
    let t = TestHub::spawn().await;
    let op = t.operator_token().await;
    let (mut body, files) = certdc_folder("DGS-CERTDC-0903");
    // The kit's files are a PDF, an XML, a PDF, an XML: the names keep their extensions. (In the
    // zip, `/` and `:` become `_`.)
    let formulas = ["=HYPERLINK(\"http://evil.example\",\"Ouvrir\").pdf", "+1+1.xml", "-1+1.pdf", "@SUM(1).xml"];
    for (attachment, name) in body["attachments"].as_array_mut().unwrap().iter_mut().zip(formulas) {
        attachment["fileName"] = json!(name);
    }
    let folder = deposit(&t, &op, &body, &files).await;
    let case = folder["cases"][0]["id"].as_str().unwrap();
    let agent = t.sign_in(AGENT, AGENT_PASSWORD).await;

    let r = t.portal_as(&agent, Method::POST, "/archives").json(&json!({"caseIds": [case]})).send().await.unwrap();
    assert_eq!(r.status(), 200);
    let entries = unzip(r.bytes().await.unwrap().to_vec()).await;
    let manifest = String::from_utf8(entries[0].1.clone()).unwrap();
    let cells: Vec<&str> = manifest.lines().skip(1).map(|l| l.split(';').next().unwrap()).collect();
    // Mairie A gets the first three files.
    // Quoted too: the `,` would start a new cell in a spreadsheet splitting on commas.
    assert_eq!(
        cells,
        ["\"'=HYPERLINK(\"\"http___evil.example\"\",\"\"Ouvrir\"\").pdf\"", "'+1+1.xml", "'-1+1.pdf"],
        "{manifest}"
    );
    // The zip's entries keep the operator's names.
    let names: Vec<&str> = entries.iter().map(|e| e.0.as_str()).collect();
    assert!(names.contains(&"+1+1.xml") && names.contains(&"-1+1.pdf"), "{names:?}");
}

// ---------------------------------------------------------------------------------------------
// A request refused before its body is read: the client reads the answer, the connection lives
// ---------------------------------------------------------------------------------------------

/// Sends one request on `conn` (a keep-alive connection) and reads its response: the status and
/// the body. An error when the hub cut the connection instead.
async fn over(
    conn: &mut tokio::io::BufReader<tokio::net::TcpStream>,
    head: &str,
    body: &[u8],
) -> std::io::Result<(u16, String)> {
    use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt};
    conn.get_mut().write_all(format!("{head}content-length: {}\r\n\r\n", body.len()).as_bytes()).await?;
    conn.get_mut().write_all(body).await?;
    let mut line = String::new();
    conn.read_line(&mut line).await?;
    let status = line.split(' ').nth(1).and_then(|s| s.parse().ok()).ok_or(std::io::ErrorKind::UnexpectedEof)?;
    let mut length = 0;
    loop {
        line.clear();
        conn.read_line(&mut line).await?;
        if line.trim().is_empty() {
            break;
        }
        if let Some((name, value)) = line.split_once(':')
            && name.eq_ignore_ascii_case("content-length")
        {
            length = value.trim().parse().unwrap();
        }
    }
    let mut answer = vec![0; length];
    conn.read_exact(&mut answer).await?;
    Ok((status, String::from_utf8(answer).unwrap()))
}

#[tokio::test]
async fn a_refused_upload_is_answered_on_a_connection_that_stays_open() {
    let t = TestHub::spawn().await;
    let op = t.operator_token().await;
    let (body, files) = certdc_folder("DGS-CERTDC-0904");
    let folder = deposit(&t, &op, &body, &files).await;
    let path = format!(
        "/teledossiers/v1/folders/{}/attachments/{}",
        folder["id"].as_str().unwrap(),
        folder["attachments"][0]["id"].as_str().unwrap()
    );
    let host = t.base.trim_start_matches("http://");
    let mut conn = tokio::io::BufReader::new(tokio::net::TcpStream::connect(host).await.unwrap());
    // Larger than the socket buffers take at once: the hub has to read it.
    let binary = vec![b'%'; 768 * 1024];

    // Without a token, then for an attachment already received: each refused before the hub
    // reads a byte of the binary, each answered, and the connection carries the next request.
    let put = |auth: &str| format!("PUT {path} HTTP/1.1\r\nhost: {host}\r\n{auth}content-type: application/pdf\r\n");
    let (status, err) = over(&mut conn, &put(""), &binary).await.expect("the 401 is read");
    assert_eq!(status, 401, "{err}");
    let (status, err) =
        over(&mut conn, &put(&format!("authorization: Bearer {op}\r\n")), &binary).await.expect("the 400 is read");
    assert_eq!(status, 400, "{err}");
    assert!(err.contains("cannot be uploaded again"), "{err}");
    let (status, _) = over(&mut conn, &format!("GET /health HTTP/1.1\r\nhost: {host}\r\n"), b"")
        .await
        .expect("the connection is still open");
    assert_eq!(status, 200);
    let (_, stored) = get_folder(&t, &op, folder["id"].as_str().unwrap()).await;
    assert_eq!(stored["attachments"][0]["status"], "RECEIVED", "the refused uploads changed nothing");
}
