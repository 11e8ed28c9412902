//! "Retirer le compte": an organisation parts with an account. A technical delegate of another
//! organisation is detached from it; one of the organisation's own accounts is closed for good
//! (kept, so that the history and the audit journal stay attributed to it, but out of the lists,
//! without roles and unable to sign in).

use super::{AccountsError, change_versioned, find, require, without_delegation};
use crate::{
    domain::{Account, ActorType, OrgId},
    state::AppState,
};

pub const SELF_REMOVAL: &str = "You cannot remove your own account";
pub const LAST_ADMINISTRATOR: &str = "This account is the organisation's last active local administrator: \
     name another local administrator before removing it";

/// What a removal did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Removed {
    /// A technical delegate of another organisation no longer serves this one.
    Detached,
    /// One of the organisation's own accounts is closed.
    Closed,
}

/// Whether `a` is one of `org`'s own active local administrators.
fn active_local_admin(a: &Account, org: &OrgId) -> bool {
    a.home() == *org && a.active && !a.is_removed() && a.actor_type == ActorType::LocalAdmin
}

/// `DELETE /portail/v1/accounts/{email}`: removes the account from `org`. A technical delegate
/// of another organisation is detached (its account lives on at home); an account of `org` is
/// closed: inactive, without roles, habilitations or delegations, every session and link void at
/// once, and gone from the list; its item stays, with the date of its removal.
///
/// # Errors
/// `Refused` for one's own account and for the organisation's last active local administrator;
/// `NotFound` (also for an account already removed), `Forbidden`, `Busy`.
pub async fn remove(state: &AppState, caller: &Account, org: &OrgId, email: &str) -> Result<Removed, AccountsError> {
    require(caller, org)?;
    let current = find(state, org, email).await?;
    if current.value.email == caller.email {
        return Err(AccountsError::Refused(SELF_REMOVAL));
    }
    if current.value.home() != *org {
        change_versioned(state, current, without_delegation(state, org, AccountsError::NotFound)).await?;
        tracing::info!("technical delegate removed from an organisation");
        return Ok(Removed::Detached);
    }
    if active_local_admin(&current.value, org) {
        let others = state.store.accounts_of_organisation(org).await?;
        if !others.iter().any(|a| a.email != current.value.email && active_local_admin(a, org)) {
            return Err(AccountsError::Refused(LAST_ADMINISTRATOR));
        }
    }
    let now = state.clock.now();
    change_versioned(state, current, |a| {
        if a.is_removed() {
            return Err(AccountsError::NotFound);
        }
        // Its delegations end with it: their index entries go in the same transaction.
        let writes = a.delegations.iter().map(|d| state.store.delegation_removal(&a.email, &d.organisation)).collect();
        *a = a.clone().removed(now);
        Ok(writes)
    })
    .await?;
    tracing::info!("portal account removed from its organisation");
    Ok(Removed::Closed)
}
