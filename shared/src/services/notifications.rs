//! The notification inbox of an API client: listing (newest first, priority procedures first,
//! with the current status of the referenced event) and deletion as acknowledgement.

use std::collections::HashSet;

use serde_json::{Value, json};
use uuid::Uuid;

use super::ExchangeError;
use crate::{
    auth::Claims,
    domain::{Notification, ProcessCode, Scope, format_time},
    state::AppState,
    store::Versioned,
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

/// `GET /notifications`.
///
/// # Errors
/// When the store fails.
pub async fn list(state: &AppState, caller: &Claims, params: &ListNotifications) -> Result<Value, ExchangeError> {
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

    let mut items = Vec::new();
    match &scope_codes {
        // Given procedures: one index partition each, merged.
        Some(codes) => {
            for code in codes.iter().collect::<HashSet<_>>() {
                items.extend(state.store.notifications_page(&org, Some(code), max, None).await?.items);
            }
        }
        // Every procedure: the priority ones first from their partitions, then the rest from the
        // organisation's partition, skipping what is already there.
        None => {
            for code in &priority {
                items.extend(state.store.notifications_page(&org, Some(code), max, None).await?.items);
            }
            let mut cursor = None;
            let mut others = 0;
            loop {
                let page = state.store.notifications_page(&org, None, max, cursor.take()).await?;
                for n in page.items {
                    if !priority.contains(&n.value.process_code) && others < max {
                        others += 1;
                        items.push(n);
                    }
                }
                match page.cursor {
                    Some(c) if others < max => cursor = Some(c),
                    _ => break,
                }
            }
        }
    }
    newest_first(&mut items);
    // Stable: within each group, newest first.
    items.sort_by_key(|n| !priority.contains(&n.value.process_code));
    items.truncate(max);

    let mut out = Vec::with_capacity(items.len());
    for Versioned { value: n, .. } in items {
        // The event's current values, not a snapshot: clients acknowledge and poll again.
        let event = match (n.case_id, n.event_id) {
            (Some(c), Some(e)) => state.store.event(c, e).await?.map(|e| e.value),
            _ => None,
        };
        out.push(json!({
            "id": n.id,
            "recipient": n.recipient,
            "transmitter": n.transmitter,
            "processCode": n.process_code,
            "caseId": n.case_id,
            "eventId": n.event_id,
            "dateTime": format_time(n.date_time),
            "eventActionType": event.as_ref().map(|e| e.action_type),
            "eventStatus": event.as_ref().map(|e| e.status),
        }));
    }
    Ok(Value::Array(out))
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
