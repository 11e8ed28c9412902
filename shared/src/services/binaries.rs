//! Attachment binaries, whoever deposits them (a folder's operator, an event's transmitter):
//! streamed in with size and digest checks, streamed out with their metadata.

use super::{ExchangeError, refused};
use crate::{
    domain::{Attachment, AttachmentStatus, Sha256Digest},
    ports::{ByteStream, ObjectError, ObjectKey, PutCheck},
    state::AppState,
    store::{StoreError, Versioned, attachment_key, from_item},
};

/// What the upload request says about the binary, besides its bytes.
pub struct UploadHeaders<'a> {
    /// The `digest` header: base64 SHA-256, no prefix.
    pub digest: Option<&'a str>,
    pub content_length: Option<u64>,
}

/// A binary ready to stream out.
pub struct Download {
    pub file_name: String,
    pub mime_type: String,
    pub size: u64,
    pub sha256: Sha256Digest,
    pub body: ByteStream,
}

pub fn ensure_pending(a: &Attachment) -> Result<(), ExchangeError> {
    if a.status == AttachmentStatus::Pending {
        Ok(())
    } else {
        Err(refused(format!("Attachment {} is {}: its binary cannot be uploaded again", a.id, a.status)))
    }
}

/// Streams the binary of a `PENDING` attachment into the object store, checking its size and
/// digest; the attachment becomes `RECEIVED` at once. On any failed check nothing is stored and
/// the attachment stays `PENDING`, so the sender can retry.
///
/// # Errors
/// `Refused` for a size or digest mismatch, or an attachment already received.
pub async fn receive(
    state: &AppState,
    current: Versioned<Attachment>,
    headers: UploadHeaders<'_>,
    body: ByteStream,
) -> Result<(), ExchangeError> {
    ensure_pending(&current.value)?;
    let expected_digest = headers
        .digest
        .map(|d| {
            Sha256Digest::from_base64(d)
                .map_err(|_| refused(format!("Digest {d} is not a base64-encoded SHA-256 value")))
        })
        .transpose()?;
    let size_mismatch = || refused("Size does not match with attachment meta-data");
    if headers.content_length.is_some_and(|l| l != current.value.size) {
        return Err(size_mismatch());
    }

    // A fresh key per upload: two concurrent uploads of one attachment never overwrite each
    // other's bytes, and the loser's object is removed below. Generated ids only.
    let a = &current.value;
    let mut segments = match a.event {
        None => vec!["folders".to_owned(), a.folder_id.to_string()],
        Some(e) => vec!["cases".to_owned(), e.case_id.to_string(), "events".to_owned(), e.event_id.to_string()],
    };
    segments.extend([a.id.to_string(), state.ids.new_id().to_string()]);
    let key = ObjectKey::new(segments).map_err(ExchangeError::Objects)?;
    // Downloads answer the declared MIME type, whatever the upload's Content-Type said.
    let check = PutCheck { size: Some(a.size), sha256: expected_digest };
    let info = match state.objects.put(&key, &a.mime_type, body, check).await {
        Ok(info) => info,
        Err(ObjectError::SizeMismatch { .. }) => return Err(size_mismatch()),
        Err(ObjectError::DigestMismatch { expected, .. }) => {
            return Err(refused(format!("Digest {expected} does not match with the SHA-256 of the uploaded binary")));
        }
        Err(ObjectError::Body(e)) => return Err(refused(format!("The upload was interrupted: {e}"))),
        Err(e) => return Err(ExchangeError::Objects(e)),
    };

    let mut read = current;
    for _ in 0..super::RETRIES {
        if let Err(e) = ensure_pending(&read.value) {
            discard(state, &key).await;
            return Err(e);
        }
        let mut received = read.value.clone();
        received.status = AttachmentStatus::Received;
        received.sha256 = Some(info.sha256);
        received.object_key = Some(key.to_string());
        received.received_date_time = Some(state.clock.now());
        match state.store.update_attachment(&received, read.version).await {
            Ok(()) => {
                tracing::info!(attachment_id = %received.id, size = info.size, "attachment received");
                return Ok(());
            }
            Err(StoreError::Conflict) => {
                let item = state.store.table().get(&attachment_key(&read.value)).await.map_err(StoreError::from)?;
                read = from_item(item.ok_or(ExchangeError::AttachmentNotFound)?)?;
            }
            Err(e) => {
                discard(state, &key).await;
                return Err(e.into());
            }
        }
    }
    discard(state, &key).await;
    Err(ExchangeError::Busy)
}

/// Opens a received attachment's binary.
///
/// # Errors
/// `FileNotFound` when it is not received (or was purged).
pub async fn open(state: &AppState, a: &Attachment) -> Result<Download, ExchangeError> {
    let key = match (&a.status, &a.object_key) {
        (AttachmentStatus::Received, Some(k)) => ObjectKey::parse(k).map_err(ExchangeError::Objects)?,
        _ => return Err(ExchangeError::FileNotFound),
    };
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

/// Removes an object nobody refers to; a failure is logged, not raised (the object is only
/// wasted space).
pub async fn discard(state: &AppState, key: &ObjectKey) {
    if let Err(e) = state.objects.delete(key).await {
        tracing::warn!(error = %e, %key, "could not remove an unused object");
    }
}

/// Removes the stored binaries of attachments whose metadata was deleted.
pub async fn discard_all(state: &AppState, attachments: Vec<&Attachment>) {
    let keys: Vec<String> = attachments.iter().filter_map(|a| a.object_key.clone()).collect();
    for key in keys {
        match ObjectKey::parse(&key) {
            Ok(k) => discard(state, &k).await,
            Err(e) => tracing::warn!(error = %e, "stored object key is invalid"),
        }
    }
}
