//! Repositories, written once on top of the `Table` port. The key design lives in `keys` and is
//! described, with every access pattern, in docs/ACCESS-PATTERNS.md.
//!
//! The store is sealed: only this module reads or writes raw items, keys and index attributes.
//! Services get typed operations and opaque `Write`s to commit together; the stream consumers
//! ask [`outbox_id_of`] and [`is_outbox_write`] what a key means. `keys` stays public for the
//! tests that check the stored layout (the SAM stream filter, expiring items).

mod audit;
mod batch;
mod cases;
mod credentials;
mod folders;
mod inbox;
pub mod keys;
mod mail;
mod migration;
mod national;
mod outbox;
mod proconnect;
mod referential;
mod retention;
mod sessions;
mod statistics;
mod subscriptions;
mod upgrade;
mod uploads;

use std::sync::Arc;

use serde::{Serialize, de::DeserializeOwned};
use serde_json::Value;

use crate::ports::{Item, Key, PK, Query, SK, Table, TableError, Write};
use keys::IndexEntry;

pub use audit::AuditSource;
pub use batch::{ReadAll, Reads, Slot};
pub use cases::{CaseRecord, NotificationPage};
pub use folders::{FolderAggregate, FolderItems, create_attachment_write};
pub use inbox::{AssignedEntry, InboxIndex};
pub use mail::{FailedDelivery, OutboxEntity};
pub use national::Listing;
pub use outbox::{is_outbox_write, is_pending_outbox_item, outbox_id_of};
pub use sessions::AccountSupport;
pub use statistics::ProcedureFigures;
pub use upgrade::ReindexPage;
pub use uploads::{DepositSender, PendingUpload};

/// An entity with the version it was read at, for optimistic updates.
#[derive(Clone, Debug, PartialEq)]
pub struct Versioned<T> {
    pub value: T,
    pub version: i64,
}

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// Someone else changed the item since it was read, or it already exists.
    #[error("concurrent change")]
    Conflict,
    #[error(transparent)]
    Table(TableError),
    #[error("corrupt item: {0}")]
    Corrupt(String),
}

impl From<TableError> for StoreError {
    fn from(e: TableError) -> Self {
        match e {
            TableError::ConditionFailed | TableError::TransactionCancelled { .. } => StoreError::Conflict,
            other => StoreError::Table(other),
        }
    }
}

/// Every repository, on one table.
#[derive(Clone)]
pub struct Store {
    table: Arc<dyn Table>,
}

impl Store {
    pub fn new(table: Arc<dyn Table>) -> Self {
        Self { table }
    }

    /// The raw table, for the repositories only: nothing outside `store` reads or writes items.
    fn table(&self) -> &dyn Table {
        self.table.as_ref()
    }

    /// Applies writes all together, counter writes on one item merged into one.
    ///
    /// # Errors
    /// `Conflict` when a condition failed (nothing was written).
    pub async fn commit(&self, writes: Vec<Write>) -> Result<(), StoreError> {
        // Counters on one item (a folder's cases adding to the same national statistics) merge
        // into one write: a transaction touches an item once.
        Ok(self.table().transact_write(statistics::merge_counters(writes)).await?)
    }

    /// Every item a query matches, following its pages: the one paging loop of the store.
    async fn query_all(&self, query: Query) -> Result<Vec<Item>, StoreError> {
        let mut items = Vec::new();
        let mut cursor = None;
        loop {
            let page = self.table().query(query.clone().after(cursor)).await?;
            items.extend(page.items);
            match page.cursor {
                Some(c) => cursor = Some(c),
                None => return Ok(items),
            }
        }
    }
}

const VERSION: &str = "version";
const ENTITY: &str = "entity";

/// An entity as an item: its fields, its key, index entries, its kind and version.
///
/// # Errors
/// When the entity does not serialise to a JSON object.
fn to_item<T: Serialize>(
    entity: &T,
    kind: &str,
    key: &Key,
    indexes: &[IndexEntry],
    version: i64,
) -> Result<Item, StoreError> {
    let Value::Object(mut item) = serde_json::to_value(entity).map_err(|e| StoreError::Corrupt(e.to_string()))? else {
        return Err(StoreError::Corrupt(format!("{kind} is not an object")));
    };
    item.insert(PK.into(), key.pk.clone().into());
    item.insert(SK.into(), key.sk.clone().into());
    for entry in indexes {
        entry.set_on(&mut item);
    }
    item.insert(ENTITY.into(), kind.into());
    item.insert(VERSION.into(), version.into());
    Ok(item)
}

/// # Errors
/// When the item does not hold the entity.
fn from_item<T: DeserializeOwned>(item: Item) -> Result<Versioned<T>, StoreError> {
    let version = item.get(VERSION).and_then(Value::as_i64).unwrap_or(0);
    let value = serde_json::from_value(Value::Object(item)).map_err(|e| StoreError::Corrupt(e.to_string()))?;
    Ok(Versioned { value, version })
}
