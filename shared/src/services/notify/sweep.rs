//! The sweep: what is waiting to be sent, taken in batches, and the leases a dead dispatcher
//! left.
//!
//! A page of pending notifications is read with the items' versions; the items free to take go
//! in batches of [`BATCH`]: claimed together (one transaction, so one commit), sent
//! [`CONCURRENCY`] at a time, and their outcomes recorded together (one transaction). Claims
//! and marks stay conditional on each item's version, so delivery is what it is one by one: an
//! item is sent only under a lease this dispatcher wrote, and marked only if nobody took it
//! since. When a batch's transaction loses a condition (another dispatcher took an item, a
//! digest changed one), its items are claimed or marked one by one instead. An item to retry
//! after a backoff is marked on its own and goes on in the one-by-one loop.

use futures::{StreamExt, stream};

use super::{CONCURRENCY, PAGE, attempt, claim, deliver_claimed, handle, later, send_claimed, settle};
use crate::{
    domain::OutboxItem,
    ports::MAX_TRANSACTION_WRITES,
    state::AppState,
    store::{StoreError, Versioned},
};

/// Items claimed in one transaction, then marked in one (with their statistics counters, split
/// when the transaction would exceed its 100 writes).
const BATCH: usize = 64;

/// Delivers every item waiting to be sent (start-up, timers, and after a crash): notifications
/// and e-mails to people; the number of items processed.
///
/// # Errors
/// When the store fails.
pub async fn sweep(state: &AppState) -> Result<usize, StoreError> {
    // E-mails to people: a few, one by one.
    let mail = super::super::mail::pending(state).await?;
    let mut processed = mail.len() - handle(state, mail).await.len();
    let mut cursor = None;
    loop {
        let (items, next) = state.store.pending_outbox_page(PAGE, cursor.take()).await?;
        let now = state.clock.now();
        let free: Vec<_> = items
            .into_iter()
            .filter(|i| i.value.lease_until.is_none_or(|l| l <= now) && !i.value.awaits_digest())
            .collect();
        for batch in free.chunks(BATCH) {
            processed += dispatch(state, batch.to_vec()).await?;
        }
        match next {
            Some(c) => cursor = Some(c),
            None => return Ok(processed),
        }
    }
}

/// Claims, sends and marks a batch of items read as pending; the number processed.
async fn dispatch(state: &AppState, items: Vec<Versioned<OutboxItem>>) -> Result<usize, StoreError> {
    let claimed = claim_together(state, items).await?;
    let count = claimed.len();
    let mut attempts = stream::iter(claimed)
        .map(|Versioned { value: mut item, version }| async move {
            let wait = attempt(state, &mut item).await;
            (Versioned { value: item, version }, wait)
        })
        .buffer_unordered(CONCURRENCY);
    let (mut settled, mut retried) = (Vec::with_capacity(count), Vec::new());
    let mut failed = 0;
    while let Some((item, wait)) = attempts.next().await {
        match wait {
            Ok(None) => settled.push(item),
            Ok(Some(wait)) => retried.push((item, wait)),
            Err(e) => {
                // Left under its lease: taken again when it expires.
                tracing::error!(outbox_id = %item.value.id, error = %e, "outbox item not processed");
                failed += 1;
            }
        }
    }
    mark_together(state, settled).await?;
    // Retries keep their lease through the backoff, then go on one by one.
    let retries = stream::iter(retried)
        .map(|(item, wait)| async move {
            let id = item.value.id;
            let Some(version) = settle(state, &item.value, item.version).await? else { return Ok(()) };
            tokio::time::sleep(wait).await;
            deliver_claimed(Some(version), |owned| claim(state, id, owned), |c| send_claimed(state, c)).await
        })
        .buffer_unordered(CONCURRENCY)
        .collect::<Vec<Result<(), StoreError>>>()
        .await;
    failed += retries.into_iter().filter(Result::is_err).count();
    Ok(count - failed)
}

/// Takes the items for this dispatcher in one transaction, each on the version it was read at;
/// when one changed meanwhile, each is claimed on its own ([`claim`]). The items held.
async fn claim_together(
    state: &AppState,
    items: Vec<Versioned<OutboxItem>>,
) -> Result<Vec<Versioned<OutboxItem>>, StoreError> {
    let now = state.clock.now();
    let claimed: Vec<Versioned<OutboxItem>> = items
        .into_iter()
        .map(|Versioned { value: mut item, version }| {
            item.attempts += 1;
            item.lease_until = Some(later(now, state.config.delivery.lease));
            Versioned { value: item, version }
        })
        .collect();
    let writes =
        claimed.iter().map(|c| state.store.update_outbox_write(&c.value, c.version)).collect::<Result<_, _>>()?;
    match state.store.commit(writes).await {
        Ok(()) => Ok(claimed.into_iter().map(|c| Versioned { version: c.version + 1, ..c }).collect()),
        Err(StoreError::Conflict) => {
            let mut held = Vec::with_capacity(claimed.len());
            for c in claimed {
                held.extend(claim(state, c.value.id, None).await?);
            }
            Ok(held)
        }
        Err(e) => Err(e),
    }
}

/// Records the outcomes of items sent, parked or closed, in as few transactions as their writes
/// allow; when one lost its condition (taken by another dispatcher after the lease expired),
/// each is recorded on its own, as [`settle`] does.
async fn mark_together(state: &AppState, items: Vec<Versioned<OutboxItem>>) -> Result<(), StoreError> {
    let mut start = 0;
    while start < items.len() {
        // As many items as one transaction takes, counters merged.
        let mut end = start;
        let mut writes = Vec::new();
        while end < items.len() {
            let mut more = writes.clone();
            more.extend(state.store.settle_outbox_writes(&items[end].value, items[end].version)?);
            if end > start && state.store.merge_counter_writes(more.clone()).len() > MAX_TRANSACTION_WRITES {
                break;
            }
            writes = more;
            end += 1;
        }
        match state.store.commit(writes).await {
            Ok(()) => {}
            Err(StoreError::Conflict) => {
                for item in &items[start..end] {
                    settle(state, &item.value, item.version).await?;
                }
            }
            Err(e) => return Err(e),
        }
        start = end;
    }
    Ok(())
}

/// Frees the items a dispatcher that is gone had claimed, so that they are sent now rather than
/// when their leases expire (a minute): for the local hub at start-up, the only dispatcher of
/// its data directory (which it locks), whose previous run may have died holding leases. An
/// item whose e-mail went out before the crash but whose mark was lost is sent again: the outbox
/// mailer writes it over the first (`Email::key`). The number of items freed.
///
/// # Errors
/// When the store fails.
pub async fn take_back_leases(state: &AppState) -> Result<usize, StoreError> {
    let now = state.clock.now();
    let mut freed = 0;
    let mut cursor = None;
    loop {
        let (items, next) = state.store.pending_outbox_page(PAGE, cursor.take()).await?;
        for Versioned { value: mut item, version } in items {
            if item.lease_until.is_some_and(|l| l > now) {
                item.lease_until = None;
                freed += usize::from(freed_if_unchanged(state.store.update_outbox(&item, version).await)?);
            }
        }
        match next {
            Some(c) => cursor = Some(c),
            None => break,
        }
    }
    loop {
        let (items, next) = state.store.pending_mail_page(PAGE, cursor.take()).await?;
        for Versioned { value: mut item, version } in items {
            if item.lease_until.is_some_and(|l| l > now) {
                item.lease_until = None;
                freed += usize::from(freed_if_unchanged(state.store.update_mail(&item, version).await)?);
            }
        }
        match next {
            Some(c) => cursor = Some(c),
            None => return Ok(freed),
        }
    }
}

/// A lease freed, or an item that changed since it was read (nothing to free).
fn freed_if_unchanged(result: Result<i64, StoreError>) -> Result<bool, StoreError> {
    match result {
        Ok(_) => Ok(true),
        Err(StoreError::Conflict) => Ok(false),
        Err(e) => Err(e),
    }
}
