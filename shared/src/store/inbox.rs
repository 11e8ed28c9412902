//! The portal inbox: transmitted cases of an organisation per procedure, by date, tab, name or
//! number, and the per-tab counters maintained with every change.

use std::collections::BTreeMap;

use serde_json::Value;

use super::{Store, StoreError, Versioned, from_item, keys};
use crate::{
    domain::{Case, InboxTab, OrgRef, ProcessCode},
    ports::{Index, Query, SK, SortKey},
};

/// Which inbox index to read, for one organisation and procedure.
#[derive(Clone, Copy, Debug)]
pub enum InboxIndex<'a> {
    /// Every transmitted case, by transmission date.
    All,
    /// One tab, by transmission date.
    Tab(InboxTab),
    /// Names beginning with a search key, by name then date.
    Name(&'a str),
}

impl Store {
    /// One page of an inbox index, `sk` bounding its sort keys (`<date>#<id>`, or
    /// `<name>#<date>#<id>` for names).
    ///
    /// # Errors
    /// When the table fails or holds a corrupt item.
    pub async fn inbox_page(
        &self,
        org: &OrgRef,
        process: &ProcessCode,
        index: InboxIndex<'_>,
        sk: Option<SortKey>,
        newest_first: bool,
        limit: usize,
    ) -> Result<Vec<Versioned<Case>>, StoreError> {
        let (ix, pk) = match index {
            InboxIndex::All => (Index::Gsi1, keys::inbox(org, process)),
            InboxIndex::Tab(tab) => (Index::Gsi2, keys::inbox_tab(org, process, tab)),
            InboxIndex::Name(_) => (Index::Gsi3, keys::inbox_name(org, process)),
        };
        let mut q = Query::index(ix, pk).limit(limit);
        if let Some(sk) = sk {
            q = q.sk(sk);
        }
        if newest_first {
            q = q.backward();
        }
        self.table().query(q).await?.items.into_iter().map(from_item).collect()
    }

    /// The transmitted cases of an organisation with this dossier number (any procedure).
    ///
    /// # Errors
    /// When the table fails or holds a corrupt item.
    pub async fn cases_by_number(&self, org: &OrgRef, number: &str) -> Result<Vec<Versioned<Case>>, StoreError> {
        let q = Query::index(Index::Gsi4, keys::inbox_number(org, number)).limit(100);
        self.table().query(q).await?.items.into_iter().map(from_item).collect()
    }

    /// The per-tab counts of an organisation for one procedure (tabs never used are absent): the
    /// per-tab counters of the cases transmitted before the statistics, plus the status
    /// counters of every month since, summed by tab — one Query of the partition.
    ///
    /// # Errors
    /// When the table fails.
    pub async fn inbox_counts(
        &self,
        org: &OrgRef,
        process: &ProcessCode,
    ) -> Result<BTreeMap<InboxTab, i64>, StoreError> {
        let items = self.query_all(Query::table(keys::inbox_counters(org, process))).await?;
        let mut counts = BTreeMap::new();
        for item in &items {
            let Some(sk) = item.get(SK).and_then(Value::as_str) else { continue };
            if let Some(tab) = sk.strip_prefix("TAB#").and_then(InboxTab::parse) {
                *counts.entry(tab).or_default() += item.get(keys::COUNTER_ATTR).and_then(Value::as_i64).unwrap_or(0);
            } else if sk.starts_with(keys::MONTH_PREFIX) {
                for (status, n) in super::statistics::status_counts(item) {
                    if let Some(tab) = status.tab() {
                        *counts.entry(tab).or_default() += n;
                    }
                }
            }
        }
        Ok(counts)
    }
}

impl Store {
    /// The write storing an already transmitted case as a bulk import does (benchmarks,
    /// migrations), with its inbox entries; the importer then adds its counts with
    /// [`Store::add_to_inbox_count`] (one transaction cannot add twice to one counter).
    ///
    /// # Errors
    /// When the case does not serialise.
    pub fn import_case_write(&self, case: &Case) -> Result<crate::ports::Write, StoreError> {
        Ok(crate::ports::Write::create(super::folders::case_item(case, 1)?))
    }

    /// Adds `n` to a tab's counter of an organisation for a procedure.
    ///
    /// # Errors
    /// When the table fails.
    pub async fn add_to_inbox_count(
        &self,
        org: &OrgRef,
        process: &ProcessCode,
        tab: InboxTab,
        n: i64,
    ) -> Result<(), StoreError> {
        self.table().add(&keys::inbox_counter(org, process, tab), keys::COUNTER_ATTR, n).await?;
        Ok(())
    }
}
