//! What the exchange use cases answer: typed views in the contract's shapes (CONTRACT.md), which
//! the edge serialises as they are. Each view is built from the domain here, with the rules of
//! what a reader may see (an event's internal comment only for its transmitter's organisation).

use serde::Serialize;
use uuid::Uuid;

use crate::domain::{
    ActionType, Applicant, Attachment, AttachmentStatus, Case, CaseStatus, Event, EventStatus, Folder, FolderStatus,
    Notification, OrgRef, PartnerInfo, ProcessCode, format_time,
};

use super::{actor::Actor, cases::CaseAccess};

/// An attachment in the contract's `Attachment` shape; a folder's attachments also list the
/// cases they are sent to (`recipients`, by `externalId`).
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AttachmentView {
    pub id: Uuid,
    pub status: AttachmentStatus,
    pub file_name: String,
    #[serde(rename = "type")]
    pub attachment_type: String,
    pub size: u64,
    pub mime_type: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub recipients: Option<Vec<String>>,
}

impl AttachmentView {
    pub fn of(a: &Attachment) -> Self {
        Self {
            id: a.id,
            status: a.status,
            file_name: a.file_name.clone(),
            attachment_type: a.attachment_type.clone(),
            size: a.size,
            mime_type: a.mime_type.clone(),
            recipients: None,
        }
    }

    fn with_recipients(a: &Attachment) -> Self {
        Self { recipients: Some(a.recipients.clone()), ..Self::of(a) }
    }
}

/// A folder as its operator sees it (`POST` and `GET /folders`).
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct FolderView {
    pub id: Uuid,
    pub external_id: String,
    pub process_code: ProcessCode,
    pub global_status: FolderStatus,
    pub create_date_time: String,
    pub update_date_time: Option<String>,
    pub close_date_time: Option<String>,
    pub applicant: Applicant,
    pub partner_info: Option<PartnerInfo>,
    pub cases: Vec<FolderCaseView>,
    pub attachments: Vec<AttachmentView>,
}

/// A case as listed in its folder.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct FolderCaseView {
    pub id: Uuid,
    pub external_id: String,
    pub status: CaseStatus,
    pub recipient: OrgRef,
    pub update_date_time: Option<String>,
    pub transmission_date_time: Option<String>,
    pub partner_attributes: Option<String>,
}

impl FolderView {
    pub fn of<'a>(
        folder: &Folder,
        cases: impl IntoIterator<Item = &'a Case>,
        attachments: impl IntoIterator<Item = &'a Attachment>,
    ) -> Self {
        Self {
            id: folder.id,
            external_id: folder.external_id.clone(),
            process_code: folder.process_code.clone(),
            global_status: folder.global_status,
            create_date_time: format_time(folder.create_date_time),
            update_date_time: folder.update_date_time.map(format_time),
            close_date_time: folder.close_date_time.map(format_time),
            applicant: folder.applicant.clone(),
            partner_info: folder.partner_info.clone(),
            cases: cases
                .into_iter()
                .map(|c| FolderCaseView {
                    id: c.id,
                    external_id: c.external_id.clone(),
                    status: c.status,
                    recipient: c.recipient.clone(),
                    update_date_time: c.update_date_time.map(format_time),
                    transmission_date_time: c.transmission_date_time.map(format_time),
                    partner_attributes: c.partner_attributes.clone(),
                })
                .collect(),
            attachments: attachments.into_iter().map(AttachmentView::with_recipients).collect(),
        }
    }
}

/// An event as one reader may see it: its internal comment only for its transmitter's
/// organisation.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct EventView {
    pub id: Uuid,
    pub transmitter: OrgRef,
    pub message: Option<String>,
    pub comment: Option<String>,
    pub action_type: ActionType,
    pub author: Option<String>,
    pub notification: bool,
    pub create_date_time: String,
    pub update_date_time: String,
    pub status: EventStatus,
    pub case_current_status: Option<String>,
    pub case_new_status: Option<CaseStatus>,
    pub partner_attributes: Option<String>,
    pub attachments: Vec<AttachmentView>,
    pub partner_info: Option<PartnerInfo>,
}

impl EventView {
    pub fn of<'a>(event: &Event, files: impl IntoIterator<Item = &'a Attachment>, reader: &Actor) -> Self {
        let own = reader.org.key() == event.transmitter.key();
        Self {
            id: event.id,
            transmitter: event.transmitter.clone(),
            message: event.message.clone(),
            comment: if own { event.comment.clone() } else { None },
            action_type: event.action_type,
            author: event.author.clone(),
            notification: event.notification,
            create_date_time: format_time(event.create_date_time),
            update_date_time: format_time(event.update_date_time),
            status: event.status,
            case_current_status: event.case_current_status.clone(),
            case_new_status: event.case_new_status,
            partner_attributes: event.partner_attributes.clone(),
            attachments: files.into_iter().map(AttachmentView::of).collect(),
            partner_info: event.partner_info.clone(),
        }
    }
}

/// A case as one of its parties sees it (`GET /cases/{id}`): the attachments addressed to it
/// and, unless `lite`, its events.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CaseView {
    pub id: Uuid,
    pub status: CaseStatus,
    pub recipient: OrgRef,
    pub external_id: String,
    pub process_code: ProcessCode,
    pub create_date_time: String,
    pub update_date_time: Option<String>,
    pub transmission_date_time: Option<String>,
    pub close_date_time: Option<String>,
    pub partner_attributes: Option<String>,
    pub applicant: Applicant,
    pub attachments: Vec<AttachmentView>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub events: Option<Vec<EventView>>,
}

impl CaseView {
    pub fn of(access: &CaseAccess, reader: &Actor, lite: bool) -> Self {
        let case = access.case();
        Self {
            id: case.id,
            status: case.status,
            recipient: case.recipient.clone(),
            external_id: case.external_id.clone(),
            process_code: case.process_code.clone(),
            create_date_time: format_time(case.create_date_time),
            update_date_time: case.update_date_time.map(format_time),
            transmission_date_time: case.transmission_date_time.map(format_time),
            close_date_time: case.close_date_time.map(format_time),
            partner_attributes: case.partner_attributes.clone(),
            applicant: access.folder.applicant.clone(),
            attachments: access
                .folder_attachments
                .iter()
                .filter(|a| a.value.is_for_case(case.id))
                .map(|a| AttachmentView::of(&a.value))
                .collect(),
            events: (!lite).then(|| {
                access
                    .record
                    .events
                    .iter()
                    .map(|e| {
                        EventView::of(
                            &e.value,
                            access.record.attachments_of(&e.value).into_iter().map(|a| &a.value),
                            reader,
                        )
                    })
                    .collect()
            }),
        }
    }
}

/// A notification as its recipient lists it, with the current values of its event.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct NotificationView {
    pub id: Uuid,
    pub recipient: OrgRef,
    pub transmitter: OrgRef,
    pub process_code: ProcessCode,
    pub case_id: Option<Uuid>,
    pub event_id: Option<Uuid>,
    pub date_time: String,
    pub event_action_type: Option<ActionType>,
    pub event_status: Option<EventStatus>,
}

impl NotificationView {
    pub fn of(n: Notification, event: Option<&Event>) -> Self {
        Self {
            id: n.id,
            recipient: n.recipient,
            transmitter: n.transmitter,
            process_code: n.process_code,
            case_id: n.case_id,
            event_id: n.event_id,
            date_time: format_time(n.date_time),
            event_action_type: event.map(|e| e.action_type),
            event_status: event.map(|e| e.status),
        }
    }
}
