//! Portal sign-in records: code challenges, sessions, activation and reset links, and each
//! account's sign-in failures (its lockout), beside the account in its partition. Expiring
//! items carry a `ttl` attribute (epoch seconds) for DynamoDB's lazy deletion; the use cases
//! check expiry themselves on every read. See docs/ACCESS-PATTERNS.md.

use chrono::{DateTime, Utc};
use serde::Serialize;
use uuid::Uuid;

use super::{Store, StoreError, VERSION, Versioned, from_item, keys, referential::account_indexes, to_item};
use crate::{
    domain::{Account, LinkToken, ResetRequests, Session, SignInChallenge, SignInFailures},
    ports::{Condition, Index, Item, Key, Query, Write},
};

/// The item of an expiring entity: its fields, key, kind, version and `ttl`.
pub(super) fn expiring_item<T: Serialize>(
    entity: &T,
    kind: &str,
    key: &Key,
    version: i64,
    expires: DateTime<Utc>,
) -> Result<Item, StoreError> {
    let mut item = to_item(entity, kind, key, &[], version)?;
    item.insert(keys::TTL_ATTR.into(), expires.timestamp().into());
    Ok(item)
}

/// The write replacing an item read at `read_version`, or creating it when it was absent.
fn replace(item: Item, read_version: Option<i64>) -> Write {
    match read_version {
        Some(v) => Write::Put { item, condition: Condition::equals(VERSION, v) },
        None => Write::create(item),
    }
}

fn next_version(read_version: Option<i64>) -> i64 {
    read_version.map_or(1, |v| v + 1)
}

impl Store {
    /// An account with its sign-in failures, in one Query of the account's partition (strongly
    /// consistent, like a GetItem).
    ///
    /// # Errors
    /// When the table fails or an item is corrupt.
    pub async fn account_for_sign_in(
        &self,
        email: &str,
    ) -> Result<(Option<Versioned<Account>>, Option<Versioned<SignInFailures>>), StoreError> {
        let page = self.table().query(Query::table(keys::account_partition(email)).limit(10)).await?;
        let (mut account, mut failures) = (None, None);
        for item in page.items {
            match item.get(crate::ports::SK).and_then(|v| v.as_str()) {
                Some(keys::ACCOUNT_SK) => account = Some(from_item(item)?),
                Some(keys::SIGN_IN_FAILURES_SK) => failures = Some(from_item(item)?),
                _ => {}
            }
        }
        Ok((account, failures))
    }

    /// # Errors
    /// When the table fails.
    pub async fn versioned_account(&self, email: &str) -> Result<Option<Versioned<Account>>, StoreError> {
        self.read(&keys::account(email)).await
    }

    /// The write storing a changed account, conditional on the version it was read at.
    ///
    /// # Errors
    /// When the account does not serialise.
    pub fn update_account_write(&self, a: &Account, read_version: i64) -> Result<Write, StoreError> {
        let item = to_item(a, "Account", &keys::account(a.email.as_str()), &account_indexes(a), read_version + 1)?;
        Ok(Write::Put { item, condition: Condition::equals(VERSION, read_version) })
    }

    /// The write storing an account's sign-in failures (`read_version`: as read, `None` when
    /// there were none).
    ///
    /// # Errors
    /// When the record does not serialise.
    pub fn sign_in_failures_write(
        &self,
        email: &str,
        f: &SignInFailures,
        read_version: Option<i64>,
    ) -> Result<Write, StoreError> {
        let item = expiring_item(
            f,
            "SignInFailures",
            &keys::sign_in_failures(email),
            next_version(read_version),
            f.expires_at(),
        )?;
        Ok(replace(item, read_version))
    }

    /// The write recording a sign-in at `at`.
    ///
    /// # Errors
    /// When the record does not serialise.
    pub fn last_sign_in_write(&self, email: &str, at: DateTime<Utc>) -> Result<Write, StoreError> {
        let record = LastSignIn { at: crate::domain::format_time(at) };
        Ok(Write::put(to_item(&record, "LastSignIn", &keys::last_sign_in(email), &[], 1)?))
    }

    /// An account with what support looks at: its sign-in failures (lockout) and its last
    /// sign-in, in one Query of its partition.
    ///
    /// # Errors
    /// When the table fails or an item is corrupt.
    pub async fn account_support(&self, email: &str) -> Result<Option<AccountSupport>, StoreError> {
        let page = self.table().query(Query::table(keys::account_partition(email)).limit(10)).await?;
        let (mut account, mut failures, mut last) = (None, None, None);
        for item in page.items {
            match item.get(crate::ports::SK).and_then(|v| v.as_str()) {
                Some(keys::ACCOUNT_SK) => account = Some(from_item::<Account>(item)?.value),
                Some(keys::SIGN_IN_FAILURES_SK) => failures = Some(from_item::<SignInFailures>(item)?.value),
                Some(keys::LAST_SIGN_IN_SK) => {
                    last = crate::domain::parse_time(&from_item::<LastSignIn>(item)?.value.at);
                }
                _ => {}
            }
        }
        Ok(account.map(|account| AccountSupport { account, failures, last_sign_in: last }))
    }

    /// Accounts whose name's search key starts with `name_prefix` (folded as
    /// [`crate::domain::search_key`] does), by name, at most `limit` after `after`.
    ///
    /// # Errors
    /// When the table fails or an item is corrupt.
    pub async fn accounts_by_name(
        &self,
        name_prefix: &str,
        after: Option<&str>,
        limit: usize,
    ) -> Result<super::Listing<Account>, StoreError> {
        let range = (name_prefix.to_owned(), format!("{name_prefix}~"));
        self.list_range(Index::Gsi2, keys::ALL_ACCOUNTS, range, after, limit, |_: &Account| true).await
    }

    /// The reset e-mails recently sent to an account.
    ///
    /// # Errors
    /// When the table fails.
    pub async fn reset_requests(&self, email: &str) -> Result<Option<Versioned<ResetRequests>>, StoreError> {
        self.read(&keys::reset_requests(email)).await
    }

    /// The write recording one more reset e-mail (`read_version`: as read, `None` when there
    /// was no record): of two concurrent requests, one fails.
    ///
    /// # Errors
    /// When the record does not serialise.
    pub fn reset_requests_write(
        &self,
        email: &str,
        r: &ResetRequests,
        read_version: Option<i64>,
    ) -> Result<Write, StoreError> {
        let key = keys::reset_requests(email);
        let item = expiring_item(r, "ResetRequests", &key, next_version(read_version), r.expires_at())?;
        Ok(replace(item, read_version))
    }

    /// The write forgetting an account's sign-in failures (after a full sign-in, or a new
    /// password).
    pub fn clear_sign_in_failures_write(&self, email: &str) -> Write {
        Write::Delete { key: keys::sign_in_failures(email), condition: Condition::None }
    }

    /// # Errors
    /// When the table fails.
    pub async fn create_challenge(&self, c: &SignInChallenge) -> Result<(), StoreError> {
        let item = expiring_item(c, "SignInChallenge", &keys::sign_in_challenge(c.id), 1, c.expires_at())?;
        Ok(self.table().put(item, Condition::NotExists).await?)
    }

    /// # Errors
    /// When the table fails.
    pub async fn challenge(&self, id: Uuid) -> Result<Option<Versioned<SignInChallenge>>, StoreError> {
        self.read(&keys::sign_in_challenge(id)).await
    }

    /// The write storing a challenge after a wrong guess, conditional on the version read.
    ///
    /// # Errors
    /// When the challenge does not serialise.
    pub fn update_challenge_write(&self, c: &SignInChallenge, read_version: i64) -> Result<Write, StoreError> {
        let item =
            expiring_item(c, "SignInChallenge", &keys::sign_in_challenge(c.id), read_version + 1, c.expires_at())?;
        Ok(replace(item, Some(read_version)))
    }

    /// The write spending a challenge, conditional on the version read: of two concurrent
    /// uses of one code, one fails.
    pub fn delete_challenge_write(&self, id: Uuid, read_version: i64) -> Write {
        Write::Delete { key: keys::sign_in_challenge(id), condition: Condition::equals(VERSION, read_version) }
    }

    /// # Errors
    /// When the session does not serialise.
    pub fn create_session_write(&self, id_hash: &str, s: &Session) -> Result<Write, StoreError> {
        Ok(Write::create(expiring_item(s, "Session", &keys::session(id_hash), 1, s.expires_at())?))
    }

    /// # Errors
    /// When the table fails.
    pub async fn session(&self, id_hash: &str) -> Result<Option<Versioned<Session>>, StoreError> {
        self.read(&keys::session(id_hash)).await
    }

    /// Stores a session whose idle expiry moved, conditional on the version read.
    ///
    /// # Errors
    /// `Conflict` when it changed or ended meanwhile.
    pub async fn refresh_session(&self, id_hash: &str, s: &Session, read_version: i64) -> Result<(), StoreError> {
        let item = expiring_item(s, "Session", &keys::session(id_hash), read_version + 1, s.expires_at())?;
        Ok(self.table().put(item, Condition::equals(VERSION, read_version)).await?)
    }

    /// Ends a session; ending one that is gone is not an error.
    ///
    /// # Errors
    /// When the table fails.
    pub async fn delete_session(&self, id_hash: &str) -> Result<(), StoreError> {
        Ok(self.table().delete(&keys::session(id_hash), Condition::None).await?)
    }

    /// # Errors
    /// When the table fails.
    pub async fn create_link(&self, token_hash: &str, l: &LinkToken) -> Result<(), StoreError> {
        let item = expiring_item(l, "LinkToken", &keys::link_token(token_hash), 1, l.expires_at())?;
        Ok(self.table().put(item, Condition::NotExists).await?)
    }

    /// # Errors
    /// When the table fails.
    pub async fn link(&self, token_hash: &str) -> Result<Option<Versioned<LinkToken>>, StoreError> {
        self.read(&keys::link_token(token_hash)).await
    }

    /// The write spending a link, conditional on the version read (single use).
    pub fn delete_link_write(&self, token_hash: &str, read_version: i64) -> Write {
        Write::Delete { key: keys::link_token(token_hash), condition: Condition::equals(VERSION, read_version) }
    }
}

/// When an account last signed in.
#[derive(Serialize, serde::Deserialize)]
struct LastSignIn {
    at: String,
}

/// An account as the national support pages see it.
#[derive(Clone, Debug)]
pub struct AccountSupport {
    pub account: Account,
    pub failures: Option<SignInFailures>,
    pub last_sign_in: Option<DateTime<Utc>>,
}
