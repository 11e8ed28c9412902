//! What moving an organisation's cases to another reads and writes (commune mergers): its
//! transmitted cases of a procedure (its inbox index), their inbox counters, and its
//! notifications of the procedure. See docs/ACCESS-PATTERNS.md.

use super::{
    Store, StoreError, Versioned,
    folders::{at_version, case_item, notification_item},
    from_item, keys,
};
use crate::{
    domain::{Case, InboxTab, Notification, OrgRef, ProcessCode},
    ports::{Index, Query, Write},
};

impl Store {
    /// The first `limit` transmitted cases an organisation holds for a procedure, the archived
    /// ones last (a moved case leaves these indexes, so the next call gives the next ones).
    ///
    /// # Errors
    /// When the table fails or holds a corrupt item.
    pub async fn inbox_cases(
        &self,
        org: &OrgRef,
        process: &ProcessCode,
        limit: usize,
    ) -> Result<Vec<Versioned<Case>>, StoreError> {
        let q = Query::index(Index::Gsi1, keys::inbox(org, process)).limit(limit);
        let mut items = self.table().query(q).await?.items;
        if items.len() < limit {
            // Archived cases are only in their tab's index.
            let archive = keys::inbox_tab(org, process, InboxTab::Archive);
            items
                .extend(self.table().query(Query::index(Index::Gsi2, archive).limit(limit - items.len())).await?.items);
        }
        items.into_iter().map(from_item).collect()
    }

    /// The writes moving a case read at its version to `after` (another recipient): the case
    /// with its inbox entries, and its counters from one organisation to the other — its
    /// month's figures for a case counted in the statistics (which the inbox's tabs sum), the
    /// per-tab counters of old for one transmitted before them.
    ///
    /// # Errors
    /// When the case does not serialise.
    pub fn move_case_writes(&self, before: &Versioned<Case>, after: &Case) -> Result<Vec<Write>, StoreError> {
        let mut writes =
            vec![Write::Put { item: case_item(after, before.version + 1)?, condition: at_version(before.version) }];
        writes.extend(super::inbox::assignment_writes(Some(&before.value), Some(after))?);
        if after.statistics.is_some() {
            writes.extend(super::statistics::recipient_move_writes(&before.value, after));
            return Ok(writes);
        }
        let counter = |c: &Case, delta| {
            c.tab().map(|tab| Write::Add {
                key: keys::inbox_counter(&c.recipient, &c.process_code, tab),
                attr: keys::COUNTER_ATTR.into(),
                delta,
            })
        };
        writes.extend(counter(&before.value, -1));
        writes.extend(counter(after, 1));
        Ok(writes)
    }

    /// The first `limit` notifications an organisation received for a procedure.
    ///
    /// # Errors
    /// When the table fails or holds a corrupt item.
    pub async fn notifications_of_procedure(
        &self,
        org: &OrgRef,
        process: &ProcessCode,
        limit: usize,
    ) -> Result<Vec<Versioned<Notification>>, StoreError> {
        let q = Query::index(Index::Gsi2, keys::notifications_of_org_procedure(org, process)).limit(limit);
        self.table().query(q).await?.items.into_iter().map(from_item).collect()
    }

    /// The write storing a notification read at `read_version`, with the index entries of its
    /// (possibly new) recipient.
    ///
    /// # Errors
    /// When the notification does not serialise.
    pub fn update_notification_write(&self, n: &Notification, read_version: i64) -> Result<Write, StoreError> {
        let item = notification_item(n, read_version + 1)?;
        Ok(Write::Put { item, condition: at_version(read_version) })
    }
}
