//! API clients read and written with their version (so that a secret change commits with the
//! record that reports it), the clients of a subscription, and the record of the changes of a
//! subscription's API access. See docs/ACCESS-PATTERNS.md.

use chrono::{DateTime, Utc};

use super::{IndexEntry, Store, StoreError, VERSION, Versioned, from_item, keys, to_item};
use crate::{
    domain::{ApiClient, CredentialEvent, Subscription},
    ports::{Condition, Index, Query, SortKey, Write},
};

pub(super) const API_CLIENT: &str = "ApiClient";

/// GSI1: a client in its organisation's partition; GSI2: in the listing of every client.
pub(super) fn api_client_indexes(c: &ApiClient) -> [IndexEntry; 2] {
    [
        IndexEntry::new(
            Index::Gsi1,
            keys::org_partition(&c.siret, &c.branch_code),
            format!("{}{}", keys::CLIENT_PREFIX, c.client_id),
        ),
        IndexEntry::new(Index::Gsi2, keys::ALL_CLIENTS, c.client_id.clone()),
    ]
}

impl Store {
    /// # Errors
    /// When the table fails or the item is corrupt.
    pub async fn versioned_api_client(&self, client_id: &str) -> Result<Option<Versioned<ApiClient>>, StoreError> {
        self.read(&keys::api_client(client_id)).await
    }

    /// The write storing a client read at `read_version` (`None`: a new client, which must not
    /// exist meanwhile).
    ///
    /// # Errors
    /// When the client does not serialise.
    pub fn api_client_write(&self, c: &ApiClient, read_version: Option<i64>) -> Result<Write, StoreError> {
        let version = read_version.map_or(1, |v| v + 1);
        let item = to_item(c, API_CLIENT, &keys::api_client(&c.client_id), &api_client_indexes(c), version)?;
        Ok(match read_version {
            Some(v) => Write::Put { item, condition: Condition::equals(VERSION, v) },
            None => Write::create(item),
        })
    }

    /// The SI clients of a subscription (its organisation's clients for its procedure: the one
    /// the portal issues, and any provisioned), each read again from its item for its version.
    ///
    /// # Errors
    /// When the table fails or holds a corrupt item.
    pub async fn subscription_clients(&self, s: &Subscription) -> Result<Vec<Versioned<ApiClient>>, StoreError> {
        let q = Query::index(Index::Gsi1, keys::org_partition(&s.siret, &s.branch_code))
            .sk(SortKey::BeginsWith(keys::CLIENT_PREFIX.into()));
        let mut clients = Vec::new();
        for item in self.table().query(q).await?.items {
            let listed: ApiClient = from_item(item)?.value;
            if listed.serves(s)
                && let Some(current) = self.versioned_api_client(&listed.client_id).await?
            {
                clients.push(current);
            }
        }
        Ok(clients)
    }

    /// The writes making a subscription's clients follow its status (disabled while it is
    /// suspended or refused), to commit with the subscription's change.
    ///
    /// # Errors
    /// When the table fails.
    pub async fn follow_subscription_writes(
        &self,
        s: &Subscription,
        now: DateTime<Utc>,
    ) -> Result<Vec<Write>, StoreError> {
        let mut writes = Vec::new();
        for Versioned { value: mut client, version } in self.subscription_clients(s).await? {
            if client.follow_subscription(s.status, now) {
                writes.push(self.api_client_write(&client, Some(version))?);
            }
        }
        Ok(writes)
    }

    /// # Errors
    /// When the record does not serialise.
    pub fn create_credential_event_write(&self, e: &CredentialEvent) -> Result<Write, StoreError> {
        let key = keys::credential_event(&e.siret, &e.branch_code, e.subscription_id, e.date_time, e.id);
        Ok(Write::create(to_item(e, "CredentialEvent", &key, &[], 1)?))
    }

    /// The latest changes of a subscription's API access, newest first.
    ///
    /// # Errors
    /// When the table fails or holds a corrupt item.
    pub async fn credential_events(&self, s: &Subscription, limit: usize) -> Result<Vec<CredentialEvent>, StoreError> {
        let q = Query::table(keys::org_partition(&s.siret, &s.branch_code))
            .sk(SortKey::BeginsWith(keys::credential_events(s.id)))
            .backward()
            .limit(limit);
        self.table().query(q).await?.items.into_iter().map(|i| from_item(i).map(|v| v.value)).collect()
    }
}
