//! Folders, their cases and attachments, and the notifications and outbox items their changes
//! write.

use chrono::{DateTime, Utc};
use serde_json::Value;
use uuid::Uuid;

use super::{IndexEntry, ReadAll, Reads, Slot, Store, StoreError, Versioned, from_item, keys, to_item};
use crate::{
    domain::{Attachment, Case, Folder, FolderStatus, InboxTab, Notification, OrgRef, Retention, format_time},
    ports::{Condition, Index, Item, Query, SK, Write},
};

/// A folder with its cases (in request order) and attachments (in request order).
#[derive(Clone, Debug)]
pub struct FolderAggregate {
    pub folder: Versioned<Folder>,
    pub cases: Vec<Versioned<Case>>,
    pub attachments: Vec<Versioned<Attachment>>,
}

/// A folder and its attachments (in request order), without its cases.
#[derive(Clone, Debug)]
pub struct FolderItems {
    pub folder: Versioned<Folder>,
    pub attachments: Vec<Versioned<Attachment>>,
}

/// The condition that an item is still at the version it was read at.
pub(super) fn at_version(version: i64) -> Condition {
    Condition::equals(super::VERSION, version)
}

impl Store {
    /// A folder and its attachments, without its cases: one query of its partition.
    ///
    /// # Errors
    /// When the table fails or holds a corrupt item.
    pub async fn folder_items(&self, id: Uuid) -> Result<Option<FolderItems>, StoreError> {
        let page = self.table().query(Query::table(keys::folder_partition(id))).await?;
        let mut folder = None;
        let mut attachments = Vec::new();
        for item in page.items {
            match item.get(SK).and_then(Value::as_str) {
                Some("FOLDER") => folder = Some(from_item::<Folder>(item)?),
                Some(sk) if sk.starts_with(keys::ATTACHMENT_PREFIX) => attachments.push(from_item::<Attachment>(item)?),
                _ => {}
            }
        }
        let Some(folder) = folder else { return Ok(None) };
        attachments.sort_by_key(|a| a.value.position);
        Ok(Some(FolderItems { folder, attachments }))
    }

    /// # Errors
    /// When the table fails or holds a corrupt item.
    pub async fn folder(&self, id: Uuid) -> Result<Option<FolderAggregate>, StoreError> {
        Ok(self.folder_with(id, |_, _| ()).await?.map(|(agg, _, ())| agg))
    }

    /// A folder with its cases, in two round trips whatever their number: its partition, then
    /// its cases together with what else the use case needs once it knows the folder (`more`
    /// names it in the `Reads` it is given and returns its slots).
    ///
    /// # Errors
    /// When the table fails or holds a corrupt item.
    pub async fn folder_with<S>(
        &self,
        id: Uuid,
        more: impl FnOnce(&Folder, &mut Reads) -> S,
    ) -> Result<Option<(FolderAggregate, ReadAll, S)>, StoreError> {
        let Some(FolderItems { folder, attachments }) = self.folder_items(id).await? else { return Ok(None) };
        let mut reads = Reads::new();
        let slots = more(&folder.value, &mut reads);
        let cases: Vec<Slot<Case>> = folder.value.case_ids.iter().map(|c| reads.raw(keys::case(*c))).collect();
        let read = self.read_all(reads).await?;
        let cases = folder
            .value
            .case_ids
            .iter()
            .zip(cases)
            .map(|(c, slot)| read.versioned(slot)?.ok_or_else(|| StoreError::Corrupt(format!("case {c} is missing"))))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Some((FolderAggregate { folder, cases, attachments }, read, slots)))
    }

    /// The folder an operator created with this `externalId`, if any.
    ///
    /// # Errors
    /// When the table fails.
    pub async fn folder_id_by_external_id(
        &self,
        operator: &OrgRef,
        external_id: &str,
    ) -> Result<Option<Uuid>, StoreError> {
        let item = self.table().get(&keys::folder_external_id(operator, external_id)).await?;
        Ok(item.and_then(|i| i.get("folderId")?.as_str()?.parse().ok()))
    }

    /// # Errors
    /// When the table fails or holds a corrupt item.
    pub async fn attachment(&self, folder: Uuid, id: Uuid) -> Result<Option<Versioned<Attachment>>, StoreError> {
        self.table().get(&keys::folder_attachment(folder, id)).await?.map(from_item).transpose()
    }

    /// The writes creating a new folder with its cases and attachments; the `externalId` claim
    /// comes first, so a concurrent creation fails on write 0.
    ///
    /// # Errors
    /// When an entity does not serialise.
    pub fn create_folder_writes(
        &self,
        folder: &Folder,
        cases: &[Case],
        attachments: &[Attachment],
    ) -> Result<Vec<Write>, StoreError> {
        let ext_key = keys::folder_external_id(&folder.operator, &folder.external_id);
        let mut claim = Item::new();
        claim.insert(crate::ports::PK.into(), ext_key.pk.into());
        claim.insert(SK.into(), ext_key.sk.into());
        claim.insert("folderId".into(), folder.id.to_string().into());
        let mut writes =
            vec![Write::create(claim), Write::create(to_item(folder, "Folder", &keys::folder(folder.id), &[], 1)?)];
        for c in cases {
            writes.push(Write::create(case_item(c, 1)?));
        }
        for a in attachments {
            writes.push(create_attachment_write(a)?);
        }
        Ok(writes)
    }

    /// A folder update, if nobody changed it since `read_version`.
    ///
    /// # Errors
    /// When the folder does not serialise.
    pub fn update_folder_write(&self, folder: &Folder, read_version: i64) -> Result<Write, StoreError> {
        // A completion held for antivirus verdicts is listed until it is released.
        let held: Vec<IndexEntry> = match (folder.global_status, folder.update_date_time) {
            (FolderStatus::HubeeCompleted, Some(at)) => {
                vec![IndexEntry::new(Index::Gsi3, keys::COMPLETIONS_HELD, keys::completion_held(at, folder.id))]
            }
            _ => Vec::new(),
        };
        let item = to_item(folder, "Folder", &keys::folder(folder.id), &held, read_version + 1)?;
        Ok(Write::Put { item, condition: at_version(read_version) })
    }

    /// The folders whose completion awaits antivirus verdicts, the longest held first: at
    /// most `limit`, as `(folder id, held since)`.
    ///
    /// # Errors
    /// When the table fails or holds a corrupt item.
    pub async fn held_completions(&self, limit: usize) -> Result<Vec<(Uuid, DateTime<Utc>)>, StoreError> {
        let q = Query::index(Index::Gsi3, keys::COMPLETIONS_HELD).limit(limit);
        let items = self.table().query(q).await?.items;
        items
            .into_iter()
            .map(|item| {
                let folder = from_item::<Folder>(item)?.value;
                let since = folder.update_date_time.unwrap_or_default();
                Ok((folder.id, since))
            })
            .collect()
    }

    /// A case update at `now`, if nobody changed it since `read_version`, with the counters it
    /// moves and the retention clocks it starts or stops under its procedure's `rules`. A case
    /// counted in the statistics moves its month's counters (its status, its first consultation
    /// and final status), which the inbox's tabs sum; one transmitted before them moves the
    /// per-tab counters of old (the tab it leaves and the tab it enters).
    ///
    /// # Errors
    /// When the case does not serialise.
    pub fn update_case_writes(
        &self,
        before: &Case,
        after: &Case,
        read_version: i64,
        rules: &Retention,
        now: DateTime<Utc>,
    ) -> Result<Vec<Write>, StoreError> {
        let mut writes =
            vec![Write::Put { item: case_item(after, read_version + 1)?, condition: at_version(read_version) }];
        writes.extend(self.retention_clock_writes(before, after, rules, now)?);
        writes.extend(super::inbox::assignment_writes(Some(before), Some(after))?);
        if after.statistics.is_some() {
            writes.extend(super::statistics::case_counter_writes(before, after));
        } else if before.tab() != after.tab() {
            let counter = |tab, delta| Write::Add {
                key: keys::inbox_counter(&after.recipient, &after.process_code, tab),
                attr: keys::COUNTER_ATTR.into(),
                delta,
            };
            writes.extend(before.tab().map(|t| counter(t, -1)));
            writes.extend(after.tab().map(|t| counter(t, 1)));
        }
        Ok(writes)
    }

    /// An attachment as the table holds it now, wherever it lives (under its folder, or under
    /// its event's case).
    ///
    /// # Errors
    /// When the table fails or holds a corrupt item.
    pub async fn current_attachment(&self, a: &Attachment) -> Result<Option<Versioned<Attachment>>, StoreError> {
        self.table().get(&attachment_key(a)).await?.map(from_item).transpose()
    }

    /// Saves an attachment if nobody changed it since `read_version`.
    ///
    /// # Errors
    /// `Conflict` when it changed.
    pub async fn update_attachment(&self, attachment: &Attachment, read_version: i64) -> Result<(), StoreError> {
        let item = to_item(attachment, "Attachment", &attachment_key(attachment), &[], read_version + 1)?;
        Ok(self.table().put(item, at_version(read_version)).await?)
    }

    /// The write saving an attachment if nobody changed it since `read_version`.
    ///
    /// # Errors
    /// When the attachment does not serialise.
    pub fn update_attachment_write(&self, attachment: &Attachment, read_version: i64) -> Result<Write, StoreError> {
        let item = to_item(attachment, "Attachment", &attachment_key(attachment), &[], read_version + 1)?;
        Ok(Write::Put { item, condition: at_version(read_version) })
    }

    /// The writes deleting a folder and everything under it, if nothing changed since read.
    pub fn delete_folder_writes(&self, agg: &FolderAggregate) -> Vec<Write> {
        let f = &agg.folder;
        let mut writes = vec![
            Write::Delete { key: keys::folder(f.value.id), condition: at_version(f.version) },
            Write::Delete {
                key: keys::folder_external_id(&f.value.operator, &f.value.external_id),
                condition: Condition::Exists,
            },
        ];
        writes.extend(
            agg.cases.iter().map(|c| Write::Delete { key: keys::case(c.value.id), condition: at_version(c.version) }),
        );
        writes.extend(
            agg.cases
                .iter()
                .filter_map(|c| super::inbox::assignment_entry(&c.value))
                .map(|key| Write::Delete { key, condition: Condition::None }),
        );
        writes.extend(agg.attachments.iter().map(|a| Write::Delete {
            key: keys::folder_attachment(a.value.folder_id, a.value.id),
            condition: at_version(a.version),
        }));
        writes
    }

    /// # Errors
    /// When the notification does not serialise.
    pub fn create_notification_write(&self, n: &Notification) -> Result<Write, StoreError> {
        Ok(Write::create(notification_item(n, 1)?))
    }

    /// The notifications of an organisation, newest first (one page).
    ///
    /// # Errors
    /// When the table fails.
    pub async fn notifications_of(&self, org: &OrgRef, limit: usize) -> Result<Vec<Notification>, StoreError> {
        let q = Query::index(Index::Gsi1, keys::notifications_of_org(org)).backward().limit(limit);
        self.table().query(q).await?.items.into_iter().map(|i| from_item(i).map(|v| v.value)).collect()
    }
}

/// A notification in its recipient's listings (every procedure, and its procedure), by date.
pub(super) fn notification_item(n: &Notification, version: i64) -> Result<Item, StoreError> {
    let sort = format!("{}#{}", format_time(n.date_time), n.id);
    let indexes = [
        IndexEntry::new(Index::Gsi1, keys::notifications_of_org(&n.recipient), sort.clone()),
        IndexEntry::new(Index::Gsi2, keys::notifications_of_org_procedure(&n.recipient, &n.process_code), sort),
    ];
    to_item(n, "Notification", &keys::notification(n.id), &indexes, version)
}

/// Where an attachment is stored: under its folder, or under its event's case.
pub(super) fn attachment_key(a: &Attachment) -> crate::ports::Key {
    match a.event {
        None => keys::folder_attachment(a.folder_id, a.id),
        Some(e) => keys::event_attachment(e.case_id, e.event_id, a.id),
    }
}

/// # Errors
/// When the attachment does not serialise.
pub fn create_attachment_write(a: &Attachment) -> Result<Write, StoreError> {
    Ok(Write::create(to_item(a, "Attachment", &attachment_key(a), &[], 1)?))
}

/// A case with its inbox index entries once it is transmitted (see [`keys::inbox`]).
pub(super) fn case_item(c: &Case, version: i64) -> Result<Item, StoreError> {
    let mut indexes = Vec::new();
    if let (Some(tab), Some(sent)) = (c.tab(), c.transmission_date_time) {
        let by_date = format!("{}#{}", format_time(sent), c.id);
        let inbox = keys::inbox(&c.recipient, &c.process_code);
        if tab != InboxTab::Archive {
            indexes.push(IndexEntry::new(Index::Gsi1, inbox.clone(), by_date.clone()));
            let updated = c.update_date_time.unwrap_or(sent);
            indexes.push(IndexEntry::new(Index::Gsi5, inbox, format!("{}#{}", format_time(updated), c.id)));
        }
        indexes.push(IndexEntry::new(
            Index::Gsi2,
            keys::inbox_tab(&c.recipient, &c.process_code, tab),
            by_date.clone(),
        ));
        if let Some(name) = c.search_name() {
            indexes.push(IndexEntry::new(
                Index::Gsi3,
                keys::inbox_name(&c.recipient, &c.process_code),
                format!("{name}#{by_date}"),
            ));
        }
        indexes.push(IndexEntry::new(
            Index::Gsi4,
            keys::inbox_number(&c.recipient, &c.external_id),
            format!("{}#{}", c.process_code, c.id),
        ));
    }
    to_item(c, "Case", &keys::case(c.id), &indexes, version)
}
