//! What the national back office lists across the platform: organisations, procedures, API
//! clients, and the record of national actions. See docs/ACCESS-PATTERNS.md.
//!
//! Listings page by sort key: a page ends with the sort key of the last item it examined, and
//! the next one resumes after it (the cursor the service hands out, as the inbox does).

use serde::de::DeserializeOwned;

use super::{IndexEntry, Store, StoreError, from_item, keys, to_item};
use crate::{
    domain::{AdminAction, ApiClient, BranchCode, OrgId, Organisation, Procedure, Siret, format_time},
    ports::{Index, Query, SortKey, Write},
};

/// One page of a listing: the items kept, and where the next page starts when more may follow.
#[derive(Clone, Debug, PartialEq)]
pub struct Listing<T> {
    pub items: Vec<T>,
    pub next: Option<String>,
}

/// The highest sort key of a range: `~` sorts after every character keys use.
const END: &str = "~";
/// Items read per query while a filter skips some.
const BATCH: usize = 500;

impl Store {
    /// Reads an index partition's sort-key range in order from `after` (exclusive), keeping the
    /// items `keep` accepts, until `limit` are kept or the range ends.
    pub(super) async fn list_range<T: DeserializeOwned>(
        &self,
        index: Index,
        pk: &str,
        (low, high): (String, String),
        after: Option<&str>,
        limit: usize,
        keep: impl Fn(&T) -> bool,
    ) -> Result<Listing<T>, StoreError> {
        let low = after.filter(|a| *a >= low.as_str()).map_or(low, str::to_owned);
        let mut query =
            Query::index(index, pk).sk(SortKey::Between(low, high)).limit(BATCH.max(limit.saturating_add(1)));
        let mut items = Vec::new();
        loop {
            let page = self.table().query(query.clone()).await?;
            for item in page.items {
                let sk = item.get(index.sk_attr()).and_then(|v| v.as_str()).unwrap_or_default().to_owned();
                if after == Some(sk.as_str()) {
                    continue;
                }
                let value: T = from_item(item)?.value;
                if keep(&value) {
                    items.push(value);
                    if items.len() == limit {
                        return Ok(Listing { items, next: Some(sk) });
                    }
                }
            }
            match page.cursor {
                Some(c) => query = query.after(Some(c)),
                None => return Ok(Listing { items, next: None }),
            }
        }
    }

    /// Organisations in SIRET order, those whose SIRET starts with `siret_prefix` when given.
    ///
    /// # Errors
    /// When the table fails or holds a corrupt item.
    pub async fn organisations(
        &self,
        siret_prefix: Option<&str>,
        after: Option<&str>,
        limit: usize,
        keep: impl Fn(&Organisation) -> bool,
    ) -> Result<Listing<Organisation>, StoreError> {
        let prefix = siret_prefix.unwrap_or_default();
        let range = (prefix.to_owned(), format!("{prefix}{END}"));
        self.list_range(Index::Gsi1, keys::ALL_ORGANISATIONS, range, after, limit, keep).await
    }

    /// The write creating a procedure, failing if one with that code exists meanwhile.
    ///
    /// # Errors
    /// When the procedure does not serialise.
    pub fn create_procedure_write(&self, p: &Procedure) -> Result<Write, StoreError> {
        let indexes = [IndexEntry::new(Index::Gsi1, keys::ALL_PROCEDURES, p.code.to_string())];
        Ok(Write::create(to_item(p, "Procedure", &keys::procedure(&p.code), &indexes, 1)?))
    }

    /// The write storing a procedure read at `version`.
    ///
    /// # Errors
    /// When the procedure does not serialise.
    pub fn procedure_write(&self, p: &Procedure, version: i64) -> Result<Write, StoreError> {
        let indexes = [IndexEntry::new(Index::Gsi1, keys::ALL_PROCEDURES, p.code.to_string())];
        let item = to_item(p, "Procedure", &keys::procedure(&p.code), &indexes, version + 1)?;
        Ok(Write::Put { item, condition: crate::ports::Condition::equals(super::VERSION, version) })
    }

    /// # Errors
    /// When the table fails or the item is corrupt.
    pub async fn versioned_procedure(
        &self,
        code: &crate::domain::ProcessCode,
    ) -> Result<Option<super::Versioned<Procedure>>, StoreError> {
        self.read(&keys::procedure(code)).await
    }

    /// The organisation holding an operator code.
    ///
    /// # Errors
    /// When the table fails or the item is corrupt.
    pub async fn operator_code_owner(&self, code: &str) -> Result<Option<OrgId>, StoreError> {
        Ok(self.read::<OrgId>(&keys::operator_code(code)).await?.map(|v| v.value))
    }

    /// The write reserving an operator code for `org`: the codes procedures name are unique, so
    /// it fails if another organisation holds it meanwhile.
    ///
    /// # Errors
    /// When the item does not serialise.
    pub fn claim_operator_code_write(&self, code: &str, org: &OrgId) -> Result<Write, StoreError> {
        Ok(Write::create(to_item(org, "OperatorCode", &keys::operator_code(code), &[], 1)?))
    }

    /// API clients in client-id order (GSI2 `CLIENTS`), those `keep` accepts.
    ///
    /// # Errors
    /// When the table fails or holds a corrupt item.
    pub async fn api_clients(
        &self,
        after: Option<&str>,
        limit: usize,
        keep: impl Fn(&ApiClient) -> bool,
    ) -> Result<Listing<ApiClient>, StoreError> {
        let range = (String::new(), END.to_owned());
        self.list_range(Index::Gsi2, keys::ALL_CLIENTS, range, after, limit, keep).await
    }

    /// An organisation's API clients.
    ///
    /// # Errors
    /// When the table fails or holds a corrupt item.
    pub async fn api_clients_of_organisation(
        &self,
        siret: &Siret,
        branch: &BranchCode,
    ) -> Result<Vec<ApiClient>, StoreError> {
        let q = Query::index(Index::Gsi1, keys::org_partition(siret, branch))
            .sk(SortKey::BeginsWith(keys::CLIENT_PREFIX.into()));
        self.query_all(q).await?.into_iter().map(|i| from_item(i).map(|v| v.value)).collect()
    }

    /// The write recording a national action.
    ///
    /// # Errors
    /// When the record does not serialise.
    pub fn admin_action_write(&self, a: &AdminAction) -> Result<Write, StoreError> {
        let key = keys::admin_action(&format_time(a.at), a.id);
        Ok(Write::create(to_item(a, "AdminAction", &key, &[], 1)?))
    }

    /// National actions, newest first, from before `before` (the `next` of the previous page).
    ///
    /// # Errors
    /// When the table fails or holds a corrupt item.
    pub async fn admin_actions(&self, before: Option<&str>, limit: usize) -> Result<Listing<AdminAction>, StoreError> {
        self.list_newest(Query::table(keys::ADMIN_ACTIONS), before, limit, |item| Ok(from_item(item)?.value)).await
    }

    /// A partition (of the table or an index, as `query` names it) newest first: the items
    /// before the sort key `before`, at most `limit`, each decoded by `decode`.
    pub(super) async fn list_newest<T>(
        &self,
        query: Query,
        before: Option<&str>,
        limit: usize,
        decode: impl Fn(crate::ports::Item) -> Result<T, StoreError>,
    ) -> Result<Listing<T>, StoreError> {
        let sk_attr = query.index.map_or(crate::ports::SK, Index::sk_attr);
        let mut q = query.backward().limit(limit.saturating_add(1));
        if let Some(b) = before {
            q = q.sk(SortKey::Between(String::new(), b.to_owned()));
        }
        let page = self.table().query(q).await?;
        let mut items = Vec::new();
        let mut next = None;
        for item in page.items {
            let sk = item.get(sk_attr).and_then(|v| v.as_str()).unwrap_or_default().to_owned();
            if before == Some(sk.as_str()) {
                continue;
            }
            if items.len() == limit {
                break;
            }
            items.push(decode(item)?);
            next = Some(sk);
        }
        let more = items.len() == limit;
        Ok(Listing { items, next: next.filter(|_| more) })
    }
}
