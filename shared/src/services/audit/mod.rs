//! The audit journal: recording decisions and actions in their chains, sealing each day's
//! chains in an anchor, verifying chains and anchors, and reading the journal. docs/AUDIT.md.
//!
//! Recording never fails the request it records: a journal that cannot be written is logged as
//! an error (and alarmed on), and the decision stands. Each entry is also one log line for the
//! security team (target `audit`): the actor and the source address masked, no target (paths
//! name people); the request's id, in the line's span, leads to the entry.

use std::sync::{Arc, Mutex};

use bytes::Bytes;
use chrono::{DateTime, Days, Duration, NaiveDate, Utc};
use sha2::{Digest, Sha256};

use crate::{
    domain::{Anchor, AuditActor, AuditEntry, AuditRecord, ChainBreak, ChainHead, verify_chain},
    ports::AnchorError,
    state::AppState,
    store::StoreError,
};

mod append;
mod read;
mod retention;
pub use append::{Chains, append};
pub use read::{AuditEntryView, AuditPage, AuditQuery, LOCAL_PARAMETERS, NATIONAL_PARAMETERS, list};
pub use retention::{Retained, TABLE_DAYS, export_and_expire};

/// How long after a day's end its chains are sealed: requests that straddled midnight have
/// long finished.
const SEAL_AFTER: Duration = Duration::minutes(10);
/// How many past days a sealing run looks back at for a day left unsealed (a missed run).
const SEAL_LOOKBACK: u64 = 7;

// ---------------------------------------------------------------------------------------------
// The request being recorded
// ---------------------------------------------------------------------------------------------

tokio::task_local! {
    static REQUEST: RequestAudit;
}

/// What the journal learns of a request as it is served: its id, the address it came from, and
/// who it turned out to be (set by the extractors that authenticate it).
#[derive(Clone, Debug, Default)]
pub struct RequestAudit {
    pub request_id: Option<String>,
    pub source: Option<String>,
    actor: Arc<Mutex<Option<AuditActor>>>,
}

impl RequestAudit {
    pub fn new(request_id: Option<String>, source: Option<String>) -> Self {
        Self { request_id, source, actor: Arc::default() }
    }

    /// Runs `f` as this request: [`record`] and [`identify`] called within it apply to it.
    pub async fn scope<F: Future>(self, f: F) -> F::Output {
        REQUEST.scope(self, f).await
    }

    /// Who the request was made by, once known.
    pub fn actor(&self) -> Option<AuditActor> {
        self.actor.lock().ok().and_then(|a| a.clone())
    }
}

/// Names the actor of the request being served (an authenticated API client or portal user).
pub fn identify(actor: AuditActor) {
    let _ = REQUEST.try_with(|r| {
        if let Ok(mut slot) = r.actor.lock() {
            *slot = Some(actor);
        }
    });
}

// ---------------------------------------------------------------------------------------------
// Recording
// ---------------------------------------------------------------------------------------------

/// Records `record` in its chain, with the request's id and source address when it is made
/// while a request is served. Never fails: see the module's documentation.
pub async fn record(state: &AppState, mut record: AuditRecord) {
    if let Ok((id, source)) = REQUEST.try_with(|r| (r.request_id.clone(), r.source.clone())) {
        record.request_id = record.request_id.or(id);
        record.source = record.source.or(source);
    }
    tracing::info!(
        target: "audit",
        actor_kind = ?record.actor.kind,
        actor = %mask(&record.actor.id),
        chain = %record.chain(),
        action = %record.action,
        outcome = ?record.outcome,
        reason = record.reason.as_deref().unwrap_or("-"),
        source = %record.source.as_deref().map(mask_address).unwrap_or_default(),
        "audit"
    );
    if let Err(e) = append(state, record).await {
        tracing::error!(kind = %e, "the audit journal could not record a decision");
    }
}

/// An address or name as the security team's log shows it: its first character and its
/// domain (`c…@villeurbanne.fr`), or a client id's first characters.
fn mask(s: &str) -> String {
    match s.split_once('@') {
        Some((local, domain)) => format!("{}…@{domain}", local.chars().next().unwrap_or('?')),
        None if s.chars().count() > 4 => format!("{}…", s.chars().take(4).collect::<String>()),
        None => s.to_owned(),
    }
}

/// An IP address with its last part hidden (`192.0.2.x`, `2001:db8:…`).
fn mask_address(s: &str) -> String {
    match s.parse::<std::net::IpAddr>() {
        Ok(std::net::IpAddr::V4(v4)) => {
            let [a, b, c, _] = v4.octets();
            format!("{a}.{b}.{c}.x")
        }
        Ok(std::net::IpAddr::V6(v6)) => {
            let s = v6.segments();
            format!("{:x}:{:x}:{:x}:…", s[0], s[1], s[2])
        }
        Err(_) => "?".into(),
    }
}

// ---------------------------------------------------------------------------------------------
// Sealing
// ---------------------------------------------------------------------------------------------

/// Seals every day that ended more than [`SEAL_AFTER`] ago, within [`SEAL_LOOKBACK`] days, and
/// has no anchor yet: the heads of its chains, with the hash of the anchor before. Returns the
/// days sealed.
///
/// # Errors
/// When the table or the anchor store fails.
pub async fn seal_due(state: &AppState) -> Result<Vec<NaiveDate>, SealError> {
    let now = state.clock.now();
    let last_due = (now - SEAL_AFTER).date_naive() - Days::new(1);
    let first = last_due - Days::new(SEAL_LOOKBACK - 1);
    // Listed once: each day sealed joins the list, so that the next names it as its previous.
    let mut names = state.anchors.list().await?;
    let mut sealed = Vec::new();
    for day in first.iter_days().take_while(|d| *d <= last_due) {
        let name = Anchor::name(day);
        if names.contains(&name) {
            continue;
        }
        seal(state, &names, day, now).await?;
        let at = names.partition_point(|n| n < &name);
        names.insert(at, name);
        sealed.push(day);
    }
    Ok(sealed)
}

/// Seals `day`, chained to the last anchor before it among `names` (the store's, sorted).
async fn seal(state: &AppState, names: &[String], day: NaiveDate, now: DateTime<Utc>) -> Result<(), SealError> {
    let name = Anchor::name(day);
    let previous = match names.iter().rfind(|n| retention::anchored_day(n).is_some() && **n < name) {
        Some(previous) => state.anchors.get(previous).await?.map(|bytes| hex::encode(Sha256::digest(&bytes))),
        None => None,
    };
    let mut chains = state.store.audit_heads(day).await?;
    chains.sort_by(|a, b| a.chain.cmp(&b.chain));
    let anchor = Anchor { day, sealed_at: now, previous, chains };
    let bytes =
        serde_json::to_vec_pretty(&anchor).map_err(|e| SealError::Anchors(AnchorError::Unavailable(e.into())))?;
    match state.anchors.put(&name, Bytes::from(bytes)).await {
        // Another run sealed it meanwhile: the day is sealed.
        Ok(()) | Err(AnchorError::Exists) => {
            tracing::info!(%day, chains = anchor.chains.len(), "audit journal day sealed");
            Ok(())
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Debug, thiserror::Error)]
pub enum SealError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("the anchor store failed: {0}")]
    Anchors(#[from] AnchorError),
}

// ---------------------------------------------------------------------------------------------
// Verification
// ---------------------------------------------------------------------------------------------

/// What a verification checked.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Verified {
    pub anchors: usize,
    pub days: usize,
    pub chains: usize,
    pub entries: usize,
    /// The days after the last anchor, checked against their heads only (not sealed yet).
    pub unsealed_days: Vec<NaiveDate>,
}

/// The first thing that does not hold.
#[derive(Debug, thiserror::Error)]
pub enum VerifyError {
    #[error("chain {chain} of {day}: {problem}")]
    Chain { chain: String, day: NaiveDate, problem: ChainBreak },
    #[error("chain {chain} of {day} is sealed at entry {seq} but its entries are gone")]
    ChainGone { chain: String, day: NaiveDate, seq: u64 },
    #[error("chain {chain} of {day} is not in the day's anchor: it was added after the day was sealed")]
    Unsealed { chain: String, day: NaiveDate },
    #[error("chain {chain} of {day}: its head says entry {found}, the anchor sealed entry {sealed}")]
    HeadMoved { chain: String, day: NaiveDate, sealed: u64, found: u64 },
    #[error("anchor {name}: {problem}")]
    Anchor { name: String, problem: String },
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("the anchor store failed: {0}")]
    Anchors(#[from] AnchorError),
}

/// Checks every anchor (readable, each naming the hash of the one before) and every chain of
/// each sealed day against its anchor, then the days since the last anchor (or the last
/// [`SEAL_LOOKBACK`] days when none exists) against their heads.
///
/// # Errors
/// The first anchor, chain or entry that does not hold.
pub async fn verify(state: &AppState) -> Result<Verified, VerifyError> {
    let mut done = Verified::default();
    let mut previous: Option<Bytes> = None;
    let mut last_day = None;
    for name in state.anchors.list().await?.into_iter().filter(|n| retention::anchored_day(n).is_some()) {
        let bytes = state.anchors.get(&name).await?.ok_or_else(|| anchor_problem(&name, "listed but unreadable"))?;
        let anchor: Anchor =
            serde_json::from_slice(&bytes).map_err(|e| anchor_problem(&name, &format!("not an anchor ({e})")))?;
        if Anchor::name(anchor.day) != name {
            return Err(anchor_problem(&name, &format!("it seals {}, not the day its name says", anchor.day)));
        }
        let expected = previous.as_ref().map(|b| hex::encode(Sha256::digest(b)));
        if previous.is_some() && anchor.previous != expected {
            return Err(anchor_problem(
                &name,
                "it does not name the anchor before it: an anchor was removed or altered",
            ));
        }
        verify_sealed_day(state, &anchor, &mut done).await?;
        done.anchors += 1;
        last_day = Some(anchor.day);
        previous = Some(bytes);
    }
    let today = state.clock.now().date_naive();
    let from = last_day.map_or(today - Days::new(SEAL_LOOKBACK), |d| d + Days::new(1));
    for day in from.iter_days().take_while(|d| *d <= today) {
        for head in state.store.audit_heads(day).await? {
            verify_against(state, &head, &mut done).await?;
        }
        done.unsealed_days.push(day);
        done.days += 1;
    }
    Ok(done)
}

fn anchor_problem(name: &str, problem: &str) -> VerifyError {
    VerifyError::Anchor { name: name.to_owned(), problem: problem.to_owned() }
}

async fn verify_sealed_day(state: &AppState, anchor: &Anchor, done: &mut Verified) -> Result<(), VerifyError> {
    let day = anchor.day;
    let heads = state.store.audit_heads(day).await?;
    if heads.is_empty() && !anchor.chains.is_empty() && retention::past_table(state, day) {
        // The day has left the table: its export holds it.
        return verify_exported_day(state, anchor, done).await;
    }
    for head in &heads {
        match anchor.chains.iter().find(|c| c.chain == head.chain) {
            None => return Err(VerifyError::Unsealed { chain: head.chain.clone(), day }),
            Some(sealed) if sealed.seq != head.seq => {
                return Err(VerifyError::HeadMoved {
                    chain: head.chain.clone(),
                    day,
                    sealed: sealed.seq,
                    found: head.seq,
                });
            }
            Some(_) => {}
        }
    }
    for sealed in &anchor.chains {
        if !heads.iter().any(|h| h.chain == sealed.chain)
            && state.store.audit_entries(&sealed.chain, day).await?.is_empty()
        {
            return Err(VerifyError::ChainGone { chain: sealed.chain.clone(), day, seq: sealed.seq });
        }
        verify_against(state, sealed, done).await?;
    }
    done.days += 1;
    Ok(())
}

/// Checks a day that left the table against its export: every chain the anchor sealed, whole,
/// and nothing else.
async fn verify_exported_day(state: &AppState, anchor: &Anchor, done: &mut Verified) -> Result<(), VerifyError> {
    let day = anchor.day;
    let Some(entries) = retention::exported_entries(state, day).await? else {
        let first = &anchor.chains[0];
        return Err(VerifyError::ChainGone { chain: first.chain.clone(), day, seq: first.seq });
    };
    for sealed in &anchor.chains {
        let chain: Vec<AuditEntry> = entries.iter().filter(|e| e.chain == sealed.chain).cloned().collect();
        verify_chain(&chain, sealed).map_err(|problem| VerifyError::Chain {
            chain: sealed.chain.clone(),
            day,
            problem,
        })?;
        done.chains += 1;
        done.entries += chain.len();
    }
    if let Some(stray) = entries.iter().find(|e| !anchor.chains.iter().any(|c| c.chain == e.chain)) {
        return Err(VerifyError::Unsealed { chain: stray.chain.clone(), day });
    }
    done.days += 1;
    Ok(())
}

/// Checks a chain's stored entries against `head` (the anchor's, or the table's for a day not
/// sealed yet).
async fn verify_against(state: &AppState, head: &ChainHead, done: &mut Verified) -> Result<(), VerifyError> {
    let entries = state.store.audit_entries(&head.chain, head.day).await?;
    verify_chain(&entries, head).map_err(|problem| VerifyError::Chain {
        chain: head.chain.clone(),
        day: head.day,
        problem,
    })?;
    done.chains += 1;
    done.entries += entries.len();
    Ok(())
}

#[cfg(test)]
mod tests;
