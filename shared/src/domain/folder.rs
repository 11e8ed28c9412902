//! Folders (télédossiers), their cases (one per recipient) and attachments, notifications and
//! outbox items, with the statuses the contract defines.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::{NotificationFrequency, OrgRef, ProcessCode, Sha256Digest, contract_time};

contract_enum!(
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

contract_enum!(
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

contract_enum!(
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
    /// Its cases' recipients, in the same order: a completion reads their subscriptions
    /// together with the cases. Empty on folders stored before it was kept.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub recipients: Vec<OrgRef>,
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
    /// The folder's applicant, kept on the case for the inbox (the person concerned).
    #[serde(default)]
    pub applicant: Option<Applicant>,
    /// What the statistics keep on it, from its transmission on; `None` for a case not
    /// transmitted yet or transmitted before the statistics were kept (counted nowhere, its
    /// inbox tab in the per-tab counters of old).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub statistics: Option<super::CaseStatistics>,
    /// The agent of the recipient who holds the dossier ("Me l'attribuer"), if any: portal only,
    /// never in the contract's views.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub assignee: Option<Assignee>,
}

/// An agent holding a dossier: the account's address (its key) and its name when assigned.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Assignee {
    pub email: String,
    pub name: String,
}

impl Case {
    /// The inbox tab the case shows under; `None` until it is transmitted.
    pub fn tab(&self) -> Option<InboxTab> {
        self.transmission_date_time.and(self.status.tab())
    }

    /// The applicant's name as the inbox searches it (see [`search_key`]): `nom prénom`.
    pub fn search_name(&self) -> Option<String> {
        self.applicant.as_ref().map(|a| search_key(&format!("{} {}", a.last_name, a.first_name)))
    }
}

contract_enum!(
    /// The portal inbox's tabs (PORTAL.md): Nouveaux, Reçus, En cours, En attente de
    /// compléments, Refusés, Traités, Clos, Erreur d'intégration; archived cases leave the inbox.
    InboxTab {
        Nouveau = "NOUVEAU",
        Recu = "RECU",
        EnCours = "EN_COURS",
        EnAttente = "EN_ATTENTE",
        Refuse = "REFUSE",
        Traite = "TRAITE",
        Clos = "CLOS",
        Erreur = "ERREUR",
        Archive = "ARCHIVE",
    }
);

impl CaseStatus {
    /// The tab of a transmitted case with this status.
    pub fn tab(self) -> Option<InboxTab> {
        Some(match self {
            CaseStatus::HubeeReceived => return None,
            CaseStatus::HubeeNotified | CaseStatus::Sent => InboxTab::Nouveau,
            CaseStatus::SiReceived => InboxTab::Recu,
            CaseStatus::InProgress => InboxTab::EnCours,
            CaseStatus::AddAwaiting => InboxTab::EnAttente,
            CaseStatus::Refused => InboxTab::Refuse,
            CaseStatus::Done => InboxTab::Traite,
            CaseStatus::Closed => InboxTab::Clos,
            CaseStatus::SiIntgError => InboxTab::Erreur,
            CaseStatus::Archived => InboxTab::Archive,
        })
    }
}

/// Text as the inbox compares it: accents and case dropped (`Élodie Lefèvre-Œuvray` →
/// `elodie lefevre oeuvray`), anything but letters and digits a single space.
pub fn search_key(text: &str) -> String {
    use unicode_normalization::{UnicodeNormalization, char::is_combining_mark};
    let mut out = String::with_capacity(text.len());
    let mut space = true;
    for c in text.nfd().filter(|c| !is_combining_mark(*c)) {
        let expanded: &[char] = match c {
            'œ' | 'Œ' => &['o', 'e'],
            'æ' | 'Æ' => &['a', 'e'],
            'ß' => &['s', 's'],
            _ => &[],
        };
        if !expanded.is_empty() {
            out.extend(expanded);
            space = false;
        } else if c.is_alphanumeric() {
            out.extend(c.to_lowercase());
            space = false;
        } else if !space {
            out.push(' ');
            space = true;
        }
    }
    out.truncate(out.trim_end().len());
    out
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
    /// Set for a file deposited with an event (`ATTACH_DEPOSIT`) rather than with the folder.
    #[serde(default)]
    pub event: Option<EventRef>,
    /// The signature the antivirus found in the binary (`CORRUPTED`): the binary is
    /// quarantined, kept until retention purges it and never served.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub virus: Option<String>,
    /// Stored, and its antivirus verdict awaited (`Config::verdicts_later`: GuardDuty answers
    /// seconds after the object lands): not served, and its folder's completion held, until
    /// the verdict is recorded (`services::binaries::record_verdict`).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub scanning: bool,
}

impl Attachment {
    /// Whether this folder attachment is addressed to the case.
    pub fn is_for_case(&self, case: Uuid) -> bool {
        self.case_ids.contains(&case)
    }
}

/// The event an attachment was deposited with.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EventRef {
    pub case_id: Uuid,
    pub event_id: Uuid,
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
    /// The summary of a subscription's dossiers up to a scheduled time (`quotidienne`,
    /// `biquotidienne`): the items it gathers are closed into it.
    Digest {
        #[serde(rename = "caseIds")]
        case_ids: Vec<Uuid>,
        #[serde(with = "contract_time")]
        until: DateTime<Utc>,
    },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum OutboxStatus {
    /// To process: to send now (`unitaire`, digests), or to gather into the next digest.
    Pending,
    /// A digest being gathered; sent once complete.
    Assembling,
    Sent,
    /// Parked after the last retry failed; `last_error` says why.
    Failed,
    /// Nothing to send (a subscription that asked for no e-mail), or gathered into a digest.
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
    /// Delivery attempts so far.
    #[serde(default)]
    pub attempts: u32,
    #[serde(with = "contract_time")]
    pub created: DateTime<Utc>,
    /// While set and in the future, a dispatcher holds the item; past it, the item is free
    /// again (the holder died): another dispatcher may take it.
    #[serde(default, with = "contract_time::option")]
    pub lease_until: Option<DateTime<Utc>>,
    /// Not to be retried before this time (backoff after a failure).
    #[serde(default, with = "contract_time::option")]
    pub retry_after: Option<DateTime<Utc>>,
    #[serde(default)]
    pub last_error: Option<String>,
    /// When it was sent, failed for good, or closed.
    #[serde(default, with = "contract_time::option")]
    pub done_at: Option<DateTime<Utc>>,
    /// The address it was sent to.
    #[serde(default)]
    pub sent_to: Option<String>,
    #[serde(default)]
    pub message_id: Option<String>,
    /// The digest this item was gathered into.
    #[serde(default)]
    pub digest_id: Option<Uuid>,
}

impl OutboxItem {
    /// A new item to process.
    pub fn new(
        id: Uuid,
        message: OutboxMessage,
        subscription: &super::Subscription,
        recipient: OrgRef,
        created: DateTime<Utc>,
    ) -> Self {
        Self {
            id,
            message,
            subscription_id: subscription.id,
            frequency: subscription.notification_frequency,
            process_code: subscription.process_code.clone(),
            recipient,
            status: OutboxStatus::Pending,
            attempts: 0,
            created,
            lease_until: None,
            retry_after: None,
            last_error: None,
            done_at: None,
            sent_to: None,
            message_id: None,
            digest_id: None,
        }
    }

    /// Whether it waits for a digest rather than being sent on its own.
    pub fn awaits_digest(&self) -> bool {
        !matches!(self.message, OutboxMessage::Digest { .. })
            && matches!(self.frequency, NotificationFrequency::Quotidienne | NotificationFrequency::Biquotidienne)
    }
}

contract_enum!(
    /// The nature of an event.
    ActionType {
        StatusUpdate = "STATUS_UPDATE",
        AttachDeposit = "ATTACH_DEPOSIT",
        AttachDl = "ATTACH_DL",
        AttachDlAll = "ATTACH_DL_ALL",
        ComAdd = "COM_ADD",
        SendingMessage = "SENDING_MESSAGE",
    }
);

contract_enum!(
    /// Where an event stands: files still to upload, sent, acknowledged by the other party.
    EventStatus {
        InProgress = "IN_PROGRESS",
        Sent = "SENT",
        Received = "RECEIVED",
    }
);

/// An exchange on a case between its operator and its recipient.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Event {
    pub id: Uuid,
    pub case_id: Uuid,
    pub folder_id: Uuid,
    pub action_type: ActionType,
    pub transmitter: OrgRef,
    #[serde(default)]
    pub message: Option<String>,
    /// Internal: shown only to the transmitter's organisation.
    #[serde(default)]
    pub comment: Option<String>,
    #[serde(default)]
    pub author: Option<String>,
    pub notification: bool,
    pub status: EventStatus,
    /// What the transmitter believed the case's status was (informative).
    #[serde(default)]
    pub case_current_status: Option<String>,
    #[serde(default)]
    pub case_new_status: Option<CaseStatus>,
    #[serde(default)]
    pub partner_attributes: Option<String>,
    #[serde(default)]
    pub partner_info: Option<PartnerInfo>,
    /// Its files, in request order.
    #[serde(default)]
    pub attachment_ids: Vec<Uuid>,
    #[serde(with = "contract_time")]
    pub create_date_time: DateTime<Utc>,
    #[serde(with = "contract_time")]
    pub update_date_time: DateTime<Utc>,
}

/// How a case status change came about.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ChangeSource {
    /// `PATCH /cases/{id}`.
    Patch,
    /// An event's `caseNewStatus`.
    Event,
    /// The folder's completion.
    Completion,
    /// Retention: a closed case archived once its procedure's delay has passed.
    Retention,
}

/// One recorded case status change: who, when, from what to what.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StatusChange {
    pub id: Uuid,
    pub case_id: Uuid,
    pub from: CaseStatus,
    pub to: CaseStatus,
    /// The organisation that asked for it.
    pub actor: OrgRef,
    /// The API client (or, later, the portal account) that asked for it.
    pub actor_id: String,
    pub source: ChangeSource,
    #[serde(default)]
    pub event_id: Option<Uuid>,
    #[serde(with = "contract_time")]
    pub date_time: DateTime<Utc>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn search_keys_drop_accents_case_and_punctuation() {
        assert_eq!(search_key("Élodie LEFÈVRE-Œuvray"), "elodie lefevre oeuvray");
        assert_eq!(search_key("  d'Artagnan   Jean-Noël "), "d artagnan jean noel");
        assert_eq!(search_key("Çà et là"), "ca et la");
    }

    #[test]
    fn every_transmitted_status_has_a_tab() {
        for s in CaseStatus::ALL {
            assert_eq!(s.tab().is_none(), *s == CaseStatus::HubeeReceived, "{s}");
        }
        assert_eq!(CaseStatus::Sent.tab(), Some(InboxTab::Nouveau));
    }
}

/// What a person did on a case that is not an exchange with the operator: consulting it,
/// downloading its files, writing an internal comment. Kept in the case's history.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "SCREAMING_SNAKE_CASE")]
pub enum LogKind {
    Consulted,
    Downloaded {
        #[serde(rename = "fileName")]
        file_name: String,
    },
    DownloadedAll,
    Comment {
        text: String,
    },
    /// The antivirus found `signature` in the binary of an attachment of the case: it is
    /// `CORRUPTED`, quarantined, never served.
    AttachmentQuarantined {
        #[serde(rename = "fileName")]
        file_name: String,
        #[serde(rename = "attachmentId")]
        attachment_id: Uuid,
        signature: String,
    },
    /// The dossier was given to an agent (by that agent or a colleague).
    Assigned {
        #[serde(rename = "assigneeId")]
        assignee_id: String,
        #[serde(rename = "assigneeName")]
        assignee_name: String,
    },
    /// The agent holding the dossier no longer does.
    Released {
        #[serde(rename = "assigneeId")]
        assignee_id: String,
        #[serde(rename = "assigneeName")]
        assignee_name: String,
    },
    /// Retention deleted the binary of an attachment of the case (it is now `DELETED`).
    AttachmentPurged {
        #[serde(rename = "fileName")]
        file_name: String,
        #[serde(rename = "attachmentId")]
        attachment_id: Uuid,
    },
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LogEntry {
    pub id: Uuid,
    pub case_id: Uuid,
    #[serde(flatten)]
    pub kind: LogKind,
    pub actor: OrgRef,
    /// The account's e-mail (or client id).
    pub actor_id: String,
    #[serde(default)]
    pub actor_name: Option<String>,
    #[serde(with = "contract_time")]
    pub date_time: DateTime<Utc>,
}
