//! Notification dispatch: the only place that turns outbox items into e-mails to instructing
//! services. Items arrive from the table's stream on AWS, from an in-process task locally, and
//! from a sweep of what is left; a record delivered twice sends one e-mail.
//!
//! Each item is *claimed* (a lease, with a conditional write) before it is sent and *marked*
//! after; a dispatcher that dies between the two leaves a lease that expires, and the item is
//! sent again: at most one duplicate per crash, never a loss (the local hub, the only dispatcher
//! of its data directory, takes a dead run's leases back at start-up, and its outbox mailer
//! keeps one message per item: [`take_back_leases`], `Email::key`). Failures are retried with
//! exponential backoff and jitter, then the item is parked as `FAILED` with its last error,
//! which the subscription's delivery record shows.

use std::time::Duration;

use chrono::{DateTime, NaiveTime, TimeZone, Utc};
use chrono_tz::Europe::Paris;
use futures::{StreamExt, stream};
use rand::Rng;
use uuid::Uuid;

mod sweep;

pub use sweep::{sweep, take_back_leases};

use crate::{
    domain::{Case, NotificationFrequency, OutboxItem, OutboxMessage, OutboxStatus},
    ports::{Email, MailError},
    state::AppState,
    store::{OutboxEntity, Reads, StoreError, Versioned},
    templates::{self, DossierNotice},
};

/// Items sent at the same time by one dispatcher.
const CONCURRENCY: usize = 16;
/// Items read from an index at a time.
const PAGE: usize = 200;
/// The most dossiers one digest transaction gathers (plus the digest itself: 99 writes).
const DIGEST_CHUNK: usize = 98;

/// Why an item could not be rendered into an e-mail; it is parked with this reason.
#[derive(Debug, thiserror::Error)]
enum RenderError {
    #[error("the subscription has no notification address")]
    NoAddress,
    #[error("the dossier {0} no longer exists")]
    MissingCase(Uuid),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Delivers the items with these ids (outbox records from the table's stream); returns those
/// that could not be processed for an infrastructure failure, to be delivered again.
pub async fn handle(state: &AppState, ids: Vec<Uuid>) -> Vec<Uuid> {
    stream::iter(ids)
        .map(|id| async move { (id, deliver_any(state, id).await) })
        .buffer_unordered(CONCURRENCY)
        .filter_map(|(id, result)| async move {
            result.err().map(|e| {
                tracing::error!(outbox_id = %id, error = %e, "outbox item not processed");
                id
            })
        })
        .collect()
        .await
}

/// Delivers a notification or an e-mail to a person (`services::mail`), as the item's kind says.
async fn deliver_any(state: &AppState, id: Uuid) -> Result<(), StoreError> {
    match state.store.outbox_entity(id).await? {
        Some(OutboxEntity::Mail) => super::mail::deliver(state, id).await,
        Some(OutboxEntity::Notification) => deliver(state, id).await,
        None => Ok(()),
    }
}

pub(crate) fn backoff(state: &AppState, attempts: u32) -> Duration {
    let base = state.config.delivery.backoff_base;
    let exp = base.saturating_mul(2u32.saturating_pow(attempts.saturating_sub(1).min(16)));
    let jitter = base.mul_f64(rand::rng().random::<f64>());
    exp + jitter
}

pub(crate) fn later(now: DateTime<Utc>, d: Duration) -> DateTime<Utc> {
    now + chrono::Duration::from_std(d).unwrap_or(chrono::Duration::MAX)
}

/// Takes the item for this dispatcher: `None` when there is nothing to do (sent, closed,
/// waiting for a digest, or held by another dispatcher).
///
/// # Errors
/// When the store fails.
pub async fn claim(
    state: &AppState,
    id: Uuid,
    owned: Option<i64>,
) -> Result<Option<Versioned<OutboxItem>>, StoreError> {
    loop {
        let Some(Versioned { value: mut item, version }) = state.store.outbox_item(id).await? else { return Ok(None) };
        if item.status != OutboxStatus::Pending || item.awaits_digest() {
            return Ok(None);
        }
        let now = state.clock.now();
        if owned != Some(version) && item.lease_until.is_some_and(|l| l > now) {
            return Ok(None);
        }
        item.attempts += 1;
        item.lease_until = Some(later(now, state.config.delivery.lease));
        match state.store.update_outbox(&item, version).await {
            Ok(version) => return Ok(Some(Versioned { value: item, version })),
            Err(StoreError::Conflict) if owned.is_none() => continue,
            Err(StoreError::Conflict) => return Ok(None),
            Err(e) => return Err(e),
        }
    }
}

/// Records the outcome of a claimed item, with the statistics' e-mail counters when it is sent
/// or failed for good. A conflict means another dispatcher took the item after our lease
/// expired: it carries on.
async fn settle(state: &AppState, item: &OutboxItem, version: i64) -> Result<Option<i64>, StoreError> {
    match state.store.commit(state.store.settle_outbox_writes(item, version)?).await {
        Ok(()) => Ok(Some(version + 1)),
        Err(StoreError::Conflict) => Ok(None),
        Err(e) => Err(e),
    }
}

/// Sends one claimed item and records the outcome: the step after [`claim`].
///
/// # Errors
/// When the store fails.
pub async fn send_claimed(state: &AppState, claimed: Versioned<OutboxItem>) -> Result<Option<Duration>, StoreError> {
    let Versioned { value: mut item, version } = claimed;
    let wait = attempt(state, &mut item).await?;
    // Retried only while the item is still ours.
    Ok(settle(state, &item, version).await?.and(wait))
}

/// Sends a claimed item and sets the outcome on it (sent, parked, closed, or held through a
/// backoff); `Some(wait)` when it is to be sent again after `wait`. Recording it is the caller's.
async fn attempt(state: &AppState, item: &mut OutboxItem) -> Result<Option<Duration>, StoreError> {
    let now = state.clock.now();
    item.lease_until = None;
    if item.frequency == NotificationFrequency::Aucune && !matches!(item.message, OutboxMessage::Digest { .. }) {
        item.status = OutboxStatus::Closed;
        item.done_at = Some(now);
        return Ok(None);
    }
    let email = match render(state, item).await {
        Ok(e) => e,
        Err(RenderError::Store(e)) => return Err(e),
        Err(e) => {
            item.status = OutboxStatus::Failed;
            item.last_error = Some(e.to_string());
            item.done_at = Some(now);
            tracing::warn!(outbox_id = %item.id, error = %e, "outbox item parked");
            return Ok(None);
        }
    };
    match state.mailer.send(&email).await {
        Ok(message_id) => {
            item.status = OutboxStatus::Sent;
            item.done_at = Some(state.clock.now());
            item.sent_to = email.to.first().cloned();
            item.message_id = Some(message_id);
            tracing::info!(outbox_id = %item.id, attempts = item.attempts, "e-mail sent");
            Ok(None)
        }
        Err(e) => {
            item.last_error = Some(e.to_string());
            let permanent = matches!(e, MailError::Rejected(_));
            if permanent || item.attempts >= state.config.delivery.max_attempts {
                item.status = OutboxStatus::Failed;
                item.done_at = Some(state.clock.now());
                item.sent_to = email.to.first().cloned();
                tracing::warn!(outbox_id = %item.id, attempts = item.attempts, error = %e, "e-mail parked as failed");
                return Ok(None);
            }
            let wait = backoff(state, item.attempts);
            // Hold the item through the backoff, so that a sweep does not take it meanwhile.
            item.lease_until = Some(later(state.clock.now(), wait + state.config.delivery.lease));
            tracing::info!(outbox_id = %item.id, attempts = item.attempts, error = %e, "e-mail failed, will retry");
            Ok(Some(wait))
        }
    }
}

/// Claims, sends and marks one item, retrying failures with backoff until sent or parked.
async fn deliver(state: &AppState, id: Uuid) -> Result<(), StoreError> {
    deliver_claimed(None, |owned| claim(state, id, owned), |claimed| send_claimed(state, claimed)).await
}

/// The delivery loop of any outbox (notifications here, e-mails to people in `services::mail`):
/// `claim` takes the item (`None`: it is done, or someone else holds it), `send` sends and marks
/// it, answering how long to wait before the next attempt when it is to be retried. The lease
/// `send` extended over that wait stays this dispatcher's: the next claim names the version it
/// wrote, so that it retakes the item its lease still holds: `owned` is that version when the
/// loop starts on an item this dispatcher already holds.
pub(crate) async fn deliver_claimed<T, C, CF, S, SF>(
    mut owned: Option<i64>,
    mut claim: C,
    mut send: S,
) -> Result<(), StoreError>
where
    C: FnMut(Option<i64>) -> CF,
    CF: Future<Output = Result<Option<Versioned<T>>, StoreError>>,
    S: FnMut(Versioned<T>) -> SF,
    SF: Future<Output = Result<Option<Duration>, StoreError>>,
{
    while let Some(claimed) = claim(owned).await? {
        let version = claimed.version;
        match send(claimed).await? {
            None => return Ok(()),
            Some(wait) => {
                owned = Some(version + 1);
                tokio::time::sleep(wait).await;
            }
        }
    }
    Ok(())
}

fn notice(state: &AppState, procedure_title: &str, case: Case) -> DossierNotice {
    DossierNotice {
        procedure_title: procedure_title.to_owned(),
        number: case.external_id,
        transmitted: case.transmission_date_time.unwrap_or(case.create_date_time),
        link: templates::dossier_link(&state.config.public_url, case.id),
    }
}

/// The e-mail for an item, to the subscription's current notification address: what it needs
/// (the subscription, the procedure, the dossiers) read in one round trip.
async fn render(state: &AppState, item: &OutboxItem) -> Result<Email, RenderError> {
    let r = &item.recipient;
    let case_ids = match &item.message {
        OutboxMessage::NewCase { case_id } | OutboxMessage::ReopenedCase { case_id } => std::slice::from_ref(case_id),
        OutboxMessage::Digest { case_ids, .. } => case_ids.as_slice(),
    };
    let mut reads = Reads::new();
    let subscription = reads.subscription(&r.company_register, &r.branch_code, &item.process_code);
    let procedure = reads.procedure(&item.process_code);
    let cases: Vec<_> = case_ids.iter().map(|id| reads.case(*id)).collect();
    let read = state.store.read_all(reads).await?;
    let to = read.get(subscription)?.and_then(|s| s.email).ok_or(RenderError::NoAddress)?;
    let title = read.get(procedure)?.map_or_else(|| item.process_code.to_string(), |p| p.title);
    let mut notices = Vec::with_capacity(cases.len());
    for (id, slot) in case_ids.iter().zip(cases) {
        match read.get(slot)? {
            Some(case) => notices.push(notice(state, &title, case)),
            // A dossier deleted since (retention) is left out of a summary.
            None if matches!(item.message, OutboxMessage::Digest { .. }) => {}
            None => return Err(RenderError::MissingCase(*id)),
        }
    }
    let email = match &item.message {
        OutboxMessage::Digest { until, .. } => templates::digest(to.as_str(), &notices, *until),
        // A single dossier, found: its absence was answered above.
        OutboxMessage::NewCase { case_id } => {
            templates::new_dossier(to.as_str(), &notices.pop().ok_or(RenderError::MissingCase(*case_id))?)
        }
        OutboxMessage::ReopenedCase { case_id } => {
            let mut n = notices.pop().ok_or(RenderError::MissingCase(*case_id))?;
            n.transmitted = item.created;
            templates::reopened_dossier(to.as_str(), &n)
        }
    };
    Ok(Email { key: Some(item.id), ..email })
}

// ---------------------------------------------------------------------------------------------
// Digests
// ---------------------------------------------------------------------------------------------

/// The scheduled digest times, Paris time: 08:00 for `quotidienne` and `biquotidienne`, 14:00
/// for `biquotidienne` only.
const MORNING: (u32, u32) = (8, 0);
const AFTERNOON: (u32, u32) = (14, 0);

/// The most recent digest time at or before `now`, and the frequencies due then.
pub fn latest_slot(now: DateTime<Utc>) -> (DateTime<Utc>, &'static [NotificationFrequency]) {
    use NotificationFrequency::{Biquotidienne, Quotidienne};
    let local = now.with_timezone(&Paris).date_naive();
    let at = |day: chrono::NaiveDate, (h, m): (u32, u32)| {
        let naive = day.and_time(NaiveTime::from_hms_opt(h, m, 0).unwrap_or_default());
        Paris.from_local_datetime(&naive).earliest().map(|t| t.with_timezone(&Utc))
    };
    let candidates = [
        (at(local, AFTERNOON), &[Biquotidienne][..]),
        (at(local, MORNING), &[Quotidienne, Biquotidienne][..]),
        (local.pred_opt().and_then(|d| at(d, AFTERNOON)), &[Biquotidienne][..]),
    ];
    candidates.into_iter().find_map(|(t, f)| t.filter(|t| *t <= now).map(|t| (t, f))).unwrap_or((now, &[]))
}

/// The digest of a subscription for a slot has a fixed id, so that running the job twice (or
/// resuming after a crash) never sends two.
pub fn digest_id(subscription: Uuid, slot: DateTime<Utc>) -> Uuid {
    Uuid::new_v5(&subscription, format!("digest:{}", slot.timestamp()).as_bytes())
}

/// Gathers every item waiting for the latest digest time into one digest per subscription and
/// sends them. Idempotent.
///
/// # Errors
/// When the store fails.
pub async fn send_digests(state: &AppState) -> Result<usize, StoreError> {
    let (slot, due) = latest_slot(state.clock.now());
    if due.is_empty() {
        return Ok(0);
    }
    // Collect the waiting items, grouped by subscription (the index sorts them so).
    let mut groups: Vec<(Uuid, Vec<Versioned<OutboxItem>>)> = Vec::new();
    let mut cursor = None;
    loop {
        let (items, next) = state.store.digest_pending_page(PAGE, cursor.take()).await?;
        for item in items.into_iter().filter(|i| due.contains(&i.value.frequency) && i.value.created <= slot) {
            match groups.last_mut() {
                Some((sub, list)) if *sub == item.value.subscription_id => list.push(item),
                _ => groups.push((item.value.subscription_id, vec![item])),
            }
        }
        match next {
            Some(c) => cursor = Some(c),
            None => break,
        }
    }
    let mut digests = Vec::new();
    for (subscription, items) in groups {
        if let Some(id) = gather(state, subscription, slot, items).await? {
            digests.push(id);
        }
    }
    let count = digests.len();
    let failed = handle(state, digests).await;
    Ok(count - failed.len())
}

/// Closes the items into the slot's digest of their subscription, in chunks that each fit one
/// transaction, then releases the digest for sending.
async fn gather(
    state: &AppState,
    subscription: Uuid,
    slot: DateTime<Utc>,
    items: Vec<Versioned<OutboxItem>>,
) -> Result<Option<Uuid>, StoreError> {
    let Some(first) = items.first() else { return Ok(None) };
    let id = digest_id(subscription, slot);
    let mut digest = OutboxItem {
        status: OutboxStatus::Assembling,
        message: OutboxMessage::Digest { case_ids: Vec::new(), until: slot },
        created: state.clock.now(),
        ..first.value.clone()
    };
    digest.id = id;
    digest.attempts = 0;
    match state.store.create_outbox(&digest).await {
        Ok(()) | Err(StoreError::Conflict) => {}
        Err(e) => return Err(e),
    }
    for chunk in items.chunks(DIGEST_CHUNK) {
        let Some(Versioned { value: mut current, version }) = state.store.outbox_item(id).await? else {
            return Ok(None);
        };
        if current.status != OutboxStatus::Assembling {
            // Already complete for this slot: what is left waits for the next one.
            return Ok(None);
        }
        let now = state.clock.now();
        let mut writes = Vec::with_capacity(chunk.len() + 1);
        if let OutboxMessage::Digest { case_ids, .. } = &mut current.message {
            for Versioned { value: item, version } in chunk {
                if let OutboxMessage::NewCase { case_id } | OutboxMessage::ReopenedCase { case_id } = item.message {
                    case_ids.push(case_id);
                }
                let mut closed = item.clone();
                closed.status = OutboxStatus::Closed;
                closed.digest_id = Some(id);
                closed.done_at = Some(now);
                writes.push(state.store.update_outbox_write(&closed, *version)?);
            }
        }
        writes.push(state.store.update_outbox_write(&current, version)?);
        match state.store.commit(writes).await {
            // An item taken by a concurrent run: the next run picks up what is left.
            Ok(()) | Err(StoreError::Conflict) => {}
            Err(e) => return Err(e),
        }
    }
    let Some(Versioned { value: mut digest, version }) = state.store.outbox_item(id).await? else { return Ok(None) };
    if digest.status != OutboxStatus::Assembling {
        return Ok(None);
    }
    digest.status = if matches!(&digest.message, OutboxMessage::Digest { case_ids, .. } if case_ids.is_empty()) {
        OutboxStatus::Closed
    } else {
        OutboxStatus::Pending
    };
    match state.store.update_outbox(&digest, version).await {
        Ok(_) if digest.status == OutboxStatus::Pending => Ok(Some(id)),
        Ok(_) | Err(StoreError::Conflict) => Ok(None),
        Err(e) => Err(e),
    }
}

/// The latest e-mails sent and failed for a subscription, newest first: where an administrator
/// learns that the notification address bounces.
///
/// # Errors
/// When the store fails.
pub async fn delivery_state(state: &AppState, subscription: Uuid, limit: usize) -> Result<Vec<OutboxItem>, StoreError> {
    state.store.deliveries(subscription, limit).await
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::parse_time;

    #[test]
    fn digest_times_are_8_and_14_paris_time() {
        use NotificationFrequency::*;
        // Winter (UTC+1): 08:00 Paris is 07:00 UTC.
        let (slot, due) = latest_slot(parse_time("2026-01-15T07:30:00Z").unwrap());
        assert_eq!((slot, due), (parse_time("2026-01-15T07:00:00Z").unwrap(), &[Quotidienne, Biquotidienne][..]));
        let (slot, due) = latest_slot(parse_time("2026-01-15T13:00:00Z").unwrap());
        assert_eq!((slot, due), (parse_time("2026-01-15T13:00:00Z").unwrap(), &[Biquotidienne][..]));
        // Summer (UTC+2), before 08:00: the previous afternoon's slot.
        let (slot, due) = latest_slot(parse_time("2026-06-15T05:00:00Z").unwrap());
        assert_eq!((slot, due), (parse_time("2026-06-14T12:00:00Z").unwrap(), &[Biquotidienne][..]));
    }

    #[test]
    fn a_digest_id_is_fixed_per_subscription_and_slot() {
        let (a, b) = (Uuid::new_v4(), Uuid::new_v4());
        let t = parse_time("2026-01-15T07:00:00Z").unwrap();
        assert_eq!(digest_id(a, t), digest_id(a, t));
        assert_ne!(digest_id(a, t), digest_id(b, t));
        assert_ne!(digest_id(a, t), digest_id(a, t + chrono::Duration::hours(6)));
    }
}
