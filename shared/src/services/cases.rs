//! The case side of the exchange: who may act on a case, reading it, changing its status (by
//! `PATCH` or by an event's `caseNewStatus`), and downloading its attachments.

use serde_json::Value;
use uuid::Uuid;

use super::{
    Attempt, Checker, ExchangeError,
    actor::{Actor, Side},
    binaries::{self, Delivery},
    optimistic, refused,
    views::CaseView,
};
use crate::{
    domain::{
        Attachment, Case, CaseStatus, ChangeSource, Folder, OrgRef, Party, Procedure, Retention, StatusChange,
        check_transition, mark_progress,
    },
    ports::Write,
    state::AppState,
    store::{CaseRecord, ReadAll, Reads, StoreError, Versioned},
};

/// A case as one caller may see it: the case with its history, its folder, and the caller's
/// part in it.
pub struct CaseAccess {
    pub record: CaseRecord,
    pub folder: Folder,
    pub folder_attachments: Vec<Versioned<Attachment>>,
    pub party: Party,
}

impl CaseAccess {
    pub fn case(&self) -> &Case {
        &self.record.case.value
    }
}

/// The actor's part in a case: the folder's operator, the case's recipient (only for the
/// procedures it sees: an SI client, its own), or the platform.
fn party_of(actor: &Actor, case: &Case, folder: &Folder) -> Option<Party> {
    let org = actor.org.key();
    match actor.side {
        Side::Platform => Some(Party::Platform),
        Side::Operator if org == folder.operator.key() => Some(Party::Operator),
        Side::Recipient if org == case.recipient.key() && actor.sees(&case.process_code) => Some(Party::Recipient),
        _ => None,
    }
}

/// Loads a case the actor is a party to.
///
/// # Errors
/// `CaseNotFound` (also for a case not transmitted yet, to its recipient), `Forbidden`.
pub async fn access(state: &AppState, actor: &Actor, id: Uuid) -> Result<CaseAccess, ExchangeError> {
    Ok(access_with(state, actor, id, |_, _| ()).await?.0)
}

/// [`access`], and what else the use case needs once it knows the case (`more` names it in the
/// `Reads` it is given and returns its slots), read with the folder: two round trips.
///
/// # Errors
/// As [`access`].
pub async fn access_with<S>(
    state: &AppState,
    actor: &Actor,
    id: Uuid,
    more: impl FnOnce(&Case, &mut Reads) -> S,
) -> Result<(CaseAccess, ReadAll, S), ExchangeError> {
    let record = state.store.case_record(id).await?.ok_or(ExchangeError::CaseNotFound)?;
    let mut reads = Reads::new();
    let slots = more(&record.case.value, &mut reads);
    let (items, read) =
        tokio::try_join!(state.store.folder_items(record.case.value.folder_id), state.store.read_all(reads))?;
    let items = items.ok_or(ExchangeError::CaseNotFound)?;
    let party = party_of(actor, &record.case.value, &items.folder.value).ok_or(ExchangeError::Forbidden)?;
    // Until its folder is completed, a case exists only for its operator.
    if party == Party::Recipient && record.case.value.status == CaseStatus::HubeeReceived {
        return Err(ExchangeError::CaseNotFound);
    }
    Ok((CaseAccess { record, folder: items.folder.value, folder_attachments: items.attachments, party }, read, slots))
}

/// [`access`] with the case's procedure (its status policy and retention rules), if it still
/// exists.
///
/// # Errors
/// As [`access`].
pub async fn access_with_procedure(
    state: &AppState,
    actor: &Actor,
    id: Uuid,
) -> Result<(CaseAccess, Option<Procedure>), ExchangeError> {
    let (access, read, procedure) =
        access_with(state, actor, id, |case, reads| reads.procedure(&case.process_code)).await?;
    Ok((access, read.get(procedure)?))
}

// ---------------------------------------------------------------------------------------------
// Use cases
// ---------------------------------------------------------------------------------------------

/// `GET /cases/{id}` (`lite` leaves the events out).
///
/// # Errors
/// `CaseNotFound`, `Forbidden`.
pub async fn get_case(state: &AppState, actor: &Actor, id: Uuid, lite: bool) -> Result<CaseView, ExchangeError> {
    let access = access(state, actor, id).await?;
    Ok(CaseView::of(&access, actor, lite))
}

/// The writes changing a case's status, with the record of who did it; nothing when the case
/// already has that status. `procedure` is the case's (its policy and retention rules; the
/// defaults when it is gone).
///
/// # Errors
/// `Refused` when the procedure's policy does not allow the change.
pub fn status_change_writes(
    state: &AppState,
    access: &CaseAccess,
    procedure: Option<&Procedure>,
    to: CaseStatus,
    actor: &Actor,
    source: ChangeSource,
    event_id: Option<Uuid>,
) -> Result<Vec<Write>, ExchangeError> {
    let case = &access.record.case;
    let policy = procedure.map(|p| p.status_policy).unwrap_or_default();
    check_transition(policy, case.value.status, to, access.party).map_err(refused)?;
    let default_rules = Retention::default();
    let rules = procedure.map_or(&default_rules, |p| &p.retention);
    let change = StatusMove { to, actor: actor.org.clone(), actor_id: actor.id.clone(), source, event_id };
    Ok(apply_status(state, case, rules, change)?)
}

/// A status change once allowed: who asks for what.
pub(crate) struct StatusMove {
    pub to: CaseStatus,
    pub actor: OrgRef,
    pub actor_id: String,
    pub source: ChangeSource,
    pub event_id: Option<Uuid>,
}

/// The one path every case status change takes (the parties' changes, retention's archiving):
/// the case conditional on its version, the counters it moves (inbox, statistics), the
/// retention clocks it starts or stops, and its history record. Nothing when the case already
/// has that status.
pub(crate) fn apply_status(
    state: &AppState,
    read: &Versioned<Case>,
    rules: &Retention,
    change: StatusMove,
) -> Result<Vec<Write>, StoreError> {
    let Versioned { value: case, version } = read;
    if case.status == change.to {
        return Ok(Vec::new());
    }
    let now = state.clock.now();
    let mut changed = case.clone();
    changed.status = change.to;
    changed.update_date_time = Some(now);
    match change.to {
        CaseStatus::Closed => changed.close_date_time = Some(now),
        CaseStatus::HubeeNotified => changed.close_date_time = None,
        _ => {}
    }
    // The statistics' first final status, and first consultation when the recipient moves it.
    mark_progress(&mut changed, change.to, change.actor.key() == case.recipient.key(), now);
    let record = StatusChange {
        id: state.ids.new_id(),
        case_id: case.id,
        from: case.status,
        to: change.to,
        actor: change.actor,
        actor_id: change.actor_id,
        source: change.source,
        event_id: change.event_id,
        date_time: now,
    };
    let mut writes = state.store.update_case_writes(case, &changed, *version, rules, now)?;
    writes.push(state.store.record_status_change_write(&record)?);
    Ok(writes)
}

/// `PATCH /cases/{id}` (and its POST override): `{"status": …}`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CaseUpdate {
    pub status: CaseStatus,
}

impl CaseUpdate {
    /// Reads the contract's body; `line` (`METHOD /path`) names the request in the problems.
    ///
    /// # Errors
    /// `Invalid`, listing every problem.
    pub fn parse(line: &str, body: &Value) -> Result<Self, ExchangeError> {
        let mut c = Checker::new(line);
        let status = c.root(body).and_then(|root| {
            c.parsed(root, "", "status", true, 50, |s| {
                CaseStatus::parse(s).ok_or_else(|| format!("Instance value (\"{s}\") is not a case status"))
            })
        });
        match status.filter(|_| c.is_ok()) {
            Some(status) => Ok(Self { status }),
            None => Err(ExchangeError::Invalid(c.problems)),
        }
    }
}

/// Changes a case's status as its party asks.
///
/// # Errors
/// `Refused` for a change the policy does not allow.
pub async fn update_case(state: &AppState, actor: &Actor, id: Uuid, update: CaseUpdate) -> Result<(), ExchangeError> {
    let status = update.status;
    let changed = optimistic::<_, ExchangeError, _, _>(state, || async move {
        let (access, procedure) = access_with_procedure(state, actor, id).await?;
        let writes =
            status_change_writes(state, &access, procedure.as_ref(), status, actor, ChangeSource::Patch, None)?;
        Ok(if writes.is_empty() { Attempt::Done(false) } else { Attempt::Commit(writes, true) })
    })
    .await?;
    if changed {
        tracing::info!(case_id = %id, %status, "case status changed");
    }
    Ok(())
}

/// `GET /cases/{c}/attachments/{a}`: a folder attachment addressed to this case; streamed, or a
/// presigned GET above the deployment's inline limit (see [`binaries::deliver`]).
///
/// # Errors
/// `FileNotFound` for an attachment not addressed to the case or not received.
pub async fn download_case_attachment(
    state: &AppState,
    actor: &Actor,
    case_id: Uuid,
    attachment_id: Uuid,
) -> Result<Delivery, ExchangeError> {
    let access = access(state, actor, case_id).await?;
    let a = access
        .folder_attachments
        .iter()
        .find(|a| a.value.id == attachment_id && a.value.is_for_case(case_id))
        .ok_or(ExchangeError::FileNotFound)?;
    binaries::deliver(state, &a.value).await
}
