//! The single-table key design: one function per item kind, so that no key string is spelt
//! twice. See docs/ACCESS-PATTERNS.md.

use uuid::Uuid;

use crate::{
    domain::{BranchCode, OrgRef, ProcessCode, Siret, org_key},
    ports::Key,
};

pub fn folder(id: Uuid) -> Key {
    Key::new(format!("FOLDER#{id}"), "FOLDER")
}
pub fn folder_partition(id: Uuid) -> String {
    format!("FOLDER#{id}")
}
pub const ATTACHMENT_PREFIX: &str = "ATT#";
pub fn folder_attachment(folder: Uuid, attachment: Uuid) -> Key {
    Key::new(folder_partition(folder), format!("{ATTACHMENT_PREFIX}{attachment}"))
}
/// The operator's `externalId` of a folder, unique per operator.
pub fn folder_external_id(operator: &OrgRef, external_id: &str) -> Key {
    Key::new(format!("FOLDEREXT#{}#{external_id}", operator.key()), "FOLDEREXT")
}
pub fn case(id: Uuid) -> Key {
    Key::new(format!("CASE#{id}"), "CASE")
}

pub fn notification(id: Uuid) -> Key {
    Key::new(format!("NOTIF#{id}"), "NOTIF")
}
/// GSI1: the notifications of an organisation, by date.
pub fn notifications_of_org(org: &OrgRef) -> String {
    format!("NOTIFS#{}", org.key())
}
/// GSI2: the notifications of an organisation for one procedure, by date.
pub fn notifications_of_org_procedure(org: &OrgRef, process: &ProcessCode) -> String {
    format!("NOTIFS#{}#{process}", org.key())
}

pub fn outbox(id: Uuid) -> Key {
    Key::new(format!("OUTBOX#{id}"), "OUTBOX")
}
/// GSI3: outbox items still to process, oldest first (sparse: only pending items carry it).
pub const OUTBOX_PENDING: &str = "OUTBOX#PENDING";

pub fn org_partition(siret: &Siret, branch: &BranchCode) -> String {
    format!("ORG#{}", org_key(siret, branch))
}
pub fn organisation(siret: &Siret, branch: &BranchCode) -> Key {
    Key::new(org_partition(siret, branch), "ORG")
}
/// GSI1: every organisation / procedure, for the referential listings.
pub const ALL_ORGANISATIONS: &str = "ORGS";
pub const ALL_PROCEDURES: &str = "PROCS";
pub fn procedure(code: &ProcessCode) -> Key {
    Key::new(format!("PROC#{code}"), "PROC")
}
/// A subscription lives in its organisation's partition, one per procedure.
pub fn subscription(siret: &Siret, branch: &BranchCode, process: &ProcessCode) -> Key {
    Key::new(org_partition(siret, branch), format!("SUB#{process}"))
}
/// GSI1: a subscription by id.
pub fn subscription_by_id(id: Uuid) -> String {
    format!("SUB#{id}")
}
/// GSI2: the subscriptions of a procedure.
pub fn subscriptions_of_procedure(process: &ProcessCode) -> String {
    format!("PROCSUBS#{process}")
}
pub fn api_client(client_id: &str) -> Key {
    Key::new(format!("CLIENT#{client_id}"), "CLIENT")
}
pub fn account(email: &str) -> Key {
    Key::new(format!("ACCOUNT#{email}"), "ACCOUNT")
}
/// Marks the one-time loading of the demo referential.
pub fn demo_marker() -> Key {
    Key::new("META#DEMO", "META")
}
