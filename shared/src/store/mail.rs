//! Mail items: e-mails to people queued through the outbox. They share the outbox's key
//! (`OUTBOX#<id>` / `OUTBOX`: the same stream filter and the same local signal wake the
//! dispatcher) and are told apart by their `entity`; pending ones sit in their own GSI3
//! partition, and every one carries a `ttl`.

use uuid::Uuid;

use super::{ENTITY, IndexEntry, Store, StoreError, Versioned, folders::at_version, from_item, keys, to_item};
use crate::{
    domain::{MailItem, OutboxStatus, format_time},
    ports::{Cursor, Index, Item, Query, Write},
};

pub(super) const MAIL: &str = "Mail";

/// An e-mail parked after its last retry.
#[derive(Clone, Debug, PartialEq)]
pub enum FailedDelivery {
    Notification(crate::domain::OutboxItem),
    Mail(MailItem),
}

/// What an outbox key holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OutboxEntity {
    /// A notification to a subscription's address (`OutboxItem`).
    Notification,
    /// An e-mail to a person (`MailItem`).
    Mail,
}

pub(super) fn mail_item(m: &MailItem, version: i64) -> Result<Item, StoreError> {
    let indexes = match m.status {
        OutboxStatus::Pending => {
            vec![IndexEntry::new(Index::Gsi3, keys::MAIL_PENDING, format!("{}#{}", format_time(m.created), m.id))]
        }
        OutboxStatus::Failed => {
            let at = m.done_at.unwrap_or(m.created);
            vec![IndexEntry::new(Index::Gsi2, keys::FAILED_DELIVERIES, format!("{}#{}", format_time(at), m.id))]
        }
        _ => Vec::new(),
    };
    let mut item = to_item(m, MAIL, &keys::outbox(m.id), &indexes, version)?;
    item.insert(keys::TTL_ATTR.into(), m.expires_at().timestamp().into());
    Ok(item)
}

impl Store {
    /// # Errors
    /// When the item does not serialise.
    pub fn create_mail_write(&self, m: &MailItem) -> Result<Write, StoreError> {
        Ok(Write::create(mail_item(m, 1)?))
    }

    /// # Errors
    /// When the table fails or the item is corrupt.
    pub async fn mail_item(&self, id: Uuid) -> Result<Option<Versioned<MailItem>>, StoreError> {
        match self.table().get(&keys::outbox(id)).await? {
            Some(item) if item.get(ENTITY).and_then(|e| e.as_str()) == Some(MAIL) => Ok(Some(from_item(item)?)),
            _ => Ok(None),
        }
    }

    /// Saves a mail item if nobody changed it since `read_version`; returns its new version.
    ///
    /// # Errors
    /// `Conflict` when it changed.
    pub async fn update_mail(&self, m: &MailItem, read_version: i64) -> Result<i64, StoreError> {
        self.table().put(mail_item(m, read_version + 1)?, at_version(read_version)).await?;
        Ok(read_version + 1)
    }

    /// A mail item update, if nobody changed it since `read_version`.
    ///
    /// # Errors
    /// When the item does not serialise.
    pub fn update_mail_write(&self, m: &MailItem, read_version: i64) -> Result<Write, StoreError> {
        Ok(Write::Put { item: mail_item(m, read_version + 1)?, condition: at_version(read_version) })
    }

    /// The e-mails parked after their last retry, platform-wide, newest first, from before
    /// `before` (the `next` of the previous page).
    ///
    /// # Errors
    /// When the table fails or holds a corrupt item.
    pub async fn failed_deliveries(
        &self,
        before: Option<&str>,
        limit: usize,
    ) -> Result<super::Listing<FailedDelivery>, StoreError> {
        let q = Query::index(Index::Gsi2, keys::FAILED_DELIVERIES);
        self.list_newest(q, before, limit, |item| {
            Ok(if item.get(ENTITY).and_then(|e| e.as_str()) == Some(MAIL) {
                FailedDelivery::Mail(from_item(item)?.value)
            } else {
                FailedDelivery::Notification(from_item(item)?.value)
            })
        })
        .await
    }

    /// What an outbox key holds, if anything.
    ///
    /// # Errors
    /// When the table fails.
    pub async fn outbox_entity(&self, id: Uuid) -> Result<Option<OutboxEntity>, StoreError> {
        Ok(self.table().get(&keys::outbox(id)).await?.map(|item| {
            if item.get(ENTITY).and_then(|e| e.as_str()) == Some(MAIL) {
                OutboxEntity::Mail
            } else {
                OutboxEntity::Notification
            }
        }))
    }

    /// Mail items to send, oldest first (one page).
    ///
    /// # Errors
    /// When the table fails or holds a corrupt item.
    pub async fn pending_mail_page(
        &self,
        limit: usize,
        cursor: Option<Cursor>,
    ) -> Result<(Vec<Versioned<MailItem>>, Option<Cursor>), StoreError> {
        let page = self.table().query(Query::index(Index::Gsi3, keys::MAIL_PENDING).limit(limit).after(cursor)).await?;
        Ok((page.items.into_iter().map(from_item).collect::<Result<_, _>>()?, page.cursor))
    }
}
