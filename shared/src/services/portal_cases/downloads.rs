//! What an agent downloads from the portal: one received file, every file of a dossier, or
//! several dossiers as one zip — each download recorded in the dossier's history, the first one
//! confirming the reception of a new dossier, the one completing the set starting its processing.

use serde_json::json;
use uuid::Uuid;

use super::{Action, MAX_BULK, require_manager};
use crate::{
    domain::CaseStatus,
    services::{ExchangeError, actor::Actor, binaries::Delivery, cases, events, refused},
    state::AppState,
};

/// Every file of a dossier: its folder attachments, then the files of the events.
pub(super) fn case_files(access: &cases::CaseAccess) -> impl Iterator<Item = &crate::domain::Attachment> {
    let case = access.case();
    let folder_files = access.folder_attachments.iter().map(|a| &a.value).filter(move |a| a.is_for_case(case.id));
    let event_files = access.record.event_attachments.iter().map(|a| &a.value);
    folder_files.chain(event_files)
}

/// Every received file of a dossier (what a zip holds: never a quarantined one).
fn received_files(access: &cases::CaseAccess) -> Vec<&crate::domain::Attachment> {
    case_files(access).filter(|a| a.status == crate::domain::AttachmentStatus::Received).collect()
}

/// Records a download as an event for the operator (not notified), with the guide's rule for
/// every way of downloading: a new dossier's reception is confirmed first (notified, as
/// "Confirmer la réception" does), and the dossier moves to "En cours" once every file was taken
/// (all at once, or one by one) when the workflow allows it.
async fn record_download(
    state: &AppState,
    actor: &Actor,
    access: &cases::CaseAccess,
    action: crate::domain::ActionType,
    message: String,
) -> Result<(), ExchangeError> {
    let mut status = access.case().status;
    if Action::ConfirmReception.allowed_from(status) {
        status = super::act(state, actor, access.case().id, Action::ConfirmReception, None).await?;
    }
    let every_file = action == crate::domain::ActionType::AttachDlAll || {
        let own = actor.org.key();
        let mut taken: std::collections::HashSet<&str> = access
            .record
            .events
            .iter()
            .map(|e| &e.value)
            .filter(|e| e.action_type == crate::domain::ActionType::AttachDl && e.transmitter.key() == own)
            .filter_map(|e| e.message.as_deref())
            .collect();
        taken.insert(&message);
        // What the operator sent (the agents' own deposits are theirs already).
        let case = access.case();
        let folder_files = access.folder_attachments.iter().map(|a| &a.value).filter(|a| a.is_for_case(case.id));
        let operator_events = access.record.events.iter().map(|e| &e.value).filter(|e| e.transmitter.key() != own);
        let event_files = operator_events.flat_map(|e| access.record.attachments_of(e)).map(|a| &a.value);
        folder_files
            .chain(event_files)
            .filter(|a| a.status == crate::domain::AttachmentStatus::Received)
            .all(|f| taken.contains(f.file_name.as_str()))
    };
    let start = every_file && Action::StartProcessing.allowed_from(status);
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

/// A received file of a dossier the actor manages, with the dossier.
async fn managed_file(
    state: &AppState,
    actor: &Actor,
    case_id: Uuid,
    attachment_id: Uuid,
) -> Result<(cases::CaseAccess, crate::domain::Attachment), ExchangeError> {
    require_manager(actor)?;
    let access = cases::access(state, actor, case_id).await?;
    let file = case_files(&access).find(|a| a.id == attachment_id).cloned().ok_or(ExchangeError::FileNotFound)?;
    crate::services::binaries::ensure_servable(&file)?;
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
) -> Result<crate::services::Download, ExchangeError> {
    let (access, file) = managed_file(state, actor, case_id, attachment_id).await?;
    let download = crate::services::binaries::open(state, &file).await?;
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
    let delivery = crate::services::binaries::deliver(state, &file).await?;
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
) -> Vec<crate::services::archive::ArchiveEntry> {
    files
        .iter()
        .filter_map(|a| {
            let key = crate::ports::ObjectKey::parse(a.object_key.as_deref()?).ok()?;
            Some(crate::services::archive::ArchiveEntry {
                path: crate::services::archive::entry_path(taken, dir, &a.file_name),
                key,
                size: a.size,
                sha256: a.sha256?,
                received: a.received_date_time,
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
    // A zip never lacks a file silently: one still being scanned makes the agent retry.
    if let Some(scanning) = accesses.iter().flat_map(|a| received_files(a)).find(|a| a.scanning) {
        return Err(ExchangeError::VerdictAwaited(scanning.id));
    }
    for access in &accesses {
        // A folder per dossier, named by its number (numbers may repeat across operators).
        let dir = (ids.len() > 1).then(|| {
            let number = crate::services::archive::safe_name(&access.case().external_id);
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
        [one] => format!("{}.zip", crate::services::archive::safe_name(&one.case().external_id)),
        _ => format!("teledossiers-{}.zip", state.clock.now().format("%Y%m%d-%H%M%S")),
    };
    Ok(Archive { file_name, body: crate::services::archive::stream(state.clone(), entries) })
}

/// [`download_all`] as this deployment delivers it: streamed, or, when its responses are limited,
/// stored then delivered by a presigned GET (see [`crate::services::binaries::deliver_archive`]).
///
/// # Errors
/// As for [`download_all`].
pub async fn deliver_all(state: &AppState, actor: &Actor, case_id: Uuid) -> Result<Delivery, ExchangeError> {
    crate::services::binaries::deliver_archive(state, download_all(state, actor, case_id).await?).await
}

/// [`download_many`] as this deployment delivers it (see [`deliver_all`]).
///
/// # Errors
/// As for [`download_many`].
pub async fn deliver_many(state: &AppState, actor: &Actor, ids: &[Uuid]) -> Result<Delivery, ExchangeError> {
    crate::services::binaries::deliver_archive(state, download_many(state, actor, ids).await?).await
}
