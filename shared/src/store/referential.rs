//! Organisations, procedures, API clients and accounts (subscriptions: `subscriptions.rs`).

use serde::{Serialize, de::DeserializeOwned};

use super::{Store, StoreError, Versioned, from_item, keys, to_item};
use crate::{
    domain::{Account, ApiClient, BranchCode, Organisation, Procedure, ProcessCode, Siret},
    ports::{Condition, Key, Write},
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
        indexes: &[(&str, String)],
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
        let indexes = [
            ("GSI1PK", keys::ALL_ORGANISATIONS.to_owned()),
            ("GSI1SK", crate::domain::org_key(&org.siret, &org.branch_code)),
        ];
        self.upsert(org, "Organisation", &keys::organisation(&org.siret, &org.branch_code), &indexes).await
    }

    /// # Errors
    /// When the table fails.
    pub async fn procedure(&self, code: &ProcessCode) -> Result<Option<Procedure>, StoreError> {
        Ok(self.read(&keys::procedure(code)).await?.map(|v| v.value))
    }

    /// # Errors
    /// `Conflict` on a concurrent change.
    pub async fn save_procedure(&self, p: &Procedure) -> Result<bool, StoreError> {
        let indexes = [("GSI1PK", keys::ALL_PROCEDURES.to_owned()), ("GSI1SK", p.code.to_string())];
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
        let indexes =
            [("GSI1PK", keys::org_partition(&c.siret, &c.branch_code)), ("GSI1SK", format!("CLIENT#{}", c.client_id))];
        self.upsert(c, "ApiClient", &keys::api_client(&c.client_id), &indexes).await
    }

    /// # Errors
    /// When the table fails.
    pub async fn account(&self, email: &str) -> Result<Option<Account>, StoreError> {
        Ok(self.read(&keys::account(email)).await?.map(|v| v.value))
    }

    /// # Errors
    /// `Conflict` on a concurrent change.
    pub async fn save_account(&self, a: &Account) -> Result<bool, StoreError> {
        self.upsert(a, "Account", &keys::account(a.email.as_str()), &account_indexes(a)).await
    }

    /// The write creating an account, failing if one exists with that e-mail meanwhile.
    ///
    /// # Errors
    /// When the account does not serialise.
    pub fn create_account_write(&self, a: &Account) -> Result<Write, StoreError> {
        Ok(Write::create(to_item(a, "Account", &keys::account(a.email.as_str()), &account_indexes(a), 1)?))
    }
}

pub(super) fn account_indexes(a: &Account) -> [(&'static str, String); 2] {
    [("GSI1PK", keys::org_partition(&a.siret, &a.branch_code)), ("GSI1SK", format!("ACCOUNT#{}", a.email))]
}
