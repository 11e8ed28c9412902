//! What an operator sends to `/teledossiers/v1/folders`, read once at the edge: a new folder
//! (`NewFolder`, with its body's fingerprint for retries) and a status change (`FolderUpdate`),
//! in the contract's validation messages.

use std::collections::HashSet;

use chrono::{DateTime, Utc};
use serde_json::Value;
use sha2::{Digest, Sha256};

use super::{MAX_ATTACHMENTS, MAX_CASES};
use crate::{
    domain::{Applicant, BranchCode, ProcessCode, Siret, parse_time},
    services::{Checker, ExchangeError, FileMeta},
};

/// One case of a new folder: its recipient.
#[derive(Clone, Debug)]
pub struct NewCase {
    pub external_id: String,
    pub siret: Siret,
    pub branch: BranchCode,
    pub partner_attributes: Option<String>,
}

/// One attachment of a new folder, with the `externalId`s of the cases it is for.
#[derive(Clone, Debug)]
pub struct NewAttachment {
    pub meta: FileMeta,
    pub recipients: Vec<String>,
}

/// `POST /folders`: the folder to create, as its body declares it.
#[derive(Clone, Debug)]
pub struct NewFolder {
    pub external_id: String,
    pub process_code: ProcessCode,
    pub applicant: Applicant,
    pub cases: Vec<NewCase>,
    pub attachments: Vec<NewAttachment>,
    /// The body's fingerprint ([`fingerprint`]): a retried request is recognised by it.
    pub fingerprint: String,
}

impl NewFolder {
    /// Reads the contract's body; `line` (`METHOD /path`) names the request in the problems.
    ///
    /// # Errors
    /// `Invalid`, listing every problem.
    pub fn parse(line: &str, body: &Value) -> Result<Self, ExchangeError> {
        parse_new_folder(line, body)
    }
}

/// `PATCH /folders/{id}` (and its POST override): the status to set, and for `CLOSED` an
/// optional `closeDateTime`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FolderUpdate {
    /// As written: a value no change accepts is refused by the use case, not here.
    pub global_status: String,
    pub close_date_time: Option<DateTime<Utc>>,
}

impl FolderUpdate {
    /// Reads the contract's body; `line` (`METHOD /path`) names the request in the problems.
    ///
    /// # Errors
    /// `Invalid`, listing every problem.
    pub fn parse(line: &str, body: &Value) -> Result<Self, ExchangeError> {
        let mut c = Checker::new(line);
        let (status, close) = match c.root(body) {
            Some(root) => (
                c.string(root, "", "globalStatus", true, 50),
                c.parsed(root, "", "closeDateTime", false, 40, |s| {
                    parse_time(s).ok_or_else(|| format!("\"{s}\" is not an RFC 3339 date-time"))
                }),
            ),
            None => (None, None),
        };
        match status {
            Some(global_status) if c.is_ok() => Ok(Self { global_status, close_date_time: close }),
            _ => Err(ExchangeError::Invalid(c.problems)),
        }
    }
}

pub(super) fn parse_new_folder(line: &str, body: &Value) -> Result<NewFolder, ExchangeError> {
    let mut c = Checker::new(line);
    let Some(root) = c.root(body) else {
        return Err(ExchangeError::Invalid(c.problems));
    };
    let external_id = c.string(root, "", "externalId", true, 30);
    let process_code = c.parsed(root, "", "processCode", true, 30, ProcessCode::parse);
    let applicant = c.object(root, "", "applicant", true).and_then(|a| {
        let first = c.string(a, ".applicant", "firstName", true, 255);
        let last = c.string(a, ".applicant", "lastName", true, 255);
        let email = c.string(a, ".applicant", "email", false, 320);
        Some(Applicant { first_name: first?, last_name: last?, email })
    });

    let mut cases = Vec::new();
    for (i, v) in c.array(root, "", "cases", 1, MAX_CASES).into_iter().flatten().enumerate() {
        let at = format!(".cases[{i}]");
        let Value::Object(case) = v else {
            c.problem(&at, "Instance type does not match any allowed primitive type (allowed: [\"object\"])");
            continue;
        };
        let external_id = c.string(case, &at, "externalId", true, 100);
        let partner_attributes = c.string(case, &at, "partnerAttributes", false, 1024);
        let recipient = c.object(case, &at, "recipient", true).and_then(|r| {
            let rat = format!("{at}.recipient");
            match c.string(r, &rat, "type", true, 20).as_deref() {
                Some("SI") | None => {}
                Some(other) => c.problem(
                    &format!("{rat}.type"),
                    format!("Instance value (\"{other}\") not found in enum (possible values: [\"SI\"])"),
                ),
            }
            let siret = c.parsed(r, &rat, "companyRegister", true, 14, Siret::parse);
            let branch = c.parsed(r, &rat, "branchCode", true, 10, BranchCode::parse);
            Some((siret?, branch?))
        });
        if let (Some(external_id), Some((siret, branch))) = (external_id, recipient) {
            cases.push(NewCase { external_id, siret, branch, partner_attributes });
        }
    }
    let mut seen_ext = HashSet::new();
    let mut seen_org = HashSet::new();
    for (i, nc) in cases.iter().enumerate() {
        if !seen_ext.insert(nc.external_id.as_str()) {
            c.problem(&format!(".cases[{i}].externalId"), format!("Duplicate case externalId \"{}\"", nc.external_id));
        }
        if !seen_org.insert((&nc.siret, &nc.branch)) {
            c.problem(&format!(".cases[{i}].recipient"), "Duplicate recipient: a folder has one case per recipient");
        }
    }

    let mut attachments = Vec::new();
    for (i, v) in c.array(root, "", "attachments", 1, MAX_ATTACHMENTS).into_iter().flatten().enumerate() {
        let at = format!(".attachments[{i}]");
        let Some(a) = c.item(v, &at) else { continue };
        let meta = c.file_meta(a, &at);
        let mut recipients = Vec::new();
        for (j, r) in c.array(a, &at, "recipients", 1, MAX_CASES).into_iter().flatten().enumerate() {
            match r.as_str() {
                Some(ext) if seen_ext.contains(ext) || cases.is_empty() => recipients.push(ext.to_owned()),
                Some(ext) => c.problem(
                    &format!("{at}.recipients[{j}]"),
                    format!("\"{ext}\" is not the externalId of a case of this folder"),
                ),
                None => c.problem(
                    &format!("{at}.recipients[{j}]"),
                    "Instance type does not match any allowed primitive type (allowed: [\"string\"])",
                ),
            }
        }
        if let Some(meta) = meta {
            attachments.push(NewAttachment { meta, recipients });
        }
    }

    match (c.is_ok(), external_id, process_code, applicant) {
        (true, Some(external_id), Some(process_code), Some(applicant)) => {
            Ok(NewFolder { external_id, process_code, applicant, cases, attachments, fingerprint: fingerprint(body) })
        }
        _ => Err(ExchangeError::Invalid(c.problems)),
    }
}

/// A fingerprint of the request body: object keys are sorted, so the same JSON written
/// differently gives the same fingerprint.
pub(super) fn fingerprint(body: &Value) -> String {
    hex::encode(Sha256::digest(body.to_string().as_bytes()))
}
