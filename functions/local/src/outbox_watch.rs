//! The local hub's stand-in for the table's stream: a decorator of the `Table` port that wakes
//! the dispatcher (`schedule`) after every write that leaves an outbox item to send, so that
//! e-mails go out at once rather than at its next fallback sweep. On AWS, the stream triggers
//! `notify` on outbox items; the store knows of neither.

use std::sync::Arc;

use async_trait::async_trait;
use hubee_shared::{
    domain::OutboxStatus,
    ports::{Condition, Item, Key, Page, Query, SK, Table, TableError, Write},
    store::keys::OUTBOX_SK,
};
use tokio::sync::Notify;

/// `inner`, signalling `written` after the writes the dispatcher has work from: a transaction
/// that writes an outbox item (the change it reports, committed with it), and an outbox item
/// put back to send (a retry).
pub struct OutboxWatch {
    inner: Arc<dyn Table>,
    written: Arc<Notify>,
}

impl OutboxWatch {
    pub fn new(inner: Arc<dyn Table>, written: Arc<Notify>) -> Self {
        Self { inner, written }
    }

    fn signal(&self) {
        // One permit is kept when nobody waits: a write during a sweep is not missed.
        self.written.notify_one();
    }
}

fn is_outbox(key: Option<Key>) -> bool {
    key.is_some_and(|k| k.sk == OUTBOX_SK)
}

/// Whether an item is an outbox item to send.
fn is_pending_outbox(item: &Item) -> bool {
    let pending = serde_json::to_value(OutboxStatus::Pending).ok();
    item.get(SK).and_then(|v| v.as_str()) == Some(OUTBOX_SK) && item.get("status") == pending.as_ref()
}

#[async_trait]
impl Table for OutboxWatch {
    async fn get(&self, key: &Key) -> Result<Option<Item>, TableError> {
        self.inner.get(key).await
    }

    async fn put(&self, item: Item, condition: Condition) -> Result<(), TableError> {
        let pending = is_pending_outbox(&item);
        self.inner.put(item, condition).await?;
        if pending {
            self.signal();
        }
        Ok(())
    }

    async fn delete(&self, key: &Key, condition: Condition) -> Result<(), TableError> {
        self.inner.delete(key, condition).await
    }

    async fn add(&self, key: &Key, attr: &str, delta: i64) -> Result<i64, TableError> {
        self.inner.add(key, attr, delta).await
    }

    async fn query(&self, query: Query) -> Result<Page, TableError> {
        self.inner.query(query).await
    }

    async fn transact_write(&self, writes: Vec<Write>) -> Result<(), TableError> {
        let outbox = writes.iter().any(|w| is_outbox(w.key()));
        self.inner.transact_write(writes).await?;
        if outbox {
            self.signal();
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use hubee_shared::{adapters::embedded::SqliteTable, store::keys};
    use serde_json::json;

    fn item(key: &Key, status: &str) -> Item {
        let value = json!({"PK": key.pk, "SK": key.sk, "status": status});
        value.as_object().unwrap().clone()
    }

    /// Whether `written` has a permit, without waiting for one.
    async fn signalled(written: &Notify) -> bool {
        tokio::time::timeout(std::time::Duration::from_millis(10), written.notified()).await.is_ok()
    }

    #[tokio::test]
    async fn outbox_writes_wake_the_dispatcher_and_other_writes_do_not() {
        let dir = tempfile::tempdir().unwrap();
        let written = Arc::new(Notify::new());
        let table =
            OutboxWatch::new(Arc::new(SqliteTable::open(&dir.path().join("t.sqlite")).unwrap()), written.clone());
        let outbox = keys::outbox(uuid::Uuid::new_v4());
        let other = Key::new("FOLDER#1", "FOLDER");

        table.transact_write(vec![Write::create(item(&other, "PENDING"))]).await.unwrap();
        assert!(!signalled(&written).await, "no outbox item");
        table.transact_write(vec![Write::create(item(&outbox, "PENDING"))]).await.unwrap();
        assert!(signalled(&written).await, "an outbox item committed");
        table.put(item(&outbox, "SENT"), Condition::None).await.unwrap();
        assert!(!signalled(&written).await, "sent: nothing left to do");
        table.put(item(&outbox, "PENDING"), Condition::None).await.unwrap();
        assert!(signalled(&written).await, "put back to send");
        let refused = table.transact_write(vec![Write::create(item(&outbox, "PENDING"))]).await;
        assert!(refused.is_err());
        assert!(!signalled(&written).await, "nothing written");
    }
}
