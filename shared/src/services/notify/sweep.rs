//! The sweep: what is waiting to be sent, taken in batches, and the leases a dead dispatcher
//! left.
//!
//! A page of pending notifications is read with the items' versions; the items free to take go
//! in batches of [`BATCH`]: claimed together (one transaction, so one commit), sent (a task
//! each), and their outcomes recorded together (one transaction); [`IN_FLIGHT`] batches are
//! under way at once, and [`CONCURRENCY`] sends across them. Claims and marks stay conditional
//! on each item's version, so delivery is what it is one by one: an item is sent only under a
//! lease this dispatcher wrote, and marked only if nobody took it since. When a batch's
//! transaction loses a condition (another dispatcher took an item, a digest changed one), its
//! items are claimed or marked one by one instead. An item to retry after a backoff is marked on
//! its own and goes on in the one-by-one loop.

use std::sync::Arc;

use futures::{FutureExt, Stream, StreamExt, TryStreamExt, stream, stream::FuturesUnordered};
use tokio::sync::Semaphore;

use super::{CONCURRENCY, PAGE, attempt, claim, deliver_claimed, handle, later, send_claimed, settle};
use crate::{
    domain::OutboxItem,
    state::AppState,
    store::{StoreError, Versioned},
};

/// Items claimed in one transaction, then marked in one (with their statistics counters, split
/// when the transaction would exceed its 100 writes).
const BATCH: usize = 64;

/// Batches dispatched at the same time: while one batch's e-mails are written, the claims and
/// marks of the others are committed (the store gathers them into one commit), so that sending
/// and committing overlap instead of taking turns.
const IN_FLIGHT: usize = 3;

/// Delivers every item waiting to be sent (start-up, timers, and after a crash): notifications
/// and e-mails to people; the number of items processed.
///
/// # Errors
/// When the store fails.
pub async fn sweep(state: &AppState) -> Result<usize, StoreError> {
    // E-mails to people: a few, one by one.
    let mail = super::super::mail::pending(state).await?;
    let mut processed = mail.len() - handle(state, mail).await.len();
    // Sends at once, across the batches under way.
    let sending = &Arc::new(Semaphore::new(CONCURRENCY));
    let dispatched = free_batches(state)
        .map(|batch| async move { dispatch(state, batch?, sending).await })
        .buffer_unordered(IN_FLIGHT);
    let mut dispatched = std::pin::pin!(dispatched);
    while let Some(count) = dispatched.next().await {
        processed += count?;
    }
    Ok(processed)
}

/// The pending items free to take (no live lease, not held for a digest), page after page, in
/// batches of at most [`BATCH`]. A page is read when the batches before it are under way.
fn free_batches(state: &AppState) -> impl Stream<Item = Result<Vec<Versioned<OutboxItem>>, StoreError>> + '_ {
    // `None`: the last page was read; `Some(cursor)`: the page to read next.
    stream::try_unfold(Some(None), move |page| async move {
        let Some(cursor) = page else { return Ok::<_, StoreError>(None) };
        let (items, next) = state.store.pending_outbox_page(PAGE, cursor).await?;
        let now = state.clock.now();
        let mut free = items
            .into_iter()
            .filter(|i| i.value.lease_until.is_none_or(|l| l <= now) && !i.value.awaits_digest())
            .peekable();
        let mut batches = Vec::new();
        while free.peek().is_some() {
            batches.push(Ok(free.by_ref().take(BATCH).collect()));
        }
        Ok(Some((stream::iter(batches), next.map(Some))))
    })
    .try_flatten()
}

/// Claims, sends (as `sending` allows) and marks a batch of items read as pending; the number
/// processed.
async fn dispatch(
    state: &AppState,
    items: Vec<Versioned<OutboxItem>>,
    sending: &Arc<Semaphore>,
) -> Result<usize, StoreError> {
    let claimed = claim_together(state, items).await?;
    let count = claimed.len();
    let mut attempts: FuturesUnordered<_> = claimed
        .into_iter()
        .map(|Versioned { value: mut item, version }| {
            // A task each, so that rendering and sending spread over the runtime's threads
            // rather than all running on the sweep's.
            let (state, sending) = (state.clone(), Arc::clone(sending));
            let id = item.id;
            let task = tokio::spawn(async move {
                // Never closed: a permit always comes.
                let _turn = sending.acquire_owned().await;
                let wait = attempt(&state, &mut item).await;
                (Versioned { value: item, version }, wait)
            });
            task.map(move |joined| (id, joined))
        })
        .collect();
    let (mut settled, mut retried) = (Vec::with_capacity(count), Vec::new());
    let mut failed = 0;
    while let Some((id, joined)) = attempts.next().await {
        match joined {
            Ok((item, Ok(None))) => settled.push(item),
            Ok((item, Ok(Some(wait)))) => retried.push((item, wait)),
            Ok((_, Err(e))) => {
                // Left under its lease: taken again when it expires.
                tracing::error!(outbox_id = %id, error = %e, "outbox item not processed");
                failed += 1;
            }
            Err(e) => {
                tracing::error!(outbox_id = %id, error = %e, "outbox item not processed: its task failed");
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
/// each of its items is recorded on its own, as [`settle`] does.
async fn mark_together(state: &AppState, items: Vec<Versioned<OutboxItem>>) -> Result<(), StoreError> {
    let mut start = 0;
    for (count, writes) in state.store.settle_outbox_transactions(&items)? {
        let recorded = &items[start..start + count];
        start += count;
        match state.store.commit(writes).await {
            Ok(()) => {}
            Err(StoreError::Conflict) => {
                for item in recorded {
                    settle(state, &item.value, item.version).await?;
                }
            }
            Err(e) => return Err(e),
        }
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
