//! The single-table key design: one function per item kind, so that no key string is spelt
//! twice. See docs/ACCESS-PATTERNS.md.

use chrono::{DateTime, Utc};
use uuid::Uuid;

use serde_json::Value;

use crate::{
    domain::{BranchCode, OrgRef, ProcessCode, Siret, format_time, org_key},
    ports::{Index, Item, Key},
};

/// An item's entry in one of the table's indexes: the values of the index's partition and sort
/// key attributes, whose names only [`Index`] spells.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) struct IndexEntry {
    pub index: Index,
    pub pk: String,
    pub sk: String,
}

impl IndexEntry {
    pub fn new(index: Index, pk: impl Into<String>, sk: impl Into<String>) -> Self {
        Self { index, pk: pk.into(), sk: sk.into() }
    }

    /// Files the item under this entry (its two attributes, partition key first).
    pub fn set_on(&self, item: &mut Item) {
        item.insert(self.index.pk_attr().to_owned(), Value::from(self.pk.clone()));
        item.insert(self.index.sk_attr().to_owned(), Value::from(self.sk.clone()));
    }
}

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

pub const OUTBOX_SK: &str = "OUTBOX";
pub const OUTBOX_PREFIX: &str = "OUTBOX#";
pub fn outbox(id: Uuid) -> Key {
    Key::new(format!("{OUTBOX_PREFIX}{id}"), OUTBOX_SK)
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
pub const SUBSCRIPTION_BY_ID_SK: &str = "SUB";
/// GSI2: the subscriptions of a procedure.
pub fn subscriptions_of_procedure(process: &ProcessCode) -> String {
    format!("PROCSUBS#{process}")
}
/// GSI3: subscriptions waiting for their activation date (sparse: only `Inactif` ones with a
/// date carry it), by date.
pub const SUBSCRIPTION_ACTIVATIONS: &str = "SUBACTIVATION";
pub fn subscription_activation(at: DateTime<Utc>, id: Uuid) -> String {
    format!("{}#{id}", format_time(at))
}
/// The sort key range of what is due at `now` under a sort key `<date>#…` (subscription
/// activations, retention clocks, deposit uploads): every date up to `now` included. The lower
/// bound is not empty (DynamoDB refuses empty key values); every date sorts after it.
pub fn due_until(now: DateTime<Utc>) -> (String, String) {
    // `~` sorts after the ids' characters, so everything due at exactly `now` is inside.
    ("0".to_owned(), format!("{}#~", format_time(now)))
}
pub fn api_client(client_id: &str) -> Key {
    Key::new(format!("CLIENT#{client_id}"), "CLIENT")
}
/// An operator code (`DGS`), held by one organisation.
pub fn operator_code(code: &str) -> Key {
    Key::new(format!("OPCODE#{code}"), "OPCODE")
}
/// GSI2: every API client, by client id, for the national listing.
pub const ALL_CLIENTS: &str = "CLIENTS";
/// The record of national actions: one partition, by date.
pub const ADMIN_ACTIONS: &str = "JOURNAL#NATIONAL";
pub fn admin_action(at: &str, id: Uuid) -> Key {
    Key::new(ADMIN_ACTIONS, format!("{at}#{id}"))
}
/// GSI1 sort key prefix of the API clients in their organisation's partition (`ORG#<org>`).
pub const CLIENT_PREFIX: &str = "CLIENT#";
/// The changes of a subscription's API access, in its organisation's partition, by date.
pub fn credential_events(subscription: Uuid) -> String {
    format!("CREDLOG#{subscription}#")
}
pub fn credential_event(siret: &Siret, branch: &BranchCode, subscription: Uuid, at: DateTime<Utc>, id: Uuid) -> Key {
    Key::new(org_partition(siret, branch), format!("{}{}#{id}", credential_events(subscription), format_time(at)))
}
/// GSI3: e-mails to people waiting to be sent, oldest first (sparse: only pending mail items).
/// They share the outbox's key (`OUTBOX#<id>` / `OUTBOX`), so that the same stream filter wakes
/// the dispatcher; their `entity` tells them apart.
pub const MAIL_PENDING: &str = "MAIL#PENDING";
pub fn account(email: &str) -> Key {
    Key::new(format!("ACCOUNT#{email}"), "ACCOUNT")
}
/// GSI1 sort key prefixes in an organisation's partition (`ORG#<org>`): its own accounts, and
/// the technical delegates of other organisations who serve it.
pub const ACCOUNT_PREFIX: &str = "ACCOUNT#";
pub const DELEGATE_PREFIX: &str = "DELEGATE#";
/// A technical delegate serving an organisation besides its own (one item per organisation).
/// Kept out of the account's partition, which a sign-in reads whole in one small Query.
pub fn delegation(email: &str, siret: &Siret, branch: &BranchCode) -> Key {
    Key::new(format!("SERVES#{email}"), org_partition(siret, branch))
}
/// Marks the one-time loading of the demo referential.
pub fn demo_marker() -> Key {
    Key::new("META#DEMO", "META")
}

/// Events, their files and the status history live in their case's partition, so that one
/// Query reads a case with everything that happened to it.
pub fn case_partition(id: Uuid) -> String {
    format!("CASE#{id}")
}
pub const EVENT_PREFIX: &str = "EVENT#";
pub fn event(case: Uuid, event: Uuid) -> Key {
    Key::new(case_partition(case), format!("{EVENT_PREFIX}{event}"))
}
pub const EVENT_ATTACHMENT_PREFIX: &str = "EVATT#";
pub fn event_attachment(case: Uuid, event: Uuid, attachment: Uuid) -> Key {
    Key::new(case_partition(case), format!("{EVENT_ATTACHMENT_PREFIX}{event}#{attachment}"))
}
pub const HISTORY_PREFIX: &str = "HIST#";
/// A recorded status change, in time order.
pub fn status_change(case: Uuid, at: &str, id: Uuid) -> Key {
    Key::new(case_partition(case), format!("{HISTORY_PREFIX}{at}#{id}"))
}
/// A presigned upload of an attachment, by its upload id (the last segment of its object key).
pub fn pending_upload(upload: Uuid) -> Key {
    Key::new(format!("UPLOAD#{upload}"), "UPLOAD")
}
/// GSI3: the upload URLs of portal deposits, by the date their deposit is withdrawn if its file
/// never came.
pub const DEPOSIT_DUE: &str = "DEPOSIT#DUE";
pub fn deposit_due(due: DateTime<Utc>, upload: Uuid) -> String {
    format!("{}#{upload}", format_time(due))
}
/// GSI3: folders completed by their operator whose completion awaits antivirus verdicts
/// (`HUBEE_COMPLETED`), by the date of the completion.
pub const COMPLETIONS_HELD: &str = "COMPLETION#HELD";
pub fn completion_held(at: DateTime<Utc>, folder: Uuid) -> String {
    format!("{}#{folder}", format_time(at))
}
/// GSI3: outbox items waiting for their subscription's next digest.
pub const DIGEST_PENDING: &str = "DIGEST#PENDING";
/// GSI1: the e-mails sent and failed for a subscription, by date.
pub fn deliveries(subscription: Uuid) -> String {
    format!("DELIVERIES#{subscription}")
}

/// The portal inbox of an organisation for one procedure (case index entries, only once the
/// case is transmitted): GSI1 by transmission date, GSI2 by tab and date, GSI3 by applicant
/// name, GSI4 by dossier number across the organisation's procedures, GSI5 by last update.
/// Archived cases are only in their tab (GSI2), the names and the numbers.
pub fn inbox(org: &OrgRef, process: &ProcessCode) -> String {
    format!("INBOX#{}#{process}", org.key())
}
pub fn inbox_tab(org: &OrgRef, process: &ProcessCode, tab: crate::domain::InboxTab) -> String {
    format!("INBOXTAB#{}#{process}#{tab}", org.key())
}
pub fn inbox_name(org: &OrgRef, process: &ProcessCode) -> String {
    format!("INBOXNAME#{}#{process}", org.key())
}
/// The dossiers an agent of an organisation holds ("Mes télédossiers"), by transmission date:
/// one item each while the dossier is assigned, transmitted and not archived.
pub fn assigned(org: &OrgRef, email: &str) -> String {
    format!("ASSIGNED#{}#{}", org.key(), email)
}
pub fn inbox_number(org: &OrgRef, number: &str) -> String {
    format!("INBOXNUM#{}#{}", org.key(), number.trim().to_uppercase())
}
/// The per-tab case counters of an organisation for one procedure, one item per tab (so that a
/// status change moves two different items in one transaction).
pub fn inbox_counters(org: &OrgRef, process: &ProcessCode) -> String {
    format!("COUNT#{}#{process}", org.key())
}
pub fn inbox_counter(org: &OrgRef, process: &ProcessCode, tab: crate::domain::InboxTab) -> Key {
    Key::new(inbox_counters(org, process), format!("TAB#{tab}"))
}
pub const COUNTER_ATTR: &str = "count";

/// The statistics of an organisation for one procedure and one month (Paris time), in the
/// partition of its inbox counters: the cases counted there ([`crate::domain::CaseStatistics`])
/// are counted by status in these items, which the inbox sums into its tabs, instead of in the
/// per-tab items (docs/STATISTICS.md).
pub const MONTH_PREFIX: &str = "MONTH#";
pub fn statistics_month(org: &OrgRef, process: &ProcessCode, month: crate::domain::Month) -> Key {
    Key::new(inbox_counters(org, process), format!("{MONTH_PREFIX}{month}"))
}
/// The national statistics of a procedure for one month, in [`STATISTICS_SHARDS`] items summed
/// at read: every transmission of the procedure adds to them, and shards spread the conflicts
/// of concurrent transactions.
pub fn national_statistics(process: &ProcessCode) -> String {
    format!("NSTATS#{process}")
}
/// The national statistics of the folders of one operator for a procedure, sharded the same way.
pub fn operator_statistics(operator: &OrgRef, process: &ProcessCode) -> String {
    format!("OPSTATS#{}#{process}", operator.key())
}
pub const STATISTICS_SHARDS: u8 = 4;
pub fn statistics_shard(partition: String, month: crate::domain::Month, shard: u8) -> Key {
    Key::new(partition, format!("{MONTH_PREFIX}{month}#{shard}"))
}
/// The sort key range of the months `from` to `to`, both included, sharded or not.
pub fn months_between(from: crate::domain::Month, to: crate::domain::Month) -> (String, String) {
    (format!("{MONTH_PREFIX}{from}"), format!("{MONTH_PREFIX}{to}#~"))
}

pub const LOG_PREFIX: &str = "LOG#";
/// A consultation, download or comment, in time order.
pub fn case_log(case: Uuid, at: &str, id: Uuid) -> Key {
    Key::new(case_partition(case), format!("{LOG_PREFIX}{at}#{id}"))
}

/// An account's partition: the account (`ACCOUNT`) and its sign-in failures (`SIGNIN`), so
/// that a sign-in reads both with one Query.
pub fn account_partition(email: &str) -> String {
    format!("ACCOUNT#{email}")
}
pub const ACCOUNT_SK: &str = "ACCOUNT";
pub const SIGN_IN_FAILURES_SK: &str = "SIGNIN";
pub fn sign_in_failures(email: &str) -> Key {
    Key::new(account_partition(email), SIGN_IN_FAILURES_SK)
}
/// When the account last signed in (the national support pages show it).
pub const LAST_SIGN_IN_SK: &str = "LASTSIGNIN";
pub fn last_sign_in(email: &str) -> Key {
    Key::new(account_partition(email), LAST_SIGN_IN_SK)
}
/// GSI2: every account, by the search key of its name then its address, for the national
/// support search.
pub const ALL_ACCOUNTS: &str = "ACCOUNTS";
/// GSI2: the e-mails (notifications and mail items) parked after their last retry, by date,
/// platform-wide (sparse: only failed items carry it).
pub const FAILED_DELIVERIES: &str = "DELIVERY#FAILED";
/// The reset e-mails recently sent to an account ("forgotten password", capped).
pub fn reset_requests(email: &str) -> Key {
    Key::new(account_partition(email), "RESETS")
}
/// A sign-in's one-time code challenge.
pub fn sign_in_challenge(id: Uuid) -> Key {
    Key::new(format!("CHALLENGE#{id}"), "CHALLENGE")
}
/// A portal session, by the hex SHA-256 of its cookie value.
pub fn session(id_hash: &str) -> Key {
    Key::new(format!("SESSION#{id_hash}"), "SESSION")
}
/// A ProConnect login under way, by the hex SHA-256 of its `state`.
pub fn proconnect_login(state_hash: &str) -> Key {
    Key::new(format!("PCLOGIN#{state_hash}"), "PCLOGIN")
}
/// The account a ProConnect `sub` is linked to (its address): one account per `sub`.
pub fn proconnect_sub(sub: &str) -> Key {
    Key::new(format!("PCSUB#{sub}"), "PCSUB")
}
/// An activation or reset link, by the hex SHA-256 of its token.
pub fn link_token(token_hash: &str) -> Key {
    Key::new(format!("LINK#{token_hash}"), "LINK")
}
/// The expiry attribute of expiring items (see [`crate::ports::TTL_ATTR`]).
pub use crate::ports::TTL_ATTR;

/// A running retention clock of a case (`PURGE`, `ARCHIVE`), in the case's partition, or of a
/// folder (`DELETE`), in the folder's partition: deleted with them, never read by their Queries.
pub const RETENTION_PREFIX: &str = "RETAIN#";
pub fn retention_marker(stage: crate::domain::RetentionStage, folder: Uuid, case: Option<Uuid>) -> Key {
    let pk = match (stage, case) {
        (crate::domain::RetentionStage::Delete, _) | (_, None) => folder_partition(folder),
        (_, Some(case)) => case_partition(case),
    };
    Key::new(pk, format!("{RETENTION_PREFIX}{stage}"))
}
/// GSI3: the running retention clocks, by due date (sparse: only markers carry it).
pub const RETENTION_DUE: &str = "RETENTION#DUE";
pub fn retention_due(due: DateTime<Utc>, stage: crate::domain::RetentionStage, id: Uuid) -> String {
    format!("{}#{stage}#{id}", format_time(due))
}

/// An audit chain's partition: its entries (`E#<seq>`) and its head (`HEAD`).
pub fn audit_chain(chain: &str, day: chrono::NaiveDate) -> String {
    format!("AUDIT#{chain}#{day}")
}
pub const AUDIT_ENTRY_PREFIX: &str = "E#";
pub fn audit_entry(chain: &str, day: chrono::NaiveDate, seq: u64) -> Key {
    Key::new(audit_chain(chain, day), format!("{AUDIT_ENTRY_PREFIX}{seq:012}"))
}
pub fn audit_head(chain: &str, day: chrono::NaiveDate) -> Key {
    Key::new(audit_chain(chain, day), "HEAD")
}
/// GSI3: the heads of a day's chains (sealing, verification).
pub fn audit_heads(day: chrono::NaiveDate) -> String {
    format!("AUDIT#HEADS#{day}")
}
/// GSI2: a day's entries of every chain, by time (the national view).
pub fn audit_day(day: chrono::NaiveDate) -> String {
    format!("AUDIT#DAY#{day}")
}
