//! "Gestion des comptes": the accounts of an organisation, as its holders of "Gestion des
//! utilisateurs" list, create, edit, suspend, reactivate and remove them, and the technical
//! delegates of other organisations who serve it: invited, accepted from the portal, given their
//! roles there, detached (docs/PORTAL-API.md).

use super::{Attempt, Contended, optimistic, portal_auth};
use crate::{
    domain::{
        Account, ActorType, BranchCode, Delegation, DelegationStatus, Email, OrgId, ProcessCode, Role, Siret,
        SubscriptionStatus, search_key,
    },
    state::AppState,
    store::{StoreError, Versioned},
};

mod commands;
mod removal;
mod views;

pub use commands::{AccountChanges, AccountFilters, LIST_PARAMETERS, NewAccount, phone_number};
pub use removal::{LAST_ADMINISTRATOR, Removed, SELF_REMOVAL, remove};
pub use views::{
    AccountList, AccountView, DelegateView, DelegationView, InvitationView, OrgAccountView, OtherOrganisation,
};

/// The answers' messages, stable: the web front maps them to French.
pub const NOT_FOUND: &str = "Account is not found";
pub const TAKEN: &str = "An account already exists with this e-mail address";
pub const NOT_HOME: &str =
    "This technical delegate belongs to another organisation: only its roles and habilitations in yours change here";
pub const SELF_SUSPENSION: &str = "You cannot suspend your own account";
pub const SELF_ADMINISTRATION: &str =
    "You cannot remove your own GESTION_UTILISATEURS role: another administrator of the organisation must";
pub const NOT_A_DELEGATE: &str = "This account belongs to the organisation: it cannot be detached (suspend it instead)";
pub const NO_INVITATION: &str = "Invitation is not found";

#[derive(Debug, thiserror::Error)]
pub enum AccountsError {
    /// What is wrong with the request, one line per problem.
    #[error("invalid request")]
    Invalid(Vec<String>),
    /// The caller lacks "Gestion des utilisateurs", or does not serve the organisation asked.
    #[error("forbidden")]
    Forbidden,
    /// A technical delegate of another organisation, which only that one changes.
    #[error("account of another organisation")]
    NotHome,
    /// No such account in the organisation (another organisation's is not revealed).
    #[error("account not found")]
    NotFound,
    /// No invitation from that organisation.
    #[error("invitation not found")]
    NoInvitation,
    #[error("e-mail address taken")]
    Taken,
    /// A change the caller may not make to its own account.
    #[error("refused: {0}")]
    Refused(&'static str),
    #[error("too many concurrent changes")]
    Busy,
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl Contended for AccountsError {
    fn busy() -> Self {
        AccountsError::Busy
    }
}

// ---------------------------------------------------------------------------------------------
// Who acts for which organisation
// ---------------------------------------------------------------------------------------------

/// `<siret>-<branchCode>`, as the portal names an organisation in queries and paths.
pub fn parse_org(s: &str) -> Option<OrgId> {
    s.trim().split_once('-').and_then(|(siret, branch)| {
        Some(OrgId { siret: Siret::parse(siret).ok()?, branch_code: BranchCode::parse(branch).ok()? })
    })
}

/// Whether the caller holds "Gestion des utilisateurs" in any organisation: the handlers check
/// it before reading the query or the body, so that such a caller gets 403 before any 400.
///
/// # Errors
/// `Forbidden` when it holds the role nowhere.
pub fn authorise(caller: &Account) -> Result<(), AccountsError> {
    if caller.organisations_with(Role::ManageUsers).is_empty() { Err(AccountsError::Forbidden) } else { Ok(()) }
}

/// Reads the `organisation=<siret>-<branchCode>` query parameter, when given; `line`
/// (`METHOD /path`) names the request in the problem.
///
/// # Errors
/// `Invalid` for a malformed value.
pub fn parse_organisation_param(line: &str, asked: Option<&str>) -> Result<Option<OrgId>, AccountsError> {
    asked
        .map(|asked| {
            parse_org(asked).ok_or_else(|| {
                AccountsError::Invalid(vec![format!(
                    "[ERROR][REQUEST][{line} @query.organisation] \"{asked}\" is not an organisation (<siret>-<branchCode>)"
                )])
            })
        })
        .transpose()
}

/// The organisation a request manages: the one asked when given (a technical delegate serving
/// several), else the caller's own. The caller must hold "Gestion des utilisateurs" there — at
/// home its own roles, in an organisation it serves the roles that organisation gave it.
///
/// # Errors
/// `Forbidden` for a role or organisation the caller lacks.
pub fn organisation(caller: &Account, asked: Option<OrgId>) -> Result<OrgId, AccountsError> {
    authorise(caller)?;
    let org = asked.unwrap_or_else(|| caller.home());
    require(caller, &org)?;
    Ok(org)
}

/// "Gestion des utilisateurs" in `org`.
fn require(caller: &Account, org: &OrgId) -> Result<(), AccountsError> {
    if caller.has_role_in(org, Role::ManageUsers) { Ok(()) } else { Err(AccountsError::Forbidden) }
}

/// The procedures whose dossiers an account of `org` may be given, for the caller managing it:
/// the handler reads them after the permission check, to parse a creation or an edit.
///
/// # Errors
/// `Forbidden` without "Gestion des utilisateurs" in `org`; `Store` when the table fails.
pub async fn procedures_to_give(
    state: &AppState,
    caller: &Account,
    org: &OrgId,
) -> Result<Vec<ProcessCode>, AccountsError> {
    require(caller, org)?;
    subscribed_procedures(state, org).await
}

/// The procedures whose dossiers an account of `org` may be given: those it subscribes to,
/// active or not yet (a refused subscription gives none).
async fn subscribed_procedures(state: &AppState, org: &OrgId) -> Result<Vec<ProcessCode>, AccountsError> {
    let subscriptions = state.store.subscriptions_of_organisation(&org.siret, &org.branch_code).await?;
    Ok(subscriptions.into_iter().filter(|s| s.status != SubscriptionStatus::Refuse).map(|s| s.process_code).collect())
}

/// The account named in the path, if it belongs to `org` or is a technical delegate serving
/// it or invited to: an unknown address, a malformed one and another organisation's account all
/// answer the same 404.
async fn find(state: &AppState, org: &OrgId, email: &str) -> Result<Versioned<Account>, AccountsError> {
    let email = Email::parse(email).map_err(|_| AccountsError::NotFound)?;
    match state.store.versioned_account(email.as_str()).await? {
        Some(v) if !v.value.is_removed() && (v.value.home() == *org || v.value.delegation(org).is_some()) => Ok(v),
        _ => Err(AccountsError::NotFound),
    }
}

// ---------------------------------------------------------------------------------------------
// Listing
// ---------------------------------------------------------------------------------------------

/// `GET /portail/v1/accounts`: `{items}`, every account of the organisation that passes the
/// filters, by last then first name. Not paged: an organisation has tens of accounts.
///
/// # Errors
/// `Forbidden` without "Gestion des utilisateurs"; `Store` when the table fails.
pub async fn list(
    state: &AppState,
    caller: &Account,
    org: &OrgId,
    filters: &AccountFilters,
) -> Result<AccountList, AccountsError> {
    require(caller, org)?;
    let mut accounts = state.store.accounts_of_organisation(org).await?;
    accounts.retain(|a| !a.is_removed() && filters.matches(a, org));
    accounts.sort_by_cached_key(|a| (search_key(&a.last_name), search_key(&a.first_name), a.email.to_string()));
    Ok(AccountList { items: accounts.iter().map(|a| OrgAccountView::of(a, org)).collect() })
}

/// `GET /portail/v1/accounts/{email}`.
///
/// # Errors
/// `Forbidden` without the role, `NotFound` outside the organisation.
pub async fn read(
    state: &AppState,
    caller: &Account,
    org: &OrgId,
    email: &str,
) -> Result<OrgAccountView, AccountsError> {
    require(caller, org)?;
    Ok(OrgAccountView::of(&find(state, org, email).await?.value, org))
}

// ---------------------------------------------------------------------------------------------
// Creating
// ---------------------------------------------------------------------------------------------

/// What a creation did.
#[derive(Debug)]
pub enum Created {
    /// A new account, waiting for its activation (the link is e-mailed).
    Account(AccountView),
    /// An existing technical delegate of another organisation is invited to serve this one: it
    /// has no access until it accepts from the portal. The answer holds its name and address.
    DelegateInvited(InvitationView),
}

/// `POST /portail/v1/accounts`: a new account in `org`, with its actor type's default roles
/// and no password; its activation link is e-mailed once it is stored (a mail failure is
/// logged: the person asks again through "forgotten password").
///
/// # Errors
/// `Taken` when the address has an account (unless it is a technical delegate of another
/// organisation, who is then invited); `Forbidden` without the role.
pub async fn create(
    state: &AppState,
    caller: &Account,
    org: &OrgId,
    command: NewAccount,
) -> Result<Created, AccountsError> {
    require(caller, org)?;
    let NewAccount {
        actor_type: actor,
        email,
        civility,
        first_name,
        last_name,
        function,
        phone_number,
        secondary_phone_number,
        habilitations,
    } = command;
    let existing = state.store.versioned_account(email.as_str()).await?;
    // A removed account's address may be given again: a new account in the same item, whose
    // history before stays attributed to the address.
    let reused = existing.as_ref().filter(|e| e.value.is_removed()).map(|e| (e.version, e.value.credentials_version));
    if let Some(existing) = existing.filter(|e| !e.value.is_removed()) {
        return invite(state, org, existing, actor).await.map(Created::DelegateInvited);
    }
    let account = Account {
        civility,
        function,
        phone_number: Some(phone_number),
        secondary_phone_number,
        habilitations,
        // Above the removed account's: none of its links or sessions revives.
        credentials_version: reused.map_or(0, |(_, v)| v.saturating_add(1)),
        ..Account::new(email, actor, org.clone(), first_name, last_name)
    };
    let write = match reused {
        Some((version, _)) => state.store.update_account_write(&account, version)?,
        None => state.store.create_account_write(&account)?,
    };
    match state.store.commit(vec![write]).await {
        Ok(()) => {}
        Err(StoreError::Conflict) => return Err(AccountsError::Taken),
        Err(e) => return Err(e.into()),
    }
    tracing::info!(actor_type = ?account.actor_type, "portal account created");
    if let Err(e) = portal_auth::issue_activation(state, &account.email).await {
        tracing::error!(kind = %e, "sending an activation link failed");
    }
    Ok(Created::Account(AccountView::of(&account)))
}

/// A subscription names a technical delegate: an existing delegate account of another
/// organisation is invited to serve `org` (it accepts from the portal); a new address gets a
/// delegate account of `org` (with `names`, which it then needs) and its activation e-mail.
///
/// # Errors
/// `Taken` for an address of another kind of account; `Invalid` when a new account lacks its
/// names.
pub async fn ensure_delegate(
    state: &AppState,
    email: &Email,
    org: &OrgId,
    names: Option<(String, String)>,
) -> Result<(), AccountsError> {
    if let Some(existing) = state.store.versioned_account(email.as_str()).await? {
        let a = &existing.value;
        if a.actor_type == ActorType::TechnicalDelegate && (a.home() == *org || a.delegation(org).is_some()) {
            return Ok(());
        }
        return invite(state, org, existing, ActorType::TechnicalDelegate).await.map(|_| ());
    }
    let Some((first_name, last_name)) = names else {
        return Err(AccountsError::Invalid(vec![
            "firstName and lastName are needed to create the technical delegate's account".into(),
        ]));
    };
    let account = Account::new(email.clone(), ActorType::TechnicalDelegate, org.clone(), first_name, last_name);
    let write = state.store.create_account_write(&account)?;
    match state.store.commit(vec![write]).await {
        Ok(()) => {}
        Err(StoreError::Conflict) => return Err(AccountsError::Taken),
        Err(e) => return Err(e.into()),
    }
    if let Err(e) = portal_auth::issue_activation(state, &account.email).await {
        tracing::error!(kind = %e, "sending an activation link failed");
    }
    Ok(())
}

/// Invites an existing technical delegate of another organisation to serve `org`, with the
/// delegate defaults there, and e-mails it the invitation. Any other existing account, and a
/// delegate already serving or invited, is `Taken`.
async fn invite(
    state: &AppState,
    org: &OrgId,
    current: Versioned<Account>,
    asked: ActorType,
) -> Result<InvitationView, AccountsError> {
    let a = change_versioned(state, current, |a| {
        if asked != ActorType::TechnicalDelegate
            || a.actor_type != ActorType::TechnicalDelegate
            || a.home() == *org
            || a.delegation(org).is_some()
        {
            return Err(AccountsError::Taken);
        }
        a.delegations.push(Delegation::invitation(org.clone(), state.clock.now()));
        Ok(vec![state.store.delegation_write(&a.email, org)?])
    })
    .await?;
    tracing::info!("technical delegate invited to serve one more organisation");
    let d = a.delegation(org).ok_or(AccountsError::NotFound)?;
    let name = state.store.organisation(&org.siret, &org.branch_code).await?.map(|o| o.name);
    let message = crate::templates::delegate_invitation(
        a.email.as_str(),
        name.as_deref().unwrap_or("une organisation"),
        &org.siret,
        &state.config.public_url,
    );
    if let Err(e) = state.mailer.send(&message).await {
        tracing::error!(error = %e, "sending a delegate invitation failed");
    }
    Ok(InvitationView::of(&a, d))
}

/// Reads nothing: changes `current` with `change`, which also returns the other writes of the
/// transaction, and stores it conditional on its version, re-reading and retrying on a
/// concurrent change. An unchanged account is not written.
async fn change_versioned(
    state: &AppState,
    current: Versioned<Account>,
    change: impl Fn(&mut Account) -> Result<Vec<crate::ports::Write>, AccountsError>,
) -> Result<Account, AccountsError> {
    let (email, change) = (&current.value.email.clone(), &change);
    // The first attempt changes what the caller has just read; after a lost race, a new read.
    let mut first_read = Some(current);
    optimistic::<_, AccountsError, _, _>(state, || {
        let first_read = first_read.take();
        async move {
            let Versioned { value: before, version } = match first_read {
                Some(read) => read,
                None => state.store.versioned_account(email.as_str()).await?.ok_or(AccountsError::NotFound)?,
            };
            let mut after = before.clone();
            let mut writes = change(&mut after)?;
            if after == before {
                return Ok(Attempt::Done(after));
            }
            writes.insert(0, state.store.update_account_write(&after, version)?);
            Ok(Attempt::Commit(writes, after))
        }
    })
    .await
}

// ---------------------------------------------------------------------------------------------
// Editing, suspending, reactivating
// ---------------------------------------------------------------------------------------------

/// Reads the account named in the path (one of `org`'s, or a delegate serving it), lets
/// `change` alter it and stores it conditional on the version read, retrying on a concurrent
/// change; an unchanged account is not written.
async fn change_account(
    state: &AppState,
    org: &OrgId,
    email: &str,
    change: impl Fn(&mut Account) -> Result<(), AccountsError>,
) -> Result<Account, AccountsError> {
    let current = find(state, org, email).await?;
    change_versioned(state, current, |a| {
        // Detached meanwhile: gone for this organisation.
        if a.home() != *org && a.delegation(org).is_none() {
            return Err(AccountsError::NotFound);
        }
        change(a)?;
        Ok(Vec::new())
    })
    .await
}

/// `PATCH /portail/v1/accounts/{email}`: profile fields, actor type, roles and habilitations
/// (each list replaced whole) of the organisation's own accounts; of a technical delegate of
/// another organisation, only its roles and habilitations in this one. The e-mail address, the
/// account's key, does not change.
///
/// # Errors
/// `Invalid` for a change the account refuses; `Refused` when the caller would lose its own "Gestion des
/// utilisateurs"; `NotHome` for a delegate's profile; `NotFound`, `Forbidden`, `Busy`.
pub async fn update(
    state: &AppState,
    caller: &Account,
    org: &OrgId,
    email: &str,
    changes: AccountChanges,
) -> Result<OrgAccountView, AccountsError> {
    require(caller, org)?;
    let updated = change_account(state, org, email, |a| {
        if a.home() == *org {
            changes.apply(a)?;
        } else {
            changes.apply_to_delegation(a.delegation_mut(org).ok_or(AccountsError::NotFound)?)?;
        }
        // So that an organisation always keeps an administrator.
        if a.email == caller.email && !a.has_role_in(org, Role::ManageUsers) {
            return Err(AccountsError::Refused(SELF_ADMINISTRATION));
        }
        Ok(())
    })
    .await?;
    tracing::info!("portal account updated");
    Ok(OrgAccountView::of(&updated, org))
}

/// `POST` (suspend, `active = false`) and `DELETE` (reactivate) of
/// `/portail/v1/accounts/{email}/suspension`. Suspending raises the account's credentials
/// version: every session and link it had ends at once, even one that makes no request while
/// the account is suspended, and reactivating does not revive them. Only the account's own
/// organisation suspends it (another detaches its delegate instead).
///
/// # Errors
/// `Refused` for one's own suspension; `NotFound`, `NotHome`, `Forbidden`, `Busy`.
pub async fn set_active(
    state: &AppState,
    caller: &Account,
    org: &OrgId,
    email: &str,
    active: bool,
) -> Result<AccountView, AccountsError> {
    require(caller, org)?;
    let updated = change_account(state, org, email, |a| {
        if a.home() != *org {
            return Err(AccountsError::NotHome);
        }
        if !active && a.email == caller.email {
            return Err(AccountsError::Refused(SELF_SUSPENSION));
        }
        if a.active != active {
            a.active = active;
            if !active {
                a.credentials_version = a.credentials_version.saturating_add(1);
            }
        }
        Ok(())
    })
    .await?;
    tracing::info!(active, "portal account suspension changed");
    Ok(AccountView::of(&updated))
}

// ---------------------------------------------------------------------------------------------
// Technical delegates of other organisations
// ---------------------------------------------------------------------------------------------

/// Removes `org` from the delegate's delegations, with its index entry.
fn without_delegation(
    state: &AppState,
    org: &OrgId,
    missing: AccountsError,
) -> impl Fn(&mut Account) -> Result<Vec<crate::ports::Write>, AccountsError> {
    move |a| {
        let before = a.delegations.len();
        a.delegations.retain(|d| d.organisation != *org);
        if a.delegations.len() == before {
            return Err(match &missing {
                AccountsError::NoInvitation => AccountsError::NoInvitation,
                _ => AccountsError::NotFound,
            });
        }
        Ok(vec![state.store.delegation_removal(&a.email, org)])
    }
}

/// `DELETE /portail/v1/accounts/{email}/delegation`: `org` no longer has the technical delegate
/// (invited or serving). Its sessions lose access to `org` at once: every request reads the
/// account.
///
/// # Errors
/// `Refused` for one of the organisation's own accounts; `NotFound`, `Forbidden`, `Busy`.
pub async fn detach(state: &AppState, caller: &Account, org: &OrgId, email: &str) -> Result<(), AccountsError> {
    require(caller, org)?;
    let current = find(state, org, email).await?;
    if current.value.home() == *org {
        return Err(AccountsError::Refused(NOT_A_DELEGATE));
    }
    change_versioned(state, current, without_delegation(state, org, AccountsError::NotFound)).await?;
    tracing::info!("technical delegate detached from an organisation");
    Ok(())
}

/// `POST /portail/v1/me/invitations/{organisation}`: the delegate accepts to serve `org`, with
/// the roles `org` gives it (the delegate defaults until its administrators change them).
///
/// # Errors
/// `NoInvitation` when `org` did not invite it (or detached it meanwhile).
pub async fn accept_invitation(state: &AppState, account: &Account, org: &OrgId) -> Result<(), AccountsError> {
    let current = state.store.versioned_account(account.email.as_str()).await?.ok_or(AccountsError::NoInvitation)?;
    change_versioned(state, current, |a| {
        let d = a.delegation_mut(org).ok_or(AccountsError::NoInvitation)?;
        d.status = DelegationStatus::Accepted;
        Ok(Vec::new())
    })
    .await?;
    tracing::info!("technical delegate accepted an invitation");
    Ok(())
}

/// `DELETE /portail/v1/me/invitations/{organisation}`: the delegate declines the invitation, or
/// stops serving `org`.
///
/// # Errors
/// `NoInvitation` when it neither serves `org` nor is invited to.
pub async fn leave(state: &AppState, account: &Account, org: &OrgId) -> Result<(), AccountsError> {
    let current = state.store.versioned_account(account.email.as_str()).await?.ok_or(AccountsError::NoInvitation)?;
    change_versioned(state, current, without_delegation(state, org, AccountsError::NoInvitation)).await?;
    tracing::info!("technical delegate left an organisation");
    Ok(())
}

/// After a subscription of `org` stopped naming `email` as its technical delegate: detaches
/// that delegate of another organisation, unless another subscription of `org` still names it.
///
/// # Errors
/// Store failures, `Busy`.
pub async fn release_delegate(state: &AppState, org: &OrgId, email: &Email) -> Result<(), AccountsError> {
    let subscriptions = state.store.subscriptions_of_organisation(&org.siret, &org.branch_code).await?;
    if subscriptions.iter().any(|s| s.delegation_actor.as_ref().is_some_and(|d| d.email == *email)) {
        return Ok(());
    }
    let Some(current) = state.store.versioned_account(email.as_str()).await? else { return Ok(()) };
    if current.value.home() == *org || current.value.delegation(org).is_none() {
        return Ok(());
    }
    match change_versioned(state, current, without_delegation(state, org, AccountsError::NotFound)).await {
        Ok(_) => {
            tracing::info!("technical delegate detached: no subscription names it any more");
            Ok(())
        }
        Err(AccountsError::NotFound) => Ok(()),
        Err(e) => Err(e),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)] // Test code: a failed step is a failed test.

    use serde_json::json;

    use super::*;

    fn account(actor_type: ActorType, last: &str, first: &str) -> Account {
        let org =
            OrgId { siret: Siret::parse("11001401600015").unwrap(), branch_code: BranchCode::parse("75108").unwrap() };
        Account::new(Email::parse("someone@mairie.example").unwrap(), actor_type, org, first, last)
    }

    #[test]
    fn phone_numbers_are_read_as_people_write_them_and_stored_in_e164() {
        for written in [
            "06 12 34 56 78",
            "0612345678",
            "+33 6 12 34 56 78",
            "06.12.34.56.78",
            "06-12-34-56-78",
            "0033612345678",
            "+33612345678",
        ] {
            assert_eq!(phone_number(written).unwrap(), "+33612345678", "{written:?}");
        }
        assert_eq!(phone_number("01 23 45 67 89").unwrap(), "+33123456789");
        assert_eq!(phone_number("+262 262 12 34 56").unwrap(), "+262262123456");
        assert_eq!(phone_number("0692 12 34 56").unwrap(), "+262692123456", "Réunion's mobiles are +262");
        assert_eq!(phone_number("0590 12 34 56").unwrap(), "+590590123456", "Guadeloupe's are +590");
        assert_eq!(phone_number("+4915112345678").unwrap(), "+4915112345678");
        for wrong in [
            "+330612345678",
            "+262 0692 12 34 56",
            "+33 6x",
            "+0612345678",
            "+3361",
            "+336123456789",
            "",
            "+",
            "061234567",
            "06123456789",
            "0012",
            "six cent douze",
            "06 12 34 56 7a",
        ] {
            assert!(phone_number(wrong).is_err(), "{wrong:?} is refused");
        }
        assert!(phone_number("06").unwrap_err().contains("+33612345678"), "the message shows the form");
    }

    #[test]
    fn stored_e164_numbers_read_back_unchanged() {
        // Numbers stored before national forms were accepted are already E.164: an edit that
        // sends them back keeps them as they are.
        for stored in ["+33612345678", "+262262123456", "+4915112345678", "+687123456"] {
            assert_eq!(phone_number(stored).unwrap(), stored);
        }
    }

    /// The organisation as the handlers pick it: the role anywhere, the parameter, the role there.
    fn pick(caller: &Account, asked: Option<&str>) -> Result<OrgId, AccountsError> {
        authorise(caller)?;
        organisation(caller, parse_organisation_param("GET /a", asked)?)
    }

    #[test]
    fn the_organisation_parameter_must_be_one_the_caller_serves() {
        let mut admin = account(ActorType::LocalAdmin, "Martin", "Alice");
        let own = pick(&admin, None).unwrap();
        assert_eq!(own.siret.as_str(), "11001401600015");
        assert_eq!(pick(&admin, Some("11001401600015-75108")).unwrap(), own);
        assert!(matches!(pick(&admin, Some("21000005908301-69123")), Err(AccountsError::Forbidden)));
        assert!(matches!(pick(&admin, Some("nonsense")), Err(AccountsError::Invalid(_))));
        let other =
            OrgId { siret: Siret::parse("21000005908301").unwrap(), branch_code: BranchCode::parse("69123").unwrap() };
        admin.delegations.push(Delegation::invitation(other.clone(), chrono::Utc::now()));
        assert!(
            matches!(pick(&admin, Some("21000005908301-69123")), Err(AccountsError::Forbidden)),
            "an invitation gives nothing"
        );
        admin.delegations[0].status = DelegationStatus::Accepted;
        assert!(
            matches!(pick(&admin, Some("21000005908301-69123")), Err(AccountsError::Forbidden)),
            "its roles at home do not cross over: the delegate defaults there do not manage users"
        );
        admin.delegations[0].roles = vec![Role::ManageUsers];
        assert!(pick(&admin, Some("21000005908301-69123")).is_ok(), "given there, it may");
        admin.roles = vec![Role::ManageSubscriptions];
        assert!(matches!(pick(&admin, None), Err(AccountsError::Forbidden)), "not at home");
        admin.delegations.clear();
        assert!(matches!(pick(&admin, None), Err(AccountsError::Forbidden)), "no role, nothing");
    }

    #[test]
    fn filters_combine_and_names_match_without_accents_or_case_in_either_order() {
        let mut a = account(ActorType::Agent, "Lefèvre-Œuvray", "Élodie");
        a.habilitations = vec![ProcessCode::parse("CERTDC").unwrap()];
        let pairs = |q: &[(&str, &str)]| q.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect::<Vec<_>>();
        let f = |q: &[(&str, &str)]| AccountFilters::parse("GET /a", &pairs(q)).unwrap();
        let org = a.home();
        assert!(f(&[]).matches(&a, &org));
        assert!(f(&[("name", "lefevre oe")]).matches(&a, &org));
        assert!(f(&[("name", "ELODIE lef")]).matches(&a, &org));
        assert!(!f(&[("name", "oeuvray")]).matches(&a, &org), "a prefix, not a substring");
        assert!(
            f(&[("actorType", "AGENT"), ("role", "GESTION_TELEDOSSIERS"), ("processCode", "CERTDC")]).matches(&a, &org)
        );
        assert!(!f(&[("role", "CONSULTATION_TELEDOSSIERS")]).matches(&a, &org), "roles are matched exactly");
        assert!(!f(&[("processCode", "EtatCivil")]).matches(&a, &org));
        assert!(f(&[("active", "true")]).matches(&a, &org) && !f(&[("active", "false")]).matches(&a, &org));
        let Err(AccountsError::Invalid(problems)) =
            AccountFilters::parse("GET /a", &pairs(&[("actorType", "BOSS"), ("role", "X"), ("active", "oui")]))
        else {
            panic!("malformed filters are refused");
        };
        assert_eq!(problems.len(), 3, "{problems:?}");
    }

    #[test]
    fn a_new_actor_type_brings_its_default_roles_unless_roles_are_given() {
        let subscribed = [ProcessCode::parse("CERTDC").unwrap()];
        let mut a = account(ActorType::Agent, "Petit", "Bruno");
        a.habilitations = subscribed.to_vec();
        let ch = AccountChanges::parse("PATCH /a", &json!({"actorType": "LOCAL_ADMIN"}), &subscribed).unwrap();
        ch.apply(&mut a).unwrap();
        assert_eq!(a.roles, ActorType::LocalAdmin.default_roles());
        assert!(a.habilitations.is_empty(), "a local administrator keeps no habilitations");

        let mut a = account(ActorType::Agent, "Petit", "Bruno");
        let body = json!({"actorType": "TECHNICAL_DELEGATE", "roles": ["CONSULTATION_TELEDOSSIERS"], "function": null});
        AccountChanges::parse("PATCH /a", &body, &subscribed).unwrap().apply(&mut a).unwrap();
        assert_eq!((a.actor_type, a.roles.as_slice()), (ActorType::TechnicalDelegate, &[Role::ReadDossiers][..]));

        let Err(AccountsError::Invalid(problems)) = AccountChanges::parse(
            "PATCH /a",
            &json!({"email": "x@y.example", "lastName": null, "roles": ["BOSS"], "habilitations": ["PACS"], "phoneNumber": "06"}),
            &subscribed,
        ) else {
            panic!("refused");
        };
        assert_eq!(problems.len(), 5, "{problems:#?}");
    }

    #[test]
    fn an_edit_cannot_leave_an_account_without_a_role() {
        let Err(AccountsError::Invalid(problems)) = AccountChanges::parse("PATCH /a", &json!({"roles": []}), &[])
        else {
            panic!("refused");
        };
        assert_eq!(problems, ["[ERROR][REQUEST][PATCH /a @body.roles] At least one role is required"]);
        assert!(AccountChanges::parse("PATCH /a", &json!({"roles": ["GESTION_ABONNEMENTS"]}), &[]).is_ok());
    }
}
