//! Operator-side steps shared by the suites: the CERTDC kit as a folder, its uploads and

#![allow(clippy::unwrap_used)] // Test support: a failed step is a failed test.
//! completion.

use reqwest::Method;
use serde_json::{Value, json};

use crate::{MAIRIE_A, MAIRIE_B, TestHub, answer, recipient, sample};

pub const DD_PDF: &str = "ER20190860001_20190517_1512_DD.pdf";
pub const DD_XML: &str = "ER20190860001_20190517_1512_DD.xml";
pub const VA_PDF: &str = "ER20190860001_20190517_1512_VA.pdf";
pub const VA_XML: &str = "ER20190860001_20190517_1512_VA.xml";

/// A sample file: name, MIME type, bytes.
pub type File = (String, String, Vec<u8>);

/// The CERTDC kit as a folder for Mairie A (case `C-A`) and Mairie B (case `C-B`): four
/// attachments, the first sent to both cases, the next two to A, the last to B.
pub fn certdc_folder(external_id: &str) -> (Value, Vec<File>) {
    let files: Vec<_> = [VA_PDF, VA_XML, DD_PDF, DD_XML].iter().map(|n| sample("CERTDC", n)).collect();
    let recipients = [json!(["C-A", "C-B"]), json!(["C-A"]), json!(["C-A"]), json!(["C-B"])];
    let attachments: Vec<Value> = files
        .iter()
        .zip(recipients)
        .map(|((name, mime, bytes), rec)| {
            json!({"fileName": name, "type": if name.contains("_VA") { "VA_CertificatdeDeces" } else { "DD_CertificatdeDeces" },
                   "size": bytes.len(), "mimeType": mime, "recipients": rec})
        })
        .collect();
    let body = json!({
        "externalId": external_id,
        "processCode": "CERTDC",
        "applicant": {"firstName": "Camille", "lastName": "TESTEUR", "email": null},
        "cases": [
            {"externalId": "C-A", "recipient": recipient(MAIRIE_A)},
            {"externalId": "C-B", "recipient": recipient(MAIRIE_B)}
        ],
        "attachments": attachments
    });
    (body, files)
}

pub async fn create(t: &TestHub, token: &str, body: &Value) -> (u16, Value) {
    answer(t.api(token, Method::POST, "/folders").json(body).send().await.unwrap()).await
}

/// `PUT` of the binary of the folder's attachment number `index`.
pub async fn upload(
    t: &TestHub,
    token: &str,
    folder: &Value,
    index: usize,
    bytes: Vec<u8>,
    digest: Option<String>,
) -> (u16, Value) {
    let path = format!(
        "/folders/{}/attachments/{}",
        folder["id"].as_str().unwrap(),
        folder["attachments"][index]["id"].as_str().unwrap()
    );
    let mut req = t.api(token, Method::PUT, &path).header("content-type", "application/octet-stream").body(bytes);
    if let Some(d) = digest {
        req = req.header("digest", d);
    }
    answer(req.send().await.unwrap()).await
}

pub async fn get_folder(t: &TestHub, token: &str, id: &str) -> (u16, Value) {
    answer(t.api(token, Method::GET, &format!("/folders/{id}")).send().await.unwrap()).await
}

pub async fn patch_folder(t: &TestHub, token: &str, id: &str, body: Value) -> (u16, Value) {
    answer(t.api(token, Method::PATCH, &format!("/folders/{id}")).json(&body).send().await.unwrap()).await
}

/// Creates, uploads every file and completes: the folder as the operator then sees it.
pub async fn deposit(t: &TestHub, token: &str, body: &Value, files: &[File]) -> Value {
    let (status, folder) = create(t, token, body).await;
    assert_eq!(status, 201, "{folder}");
    for (i, (_, _, bytes)) in files.iter().enumerate() {
        assert_eq!(upload(t, token, &folder, i, bytes.clone(), None).await.0, 204);
    }
    let id = folder["id"].as_str().unwrap();
    assert_eq!(patch_folder(t, token, id, json!({"globalStatus": "HUBEE_COMPLETED"})).await.0, 204);
    get_folder(t, token, id).await.1
}
