//! The audit journal: an append-only record of access decisions and administrative actions,
//! chained so that an alteration, a removal or a re-ordering shows. Each entry carries the
//! SHA-256 of the previous entry of its chain (one chain per organisation and day, so that no
//! single key takes every write), and each day's chain heads are sealed in an anchor that no
//! one can rewrite. docs/AUDIT.md.
//!
//! No password, code, token or dossier content ever enters an entry: actors are named by their
//! address or client id, targets by identifiers (dossier numbers, file ids, addresses).

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::{OrgId, contract_time};

/// The chain an entry of no organisation goes to (sign-in attempts for unknown addresses,
/// requests without credentials).
pub const PLATFORM_CHAIN: &str = "PLATFORM";

/// The `prev` of a chain's first entry.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// Who acted.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AuditActor {
    pub kind: ActorKind,
    /// The account's address, the API client's id, or `-` for nobody known.
    pub id: String,
    /// The actor's organisation, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub organisation: Option<OrgId>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ActorKind {
    /// A portal account (agent, administrator, delegate, national administrator).
    Account,
    /// An API client.
    ApiClient,
    /// Someone not (yet) identified: a sign-in with an unknown address, a request without
    /// credentials.
    Anonymous,
    /// The hub itself (scheduled work).
    System,
}

impl AuditActor {
    pub fn account(email: &str, organisation: Option<OrgId>) -> Self {
        Self { kind: ActorKind::Account, id: email.to_owned(), organisation }
    }
    pub fn api_client(client_id: &str, organisation: Option<OrgId>) -> Self {
        Self { kind: ActorKind::ApiClient, id: client_id.to_owned(), organisation }
    }
    pub fn anonymous(claimed: Option<&str>) -> Self {
        Self { kind: ActorKind::Anonymous, id: claimed.unwrap_or("-").to_owned(), organisation: None }
    }
}

/// What came of the attempt.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Outcome {
    /// Allowed and done.
    Granted,
    /// Refused (with the reason).
    Denied,
}

impl Outcome {
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "GRANTED" => Some(Self::Granted),
            "DENIED" => Some(Self::Denied),
            _ => None,
        }
    }
}

/// One decision or action, before it takes its place in a chain.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AuditRecord {
    /// The organisation whose chain records it (the one whose data or people it concerns), or
    /// none for the platform's chain.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub organisation: Option<OrgId>,
    pub actor: AuditActor,
    /// `<thing>.<verb>`: `signIn.password`, `token.issue`, `access.denied`, `account.update`,
    /// `dossier.consult`, `file.download`…
    pub action: String,
    /// What it concerns: a dossier number, a file id, an address, a client id, a route.
    pub target: String,
    pub outcome: Outcome,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request_id: Option<String>,
    /// The address the request came from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
}

impl AuditRecord {
    pub fn new(actor: AuditActor, action: &str, target: impl Into<String>, outcome: Outcome) -> Self {
        Self {
            organisation: actor.organisation.clone(),
            actor,
            action: action.to_owned(),
            target: target.into(),
            outcome,
            reason: None,
            request_id: None,
            source: None,
        }
    }

    pub fn reason(mut self, reason: impl Into<String>) -> Self {
        self.reason = Some(reason.into());
        self
    }

    /// Recorded in `organisation`'s chain rather than the actor's.
    pub fn in_chain_of(mut self, organisation: Option<OrgId>) -> Self {
        self.organisation = organisation;
        self
    }

    /// The chain's name: the organisation's key, or [`PLATFORM_CHAIN`].
    pub fn chain(&self) -> String {
        chain_name(self.organisation.as_ref())
    }
}

pub fn chain_name(organisation: Option<&OrgId>) -> String {
    organisation.map_or_else(|| PLATFORM_CHAIN.to_owned(), |o| super::org_key(&o.siret, &o.branch_code))
}

/// An entry as stored: the record, its place in its chain and the hash of the one before.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AuditEntry {
    pub chain: String,
    pub day: NaiveDate,
    /// 1 for the day's first entry of the chain, then one more each.
    pub seq: u64,
    /// The hex SHA-256 of the previous entry ([`GENESIS`] for the first).
    pub prev: String,
    #[serde(with = "contract_time")]
    pub at: DateTime<Utc>,
    #[serde(flatten)]
    pub record: AuditRecord,
}

impl AuditEntry {
    /// The hex SHA-256 of the entry: of its canonical JSON (fields in declaration order), which
    /// covers `prev` and so every entry before it.
    pub fn digest(&self) -> String {
        let canonical = serde_json::to_vec(self).unwrap_or_default();
        hex::encode(Sha256::digest(&canonical))
    }
}

/// A chain's last entry, as the head item and the anchors hold it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ChainHead {
    pub chain: String,
    pub day: NaiveDate,
    pub seq: u64,
    pub hash: String,
}

/// A day's seal: every chain's head at the end of the day, and the hash of the previous
/// anchor, so that anchors chain too.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Anchor {
    pub day: NaiveDate,
    #[serde(with = "contract_time")]
    pub sealed_at: DateTime<Utc>,
    /// The hex SHA-256 of the previous anchor's bytes, if there is one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub previous: Option<String>,
    pub chains: Vec<ChainHead>,
}

impl Anchor {
    pub fn name(day: NaiveDate) -> String {
        format!("{day}.json")
    }
}

/// How a chain fails verification: the first entry that does not hold.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ChainBreak {
    #[error("entry {seq} is missing (the chain jumps from {after} to {seq_found})")]
    Missing { seq: u64, after: u64, seq_found: u64 },
    #[error("entry {seq} does not follow the entry before it: altered, or re-ordered")]
    Altered { seq: u64 },
    #[error("the chain ends at entry {found} where its head says {expected}: entries removed or added at the end")]
    WrongEnd { expected: u64, found: u64 },
    #[error("the chain's last hash differs from its head's: the last entry altered")]
    WrongHash,
}

/// Checks a chain's entries (in stored order) against its head: numbered from 1 without gap,
/// each linked to the one before, ending at the head.
///
/// # Errors
/// The first break found.
pub fn verify_chain(entries: &[AuditEntry], head: &ChainHead) -> Result<(), ChainBreak> {
    let mut prev = GENESIS.to_owned();
    let mut last = 0;
    for e in entries {
        if e.seq != last + 1 {
            return Err(if e.seq > last + 1 {
                ChainBreak::Missing { seq: last + 1, after: last, seq_found: e.seq }
            } else {
                ChainBreak::Altered { seq: e.seq }
            });
        }
        if e.prev != prev || e.chain != head.chain || e.day != head.day {
            return Err(ChainBreak::Altered { seq: e.seq });
        }
        prev = e.digest();
        last = e.seq;
    }
    if last != head.seq {
        return Err(ChainBreak::WrongEnd { expected: head.seq, found: last });
    }
    if prev != head.hash {
        return Err(ChainBreak::WrongHash);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    fn chain(n: u64) -> (Vec<AuditEntry>, ChainHead) {
        let day = NaiveDate::from_ymd_opt(2026, 12, 7).unwrap();
        let mut prev = GENESIS.to_owned();
        let mut entries = Vec::new();
        for seq in 1..=n {
            let record = AuditRecord::new(
                AuditActor::account("a@x.example", None),
                "file.download",
                format!("f{seq}"),
                Outcome::Granted,
            );
            let e = AuditEntry {
                chain: PLATFORM_CHAIN.into(),
                day,
                seq,
                prev: prev.clone(),
                at: Utc.with_ymd_and_hms(2026, 12, 7, 10, 0, 0).unwrap(),
                record,
            };
            prev = e.digest();
            entries.push(e);
        }
        (entries, ChainHead { chain: PLATFORM_CHAIN.into(), day, seq: n, hash: prev })
    }

    #[test]
    fn a_chain_holds_until_an_entry_is_altered_removed_or_moved() {
        let (entries, head) = chain(4);
        assert_eq!(verify_chain(&entries, &head), Ok(()));

        let mut altered = entries.clone();
        altered[1].record.target = "other".into();
        assert_eq!(
            verify_chain(&altered, &head),
            Err(ChainBreak::Altered { seq: 3 }),
            "the next one no longer follows"
        );
        let mut last_altered = entries.clone();
        last_altered[3].record.outcome = Outcome::Denied;
        assert_eq!(verify_chain(&last_altered, &head), Err(ChainBreak::WrongHash));

        let mut removed = entries.clone();
        removed.remove(1);
        assert_eq!(verify_chain(&removed, &head), Err(ChainBreak::Missing { seq: 2, after: 1, seq_found: 3 }));
        assert_eq!(verify_chain(&entries[..3], &head), Err(ChainBreak::WrongEnd { expected: 4, found: 3 }));

        let mut renumbered = entries.clone();
        renumbered.remove(1);
        for (i, e) in renumbered.iter_mut().enumerate() {
            e.seq = i as u64 + 1;
        }
        assert_eq!(verify_chain(&renumbered, &head), Err(ChainBreak::Altered { seq: 2 }), "renumbering shows");

        let mut swapped = entries.clone();
        swapped.swap(1, 2);
        assert!(verify_chain(&swapped, &head).is_err());
    }
}
