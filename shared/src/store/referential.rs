//! Organisations, procedures, API clients and accounts (subscriptions: `subscriptions.rs`).

use serde::{Serialize, de::DeserializeOwned};

use super::{IndexEntry, Store, StoreError, Versioned, from_item, keys, to_item};
use crate::{
    domain::{Account, ApiClient, BranchCode, Email, OrgId, Organisation, Procedure, ProcessCode, Siret},
    ports::{Condition, Index, Item, Key, Query, SortKey, Write},
};

impl Store {
    pub(super) async fn read<T: DeserializeOwned>(&self, key: &Key) -> Result<Option<Versioned<T>>, StoreError> {
        self.table().get(key).await?.map(from_item).transpose()
    }

    /// Writes `value` unless the stored one is equal; returns whether it wrote.
    pub(super) async fn upsert<T: Serialize + DeserializeOwned + PartialEq>(
        &self,
        value: &T,
        kind: &str,
        key: &Key,
        indexes: &[IndexEntry],
    ) -> Result<bool, StoreError> {
        let current = self.read::<T>(key).await?;
        let (version, condition) = match &current {
            Some(c) if &c.value == value => return Ok(false),
            Some(c) => (c.version + 1, Condition::equals(super::VERSION, c.version)),
            None => (1, Condition::NotExists),
        };
        self.table().put(to_item(value, kind, key, indexes, version)?, condition).await?;
        Ok(true)
    }

    /// # Errors
    /// When the table fails.
    pub async fn organisation(&self, siret: &Siret, branch: &BranchCode) -> Result<Option<Organisation>, StoreError> {
        Ok(self.read(&keys::organisation(siret, branch)).await?.map(|v| v.value))
    }

    /// Creates or updates an organisation; returns whether anything changed.
    ///
    /// # Errors
    /// `Conflict` on a concurrent change.
    pub async fn save_organisation(&self, org: &Organisation) -> Result<bool, StoreError> {
        let indexes = [organisation_index(org)];
        if let Some(code) = &org.code {
            // The reservation of its code, written each time: provisioning files older than
            // reservations get theirs on the next load.
            let owner = OrgId { siret: org.siret.clone(), branch_code: org.branch_code.clone() };
            self.table()
                .put(to_item(&owner, "OperatorCode", &keys::operator_code(code), &[], 1)?, Condition::None)
                .await?;
        }
        self.upsert(org, "Organisation", &keys::organisation(&org.siret, &org.branch_code), &indexes).await
    }

    /// # Errors
    /// When the table fails or the item is corrupt.
    pub async fn versioned_organisation(
        &self,
        siret: &Siret,
        branch: &BranchCode,
    ) -> Result<Option<super::Versioned<Organisation>>, StoreError> {
        self.read(&keys::organisation(siret, branch)).await
    }

    /// The write storing an organisation read at `version` (`None`: a new one, which must not
    /// exist meanwhile).
    ///
    /// # Errors
    /// When the organisation does not serialise.
    pub fn organisation_write(&self, org: &Organisation, version: Option<i64>) -> Result<Write, StoreError> {
        let key = keys::organisation(&org.siret, &org.branch_code);
        let indexes = [organisation_index(org)];
        let item = to_item(org, "Organisation", &key, &indexes, version.map_or(1, |v| v + 1))?;
        Ok(match version {
            Some(v) => Write::Put { item, condition: crate::ports::Condition::equals(super::VERSION, v) },
            None => Write::create(item),
        })
    }

    /// # Errors
    /// When the table fails.
    pub async fn procedure(&self, code: &ProcessCode) -> Result<Option<Procedure>, StoreError> {
        Ok(self.read(&keys::procedure(code)).await?.map(|v| v.value))
    }

    /// # Errors
    /// `Conflict` on a concurrent change.
    pub async fn save_procedure(&self, p: &Procedure) -> Result<bool, StoreError> {
        let indexes = [IndexEntry::new(Index::Gsi1, keys::ALL_PROCEDURES, p.code.to_string())];
        self.upsert(p, "Procedure", &keys::procedure(&p.code), &indexes).await
    }

    /// # Errors
    /// When the table fails.
    pub async fn api_client(&self, client_id: &str) -> Result<Option<ApiClient>, StoreError> {
        Ok(self.read(&keys::api_client(client_id)).await?.map(|v| v.value))
    }

    /// # Errors
    /// `Conflict` on a concurrent change.
    pub async fn save_api_client(&self, c: &ApiClient) -> Result<bool, StoreError> {
        self.upsert(
            c,
            super::credentials::API_CLIENT,
            &keys::api_client(&c.client_id),
            &super::credentials::api_client_indexes(c),
        )
        .await
    }

    /// # Errors
    /// When the table fails.
    pub async fn account(&self, email: &str) -> Result<Option<Account>, StoreError> {
        Ok(self.read(&keys::account(email)).await?.map(|v| v.value))
    }

    /// Creates or updates an account (provisioning), with an index entry in each other
    /// organisation a technical delegate serves; returns whether the account changed.
    ///
    /// # Errors
    /// `Conflict` on a concurrent change.
    pub async fn save_account(&self, a: &Account) -> Result<bool, StoreError> {
        let changed = self.upsert(a, "Account", &keys::account(a.email.as_str()), &account_indexes(a)).await?;
        for d in &a.delegations {
            self.table().put(delegation_item(&a.email, &d.organisation)?, Condition::None).await?;
        }
        Ok(changed)
    }

    /// The accounts of an organisation: its own (GSI1 `ORG#<org>` / `ACCOUNT#…`) and the
    /// technical delegates of other organisations who serve it or are invited to (`DELEGATE#…`,
    /// then a GetItem each: organisations have a handful of them).
    ///
    /// # Errors
    /// When the table fails or holds a corrupt item.
    pub async fn accounts_of_organisation(&self, org: &OrgId) -> Result<Vec<Account>, StoreError> {
        let partition = keys::org_partition(&org.siret, &org.branch_code);
        let own = Query::index(Index::Gsi1, partition.clone()).sk(SortKey::BeginsWith(keys::ACCOUNT_PREFIX.into()));
        let mut accounts = Vec::new();
        for item in self.query_all(own).await? {
            accounts.push(from_item::<Account>(item)?.value);
        }
        let delegates = Query::index(Index::Gsi1, partition).sk(SortKey::BeginsWith(keys::DELEGATE_PREFIX.into()));
        for item in self.query_all(delegates).await? {
            let Some(email) = item.get("email").and_then(serde_json::Value::as_str) else { continue };
            // The account decides: an index entry may lag behind it.
            if let Some(a) = self.account(email).await?
                && a.delegation(org).is_some()
                && !accounts.iter().any(|known: &Account| known.email == a.email)
            {
                accounts.push(a);
            }
        }
        Ok(accounts)
    }

    /// The write recording that a technical delegate serves `org` besides its own organisation,
    /// or is invited to (idempotent: the same item each time).
    ///
    /// # Errors
    /// When the item does not serialise.
    pub fn delegation_write(&self, email: &Email, org: &OrgId) -> Result<Write, StoreError> {
        Ok(Write::put(delegation_item(email, org)?))
    }

    /// The write removing that index entry, when the delegate is detached.
    pub fn delegation_removal(&self, email: &Email, org: &OrgId) -> Write {
        Write::Delete {
            key: keys::delegation(email.as_str(), &org.siret, &org.branch_code),
            condition: Condition::None,
        }
    }

    /// The write creating an account, failing if one exists with that e-mail meanwhile.
    ///
    /// # Errors
    /// When the account does not serialise.
    pub fn create_account_write(&self, a: &Account) -> Result<Write, StoreError> {
        Ok(Write::create(to_item(a, "Account", &keys::account(a.email.as_str()), &account_indexes(a), 1)?))
    }
}

/// GSI1: an account in its organisation's partition; GSI2: in the listing of every account by
/// name (national support).
pub(super) fn account_indexes(a: &Account) -> [IndexEntry; 2] {
    [
        IndexEntry::new(
            Index::Gsi1,
            keys::org_partition(&a.siret, &a.branch_code),
            format!("{}{}", keys::ACCOUNT_PREFIX, a.email),
        ),
        IndexEntry::new(Index::Gsi2, keys::ALL_ACCOUNTS, account_name_key(a)),
    ]
}

/// The sort key of an account in the listing by name: its last then first name's search key
/// (accents, case and punctuation folded), then its address.
pub(super) fn account_name_key(a: &Account) -> String {
    let name = crate::domain::search_key(&format!("{} {}", a.last_name, a.first_name));
    format!("{name}#{}", a.email)
}

fn delegation_item(email: &Email, org: &OrgId) -> Result<Item, StoreError> {
    let delegation =
        Delegation { email: email.clone(), siret: org.siret.clone(), branch_code: org.branch_code.clone() };
    let indexes = [IndexEntry::new(
        Index::Gsi1,
        keys::org_partition(&org.siret, &org.branch_code),
        format!("{}{email}", keys::DELEGATE_PREFIX),
    )];
    let key = keys::delegation(email.as_str(), &org.siret, &org.branch_code);
    to_item(&delegation, "Delegation", &key, &indexes, 1)
}

/// A technical delegate serving an organisation besides its own: an index entry only.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Delegation {
    email: Email,
    siret: Siret,
    branch_code: BranchCode,
}

/// GSI1: an organisation in the listing of every organisation.
pub(super) fn organisation_index(org: &Organisation) -> IndexEntry {
    IndexEntry::new(Index::Gsi1, keys::ALL_ORGANISATIONS, crate::domain::org_key(&org.siret, &org.branch_code))
}
