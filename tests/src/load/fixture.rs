//! The load benchmark's referential and folders: one operator, two mairies with unitary
//! notification e-mails (Mairie A also polls through the API), and folders of two cases with
//! two 48 KiB attachments each.

use bytes::Bytes;
use serde_json::{Value, json};

use crate::{MAIRIE_A, MAIRIE_B, OPERATOR_SIRET, recipient, sha256_base64};

pub const PROCESS: &str = "CERTDC";
pub const ATTACHMENT_SIZE: usize = 48 * 1024;
/// The notification addresses of Mairie A (case `…-A`) and Mairie B (case `…-B`).
pub const EMAIL_A: &str = "etat-civil@mairie-a.example";
pub const EMAIL_B: &str = "deces@mairie-b.example";
pub const OPERATOR_CLIENT: &str = "load-osl";
pub const SI_CLIENT: &str = "load-si-a";

/// The API clients' secrets, generated per run.
pub struct Secrets {
    pub operator: String,
    pub si: String,
}

impl Secrets {
    pub fn generate() -> Self {
        Self { operator: hubee_shared::auth::generate_secret(), si: hubee_shared::auth::generate_secret() }
    }
}

/// The provisioning file (`HUBEE_SEED`).
pub fn provisioning(s: &Secrets) -> Value {
    json!({
        "procedures": [{"code": PROCESS, "title": "Certificat de décès électronique", "operator": "DGS"}],
        "organisations": [
            {"siret": MAIRIE_A.0, "branchCode": MAIRIE_A.1, "name": "Mairie A", "type": "SI"},
            {"siret": MAIRIE_B.0, "branchCode": MAIRIE_B.1, "name": "Mairie B", "type": "SI"},
            {"siret": OPERATOR_SIRET, "branchCode": "00000", "name": "DGS", "type": "OSL", "code": "DGS"}
        ],
        "subscriptions": [
            {"siret": MAIRIE_A.0, "branchCode": MAIRIE_A.1, "processCode": PROCESS, "status": "Actif", "accessMode": "API",
             "notificationFrequency": "unitaire", "email": EMAIL_A, "activateDateTime": "2026-01-01T00:00:00.000Z"},
            {"siret": MAIRIE_B.0, "branchCode": MAIRIE_B.1, "processCode": PROCESS, "status": "Actif", "accessMode": "PORTAIL",
             "notificationFrequency": "unitaire", "email": EMAIL_B, "activateDateTime": "2026-01-01T00:00:00.000Z"}
        ],
        "apiClients": [
            {"clientId": OPERATOR_CLIENT, "clientSecret": s.operator, "scope": "OSL", "siret": OPERATOR_SIRET, "branchCode": "00000"},
            {"clientId": SI_CLIENT, "clientSecret": s.si, "scope": "SI", "siret": MAIRIE_A.0, "branchCode": MAIRIE_A.1, "processCode": PROCESS}
        ]
    })
}

/// The two attachments every folder carries, with their digests (the same bytes each time:
/// the hub stores every upload under its own key).
pub struct Blobs {
    pub bytes: [Bytes; 2],
    pub digests: [String; 2],
}

impl Blobs {
    pub fn new() -> Self {
        let bytes = [blob(0x9E37_79B9_7F4A_7C15), blob(0xD1B5_4A32_D192_ED03)];
        let digests = [sha256_base64(&bytes[0]), sha256_base64(&bytes[1])];
        Self { bytes, digests }
    }
}

impl Default for Blobs {
    fn default() -> Self {
        Self::new()
    }
}

/// Incompressible, deterministic bytes (xorshift).
fn blob(mut x: u64) -> Bytes {
    let mut out = Vec::with_capacity(ATTACHMENT_SIZE);
    while out.len() < ATTACHMENT_SIZE {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        out.extend_from_slice(&x.to_le_bytes());
    }
    out.truncate(ATTACHMENT_SIZE);
    Bytes::from(out)
}

/// The case external ids of a folder: Mairie A's, then Mairie B's.
pub fn case_external_ids(external_id: &str) -> [String; 2] {
    [format!("{external_id}-A"), format!("{external_id}-B")]
}

/// The `POST /folders` body: two cases, both attachments sent to both.
pub fn folder_body(external_id: &str) -> Value {
    let [a, b] = case_external_ids(external_id);
    let attachment = |n: usize| {
        json!({"fileName": format!("piece-{n}.bin"), "type": "PJ", "size": ATTACHMENT_SIZE,
               "mimeType": "application/octet-stream", "recipients": [a, b]})
    };
    json!({
        "externalId": external_id,
        "processCode": PROCESS,
        "applicant": {"firstName": "Camille", "lastName": "TESTEUR", "email": null},
        "cases": [
            {"externalId": a, "recipient": recipient(MAIRIE_A)},
            {"externalId": b, "recipient": recipient(MAIRIE_B)}
        ],
        "attachments": [attachment(1), attachment(2)]
    })
}
