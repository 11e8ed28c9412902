//! The checks after the hub was killed and restarted: every call it answered is still true,
//! and every e-mail of a completed folder was written exactly once.

use std::collections::HashSet;

use futures::{StreamExt, stream};
use reqwest::Method;

use super::{
    api::{Api, As, json, untimed},
    fixture::{EMAIL_A, EMAIL_B},
    operator::Deposit,
    outbox::{EmailKey, Tally},
};

/// Reads every folder the hub created back and checks what its answers said: the folder
/// exists, each upload answered 204 is `RECEIVED`, a completion answered 204 left it
/// `HUBEE_NOTIFIED`. Returns the folders checked and what no longer holds.
pub async fn answered_calls_hold(api: &Api, deposits: &[Deposit]) -> (usize, Vec<String>) {
    let checks = stream::iter(deposits.iter().filter(|d| d.folder.is_some()))
        .map(|d| check(api, d))
        .buffer_unordered(8)
        .collect::<Vec<_>>()
        .await;
    let checked = checks.len();
    (checked, checks.into_iter().flatten().collect())
}

async fn check(api: &Api, d: &Deposit) -> Vec<String> {
    let Some(ids) = &d.folder else { return vec![] };
    let answer = untimed(api.request(As::Operator, Method::GET, &format!("/folders/{}", ids.id))).await;
    let Some((200, body)) = answer else {
        return vec![format!("{} ({}): created, now answers {:?}", d.external_id, ids.id, answer.map(|a| a.0))];
    };
    let folder = json(&body);
    let mut wrong = Vec::new();
    for (i, attachment) in ids.attachments.iter().enumerate() {
        let status = folder["attachments"]
            .as_array()
            .and_then(|all| all.iter().find(|a| a["id"] == attachment.as_str()))
            .and_then(|a| a["status"].as_str());
        if d.uploaded[i] && status != Some("RECEIVED") {
            wrong.push(format!("{}: attachment {attachment} uploaded (204), now {status:?}", d.external_id));
        }
    }
    if d.completed && folder["globalStatus"] != "HUBEE_NOTIFIED" {
        wrong.push(format!("{}: completed (204), now {}", d.external_id, folder["globalStatus"]));
    }
    wrong
}

/// The e-mails the completed folders call for: one to each mairie per folder.
pub fn expected_emails(deposits: &[Deposit]) -> HashSet<EmailKey> {
    deposits
        .iter()
        .filter(|d| d.completed)
        .filter_map(|d| d.folder.as_ref())
        .flat_map(|ids| {
            [
                EmailKey { to: EMAIL_A.into(), case: ids.cases[0].clone() },
                EmailKey { to: EMAIL_B.into(), case: ids.cases[1].clone() },
            ]
        })
        .collect()
}

/// How the outbox compares with the expected e-mails.
pub struct EmailCheck {
    pub expected: usize,
    pub missing: usize,
    /// Expected e-mails written more than once, and the copies beyond the first.
    pub duplicated: usize,
    pub extra_copies: usize,
    /// New-dossier e-mails about no completed folder the client knows of.
    pub unexpected: usize,
}

pub fn compare(tally: &Tally, expected: &HashSet<EmailKey>) -> EmailCheck {
    let count = |k: &EmailKey| tally.per_key.get(k).copied().unwrap_or(0);
    EmailCheck {
        expected: expected.len(),
        missing: expected.iter().filter(|k| count(k) == 0).count(),
        duplicated: expected.iter().filter(|k| count(k) > 1).count(),
        extra_copies: expected.iter().map(|k| count(k).saturating_sub(1)).sum(),
        unexpected: tally.per_key.keys().filter(|k| !expected.contains(k)).count(),
    }
}
