//! Events: exchanges on a case between its operator and its recipient (CONTRACT.md, "Events").
//! Creating one, sending it (its `caseNewStatus` applied, the other party notified),
//! acknowledging it, deleting an unsent deposit, and the files of an `ATTACH_DEPOSIT`.

use serde_json::Value;
use uuid::Uuid;

use super::{
    Attempt, Checker, ExchangeError, FileMeta, UploadHeaders,
    actor::Actor,
    binaries::{self, Delivery, UploadError, UploadUrl},
    cases::{self, CaseAccess},
    optimistic, refused,
    views::EventView,
};
use crate::{
    domain::{
        ActionType, Attachment, AttachmentStatus, CaseStatus, ChangeSource, Emitter, Event, EventRef, EventStatus,
        Notification, OrgRef, OutboxItem, OutboxMessage, PartnerInfo, Party, Procedure, Subscription,
    },
    ports::{ByteStream, Write},
    state::AppState,
    store::{Versioned, create_attachment_write},
};

/// The most files one event may carry.
pub const MAX_EVENT_ATTACHMENTS: usize = 60;

/// `POST /cases/{id}/events`: the event to create, as its body declares it.
#[derive(Clone, Debug)]
pub struct NewEvent {
    pub action_type: ActionType,
    pub notification: bool,
    pub message: Option<String>,
    pub comment: Option<String>,
    pub author: Option<String>,
    pub case_current_status: Option<String>,
    pub case_new_status: Option<CaseStatus>,
    pub partner_attributes: Option<String>,
    pub files: Vec<FileMeta>,
}

impl NewEvent {
    /// Reads the contract's body; `line` (`METHOD /path`) names the request in the problems.
    ///
    /// # Errors
    /// `Invalid`, listing every problem.
    pub fn parse(line: &str, body: &Value) -> Result<Self, ExchangeError> {
        parse_new_event(line, body)
    }
}

/// `PATCH /cases/{c}/events/{e}` (and its POST override): `{"status": "SENT" | "RECEIVED"}`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct EventUpdate {
    pub status: EventStatus,
}

impl EventUpdate {
    /// Reads the contract's body; `line` (`METHOD /path`) names the request in the problems.
    ///
    /// # Errors
    /// `Invalid`, listing every problem.
    pub fn parse(line: &str, body: &Value) -> Result<Self, ExchangeError> {
        let mut c = Checker::new(line);
        let status = c.root(body).and_then(|root| {
            c.parsed(root, "", "status", true, 12, |s| match EventStatus::parse(s) {
                Some(s @ (EventStatus::Sent | EventStatus::Received)) => Ok(s),
                _ => Err(format!(
                    "Instance value (\"{s}\") not found in enum (possible values: [\"SENT\",\"RECEIVED\"])"
                )),
            })
        });
        match status.filter(|_| c.is_ok()) {
            Some(status) => Ok(Self { status }),
            None => Err(ExchangeError::Invalid(c.problems)),
        }
    }
}

fn parse_new_event(line: &str, body: &Value) -> Result<NewEvent, ExchangeError> {
    let mut c = Checker::new(line);
    let Some(root) = c.root(body) else { return Err(ExchangeError::Invalid(c.problems)) };
    let action_type = c.parsed(root, "", "actionType", true, 100, |s| {
        ActionType::parse(s).ok_or_else(|| {
            let all: Vec<_> = ActionType::ALL.iter().map(|a| a.as_str()).collect();
            format!("Instance value (\"{s}\") not found in enum (possible values: {all:?})")
        })
    });
    let notification = match root.get("notification") {
        None | Some(Value::Null) => false,
        Some(Value::Bool(b)) => *b,
        Some(_) => {
            c.problem(
                ".notification",
                "Instance type does not match any allowed primitive type (allowed: [\"boolean\"])",
            );
            false
        }
    };
    let message = c.string(root, "", "message", false, 1000);
    let comment = c.string(root, "", "comment", false, 1000);
    let author = c.string(root, "", "author", false, 255);
    let case_current_status = c.string(root, "", "caseCurrentStatus", false, 15);
    let case_new_status = c.parsed(root, "", "caseNewStatus", false, 15, |s| {
        CaseStatus::parse(s).ok_or_else(|| format!("Instance value (\"{s}\") is not a case status"))
    });
    let partner_attributes = c.string(root, "", "partnerAttributes", false, 1024);
    let mut files = Vec::new();
    for (i, v) in c.array(root, "", "attachments", 0, MAX_EVENT_ATTACHMENTS).into_iter().flatten().enumerate() {
        let at = format!(".attachments[{i}]");
        if let Some(meta) = c.item(v, &at).and_then(|a| c.file_meta(a, &at)) {
            files.push(meta);
        }
    }
    match action_type {
        Some(ActionType::AttachDeposit) if files.is_empty() && c.is_ok() => {
            c.problem(".attachments", "An ATTACH_DEPOSIT event carries at least one attachment");
        }
        Some(t) if t != ActionType::AttachDeposit && !files.is_empty() => {
            c.problem(".attachments", format!("Only ATTACH_DEPOSIT events carry attachments, not {t}"));
        }
        _ => {}
    }
    match action_type.filter(|_| c.is_ok()) {
        Some(action_type) => Ok(NewEvent {
            action_type,
            notification,
            message,
            comment,
            author,
            case_current_status,
            case_new_status,
            partner_attributes,
            files,
        }),
        None => Err(ExchangeError::Invalid(c.problems)),
    }
}

/// What the procedure's rules refuse in an event `party` sends: a deposit, a message or a
/// request for complements it does not allow, a file over its limits for that emitter.
fn check_procedure_rules(procedure: Option<&Procedure>, party: Party, new: &NewEvent) -> Result<(), ExchangeError> {
    let Some(p) = procedure else { return Ok(()) };
    let code = &p.code;
    let mut problems = Vec::new();
    let instructing = party == Party::Recipient;
    if instructing && new.action_type == ActionType::AttachDeposit && !p.instructing_deposits {
        problems.push(format!("Procedure {code} does not take deposits from instructing services"));
    }
    if new.action_type == ActionType::SendingMessage && !p.messages {
        problems.push(format!("Procedure {code} does not allow messages"));
    }
    if instructing && new.case_new_status == Some(CaseStatus::AddAwaiting) && !p.awaiting_complements {
        problems.push(format!("Procedure {code} does not allow asking for complements (ADD_AWAITING)"));
    }
    let emitter = if instructing { Emitter::InstructingService } else { Emitter::Operator };
    problems.extend(new.files.iter().enumerate().flat_map(|(i, f)| super::file_problems(p, emitter, i, f)));
    if problems.is_empty() { Ok(()) } else { Err(ExchangeError::Refused(problems)) }
}

/// The party on the other side of the case from `org`.
fn other_party(access: &CaseAccess, transmitter: &OrgRef) -> OrgRef {
    let case = access.case();
    if transmitter.key() == access.folder.operator.key() {
        case.recipient.clone()
    } else {
        access.folder.operator.clone()
    }
}

fn notification_write(
    state: &AppState,
    access: &CaseAccess,
    recipient: OrgRef,
    transmitter: OrgRef,
    event: &Event,
) -> Result<Write, ExchangeError> {
    let case = access.case();
    Ok(state.store.create_notification_write(&Notification {
        id: state.ids.new_id(),
        recipient,
        transmitter,
        process_code: case.process_code.clone(),
        case_id: Some(case.id),
        event_id: Some(event.id),
        date_time: state.clock.now(),
    })?)
}

/// What happens when an event becomes `SENT`: its `caseNewStatus` is applied, the other party
/// is notified if asked, and an operator reopening the case queues the recipient's e-mail.
fn sent_writes(
    state: &AppState,
    access: &CaseAccess,
    sending: &Sending,
    event: &Event,
    actor: &Actor,
) -> Result<Vec<Write>, ExchangeError> {
    let mut writes = Vec::new();
    let case = access.case();
    if let Some(to) = event.case_new_status {
        writes.extend(cases::status_change_writes(
            state,
            access,
            sending.procedure.as_ref(),
            to,
            actor,
            ChangeSource::Event,
            Some(event.id),
        )?);
        let reopens = to == CaseStatus::HubeeNotified && case.status != CaseStatus::HubeeNotified;
        if reopens && access.party == Party::Operator {
            match &sending.subscription {
                Some(sub) => writes.push(state.store.create_outbox_write(&OutboxItem::new(
                    state.ids.new_id(),
                    OutboxMessage::ReopenedCase { case_id: case.id },
                    sub,
                    case.recipient.clone(),
                    state.clock.now(),
                ))?),
                None => {
                    tracing::warn!(case_id = %case.id, "no subscription left for a reopened case: no e-mail queued")
                }
            }
        }
    }
    if event.notification && access.party != Party::Platform {
        let to = other_party(access, &event.transmitter);
        writes.push(notification_write(state, access, to, event.transmitter.clone(), event)?);
    }
    Ok(writes)
}

/// The statistics' first consultation when the recipient acts on the case through an event (a
/// download, a message, a deposit, an acknowledgement) without changing its status: a status
/// change records it itself ([`cases::apply_status`]), in the one write of the case.
fn consultation_writes(state: &AppState, access: &CaseAccess, event: &Event) -> Result<Vec<Write>, ExchangeError> {
    let moves = event.status == EventStatus::Sent && event.case_new_status.is_some_and(|s| s != access.case().status);
    if moves { Ok(Vec::new()) } else { Ok(super::statistics::first_consultation(state, access)?) }
}

/// What sending an event needs besides the case: its procedure (the status policy) and the
/// recipient's subscription (where the e-mail of a reopened case goes).
struct Sending {
    procedure: Option<Procedure>,
    subscription: Option<Subscription>,
}

/// Loads a case with what sending an event on it needs, read with its folder.
async fn access_for_sending(
    state: &AppState,
    actor: &Actor,
    case_id: Uuid,
) -> Result<(CaseAccess, Sending), ExchangeError> {
    let (access, read, (procedure, subscription)) = cases::access_with(state, actor, case_id, |case, reads| {
        let r = &case.recipient;
        (
            reads.procedure(&case.process_code),
            reads.subscription(&r.company_register, &r.branch_code, &case.process_code),
        )
    })
    .await?;
    Ok((access, Sending { procedure: read.get(procedure)?, subscription: read.get(subscription)? }))
}

/// `POST /cases/{id}/events`.
///
/// # Errors
/// `Refused` for a status change the policy refuses.
pub async fn create_event(
    state: &AppState,
    actor: &Actor,
    case_id: Uuid,
    new: NewEvent,
    partner_info: Option<PartnerInfo>,
) -> Result<EventView, ExchangeError> {
    let (new, partner_info) = (&new, &partner_info);
    let (event, files) = optimistic::<_, ExchangeError, _, _>(state, || async move {
        let (access, sending) = access_for_sending(state, actor, case_id).await?;
        let case = access.case();
        if case.status == CaseStatus::HubeeReceived {
            return Err(refused("The case is not transmitted yet: its folder must be completed first"));
        }
        check_procedure_rules(sending.procedure.as_ref(), access.party, new)?;
        let now = state.clock.now();
        let event_id = state.ids.new_id();
        let files: Vec<Attachment> = new
            .files
            .iter()
            .enumerate()
            .map(|(i, f)| Attachment {
                id: state.ids.new_id(),
                folder_id: case.folder_id,
                position: u32::try_from(i).unwrap_or(u32::MAX),
                file_name: f.file_name.clone(),
                attachment_type: f.attachment_type.clone(),
                size: f.size,
                mime_type: f.mime_type.clone(),
                status: AttachmentStatus::Pending,
                recipients: Vec::new(),
                case_ids: vec![case_id],
                sha256: None,
                object_key: None,
                received_date_time: None,
                virus: None,
                scanning: false,
                event: Some(EventRef { case_id, event_id }),
            })
            .collect();
        let event = Event {
            id: event_id,
            case_id,
            folder_id: case.folder_id,
            action_type: new.action_type,
            transmitter: actor.org.clone(),
            message: new.message.clone(),
            comment: new.comment.clone(),
            author: new.author.clone().or_else(|| actor.name.clone()),
            notification: new.notification,
            status: if new.action_type == ActionType::AttachDeposit {
                EventStatus::InProgress
            } else {
                EventStatus::Sent
            },
            case_current_status: new.case_current_status.clone(),
            case_new_status: new.case_new_status,
            partner_attributes: new.partner_attributes.clone(),
            partner_info: partner_info.clone(),
            attachment_ids: files.iter().map(|f| f.id).collect(),
            create_date_time: now,
            update_date_time: now,
        };
        let mut writes = vec![state.store.create_event_write(&event)?];
        for f in &files {
            writes.push(create_attachment_write(f)?);
        }
        if event.status == EventStatus::Sent {
            writes.extend(sent_writes(state, &access, &sending, &event, actor)?);
        }
        writes.extend(consultation_writes(state, &access, &event)?);
        Ok(Attempt::Commit(writes, (event, files)))
    })
    .await?;
    tracing::info!(%case_id, event_id = %event.id, action = %event.action_type, "event created");
    Ok(EventView::of(&event, &files, actor))
}

/// Loads a case and one of its events.
async fn access_event(
    state: &AppState,
    actor: &Actor,
    case_id: Uuid,
    event_id: Uuid,
) -> Result<(CaseAccess, Versioned<Event>), ExchangeError> {
    let access = cases::access(state, actor, case_id).await?;
    let event = access.record.event(event_id).cloned().ok_or(ExchangeError::EventNotFound)?;
    Ok((access, event))
}

fn is_transmitter(actor: &Actor, event: &Event) -> bool {
    actor.org.key() == event.transmitter.key()
}

/// `GET /cases/{c}/events/{e}`.
///
/// # Errors
/// `CaseNotFound`, `EventNotFound`, `Forbidden`.
pub async fn get_event(
    state: &AppState,
    actor: &Actor,
    case_id: Uuid,
    event_id: Uuid,
) -> Result<EventView, ExchangeError> {
    let (access, event) = access_event(state, actor, case_id, event_id).await?;
    Ok(EventView::of(&event.value, access.record.attachments_of(&event.value).into_iter().map(|a| &a.value), actor))
}

/// `PATCH /cases/{c}/events/{e}` (and its POST override): `SENT` by the transmitter once every
/// file is received, `RECEIVED` by the other party as acknowledgement.
///
/// # Errors
/// `Refused` for files still pending or an event not sent yet, `Forbidden` for the wrong party.
pub async fn update_event(
    state: &AppState,
    actor: &Actor,
    case_id: Uuid,
    event_id: Uuid,
    update: EventUpdate,
) -> Result<(), ExchangeError> {
    let status = update.status;
    let changed = optimistic::<_, ExchangeError, _, _>(state, || async move {
        // Sending reads what it needs with the folder; an acknowledgement needs nothing more.
        let (access, sending) = if status == EventStatus::Sent {
            let (access, sending) = access_for_sending(state, actor, case_id).await?;
            (access, Some(sending))
        } else {
            (cases::access(state, actor, case_id).await?, None)
        };
        let Versioned { value: event, version } =
            access.record.event(event_id).cloned().ok_or(ExchangeError::EventNotFound)?;
        let now = state.clock.now();
        let mut changed = event.clone();
        changed.status = status;
        changed.update_date_time = now;
        let writes = match (status, event.status, sending) {
            (EventStatus::Sent, _, _) if !is_transmitter(actor, &event) => return Err(ExchangeError::Forbidden),
            (EventStatus::Sent, EventStatus::Sent | EventStatus::Received, _) => return Ok(Attempt::Done(false)),
            (EventStatus::Sent, _, Some(sending)) => {
                let pending: Vec<String> = access
                    .record
                    .attachments_of(&event)
                    .iter()
                    // A quarantined file does not hold the event back (listed, never served).
                    .filter(|a| !matches!(a.value.status, AttachmentStatus::Received | AttachmentStatus::Corrupted))
                    .map(|a| format!("Attachment {} ({}) is still {}", a.value.id, a.value.file_name, a.value.status))
                    .collect();
                if !pending.is_empty() {
                    return Err(ExchangeError::Refused(pending));
                }
                let mut writes = vec![state.store.update_event_write(&changed, version)?];
                writes.extend(sent_writes(state, &access, &sending, &changed, actor)?);
                writes.extend(consultation_writes(state, &access, &changed)?);
                writes
            }
            (_, _, _) if is_transmitter(actor, &event) || access.party == Party::Platform => {
                return Err(ExchangeError::Forbidden);
            }
            (_, EventStatus::InProgress, _) => return Err(refused(format!("Event {event_id} is not sent yet"))),
            (_, EventStatus::Received, _) => return Ok(Attempt::Done(false)),
            (_, EventStatus::Sent, _) => {
                let mut writes = vec![
                    state.store.update_event_write(&changed, version)?,
                    notification_write(state, &access, event.transmitter.clone(), actor.org.clone(), &changed)?,
                ];
                writes.extend(consultation_writes(state, &access, &changed)?);
                writes
            }
        };
        Ok(Attempt::Commit(writes, true))
    })
    .await?;
    if changed {
        tracing::info!(%case_id, %event_id, %status, "event status changed");
    }
    Ok(())
}

/// `DELETE /cases/{c}/events/{e}`: the transmitter withdraws an `ATTACH_DEPOSIT` not sent yet.
///
/// # Errors
/// `Refused` for any other event, `Forbidden` for anyone but the transmitter.
pub async fn delete_event(state: &AppState, actor: &Actor, case_id: Uuid, event_id: Uuid) -> Result<(), ExchangeError> {
    let (event, files) = optimistic::<_, ExchangeError, _, _>(state, || async move {
        let (access, event) = access_event(state, actor, case_id, event_id).await?;
        if !is_transmitter(actor, &event.value) {
            return Err(ExchangeError::Forbidden);
        }
        if event.value.action_type != ActionType::AttachDeposit || event.value.status != EventStatus::InProgress {
            return Err(refused(format!(
                "Event {event_id} is a {} {}: only an ATTACH_DEPOSIT event still IN_PROGRESS can be deleted",
                event.value.status, event.value.action_type
            )));
        }
        let files: Vec<Versioned<Attachment>> =
            access.record.attachments_of(&event.value).into_iter().cloned().collect();
        let refs: Vec<&Versioned<Attachment>> = files.iter().collect();
        Ok(Attempt::Commit(state.store.delete_event_writes(&event, &refs), (event, files)))
    })
    .await?;
    binaries::discard_all(state, files.iter().map(|a| &a.value).collect()).await;
    tracing::info!(%case_id, event_id = %event.value.id, "event deleted");
    Ok(())
}

/// A file of a deposit the actor transmits, while the deposit is still open.
async fn own_deposit_file(
    state: &AppState,
    actor: &Actor,
    case_id: Uuid,
    event_id: Uuid,
    attachment_id: Uuid,
) -> Result<Versioned<Attachment>, ExchangeError> {
    let (access, event) = access_event(state, actor, case_id, event_id).await?;
    if !is_transmitter(actor, &event.value) {
        return Err(ExchangeError::Forbidden);
    }
    let current = access
        .record
        .attachments_of(&event.value)
        .into_iter()
        .find(|a| a.value.id == attachment_id)
        .cloned()
        .ok_or(ExchangeError::AttachmentNotFound)?;
    if event.value.status != EventStatus::InProgress {
        return Err(refused(format!("Event {event_id} is {}: its files cannot change", event.value.status)));
    }
    Ok(current)
}

/// `PUT /cases/{c}/events/{e}/attachments/{a}`: the transmitter uploads a file of its deposit.
///
/// # Errors
/// As for folder uploads; `Refused` once the event is sent.
pub async fn upload_event_attachment(
    state: &AppState,
    actor: &Actor,
    case_id: Uuid,
    event_id: Uuid,
    attachment_id: Uuid,
    headers: UploadHeaders<'_>,
    body: ByteStream,
) -> Result<(), UploadError> {
    let current = own_deposit_file(state, actor, case_id, event_id, attachment_id).await?;
    binaries::receive(state, current, headers, body).await
}

/// `POST /cases/{c}/events/{e}/attachments/{a}/upload-url` (an extension of the contract): a
/// presigned PUT for a file of the actor's deposit, see [`binaries::issue_upload_url`].
///
/// # Errors
/// As for the upload.
pub async fn upload_url(
    state: &AppState,
    actor: &Actor,
    case_id: Uuid,
    event_id: Uuid,
    attachment_id: Uuid,
    digest: Option<&str>,
) -> Result<UploadUrl, ExchangeError> {
    let current = own_deposit_file(state, actor, case_id, event_id, attachment_id).await?;
    binaries::issue_upload_url(state, &current.value, digest).await
}

/// `GET /cases/{c}/events/{e}/attachments/{a}`: streamed, or a presigned GET above the
/// deployment's inline limit (see [`binaries::deliver`]).
///
/// # Errors
/// `FileNotFound` for a file that is not the event's or not received.
pub async fn download_event_attachment(
    state: &AppState,
    actor: &Actor,
    case_id: Uuid,
    event_id: Uuid,
    attachment_id: Uuid,
) -> Result<Delivery, ExchangeError> {
    let (access, event) = access_event(state, actor, case_id, event_id).await?;
    let file = access
        .record
        .attachments_of(&event.value)
        .into_iter()
        .find(|a| a.value.id == attachment_id)
        .ok_or(ExchangeError::FileNotFound)?;
    binaries::deliver(state, &file.value).await
}
