//! Binaries out: a received attachment's, streamed with its metadata or above what a response
//! of the deployment carries through a presigned download URL; a zip archive likewise.
//! `Config::inline_limit` decides. A quarantined binary is never given out.

use std::time::Duration;

use super::{ARCHIVE_PREFIX, DOWNLOAD_URL_MINUTES, Delivery, Download, ExchangeError, Redirect};
use crate::{
    domain::{Attachment, AttachmentStatus},
    ports::{ObjectError, ObjectInfo, ObjectKey, PutCheck},
    services::portal_cases::Archive,
    state::AppState,
};

/// Whether an attachment's binary may be given out: received and its antivirus verdict in.
///
/// # Errors
/// `Quarantined` when `CORRUPTED`, `VerdictAwaited` while scanning, `FileNotFound` when not
/// received.
pub fn ensure_servable(a: &Attachment) -> Result<(), ExchangeError> {
    match a.status {
        AttachmentStatus::Received if a.scanning => Err(ExchangeError::VerdictAwaited(a.id)),
        AttachmentStatus::Received => Ok(()),
        AttachmentStatus::Corrupted => Err(ExchangeError::Quarantined(a.id)),
        _ => Err(ExchangeError::FileNotFound),
    }
}

/// The object of a servable attachment ([`ensure_servable`]).
fn received_key(a: &Attachment) -> Result<ObjectKey, ExchangeError> {
    ensure_servable(a)?;
    let key = a.object_key.as_deref().ok_or(ExchangeError::FileNotFound)?;
    ObjectKey::parse(key).map_err(ExchangeError::Objects)
}

/// Opens a received attachment's binary.
///
/// # Errors
/// `FileNotFound` when it is not received (or was purged), `Quarantined` when `CORRUPTED`.
pub async fn open(state: &AppState, a: &Attachment) -> Result<Download, ExchangeError> {
    let key = received_key(a)?;
    let object = match state.objects.get(&key, None).await {
        Ok(o) => o,
        Err(ObjectError::NotFound) => return Err(ExchangeError::FileNotFound),
        Err(e) => return Err(ExchangeError::Objects(e)),
    };
    Ok(Download {
        file_name: a.file_name.clone(),
        mime_type: a.mime_type.clone(),
        size: object.info.size,
        sha256: object.info.sha256,
        body: object.body,
    })
}

/// A received attachment's binary as this deployment delivers it: streamed, or above
/// `Config::inline_limit` a presigned GET valid [`DOWNLOAD_URL_MINUTES`].
///
/// # Errors
/// `FileNotFound` when it is not received (or was purged), `Quarantined` when `CORRUPTED`.
pub async fn deliver(state: &AppState, a: &Attachment) -> Result<Delivery, ExchangeError> {
    if state.config.inline_limit.is_none_or(|limit| a.size <= limit) {
        return open(state, a).await.map(Delivery::File);
    }
    let key = received_key(a)?;
    let info = match state.objects.head(&key).await {
        Ok(info) => info,
        Err(ObjectError::NotFound) => return Err(ExchangeError::FileNotFound),
        Err(e) => return Err(ExchangeError::Objects(e)),
    };
    redirect(state, &key, a.file_name.clone(), &info).await
}

/// A zip archive as this deployment delivers it: streamed, or, when responses are limited
/// (its size is known only once written), streamed into the object store under
/// `archives/<uuid>` and delivered by a presigned GET. A failure while writing it stores nothing.
///
/// # Errors
/// When the archive cannot be written or stored.
pub async fn deliver_archive(state: &AppState, archive: Archive) -> Result<Delivery, ExchangeError> {
    if state.config.inline_limit.is_none() {
        return Ok(Delivery::Archive(archive));
    }
    let key =
        ObjectKey::new([ARCHIVE_PREFIX.to_owned(), state.ids.new_id().to_string()]).map_err(ExchangeError::Objects)?;
    let info = state
        .objects
        .put(&key, "application/zip", archive.body, PutCheck::default())
        .await
        .map_err(ExchangeError::Objects)?;
    tracing::info!(%key, size = info.size, "archive stored for a presigned download");
    redirect(state, &key, archive.file_name, &info).await
}

async fn redirect(
    state: &AppState,
    key: &ObjectKey,
    file_name: String,
    info: &ObjectInfo,
) -> Result<Delivery, ExchangeError> {
    let expires_at = state.clock.now() + chrono::Duration::minutes(DOWNLOAD_URL_MINUTES);
    let validity = Duration::from_secs(60 * DOWNLOAD_URL_MINUTES.unsigned_abs());
    // The file's name travels with the URL, as a direct download's Content-Disposition.
    let disposition = crate::domain::attachment_disposition(&file_name);
    let url = state.objects.presign_download(key, &disposition, validity).await.map_err(ExchangeError::Objects)?;
    Ok(Delivery::Redirect(Redirect { url, expires_at, file_name, size: info.size, sha256: info.sha256 }))
}
