//! Outbox items: what the notification dispatcher sends, the digests it gathers, and the
//! delivery record administrators read.

use uuid::Uuid;

use super::{IndexEntry, Store, StoreError, Versioned, folders::at_version, from_item, keys, to_item};
use crate::{
    domain::{OutboxItem, OutboxStatus, format_time},
    ports::{Condition, Cursor, Index, Item, Key, Query, SK, Write},
};

/// The id of the outbox item (notification or mail: they share the key) stored under `key`, if
/// it is an outbox key. For what only sees keys: the table's stream records (`notify`, the cost
/// model) and the local hub's stand-in for the stream.
pub fn outbox_id_of(key: &Key) -> Option<Uuid> {
    if key.sk != keys::OUTBOX_SK {
        return None;
    }
    key.pk.strip_prefix(keys::OUTBOX_PREFIX)?.parse().ok()
}

/// Whether a write touches an outbox item (creates, updates or deletes it): a transaction
/// holding one reports something the dispatcher sends.
pub fn is_outbox_write(write: &Write) -> bool {
    write.key().is_some_and(|k| k.sk == keys::OUTBOX_SK)
}

/// Whether an item is an outbox item (notification or mail) still to send.
pub fn is_pending_outbox_item(item: &Item) -> bool {
    let pending = serde_json::to_value(OutboxStatus::Pending).ok();
    item.get(SK).and_then(|v| v.as_str()) == Some(keys::OUTBOX_SK) && item.get("status") == pending.as_ref()
}

/// An outbox item with the index entries its state calls for: items to send now in the
/// pending partition (GSI3), items waiting for a digest in the digest partition (GSI3, by
/// subscription), sent and failed items in their subscription's delivery record (GSI1).
pub(super) fn outbox_item(o: &OutboxItem, version: i64) -> Result<Item, StoreError> {
    let stamp = |t| format!("{}#{}", format_time(t), o.id);
    let indexes = match o.status {
        OutboxStatus::Pending if o.awaits_digest() => vec![IndexEntry::new(
            Index::Gsi3,
            keys::DIGEST_PENDING,
            format!("{}#{}", o.subscription_id, stamp(o.created)),
        )],
        OutboxStatus::Pending => vec![IndexEntry::new(Index::Gsi3, keys::OUTBOX_PENDING, stamp(o.created))],
        OutboxStatus::Sent => vec![IndexEntry::new(
            Index::Gsi1,
            keys::deliveries(o.subscription_id),
            stamp(o.done_at.unwrap_or(o.created)),
        )],
        // Parked: also in the platform-wide listing of failed e-mails.
        OutboxStatus::Failed => vec![
            IndexEntry::new(Index::Gsi1, keys::deliveries(o.subscription_id), stamp(o.done_at.unwrap_or(o.created))),
            IndexEntry::new(Index::Gsi2, keys::FAILED_DELIVERIES, stamp(o.done_at.unwrap_or(o.created))),
        ],
        OutboxStatus::Assembling | OutboxStatus::Closed => Vec::new(),
    };
    to_item(o, "Outbox", &keys::outbox(o.id), &indexes, version)
}

impl Store {
    /// # Errors
    /// When the item does not serialise.
    pub fn create_outbox_write(&self, o: &OutboxItem) -> Result<Write, StoreError> {
        Ok(Write::create(outbox_item(o, 1)?))
    }

    /// An outbox item update, if nobody changed it since `read_version`.
    ///
    /// # Errors
    /// When the item does not serialise.
    pub fn update_outbox_write(&self, o: &OutboxItem, read_version: i64) -> Result<Write, StoreError> {
        Ok(Write::Put { item: outbox_item(o, read_version + 1)?, condition: at_version(read_version) })
    }

    /// Saves an outbox item if nobody changed it since `read_version`; returns its new version.
    ///
    /// # Errors
    /// `Conflict` when it changed.
    pub async fn update_outbox(&self, o: &OutboxItem, read_version: i64) -> Result<i64, StoreError> {
        self.table().put(outbox_item(o, read_version + 1)?, at_version(read_version)).await?;
        Ok(read_version + 1)
    }

    /// Creates an item unless one with its id exists (deterministic ids make digests idempotent).
    ///
    /// # Errors
    /// `Conflict` when it exists.
    pub async fn create_outbox(&self, o: &OutboxItem) -> Result<(), StoreError> {
        Ok(self.table().put(outbox_item(o, 1)?, Condition::NotExists).await?)
    }

    /// # Errors
    /// When the table fails or holds a corrupt item.
    pub async fn outbox_item(&self, id: Uuid) -> Result<Option<Versioned<OutboxItem>>, StoreError> {
        self.table().get(&keys::outbox(id)).await?.map(from_item).transpose()
    }

    /// Outbox items to send now, oldest first (one page).
    ///
    /// # Errors
    /// When the table fails.
    pub async fn pending_outbox_page(
        &self,
        limit: usize,
        cursor: Option<Cursor>,
    ) -> Result<(Vec<Versioned<OutboxItem>>, Option<Cursor>), StoreError> {
        let page =
            self.table().query(Query::index(Index::Gsi3, keys::OUTBOX_PENDING).limit(limit).after(cursor)).await?;
        Ok((page.items.into_iter().map(from_item).collect::<Result<_, _>>()?, page.cursor))
    }

    /// The first page of [`Store::pending_outbox_page`].
    ///
    /// # Errors
    /// When the table fails.
    pub async fn pending_outbox(&self, limit: usize) -> Result<Vec<Versioned<OutboxItem>>, StoreError> {
        Ok(self.pending_outbox_page(limit, None).await?.0)
    }

    /// Items waiting for a digest, grouped by subscription, oldest first (one page).
    ///
    /// # Errors
    /// When the table fails.
    pub async fn digest_pending_page(
        &self,
        limit: usize,
        cursor: Option<Cursor>,
    ) -> Result<(Vec<Versioned<OutboxItem>>, Option<Cursor>), StoreError> {
        let page =
            self.table().query(Query::index(Index::Gsi3, keys::DIGEST_PENDING).limit(limit).after(cursor)).await?;
        Ok((page.items.into_iter().map(from_item).collect::<Result<_, _>>()?, page.cursor))
    }

    /// The latest e-mails sent or failed for a subscription, newest first.
    ///
    /// # Errors
    /// When the table fails.
    pub async fn deliveries(&self, subscription: Uuid, limit: usize) -> Result<Vec<OutboxItem>, StoreError> {
        let q = Query::index(Index::Gsi1, keys::deliveries(subscription)).backward().limit(limit);
        self.table().query(q).await?.items.into_iter().map(|i| from_item(i).map(|v| v.value)).collect()
    }
}
