//! The local hub's stand-in for the table's stream: a decorator of the `Table` port that wakes
//! the dispatcher (`schedule`) after every write that leaves an outbox item to send, so that
//! e-mails go out at once rather than at its next fallback sweep. On AWS, the stream triggers
//! `notify` on outbox items. Being a `Table`, it sees raw writes; the store tells it which are
//! outbox items ([`store::is_outbox_write`], [`store::is_pending_outbox_item`]).

use std::sync::Arc;

use async_trait::async_trait;
use hubee_shared::{
    ports::{Condition, Cursor, Item, Key, Page, Query, Table, TableError, Write},
    store,
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

#[async_trait]
impl Table for OutboxWatch {
    async fn get(&self, key: &Key) -> Result<Option<Item>, TableError> {
        self.inner.get(key).await
    }

    async fn get_many(&self, keys: &[Key]) -> Result<Vec<Option<Item>>, TableError> {
        self.inner.get_many(keys).await
    }

    async fn put(&self, item: Item, condition: Condition) -> Result<(), TableError> {
        let pending = store::is_pending_outbox_item(&item);
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

    async fn scan(&self, cursor: Option<Cursor>, limit: usize) -> Result<Page, TableError> {
        self.inner.scan(cursor, limit).await
    }

    async fn query(&self, query: Query) -> Result<Page, TableError> {
        self.inner.query(query).await
    }

    async fn transact_write(&self, writes: Vec<Write>) -> Result<(), TableError> {
        let outbox = writes.iter().any(store::is_outbox_write);
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
    use hubee_shared::{
        adapters::embedded::SqliteTable,
        domain::{BranchCode, Email, MailItem, MailMessage, OrgId, OutboxStatus, Siret, parse_time},
        store::Store,
    };

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
        let store = Store::new(Arc::new(table));
        let email = Email::parse("someone@example.org").unwrap();
        let mail = MailItem::new(
            uuid::Uuid::new_v4(),
            MailMessage::ResetLink { email: email.clone() },
            parse_time("2026-01-05T09:00:00Z").unwrap(),
        );
        let org =
            OrgId { siret: Siret::parse("11000000000007").unwrap(), branch_code: BranchCode::parse("00000").unwrap() };

        store.commit(vec![store.delegation_write(&email, &org).unwrap()]).await.unwrap();
        assert!(!signalled(&written).await, "no outbox item");
        store.commit(vec![store.create_mail_write(&mail).unwrap()]).await.unwrap();
        assert!(signalled(&written).await, "an outbox item committed");
        let sent = MailItem { status: OutboxStatus::Sent, ..mail.clone() };
        store.update_mail(&sent, 1).await.unwrap();
        assert!(!signalled(&written).await, "sent: nothing left to do");
        store.update_mail(&mail, 2).await.unwrap();
        assert!(signalled(&written).await, "put back to send");
        let refused = store.commit(vec![store.create_mail_write(&mail).unwrap()]).await;
        assert!(refused.is_err());
        assert!(!signalled(&written).await, "nothing written");
    }
}
