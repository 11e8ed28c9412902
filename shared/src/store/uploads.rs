//! Presigned uploads: the object key each upload URL was issued for, so that only an object
//! stored under that key completes its attachment (docs/API.md, "Large binaries on AWS").

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::{IndexEntry, Store, StoreError, from_item, keys, to_item};
use crate::{
    domain::{EventRef, OrgRef, Sha256Digest, contract_time},
    ports::{Condition, Index, Query, SortKey},
};

/// An upload URL issued for an attachment. Kept two days past the URL's expiry (S3 checks the
/// expiry when an upload starts, not when it ends; its events may come late), then left to the
/// table's TTL. The URL of a portal deposit is also filed by [`PendingUpload::settled_by`]
/// (GSI3 `DEPOSIT#DUE`): by then, a deposit whose file never came is withdrawn.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PendingUpload {
    /// The upload's id: the last segment of its object key.
    pub id: Uuid,
    pub object_key: String,
    pub folder_id: Uuid,
    pub attachment_id: Uuid,
    /// The event, for a file of an `ATTACH_DEPOSIT`.
    #[serde(default)]
    pub event: Option<EventRef>,
    /// The digest announced when the URL was asked for, checked on completion.
    #[serde(default)]
    pub sha256: Option<Sha256Digest>,
    #[serde(with = "contract_time")]
    pub expires_at: DateTime<Utc>,
    /// For a portal deposit ("Déposer une pièce jointe"), the agent who made it: its
    /// `ATTACH_DEPOSIT` event is sent once the file is received, and withdrawn if it is refused.
    #[serde(default)]
    pub deposit: Option<DepositSender>,
}

/// The agent of a portal deposit, as the completion of its upload acts for them.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DepositSender {
    /// Its organisation: the event's transmitter.
    pub org: OrgRef,
    /// Its account's e-mail, as the records name it.
    pub id: String,
    pub name: Option<String>,
}

impl PendingUpload {
    /// When the upload of a portal deposit has had every chance: a day past the URL's expiry.
    /// Its deposit is then withdrawn if the file never came (`services::binaries`).
    pub fn settled_by(&self) -> DateTime<Utc> {
        self.expires_at + chrono::Duration::days(1)
    }
}

impl Store {
    /// Records an upload URL before it is handed out.
    ///
    /// # Errors
    /// `Conflict` when the upload id is taken (it is a fresh UUID: never in practice).
    pub async fn create_pending_upload(&self, upload: &PendingUpload) -> Result<(), StoreError> {
        let due = upload.deposit.as_ref().map(|_| {
            [IndexEntry::new(Index::Gsi3, keys::DEPOSIT_DUE, keys::deposit_due(upload.settled_by(), upload.id))]
        });
        let mut item =
            to_item(upload, "PendingUpload", &keys::pending_upload(upload.id), due.as_ref().map_or(&[], |d| d), 1)?;
        // Past the deposit's settling, so that the TTL never takes a URL before it is settled.
        let kept_until = upload.expires_at + chrono::Duration::days(2);
        item.insert(keys::TTL_ATTR.into(), kept_until.timestamp().into());
        Ok(self.table().put(item, Condition::NotExists).await?)
    }

    /// Up to `limit` upload URLs of portal deposits due to be settled at `now`, earliest first.
    /// The index may lag behind the table: callers re-read each one ([`Store::pending_upload`]).
    ///
    /// # Errors
    /// When the table fails or holds a corrupt item.
    pub async fn deposit_uploads_due(
        &self,
        now: DateTime<Utc>,
        limit: usize,
    ) -> Result<Vec<PendingUpload>, StoreError> {
        let (from, to) = keys::due_until(now);
        let q = Query::index(Index::Gsi3, keys::DEPOSIT_DUE).sk(SortKey::Between(from, to)).limit(limit);
        self.table().query(q).await?.items.into_iter().map(|i| from_item(i).map(|v| v.value)).collect()
    }

    /// Forgets a settled upload URL (a storage event for it, if any ever came, is then ignored).
    ///
    /// # Errors
    /// When the table fails.
    pub async fn delete_pending_upload(&self, id: Uuid) -> Result<(), StoreError> {
        Ok(self.table().delete(&keys::pending_upload(id), Condition::None).await?)
    }

    /// # Errors
    /// When the table fails or holds a corrupt item.
    pub async fn pending_upload(&self, id: Uuid) -> Result<Option<PendingUpload>, StoreError> {
        let item = self.table().get(&keys::pending_upload(id)).await?;
        Ok(item.map(from_item::<PendingUpload>).transpose()?.map(|v| v.value))
    }
}
