//! The national back office (`/portail/v1/national/…`): HubEE's own team runs the platform —
//! organisations, procedures and their rules, API clients — from metadata only. Only a
//! `NATIONAL_ADMIN` account passes [`authorise`]; every change commits with its record in the
//! national journal (who, when, what, before and after), so that none goes unrecorded.
//! docs/NATIONAL.md says what the national administrator does and may not do.

mod commands;
pub mod subscriptions;
pub mod support;
mod views;

use chrono::{DateTime, Utc};
use serde::Serialize;

pub use commands::*;
pub use views::*;

use super::{Attempt, ExchangeError, optimistic};
use crate::{
    auth::{generate_secret, hash_secret},
    domain::{
        Account, ActorType, AdminAction, ApiClient, BranchCode, Email, OrgId, OrgType, ProcessCode, Scope, Siret,
        search_key,
    },
    ports::Write,
    state::AppState,
    store::StoreError,
};

pub const ORGANISATION_NOT_FOUND: &str = "Organisation is not found";
pub const PROCEDURE_NOT_FOUND: &str = "Procedure is not found";
pub const API_CLIENT_NOT_FOUND: &str = "API client is not found";

/// A national administrator, as its actions record it.
#[derive(Clone, Debug)]
pub struct NationalAdmin {
    pub email: Email,
    pub name: String,
}

/// The national routes' gate: a `NATIONAL_ADMIN` account, nobody else.
///
/// # Errors
/// `Forbidden` for every other account.
pub fn authorise(account: &Account) -> Result<NationalAdmin, ExchangeError> {
    if account.actor_type == ActorType::NationalAdmin {
        Ok(NationalAdmin {
            email: account.email.clone(),
            name: format!("{} {}", account.first_name, account.last_name),
        })
    } else {
        Err(ExchangeError::Forbidden)
    }
}

fn value_of(v: &impl Serialize) -> Result<serde_json::Value, ExchangeError> {
    serde_json::to_value(v).map_err(|e| ExchangeError::Store(StoreError::Corrupt(e.to_string())))
}

/// The journal's record of one action, to commit with it.
fn record(
    state: &AppState,
    admin: &NationalAdmin,
    action: &str,
    target: String,
    before: Option<&impl Serialize>,
    after: Option<&impl Serialize>,
) -> Result<Write, ExchangeError> {
    let entry = AdminAction {
        id: state.ids.new_id(),
        at: state.clock.now(),
        actor: admin.email.to_string(),
        actor_name: admin.name.clone(),
        action: action.to_owned(),
        target,
        before: before.map(value_of).transpose()?,
        after: after.map(value_of).transpose()?,
    };
    Ok(state.store.admin_action_write(&entry)?)
}

fn refused(message: impl Into<String>) -> ExchangeError {
    ExchangeError::Refused(vec![message.into()])
}

fn org_label(siret: &Siret, branch: &BranchCode) -> String {
    format!("organisation {siret}-{branch}")
}

fn cursor_in(cursor: Option<&str>) -> Result<Option<String>, ExchangeError> {
    cursor.map(|c| super::inbox::decode_cursor(c, "listing")).transpose()
}

fn cursor_out(next: Option<String>) -> Option<String> {
    next.as_deref().map(super::inbox::encode_cursor)
}

// ---------------------------------------------------------------------------------------------
// Organisations

/// `GET /portail/v1/national/organisations`: by SIRET, filtered.
///
/// # Errors
/// `Invalid` for a cursor the hub did not issue; store failures.
pub async fn list_organisations(
    state: &AppState,
    _: &NationalAdmin,
    q: OrganisationQuery,
) -> Result<ListPage<OrganisationView>, ExchangeError> {
    let after = cursor_in(q.cursor.as_deref())?;
    let name = q.name.as_deref().map(search_key);
    let keep = |o: &crate::domain::Organisation| {
        q.org_type.is_none_or(|t| o.org_type == t)
            && (!q.to_complete || o.to_complete)
            && name.as_deref().is_none_or(|n| search_key(&o.name).contains(n))
    };
    let page = state.store.organisations(q.siret.as_deref(), after.as_deref(), q.limit, keep).await?;
    Ok(ListPage { items: page.items.iter().map(OrganisationView::of).collect(), next_cursor: cursor_out(page.next) })
}

/// `POST /portail/v1/national/organisations`: an instructing service, an operator with its
/// code, or an `ADMIN` organisation.
///
/// # Errors
/// `Conflict` when the organisation exists or another holds the operator code.
pub async fn create_organisation(
    state: &AppState,
    admin: &NationalAdmin,
    new: NewOrganisation,
) -> Result<OrganisationView, ExchangeError> {
    let org = new.0;
    let id = OrgId { siret: org.siret.clone(), branch_code: org.branch_code.clone() };
    if state.store.organisation(&org.siret, &org.branch_code).await?.is_some() {
        return Err(ExchangeError::Conflict(format!("Organisation {}-{} already exists", org.siret, org.branch_code)));
    }
    if let Some(code) = &org.code
        && state.store.operator_code_owner(code).await?.is_some()
    {
        return Err(ExchangeError::Conflict(format!("Operator code {code} is already taken")));
    }
    let view = OrganisationView::of(&org);
    let mut writes = vec![state.store.organisation_write(&org, None)?];
    if let Some(code) = &org.code {
        writes.push(state.store.claim_operator_code_write(code, &id)?);
    }
    writes.push(record(
        state,
        admin,
        "organisation.create",
        org_label(&org.siret, &org.branch_code),
        None::<&()>,
        Some(&view),
    )?);
    match state.store.commit(writes).await {
        Ok(()) => Ok(view),
        Err(StoreError::Conflict) => Err(ExchangeError::Conflict(format!(
            "Organisation {}-{} or its operator code was created meanwhile",
            org.siret, org.branch_code
        ))),
        Err(e) => Err(e.into()),
    }
}

/// `GET /portail/v1/national/organisations/{siret}/{branchCode}`: the organisation, its
/// subscriptions, the accounts (names and types) and API clients acting for it.
///
/// # Errors
/// `NotFound`.
pub async fn organisation_page(
    state: &AppState,
    _: &NationalAdmin,
    siret: &Siret,
    branch: &BranchCode,
) -> Result<OrganisationPage, ExchangeError> {
    let org_id = OrgId { siret: siret.clone(), branch_code: branch.clone() };
    let (org, subscriptions, accounts, clients) = tokio::try_join!(
        state.store.organisation(siret, branch),
        state.store.subscriptions_of_organisation(siret, branch),
        state.store.accounts_of_organisation(&org_id),
        state.store.api_clients_of_organisation(siret, branch),
    )?;
    let org = org.ok_or(ExchangeError::NotFound(ORGANISATION_NOT_FOUND))?;
    Ok(OrganisationPage {
        organisation: OrganisationView::of(&org),
        subscriptions: subscriptions.iter().map(SubscriptionSummary::of).collect(),
        // Accounts its administrators removed are no longer the organisation's.
        accounts: accounts.iter().filter(|a| !a.is_removed()).map(AccountSummary::of).collect(),
        api_clients: clients.iter().map(ApiClientView::of).collect(),
    })
}

/// `PATCH /portail/v1/national/organisations/{siret}/{branchCode}`: name, contacts, closure.
///
/// # Errors
/// `NotFound`, `Busy` under contention.
pub async fn update_organisation(
    state: &AppState,
    admin: &NationalAdmin,
    siret: &Siret,
    branch: &BranchCode,
    changes: OrganisationChanges,
) -> Result<OrganisationView, ExchangeError> {
    let changes = &changes;
    optimistic::<_, ExchangeError, _, _>(state, || async move {
        let stored = state.store.versioned_organisation(siret, branch).await?;
        let stored = stored.ok_or(ExchangeError::NotFound(ORGANISATION_NOT_FOUND))?;
        let changed = changes.apply(&stored.value, state.clock.now());
        let (before, after) = (OrganisationView::of(&stored.value), OrganisationView::of(&changed));
        if before == after {
            return Ok(Attempt::Done(after));
        }
        let writes = vec![
            state.store.organisation_write(&changed, Some(stored.version))?,
            record(state, admin, "organisation.update", org_label(siret, branch), Some(&before), Some(&after))?,
        ];
        Ok(Attempt::Commit(writes, after))
    })
    .await
}

// ---------------------------------------------------------------------------------------------
// Procedures

/// `GET /portail/v1/national/procedures`: every procedure with its rules.
///
/// # Errors
/// Store failures.
pub async fn list_procedures(state: &AppState, _: &NationalAdmin) -> Result<Vec<ProcedureView>, ExchangeError> {
    Ok(state.store.procedures().await?.iter().map(ProcedureView::of).collect())
}

/// `GET /portail/v1/national/procedures/{code}`.
///
/// # Errors
/// `NotFound`.
pub async fn procedure(
    state: &AppState,
    _: &NationalAdmin,
    code: &ProcessCode,
) -> Result<ProcedureView, ExchangeError> {
    let p = state.store.procedure(code).await?.ok_or(ExchangeError::NotFound(PROCEDURE_NOT_FOUND))?;
    Ok(ProcedureView::of(&p))
}

/// The operator a procedure names must exist, as an operator.
async fn check_operator(state: &AppState, code: &str) -> Result<(), ExchangeError> {
    match state.store.operator_code_owner(code).await? {
        Some(_) => Ok(()),
        None => Err(refused(format!("Operator {code} does not exist"))),
    }
}

/// `POST /portail/v1/national/procedures`.
///
/// # Errors
/// `Refused` for an unknown operator, `Conflict` for a code taken.
pub async fn create_procedure(
    state: &AppState,
    admin: &NationalAdmin,
    new: NewProcedure,
) -> Result<ProcedureView, ExchangeError> {
    let p = new.0;
    check_operator(state, &p.operator).await?;
    let view = ProcedureView::of(&p);
    let taken = || ExchangeError::Conflict(format!("Procedure {} already exists", p.code));
    if state.store.procedure(&p.code).await?.is_some() {
        return Err(taken());
    }
    let writes = vec![
        state.store.create_procedure_write(&p)?,
        record(state, admin, "procedure.create", format!("procedure {}", p.code), None::<&()>, Some(&view))?,
    ];
    match state.store.commit(writes).await {
        Ok(()) => Ok(view),
        Err(StoreError::Conflict) => Err(taken()),
        Err(e) => Err(e.into()),
    }
}

/// `PATCH /portail/v1/national/procedures/{code}`: rules, texts, operator, opening and closing.
///
/// # Errors
/// `NotFound`, `Refused` for an unknown operator, `Busy` under contention.
pub async fn update_procedure(
    state: &AppState,
    admin: &NationalAdmin,
    code: &ProcessCode,
    changes: ProcedureChanges,
) -> Result<ProcedureView, ExchangeError> {
    if let Some(operator) = &changes.0.operator {
        check_operator(state, operator).await?;
    }
    let changes = &changes;
    optimistic::<_, ExchangeError, _, _>(state, || async move {
        let stored = state.store.versioned_procedure(code).await?;
        let stored = stored.ok_or(ExchangeError::NotFound(PROCEDURE_NOT_FOUND))?;
        let changed = changes.0.apply(&stored.value);
        let (before, after) = (ProcedureView::of(&stored.value), ProcedureView::of(&changed));
        if changed == stored.value {
            return Ok(Attempt::Done(after));
        }
        let action = match (stored.value.closed, changed.closed) {
            (false, true) => "procedure.close",
            (true, false) => "procedure.open",
            _ => "procedure.update",
        };
        let writes = vec![
            state.store.procedure_write(&changed, stored.version)?,
            record(state, admin, action, format!("procedure {code}"), Some(&before), Some(&after))?,
        ];
        Ok(Attempt::Commit(writes, after))
    })
    .await
}

// ---------------------------------------------------------------------------------------------
// API clients

/// `GET /portail/v1/national/api-clients`: by client id, filtered.
///
/// # Errors
/// `Invalid` for a cursor the hub did not issue; store failures.
pub async fn list_api_clients(
    state: &AppState,
    _: &NationalAdmin,
    q: ApiClientQuery,
) -> Result<ListPage<ApiClientView>, ExchangeError> {
    let keep = |c: &ApiClient| {
        q.siret.as_ref().is_none_or(|s| &c.siret == s)
            && q.branch_code.as_ref().is_none_or(|b| &c.branch_code == b)
            && q.scope.is_none_or(|s| c.scopes.contains(&s))
            && q.process_code.as_ref().is_none_or(|p| c.process_code.as_ref() == Some(p))
            && q.disabled.is_none_or(|d| c.is_enabled() != d)
    };
    let after = cursor_in(q.cursor.as_deref())?;
    let page = match (&q.siret, &q.branch_code) {
        // One organisation's clients: its own partition, a handful.
        (Some(siret), Some(branch)) => {
            let mut all: Vec<ApiClient> =
                state.store.api_clients_of_organisation(siret, branch).await?.into_iter().filter(|c| keep(c)).collect();
            all.sort_by(|a, b| a.client_id.cmp(&b.client_id));
            all.retain(|c| after.as_deref().is_none_or(|a| c.client_id.as_str() > a));
            let next = (all.len() > q.limit).then(|| all[q.limit - 1].client_id.clone());
            all.truncate(q.limit);
            crate::store::Listing { items: all, next }
        }
        _ => state.store.api_clients(after.as_deref(), q.limit, keep).await?,
    };
    Ok(ListPage { items: page.items.iter().map(ApiClientView::of).collect(), next_cursor: cursor_out(page.next) })
}

/// The organisation type a scope's clients belong to.
fn scope_org_type(scope: Scope) -> OrgType {
    match scope {
        Scope::Osl => OrgType::Osl,
        Scope::Si => OrgType::Si,
        Scope::Admin | Scope::Datapass => OrgType::Admin,
    }
}

fn new_secret() -> Result<(String, String), ExchangeError> {
    let secret = generate_secret();
    let hash = hash_secret(&secret).map_err(|e| ExchangeError::Store(StoreError::Corrupt(e.to_string())))?;
    Ok((secret, hash))
}

fn client_label(id: &str) -> String {
    format!("API client {id}")
}

/// `POST /portail/v1/national/api-clients`: a new client with its first secret, shown once.
/// Its organisation must exist, open, of the scope's type; an `SI` client belongs to one of its
/// organisation's subscriptions.
///
/// # Errors
/// `Refused` for an organisation or subscription that does not fit.
pub async fn create_api_client(
    state: &AppState,
    admin: &NationalAdmin,
    new: NewApiClient,
) -> Result<IssuedSecret, ExchangeError> {
    let org = state.store.organisation(&new.siret, &new.branch_code).await?;
    let name = format!("{}-{}", new.siret, new.branch_code);
    let org = org.ok_or_else(|| refused(format!("Organisation {name} does not exist")))?;
    let wanted = scope_org_type(new.scope);
    if org.org_type != wanted {
        return Err(refused(format!("A {} client belongs to an organisation of type {wanted:?}", new.scope.as_str())));
    }
    if org.is_closed() {
        return Err(refused(format!("Organisation {name} is closed")));
    }
    if let Some(process) = &new.process_code
        && state.store.subscription(&new.siret, &new.branch_code, process).await?.is_none()
    {
        return Err(refused(format!("Organisation {name} has no subscription to {process}")));
    }
    let suffix = &state.ids.new_id().simple().to_string()[..8];
    let client_id = match &new.process_code {
        Some(p) => format!("{}-{name}-{}-{suffix}", new.scope.as_str().to_lowercase(), p.as_str().to_lowercase()),
        None => format!("{}-{name}-{suffix}", new.scope.as_str().to_lowercase()),
    };
    let (secret, hash) = new_secret()?;
    let mut client = ApiClient {
        client_id: client_id.clone(),
        scopes: vec![new.scope],
        siret: new.siret,
        branch_code: new.branch_code,
        process_code: new.process_code,
        secrets: Vec::new(),
        disabled: false,
        subscription_suspended: false,
        tokens_not_before: None,
    };
    let now = state.clock.now();
    client.add_secret(hash, false, now);
    let view = ApiClientView::of(&client);
    let writes = vec![
        state.store.api_client_write(&client, None)?,
        record(state, admin, "apiClient.create", client_label(&client_id), None::<&()>, Some(&view))?,
    ];
    state.store.commit(writes).await?;
    Ok(IssuedSecret { client_id, client_secret: secret, client: view })
}

/// Applies `change` to a stored client, committed with its record.
async fn change_client(
    state: &AppState,
    admin: &NationalAdmin,
    client_id: &str,
    action: &str,
    change: impl Fn(&mut ApiClient, DateTime<Utc>),
) -> Result<ApiClientView, ExchangeError> {
    let change = &change;
    optimistic::<_, ExchangeError, _, _>(state, || async move {
        let stored = state.store.versioned_api_client(client_id).await?;
        let stored = stored.ok_or(ExchangeError::NotFound(API_CLIENT_NOT_FOUND))?;
        let mut client = stored.value.clone();
        change(&mut client, state.clock.now());
        let (before, after) = (ApiClientView::of(&stored.value), ApiClientView::of(&client));
        if client == stored.value {
            return Ok(Attempt::Done(after));
        }
        let writes = vec![
            state.store.api_client_write(&client, Some(stored.version))?,
            record(state, admin, action, client_label(client_id), Some(&before), Some(&after))?,
        ];
        Ok(Attempt::Commit(writes, after))
    })
    .await
}

/// `PATCH /portail/v1/national/api-clients/{clientId}` `{disabled}`: disabling refuses its
/// tokens already issued at once (each call reads the client's state); enabling lets its
/// current secrets obtain tokens again (those issued before stay void).
///
/// # Errors
/// `NotFound`.
pub async fn change_api_client(
    state: &AppState,
    admin: &NationalAdmin,
    client_id: &str,
    change: ApiClientChange,
) -> Result<ApiClientView, ExchangeError> {
    let action = if change.disabled { "apiClient.disable" } else { "apiClient.enable" };
    change_client(state, admin, client_id, action, |c, now| {
        if !change.disabled {
            c.disabled = false;
        } else if !c.disabled {
            c.disable(now);
        }
    })
    .await
}

/// `POST /portail/v1/national/api-clients/{clientId}/secret`: a new secret, shown once; the
/// previous one works [`crate::domain::SECRET_OVERLAP_HOURS`] hours more unless
/// `revokePrevious`.
///
/// # Errors
/// `NotFound`.
pub async fn rotate_secret(
    state: &AppState,
    admin: &NationalAdmin,
    client_id: &str,
    rotation: SecretRotation,
) -> Result<IssuedSecret, ExchangeError> {
    let (secret, hash) = new_secret()?;
    let view = change_client(state, admin, client_id, "apiClient.rotateSecret", |c, now| {
        c.add_secret(hash.clone(), rotation.revoke_previous, now);
    })
    .await?;
    Ok(IssuedSecret { client_id: client_id.to_owned(), client_secret: secret, client: view })
}

// ---------------------------------------------------------------------------------------------
// Journal

/// `GET /portail/v1/national/journal`: the national actions, newest first.
///
/// # Errors
/// `Invalid` for a cursor the hub did not issue; store failures.
pub async fn journal(
    state: &AppState,
    _: &NationalAdmin,
    cursor: Option<&str>,
    limit: usize,
) -> Result<JournalPage, ExchangeError> {
    let before = cursor_in(cursor)?;
    let page = state.store.admin_actions(before.as_deref(), limit).await?;
    Ok(ListPage { items: page.items, next_cursor: cursor_out(page.next) })
}
