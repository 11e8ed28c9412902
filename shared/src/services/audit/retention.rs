//! The journal's own retention: each sealed day of a month that has ended is exported, whole,
//! to the anchor store (write once: locked for five years on AWS) as `<day>.entries.jsonl`, one
//! entry per line, chain by chain in sequence order; a day older than [`TABLE_DAYS`] whose
//! export exists then leaves the table. `audit verify` checks an exported day against its export
//! once it has left the table. Each run does a bounded amount of work; the next goes on.

use bytes::Bytes;
use chrono::{Datelike, Days, NaiveDate};

use super::SealError;
use crate::{domain::AuditEntry, ports::AnchorError, state::AppState};

/// How long entries stay in the table (then only in their export).
pub const TABLE_DAYS: u64 = 366;
/// Days exported, and days removed from the table, per run at most.
const DAYS_PER_RUN: usize = 31;

/// The name of a day's export beside its anchor.
pub fn export_name(day: NaiveDate) -> String {
    format!("{day}.entries.jsonl")
}

/// The day an anchor's name seals (`2026-12-07.json`), `None` for any other name.
pub fn anchored_day(name: &str) -> Option<NaiveDate> {
    NaiveDate::parse_from_str(name.strip_suffix(".json")?, "%Y-%m-%d").ok()
}

/// What a run did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Retained {
    pub exported: usize,
    pub expired: usize,
}

/// Exports the sealed days of ended months that have no export yet, then removes from the table
/// the days past [`TABLE_DAYS`] whose export exists.
///
/// # Errors
/// When the table or the anchor store fails; what was done stays done.
pub async fn export_and_expire(state: &AppState) -> Result<Retained, SealError> {
    let today = state.clock.now().date_naive();
    let month_start = today.with_day(1).unwrap_or(today);
    let names = state.anchors.list().await?;
    let mut done = Retained::default();
    for day in names.iter().filter_map(|n| anchored_day(n)).filter(|d| *d < month_start) {
        if done.exported == DAYS_PER_RUN {
            break;
        }
        if names.contains(&export_name(day)) {
            continue;
        }
        export_day(state, day).await?;
        done.exported += 1;
    }
    let oldest_kept = today - Days::new(TABLE_DAYS);
    for day in names.iter().filter_map(|n| anchored_day(n)).filter(|d| *d < oldest_kept) {
        if done.expired == DAYS_PER_RUN {
            break;
        }
        if !names.contains(&export_name(day)) {
            continue;
        }
        if state.store.expire_audit_day(day).await? > 0 {
            done.expired += 1;
        }
    }
    Ok(done)
}

/// Every entry of a day, chain by chain in sequence order.
async fn day_entries(state: &AppState, day: NaiveDate) -> Result<Vec<AuditEntry>, SealError> {
    let mut heads = state.store.audit_heads(day).await?;
    heads.sort_by(|a, b| a.chain.cmp(&b.chain));
    let mut entries = Vec::new();
    for head in heads {
        entries.extend(state.store.audit_entries(&head.chain, day).await?);
    }
    Ok(entries)
}

async fn export_day(state: &AppState, day: NaiveDate) -> Result<(), SealError> {
    let mut lines = Vec::new();
    for entry in day_entries(state, day).await? {
        serde_json::to_writer(&mut lines, &entry).map_err(|e| AnchorError::Unavailable(e.into()))?;
        lines.push(b'\n');
    }
    match state.anchors.put(&export_name(day), Bytes::from(lines)).await {
        Ok(()) | Err(AnchorError::Exists) => {
            tracing::info!(%day, "audit journal day exported");
            Ok(())
        }
        Err(e) => Err(e.into()),
    }
}

/// The entries of a day's export, `None` when it has none.
///
/// # Errors
/// When the store fails or the export is not a list of entries.
pub async fn exported_entries(state: &AppState, day: NaiveDate) -> Result<Option<Vec<AuditEntry>>, AnchorError> {
    let Some(bytes) = state.anchors.get(&export_name(day)).await? else { return Ok(None) };
    let mut entries = Vec::new();
    for (n, line) in bytes.split(|b| *b == b'\n').filter(|l| !l.is_empty()).enumerate() {
        let entry = serde_json::from_slice(line)
            .map_err(|e| AnchorError::Unavailable(anyhow::anyhow!("{}: line {}: {e}", export_name(day), n + 1)))?;
        entries.push(entry);
    }
    Ok(Some(entries))
}

/// Whether a day has left the table by now (its entries then live in its export only).
pub fn past_table(state: &AppState, day: NaiveDate) -> bool {
    day < state.clock.now().date_naive() - Days::new(TABLE_DAYS)
}
