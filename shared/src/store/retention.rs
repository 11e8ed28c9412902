//! Retention clocks: the due markers that case status changes start and stop in their own
//! transaction, the Query of the clocks due, and the partition reads and deletions a folder's
//! deletion needs. See docs/RETENTION.md.

use chrono::{DateTime, Utc};
use serde_json::Value;
use uuid::Uuid;

use super::{IndexEntry, Store, StoreError, Versioned, folders::at_version, from_item, keys, to_item};
use crate::{
    domain::{Attachment, Case, CaseStatus, Folder, Retention, RetentionDue, RetentionStage},
    ports::{Condition, Index, Key, MAX_TRANSACTION_WRITES, Query, SK, SortKey, Write, item_key},
};

/// The index of the running clocks (`RETENTION#DUE`, by due date).
const DUE_INDEX: Index = Index::Gsi3;

/// The index sort key a marker is filed under; a marker is acted on (or removed) only while it
/// still has it, so that a clock restarted meanwhile is never lost.
fn due_sort_key(m: &RetentionDue) -> String {
    keys::retention_due(m.due, m.stage, m.case_id.unwrap_or(m.folder_id))
}

fn still(m: &RetentionDue) -> Condition {
    Condition::equals(DUE_INDEX.sk_attr(), due_sort_key(m))
}

fn marker_key(m: &RetentionDue) -> Key {
    keys::retention_marker(m.stage, m.folder_id, m.case_id)
}

impl Store {
    /// The marker writes of a case going from `before` to `after` at `now`: a clock that starts
    /// is written (replacing a stale marker), a clock that stops is removed. Part of every case
    /// status change's transaction ([`Store::update_case_writes`]).
    ///
    /// # Errors
    /// When a marker does not serialise.
    pub fn retention_clock_writes(
        &self,
        before: &Case,
        after: &Case,
        rules: &Retention,
        now: DateTime<Utc>,
    ) -> Result<Vec<Write>, StoreError> {
        let mut writes = Vec::new();
        for stage in [RetentionStage::Purge, RetentionStage::Archive] {
            let (was, is) = (rules.runs_in(stage, before.status), rules.runs_in(stage, after.status));
            let marker = RetentionDue {
                stage,
                folder_id: after.folder_id,
                case_id: Some(after.id),
                started: now,
                due: now + rules.delay(stage),
            };
            if is && !was {
                writes.push(Write::put(self.marker_item(&marker)?));
            } else if was && !is {
                writes.push(Write::Delete { key: marker_key(&marker), condition: Condition::None });
            }
        }
        if after.status == CaseStatus::Archived && before.status != CaseStatus::Archived {
            // The folder's clock restarts with each of its cases archived: the last one sets
            // it, and the deletion checks that every case is archived.
            let stage = RetentionStage::Delete;
            let marker = RetentionDue {
                stage,
                folder_id: after.folder_id,
                case_id: None,
                started: now,
                due: now + rules.delay(stage),
            };
            writes.push(Write::put(self.marker_item(&marker)?));
        }
        Ok(writes)
    }

    fn marker_item(&self, m: &RetentionDue) -> Result<crate::ports::Item, StoreError> {
        let indexes = [IndexEntry::new(DUE_INDEX, keys::RETENTION_DUE, due_sort_key(m))];
        to_item(m, "RetentionDue", &marker_key(m), &indexes, 1)
    }

    /// Up to `limit` clocks due at `now`, earliest first. The index may lag behind the table:
    /// callers re-read each marker ([`Store::retention_marker`]) before acting.
    ///
    /// # Errors
    /// When the table fails or holds a corrupt item.
    pub async fn retention_due(&self, now: DateTime<Utc>, limit: usize) -> Result<Vec<RetentionDue>, StoreError> {
        let (from, to) = keys::due_until(now);
        let q = Query::index(DUE_INDEX, keys::RETENTION_DUE).sk(SortKey::Between(from, to)).limit(limit);
        self.table().query(q).await?.items.into_iter().map(|i| from_item(i).map(|v| v.value)).collect()
    }

    /// The marker as the table holds it now.
    ///
    /// # Errors
    /// When the table fails or holds a corrupt item.
    pub async fn retention_marker(&self, m: &RetentionDue) -> Result<Option<RetentionDue>, StoreError> {
        let item = self.table().get(&marker_key(m)).await?;
        item.map(|i| from_item::<RetentionDue>(i).map(|v| v.value)).transpose()
    }

    /// Removes a marker, unless its clock was restarted since it was read.
    pub fn remove_marker_write(&self, m: &RetentionDue) -> Write {
        Write::Delete { key: marker_key(m), condition: still(m) }
    }

    /// Moves a marker to a new due date (its procedure's delay changed), unless its clock was
    /// restarted since it was read.
    ///
    /// # Errors
    /// When the marker does not serialise.
    pub fn reschedule_marker_write(&self, m: &RetentionDue, due: DateTime<Utc>) -> Result<Write, StoreError> {
        let moved = RetentionDue { due, ..m.clone() };
        Ok(Write::Put { item: self.marker_item(&moved)?, condition: still(m) })
    }

    /// The key of every item of a partition (a case's or a folder's), following the pages: what
    /// a deletion left behind.
    ///
    /// # Errors
    /// When the table fails.
    pub async fn partition_keys(&self, pk: &str) -> Result<Vec<Key>, StoreError> {
        Ok(self.query_all(Query::table(pk)).await?.iter().filter_map(item_key).collect())
    }

    /// Deletes every item of a case's partition but the case itself (events, files, status
    /// history, log, clocks), in transactions of at most [`MAX_TRANSACTION_WRITES`], without
    /// conditions: an archived case gets no more writes. The case item goes last
    /// ([`Store::delete_case_writes`]), so that a run dying midway is resumed.
    ///
    /// # Errors
    /// When the table fails.
    pub async fn delete_case_contents(&self, case: Uuid) -> Result<(), StoreError> {
        let case_key = keys::case(case);
        let others: Vec<Key> =
            self.partition_keys(&keys::case_partition(case)).await?.into_iter().filter(|k| *k != case_key).collect();
        for chunk in others.chunks(MAX_TRANSACTION_WRITES) {
            let writes =
                chunk.iter().map(|key| Write::Delete { key: key.clone(), condition: Condition::None }).collect();
            self.commit(writes).await?;
        }
        Ok(())
    }

    /// The writes deleting a case item, if nobody changed it since it was read, with the inbox
    /// counter of its tab (for a case counted in the statistics, its month's counters).
    pub fn delete_case_writes(&self, case: &Versioned<Case>) -> Vec<Write> {
        let c = &case.value;
        let mut writes = vec![Write::Delete { key: keys::case(c.id), condition: at_version(case.version) }];
        writes.extend(super::statistics::purge_counter_writes(c));
        if let Some(tab) = c.tab().filter(|_| c.statistics.is_none()) {
            writes.push(Write::Add {
                key: keys::inbox_counter(&c.recipient, &c.process_code, tab),
                attr: keys::COUNTER_ATTR.into(),
                delta: -1,
            });
        }
        writes
    }

    /// The writes deleting what is left of an archived folder once its cases are gone: the
    /// folder item, if nobody changed it since it was read, its `externalId` claim and its
    /// attachments.
    pub fn delete_folder_partition_writes(
        &self,
        folder: &Versioned<Folder>,
        attachments: &[Versioned<Attachment>],
    ) -> Vec<Write> {
        let f = &folder.value;
        let mut writes = vec![
            Write::Delete { key: keys::folder(f.id), condition: at_version(folder.version) },
            Write::Delete { key: keys::folder_external_id(&f.operator, &f.external_id), condition: Condition::None },
        ];
        writes.extend(
            attachments
                .iter()
                .map(|a| Write::Delete { key: keys::folder_attachment(f.id, a.value.id), condition: Condition::None }),
        );
        writes
    }

    /// The files deposited with the events of a case (whatever their event).
    ///
    /// # Errors
    /// When the table fails or holds a corrupt item.
    pub async fn event_files_of_case(&self, case: Uuid) -> Result<Vec<Versioned<Attachment>>, StoreError> {
        let q = Query::table(keys::case_partition(case)).sk(SortKey::BeginsWith(keys::EVENT_ATTACHMENT_PREFIX.into()));
        let mut files = Vec::new();
        for item in self.query_all(q).await? {
            if item.get(SK).and_then(Value::as_str).is_some_and(|sk| sk.starts_with(keys::EVENT_ATTACHMENT_PREFIX)) {
                files.push(from_item(item)?);
            }
        }
        Ok(files)
    }

    /// A folder item with its attachments, read without its cases (some may be gone already
    /// when a deletion resumes).
    ///
    /// # Errors
    /// When the table fails or holds a corrupt item.
    pub async fn folder_partition(
        &self,
        id: Uuid,
    ) -> Result<Option<(Versioned<Folder>, Vec<Versioned<Attachment>>)>, StoreError> {
        let page = self.table().query(Query::table(keys::folder_partition(id))).await?;
        let mut folder = None;
        let mut attachments = Vec::new();
        for item in page.items {
            match item.get(SK).and_then(Value::as_str) {
                Some("FOLDER") => folder = Some(from_item(item)?),
                Some(sk) if sk.starts_with(keys::ATTACHMENT_PREFIX) => attachments.push(from_item(item)?),
                _ => {}
            }
        }
        Ok(folder.map(|f| (f, attachments)))
    }
}
