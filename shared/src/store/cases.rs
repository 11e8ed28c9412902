//! Cases with their events, event files and status history (one partition per case), and
//! notifications.

use serde_json::Value;
use uuid::Uuid;

use super::{Store, StoreError, Versioned, folders::at_version, from_item, keys, to_item};
use crate::{
    domain::{Attachment, Case, Event, LogEntry, Notification, OrgRef, ProcessCode, StatusChange, format_time},
    ports::{Condition, Cursor, Index, Query, SK, Write},
};

/// A case and everything that happened to it, in time order.
#[derive(Clone, Debug)]
pub struct CaseRecord {
    pub case: Versioned<Case>,
    pub events: Vec<Versioned<Event>>,
    pub event_attachments: Vec<Versioned<Attachment>>,
    pub history: Vec<StatusChange>,
    /// Consultations, downloads and comments, in time order.
    pub log: Vec<LogEntry>,
}

impl CaseRecord {
    pub fn event(&self, id: Uuid) -> Option<&Versioned<Event>> {
        self.events.iter().find(|e| e.value.id == id)
    }

    /// The files of an event, in the event's order.
    pub fn attachments_of(&self, event: &Event) -> Vec<&Versioned<Attachment>> {
        event.attachment_ids.iter().filter_map(|id| self.event_attachments.iter().find(|a| a.value.id == *id)).collect()
    }
}

/// One page of an inbox.
pub struct NotificationPage {
    pub items: Vec<Versioned<Notification>>,
    pub cursor: Option<Cursor>,
}

impl Store {
    /// # Errors
    /// When the table fails or holds a corrupt item.
    pub async fn case(&self, id: Uuid) -> Result<Option<Versioned<Case>>, StoreError> {
        self.table().get(&keys::case(id)).await?.map(from_item).transpose()
    }

    /// A case with its events, event files and history: one Query on the case's partition.
    ///
    /// # Errors
    /// When the table fails or holds a corrupt item.
    pub async fn case_record(&self, id: Uuid) -> Result<Option<CaseRecord>, StoreError> {
        let mut case = None;
        let (mut events, mut event_attachments, mut history, mut log) =
            (Vec::new(), Vec::new(), Vec::new(), Vec::new());
        for item in self.query_all(Query::table(keys::case_partition(id))).await? {
            let sk = item.get(SK).and_then(Value::as_str).unwrap_or_default().to_owned();
            if sk == keys::case(id).sk {
                case = Some(from_item::<Case>(item)?);
            } else if sk.starts_with(keys::EVENT_PREFIX) {
                events.push(from_item::<Event>(item)?);
            } else if sk.starts_with(keys::EVENT_ATTACHMENT_PREFIX) {
                event_attachments.push(from_item::<Attachment>(item)?);
            } else if sk.starts_with(keys::HISTORY_PREFIX) {
                history.push(from_item::<StatusChange>(item)?.value);
            } else if sk.starts_with(keys::LOG_PREFIX) {
                log.push(from_item::<LogEntry>(item)?.value);
            }
        }
        let Some(case) = case else { return Ok(None) };
        events.sort_by_key(|e| (e.value.create_date_time, e.value.id));
        Ok(Some(CaseRecord { case, events, event_attachments, history, log }))
    }

    /// # Errors
    /// When the table fails or holds a corrupt item.
    pub async fn event(&self, case: Uuid, id: Uuid) -> Result<Option<Versioned<Event>>, StoreError> {
        self.table().get(&keys::event(case, id)).await?.map(from_item).transpose()
    }

    /// # Errors
    /// When the table fails or holds a corrupt item.
    pub async fn event_attachment(
        &self,
        case: Uuid,
        event: Uuid,
        id: Uuid,
    ) -> Result<Option<Versioned<Attachment>>, StoreError> {
        self.table().get(&keys::event_attachment(case, event, id)).await?.map(from_item).transpose()
    }

    /// # Errors
    /// When the event does not serialise.
    pub fn create_event_write(&self, event: &Event) -> Result<Write, StoreError> {
        Ok(Write::create(to_item(event, "Event", &keys::event(event.case_id, event.id), &[], 1)?))
    }

    /// # Errors
    /// When the event does not serialise.
    pub fn update_event_write(&self, event: &Event, read_version: i64) -> Result<Write, StoreError> {
        let item = to_item(event, "Event", &keys::event(event.case_id, event.id), &[], read_version + 1)?;
        Ok(Write::Put { item, condition: at_version(read_version) })
    }

    /// The writes deleting an event and its files, if nothing changed since read.
    pub fn delete_event_writes(&self, event: &Versioned<Event>, files: &[&Versioned<Attachment>]) -> Vec<Write> {
        let mut writes = vec![Write::Delete {
            key: keys::event(event.value.case_id, event.value.id),
            condition: at_version(event.version),
        }];
        writes.extend(files.iter().map(|a| Write::Delete {
            key: super::folders::attachment_key(&a.value),
            condition: at_version(a.version),
        }));
        writes
    }

    /// # Errors
    /// When the record does not serialise.
    pub fn record_status_change_write(&self, change: &StatusChange) -> Result<Write, StoreError> {
        let key = keys::status_change(change.case_id, &format_time(change.date_time), change.id);
        Ok(Write::create(to_item(change, "StatusChange", &key, &[], 1)?))
    }

    /// # Errors
    /// When the entry does not serialise.
    pub fn record_log_write(&self, entry: &LogEntry) -> Result<Write, StoreError> {
        let key = keys::case_log(entry.case_id, &format_time(entry.date_time), entry.id);
        Ok(Write::create(to_item(entry, "LogEntry", &key, &[], 1)?))
    }

    /// # Errors
    /// When the table fails or holds a corrupt item.
    pub async fn notification(&self, id: Uuid) -> Result<Option<Versioned<Notification>>, StoreError> {
        self.table().get(&keys::notification(id)).await?.map(from_item).transpose()
    }

    pub fn delete_notification_write(&self, n: &Versioned<Notification>) -> Write {
        Write::Delete { key: keys::notification(n.value.id), condition: Condition::Exists }
    }

    /// One page of an organisation's notifications (of one procedure when given), newest first.
    ///
    /// # Errors
    /// When the table fails.
    pub async fn notifications_page(
        &self,
        org: &OrgRef,
        procedure: Option<&ProcessCode>,
        limit: usize,
        cursor: Option<Cursor>,
    ) -> Result<NotificationPage, StoreError> {
        let q = match procedure {
            None => Query::index(Index::Gsi1, keys::notifications_of_org(org)),
            Some(p) => Query::index(Index::Gsi2, keys::notifications_of_org_procedure(org, p)),
        };
        let page = self.table().query(q.backward().limit(limit).after(cursor)).await?;
        let items = page.items.into_iter().map(from_item).collect::<Result<Vec<_>, _>>()?;
        Ok(NotificationPage { items, cursor: page.cursor })
    }
}
