//! ProConnect's records (docs/PROCONNECT.md): the logins under way, each consumed once by its
//! callback, and the link of a ProConnect `sub` to the account it signs in.

use serde::{Deserialize, Serialize};

use super::{Store, StoreError, VERSION, keys, sessions::expiring_item, to_item};
use crate::{
    domain::{Account, Email, ProConnectLogin},
    ports::{Condition, Write},
};

/// The item linking a `sub` to its account.
#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct SubLink {
    email: Email,
}

impl Store {
    /// Keeps a login until its callback, at most [`crate::domain::LOGIN_VALIDITY_MINUTES`].
    ///
    /// # Errors
    /// When the table fails (or, against all odds, the `state` was drawn before).
    pub async fn create_proconnect_login(&self, state_hash: &str, login: &ProConnectLogin) -> Result<(), StoreError> {
        let item = expiring_item(login, "ProConnectLogin", &keys::proconnect_login(state_hash), 1, login.expires_at())?;
        Ok(self.table().put(item, Condition::NotExists).await?)
    }

    /// Takes the login of a `state` away: of two callbacks with one `state`, one gets it.
    /// `None` when there is none (unknown, expired and swept, or already taken).
    ///
    /// # Errors
    /// When the table fails.
    pub async fn take_proconnect_login(&self, state_hash: &str) -> Result<Option<ProConnectLogin>, StoreError> {
        let key = keys::proconnect_login(state_hash);
        let Some(read) = self.read::<ProConnectLogin>(&key).await? else { return Ok(None) };
        match self.table().delete(&key, Condition::equals(VERSION, read.version)).await.map_err(StoreError::from) {
            Ok(()) => Ok(Some(read.value)),
            Err(StoreError::Conflict) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// The address of the account a ProConnect `sub` is linked to.
    ///
    /// # Errors
    /// When the table fails.
    pub async fn account_of_proconnect_sub(&self, sub: &str) -> Result<Option<Email>, StoreError> {
        Ok(self.read::<SubLink>(&keys::proconnect_sub(sub)).await?.map(|link| link.value.email))
    }

    /// The writes linking `sub` to an account read at `read_version`: the link (it must not
    /// exist: one account per `sub`) and the account holding it.
    ///
    /// # Errors
    /// When an entity does not serialise.
    pub fn link_proconnect_writes(&self, account: &Account, read_version: i64) -> Result<Vec<Write>, StoreError> {
        let Some(sub) = account.proconnect_sub.as_deref() else {
            return Err(StoreError::Corrupt("linking an account without its ProConnect sub".into()));
        };
        let link =
            to_item(&SubLink { email: account.email.clone() }, "ProConnectSub", &keys::proconnect_sub(sub), &[], 1)?;
        Ok(vec![Write::create(link), self.update_account_write(account, read_version)?])
    }
}
