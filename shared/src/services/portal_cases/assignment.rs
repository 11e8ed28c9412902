//! Sharing the work: a dossier is taken by an agent ("Me l'attribuer"), given to a colleague of
//! the organisation who handles its procedure, or released. Each change is in the dossier's
//! history; the agent's list ("Mes télédossiers") is kept with the case (`store::inbox`).

use serde::Serialize;
use uuid::Uuid;

use super::{log, require_manager};
use crate::{
    domain::{Account, Assignee, Email, LogKind, OrgId, Party, ProcessCode, Role},
    services::{Attempt, ExchangeError, actor::Actor, cases, optimistic, refused},
    state::AppState,
};

/// An agent who may hold dossiers of a procedure.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Colleague {
    pub email: String,
    pub first_name: String,
    pub last_name: String,
}

/// Whether an account of the organisation may hold a dossier of `process`: active, handling
/// dossiers (reading and managing them) and seeing the procedure.
fn handles(account: &Account, org: &OrgId, process: &ProcessCode) -> bool {
    account.home() == *org
        && account.active
        && account.has_role(Role::ManageDossiers)
        && account.visible_procedures().is_none_or(|p| p.contains(process))
}

/// The agents of the actor's organisation who may hold dossiers of `process`, or of any
/// procedure the actor sees when none is given, by name.
///
/// # Errors
/// Store failures.
pub async fn colleagues(
    state: &AppState,
    actor: &Actor,
    process: Option<&ProcessCode>,
) -> Result<Vec<Colleague>, ExchangeError> {
    let org = OrgId { siret: actor.org.company_register.clone(), branch_code: actor.org.branch_code.clone() };
    let procedures: Vec<&ProcessCode> = match (process, &actor.procedures) {
        (Some(p), _) => vec![p].into_iter().filter(|p| actor.sees(p)).collect(),
        (None, Some(seen)) => seen.iter().collect(),
        (None, None) => Vec::new(),
    };
    let mut found: Vec<Colleague> = state
        .store
        .accounts_of_organisation(&org)
        .await?
        .into_iter()
        .filter(|a| procedures.iter().any(|p| handles(a, &org, p)))
        .map(|a| Colleague { email: a.email.as_str().to_owned(), first_name: a.first_name, last_name: a.last_name })
        .collect();
    found.sort_by(|a, b| (&a.last_name, &a.first_name, &a.email).cmp(&(&b.last_name, &b.first_name, &b.email)));
    Ok(found)
}

/// Gives a dossier to `to` (an address: the actor's own to take it) or releases it (`None`).
/// Giving it to whoever holds it already changes nothing and records nothing.
///
/// # Errors
/// `Forbidden` without the management role, `CaseNotFound`; `Refused` for an archived
/// dossier, or an address that is not an agent of the organisation handling the procedure.
pub async fn assign(
    state: &AppState,
    actor: &Actor,
    case_id: Uuid,
    to: Option<&str>,
) -> Result<Option<Assignee>, ExchangeError> {
    require_manager(actor)?;
    let to = to.map(Email::parse).transpose().map_err(refused)?;
    optimistic::<_, ExchangeError, _, _>(state, || {
        let to = to.clone();
        async move {
            let access = cases::access(state, actor, case_id).await?;
            let case = &access.record.case;
            if access.party != Party::Recipient {
                return Err(ExchangeError::Forbidden);
            }
            if super::archived(&case.value) {
                return Err(refused("An archived dossier is read-only"));
            }
            let assignee = match &to {
                None => None,
                Some(email) => {
                    let org =
                        OrgId { siret: actor.org.company_register.clone(), branch_code: actor.org.branch_code.clone() };
                    let account = state.store.account(email.as_str()).await?;
                    match account.filter(|a| handles(a, &org, &case.value.process_code)) {
                        Some(a) => Some(Assignee {
                            email: a.email.as_str().to_owned(),
                            name: format!("{} {}", a.first_name, a.last_name),
                        }),
                        None => {
                            return Err(refused(format!(
                                "{email} is not an agent of the organisation handling this procedure"
                            )));
                        }
                    }
                }
            };
            let before = case.value.assignee.clone();
            if before.as_ref().map(|a| &a.email) == assignee.as_ref().map(|a| &a.email) {
                return Ok(Attempt::Done(assignee));
            }
            let after = crate::domain::Case { assignee: assignee.clone(), ..case.value.clone() };
            let mut writes = state.store.assign_case_writes(case, &after)?;
            if let Some(old) = before {
                let kind = LogKind::Released { assignee_id: old.email, assignee_name: old.name };
                writes.push(state.store.record_log_write(&log(actor, case_id, kind, state))?);
            }
            if let Some(new) = &assignee {
                let kind = LogKind::Assigned { assignee_id: new.email.clone(), assignee_name: new.name.clone() };
                writes.push(state.store.record_log_write(&log(actor, case_id, kind, state))?);
            }
            Ok(Attempt::Commit(writes, assignee))
        }
    })
    .await
}
