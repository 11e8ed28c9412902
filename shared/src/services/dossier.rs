//! The portal's dossier page: what an agent of an instructing service does on one case —
//! consult it (the first consultation confirms its reception), read its history, comment,
//! change its status through the portal workflow (each change an event for the operator), and
//! the same on many dossiers at once.

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use uuid::Uuid;

use super::{
    ExchangeError,
    actor::Actor,
    binaries::{Delivery, UploadError, UploadUrl},
    cases, events, refused, time_or_null,
};
use crate::{
    domain::{AttachmentStatus, CaseStatus, EventStatus, LogEntry, LogKind, format_time},
    state::AppState,
    store::DepositSender,
};

/// Sends an event (its files all received): what the portal does once a deposit's file is in.
const SENT: events::EventUpdate = events::EventUpdate { status: EventStatus::Sent };

/// The most dossiers one bulk action takes.
pub const MAX_BULK: usize = 500;
/// The longest internal comment or refusal reason.
pub const MAX_TEXT: usize = 1000;

/// The portal's status changes ("Modifier le statut", and the bulk actions).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Action {
    /// Accuser réception: Nouveau → Reçu.
    ConfirmReception,
    /// Commencer le traitement: → En cours.
    StartProcessing,
    /// Demander des compléments: → En attente de compléments.
    RequestComplements,
    /// Refuser (a reason is required): → Refusé.
    Refuse,
    /// Finaliser le traitement: → Traité.
    Finish,
}

impl Action {
    pub const ALL: [Action; 5] =
        [Action::ConfirmReception, Action::StartProcessing, Action::RequestComplements, Action::Refuse, Action::Finish];

    pub fn target(self) -> CaseStatus {
        match self {
            Action::ConfirmReception => CaseStatus::SiReceived,
            Action::StartProcessing => CaseStatus::InProgress,
            Action::RequestComplements => CaseStatus::AddAwaiting,
            Action::Refuse => CaseStatus::Refused,
            Action::Finish => CaseStatus::Done,
        }
    }

    /// The portal workflow: which statuses each action starts from.
    pub fn allowed_from(self, status: CaseStatus) -> bool {
        use CaseStatus::*;
        match self {
            Action::ConfirmReception => matches!(status, HubeeNotified | Sent),
            Action::StartProcessing => matches!(status, SiReceived | AddAwaiting),
            Action::RequestComplements => matches!(status, SiReceived | InProgress),
            Action::Refuse => matches!(status, SiReceived | InProgress | AddAwaiting),
            Action::Finish => matches!(status, InProgress | AddAwaiting),
        }
    }

    /// # Errors
    /// The accepted values, for a wrong one.
    pub fn parse(s: &str) -> Result<Self, String> {
        serde_json::from_value(Value::String(s.to_owned())).map_err(|_| {
            let all: Vec<_> = Action::ALL.iter().map(|a| json!(a)).collect();
            format!("\"{s}\" is not an action (possible values: {})", Value::Array(all))
        })
    }
}

fn log(actor: &Actor, case_id: Uuid, kind: LogKind, state: &AppState) -> LogEntry {
    LogEntry {
        id: state.ids.new_id(),
        case_id,
        kind,
        actor: actor.org.clone(),
        actor_id: actor.id.clone(),
        actor_name: actor.name.clone(),
        date_time: state.clock.now(),
    }
}

/// Records a consultation or download in the case's history.
///
/// # Errors
/// When the store fails.
pub async fn record(state: &AppState, actor: &Actor, case_id: Uuid, kind: LogKind) -> Result<(), ExchangeError> {
    let entry = log(actor, case_id, kind, state);
    Ok(state.store.commit(vec![state.store.record_log_write(&entry)?]).await?)
}

/// The dossier page: the case as the API shows it, its procedure, its tab, whether its reception
/// is still to confirm and which actions the workflow offers. The consultation is recorded.
///
/// # Errors
/// `CaseNotFound`, `Forbidden`.
pub async fn read(state: &AppState, actor: &Actor, case_id: Uuid) -> Result<Value, ExchangeError> {
    let mut body = cases::get_case(state, actor, case_id, false).await?;
    record(state, actor, case_id, LogKind::Consulted).await?;
    let status = body["status"].as_str().and_then(CaseStatus::parse).unwrap_or(CaseStatus::HubeeReceived);
    let process = body["processCode"].as_str().unwrap_or_default().to_owned();
    let title = match crate::domain::ProcessCode::parse(&process) {
        Ok(code) => state.store.procedure(&code).await?.map(|p| p.title),
        Err(_) => None,
    };
    let actions: Vec<Action> =
        if actor.manages { Action::ALL.into_iter().filter(|a| a.allowed_from(status)).collect() } else { Vec::new() };
    body["procedureTitle"] = json!(title);
    body["tab"] = json!(status.tab());
    body["receptionToConfirm"] = json!(actor.manages && Action::ConfirmReception.allowed_from(status));
    body["actions"] = json!(actions);
    Ok(body)
}

/// Changes a dossier's status through the portal workflow: a `STATUS_UPDATE` event for the
/// operator (notified), written by the agent, with the refusal reason as its message.
///
/// # Errors
/// `Forbidden` without the management role, `Refused` for an action the workflow does not
/// offer from the current status, or a refusal without reason.
pub async fn act(
    state: &AppState,
    actor: &Actor,
    case_id: Uuid,
    action: Action,
    reason: Option<&str>,
) -> Result<CaseStatus, ExchangeError> {
    if !actor.manages {
        return Err(ExchangeError::Forbidden);
    }
    let reason = reason.map(str::trim).filter(|r| !r.is_empty());
    if action == Action::Refuse && reason.is_none() {
        return Err(refused("A refusal needs a reason"));
    }
    if reason.is_some_and(|r| r.chars().count() > MAX_TEXT) {
        return Err(refused(format!("The reason is longer than {MAX_TEXT} characters")));
    }
    let access = cases::access(state, actor, case_id).await?;
    let current = access.case().status;
    if !action.allowed_from(current) {
        return Err(refused(format!("{action:?} is not possible on a dossier in status {current}")));
    }
    let body = json!({
        "actionType": "STATUS_UPDATE",
        "notification": true,
        "caseCurrentStatus": current,
        "caseNewStatus": action.target(),
        "message": reason,
    });
    events::create_event(state, actor, case_id, events::NewEvent::parse("PORTAIL", &body)?, None).await?;
    Ok(action.target())
}

/// What a bulk action did to one dossier: its new status, or why it was not changed.
#[derive(Debug)]
pub struct BulkOutcome {
    pub case_id: Uuid,
    pub result: Result<CaseStatus, ExchangeError>,
}

/// The same action on many dossiers: each succeeds or fails on its own, in the order given.
///
/// # Errors
/// `Refused` for an empty list or more than [`MAX_BULK`] dossiers.
pub async fn bulk(
    state: &AppState,
    actor: &Actor,
    ids: &[Uuid],
    action: Action,
    reason: Option<&str>,
) -> Result<Vec<BulkOutcome>, ExchangeError> {
    if ids.is_empty() || ids.len() > MAX_BULK {
        return Err(refused(format!("A bulk action takes 1 to {MAX_BULK} dossiers")));
    }
    let mut results = Vec::with_capacity(ids.len());
    for id in ids {
        results.push(BulkOutcome { case_id: *id, result: act(state, actor, *id, action, reason).await });
    }
    Ok(results)
}

/// `{caseIds}` of a bulk request or an archive of several dossiers: 1 to [`MAX_BULK`] UUIDs, in
/// the order given.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CaseSelection {
    pub case_ids: Vec<Uuid>,
}

impl CaseSelection {
    /// Reads the body's `caseIds`; `line` (`METHOD /path`) names the request in the problems.
    ///
    /// # Errors
    /// `Invalid` listing what is wrong.
    pub fn parse(line: &str, body: &Value) -> Result<Self, ExchangeError> {
        let mut c = super::Checker::new(line);
        let mut case_ids = Vec::new();
        if let Some(root) = c.root(body) {
            for (i, v) in c.array(root, "", "caseIds", 1, MAX_BULK).into_iter().flatten().enumerate() {
                match v.as_str().and_then(|s| s.parse().ok()) {
                    Some(id) => case_ids.push(id),
                    None => c.problem(&format!(".caseIds[{i}]"), "Input is not a valid UUID"),
                }
            }
        }
        if c.is_ok() { Ok(Self { case_ids }) } else { Err(ExchangeError::Invalid(c.problems)) }
    }
}

/// Adds an internal comment ("Ajout d'un nouveau commentaire"): seen by the organisation only.
///
/// # Errors
/// `Refused` for an empty or too long text; `Forbidden` without the management role.
pub async fn comment(state: &AppState, actor: &Actor, case_id: Uuid, text: &str) -> Result<Value, ExchangeError> {
    if !actor.manages {
        return Err(ExchangeError::Forbidden);
    }
    let text = text.trim();
    if text.is_empty() || text.chars().count() > MAX_TEXT {
        return Err(refused(format!("A comment has 1 to {MAX_TEXT} characters")));
    }
    cases::access(state, actor, case_id).await?;
    let entry = log(actor, case_id, LogKind::Comment { text: text.to_owned() }, state);
    state.store.commit(vec![state.store.record_log_write(&entry)?]).await?;
    Ok(json!(entry))
}

/// Everything that happened to the dossier, oldest first, with who and when: its creation and
/// transmission, every event exchanged, every status change, consultation, download and comment.
///
/// # Errors
/// `CaseNotFound`, `Forbidden`.
pub async fn history(state: &AppState, actor: &Actor, case_id: Uuid) -> Result<Value, ExchangeError> {
    let access = cases::access(state, actor, case_id).await?;
    let case = access.case();
    let mut entries: Vec<(String, Value)> = vec![(
        format_time(access.folder.create_date_time),
        json!({"kind": "CREATED", "dateTime": format_time(access.folder.create_date_time), "by": access.folder.operator}),
    )];
    if let Some(t) = case.transmission_date_time {
        entries.push((
            format_time(t),
            json!({"kind": "TRANSMITTED", "dateTime": format_time(t), "by": access.folder.operator}),
        ));
    }
    for e in &access.record.events {
        let e = &e.value;
        let own = e.transmitter.key() == actor.org.key();
        let files: Vec<_> = access
            .record
            .attachments_of(e)
            .iter()
            .map(|a| json!({"fileName": a.value.file_name, "size": a.value.size, "sha256": a.value.sha256}))
            .collect();
        entries.push((
            format_time(e.create_date_time),
            json!({"kind": "EVENT", "eventId": e.id, "dateTime": format_time(e.create_date_time), "by": e.transmitter, "author": e.author,
                   "actionType": e.action_type, "status": e.status, "message": e.message,
                   "comment": if own { e.comment.clone() } else { None }, "caseNewStatus": e.case_new_status, "attachments": files}),
        ));
    }
    for h in &access.record.history {
        entries.push((
            format_time(h.date_time),
            json!({"kind": "STATUS", "dateTime": format_time(h.date_time), "by": h.actor, "actorId": h.actor_id,
                   "from": h.from, "to": h.to, "source": h.source}),
        ));
    }
    for l in &access.record.log {
        let mut v =
            json!({"dateTime": format_time(l.date_time), "by": l.actor, "actorId": l.actor_id, "author": l.actor_name});
        match &l.kind {
            LogKind::Consulted => v["kind"] = json!("CONSULTED"),
            LogKind::Downloaded { file_name } => {
                v["kind"] = json!("DOWNLOADED");
                v["fileName"] = json!(file_name);
            }
            LogKind::DownloadedAll => v["kind"] = json!("DOWNLOADED_ALL"),
            LogKind::Comment { text } => {
                v["kind"] = json!("COMMENT");
                v["text"] = json!(text);
            }
            LogKind::AttachmentPurged { file_name, attachment_id } => {
                v["kind"] = json!("ATTACHMENT_PURGED");
                v["fileName"] = json!(file_name);
                v["attachmentId"] = json!(attachment_id);
            }
        }
        entries.push((format_time(l.date_time), v));
    }
    entries.sort_by(|a, b| a.0.cmp(&b.0));
    Ok(json!({
        "caseId": case.id,
        "status": case.status,
        "updateDateTime": time_or_null(case.update_date_time),
        "entries": entries.into_iter().map(|(_, v)| v).collect::<Vec<_>>(),
    }))
}

// ---------------------------------------------------------------------------------------------
// Downloads
// ---------------------------------------------------------------------------------------------

/// Every received file of a dossier: its folder attachments, then the files of the events.
fn received_files(access: &cases::CaseAccess) -> Vec<&crate::domain::Attachment> {
    let case = access.case();
    let folder_files = access.folder_attachments.iter().map(|a| &a.value).filter(|a| a.is_for_case(case.id));
    let event_files = access.record.event_attachments.iter().map(|a| &a.value);
    folder_files.chain(event_files).filter(|a| a.status == crate::domain::AttachmentStatus::Received).collect()
}

/// Records a download as an event for the operator (not notified), moving the dossier to
/// "En cours" when every file was taken and the workflow allows it.
async fn record_download(
    state: &AppState,
    actor: &Actor,
    access: &cases::CaseAccess,
    action: crate::domain::ActionType,
    message: String,
) -> Result<(), ExchangeError> {
    let status = access.case().status;
    let start = action == crate::domain::ActionType::AttachDlAll && Action::StartProcessing.allowed_from(status);
    let body = json!({
        "actionType": action,
        "notification": false,
        "caseCurrentStatus": status,
        "caseNewStatus": if start { Some(CaseStatus::InProgress) } else { None },
        "message": message,
    });
    events::create_event(state, actor, access.case().id, events::NewEvent::parse("PORTAIL", &body)?, None).await?;
    Ok(())
}

fn require_manager(actor: &Actor) -> Result<(), ExchangeError> {
    if actor.manages { Ok(()) } else { Err(ExchangeError::Forbidden) }
}

/// A received file of a dossier the actor manages, with the dossier.
async fn managed_file(
    state: &AppState,
    actor: &Actor,
    case_id: Uuid,
    attachment_id: Uuid,
) -> Result<(cases::CaseAccess, crate::domain::Attachment), ExchangeError> {
    require_manager(actor)?;
    let access = cases::access(state, actor, case_id).await?;
    let file = received_files(&access)
        .into_iter()
        .find(|a| a.id == attachment_id)
        .cloned()
        .ok_or(ExchangeError::FileNotFound)?;
    Ok((access, file))
}

/// One file of a dossier (a folder attachment or a deposit's file), streamed whatever its size,
/// recorded as `ATTACH_DL`. The portal's route uses [`deliver_file`].
///
/// # Errors
/// `Forbidden` for a consultation-only user, `FileNotFound`.
pub async fn download_file(
    state: &AppState,
    actor: &Actor,
    case_id: Uuid,
    attachment_id: Uuid,
) -> Result<super::Download, ExchangeError> {
    let (access, file) = managed_file(state, actor, case_id, attachment_id).await?;
    let download = super::binaries::open(state, &file).await?;
    record_download(state, actor, &access, crate::domain::ActionType::AttachDl, file.file_name.clone()).await?;
    Ok(download)
}

/// [`download_file`] as this deployment delivers it: streamed, or a presigned GET above its
/// inline limit.
///
/// # Errors
/// As for [`download_file`].
pub async fn deliver_file(
    state: &AppState,
    actor: &Actor,
    case_id: Uuid,
    attachment_id: Uuid,
) -> Result<Delivery, ExchangeError> {
    let (access, file) = managed_file(state, actor, case_id, attachment_id).await?;
    let delivery = super::binaries::deliver(state, &file).await?;
    record_download(state, actor, &access, crate::domain::ActionType::AttachDl, file.file_name.clone()).await?;
    Ok(delivery)
}

/// An archive to stream, with the name to offer.
pub struct Archive {
    pub file_name: String,
    pub body: crate::ports::ByteStream,
}

fn archive_entries(
    taken: &mut std::collections::HashSet<String>,
    dir: Option<&str>,
    files: &[&crate::domain::Attachment],
) -> Vec<super::archive::ArchiveEntry> {
    files
        .iter()
        .filter_map(|a| {
            let key = crate::ports::ObjectKey::parse(a.object_key.as_deref()?).ok()?;
            Some(super::archive::ArchiveEntry {
                path: super::archive::entry_path(taken, dir, &a.file_name),
                key,
                size: a.size,
                sha256: a.sha256?,
            })
        })
        .collect()
}

/// "Télécharger tous les éléments": every file of the dossier as one zip, recorded as
/// `ATTACH_DL_ALL`; the dossier moves to "En cours" when the workflow allows it.
///
/// # Errors
/// `Forbidden` for a consultation-only user; `CaseNotFound`.
pub async fn download_all(state: &AppState, actor: &Actor, case_id: Uuid) -> Result<Archive, ExchangeError> {
    download_many(state, actor, &[case_id]).await
}

/// Several dossiers as one zip, a folder per dossier (named by its number); a single dossier's
/// files at the root. Each dossier is recorded as for [`download_all`].
///
/// # Errors
/// `Forbidden`, `CaseNotFound` for any of them (nothing is recorded then); `Refused` for more
/// than [`MAX_BULK`] dossiers.
pub async fn download_many(state: &AppState, actor: &Actor, ids: &[Uuid]) -> Result<Archive, ExchangeError> {
    require_manager(actor)?;
    if ids.is_empty() || ids.len() > MAX_BULK {
        return Err(refused(format!("A download takes 1 to {MAX_BULK} dossiers")));
    }
    let mut accesses = Vec::with_capacity(ids.len());
    for id in ids {
        accesses.push(cases::access(state, actor, *id).await?);
    }
    let mut taken = std::collections::HashSet::new();
    let mut dirs = std::collections::HashSet::new();
    let mut entries = Vec::new();
    for access in &accesses {
        // A folder per dossier, named by its number (numbers may repeat across operators).
        let dir = (ids.len() > 1).then(|| {
            let number = super::archive::safe_name(&access.case().external_id);
            let mut dir = number.clone();
            let mut n = 2;
            while !dirs.insert(dir.clone()) {
                dir = format!("{number} ({n})");
                n += 1;
            }
            dir
        });
        entries.extend(archive_entries(&mut taken, dir.as_deref(), &received_files(access)));
    }
    for access in &accesses {
        let message = format!("{} fichier(s)", received_files(access).len());
        record_download(state, actor, access, crate::domain::ActionType::AttachDlAll, message).await?;
    }
    let file_name = match accesses.as_slice() {
        [one] => format!("{}.zip", super::archive::safe_name(&one.case().external_id)),
        _ => format!("teledossiers-{}.zip", state.clock.now().format("%Y%m%d-%H%M%S")),
    };
    Ok(Archive { file_name, body: super::archive::stream(state.clone(), entries) })
}

/// [`download_all`] as this deployment delivers it: streamed, or, when its responses are limited,
/// stored then delivered by a presigned GET (see [`super::binaries::deliver_archive`]).
///
/// # Errors
/// As for [`download_all`].
pub async fn deliver_all(state: &AppState, actor: &Actor, case_id: Uuid) -> Result<Delivery, ExchangeError> {
    super::binaries::deliver_archive(state, download_all(state, actor, case_id).await?).await
}

/// [`download_many`] as this deployment delivers it (see [`deliver_all`]).
///
/// # Errors
/// As for [`download_many`].
pub async fn deliver_many(state: &AppState, actor: &Actor, ids: &[Uuid]) -> Result<Delivery, ExchangeError> {
    super::binaries::deliver_archive(state, download_many(state, actor, ids).await?).await
}

/// The longest deposited file name, in characters.
pub const MAX_FILE_NAME: usize = 255;
/// The longest deposited file's type (its nature, `PJ` by default), in characters.
pub const MAX_FILE_TYPE: usize = 100;
/// The longest deposited file's MIME type, in characters.
pub const MAX_MIME_TYPE: usize = 255;

/// A deposited file as both deposit routes take it: a name of 1 to [`MAX_FILE_NAME`] characters
/// (trimmed), its type (`PJ` when absent) and MIME type (`application/octet-stream` when absent)
/// cut to their longest. `None` for a missing or blank name, or one too long.
pub fn deposit_file(
    file_name: Option<&str>,
    attachment_type: Option<&str>,
    size: u64,
    mime_type: Option<&str>,
) -> Option<super::FileMeta> {
    fn present(v: Option<&str>) -> Option<&str> {
        v.map(str::trim).filter(|v| !v.is_empty())
    }
    let file_name = present(file_name).filter(|n| n.chars().count() <= MAX_FILE_NAME)?;
    Some(super::FileMeta {
        file_name: file_name.to_owned(),
        attachment_type: present(attachment_type).unwrap_or("PJ").chars().take(MAX_FILE_TYPE).collect(),
        size,
        mime_type: present(mime_type).unwrap_or("application/octet-stream").chars().take(MAX_MIME_TYPE).collect(),
    })
}

/// Creates a deposit's `ATTACH_DEPOSIT` event (`IN_PROGRESS`, its one file `PENDING`): the
/// event as the API shows it, its id and its file's id.
async fn open_deposit(
    state: &AppState,
    actor: &Actor,
    case_id: Uuid,
    file: &super::FileMeta,
) -> Result<(Value, Uuid, Uuid), ExchangeError> {
    let request = json!({
        "actionType": "ATTACH_DEPOSIT",
        "notification": true,
        "attachments": [{"fileName": file.file_name, "type": file.attachment_type, "size": file.size, "mimeType": file.mime_type}],
    });
    let event =
        events::create_event(state, actor, case_id, events::NewEvent::parse("PORTAIL", &request)?, None).await?;
    let ids = (
        event["id"].as_str().and_then(|s| s.parse().ok()),
        event["attachments"][0]["id"].as_str().and_then(|s| s.parse().ok()),
    );
    let (Some(event_id), Some(file_id)) = ids else {
        let corrupt = crate::store::StoreError::Corrupt("an event without its file".into());
        return Err(ExchangeError::Store(corrupt));
    };
    Ok((event, event_id, file_id))
}

/// Withdraws a deposit that failed, so that nothing half-done stays; a failure is logged.
async fn withdraw(state: &AppState, actor: &Actor, case_id: Uuid, event_id: Uuid) {
    if let Err(cleanup) = events::delete_event(state, actor, case_id, event_id).await {
        tracing::warn!(error = %cleanup, %case_id, %event_id, "could not withdraw a failed deposit");
    }
}

/// "Déposer une pièce jointe": the agent sends a file to the operator — an `ATTACH_DEPOSIT`
/// event with that file, uploaded (with the usual size check), then sent and notified. A failed
/// upload withdraws the event, so that nothing half-done stays.
///
/// # Errors
/// `TooLarge` above the deployment's inline limit (checked before anything is written; the
/// message names the upload-URL route, [`deposit_upload_url`]); `Forbidden` without the
/// management role; `Refused` for a file the procedure refuses or a body that does not match its
/// declared size.
pub async fn deposit(
    state: &AppState,
    actor: &Actor,
    case_id: Uuid,
    file: super::FileMeta,
    body: crate::ports::ByteStream,
) -> Result<Value, UploadError> {
    require_manager(actor)?;
    let instead = format!(
        "ask for an upload URL with POST /portail/v1/cases/{case_id}/attachments/upload-url and PUT the file there"
    );
    super::binaries::check_inline(state, file.size, None, &instead)?;
    let (_, event_id, file_id) = open_deposit(state, actor, case_id, &file).await?;
    let headers = super::UploadHeaders { digest: None, content_length: Some(file.size) };
    let sent = async {
        events::upload_event_attachment(state, actor, case_id, event_id, file_id, headers, body).await?;
        events::update_event(state, actor, case_id, event_id, SENT).await?;
        Ok::<(), UploadError>(())
    }
    .await;
    if let Err(e) = sent {
        withdraw(state, actor, case_id, event_id).await;
        return Err(e);
    }
    Ok(events::get_event(state, actor, case_id, event_id).await?)
}

/// Where and how to upload a deposit's file, as `POST …/attachments/upload-url` answers it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DepositUpload {
    /// The deposit's `ATTACH_DEPOSIT` event: `IN_PROGRESS` until its file is received.
    pub event_id: Uuid,
    /// Its file: `PENDING` until received.
    pub attachment_id: Uuid,
    /// Its `headers` name the file's `Content-Type` (the object is stored with that type).
    #[serde(flatten)]
    pub upload: UploadUrl,
}

/// "Déposer une pièce jointe" for a file larger than a request to this deployment carries: the
/// deposit's event is created as for [`deposit`] (same role, same checks of the file against
/// the procedure), with a presigned PUT URL for its file. Once the file is stored there and
/// checked (its declared size, and `digest` — base64 SHA-256 — when given), the event is sent
/// and notified as a direct deposit is; a refused file withdraws it (see
/// [`super::binaries::complete_presigned`]). Any size is taken, up to what an upload URL takes.
///
/// # Errors
/// `Forbidden` without the management role; `Refused` for a file the procedure refuses, a
/// malformed digest or a file too large for an upload URL (nothing stays then).
pub async fn deposit_upload_url(
    state: &AppState,
    actor: &Actor,
    case_id: Uuid,
    file: super::FileMeta,
    digest: Option<&str>,
) -> Result<DepositUpload, ExchangeError> {
    require_manager(actor)?;
    let (event, event_id, file_id) = open_deposit(state, actor, case_id, &file).await?;
    let sender = DepositSender { org: actor.org.clone(), id: actor.id.clone(), name: actor.name.clone() };
    let issued = async {
        let pending =
            state.store.event_attachment(case_id, event_id, file_id).await?.ok_or(ExchangeError::AttachmentNotFound)?;
        super::binaries::issue_deposit_upload_url(state, &pending.value, digest, sender).await
    }
    .await;
    match issued {
        Ok(mut upload) => {
            let mime_type = event["attachments"][0]["mimeType"].as_str().unwrap_or(&file.mime_type).to_owned();
            upload.headers.insert("Content-Type", mime_type);
            Ok(DepositUpload { event_id, attachment_id: file_id, upload })
        }
        Err(e) => {
            withdraw(state, actor, case_id, event_id).await;
            Err(e)
        }
    }
}

/// The agent of a portal deposit, as the completion of its upload acts for them: the management
/// role on its organisation's dossiers (checked when the upload URL was issued).
fn deposit_agent(sender: &DepositSender) -> Actor {
    Actor {
        org: sender.org.clone(),
        side: super::actor::Side::Recipient,
        id: sender.id.clone(),
        name: sender.name.clone(),
        procedures: None,
        manages: true,
    }
}

/// Sends a portal deposit whose file was received through its upload URL, as its agent: the
/// operator is notified as for a direct deposit. Nothing changes for a deposit already sent.
///
/// # Errors
/// When the store fails or is busy (the storage event is retried); a deposit that can no longer
/// be sent (its dossier gone) is only logged.
pub(crate) async fn send_deposit(
    state: &AppState,
    sender: &DepositSender,
    event: crate::domain::EventRef,
) -> Result<(), ExchangeError> {
    let agent = deposit_agent(sender);
    match events::update_event(state, &agent, event.case_id, event.event_id, SENT).await {
        Ok(()) => {
            tracing::info!(case_id = %event.case_id, event_id = %event.event_id, "deposit sent on its file's upload");
            Ok(())
        }
        Err(e @ (ExchangeError::Store(_) | ExchangeError::Busy | ExchangeError::Objects(_))) => Err(e),
        Err(e) => {
            tracing::warn!(error = %e, case_id = %event.case_id, event_id = %event.event_id, "the deposit cannot be sent");
            Ok(())
        }
    }
}

/// Withdraws a portal deposit whose uploaded file was refused, as a failed direct deposit is,
/// unless its file was received meanwhile.
pub(crate) async fn withdraw_deposit(state: &AppState, sender: &DepositSender, event: crate::domain::EventRef) {
    if let Err(e) = withdraw_unfinished_deposit(state, sender, event).await {
        tracing::warn!(error = %e, case_id = %event.case_id, event_id = %event.event_id, "could not withdraw a deposit");
    }
}

/// Withdraws a portal deposit still waiting for its file: not once its file is received, nor
/// once it is sent. Returns whether it was withdrawn.
///
/// # Errors
/// When the store fails or is busy (the caller retries); a deposit that cannot be withdrawn for
/// another reason is only logged.
pub(crate) async fn withdraw_unfinished_deposit(
    state: &AppState,
    sender: &DepositSender,
    event: crate::domain::EventRef,
) -> Result<bool, ExchangeError> {
    let Some(record) = state.store.case_record(event.case_id).await? else { return Ok(false) };
    let Some(deposit) = record.event(event.event_id) else { return Ok(false) };
    let received = record.attachments_of(&deposit.value).iter().any(|a| a.value.status == AttachmentStatus::Received);
    if deposit.value.status != crate::domain::EventStatus::InProgress || received {
        return Ok(false);
    }
    match events::delete_event(state, &deposit_agent(sender), event.case_id, event.event_id).await {
        Ok(()) => Ok(true),
        Err(e @ (ExchangeError::Store(_) | ExchangeError::Busy | ExchangeError::Objects(_))) => Err(e),
        Err(e) => {
            tracing::warn!(error = %e, case_id = %event.case_id, event_id = %event.event_id, "the deposit cannot be withdrawn");
            Ok(false)
        }
    }
}
