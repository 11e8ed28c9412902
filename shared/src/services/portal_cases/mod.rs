//! The portal's actions on cases (the dossier page): what an agent of an instructing service
//! does on one case — consult it (the first consultation confirms its reception), read its
//! history, comment, change its status through the portal workflow (each change an event for
//! the operator), and the same on many dossiers at once; downloads and zips in `downloads`,
//! deposits in `deposits`.

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use uuid::Uuid;

use super::{Attempt, ExchangeError, actor::Actor, cases, events, optimistic, refused, statistics, views::CaseView};
use crate::{
    domain::{
        ActionType, CaseStatus, ChangeSource, EventStatus, InboxTab, LogEntry, LogKind, OrgRef, Procedure,
        Sha256Digest, format_time,
    },
    state::AppState,
};

mod assignment;
mod deposits;
mod downloads;

pub use assignment::{Colleague, assign, colleagues};
pub use deposits::{
    DepositUpload, MAX_FILE_NAME, MAX_FILE_TYPE, MAX_MIME_TYPE, deposit, deposit_file, deposit_upload_url,
};
pub(crate) use deposits::{send_deposit, withdraw_deposit, withdraw_unfinished_deposit};
pub use downloads::{Archive, deliver_all, deliver_file, deliver_many, download_all, download_file, download_many};

/// Sends an event (its files all received): what the portal does once a deposit's file is in.
const SENT: events::EventUpdate = events::EventUpdate { status: EventStatus::Sent };

/// The most dossiers one bulk action takes.
pub const MAX_BULK: usize = 500;
/// The longest internal comment or refusal reason.
pub const MAX_TEXT: usize = 1000;

/// The portal's status changes ("Modifier le statut", and the bulk actions).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Action {
    /// Accuser réception: Nouveau → Reçu.
    ConfirmReception,
    /// Commencer le traitement: → En cours.
    StartProcessing,
    /// Demander des compléments: → En attente de compléments.
    RequestComplements,
    /// Refuser (a reason is required): → Refusé.
    Refuse,
    /// Finaliser le traitement: → Traité.
    Finish,
}

impl Action {
    pub const ALL: [Action; 5] =
        [Action::ConfirmReception, Action::StartProcessing, Action::RequestComplements, Action::Refuse, Action::Finish];

    pub fn target(self) -> CaseStatus {
        match self {
            Action::ConfirmReception => CaseStatus::SiReceived,
            Action::StartProcessing => CaseStatus::InProgress,
            Action::RequestComplements => CaseStatus::AddAwaiting,
            Action::Refuse => CaseStatus::Refused,
            Action::Finish => CaseStatus::Done,
        }
    }

    /// Whether the procedure's rules offer the action (asking for complements may be off).
    pub fn allowed_by(self, procedure: &Procedure) -> bool {
        self != Action::RequestComplements || procedure.awaiting_complements
    }

    /// The portal workflow: which statuses each action starts from.
    pub fn allowed_from(self, status: CaseStatus) -> bool {
        use CaseStatus::*;
        match self {
            Action::ConfirmReception => matches!(status, HubeeNotified | Sent),
            Action::StartProcessing => matches!(status, SiReceived | AddAwaiting),
            Action::RequestComplements => matches!(status, SiReceived | InProgress),
            Action::Refuse => matches!(status, SiReceived | InProgress | AddAwaiting),
            Action::Finish => matches!(status, InProgress | AddAwaiting),
        }
    }

    /// # Errors
    /// The accepted values, for a wrong one.
    pub fn parse(s: &str) -> Result<Self, String> {
        serde_json::from_value(Value::String(s.to_owned())).map_err(|_| {
            let all: Vec<_> = Action::ALL.iter().map(|a| json!(a)).collect();
            format!("\"{s}\" is not an action (possible values: {})", Value::Array(all))
        })
    }
}

fn log(actor: &Actor, case_id: Uuid, kind: LogKind, state: &AppState) -> LogEntry {
    LogEntry {
        id: state.ids.new_id(),
        case_id,
        kind,
        actor: actor.org.clone(),
        actor_id: actor.id.clone(),
        actor_name: actor.name.clone(),
        date_time: state.clock.now(),
    }
}

/// Records a consultation or download in the case's history.
///
/// # Errors
/// When the store fails.
pub async fn record(state: &AppState, actor: &Actor, case_id: Uuid, kind: LogKind) -> Result<(), ExchangeError> {
    let entry = log(actor, case_id, kind, state);
    Ok(state.store.commit(vec![state.store.record_log_write(&entry)?]).await?)
}

/// The dossier page: the case as the API shows it, its procedure, its tab, whether its reception
/// is still to confirm and which actions the workflow offers. The consultation is recorded (the
/// first one by the recipient's agents also in the statistics), and what the operator sent is
/// acknowledged as seen.
///
/// # Errors
/// `CaseNotFound`, `Forbidden`.
pub async fn read(state: &AppState, actor: &Actor, case_id: Uuid) -> Result<DossierPage, ExchangeError> {
    let (access, procedure) = optimistic::<_, ExchangeError, _, _>(state, || async move {
        let (access, procedure) = cases::access_with_procedure(state, actor, case_id).await?;
        let mut writes = vec![state.store.record_log_write(&log(actor, case_id, LogKind::Consulted, state))?];
        // The recipient's first consultation, in the statistics, with its record.
        writes.extend(statistics::first_consultation(state, &access)?);
        Ok(Attempt::Commit(writes, (access, procedure)))
    })
    .await?;
    let (access, procedure) = if acknowledge_seen_events(state, actor, &access).await? {
        cases::access_with_procedure(state, actor, case_id).await?
    } else {
        (access, procedure)
    };
    let status = access.case().status;
    // Nothing changes an archived dossier: no action, deposit or message is offered.
    let open = actor.manages && !archived(access.case());
    let actions: Vec<Action> = if actor.manages {
        let allowed = |a: &Action| a.allowed_from(status) && procedure.as_ref().is_none_or(|p| a.allowed_by(p));
        Action::ALL.into_iter().filter(allowed).collect()
    } else {
        Vec::new()
    };
    Ok(DossierPage {
        case: CaseView::of(&access, actor, false),
        reception_to_confirm: actor.manages && Action::ConfirmReception.allowed_from(status),
        actions,
        deposits_allowed: open && procedure.as_ref().is_none_or(|p| p.instructing_deposits),
        messages_allowed: open && procedure.as_ref().is_some_and(|p| p.messages),
        digests: downloads::case_files(&access).filter_map(|a| Some((a.id, a.sha256?.to_hex()))).collect(),
        assignee: access.case().assignee.clone(),
        procedure_title: procedure.map(|p| p.title),
        tab: status.tab(),
    })
}

/// Acknowledges (`RECEIVED`, the operator notified) what the operator sent that the agent now
/// sees on the dossier page, as the API's clients do; whether there was any.
async fn acknowledge_seen_events(
    state: &AppState,
    actor: &Actor,
    access: &cases::CaseAccess,
) -> Result<bool, ExchangeError> {
    if !actor.manages {
        return Ok(false);
    }
    let own = actor.org.key();
    let unseen: Vec<Uuid> = access
        .record
        .events
        .iter()
        .map(|e| &e.value)
        .filter(|e| e.status == EventStatus::Sent && e.transmitter.key() != own)
        .map(|e| e.id)
        .collect();
    for id in &unseen {
        let received = events::EventUpdate { status: EventStatus::Received };
        events::update_event(state, actor, access.case().id, *id, received).await?;
    }
    Ok(!unseen.is_empty())
}

/// The dossier page: the case as the API shows it, and what the portal adds.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DossierPage {
    #[serde(flatten)]
    pub case: CaseView,
    pub procedure_title: Option<String>,
    pub tab: Option<InboxTab>,
    pub reception_to_confirm: bool,
    /// The status changes the workflow and the procedure offer the agent now.
    pub actions: Vec<Action>,
    /// Whether the agent may deposit files ("Déposer une pièce jointe"): its role and the
    /// procedure's rule.
    pub deposits_allowed: bool,
    /// Whether the agent may send the operator a message: its role and the procedure's rule.
    pub messages_allowed: bool,
    /// The agent holding the dossier.
    pub assignee: Option<crate::domain::Assignee>,
    /// Each received file's SHA-256 (hexadecimal), by attachment id: what an agent files on paper.
    pub digests: std::collections::BTreeMap<Uuid, String>,
}

/// Changes a dossier's status through the portal workflow: a `STATUS_UPDATE` event for the
/// operator (notified), written by the agent, with the refusal reason as its message.
///
/// # Errors
/// `Forbidden` without the management role, `Refused` for an action the workflow does not
/// offer from the current status, or a refusal without reason.
pub async fn act(
    state: &AppState,
    actor: &Actor,
    case_id: Uuid,
    action: Action,
    reason: Option<&str>,
) -> Result<CaseStatus, ExchangeError> {
    if !actor.manages {
        return Err(ExchangeError::Forbidden);
    }
    let reason = reason.map(str::trim).filter(|r| !r.is_empty());
    if action == Action::Refuse && reason.is_none() {
        return Err(refused("A refusal needs a reason"));
    }
    if reason.is_some_and(|r| r.chars().count() > MAX_TEXT) {
        return Err(refused(format!("The reason is longer than {MAX_TEXT} characters")));
    }
    let access = cases::access(state, actor, case_id).await?;
    let current = access.case().status;
    if !action.allowed_from(current) {
        return Err(refused(format!("{action:?} is not possible on a dossier in status {current}")));
    }
    let body = json!({
        "actionType": "STATUS_UPDATE",
        "notification": true,
        "caseCurrentStatus": current,
        "caseNewStatus": action.target(),
        "message": reason,
    });
    events::create_event(state, actor, case_id, events::NewEvent::parse("PORTAIL", &body)?, None).await?;
    Ok(action.target())
}

/// "Gestion des télédossiers": downloading and depositing need it, reading does not.
fn require_manager(actor: &Actor) -> Result<(), ExchangeError> {
    if actor.manages { Ok(()) } else { Err(ExchangeError::Forbidden) }
}

/// Whether retention archived the case: the dossier is then read-only until it is deleted
/// (docs/PORTAL-DOSSIERS.md).
fn archived(case: &crate::domain::Case) -> bool {
    case.tab() == Some(crate::domain::InboxTab::Archive)
}

/// Refuses a portal change to a dossier that is not open to it: not visible (read as for reading
/// it), or archived, which takes no comment, message, deposit or assignment.
async fn open_for_change(state: &AppState, actor: &Actor, case_id: Uuid) -> Result<(), ExchangeError> {
    let access = cases::access(state, actor, case_id).await?;
    if archived(access.case()) {
        return Err(refused("An archived dossier is read-only"));
    }
    Ok(())
}

/// What a bulk action did to one dossier: its new status, or why it was not changed.
#[derive(Debug)]
pub struct BulkOutcome {
    pub case_id: Uuid,
    pub result: Result<CaseStatus, ExchangeError>,
}

/// The same action on many dossiers: each succeeds or fails on its own, in the order given.
///
/// # Errors
/// `Refused` for an empty list or more than [`MAX_BULK`] dossiers.
pub async fn bulk(
    state: &AppState,
    actor: &Actor,
    ids: &[Uuid],
    action: Action,
    reason: Option<&str>,
) -> Result<Vec<BulkOutcome>, ExchangeError> {
    if ids.is_empty() || ids.len() > MAX_BULK {
        return Err(refused(format!("A bulk action takes 1 to {MAX_BULK} dossiers")));
    }
    let mut results = Vec::with_capacity(ids.len());
    for id in ids {
        results.push(BulkOutcome { case_id: *id, result: act(state, actor, *id, action, reason).await });
    }
    Ok(results)
}

/// `{caseIds}` of a bulk request or an archive of several dossiers: 1 to [`MAX_BULK`] UUIDs, in
/// the order given.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CaseSelection {
    pub case_ids: Vec<Uuid>,
}

impl CaseSelection {
    /// Reads the body's `caseIds`; `line` (`METHOD /path`) names the request in the problems.
    ///
    /// # Errors
    /// `Invalid` listing what is wrong.
    pub fn parse(line: &str, body: &Value) -> Result<Self, ExchangeError> {
        let mut c = super::Checker::new(line);
        let mut case_ids = Vec::new();
        if let Some(root) = c.root(body) {
            for (i, v) in c.array(root, "", "caseIds", 1, MAX_BULK).into_iter().flatten().enumerate() {
                match v.as_str().and_then(|s| s.parse().ok()) {
                    Some(id) => case_ids.push(id),
                    None => c.problem(&format!(".caseIds[{i}]"), "Input is not a valid UUID"),
                }
            }
        }
        if c.is_ok() { Ok(Self { case_ids }) } else { Err(ExchangeError::Invalid(c.problems)) }
    }
}

/// Adds an internal comment ("Ajout d'un nouveau commentaire"): seen by the organisation only.
///
/// # Errors
/// `Refused` for an empty or too long text, or an archived dossier; `Forbidden` without the
/// management role.
pub async fn comment(state: &AppState, actor: &Actor, case_id: Uuid, text: &str) -> Result<LogEntry, ExchangeError> {
    if !actor.manages {
        return Err(ExchangeError::Forbidden);
    }
    let text = text.trim();
    if text.is_empty() || text.chars().count() > MAX_TEXT {
        return Err(refused(format!("A comment has 1 to {MAX_TEXT} characters")));
    }
    open_for_change(state, actor, case_id).await?;
    let entry = log(actor, case_id, LogKind::Comment { text: text.to_owned() }, state);
    state.store.commit(vec![state.store.record_log_write(&entry)?]).await?;
    Ok(entry)
}

/// Sends the operator a message without changing the status (the contract's `SENDING_MESSAGE`
/// event, notified), when the procedure allows messages.
///
/// # Errors
/// `Forbidden` without the management role; `Refused` for an empty or too long text, a
/// procedure without messages, or an archived dossier.
pub async fn send_message(state: &AppState, actor: &Actor, case_id: Uuid, text: &str) -> Result<Uuid, ExchangeError> {
    require_manager(actor)?;
    let text = text.trim();
    if text.is_empty() || text.chars().count() > MAX_TEXT {
        return Err(refused(format!("A message has 1 to {MAX_TEXT} characters")));
    }
    open_for_change(state, actor, case_id).await?;
    let body = json!({"actionType": "SENDING_MESSAGE", "notification": true, "message": text});
    let event = events::create_event(state, actor, case_id, events::NewEvent::parse("PORTAIL", &body)?, None).await?;
    Ok(event.id)
}

/// Everything that happened to the dossier, oldest first, with who and when: its creation and
/// transmission, every event exchanged, every status change, consultation, download and comment.
///
/// # Errors
/// `CaseNotFound`, `Forbidden`.
pub async fn history(state: &AppState, actor: &Actor, case_id: Uuid) -> Result<History, ExchangeError> {
    use HistoryEntry as H;
    let access = cases::access(state, actor, case_id).await?;
    let case = access.case();
    let created = format_time(access.folder.create_date_time);
    let mut entries = vec![H::Created { date_time: created, by: access.folder.operator.clone() }];
    if let Some(t) = case.transmission_date_time {
        entries.push(H::Transmitted { date_time: format_time(t), by: access.folder.operator.clone() });
    }
    for e in &access.record.events {
        let e = &e.value;
        let own = e.transmitter.key() == actor.org.key();
        let attachments = access
            .record
            .attachments_of(e)
            .iter()
            .map(|a| HistoryFile { file_name: a.value.file_name.clone(), size: a.value.size, sha256: a.value.sha256 })
            .collect();
        entries.push(H::Event {
            event_id: e.id,
            date_time: format_time(e.create_date_time),
            by: e.transmitter.clone(),
            author: e.author.clone(),
            action_type: e.action_type,
            status: e.status,
            message: e.message.clone(),
            comment: if own { e.comment.clone() } else { None },
            case_new_status: e.case_new_status,
            attachments,
        });
    }
    for h in &access.record.history {
        entries.push(H::Status {
            date_time: format_time(h.date_time),
            by: h.actor.clone(),
            actor_id: h.actor_id.clone(),
            from: h.from,
            to: h.to,
            source: h.source,
        });
    }
    for l in &access.record.log {
        let (date_time, by, actor_id, author) =
            (format_time(l.date_time), l.actor.clone(), l.actor_id.clone(), l.actor_name.clone());
        entries.push(match &l.kind {
            LogKind::Consulted => H::Consulted { date_time, by, actor_id, author },
            LogKind::Downloaded { file_name } => {
                H::Downloaded { date_time, by, actor_id, author, file_name: file_name.clone() }
            }
            LogKind::DownloadedAll => H::DownloadedAll { date_time, by, actor_id, author },
            LogKind::Comment { text } => H::Comment { date_time, by, actor_id, author, text: text.clone() },
            LogKind::AttachmentQuarantined { file_name, attachment_id, signature } => H::AttachmentQuarantined {
                date_time,
                by,
                actor_id,
                author,
                file_name: file_name.clone(),
                attachment_id: *attachment_id,
                signature: signature.clone(),
            },
            LogKind::Assigned { assignee_id, assignee_name } => H::Assigned {
                date_time,
                by,
                actor_id,
                author,
                assignee_id: assignee_id.clone(),
                assignee_name: assignee_name.clone(),
            },
            LogKind::Released { assignee_id, assignee_name } => H::Released {
                date_time,
                by,
                actor_id,
                author,
                assignee_id: assignee_id.clone(),
                assignee_name: assignee_name.clone(),
            },
            LogKind::AttachmentPurged { file_name, attachment_id } => H::AttachmentPurged {
                date_time,
                by,
                actor_id,
                author,
                file_name: file_name.clone(),
                attachment_id: *attachment_id,
            },
        });
    }
    // Stable: what happened at the same time stays in the order above.
    entries.sort_by(|a, b| a.date_time().cmp(b.date_time()));
    Ok(History {
        case_id: case.id,
        status: case.status,
        update_date_time: case.update_date_time.map(format_time),
        entries,
    })
}

/// A dossier's history, oldest first.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct History {
    pub case_id: Uuid,
    pub status: CaseStatus,
    pub update_date_time: Option<String>,
    pub entries: Vec<HistoryEntry>,
}

/// One line of a dossier's history: what happened, when, by whom.
#[derive(Clone, Debug, Serialize)]
#[serde(tag = "kind", rename_all = "SCREAMING_SNAKE_CASE", rename_all_fields = "camelCase")]
pub enum HistoryEntry {
    Created {
        date_time: String,
        by: OrgRef,
    },
    Transmitted {
        date_time: String,
        by: OrgRef,
    },
    Event {
        event_id: Uuid,
        date_time: String,
        by: OrgRef,
        author: Option<String>,
        action_type: ActionType,
        status: EventStatus,
        message: Option<String>,
        /// Only for the event's transmitter's organisation.
        comment: Option<String>,
        case_new_status: Option<CaseStatus>,
        attachments: Vec<HistoryFile>,
    },
    Status {
        date_time: String,
        by: OrgRef,
        actor_id: String,
        from: CaseStatus,
        to: CaseStatus,
        source: ChangeSource,
    },
    Consulted {
        date_time: String,
        by: OrgRef,
        actor_id: String,
        author: Option<String>,
    },
    Downloaded {
        date_time: String,
        by: OrgRef,
        actor_id: String,
        author: Option<String>,
        file_name: String,
    },
    DownloadedAll {
        date_time: String,
        by: OrgRef,
        actor_id: String,
        author: Option<String>,
    },
    Comment {
        date_time: String,
        by: OrgRef,
        actor_id: String,
        author: Option<String>,
        text: String,
    },
    /// The antivirus rejected a file: `CORRUPTED`, never served.
    AttachmentQuarantined {
        date_time: String,
        by: OrgRef,
        actor_id: String,
        author: Option<String>,
        file_name: String,
        attachment_id: Uuid,
        signature: String,
    },
    AttachmentPurged {
        date_time: String,
        by: OrgRef,
        actor_id: String,
        author: Option<String>,
        file_name: String,
        attachment_id: Uuid,
    },
    /// The dossier was given to an agent (`actorId` gave it: the same agent when taken).
    Assigned {
        date_time: String,
        by: OrgRef,
        actor_id: String,
        author: Option<String>,
        assignee_id: String,
        assignee_name: String,
    },
    /// The agent named no longer holds the dossier.
    Released {
        date_time: String,
        by: OrgRef,
        actor_id: String,
        author: Option<String>,
        assignee_id: String,
        assignee_name: String,
    },
}

impl HistoryEntry {
    fn date_time(&self) -> &str {
        match self {
            Self::Created { date_time, .. }
            | Self::Transmitted { date_time, .. }
            | Self::Event { date_time, .. }
            | Self::Status { date_time, .. }
            | Self::Consulted { date_time, .. }
            | Self::Downloaded { date_time, .. }
            | Self::DownloadedAll { date_time, .. }
            | Self::Comment { date_time, .. }
            | Self::AttachmentQuarantined { date_time, .. }
            | Self::AttachmentPurged { date_time, .. }
            | Self::Assigned { date_time, .. }
            | Self::Released { date_time, .. } => date_time,
        }
    }
}

/// A file of an event, as the history lists it (what an agent files on paper).
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct HistoryFile {
    pub file_name: String,
    pub size: u64,
    pub sha256: Option<Sha256Digest>,
}
