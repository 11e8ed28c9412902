//! Verdicts that come after the binary (`Config::verdicts_later`): GuardDuty Malware Protection
//! for S3 scans each object once stored and says what it found in an event, seconds later
//! (docs/ANTIVIRUS.md). Until then the attachment is `RECEIVED` and `scanning`: never served,
//! its folder's completion held. The verdict is recorded here, once, whatever the number of
//! times the event is delivered.

use std::time::Duration;

use uuid::Uuid;

use super::{ExchangeError, scan::quarantine_log_writes};
use crate::{
    domain::{Attachment, AttachmentStatus},
    ports::{ObjectError, ObjectKey, Verdict},
    state::AppState,
    store::{StoreError, Versioned},
};

/// What recording a verdict did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum VerdictRecord {
    /// Clean: the binary is served from now on.
    Clean,
    /// Infected with this signature: `CORRUPTED`, quarantined, in its dossiers' history.
    Quarantined(String),
    /// Recorded before (the event delivered again): nothing changed.
    AlreadyRecorded,
    /// The antivirus could not tell (the object unsupported, inaccessible, a failed scan): the
    /// binary stays unserved and its folder held; an ERROR line says so, which an alarm counts.
    Unavailable(String),
    /// Not a binary whose verdict is awaited: an archive, an object refused or replaced, an
    /// attachment deleted.
    Ignored,
}

/// How often, and how long apart, a verdict that came before its upload was recorded looks
/// again before failing (the event is then delivered again).
const EARLY_VERDICT_LOOKS: u32 = 3;
const EARLY_VERDICT_PAUSE: Duration = Duration::from_millis(500);

/// Records the antivirus's verdict on the object stored under `key`, then releases its folder's
/// completion if it was held for it (see `folders::release_held_completion`).
///
/// # Errors
/// `Busy` when the verdict came before the upload that stored the object was recorded (the
/// event is to be delivered again), or when the store fails or stays busy.
pub async fn record_verdict(state: &AppState, key: &str, verdict: Verdict) -> Result<VerdictRecord, ExchangeError> {
    let Some(target) = Target::of(key) else {
        tracing::info!(key, "a verdict on an object that is no attachment's binary: ignored");
        return Ok(VerdictRecord::Ignored);
    };
    let mut looks = 0;
    let current = loop {
        let Some(current) = target.attachment(state).await? else { return Ok(VerdictRecord::Ignored) };
        if current.value.object_key.as_deref() == Some(key) {
            break current;
        }
        if current.value.status != AttachmentStatus::Pending || !object_exists(state, key).await? {
            tracing::info!(key, "a verdict on an object its attachment does not hold: ignored");
            return Ok(VerdictRecord::Ignored);
        }
        looks += 1;
        if looks >= EARLY_VERDICT_LOOKS {
            tracing::warn!(key, "a verdict came before its upload was recorded: to be delivered again");
            return Err(ExchangeError::Busy);
        }
        tokio::time::sleep(EARLY_VERDICT_PAUSE).await;
    };
    let folder_id = current.value.folder_id;
    let folder_file = current.value.event.is_none();
    let recorded = record_on(state, current, &verdict).await?;
    if folder_file
        && matches!(recorded, VerdictRecord::Clean | VerdictRecord::Quarantined(_) | VerdictRecord::AlreadyRecorded)
    {
        crate::services::folders::release_held_completion(state, folder_id).await?;
    }
    Ok(recorded)
}

/// Writes the verdict on an attachment holding the object, retried on concurrent changes.
async fn record_on(
    state: &AppState,
    mut read: Versioned<Attachment>,
    verdict: &Verdict,
) -> Result<VerdictRecord, ExchangeError> {
    for _ in 0..crate::services::RETRIES {
        if !read.value.scanning {
            return Ok(VerdictRecord::AlreadyRecorded);
        }
        let mut judged = read.value.clone();
        judged.scanning = false;
        let written = match verdict {
            Verdict::Clean => state.store.update_attachment(&judged, read.version).await,
            Verdict::Infected { signature } => {
                judged.status = AttachmentStatus::Corrupted;
                judged.virus = Some(signature.clone());
                let mut writes = vec![state.store.update_attachment_write(&judged, read.version)?];
                writes.extend(quarantine_log_writes(state, &judged, signature, state.clock.now())?);
                state.store.commit(writes).await
            }
            Verdict::Unavailable { reason } => {
                tracing::error!(
                    metric = "AntivirusUnavailable",
                    attachment_id = %read.value.id,
                    reason,
                    "the antivirus could not scan a binary: it stays unserved"
                );
                return Ok(VerdictRecord::Unavailable(reason.clone()));
            }
        };
        match written {
            Ok(()) => {
                return Ok(match verdict {
                    Verdict::Infected { signature } => {
                        tracing::warn!(
                            metric = "AntivirusInfected",
                            attachment_id = %judged.id,
                            folder_id = %judged.folder_id,
                            signature,
                            "antivirus found a virus: attachment CORRUPTED, its binary quarantined"
                        );
                        VerdictRecord::Quarantined(signature.clone())
                    }
                    _ => {
                        tracing::info!(attachment_id = %judged.id, "antivirus verdict: clean, the binary is served");
                        VerdictRecord::Clean
                    }
                });
            }
            Err(StoreError::Conflict) => {
                read = state.store.current_attachment(&read.value).await?.ok_or(ExchangeError::AttachmentNotFound)?;
            }
            Err(e) => return Err(e.into()),
        }
    }
    Err(ExchangeError::Busy)
}

async fn object_exists(state: &AppState, key: &str) -> Result<bool, ExchangeError> {
    let key = ObjectKey::parse(key).map_err(ExchangeError::Objects)?;
    match state.objects.head(&key).await {
        Ok(_) => Ok(true),
        Err(ObjectError::NotFound) => Ok(false),
        Err(e) => Err(ExchangeError::Objects(e)),
    }
}

/// The attachment an object key was made for (see `fresh_key`): a folder's
/// (`folders/<folder>/<attachment>/<upload>`) or an event's
/// (`cases/<case>/events/<event>/<attachment>/<upload>`).
enum Target {
    Folder { folder: Uuid, attachment: Uuid },
    Event { case: Uuid, event: Uuid, attachment: Uuid },
}

impl Target {
    fn of(key: &str) -> Option<Self> {
        let segments: Vec<&str> = key.split('/').collect();
        let id = |s: &str| s.parse::<Uuid>().ok();
        match segments.as_slice() {
            ["folders", folder, attachment, upload] => {
                id(upload)?;
                Some(Self::Folder { folder: id(folder)?, attachment: id(attachment)? })
            }
            ["cases", case, "events", event, attachment, upload] => {
                id(upload)?;
                Some(Self::Event { case: id(case)?, event: id(event)?, attachment: id(attachment)? })
            }
            _ => None,
        }
    }

    async fn attachment(&self, state: &AppState) -> Result<Option<Versioned<Attachment>>, StoreError> {
        match *self {
            Self::Folder { folder, attachment } => state.store.attachment(folder, attachment).await,
            Self::Event { case, event, attachment } => state.store.event_attachment(case, event, attachment).await,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn object_keys_name_their_attachment_and_nothing_else_does() {
        let (a, b, c, d) = (Uuid::new_v4(), Uuid::new_v4(), Uuid::new_v4(), Uuid::new_v4());
        assert!(matches!(
            Target::of(&format!("folders/{a}/{b}/{c}")),
            Some(Target::Folder { folder, attachment }) if folder == a && attachment == b
        ));
        assert!(matches!(
            Target::of(&format!("cases/{a}/events/{b}/{c}/{d}")),
            Some(Target::Event { case, event, attachment }) if case == a && event == b && attachment == c
        ));
        for other in [
            format!("archives/{a}"),
            format!("folders/{a}/{b}"),
            format!("folders/{a}/{b}/not-an-id"),
            format!("cases/{a}/other/{b}/{c}/{d}"),
            format!("folders/{a}/{b}/{c}/{d}"),
        ] {
            assert!(Target::of(&other).is_none(), "{other}");
        }
    }
}
