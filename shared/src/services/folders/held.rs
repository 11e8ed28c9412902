//! Completions held for antivirus verdicts (`Config::verdicts_later`, docs/ANTIVIRUS.md): an
//! operator's `HUBEE_COMPLETED` on a folder whose binaries GuardDuty has not judged yet leaves
//! the folder `HUBEE_COMPLETED`, listed under `COMPLETION#HELD`; the last verdict releases it
//! — the completion's notifications and e-mails then go out as they would have at once.

use uuid::Uuid;

use super::{complete_writes, completion_reads};
use crate::{
    domain::FolderStatus,
    services::{Attempt, ExchangeError, optimistic},
    state::AppState,
};

/// Completes a folder whose completion was held for antivirus verdicts once none is awaited
/// any more: called with each verdict recorded, and by the scheduled sweep
/// ([`settle_held_completions`]) for a release that failed. Nothing happens to a folder
/// still awaiting a verdict, or not held.
///
/// # Errors
/// When the store fails or stays busy: the sweep tries again.
pub async fn release_held_completion(state: &AppState, id: Uuid) -> Result<bool, ExchangeError> {
    let released = optimistic::<_, ExchangeError, _, _>(state, || async move {
        let found = state
            .store
            .folder_with(id, |folder, reads| Some(completion_reads(folder, &folder.recipients, reads)))
            .await?;
        let Some((agg, read, slots)) = found else { return Ok(Attempt::Done(false)) };
        if agg.folder.value.global_status != FolderStatus::HubeeCompleted
            || agg.attachments.iter().any(|a| a.value.scanning)
        {
            return Ok(Attempt::Done(false));
        }
        let writes = complete_writes(state, &agg, read, slots).await?;
        Ok(if writes.is_empty() { Attempt::Done(false) } else { Attempt::Commit(writes, true) })
    })
    .await?;
    if released {
        tracing::info!(folder_id = %id, "held completion released: every antivirus verdict is in");
    }
    Ok(released)
}

/// What [`settle_held_completions`] found.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct HeldCompletions {
    /// Released now (the release at their last verdict failed).
    pub released: usize,
    /// Still held, longer than [`VERDICT_OVERDUE_MINUTES`]: said in an ERROR line an alarm
    /// counts (docs/ANTIVIRUS.md).
    pub overdue: usize,
}

/// How long a completion may wait for antivirus verdicts before an alarm says so.
pub const VERDICT_OVERDUE_MINUTES: i64 = 10;

/// The scheduled look at held completions (the notification sweep, every few minutes): each
/// releasable one is released; one held longer than [`VERDICT_OVERDUE_MINUTES`] is said loudly
/// — its binaries stay unserved and its recipients unnotified until the verdict comes.
///
/// # Errors
/// When the store fails.
pub async fn settle_held_completions(state: &AppState, limit: usize) -> Result<HeldCompletions, ExchangeError> {
    let mut done = HeldCompletions::default();
    let overdue_before = state.clock.now() - chrono::Duration::minutes(VERDICT_OVERDUE_MINUTES);
    for (folder_id, since) in state.store.held_completions(limit).await? {
        if release_held_completion(state, folder_id).await? {
            done.released += 1;
        } else if since < overdue_before {
            tracing::error!(
                metric = "AntivirusVerdictOverdue",
                %folder_id,
                held_since = %crate::domain::format_time(since),
                "a completion has awaited antivirus verdicts for too long"
            );
            done.overdue += 1;
        }
    }
    Ok(done)
}
