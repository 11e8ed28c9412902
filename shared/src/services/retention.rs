//! Retention (CONTRACT.md, "Retention"; docs/RETENTION.md): purges the attachment binaries,
//! archives the closed cases and deletes the archived folders whose procedure's delay has
//! passed, on the injected clock. Run by `purge` on an hourly schedule and by the local hub's
//! timer.
//!
//! Work comes from the due markers that status changes write in their own transaction (a Query
//! on one index partition, never a Scan). Every step re-reads what it acts on and is safe to
//! repeat: a run that dies midway leaves its marker in place and the next run finishes the job.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use serde::Serialize;
use uuid::Uuid;

use super::cases::{StatusMove, apply_status};
use crate::{
    domain::{
        Attachment, AttachmentStatus, Case, CaseStatus, ChangeSource, LogEntry, LogKind, OrgRef, RETENTION_ACTOR_ID,
        Retention, RetentionDue, RetentionStage, hub_org,
    },
    ports::{MAX_TRANSACTION_WRITES, ObjectError, ObjectKey},
    state::AppState,
    store::{StoreError, Versioned},
};

/// How many due markers one run takes at most: a scheduled Lambda must end well within its
/// timeout; what is left is due at the next run (the report says so).
pub const DEFAULT_BATCH: usize = 200;

#[derive(Debug, thiserror::Error)]
pub enum RetentionError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("object storage: {0}")]
    Objects(#[from] ObjectError),
    #[error("{0}")]
    Config(String),
    /// Settling the upload URLs of portal deposits failed.
    #[error(transparent)]
    Deposits(#[from] super::ExchangeError),
}

/// What one run did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RetentionReport {
    /// Attachments whose binary was deleted (now `DELETED`).
    pub purged_attachments: usize,
    /// Cases whose purge clock was done (their binaries purged, or held back by another case).
    pub purged_cases: usize,
    pub archived_cases: usize,
    pub deleted_folders: usize,
    /// Markers whose clock no longer holds (the case moved on, or was deleted): removed.
    pub stale: usize,
    /// Markers whose procedure's delay changed since their clock started: moved to their date.
    pub rescheduled: usize,
    /// Markers left to a later run (a concurrent change, or an attachment held back).
    pub deferred: usize,
    /// Upload URLs of portal deposits settled a day past their expiry…
    pub settled_uploads: usize,
    /// …of which the deposit was withdrawn, its file never having come.
    pub withdrawn_deposits: usize,
    /// Whether the batch was full: more may be due already.
    pub more: bool,
}

impl RetentionReport {
    /// Adds a later batch's counts; `more` is the later batch's.
    pub fn add(&mut self, later: &Self) {
        self.purged_attachments += later.purged_attachments;
        self.purged_cases += later.purged_cases;
        self.archived_cases += later.archived_cases;
        self.deleted_folders += later.deleted_folders;
        self.stale += later.stale;
        self.rescheduled += later.rescheduled;
        self.deferred += later.deferred;
        self.settled_uploads += later.settled_uploads;
        self.withdrawn_deposits += later.withdrawn_deposits;
        self.more = later.more;
    }

    /// Whether the run settled at least one marker: a batch of deferred markers only (each
    /// changed concurrently) is listed again by the next run, so taking another one now would
    /// find the same markers.
    pub fn progressed(&self) -> bool {
        self.purged_cases
            + self.archived_cases
            + self.deleted_folders
            + self.stale
            + self.rescheduled
            + self.settled_uploads
            > 0
    }
}

/// What happened to one marker.
enum Outcome {
    Done,
    Stale,
    Rescheduled,
    Deferred,
}

/// Runs the jobs due at the clock's time, at most `limit` markers, earliest first, then settles
/// at most `limit` upload URLs of portal deposits
/// ([`settle_deposit_uploads`](super::binaries::settle_deposit_uploads)).
///
/// # Errors
/// When the store or the object storage fails; what was done stays done, the rest is left to
/// the next run.
pub async fn run(state: &AppState, limit: usize) -> Result<RetentionReport, RetentionError> {
    let now = state.clock.now();
    let hub = hub_org().map_err(RetentionError::Config)?;
    let due = state.store.retention_due(now, limit).await?;
    let mut report = RetentionReport { more: limit > 0 && due.len() >= limit, ..RetentionReport::default() };
    let mut rules_cache: HashMap<String, Retention> = HashMap::new();
    for listed in due {
        // The index may lag behind the table: act on the marker as it is now, if still due.
        let Some(marker) = state.store.retention_marker(&listed).await? else { continue };
        if marker != listed || marker.due > now {
            continue;
        }
        let outcome = match marker.stage {
            RetentionStage::Purge => purge(state, &marker, now, &hub, &mut rules_cache, &mut report).await?,
            RetentionStage::Archive => archive(state, &marker, now, &hub, &mut rules_cache).await?,
            RetentionStage::Delete => delete_folder(state, &marker, now, &mut rules_cache).await?,
        };
        match outcome {
            Outcome::Done => match marker.stage {
                RetentionStage::Purge => report.purged_cases += 1,
                RetentionStage::Archive => report.archived_cases += 1,
                RetentionStage::Delete => report.deleted_folders += 1,
            },
            Outcome::Stale => report.stale += 1,
            Outcome::Rescheduled => report.rescheduled += 1,
            Outcome::Deferred => report.deferred += 1,
        }
    }
    let deposits = super::binaries::settle_deposit_uploads(state, limit).await?;
    report.settled_uploads = deposits.settled;
    report.withdrawn_deposits = deposits.withdrawn;
    report.more |= deposits.more;
    if report != RetentionReport::default() {
        tracing::info!(?report, "retention run");
    }
    Ok(report)
}

/// The procedure's rules (the defaults for a procedure gone), read once per run.
async fn rules_of(
    state: &AppState,
    cache: &mut HashMap<String, Retention>,
    process: &crate::domain::ProcessCode,
) -> Result<Retention, RetentionError> {
    if let Some(r) = cache.get(process.as_str()) {
        return Ok(r.clone());
    }
    let rules = state.store.procedure(process).await?.map(|p| p.retention).unwrap_or_default();
    cache.insert(process.as_str().to_owned(), rules.clone());
    Ok(rules)
}

/// Removes a marker (if unchanged since read); a conflict means its clock restarted.
async fn settle(state: &AppState, marker: &RetentionDue, outcome: Outcome) -> Result<Outcome, RetentionError> {
    match state.store.commit(vec![state.store.remove_marker_write(marker)]).await {
        Ok(()) => Ok(outcome),
        Err(StoreError::Conflict) => Ok(Outcome::Deferred),
        Err(e) => Err(e.into()),
    }
}

/// Whether the marker is due under the procedure's current delay; if not, moves it to the date
/// that delay gives (`Some(outcome)` then).
async fn check_delay(
    state: &AppState,
    marker: &RetentionDue,
    rules: &Retention,
    now: DateTime<Utc>,
) -> Result<Option<Outcome>, RetentionError> {
    let due = marker.started + rules.delay(marker.stage);
    if due <= now {
        return Ok(None);
    }
    match state.store.commit(vec![state.store.reschedule_marker_write(marker, due)?]).await {
        Ok(()) => Ok(Some(Outcome::Rescheduled)),
        Err(StoreError::Conflict) => Ok(Some(Outcome::Deferred)),
        Err(e) => Err(e.into()),
    }
}

// ---------------------------------------------------------------------------------------------
// Purge
// ---------------------------------------------------------------------------------------------

/// Whether another case sharing a folder attachment lets it go: its own purge clock has run out
/// (or it was deleted).
async fn releases(
    state: &AppState,
    case: &Case,
    rules: &Retention,
    now: DateTime<Utc>,
) -> Result<bool, RetentionError> {
    if !rules.purges_in(case.status) {
        return Ok(false);
    }
    let probe = RetentionDue {
        stage: RetentionStage::Purge,
        folder_id: case.folder_id,
        case_id: Some(case.id),
        started: now,
        due: now,
    };
    Ok(state.store.retention_marker(&probe).await?.is_none_or(|m| m.due <= now))
}

async fn purge(
    state: &AppState,
    marker: &RetentionDue,
    now: DateTime<Utc>,
    hub: &OrgRef,
    cache: &mut HashMap<String, Retention>,
    report: &mut RetentionReport,
) -> Result<Outcome, RetentionError> {
    let Some(case_id) = marker.case_id else { return settle(state, marker, Outcome::Stale).await };
    let Some(case) = state.store.case(case_id).await? else { return settle(state, marker, Outcome::Stale).await };
    let rules = rules_of(state, cache, &case.value.process_code).await?;
    // Reopened before the deadline: its clock stopped (the status change removed the marker;
    // this covers a marker the index still showed).
    if !rules.purges_in(case.value.status) {
        return settle(state, marker, Outcome::Stale).await;
    }
    if let Some(outcome) = check_delay(state, marker, &rules, now).await? {
        return Ok(outcome);
    }
    let mut files: Vec<Versioned<Attachment>> = Vec::new();
    let mut held = false;
    if let Some((_, attachments)) = state.store.folder_partition(case.value.folder_id).await? {
        for a in attachments.into_iter().filter(|a| a.value.is_for_case(case_id) && has_binary(&a.value)) {
            let mut shared = true;
            for other in a.value.case_ids.iter().filter(|id| **id != case_id) {
                if let Some(o) = state.store.case(*other).await? {
                    let other_rules = rules_of(state, cache, &o.value.process_code).await?;
                    shared &= releases(state, &o.value, &other_rules, now).await?;
                }
            }
            // Still needed by a case whose clock runs: purged with that case's marker.
            if shared {
                files.push(a);
            } else {
                held = true;
            }
        }
    }
    files.extend(state.store.event_files_of_case(case_id).await?.into_iter().filter(|a| has_binary(&a.value)));
    let mut deferred = false;
    for file in files {
        match purge_file(state, &file, now, hub).await? {
            true => report.purged_attachments += 1,
            false => deferred = true,
        }
    }
    if deferred {
        return Ok(Outcome::Deferred);
    }
    if held {
        tracing::info!(%case_id, "a shared attachment is kept for a case whose purge clock still runs");
    }
    settle(state, marker, Outcome::Done).await
}

/// An attachment whose binary may still be stored.
fn has_binary(a: &Attachment) -> bool {
    a.status != AttachmentStatus::Deleted && a.object_key.is_some()
}

/// Deletes the binary, then marks the attachment `DELETED` with an entry in the history of
/// every case it was addressed to, in one transaction. Deleting first means a run dying in
/// between leaves an attachment whose binary is gone (downloads answer "File is not found")
/// and the next run marks it; never a binary nobody points to. `false` when the attachment
/// changed meanwhile (the next run sees it again).
async fn purge_file(
    state: &AppState,
    file: &Versioned<Attachment>,
    now: DateTime<Utc>,
    hub: &OrgRef,
) -> Result<bool, RetentionError> {
    let a = &file.value;
    if let Some(key) = &a.object_key {
        state.objects.delete(&ObjectKey::parse(key)?).await?;
    }
    let mut deleted = a.clone();
    deleted.status = AttachmentStatus::Deleted;
    deleted.object_key = None;
    let cases: Vec<Uuid> = match a.event {
        Some(e) => vec![e.case_id],
        None => a.case_ids.clone(),
    };
    let mut writes = vec![state.store.update_attachment_write(&deleted, file.version)?];
    for case_id in cases.into_iter().take(MAX_TRANSACTION_WRITES - 1) {
        let entry = LogEntry {
            id: state.ids.new_id(),
            case_id,
            kind: LogKind::AttachmentPurged { file_name: a.file_name.clone(), attachment_id: a.id },
            actor: hub.clone(),
            actor_id: RETENTION_ACTOR_ID.into(),
            actor_name: Some("HubEE".into()),
            date_time: now,
        };
        writes.push(state.store.record_log_write(&entry)?);
    }
    match state.store.commit(writes).await {
        Ok(()) => {
            tracing::info!(attachment_id = %a.id, folder_id = %a.folder_id, "attachment binary purged");
            Ok(true)
        }
        Err(StoreError::Conflict) => Ok(false),
        Err(e) => Err(e.into()),
    }
}

// ---------------------------------------------------------------------------------------------
// Archive
// ---------------------------------------------------------------------------------------------

/// Sets a closed case `ARCHIVED` through the path every status change takes (counters, clocks
/// and history in one transaction); that transaction also removes this marker and starts the
/// folder's deletion clock.
async fn archive(
    state: &AppState,
    marker: &RetentionDue,
    now: DateTime<Utc>,
    hub: &OrgRef,
    cache: &mut HashMap<String, Retention>,
) -> Result<Outcome, RetentionError> {
    let Some(case_id) = marker.case_id else { return settle(state, marker, Outcome::Stale).await };
    let Some(case) = state.store.case(case_id).await? else { return settle(state, marker, Outcome::Stale).await };
    if !crate::domain::is_closed(case.value.status) {
        return settle(state, marker, Outcome::Stale).await;
    }
    let rules = rules_of(state, cache, &case.value.process_code).await?;
    if let Some(outcome) = check_delay(state, marker, &rules, now).await? {
        return Ok(outcome);
    }
    let change = StatusMove {
        to: CaseStatus::Archived,
        actor: hub.clone(),
        actor_id: RETENTION_ACTOR_ID.into(),
        source: ChangeSource::Retention,
        event_id: None,
    };
    let writes = apply_status(state, &case, &rules, change)?;
    match state.store.commit(writes).await {
        Ok(()) => {
            tracing::info!(%case_id, "case archived");
            Ok(Outcome::Done)
        }
        // Changed meanwhile (reopened, say): the next run sees what it became.
        Err(StoreError::Conflict) => Ok(Outcome::Deferred),
        Err(e) => Err(e.into()),
    }
}

// ---------------------------------------------------------------------------------------------
// Folder deletion
// ---------------------------------------------------------------------------------------------

/// Deletes an archived folder: binaries first, then each case's partition (the case item last,
/// with its inbox counter), then the folder's partition with this marker. A run dying midway
/// leaves the marker and the folder item: the next run resumes, skipping what is gone.
async fn delete_folder(
    state: &AppState,
    marker: &RetentionDue,
    now: DateTime<Utc>,
    cache: &mut HashMap<String, Retention>,
) -> Result<Outcome, RetentionError> {
    let Some((folder, attachments)) = state.store.folder_partition(marker.folder_id).await? else {
        return settle(state, marker, Outcome::Stale).await;
    };
    let mut cases = Vec::new();
    for id in &folder.value.case_ids {
        if let Some(c) = state.store.case(*id).await? {
            cases.push(c);
        }
    }
    // A case not archived yet: its archiving restarts the folder's clock.
    if cases.iter().any(|c| c.value.status != CaseStatus::Archived) {
        return settle(state, marker, Outcome::Stale).await;
    }
    let rules = rules_of(state, cache, &folder.value.process_code).await?;
    if let Some(outcome) = check_delay(state, marker, &rules, now).await? {
        return Ok(outcome);
    }
    for a in &attachments {
        delete_binary(state, &a.value).await?;
    }
    for case in &cases {
        if !delete_case(state, case).await? {
            return Ok(Outcome::Deferred);
        }
    }
    let mut writes = vec![state.store.remove_marker_write(marker)];
    writes.extend(state.store.delete_folder_partition_writes(&folder, &attachments));
    match state.store.commit(writes).await {
        Ok(()) => {
            tracing::info!(folder_id = %folder.value.id, "archived folder deleted");
            Ok(Outcome::Done)
        }
        Err(StoreError::Conflict) => Ok(Outcome::Deferred),
        Err(e) => Err(e.into()),
    }
}

async fn delete_binary(state: &AppState, a: &Attachment) -> Result<(), RetentionError> {
    if let Some(key) = &a.object_key {
        state.objects.delete(&ObjectKey::parse(key)?).await?;
    }
    Ok(())
}

/// Deletes an archived case with everything in its partition (events, files, history, clocks):
/// the binaries, then the other items in transactions of at most 100, then the case with its
/// inbox counter. `false` when the case changed meanwhile.
async fn delete_case(state: &AppState, case: &Versioned<Case>) -> Result<bool, RetentionError> {
    let id = case.value.id;
    for file in state.store.event_files_of_case(id).await? {
        delete_binary(state, &file.value).await?;
    }
    state.store.delete_case_contents(id).await?;
    match state.store.commit(state.store.delete_case_writes(case)).await {
        Ok(()) => Ok(true),
        Err(StoreError::Conflict) => Ok(false),
        Err(e) => Err(e.into()),
    }
}
