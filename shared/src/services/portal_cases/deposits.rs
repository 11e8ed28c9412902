//! Files an agent deposits on a dossier from the portal ("Déposer une pièce jointe"): inline,
//! or through an upload URL whose completion sends the deposit to the operator as an event.

use serde::Serialize;
use serde_json::json;
use uuid::Uuid;

use super::{SENT, open_for_change, require_manager};
use crate::{
    domain::AttachmentStatus,
    services::{
        ExchangeError,
        actor::Actor,
        binaries::{UploadError, UploadUrl},
        events,
        views::EventView,
    },
    state::AppState,
    store::DepositSender,
};

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
) -> Option<crate::services::FileMeta> {
    fn present(v: Option<&str>) -> Option<&str> {
        v.map(str::trim).filter(|v| !v.is_empty())
    }
    let file_name = present(file_name).filter(|n| n.chars().count() <= MAX_FILE_NAME)?;
    Some(crate::services::FileMeta {
        file_name: file_name.to_owned(),
        attachment_type: present(attachment_type).unwrap_or("PJ").chars().take(MAX_FILE_TYPE).collect(),
        size,
        mime_type: present(mime_type).unwrap_or("application/octet-stream").chars().take(MAX_MIME_TYPE).collect(),
    })
}

/// Creates a deposit's `ATTACH_DEPOSIT` event (`IN_PROGRESS`, its one file `PENDING`): the
/// event as the API shows it, its id and its file's id. `Refused` on an archived dossier.
async fn open_deposit(
    state: &AppState,
    actor: &Actor,
    case_id: Uuid,
    file: &crate::services::FileMeta,
) -> Result<(EventView, Uuid, Uuid), ExchangeError> {
    open_for_change(state, actor, case_id).await?;
    let request = json!({
        "actionType": "ATTACH_DEPOSIT",
        "notification": true,
        "attachments": [{"fileName": file.file_name, "type": file.attachment_type, "size": file.size, "mimeType": file.mime_type}],
    });
    let event =
        events::create_event(state, actor, case_id, events::NewEvent::parse("PORTAIL", &request)?, None).await?;
    let Some(file_id) = event.attachments.first().map(|a| a.id) else {
        let corrupt = crate::store::StoreError::Corrupt("an event without its file".into());
        return Err(ExchangeError::Store(corrupt));
    };
    Ok((event.clone(), event.id, file_id))
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
/// management role; `Refused` for a file the procedure refuses, a body that does not match its
/// declared size, or an archived dossier.
pub async fn deposit(
    state: &AppState,
    actor: &Actor,
    case_id: Uuid,
    file: crate::services::FileMeta,
    body: crate::ports::ByteStream,
) -> Result<EventView, UploadError> {
    require_manager(actor)?;
    let instead = format!(
        "ask for an upload URL with POST /portail/v1/cases/{case_id}/attachments/upload-url and PUT the file there"
    );
    crate::services::binaries::check_inline(state, file.size, None, &instead)?;
    let (_, event_id, file_id) = open_deposit(state, actor, case_id, &file).await?;
    let headers = crate::services::UploadHeaders { digest: None, content_length: Some(file.size) };
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
/// [`crate::services::binaries::complete_presigned`]). Any size is taken, up to what an upload URL takes.
///
/// # Errors
/// `Forbidden` without the management role; `Refused` for a file the procedure refuses, a
/// malformed digest, a file too large for an upload URL (nothing stays then), or an archived
/// dossier.
pub async fn deposit_upload_url(
    state: &AppState,
    actor: &Actor,
    case_id: Uuid,
    file: crate::services::FileMeta,
    digest: Option<&str>,
) -> Result<DepositUpload, ExchangeError> {
    require_manager(actor)?;
    let (event, event_id, file_id) = open_deposit(state, actor, case_id, &file).await?;
    let sender = DepositSender { org: actor.org.clone(), id: actor.id.clone(), name: actor.name.clone() };
    let issued = async {
        let pending =
            state.store.event_attachment(case_id, event_id, file_id).await?.ok_or(ExchangeError::AttachmentNotFound)?;
        crate::services::binaries::issue_deposit_upload_url(state, &pending.value, digest, sender).await
    }
    .await;
    match issued {
        Ok(mut upload) => {
            let mime_type = event.attachments.first().map_or(&file.mime_type, |a| &a.mime_type).clone();
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
        side: crate::services::actor::Side::Recipient,
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
    // A quarantined file came too: its deposit is sent, not withdrawn.
    let received = record
        .attachments_of(&deposit.value)
        .iter()
        .any(|a| matches!(a.value.status, AttachmentStatus::Received | AttachmentStatus::Corrupted));
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
