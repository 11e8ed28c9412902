//! The portal inbox: transmitted cases of an organisation per procedure, by date, tab, name or
//! number, and the per-tab counters maintained with every change.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;
use uuid::Uuid;

use super::{Store, StoreError, Versioned, from_item, keys, to_item};
use crate::{
    domain::{Case, InboxTab, OrgRef, ProcessCode, format_time},
    ports::{Condition, Index, Key, Query, SK, SortKey, Write},
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
    /// Every transmitted case but the archived ones, by last update.
    Updated,
}

/// A dossier in its agent's list ([`keys::assigned`]).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AssignedEntry {
    pub case_id: Uuid,
    pub process_code: ProcessCode,
    #[serde(with = "crate::domain::contract_time")]
    pub transmission_date_time: chrono::DateTime<chrono::Utc>,
}

impl AssignedEntry {
    /// Its sort key in the agent's list, which is the case's in the inbox by transmission date.
    pub fn sort_key(&self) -> String {
        format!("{}#{}", format_time(self.transmission_date_time), self.case_id)
    }
}

/// Where a case stands in its agent's list: present while it is assigned, transmitted and not
/// archived, sorted by transmission date.
pub(super) fn assignment_entry(c: &Case) -> Option<Key> {
    let assignee = c.assignee.as_ref()?;
    let sent = c.transmission_date_time?;
    (c.tab()? != InboxTab::Archive)
        .then(|| Key::new(keys::assigned(&c.recipient, &assignee.email), format!("{}#{}", format_time(sent), c.id)))
}

/// The writes keeping a case's entry in its agent's list in step with a change of the case
/// (`None`: the case does not exist on that side).
///
/// # Errors
/// When the entry does not serialise.
pub(super) fn assignment_writes(before: Option<&Case>, after: Option<&Case>) -> Result<Vec<Write>, StoreError> {
    let old = before.and_then(assignment_entry);
    let new = after.and_then(|c| assignment_entry(c).map(|key| (key, c)));
    if old.as_ref() == new.as_ref().map(|(k, _)| k) {
        return Ok(Vec::new());
    }
    let mut writes: Vec<Write> = old.map(|key| Write::Delete { key, condition: Condition::None }).into_iter().collect();
    if let Some((key, entry)) = new.and_then(|(key, c)| Some((key, assigned_entry(c)?))) {
        writes.push(Write::Put { item: to_item(&entry, "Assigned", &key, &[], 1)?, condition: Condition::None });
    }
    Ok(writes)
}

fn assigned_entry(c: &Case) -> Option<AssignedEntry> {
    Some(AssignedEntry {
        case_id: c.id,
        process_code: c.process_code.clone(),
        transmission_date_time: c.transmission_date_time?,
    })
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
            InboxIndex::Updated => (Index::Gsi5, keys::inbox(org, process)),
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

    /// Every dossier an agent of an organisation holds, newest transmission first.
    ///
    /// # Errors
    /// When the table fails or holds a corrupt item.
    pub async fn assigned_entries(&self, org: &OrgRef, email: &str) -> Result<Vec<AssignedEntry>, StoreError> {
        let items = self.query_all(Query::table(keys::assigned(org, email)).backward()).await?;
        items.into_iter().map(|item| Ok(from_item::<AssignedEntry>(item)?.value)).collect()
    }

    /// The write giving a dossier to an agent or taking it back (`after.assignee`), if nobody
    /// changed it since it was read, with its entry in the agent's list.
    ///
    /// # Errors
    /// When the case does not serialise.
    pub fn assign_case_writes(&self, before: &Versioned<Case>, after: &Case) -> Result<Vec<Write>, StoreError> {
        let mut writes = vec![Write::Put {
            item: super::folders::case_item(after, before.version + 1)?,
            condition: super::folders::at_version(before.version),
        }];
        writes.extend(assignment_writes(Some(&before.value), Some(after))?);
        Ok(writes)
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
    /// The writes storing an already transmitted case as a bulk import does (benchmarks,
    /// migrations), with its inbox entries and its entry in its agent's list; the importer then
    /// adds its counts with [`Store::add_to_inbox_count`] (one transaction cannot add twice to
    /// one counter).
    ///
    /// # Errors
    /// When the case does not serialise.
    pub fn import_case_writes(&self, case: &Case) -> Result<Vec<Write>, StoreError> {
        let mut writes = vec![Write::create(super::folders::case_item(case, 1)?)];
        writes.extend(assignment_writes(None, Some(case))?);
        Ok(writes)
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
