//! Attachment binaries, whoever deposits them (a folder's operator, an event's transmitter).
//!
//! In: streamed through the API with size and digest checks ([`receive`]), or, for binaries a
//! request of the deployment cannot carry, put to a presigned upload URL ([`issue_upload_url`])
//! then checked once stored ([`complete_presigned`]); both end in the same record of the binary.
//! Out: streamed with their metadata, or through a presigned download URL above what a response
//! of the deployment carries ([`deliver`], [`deliver_archive`]). `Config::inline_limit` decides,
//! here and nowhere else.
//!
//! Scanned: every binary goes through `AppState::scanner` when there is one (docs/ANTIVIRUS.md).
//! A direct upload feeds the antivirus as it streams into the object store ([`put_scanned`]: one
//! pass, memory flat); a presigned upload is read once more to scan it. Infected, the attachment
//! is `CORRUPTED` and its binary quarantined (kept for retention, never served); the antivirus
//! unavailable, the upload answers `ScannerUnavailable` (503) and nothing is stored. Where the
//! object store scans (`Config::verdicts_later`, GuardDuty), a received binary is `scanning`
//! until its verdict event is recorded ([`record_verdict`]).

use std::{collections::BTreeMap, time::Duration};

use chrono::{DateTime, Utc};
use serde::Serialize;
use uuid::Uuid;

mod out;
mod scan;
mod verdict;

pub use out::{deliver, deliver_archive, ensure_servable, open};

pub use verdict::{VerdictRecord, record_verdict};

use scan::{put_scanned, quarantine_log_writes, scan_stored, scanner_down};

use super::{ExchangeError, portal_cases::Archive, refused};
use crate::{
    domain::{Attachment, AttachmentStatus, Sha256Digest, format_time},
    ports::{ByteStream, ObjectError, ObjectInfo, ObjectKey, PRESIGNED_PUT_HEADER, PresignMethod, PutCheck, Verdict},
    state::AppState,
    store::{DepositSender, PendingUpload, StoreError, Versioned},
};

/// How long an upload URL is valid.
pub const UPLOAD_URL_MINUTES: i64 = 15;
/// How long a download URL (a `303 See Other`'s `Location`) is valid.
pub const DOWNLOAD_URL_MINUTES: i64 = 5;
/// The largest binary one upload URL takes (S3's largest single `PutObject`).
pub const MAX_PRESIGNED_UPLOAD: u64 = 5 << 30;
/// Where zip archives too large for a response are written, under a fresh id each.
pub const ARCHIVE_PREFIX: &str = "archives";

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

/// How a binary reaches the client.
pub enum Delivery {
    /// Streamed in the response.
    File(Download),
    /// A zip archive streamed in the response.
    Archive(Archive),
    /// Larger than a response of this deployment carries: `303 See Other` to a presigned GET.
    Redirect(Redirect),
}

/// Where to fetch a binary, for a limited time.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Redirect {
    pub url: String,
    pub expires_at: DateTime<Utc>,
    pub file_name: String,
    pub size: u64,
    pub sha256: Sha256Digest,
}

/// An upload URL, as the `upload-url` routes answer it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct UploadUrl {
    pub url: String,
    pub method: &'static str,
    /// The headers to send with the `PUT`: [`PRESIGNED_PUT_HEADER`] (the URL only creates the
    /// object), and for a portal deposit its `Content-Type`.
    pub headers: BTreeMap<&'static str, String>,
    /// RFC 3339, as the contract writes dates.
    pub expires_at: String,
    /// The declared size: the object must be exactly that long.
    pub max_size: u64,
}

/// Why an upload through the API was not taken.
#[derive(Debug, thiserror::Error)]
pub enum UploadError {
    /// Larger than a request to this deployment carries; the message says how to proceed.
    #[error("{0}")]
    TooLarge(String),
    #[error(transparent)]
    Exchange(#[from] ExchangeError),
}

/// What became of an object stored through an upload URL.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Completion {
    /// Its attachment is `RECEIVED`, with this object.
    Received,
    /// The antivirus found this signature in it: its attachment is `CORRUPTED`, the object
    /// quarantined.
    Quarantined(String),
    /// It already was (the same storage event delivered again): nothing changed.
    AlreadyReceived,
    /// Refused (its size or digest, or an attachment gone or received meanwhile): the object is
    /// deleted and the attachment left as it was.
    Rejected(String),
    /// No upload URL was issued for this key (a direct upload's object, an archive), or the
    /// object is gone: nothing to do.
    Ignored,
}

pub fn ensure_pending(a: &Attachment) -> Result<(), ExchangeError> {
    if a.status == AttachmentStatus::Pending {
        Ok(())
    } else {
        Err(refused(format!("Attachment {} is {}: its binary cannot be uploaded again", a.id, a.status)))
    }
}

fn parse_digest(digest: Option<&str>) -> Result<Option<Sha256Digest>, ExchangeError> {
    digest
        .map(|d| {
            Sha256Digest::from_base64(d)
                .map_err(|_| refused(format!("Digest {d} is not a base64-encoded SHA-256 value")))
        })
        .transpose()
}

/// A fresh key for one upload of `a`, and the upload's id (its last segment): two uploads of
/// one attachment never share an object. Generated ids only, never user input.
fn fresh_key(state: &AppState, a: &Attachment) -> Result<(ObjectKey, Uuid), ExchangeError> {
    let upload = state.ids.new_id();
    let mut segments = match a.event {
        None => vec!["folders".to_owned(), a.folder_id.to_string()],
        Some(e) => vec!["cases".to_owned(), e.case_id.to_string(), "events".to_owned(), e.event_id.to_string()],
    };
    segments.extend([a.id.to_string(), upload.to_string()]);
    Ok((ObjectKey::new(segments).map_err(ExchangeError::Objects)?, upload))
}

/// The route that issues upload URLs for `a`.
fn upload_url_route(a: &Attachment) -> String {
    match a.event {
        None => format!("/teledossiers/v1/folders/{}/attachments/{}/upload-url", a.folder_id, a.id),
        Some(e) => {
            format!("/teledossiers/v1/cases/{}/events/{}/attachments/{}/upload-url", e.case_id, e.event_id, a.id)
        }
    }
}

/// Refuses, before any byte is read, an upload through the API larger than this deployment's
/// requests carry (`Config::inline_limit`): its declared size or its `Content-Length`.
/// `instead` says how to proceed.
///
/// # Errors
/// `TooLarge`.
pub fn check_inline(
    state: &AppState,
    declared: u64,
    content_length: Option<u64>,
    instead: &str,
) -> Result<(), UploadError> {
    let Some(limit) = state.config.inline_limit else { return Ok(()) };
    let size = declared.max(content_length.unwrap_or(0));
    if size <= limit {
        return Ok(());
    }
    Err(UploadError::TooLarge(format!(
        "The binary ({size} bytes) is larger than the {limit} bytes a request to this API carries: {instead}"
    )))
}

/// Streams the binary of a `PENDING` attachment into the object store, checking its size and
/// digest; the attachment becomes `RECEIVED` at once. On any failed check nothing is stored and
/// the attachment stays `PENDING`, so the sender can retry.
///
/// # Errors
/// `TooLarge` above the deployment's inline limit; `Refused` for a size or digest mismatch, or an
/// attachment already received.
pub async fn receive(
    state: &AppState,
    current: Versioned<Attachment>,
    headers: UploadHeaders<'_>,
    body: ByteStream,
) -> Result<(), UploadError> {
    let a = &current.value;
    ensure_pending(a)?;
    let instead = format!("request an upload URL with POST {} and PUT the binary there", upload_url_route(a));
    check_inline(state, a.size, headers.content_length, &instead)?;
    let expected_digest = parse_digest(headers.digest)?;
    let size_mismatch = || refused("Size does not match with attachment meta-data");
    if headers.content_length.is_some_and(|l| l != a.size) {
        return Err(size_mismatch().into());
    }

    // The loser of two concurrent uploads has its object removed below.
    let (key, _) = fresh_key(state, a)?;
    // Downloads answer the declared MIME type, whatever the upload's Content-Type said.
    let check = PutCheck { size: Some(a.size), sha256: expected_digest };
    let (stored, verdict) = put_scanned(state, &key, &a.mime_type, body, check).await;
    let client_error = matches!(stored, Err(ObjectError::SizeMismatch { .. } | ObjectError::DigestMismatch { .. }));
    if let Some(Verdict::Unavailable { reason }) = &verdict
        && !client_error
    {
        if stored.is_ok() {
            discard(state, &key).await;
        }
        return Err(scanner_down(a.id, reason).into());
    }
    let info = match stored {
        Ok(info) => info,
        Err(ObjectError::SizeMismatch { .. }) => return Err(size_mismatch().into()),
        Err(ObjectError::DigestMismatch { expected, .. }) => {
            return Err(
                refused(format!("Digest {expected} does not match with the SHA-256 of the uploaded binary")).into()
            );
        }
        Err(ObjectError::Body(e)) => return Err(refused(format!("The upload was interrupted: {e}")).into()),
        Err(e) => return Err(ExchangeError::Objects(e).into()),
    };
    let virus = match verdict {
        Some(Verdict::Infected { signature }) => Some(signature),
        _ => None,
    };
    if let Err(e) = mark_received(state, current, &key, &info, virus.as_deref()).await {
        discard(state, &key).await;
        return Err(e.into());
    }
    Ok(())
}

/// Records a stored and checked binary on its attachment: `RECEIVED`, with its digest, object
/// key and date — the one tail of both upload paths, retried on concurrent changes. Nothing is
/// written when the attachment already holds this object (a storage event delivered twice).
///
/// With `virus` (the signature the antivirus found), `CORRUPTED` instead: the object stays under
/// its key, quarantined (never served, purged by retention), and each case the file belongs to
/// records it in its history, in the same transaction.
///
/// # Errors
/// `Refused` when the attachment was received meanwhile with another object,
/// `AttachmentNotFound` when it was deleted, `Busy`, or a store failure; the caller decides
/// what becomes of the object.
async fn mark_received(
    state: &AppState,
    current: Versioned<Attachment>,
    key: &ObjectKey,
    info: &ObjectInfo,
    virus: Option<&str>,
) -> Result<(), ExchangeError> {
    // Not `optimistic`: a clean binary's one write is a plain conditional put, not a transaction
    // (half the write units on DynamoDB, twice per dossier), which the helper's commit would make it.
    let mut read = current;
    for _ in 0..super::RETRIES {
        if read.value.object_key.as_deref() == Some(key.as_str()) {
            return Ok(());
        }
        ensure_pending(&read.value)?;
        let now = state.clock.now();
        let mut received = read.value.clone();
        received.status = if virus.is_some() { AttachmentStatus::Corrupted } else { AttachmentStatus::Received };
        received.sha256 = Some(info.sha256);
        received.object_key = Some(key.to_string());
        received.received_date_time = Some(now);
        received.virus = virus.map(str::to_owned);
        // GuardDuty scans the object now that it is stored: its verdict comes as an event.
        received.scanning = virus.is_none() && state.config.verdicts_later;
        let written = match virus {
            None => state.store.update_attachment(&received, read.version).await,
            Some(signature) => {
                let mut writes = vec![state.store.update_attachment_write(&received, read.version)?];
                writes.extend(quarantine_log_writes(state, &received, signature, now)?);
                state.store.commit(writes).await
            }
        };
        match written {
            Ok(()) => {
                match virus {
                    None => tracing::info!(
                        attachment_id = %received.id,
                        size = info.size,
                        scanning = received.scanning,
                        "attachment received"
                    ),
                    Some(signature) => tracing::warn!(
                        metric = "AntivirusInfected",
                        attachment_id = %received.id,
                        folder_id = %received.folder_id,
                        signature,
                        "antivirus found a virus: attachment CORRUPTED, its binary quarantined"
                    ),
                }
                return Ok(());
            }
            Err(StoreError::Conflict) => {
                read = state.store.current_attachment(&read.value).await?.ok_or(ExchangeError::AttachmentNotFound)?;
            }
            Err(e) => return Err(e.into()),
        }
    }
    Err(ExchangeError::Busy)
}

/// Issues a presigned PUT URL, valid [`UPLOAD_URL_MINUTES`], for the binary of a `PENDING`
/// attachment, under a fresh key recorded first so that only that key completes it
/// ([`complete_presigned`]). `digest` (base64 SHA-256), when given, is checked then.
///
/// # Errors
/// `Refused` for an attachment already received, a malformed digest, or a binary larger than
/// [`MAX_PRESIGNED_UPLOAD`].
pub async fn issue_upload_url(
    state: &AppState,
    a: &Attachment,
    digest: Option<&str>,
) -> Result<UploadUrl, ExchangeError> {
    issue(state, a, digest, None).await
}

/// [`issue_upload_url`] for the file of a portal deposit: once the file is received, its
/// `ATTACH_DEPOSIT` event is sent as `sender`; if it is refused, the event is withdrawn (see
/// [`complete_presigned`]).
///
/// # Errors
/// As for [`issue_upload_url`].
pub(crate) async fn issue_deposit_upload_url(
    state: &AppState,
    a: &Attachment,
    digest: Option<&str>,
    sender: DepositSender,
) -> Result<UploadUrl, ExchangeError> {
    issue(state, a, digest, Some(sender)).await
}

async fn issue(
    state: &AppState,
    a: &Attachment,
    digest: Option<&str>,
    deposit: Option<DepositSender>,
) -> Result<UploadUrl, ExchangeError> {
    ensure_pending(a)?;
    let sha256 = parse_digest(digest)?;
    if a.size > MAX_PRESIGNED_UPLOAD {
        return Err(refused(format!(
            "Attachment {} ({} bytes) is larger than the {MAX_PRESIGNED_UPLOAD} bytes an upload URL takes",
            a.id, a.size
        )));
    }
    let (key, id) = fresh_key(state, a)?;
    let expires_at = state.clock.now() + chrono::Duration::minutes(UPLOAD_URL_MINUTES);
    let upload = PendingUpload {
        id,
        object_key: key.to_string(),
        folder_id: a.folder_id,
        attachment_id: a.id,
        event: a.event,
        sha256,
        expires_at,
        deposit,
    };
    state.store.create_pending_upload(&upload).await?;
    let validity = Duration::from_secs(60 * UPLOAD_URL_MINUTES.unsigned_abs());
    let method = PresignMethod::Put { size: a.size };
    let url = state.objects.presign(&key, method, validity).await.map_err(ExchangeError::Objects)?;
    tracing::info!(attachment_id = %a.id, upload_id = %id, "upload URL issued");
    // The URL's signature covers both: a PUT without them, or of another length, is refused.
    let headers = BTreeMap::from([
        (PRESIGNED_PUT_HEADER.0, PRESIGNED_PUT_HEADER.1.to_owned()),
        ("Content-Length", a.size.to_string()),
    ]);
    Ok(UploadUrl { url, method: "PUT", headers, expires_at: format_time(expires_at), max_size: a.size })
}

/// The upload URL issued for this object key, if any.
async fn pending_upload_for(state: &AppState, key: &str) -> Result<Option<PendingUpload>, ExchangeError> {
    let id = key.rsplit('/').next().and_then(|last| last.parse::<Uuid>().ok());
    let Some(id) = id.filter(|_| ObjectKey::parse(key).is_ok()) else { return Ok(None) };
    Ok(state.store.pending_upload(id).await?.filter(|u| u.object_key == key))
}

/// Deletes a refused object and says why, once, in the log.
async fn reject(state: &AppState, key: &ObjectKey, attachment_id: Uuid, reason: String) -> Completion {
    tracing::warn!(%key, %attachment_id, reason = %reason, "presigned upload refused: object deleted");
    discard(state, key).await;
    Completion::Rejected(reason)
}

/// Completes an upload made to a presigned URL once its object is stored (S3's `ObjectCreated`
/// event on AWS, the local hub's `/objects/` route locally): finds the attachment the key was
/// issued for, reads the object through to check its size and SHA-256 against the declared size
/// and the announced digest, and records it as a direct upload does. A refused object is
/// deleted and its attachment stays `PENDING` (a new upload URL may be asked for). Idempotent:
/// storage events are delivered at least once.
///
/// The file of a portal deposit completes the deposit as its direct upload does: received, the
/// deposit's event is sent (retried with the storage event until it is); refused, the event is
/// withdrawn.
///
/// # Errors
/// When the store or the object store fails: the object is kept, so that a retry completes it.
pub async fn complete_presigned(state: &AppState, key: &str) -> Result<Completion, ExchangeError> {
    let Some(upload) = pending_upload_for(state, key).await? else {
        tracing::info!(key, "no upload URL was issued for this object: ignored");
        return Ok(Completion::Ignored);
    };
    let completion = complete_object(state, &upload, key).await?;
    if let (Some(sender), Some(event)) = (&upload.deposit, upload.event) {
        match &completion {
            // A quarantined file is sent too: the deposit lists it, rejected by the antivirus.
            Completion::Received | Completion::AlreadyReceived | Completion::Quarantined(_) => {
                super::portal_cases::send_deposit(state, sender, event).await?;
            }
            Completion::Rejected(_) => super::portal_cases::withdraw_deposit(state, sender, event).await,
            Completion::Ignored => {}
        }
    }
    Ok(completion)
}

/// What [`settle_deposit_uploads`] did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct DepositSettling {
    /// Upload URLs of portal deposits settled (forgotten): their deposit sent, refused, or…
    pub settled: usize,
    /// …withdrawn here, its file never having come.
    pub withdrawn: usize,
    /// Whether `limit` was reached: more may be due already.
    pub more: bool,
}

/// Settles the upload URLs of portal deposits once their upload has had every chance
/// ([`PendingUpload::settled_by`], a day past the URL's expiry): a deposit whose file never came
/// — the agent closed the page, the `PUT` failed — is withdrawn as a refused one is, so that
/// no deposit stays `IN_PROGRESS` for ever; then the URL is forgotten. At most `limit`, earliest
/// first; run by the retention job.
///
/// # Errors
/// When the store fails or is busy: what was settled stays settled, the rest is due again at
/// the next run.
pub async fn settle_deposit_uploads(state: &AppState, limit: usize) -> Result<DepositSettling, ExchangeError> {
    let now = state.clock.now();
    let due = state.store.deposit_uploads_due(now, limit).await?;
    let mut done = DepositSettling { more: limit > 0 && due.len() >= limit, ..DepositSettling::default() };
    for listed in due {
        // The index may lag behind the table: act on the URL as it is now.
        let Some(upload) = state.store.pending_upload(listed.id).await? else { continue };
        if let (Some(sender), Some(event)) = (&upload.deposit, upload.event)
            && super::portal_cases::withdraw_unfinished_deposit(state, sender, event).await?
        {
            tracing::info!(case_id = %event.case_id, event_id = %event.event_id, "deposit withdrawn: its file never came");
            done.withdrawn += 1;
        }
        state.store.delete_pending_upload(upload.id).await?;
        done.settled += 1;
    }
    Ok(done)
}

/// Checks and records the object an upload URL was issued for (see [`complete_presigned`]).
async fn complete_object(state: &AppState, upload: &PendingUpload, key: &str) -> Result<Completion, ExchangeError> {
    let object = ObjectKey::parse(key).map_err(ExchangeError::Objects)?;
    let current = match upload.event {
        None => state.store.attachment(upload.folder_id, upload.attachment_id).await?,
        Some(e) => state.store.event_attachment(e.case_id, e.event_id, upload.attachment_id).await?,
    };
    let Some(current) = current else {
        return Ok(reject(state, &object, upload.attachment_id, "its attachment was deleted".into()).await);
    };
    let a = &current.value;
    if a.object_key.as_deref() == Some(key) {
        return Ok(Completion::AlreadyReceived);
    }
    if let Err(ExchangeError::Refused(why)) = ensure_pending(a) {
        return Ok(reject(state, &object, a.id, why.join(" ")).await);
    }
    let gone = || {
        tracing::info!(key, "the object is gone (refused before): ignored");
        Ok(Completion::Ignored)
    };
    let check = PutCheck { size: Some(a.size), sha256: upload.sha256 };
    let checked = match state.objects.seal(&object, &a.mime_type, check).await {
        Ok(info) => info,
        Err(ObjectError::NotFound) => return gone(),
        Err(ObjectError::SizeMismatch { expected, actual }) => {
            let reason = if actual > expected {
                format!("more than the {expected} bytes declared")
            } else {
                format!("{actual} bytes where {expected} were declared")
            };
            return Ok(reject(state, &object, a.id, reason).await);
        }
        Err(ObjectError::DigestMismatch { expected, actual }) => {
            let reason = format!("digest {expected} does not match with the SHA-256 {actual} of the uploaded binary");
            return Ok(reject(state, &object, a.id, reason).await);
        }
        Err(e) => return Err(ExchangeError::Objects(e)),
    };
    let attachment_id = a.id;
    let virus = match scan_stored(state, &object, attachment_id).await {
        Ok(virus) => virus,
        Err(ExchangeError::Objects(ObjectError::NotFound)) => return gone(),
        Err(e @ ExchangeError::ScannerUnavailable(_)) => {
            // Nothing unscanned is kept: the upload is to be made again (the URL, create-only,
            // takes it while valid; else a new one is asked for).
            discard(state, &object).await;
            return Err(e);
        }
        Err(e) => return Err(e),
    };
    match mark_received(state, current, &object, &checked, virus.as_deref()).await {
        Ok(()) => Ok(virus.map_or(Completion::Received, Completion::Quarantined)),
        Err(ExchangeError::Refused(why)) => Ok(reject(state, &object, attachment_id, why.join(" ")).await),
        Err(ExchangeError::AttachmentNotFound) => {
            Ok(reject(state, &object, attachment_id, "its attachment was deleted".into()).await)
        }
        Err(e) => Err(e),
    }
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
