//! The notification inbox of an API client: listing (newest first, priority procedures first,
//! with the current status of the referenced event) and deletion as acknowledgement.

use std::collections::HashSet;

use uuid::Uuid;

use super::{ExchangeError, views::NotificationView};
use crate::{
    auth::Claims,
    domain::{Event, Notification, OrgRef, ProcessCode, Scope},
    state::AppState,
    store::{Reads, Slot, StoreError, Versioned},
};

/// `maxResult` when the client gives none.
pub const DEFAULT_MAX_RESULT: usize = 25;
/// The largest page served; larger `maxResult` values are accepted and capped.
pub const MAX_RESULT_CAP: usize = 500;

/// The listing's parameters, parsed.
#[derive(Clone, Debug, Default)]
pub struct ListNotifications {
    pub max_result: Option<usize>,
    pub process_codes: Vec<ProcessCode>,
    pub process_priority: Vec<ProcessCode>,
}

/// Newest first; ids break ties so that the order is stable.
fn newest_first(items: &mut [Versioned<Notification>]) {
    items.sort_by_key(|n| std::cmp::Reverse((n.value.date_time, n.value.id)));
}

/// The newest `max` notifications of each procedure, read together.
async fn first_pages(
    state: &AppState,
    org: &OrgRef,
    codes: impl IntoIterator<Item = &ProcessCode>,
    max: usize,
) -> Result<Vec<Versioned<Notification>>, StoreError> {
    let pages = codes.into_iter().map(|code| state.store.notifications_page(org, Some(code), max, None));
    Ok(futures::future::try_join_all(pages).await?.into_iter().flat_map(|page| page.items).collect())
}

/// `GET /notifications`.
///
/// # Errors
/// When the store fails.
pub async fn list(
    state: &AppState,
    caller: &Claims,
    params: &ListNotifications,
) -> Result<Vec<NotificationView>, ExchangeError> {
    let max = params.max_result.unwrap_or(DEFAULT_MAX_RESULT).clamp(1, MAX_RESULT_CAP);
    let org = caller.org();
    // An SI client sees its own procedure only.
    let scope_codes: Option<Vec<ProcessCode>> = match (caller.scope, &caller.process_code) {
        (Scope::Si, Some(own)) if params.process_codes.is_empty() || params.process_codes.contains(own) => {
            Some(vec![own.clone()])
        }
        (Scope::Si, _) => Some(Vec::new()),
        _ if params.process_codes.is_empty() => None,
        _ => Some(params.process_codes.clone()),
    };
    let priority: HashSet<&ProcessCode> = params.process_priority.iter().collect();

    // Every partition read at once: one round trip (more only when the organisation's partition
    // pages past the priority procedures' notifications).
    let mut items = match &scope_codes {
        // Given procedures: one index partition each, merged.
        Some(codes) => first_pages(state, &org, codes.iter().collect::<HashSet<_>>(), max).await?,
        // Every procedure: the priority ones first from their partitions, then the rest from the
        // organisation's partition, skipping what is already there.
        None => {
            let others = async {
                let (mut others, mut cursor) = (Vec::new(), None);
                loop {
                    let page = state.store.notifications_page(&org, None, max, cursor.take()).await?;
                    others.extend(
                        page.items
                            .into_iter()
                            .filter(|n| !priority.contains(&n.value.process_code))
                            .take(max - others.len()),
                    );
                    match page.cursor {
                        Some(c) if others.len() < max => cursor = Some(c),
                        _ => return Ok::<_, StoreError>(others),
                    }
                }
            };
            let (prioritised, others) =
                tokio::try_join!(first_pages(state, &org, priority.iter().copied(), max), others)?;
            prioritised.into_iter().chain(others).collect()
        }
    };
    newest_first(&mut items);
    // Stable: within each group, newest first.
    items.sort_by_key(|n| !priority.contains(&n.value.process_code));
    items.truncate(max);

    // The events' current values, not a snapshot (clients acknowledge and poll again), all read
    // together.
    let mut reads = Reads::new();
    let events: Vec<Option<Slot<Event>>> = items
        .iter()
        .map(|n| match (n.value.case_id, n.value.event_id) {
            (Some(c), Some(e)) => Some(reads.event(c, e)),
            _ => None,
        })
        .collect();
    let read = state.store.read_all(reads).await?;
    items
        .into_iter()
        .zip(events)
        .map(|(n, event)| {
            Ok(NotificationView::of(n.value, event.map(|slot| read.get(slot)).transpose()?.flatten().as_ref()))
        })
        .collect()
}

/// `DELETE /notifications/{id}`: the recipient acknowledges it.
///
/// # Errors
/// `NotificationNotFound`, `Forbidden` for someone else's notification.
pub async fn delete(state: &AppState, caller: &Claims, id: Uuid) -> Result<(), ExchangeError> {
    let n = state.store.notification(id).await?.ok_or(ExchangeError::NotificationNotFound)?;
    let own_org = n.value.recipient.key() == caller.org().key();
    let own_procedure = caller.scope != Scope::Si || caller.process_code.as_ref() == Some(&n.value.process_code);
    if !(caller.is_admin() || own_org && own_procedure) {
        return Err(ExchangeError::Forbidden);
    }
    match state.store.commit(vec![state.store.delete_notification_write(&n)]).await {
        // Deleted meanwhile by a concurrent acknowledgement: the result is the same.
        Ok(()) | Err(crate::store::StoreError::Conflict) => Ok(()),
        Err(e) => Err(e.into()),
    }
}
