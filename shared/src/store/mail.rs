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

const MAIL: &str = "Mail";

/// What an outbox key holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OutboxEntity {
    /// A notification to a subscription's address (`OutboxItem`).
    Notification,
    /// An e-mail to a person (`MailItem`).
    Mail,
}

fn mail_item(m: &MailItem, version: i64) -> Result<Item, StoreError> {
    let indexes = match m.status {
        OutboxStatus::Pending => {
            vec![IndexEntry::new(Index::Gsi3, keys::MAIL_PENDING, format!("{}#{}", format_time(m.created), m.id))]
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
