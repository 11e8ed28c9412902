//! Folders (télédossiers), their cases (one per recipient) and attachments, notifications and
//! outbox items, with the statuses the contract defines.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::{NotificationFrequency, OrgRef, ProcessCode, Sha256Digest, contract_time};

macro_rules! status_enum {
    ($(#[$m:meta])* $name:ident { $($variant:ident = $text:literal),+ $(,)? }) => {
        $(#[$m])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
        pub enum $name {
            $(#[serde(rename = $text)] $variant),+
        }
        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];
            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text),+ }
            }
            pub fn parse(s: &str) -> Option<Self> {
                match s { $($text => Some($name::$variant),)+ _ => None }
            }
        }
        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

status_enum!(
    /// A folder's `globalStatus`.
    FolderStatus {
        HubeeReceived = "HUBEE_RECEIVED",
        HubeeCompleted = "HUBEE_COMPLETED",
        HubeeNotified = "HUBEE_NOTIFIED",
        Sent = "SENT",
        SiReceived = "SI_RECEIVED",
        InProgress = "IN_PROGRESS",
        AddAwaiting = "ADD_AWAITING",
        Refused = "REFUSED",
        Done = "DONE",
        Closed = "CLOSED",
    }
);

status_enum!(
    /// A case's `status`.
    CaseStatus {
        HubeeReceived = "HUBEE_RECEIVED",
        HubeeNotified = "HUBEE_NOTIFIED",
        Sent = "SENT",
        SiReceived = "SI_RECEIVED",
        SiIntgError = "SI_INTG_ERROR",
        InProgress = "IN_PROGRESS",
        AddAwaiting = "ADD_AWAITING",
        Refused = "REFUSED",
        Done = "DONE",
        Closed = "CLOSED",
        Archived = "ARCHIVED",
    }
);

status_enum!(
    /// Where an attachment's binary stands.
    AttachmentStatus {
        Pending = "PENDING",
        Received = "RECEIVED",
        Corrupted = "CORRUPTED",
        Rejected = "REJECTED",
        Deleted = "DELETED",
    }
);

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Applicant {
    pub first_name: String,
    pub last_name: String,
    #[serde(default)]
    pub email: Option<String>,
}

/// The optional `editorName`, `applicationName`, `softwareVersion` headers of a request.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PartnerInfo {
    pub editor_name: Option<String>,
    pub application_name: Option<String>,
    pub software_version: Option<String>,
}

impl PartnerInfo {
    pub fn is_empty(&self) -> bool {
        self.editor_name.is_none() && self.application_name.is_none() && self.software_version.is_none()
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Folder {
    pub id: Uuid,
    pub external_id: String,
    pub process_code: ProcessCode,
    pub global_status: FolderStatus,
    pub applicant: Applicant,
    /// The operator organisation that deposited it.
    pub operator: OrgRef,
    #[serde(with = "contract_time")]
    pub create_date_time: DateTime<Utc>,
    #[serde(default, with = "contract_time::option")]
    pub update_date_time: Option<DateTime<Utc>>,
    #[serde(default, with = "contract_time::option")]
    pub close_date_time: Option<DateTime<Utc>>,
    #[serde(default)]
    pub partner_info: Option<PartnerInfo>,
    /// Its cases, in request order.
    pub case_ids: Vec<Uuid>,
    /// Fingerprint of the creation request, to tell a retry from a conflicting reuse of the
    /// same `externalId`.
    pub request_fingerprint: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Case {
    pub id: Uuid,
    pub folder_id: Uuid,
    pub external_id: String,
    pub process_code: ProcessCode,
    pub status: CaseStatus,
    pub recipient: OrgRef,
    #[serde(with = "contract_time")]
    pub create_date_time: DateTime<Utc>,
    #[serde(default, with = "contract_time::option")]
    pub update_date_time: Option<DateTime<Utc>>,
    #[serde(default, with = "contract_time::option")]
    pub transmission_date_time: Option<DateTime<Utc>>,
    #[serde(default, with = "contract_time::option")]
    pub close_date_time: Option<DateTime<Utc>>,
    #[serde(default)]
    pub partner_attributes: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Attachment {
    pub id: Uuid,
    pub folder_id: Uuid,
    /// Its rank in the creation request.
    pub position: u32,
    pub file_name: String,
    #[serde(rename = "type")]
    pub attachment_type: String,
    pub size: u64,
    pub mime_type: String,
    pub status: AttachmentStatus,
    /// The `externalId`s of the cases that receive it, as the operator wrote them.
    pub recipients: Vec<String>,
    /// The same cases, by id.
    pub case_ids: Vec<Uuid>,
    /// Set once the binary is received.
    #[serde(default)]
    pub sha256: Option<Sha256Digest>,
    /// Where the binary is stored, once received.
    #[serde(default)]
    pub object_key: Option<String>,
    #[serde(default, with = "contract_time::option")]
    pub received_date_time: Option<DateTime<Utc>>,
}

/// An item in a party's inbox, telling it to look at a case or an event.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Notification {
    pub id: Uuid,
    pub recipient: OrgRef,
    pub transmitter: OrgRef,
    pub process_code: ProcessCode,
    pub case_id: Option<Uuid>,
    pub event_id: Option<Uuid>,
    #[serde(with = "contract_time")]
    pub date_time: DateTime<Utc>,
}

/// What an outbox item asks the notification dispatcher to do.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "SCREAMING_SNAKE_CASE")]
pub enum OutboxMessage {
    /// A new dossier reached an instructing service.
    NewCase {
        #[serde(rename = "caseId")]
        case_id: Uuid,
    },
    /// The operator reopened a dossier.
    ReopenedCase {
        #[serde(rename = "caseId")]
        case_id: Uuid,
    },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum OutboxStatus {
    Pending,
    Sent,
    Failed,
    /// Nothing to send (a subscription that asked for no e-mail).
    Closed,
}

/// A side effect to carry out after a commit: written in the same transaction as the change
/// it reports, consumed by the notification dispatcher.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OutboxItem {
    pub id: Uuid,
    pub message: OutboxMessage,
    /// The subscription whose address and frequency apply.
    pub subscription_id: Uuid,
    pub frequency: NotificationFrequency,
    pub process_code: ProcessCode,
    pub recipient: OrgRef,
    pub status: OutboxStatus,
    #[serde(default)]
    pub attempts: u32,
    #[serde(with = "contract_time")]
    pub created: DateTime<Utc>,
}
