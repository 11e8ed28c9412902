//! Subscriptions: by organisation and procedure (their key), by id (GSI1), by procedure (GSI2),
//! and those waiting for their activation date (GSI3, sparse). See docs/ACCESS-PATTERNS.md.

use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::{IndexEntry, Store, StoreError, Versioned, from_item, keys, to_item};
use crate::{
    domain::{BranchCode, Procedure, ProcessCode, Siret, Subscription, org_key},
    ports::{Condition, Index, Item, Query, SortKey, Write},
};

/// The index keys of a subscription; the activation index only while it is `Inactif` with a
/// date, so that the activation sweep reads nothing else.
fn subscription_indexes(s: &Subscription) -> Vec<IndexEntry> {
    let mut indexes = vec![
        IndexEntry::new(Index::Gsi1, keys::subscription_by_id(s.id), keys::SUBSCRIPTION_BY_ID_SK),
        IndexEntry::new(
            Index::Gsi2,
            keys::subscriptions_of_procedure(&s.process_code),
            org_key(&s.siret, &s.branch_code),
        ),
    ];
    if let Some(at) = s.awaits_activation() {
        indexes.push(IndexEntry::new(
            Index::Gsi3,
            keys::SUBSCRIPTION_ACTIVATIONS,
            keys::subscription_activation(at, s.id),
        ));
    }
    indexes
}

fn subscription_key(s: &Subscription) -> crate::ports::Key {
    keys::subscription(&s.siret, &s.branch_code, &s.process_code)
}

fn subscription_item(s: &Subscription, version: i64) -> Result<Item, StoreError> {
    to_item(s, "Subscription", &subscription_key(s), &subscription_indexes(s), version)
}

impl Store {
    /// # Errors
    /// When the table fails.
    pub async fn subscription(
        &self,
        siret: &Siret,
        branch: &BranchCode,
        process: &ProcessCode,
    ) -> Result<Option<Subscription>, StoreError> {
        Ok(self.versioned_subscription(siret, branch, process).await?.map(|v| v.value))
    }

    /// The subscription with the version it was read at (a strongly consistent read).
    ///
    /// # Errors
    /// When the table fails.
    pub async fn versioned_subscription(
        &self,
        siret: &Siret,
        branch: &BranchCode,
        process: &ProcessCode,
    ) -> Result<Option<Versioned<Subscription>>, StoreError> {
        self.read(&keys::subscription(siret, branch, process)).await
    }

    /// A subscription by id: GSI1 finds its key, then the item itself is read, so the version
    /// is current even when the index lags behind.
    ///
    /// # Errors
    /// When the table fails.
    pub async fn subscription_by_id(&self, id: Uuid) -> Result<Option<Versioned<Subscription>>, StoreError> {
        let q = Query::index(Index::Gsi1, keys::subscription_by_id(id))
            .sk(SortKey::Eq(keys::SUBSCRIPTION_BY_ID_SK.to_owned()))
            .limit(1);
        let Some(item) = self.table().query(q).await?.items.into_iter().next() else {
            return Ok(None);
        };
        let found: Subscription = from_item(item)?.value;
        self.versioned_subscription(&found.siret, &found.branch_code, &found.process_code).await
    }

    /// The subscriptions of a procedure, by subscriber.
    ///
    /// # Errors
    /// When the table fails or holds a corrupt item.
    pub async fn subscriptions_of_procedure(&self, process: &ProcessCode) -> Result<Vec<Subscription>, StoreError> {
        let q = Query::index(Index::Gsi2, keys::subscriptions_of_procedure(process));
        self.query_all(q).await?.into_iter().map(|i| from_item(i).map(|v| v.value)).collect()
    }

    /// Every procedure, by code.
    ///
    /// # Errors
    /// When the table fails or holds a corrupt item.
    pub async fn procedures(&self) -> Result<Vec<Procedure>, StoreError> {
        let q = Query::index(Index::Gsi1, keys::ALL_PROCEDURES);
        self.query_all(q).await?.into_iter().map(|i| from_item(i).map(|v| v.value)).collect()
    }

    /// The subscriptions still `Inactif` whose activation date is `now` or before, oldest
    /// first, as the activation index has them (it may lag: re-read before changing one).
    ///
    /// # Errors
    /// When the table fails or holds a corrupt item.
    pub async fn subscriptions_due(&self, now: DateTime<Utc>) -> Result<Vec<Subscription>, StoreError> {
        let (from, to) = keys::due_until(now);
        let q = Query::index(Index::Gsi3, keys::SUBSCRIPTION_ACTIVATIONS).sk(SortKey::Between(from, to));
        self.query_all(q).await?.into_iter().map(|i| from_item(i).map(|v| v.value)).collect()
    }

    /// Creates or updates a subscription (provisioning); returns whether anything changed.
    ///
    /// # Errors
    /// `Conflict` on a concurrent change.
    pub async fn save_subscription(&self, s: &Subscription) -> Result<bool, StoreError> {
        self.upsert(s, "Subscription", &subscription_key(s), &subscription_indexes(s)).await
    }

    /// The write creating a subscription, failing if the organisation already has one for the
    /// procedure.
    ///
    /// # Errors
    /// When the subscription does not serialise.
    pub fn create_subscription_write(&self, s: &Subscription) -> Result<Write, StoreError> {
        Ok(Write::create(subscription_item(s, 1)?))
    }

    /// A subscription update, if nobody changed it since `read_version`.
    ///
    /// # Errors
    /// When the subscription does not serialise.
    pub fn update_subscription_write(&self, s: &Subscription, read_version: i64) -> Result<Write, StoreError> {
        Ok(Write::Put {
            item: subscription_item(s, read_version + 1)?,
            condition: Condition::equals(super::VERSION, read_version),
        })
    }
}

impl Store {
    /// The subscriptions of an organisation (one per procedure): a Query on its partition.
    ///
    /// # Errors
    /// When the table fails or holds a corrupt item.
    pub async fn subscriptions_of_organisation(
        &self,
        siret: &crate::domain::Siret,
        branch: &crate::domain::BranchCode,
    ) -> Result<Vec<Subscription>, StoreError> {
        let q = crate::ports::Query::table(keys::org_partition(siret, branch))
            .sk(crate::ports::SortKey::BeginsWith("SUB#".into()));
        self.table().query(q).await?.items.into_iter().map(|i| from_item(i).map(|v| v.value)).collect()
    }
}
