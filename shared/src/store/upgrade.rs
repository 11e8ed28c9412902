//! Upgrading stored data to what this version writes: the index entries an entity carries are
//! derived from it when it is written, so an item written by an older version lacks the entries
//! added since (every API client and every account in the national listings, the failed e-mails
//! platform-wide, the inbox by last update and archived cases out of "Tous") and an operator may
//! lack the reservation of its code. Re-indexing reads every
//! item once (a table scan, page by page) and rewrites the index attributes of those that differ
//! from what their entity calls for, nothing else. Idempotent and resumable. docs/DEPLOY.md,
//! "Upgrading".

use serde_json::Value;

use super::{
    ENTITY, Store, StoreError, VERSION,
    credentials::{API_CLIENT, api_client_indexes},
    from_item, keys, mail, outbox,
    referential::{account_indexes, organisation_index},
    to_item,
};
use crate::{
    domain::{Account, ApiClient, Case, MailItem, OrgId, Organisation, OutboxItem},
    ports::{Condition, Cursor, Index, Item, TableError, item_key},
};

/// What one page of re-indexing found and did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ReindexPage {
    /// Items read.
    pub examined: usize,
    /// Items whose index attributes were rewritten.
    pub reindexed: usize,
    /// Operator codes reserved.
    pub codes_reserved: usize,
    /// Items changed by someone else between the read and the rewrite: written since by this
    /// version, they carry its index entries already.
    pub changed_meanwhile: usize,
    /// Operator codes reserved by another organisation than the one holding them: a person
    /// decides (logged, never overwritten).
    pub code_conflicts: Vec<String>,
    /// Where the next page starts; none once every item has been read.
    pub next: Option<Cursor>,
}

impl ReindexPage {
    /// Adds what `page` found and did to these totals, and takes its `next`.
    pub fn absorb(&mut self, page: ReindexPage) {
        self.examined += page.examined;
        self.reindexed += page.reindexed;
        self.codes_reserved += page.codes_reserved;
        self.changed_meanwhile += page.changed_meanwhile;
        self.code_conflicts.extend(page.code_conflicts);
        self.next = page.next;
    }
}

impl Store {
    /// Re-indexes one page of at most `limit` items, from `cursor` (none: the first page).
    ///
    /// # Errors
    /// When the table fails, the cursor is not a scan's, or an entity's item is corrupt.
    pub async fn reindex_page(&self, cursor: Option<Cursor>, limit: usize) -> Result<ReindexPage, StoreError> {
        let page = self.table().scan(cursor, limit).await?;
        let mut done = ReindexPage { examined: page.items.len(), next: page.cursor, ..ReindexPage::default() };
        for item in page.items {
            if let Some(org) = operator(&item)? {
                self.reserve_code(&org, &mut done).await?;
            }
            let Some(expected) = expected_indexes(&item)? else { continue };
            let mut rewritten = item.clone();
            for index in Index::ALL {
                for attr in [index.pk_attr(), index.sk_attr()] {
                    match expected.get(attr) {
                        Some(v) => rewritten.insert(attr.to_owned(), v.clone()),
                        None => rewritten.remove(attr),
                    };
                }
            }
            if rewritten == item {
                continue;
            }
            let condition = match item.get(VERSION) {
                Some(v) => Condition::Equals(VERSION.to_owned(), v.clone()),
                None => Condition::Exists,
            };
            match self.table().put(rewritten, condition).await {
                Ok(()) => done.reindexed += 1,
                Err(TableError::ConditionFailed) => done.changed_meanwhile += 1,
                Err(e) => return Err(e.into()),
            }
        }
        Ok(done)
    }

    /// Reserves an operator's code for it when nobody holds it; a code another organisation
    /// holds is reported.
    async fn reserve_code(&self, org: &Organisation, done: &mut ReindexPage) -> Result<(), StoreError> {
        let Some(code) = &org.code else { return Ok(()) };
        let owner = OrgId { siret: org.siret.clone(), branch_code: org.branch_code.clone() };
        let reservation = to_item(&owner, "OperatorCode", &keys::operator_code(code), &[], 1)?;
        match self.table().put(reservation, Condition::NotExists).await {
            Ok(()) => done.codes_reserved += 1,
            Err(TableError::ConditionFailed) => {
                if self.operator_code_owner(code).await?.is_some_and(|held| held != owner) {
                    done.code_conflicts.push(code.clone());
                }
            }
            Err(e) => return Err(e.into()),
        }
        Ok(())
    }
}

/// The organisation an item holds when it is an operator with a code.
fn operator(item: &Item) -> Result<Option<Organisation>, StoreError> {
    if entity(item) != Some("Organisation") || item.get("code").is_none_or(Value::is_null) {
        return Ok(None);
    }
    Ok(Some(from_item::<Organisation>(item.clone())?.value))
}

fn entity(item: &Item) -> Option<&str> {
    item.get(ENTITY).and_then(Value::as_str)
}

/// The item this version would write for the entity an item holds (only its index attributes
/// are used), for the entities whose index entries changed since the first version; `None`
/// for every other item.
fn expected_indexes(item: &Item) -> Result<Option<Item>, StoreError> {
    let Some(key) = item_key(item) else { return Ok(None) };
    let entity = entity(item).unwrap_or_default();
    let decoded = || item.clone();
    Ok(Some(match entity {
        "Account" => {
            let a = from_item::<Account>(decoded())?;
            to_item(&a.value, entity, &key, &account_indexes(&a.value), a.version)?
        }
        API_CLIENT => {
            let c = from_item::<ApiClient>(decoded())?;
            to_item(&c.value, entity, &key, &api_client_indexes(&c.value), c.version)?
        }
        "Organisation" => {
            let o = from_item::<Organisation>(decoded())?;
            to_item(&o.value, entity, &key, &[organisation_index(&o.value)], o.version)?
        }
        "Case" => {
            let c = from_item::<Case>(decoded())?;
            super::folders::case_item(&c.value, c.version)?
        }
        "Outbox" => {
            let o = from_item::<OutboxItem>(decoded())?;
            outbox::outbox_item(&o.value, o.version)?
        }
        mail::MAIL => {
            let m = from_item::<MailItem>(decoded())?;
            mail::mail_item(&m.value, m.version)?
        }
        _ => return Ok(None),
    }))
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use chrono::{TimeZone, Utc};
    use uuid::Uuid;

    use super::*;
    use crate::{
        adapters::embedded::SqliteTable,
        domain::{ActorType, BranchCode, Email, MailMessage, OrgType, OutboxStatus, Scope, Siret},
        ports::{Key, Query, SortKey},
    };

    /// Stores `item` as an older version wrote it: without the index attributes of `index`.
    async fn as_written_before(store: &Store, key: Key, index: Index) {
        let mut item = store.table().get(&key).await.unwrap().unwrap();
        assert!(item.remove(index.pk_attr()).is_some() && item.remove(index.sk_attr()).is_some());
        store.table().put(item, Condition::Exists).await.unwrap();
    }

    async fn listed(store: &Store, pk: &str) -> usize {
        store.table().query(Query::index(Index::Gsi2, pk)).await.unwrap().items.len()
    }

    async fn reindex_all(store: &Store) -> ReindexPage {
        let mut total = ReindexPage::default();
        loop {
            let page = store.reindex_page(total.next.take(), 2).await.unwrap();
            total.absorb(page);
            if total.next.is_none() {
                return total;
            }
        }
    }

    #[tokio::test]
    async fn items_an_older_version_wrote_get_this_versions_index_entries_once() {
        let store = Store::new(Arc::new(SqliteTable::in_memory().unwrap()));
        let siret = Siret::parse("21690266800013").unwrap();
        let branch = BranchCode::parse("69266").unwrap();
        let org = OrgId { siret: siret.clone(), branch_code: branch.clone() };
        let email = Email::parse("claire@villeurbanne.example").unwrap();
        let account = Account::new(email.clone(), ActorType::LocalAdmin, org.clone(), "Claire", "Maire");
        store.commit(vec![store.create_account_write(&account).unwrap()]).await.unwrap();
        let client = ApiClient {
            client_id: "villeurbanne-si".into(),
            scopes: vec![Scope::Si],
            siret: siret.clone(),
            branch_code: branch.clone(),
            process_code: None,
            secrets: Vec::new(),
            disabled: false,
            subscription_suspended: false,
            tokens_not_before: None,
        };
        store.commit(vec![store.api_client_write(&client, None).unwrap()]).await.unwrap();
        let created = Utc.with_ymd_and_hms(2026, 3, 1, 9, 0, 0).unwrap();
        let mail = MailItem {
            status: OutboxStatus::Failed,
            done_at: Some(created),
            ..MailItem::new(Uuid::from_u128(7), MailMessage::ResetLink { email: email.clone() }, created)
        };
        store.commit(vec![store.create_mail_write(&mail).unwrap()]).await.unwrap();
        let operator = Organisation {
            code: Some("DGS".into()),
            ..Organisation::new(
                Siret::parse("11000000000007").unwrap(),
                BranchCode::parse("00000").unwrap(),
                "DGS",
                OrgType::Osl,
            )
        };
        store.save_organisation(&operator).await.unwrap();
        assert_eq!((listed(&store, keys::ALL_ACCOUNTS).await, listed(&store, keys::ALL_CLIENTS).await), (1, 1));
        assert_eq!(listed(&store, keys::FAILED_DELIVERIES).await, 1);

        as_written_before(&store, keys::account(email.as_str()), Index::Gsi2).await;
        as_written_before(&store, keys::api_client("villeurbanne-si"), Index::Gsi2).await;
        as_written_before(&store, keys::outbox(mail.id), Index::Gsi2).await;
        store.table().delete(&keys::operator_code("DGS"), Condition::Exists).await.unwrap();
        let version_before = store.table().get(&keys::account(email.as_str())).await.unwrap().unwrap()[VERSION].clone();
        assert_eq!(listed(&store, keys::ALL_ACCOUNTS).await + listed(&store, keys::ALL_CLIENTS).await, 0);
        assert_eq!(listed(&store, keys::FAILED_DELIVERIES).await, 0);
        assert_eq!(store.operator_code_owner("DGS").await.unwrap(), None);

        let first = reindex_all(&store).await;
        assert_eq!((first.reindexed, first.codes_reserved, first.code_conflicts.len()), (3, 1, 0));
        assert_eq!((listed(&store, keys::ALL_ACCOUNTS).await, listed(&store, keys::ALL_CLIENTS).await), (1, 1));
        assert_eq!(listed(&store, keys::FAILED_DELIVERIES).await, 1);
        let dgs = OrgId { siret: operator.siret.clone(), branch_code: operator.branch_code.clone() };
        assert_eq!(store.operator_code_owner("DGS").await.unwrap(), Some(dgs));
        let account_item = store.table().get(&keys::account(email.as_str())).await.unwrap().unwrap();
        assert_eq!(account_item[VERSION], version_before, "re-indexing changes no entity, nor its version");
        let by_name = Query::index(Index::Gsi2, keys::ALL_ACCOUNTS).sk(SortKey::BeginsWith("maire claire#".into()));
        assert_eq!(store.table().query(by_name).await.unwrap().items.len(), 1, "under the name's search key");

        let again = reindex_all(&store).await;
        // The second pass also reads the reservation the first one wrote.
        assert_eq!((again.examined, again.reindexed, again.codes_reserved), (first.examined + 1, 0, 0), "idempotent");
    }

    #[tokio::test]
    async fn a_code_another_organisation_reserved_is_reported_not_taken() {
        let store = Store::new(Arc::new(SqliteTable::in_memory().unwrap()));
        let operator = Organisation {
            code: Some("DGS".into()),
            ..Organisation::new(
                Siret::parse("11000000000007").unwrap(),
                BranchCode::parse("00000").unwrap(),
                "DGS",
                OrgType::Osl,
            )
        };
        store.save_organisation(&operator).await.unwrap();
        let other =
            OrgId { siret: Siret::parse("21690266800013").unwrap(), branch_code: BranchCode::parse("69266").unwrap() };
        let taken = to_item(&other, "OperatorCode", &keys::operator_code("DGS"), &[], 1).unwrap();
        store.table().put(taken, Condition::None).await.unwrap();
        let done = reindex_all(&store).await;
        assert_eq!((done.codes_reserved, done.code_conflicts), (0, vec!["DGS".to_owned()]));
        assert_eq!(store.operator_code_owner("DGS").await.unwrap(), Some(other));
    }
}
