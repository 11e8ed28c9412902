//! Scanning binaries as they arrive (docs/ANTIVIRUS.md): a direct upload feeds the antivirus as
//! it streams into the object store, a presigned upload is read once more; what an infected
//! binary leaves in its dossiers' history.

use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::ExchangeError;
use crate::{
    domain::{Attachment, LogEntry, LogKind},
    ports::{ByteStream, ObjectError, ObjectInfo, ObjectKey, PutCheck, Verdict},
    state::AppState,
    store::StoreError,
};

/// Streams `body` into the object store and, when the hub scans, into the antivirus at the
/// same time: each chunk is handed to both, through a channel of a few chunks (memory stays
/// flat; the slower of the two sets the pace). The verdict is known when the put returns. A
/// scanner that stops reading (down, or the binary above what it takes) fails the put: nothing
/// is stored then.
pub(super) async fn put_scanned(
    state: &AppState,
    key: &ObjectKey,
    content_type: &str,
    body: ByteStream,
    check: PutCheck,
) -> (Result<ObjectInfo, ObjectError>, Option<Verdict>) {
    use futures::StreamExt;

    let Some(scanner) = &state.scanner else {
        return (state.objects.put(key, content_type, body, check).await, None);
    };
    let (to_scanner, from_upload) = tokio::sync::mpsc::channel::<bytes::Bytes>(4);
    // Each chunk goes to the scanner before the store takes it; the sender is dropped with the
    // stream, which ends the scanner's body.
    let tee = futures::stream::unfold((body, Some(to_scanner)), |(mut body, to_scanner)| async move {
        let item = body.next().await?;
        match (&item, to_scanner) {
            (Ok(chunk), Some(sender)) => {
                if sender.send(chunk.clone()).await.is_err() {
                    let stopped = std::io::Error::other("the antivirus stopped reading the binary");
                    return Some((Err(stopped), (body, None)));
                }
                Some((item, (body, Some(sender))))
            }
            // A failed body: the scanner's stream ends short, its verdict is discarded.
            (_, _) => Some((item, (body, None))),
        }
    });
    let scanned = futures::stream::unfold(from_upload, |mut from_upload| async move {
        from_upload.recv().await.map(|chunk| (Ok::<_, std::io::Error>(chunk), from_upload))
    });
    let (stored, verdict) =
        tokio::join!(state.objects.put(key, content_type, Box::pin(tee), check), scanner.scan(Box::pin(scanned)));
    (stored, Some(verdict))
}

/// The antivirus could not tell: said in the log, in the words an alarm's metric filter looks
/// for (docs/ANTIVIRUS.md), and the error the upload answers (503).
pub(super) fn scanner_down(attachment_id: Uuid, reason: &str) -> ExchangeError {
    tracing::error!(
        metric = "AntivirusUnavailable",
        %attachment_id,
        reason,
        "antivirus unavailable: the binary was not stored"
    );
    ExchangeError::ScannerUnavailable(reason.to_owned())
}

/// Scans a stored object (a presigned upload's, which the hub did not see stream): `None` when
/// the hub does not scan.
///
/// # Errors
/// `ScannerUnavailable` (the caller removes the object), or the object store's.
pub(super) async fn scan_stored(
    state: &AppState,
    key: &ObjectKey,
    attachment_id: Uuid,
) -> Result<Option<String>, ExchangeError> {
    let Some(scanner) = &state.scanner else { return Ok(None) };
    let object = state.objects.get(key, None).await.map_err(ExchangeError::Objects)?;
    match scanner.scan(object.body).await {
        Verdict::Clean => Ok(None),
        Verdict::Infected { signature } => Ok(Some(signature)),
        Verdict::Unavailable { reason } => Err(scanner_down(attachment_id, &reason)),
    }
}

/// The history entries of a quarantined binary: one per case the file belongs to, by the hub.
pub(super) fn quarantine_log_writes(
    state: &AppState,
    a: &Attachment,
    signature: &str,
    now: DateTime<Utc>,
) -> Result<Vec<crate::ports::Write>, ExchangeError> {
    let hub = crate::domain::hub_org().map_err(|e| ExchangeError::Store(StoreError::Corrupt(e)))?;
    let cases = match a.event {
        Some(e) => vec![e.case_id],
        None => a.case_ids.clone(),
    };
    cases
        .into_iter()
        .take(crate::ports::MAX_TRANSACTION_WRITES - 1)
        .map(|case_id| {
            let entry = LogEntry {
                id: state.ids.new_id(),
                case_id,
                kind: LogKind::AttachmentQuarantined {
                    file_name: a.file_name.clone(),
                    attachment_id: a.id,
                    signature: signature.to_owned(),
                },
                actor: hub.clone(),
                actor_id: ANTIVIRUS_ACTOR_ID.into(),
                actor_name: Some("Antivirus HubEE".into()),
                date_time: now,
            };
            Ok(state.store.record_log_write(&entry)?)
        })
        .collect()
}

/// The actor id the antivirus records its findings with, in a dossier's history.
const ANTIVIRUS_ACTOR_ID: &str = "antivirus";
