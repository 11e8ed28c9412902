//! Deposit intake: the operator side of `/teledossiers/v1/folders` (CONTRACT.md, "Folder
//! lifecycle"). Each use case is a few named steps: authorise, validate, resolve, write in one
//! transaction, render.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::{
    Attempt, ExchangeError,
    binaries::{self, UploadError, UploadHeaders, UploadUrl},
    optimistic, refused,
    views::FolderView,
};
use crate::{
    auth::Claims,
    domain::{
        Attachment, AttachmentStatus, Case, CaseStatistics, CaseStatus, Emitter, Folder, FolderStatus, Notification,
        OrgRef, OrgType, OutboxItem, OutboxMessage, PartnerInfo, Procedure, Scope, Subscription,
    },
    ports::{ByteStream, Write},
    state::AppState,
    store::{FolderAggregate, ReadAll, Reads, Slot, Versioned},
};

mod commands;
mod held;

pub use commands::{FolderUpdate, NewAttachment, NewCase, NewFolder};
pub use held::{HeldCompletions, VERDICT_OVERDUE_MINUTES, release_held_completion, settle_held_completions};

/// The most cases one folder may address, and the most attachments it may hold: a creation
/// (the claim, the folder, its cases and attachments: 2 + 24 + 60) and a completion (the folder,
/// then per case the case, its recipient's month counters, notification and outbox item, then
/// the procedure's and the operator's national month counters, added up for the whole folder:
/// 1 + 4 × 24 + 2 = 99) each stay within one 100-write transaction.
pub const MAX_CASES: usize = 24;
pub const MAX_ATTACHMENTS: usize = 60;

/// Only operators (and the platform) deposit folders. The contract answers this before any
/// problem of the body: handlers check it before reading the body into a [`NewFolder`].
///
/// # Errors
/// `Forbidden` for an instructing service or the DATAPASS scope.
pub fn authorise_operator(caller: &Claims) -> Result<(), ExchangeError> {
    match caller.scope {
        Scope::Osl | Scope::Admin => Ok(()),
        Scope::Si | Scope::Datapass => Err(ExchangeError::Forbidden),
    }
}

/// Loads a folder the caller may act on (its operator's, or any for the platform), with its
/// cases and what else `more` names, read with them (see [`crate::store::Store::folder_with`]).
async fn owned_folder_with<S>(
    state: &AppState,
    caller: &Claims,
    id: Uuid,
    more: impl FnOnce(&Folder, &mut Reads) -> S,
) -> Result<(FolderAggregate, ReadAll, S), ExchangeError> {
    authorise_operator(caller)?;
    let found = state.store.folder_with(id, more).await?.ok_or(ExchangeError::FolderNotFound)?;
    check_owner(caller, &found.0.folder.value)?;
    Ok(found)
}

async fn owned_folder(state: &AppState, caller: &Claims, id: Uuid) -> Result<FolderAggregate, ExchangeError> {
    Ok(owned_folder_with(state, caller, id, |_, _| ()).await?.0)
}

fn check_owner(caller: &Claims, folder: &Folder) -> Result<(), ExchangeError> {
    if !caller.is_admin() && folder.operator != caller.org() {
        return Err(ExchangeError::Forbidden);
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Create
// ---------------------------------------------------------------------------------------------

/// The rules that need the referential: the operator runs the procedure, every recipient
/// exists and has an active subscription, attachments fit the procedure's limits.
async fn check_against_referential(
    state: &AppState,
    caller: &Claims,
    new: &NewFolder,
    now: DateTime<Utc>,
) -> Result<Procedure, ExchangeError> {
    // Everything the rules need, in one round trip whatever the number of cases.
    let mut reads = Reads::new();
    let procedure = reads.procedure(&new.process_code);
    let operator = (!caller.is_admin()).then(|| reads.organisation(&caller.siret, &caller.branch));
    let recipients: Vec<_> = new
        .cases
        .iter()
        .map(|nc| {
            (reads.organisation(&nc.siret, &nc.branch), reads.subscription(&nc.siret, &nc.branch, &new.process_code))
        })
        .collect();
    let read = state.store.read_all(reads).await?;
    let procedure =
        read.get(procedure)?.ok_or_else(|| refused(format!("Process {} does not exist", new.process_code)))?;
    if let Some(operator) = operator
        && read.get(operator)?.and_then(|o| o.code).as_deref() != Some(procedure.operator.as_str())
    {
        return Err(ExchangeError::Forbidden);
    }
    let mut problems = Vec::new();
    if procedure.closed {
        problems.push(format!("Process {} is closed to new folders", new.process_code));
    }
    for (nc, (org, sub)) in new.cases.iter().zip(recipients) {
        let name = format!("SI-{}-{}", nc.siret, nc.branch);
        let Some(org) = read.get(org)?.filter(|o| o.org_type == OrgType::Si) else {
            problems.push(format!("Case recipient {name} does not exist"));
            continue;
        };
        if org.is_closed() {
            problems.push(format!("Case recipient {name} is closed"));
            continue;
        }
        if !read.get(sub)?.is_some_and(|s| s.is_active(now)) {
            // The contract's wording, spelling included: clients match on it.
            problems.push(format!("Case recipient {name} does not suscribed to {}", new.process_code));
        }
    }
    for (i, a) in new.attachments.iter().enumerate() {
        problems.extend(super::file_problems(&procedure, Emitter::Operator, i, &a.meta));
    }
    if problems.is_empty() { Ok(procedure) } else { Err(ExchangeError::Refused(problems)) }
}

/// `POST /folders`: creates a folder, or answers the existing one for a retried request.
///
/// # Errors
/// `Refused` for rule violations, `Conflict` when the `externalId` is taken by a different
/// request, `Forbidden` for a procedure the caller does not run.
pub async fn create_folder(
    state: &AppState,
    caller: &Claims,
    new: NewFolder,
    partner_info: Option<PartnerInfo>,
) -> Result<FolderView, ExchangeError> {
    authorise_operator(caller)?;
    let operator = caller.org();
    let (new, print, partner_info, operator) = (&new, &new.fingerprint, &partner_info, &operator);
    // A lost condition is another request that claimed the externalId meanwhile: the next
    // attempt answers as for a retry.
    let (answer, created) = optimistic::<_, ExchangeError, _, _>(state, || async move {
        let now = state.clock.now();
        // Both reads at once: a retried request is answered as before even if the referential
        // changed since (its problems are then ignored).
        let (existing, checked) = tokio::join!(
            existing_for_retry(state, operator, &new.external_id, print),
            check_against_referential(state, caller, new, now)
        );
        if let Some(existing) = existing? {
            return Ok(Attempt::Done((existing, None)));
        }
        checked?;
        let (folder, cases, attachments) =
            build_folder(state, new, operator.clone(), partner_info.clone(), print.clone(), now);
        let writes = state.store.create_folder_writes(&folder, &cases, &attachments)?;
        let rendered = FolderView::of(&folder, &cases, &attachments);
        Ok(Attempt::Commit(writes, (rendered, Some((folder.id, cases.len(), attachments.len())))))
    })
    .await?;
    if let Some((folder_id, cases, attachments)) = created {
        tracing::info!(%folder_id, process = %new.process_code, cases, attachments, "folder created");
    }
    Ok(answer)
}

async fn existing_for_retry(
    state: &AppState,
    operator: &OrgRef,
    external_id: &str,
    print: &str,
) -> Result<Option<FolderView>, ExchangeError> {
    let Some(id) = state.store.folder_id_by_external_id(operator, external_id).await? else {
        return Ok(None);
    };
    let Some(agg) = state.store.folder(id).await? else {
        return Ok(None);
    };
    let f = &agg.folder.value;
    if f.request_fingerprint == print && f.global_status == FolderStatus::HubeeReceived {
        Ok(Some(render_aggregate(&agg)))
    } else {
        Err(ExchangeError::Conflict(format!("Folder with externalId {external_id} already exists")))
    }
}

fn build_folder(
    state: &AppState,
    new: &NewFolder,
    operator: OrgRef,
    partner_info: Option<PartnerInfo>,
    fingerprint: String,
    now: DateTime<Utc>,
) -> (Folder, Vec<Case>, Vec<Attachment>) {
    let folder_id = state.ids.new_id();
    let cases: Vec<Case> = new
        .cases
        .iter()
        .map(|nc| Case {
            id: state.ids.new_id(),
            folder_id,
            external_id: nc.external_id.clone(),
            process_code: new.process_code.clone(),
            status: CaseStatus::HubeeReceived,
            recipient: OrgRef {
                org_type: OrgType::Si,
                company_register: nc.siret.clone(),
                branch_code: nc.branch.clone(),
            },
            create_date_time: now,
            update_date_time: None,
            transmission_date_time: None,
            close_date_time: None,
            partner_attributes: nc.partner_attributes.clone(),
            applicant: Some(new.applicant.clone()),
            statistics: None,
            assignee: None,
        })
        .collect();
    let case_by_ext: HashMap<&str, Uuid> = cases.iter().map(|c| (c.external_id.as_str(), c.id)).collect();
    let attachments = new
        .attachments
        .iter()
        .enumerate()
        .map(|(i, na)| Attachment {
            id: state.ids.new_id(),
            folder_id,
            position: u32::try_from(i).unwrap_or(u32::MAX),
            file_name: na.meta.file_name.clone(),
            attachment_type: na.meta.attachment_type.clone(),
            size: na.meta.size,
            mime_type: na.meta.mime_type.clone(),
            status: AttachmentStatus::Pending,
            recipients: na.recipients.clone(),
            case_ids: na.recipients.iter().filter_map(|r| case_by_ext.get(r.as_str()).copied()).collect(),
            sha256: None,
            object_key: None,
            received_date_time: None,
            virus: None,
            scanning: false,
            event: None,
        })
        .collect();
    let folder = Folder {
        id: folder_id,
        external_id: new.external_id.clone(),
        process_code: new.process_code.clone(),
        global_status: FolderStatus::HubeeReceived,
        applicant: new.applicant.clone(),
        operator,
        create_date_time: now,
        update_date_time: None,
        close_date_time: None,
        partner_info,
        case_ids: cases.iter().map(|c| c.id).collect(),
        recipients: cases.iter().map(|c| c.recipient.clone()).collect(),
        request_fingerprint: fingerprint,
    };
    (folder, cases, attachments)
}

fn render_aggregate(agg: &FolderAggregate) -> FolderView {
    FolderView::of(&agg.folder.value, agg.cases.iter().map(|c| &c.value), agg.attachments.iter().map(|a| &a.value))
}

// ---------------------------------------------------------------------------------------------
// Read
// ---------------------------------------------------------------------------------------------

/// `GET /folders/{id}`.
///
/// # Errors
/// `FolderNotFound`, or `Forbidden` for another operator's folder.
pub async fn get_folder(state: &AppState, caller: &Claims, id: Uuid) -> Result<FolderView, ExchangeError> {
    Ok(render_aggregate(&owned_folder(state, caller, id).await?))
}

// ---------------------------------------------------------------------------------------------
// Upload
// ---------------------------------------------------------------------------------------------

/// An attachment of a folder the caller may act on.
async fn owned_attachment(
    state: &AppState,
    caller: &Claims,
    folder_id: Uuid,
    attachment_id: Uuid,
) -> Result<Versioned<Attachment>, ExchangeError> {
    authorise_operator(caller)?;
    // The folder's partition only: an upload needs no case.
    let items = state.store.folder_items(folder_id).await?.ok_or(ExchangeError::FolderNotFound)?;
    check_owner(caller, &items.folder.value)?;
    items.attachments.into_iter().find(|a| a.value.id == attachment_id).ok_or(ExchangeError::AttachmentNotFound)
}

/// `PUT /folders/{f}/attachments/{a}`: see [`binaries::receive`].
///
/// # Errors
/// `TooLarge` above the deployment's inline limit; `Refused` for a size or digest mismatch or an
/// attachment already received.
pub async fn upload_attachment(
    state: &AppState,
    caller: &Claims,
    folder_id: Uuid,
    attachment_id: Uuid,
    headers: UploadHeaders<'_>,
    body: ByteStream,
) -> Result<(), UploadError> {
    let current = owned_attachment(state, caller, folder_id, attachment_id).await?;
    binaries::receive(state, current, headers, body).await
}

/// `POST /folders/{f}/attachments/{a}/upload-url` (an extension of the contract): a presigned
/// PUT for the binary, see [`binaries::issue_upload_url`].
///
/// # Errors
/// As for the upload: `Refused` for an attachment already received or a malformed digest.
pub async fn upload_url(
    state: &AppState,
    caller: &Claims,
    folder_id: Uuid,
    attachment_id: Uuid,
    digest: Option<&str>,
) -> Result<UploadUrl, ExchangeError> {
    let current = owned_attachment(state, caller, folder_id, attachment_id).await?;
    binaries::issue_upload_url(state, &current.value, digest).await
}

// ---------------------------------------------------------------------------------------------
// Status changes: complete, close, reopen
// ---------------------------------------------------------------------------------------------

/// `PATCH /folders/{id}` (and its POST override).
///
/// # Errors
/// `Refused` for a change the folder's state does not allow.
pub async fn update_folder(
    state: &AppState,
    caller: &Claims,
    id: Uuid,
    update: FolderUpdate,
) -> Result<(), ExchangeError> {
    let FolderUpdate { global_status: status, close_date_time: close } = update;
    let status = &status;
    let changed = optimistic::<_, ExchangeError, _, _>(state, || async move {
        let target = FolderStatus::parse(status);
        let completes = target == Some(FolderStatus::HubeeCompleted);
        let (agg, read, slots) = owned_folder_with(state, caller, id, |folder, reads| {
            completes.then(|| completion_reads(folder, &folder.recipients, reads))
        })
        .await?;
        let writes = match target {
            Some(FolderStatus::HubeeCompleted) => complete_writes(state, &agg, read, slots).await?,
            Some(FolderStatus::Closed) => close_writes(state, &agg, close)?,
            Some(FolderStatus::HubeeNotified) => reopen_writes(state, &agg)?,
            _ => {
                return Err(refused(format!(
                    "globalStatus {status} cannot be set on a folder (accepted: HUBEE_COMPLETED, CLOSED, HUBEE_NOTIFIED)"
                )));
            }
        };
        Ok(if writes.is_empty() { Attempt::Done(false) } else { Attempt::Commit(writes, true) })
    })
    .await?;
    if changed {
        tracing::info!(folder_id = %id, status = %status, "folder status changed");
    }
    Ok(())
}

/// Where a completion finds what it reads with the folder's cases: its procedure (the
/// retention rules) and the subscription of each recipient (where the e-mail goes).
struct CompletionSlots {
    procedure: Slot<Procedure>,
    subscriptions: Vec<Slot<Subscription>>,
}

fn completion_reads(folder: &Folder, recipients: &[OrgRef], reads: &mut Reads) -> CompletionSlots {
    CompletionSlots {
        procedure: reads.procedure(&folder.process_code),
        subscriptions: recipients
            .iter()
            .map(|r| reads.subscription(&r.company_register, &r.branch_code, &folder.process_code))
            .collect(),
    }
}

/// `HUBEE_COMPLETED`: every case and the folder become `HUBEE_NOTIFIED`, with one notification
/// and one outbox item per case. A folder already notified needs nothing (a retried request).
/// `read` holds what [`completion_reads`] named for the recipients the folder keeps; a folder
/// stored before it kept them has them read now, from its cases.
async fn complete_writes(
    state: &AppState,
    agg: &FolderAggregate,
    read: ReadAll,
    slots: Option<CompletionSlots>,
) -> Result<Vec<Write>, ExchangeError> {
    let folder = &agg.folder.value;
    match folder.global_status {
        FolderStatus::HubeeReceived | FolderStatus::HubeeCompleted => {}
        FolderStatus::HubeeNotified if agg.cases.iter().all(|c| c.value.transmission_date_time.is_some()) => {
            return Ok(Vec::new());
        }
        other => {
            return Err(refused(format!(
                "Folder {} is {other}: only a HUBEE_RECEIVED folder can be completed",
                folder.id
            )));
        }
    }
    let pending: Vec<String> = agg
        .attachments
        .iter()
        .filter(|a| a.value.status == AttachmentStatus::Pending)
        .map(|a| format!("Attachment {} ({}) is still PENDING", a.value.id, a.value.file_name))
        .collect();
    if !pending.is_empty() {
        return Err(ExchangeError::Refused(pending));
    }
    let now = state.clock.now();
    // Antivirus verdicts still awaited (GuardDuty): the folder is `HUBEE_COMPLETED` until the
    // last one comes, which releases the completion (`release_held_completion`).
    if agg.attachments.iter().any(|a| a.value.scanning) {
        if folder.global_status == FolderStatus::HubeeCompleted {
            return Ok(Vec::new());
        }
        let mut held = folder.clone();
        held.global_status = FolderStatus::HubeeCompleted;
        held.update_date_time = Some(now);
        tracing::info!(folder_id = %folder.id, "completion held until the antivirus verdicts come");
        return Ok(vec![state.store.update_folder_write(&held, agg.folder.version)?]);
    }
    let recipients: Vec<OrgRef> = agg.cases.iter().map(|c| c.value.recipient.clone()).collect();
    let (read, slots) = match slots {
        Some(slots) if folder.recipients == recipients => (read, slots),
        _ => {
            let mut reads = Reads::new();
            let slots = completion_reads(folder, &recipients, &mut reads);
            (state.store.read_all(reads).await?, slots)
        }
    };
    let rules = read.get(slots.procedure)?.map(|p| p.retention).unwrap_or_default();
    let mut updated = folder.clone();
    updated.global_status = FolderStatus::HubeeNotified;
    updated.update_date_time = Some(now);
    let mut writes = vec![state.store.update_folder_write(&updated, agg.folder.version)?];
    for (Versioned { value: case, version }, subscription) in agg.cases.iter().zip(slots.subscriptions) {
        let mut c = case.clone();
        c.status = CaseStatus::HubeeNotified;
        c.transmission_date_time = Some(now);
        c.update_date_time = Some(now);
        // Counted in the statistics from its transmission on, in the same transaction.
        c.statistics = Some(CaseStatistics { operator: Some(folder.operator.clone()), ..CaseStatistics::default() });
        writes.extend(state.store.update_case_writes(case, &c, *version, &rules, now)?);
        writes.push(state.store.create_notification_write(&Notification {
            id: state.ids.new_id(),
            recipient: c.recipient.clone(),
            transmitter: folder.operator.clone(),
            process_code: c.process_code.clone(),
            case_id: Some(c.id),
            event_id: None,
            date_time: now,
        })?);
        let recipient = &c.recipient;
        match read.get(subscription)? {
            Some(sub) => writes.push(state.store.create_outbox_write(&OutboxItem::new(
                state.ids.new_id(),
                OutboxMessage::NewCase { case_id: c.id },
                &sub,
                recipient.clone(),
                now,
            ))?),
            None => tracing::warn!(case_id = %c.id, "no subscription left for a case's recipient: no e-mail queued"),
        }
    }
    Ok(writes)
}

/// `CLOSED`: the folder is closed (its cases keep their statuses). Closing again only moves
/// the close date when one is given.
fn close_writes(
    state: &AppState,
    agg: &FolderAggregate,
    close: Option<DateTime<Utc>>,
) -> Result<Vec<Write>, ExchangeError> {
    let folder = &agg.folder.value;
    if matches!(folder.global_status, FolderStatus::HubeeReceived | FolderStatus::HubeeCompleted) {
        return Err(refused(format!(
            "Folder {} is {}: a folder is closed once notified (delete it instead)",
            folder.id, folder.global_status
        )));
    }
    if folder.global_status == FolderStatus::Closed && close.is_none_or(|c| Some(c) == folder.close_date_time) {
        return Ok(Vec::new());
    }
    let now = state.clock.now();
    let mut updated = folder.clone();
    updated.global_status = FolderStatus::Closed;
    updated.close_date_time = Some(close.unwrap_or(now));
    updated.update_date_time = Some(now);
    Ok(vec![state.store.update_folder_write(&updated, agg.folder.version)?])
}

/// `HUBEE_NOTIFIED` on a closed folder reopens it; on a notified folder it changes nothing.
fn reopen_writes(state: &AppState, agg: &FolderAggregate) -> Result<Vec<Write>, ExchangeError> {
    let folder = &agg.folder.value;
    match folder.global_status {
        FolderStatus::Closed => {}
        FolderStatus::HubeeNotified => return Ok(Vec::new()),
        other => {
            return Err(refused(format!("Folder {} is {other}: only a CLOSED folder can be reopened", folder.id)));
        }
    }
    let mut updated = folder.clone();
    updated.global_status = FolderStatus::HubeeNotified;
    updated.close_date_time = None;
    updated.update_date_time = Some(state.clock.now());
    Ok(vec![state.store.update_folder_write(&updated, agg.folder.version)?])
}

// ---------------------------------------------------------------------------------------------
// Delete
// ---------------------------------------------------------------------------------------------

/// `DELETE /folders/{id}`: only while `HUBEE_RECEIVED` (no event or notification exists then);
/// removes the metadata in one transaction, then the stored binaries.
///
/// # Errors
/// `Refused` once the folder was completed.
pub async fn delete_folder(state: &AppState, caller: &Claims, id: Uuid) -> Result<(), ExchangeError> {
    let agg = optimistic::<_, ExchangeError, _, _>(state, || async move {
        let agg = owned_folder(state, caller, id).await?;
        let status = agg.folder.value.global_status;
        if status != FolderStatus::HubeeReceived {
            return Err(refused(format!("Folder {id} is {status}: only a HUBEE_RECEIVED folder can be deleted")));
        }
        Ok(Attempt::Commit(state.store.delete_folder_writes(&agg), agg))
    })
    .await?;
    binaries::discard_all(state, agg.attachments.iter().map(|a| &a.value).collect()).await;
    tracing::info!(folder_id = %id, "folder deleted");
    Ok(())
}

#[cfg(test)]
mod tests {
    use serde_json::{Value, json};

    use super::{
        commands::{fingerprint, parse_new_folder},
        *,
    };

    fn body() -> Value {
        json!({
            "externalId": "DGS-CERTDC-1",
            "processCode": "CERTDC",
            "applicant": {"firstName": "Jean", "lastName": "DUPONT"},
            "cases": [
                {"externalId": "C1", "recipient": {"type": "SI", "companyRegister": "11001401600015", "branchCode": "75108"}},
                {"externalId": "C2", "recipient": {"type": "SI", "companyRegister": "21750001600019", "branchCode": "75056"}}
            ],
            "attachments": [
                {"fileName": "a.pdf", "type": "VA", "size": 10, "mimeType": "application/pdf", "recipients": ["C1", "C2"]}
            ]
        })
    }

    #[test]
    fn a_valid_folder_request_parses_in_order() {
        let f = parse_new_folder("POST /f", &body()).unwrap();
        assert_eq!(f.cases.iter().map(|c| c.external_id.as_str()).collect::<Vec<_>>(), ["C1", "C2"]);
        assert_eq!(f.attachments[0].recipients, ["C1", "C2"]);
    }

    #[test]
    fn every_problem_of_a_folder_request_is_listed() {
        let mut b = body();
        b["applicant"] = json!({"firstName": 3});
        b["externalId"] = json!("x".repeat(31));
        b["cases"][1]["recipient"]["companyRegister"] = json!("123");
        b["attachments"][0]["recipients"] = json!(["C9"]);
        b.as_object_mut().unwrap().remove("processCode");
        let Err(ExchangeError::Invalid(problems)) = parse_new_folder("POST /f", &b) else { panic!("invalid") };
        let all = problems.join("\n");
        for needle in [
            "@body.externalId]",
            "[\"processCode\"]",
            "@body.applicant.firstName]",
            "[\"lastName\"]",
            "@body.cases[1].recipient.companyRegister]",
            "\"C9\"",
        ] {
            assert!(all.contains(needle), "{needle} missing from:\n{all}");
        }
        assert_eq!(problems.len(), 6, "{all}");
    }

    #[test]
    fn a_folder_addresses_at_most_max_cases_recipients() {
        let mut b = body();
        let case = b["cases"][0].clone();
        b["cases"] = Value::Array(vec![case; MAX_CASES + 1]);
        let Err(ExchangeError::Invalid(problems)) = parse_new_folder("POST /f", &b) else { panic!("invalid") };
        assert!(problems[0].contains("Array is too long (must have at most 24 elements"), "{problems:?}");
    }

    #[test]
    fn duplicate_cases_and_recipients_are_refused() {
        let mut b = body();
        b["cases"][1] = b["cases"][0].clone();
        let Err(ExchangeError::Invalid(problems)) = parse_new_folder("POST /f", &b) else { panic!("invalid") };
        assert_eq!(problems.len(), 3, "{problems:?}");
    }

    #[test]
    fn the_fingerprint_ignores_key_order() {
        let a: Value = serde_json::from_str(r#"{"a":1,"b":{"c":2,"d":3}}"#).unwrap();
        let b: Value = serde_json::from_str(r#"{"b":{"d":3,"c":2},"a":1}"#).unwrap();
        assert_eq!(fingerprint(&a), fingerprint(&b));
    }
}
