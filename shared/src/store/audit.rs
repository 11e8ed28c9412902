//! The audit journal's chains: each entry under its chain's partition (`AUDIT#<chain>#<day>`,
//! `E#<seq>`), the chain's head beside it (`HEAD`, with the last sequence number and hash),
//! appended together so that two writers never take the same place. See docs/AUDIT.md and
//! docs/ACCESS-PATTERNS.md.

use chrono::NaiveDate;

use super::{IndexEntry, Listing, Store, StoreError, Versioned, from_item, keys, to_item};
use crate::{
    domain::{AuditEntry, ChainHead, format_time},
    ports::{Condition, Index, Query, SortKey, Write},
};

const ENTRY: &str = "AuditEntry";
const HEAD: &str = "AuditHead";

/// Where a listing of entries reads: one chain's partition, or a day of every chain (GSI2).
#[derive(Clone, Debug)]
pub enum AuditSource {
    Chain(String),
    Everyone,
}

impl Store {
    /// A chain's head, with its version, if the chain has an entry that day.
    ///
    /// # Errors
    /// When the table fails or the item is corrupt.
    pub async fn audit_head(&self, chain: &str, day: NaiveDate) -> Result<Option<Versioned<ChainHead>>, StoreError> {
        self.read(&keys::audit_head(chain, day)).await
    }

    /// The writes appending `entries` (consecutive places of one chain's day) after the head read
    /// at `head_version` (none: the chain's first entries of the day): the entries, created, and
    /// the head moved on to the last one, if nobody else moved it.
    ///
    /// # Errors
    /// When an entry does not serialise, or there is none.
    pub fn audit_append_writes(
        &self,
        entries: &[AuditEntry],
        head_version: Option<i64>,
    ) -> Result<Vec<Write>, StoreError> {
        let last = entries.last().ok_or_else(|| StoreError::Corrupt("an append without an entry".into()))?;
        let mut writes = Vec::with_capacity(entries.len() + 1);
        for entry in entries {
            let key = keys::audit_entry(&entry.chain, entry.day, entry.seq);
            let by_time = format!("{}#{}#{:012}", format_time(entry.at), entry.chain, entry.seq);
            let indexes = [IndexEntry::new(Index::Gsi2, keys::audit_day(entry.day), by_time)];
            writes.push(Write::create(to_item(entry, ENTRY, &key, &indexes, 1)?));
        }
        let head = ChainHead { chain: last.chain.clone(), day: last.day, seq: last.seq, hash: last.digest() };
        let head_key = keys::audit_head(&last.chain, last.day);
        let head_index = [IndexEntry::new(Index::Gsi3, keys::audit_heads(last.day), last.chain.clone())];
        let version = head_version.map_or(1, |v| v + 1);
        let head_item = to_item(&head, HEAD, &head_key, &head_index, version)?;
        writes.push(match head_version {
            Some(v) => Write::Put { item: head_item, condition: Condition::equals(super::VERSION, v) },
            None => Write::create(head_item),
        });
        Ok(writes)
    }

    /// Every entry of a chain's day, in sequence order as stored.
    ///
    /// # Errors
    /// When the table fails or holds a corrupt item.
    pub async fn audit_entries(&self, chain: &str, day: NaiveDate) -> Result<Vec<AuditEntry>, StoreError> {
        let q = Query::table(keys::audit_chain(chain, day)).sk(SortKey::BeginsWith(keys::AUDIT_ENTRY_PREFIX.into()));
        self.query_all(q).await?.into_iter().map(|i| from_item(i).map(|v| v.value)).collect()
    }

    /// The heads of every chain with an entry on `day`, by chain name.
    ///
    /// # Errors
    /// When the table fails or holds a corrupt item.
    pub async fn audit_heads(&self, day: NaiveDate) -> Result<Vec<ChainHead>, StoreError> {
        let q = Query::index(Index::Gsi3, keys::audit_heads(day));
        self.query_all(q).await?.into_iter().map(|i| from_item(i).map(|v| v.value)).collect()
    }

    /// Removes a day's chains from the table (its export holds them): each chain's entries,
    /// then its head, a hundred deletes a transaction. Returns the chains removed.
    ///
    /// # Errors
    /// When the table fails; a run stopped midway is finished by the next (the heads go last).
    pub async fn expire_audit_day(&self, day: NaiveDate) -> Result<usize, StoreError> {
        let heads = self.query_all(Query::index(Index::Gsi3, keys::audit_heads(day))).await?;
        for head in &heads {
            let Some(key) = crate::ports::item_key(head) else { continue };
            let q = Query::table(key.pk.clone()).sk(SortKey::BeginsWith(keys::AUDIT_ENTRY_PREFIX.into()));
            let entries: Vec<Write> = self
                .query_all(q)
                .await?
                .iter()
                .filter_map(crate::ports::item_key)
                .map(|key| Write::Delete { key, condition: Condition::None })
                .collect();
            for batch in entries.chunks(crate::ports::MAX_TRANSACTION_WRITES) {
                self.table().transact_write(batch.to_vec()).await?;
            }
            self.table().delete(&key, Condition::None).await?;
        }
        Ok(heads.len())
    }

    /// A day's entries newest first, from before `before` (the `next` of the previous page),
    /// those `keep` accepts, until `limit` are kept or the day ends.
    ///
    /// # Errors
    /// When the table fails or holds a corrupt item.
    pub async fn audit_day_newest(
        &self,
        source: &AuditSource,
        day: NaiveDate,
        before: Option<&str>,
        limit: usize,
        keep: impl Fn(&AuditEntry) -> bool,
    ) -> Result<Listing<AuditEntry>, StoreError> {
        let (query, sk_attr, low) = match source {
            AuditSource::Chain(chain) => {
                (Query::table(keys::audit_chain(chain, day)), crate::ports::SK, keys::AUDIT_ENTRY_PREFIX.to_owned())
            }
            AuditSource::Everyone => {
                (Query::index(Index::Gsi2, keys::audit_day(day)), Index::Gsi2.sk_attr(), String::new())
            }
        };
        let high = before.map_or_else(|| format!("{low}~"), str::to_owned);
        let mut q = query.sk(SortKey::Between(low, high)).backward().limit(500.max(limit.saturating_add(1)));
        let mut items = Vec::new();
        loop {
            let page = self.table().query(q.clone()).await?;
            for item in page.items {
                let sk = item.get(sk_attr).and_then(|v| v.as_str()).unwrap_or_default().to_owned();
                if before == Some(sk.as_str()) {
                    continue;
                }
                let entry: AuditEntry = from_item(item)?.value;
                if keep(&entry) {
                    items.push(entry);
                    if items.len() == limit {
                        return Ok(Listing { items, next: Some(sk) });
                    }
                }
            }
            match page.cursor {
                Some(c) => q = q.after(Some(c)),
                None => return Ok(Listing { items, next: None }),
            }
        }
    }
}
