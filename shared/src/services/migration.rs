//! Moving an organisation's dossiers to another (commune mergers): every transmitted case of a
//! procedure, with its events and the notifications the organisation received, goes to the
//! target, which must be an open instructing service subscribed to the procedure.
//!
//! Idempotent and resumable: each case moves in its own transaction (its events first, which a
//! retry rewrites alike), and what has moved leaves the source's inbox index, so a second run
//! takes up what is left and a finished one moves nothing. A call works for a bounded time and
//! says whether it is done. Recorded in the national journal.
//!
//! Not moved: cases whose folder is not complete yet (not transmitted: they have no inbox
//! entry; once the source is closed no new folder reaches it, and a run after the folders in
//! flight have completed moves them), and the notifications the operator received from the
//! source, which keep the sender they had (docs/NATIONAL.md).

use std::time::{Duration, Instant};

use serde::Serialize;

use super::{ExchangeError, national};
use crate::{
    domain::{AdminAction, OrgRef, OrgType, ProcessCode},
    state::AppState,
    store::StoreError,
};

/// How long one call moves cases before it answers (the caller calls again until done).
pub const BUDGET: Duration = Duration::from_secs(10);
/// Cases read per round.
const BATCH: usize = 25;
/// Events rewritten per transaction, under DynamoDB's 100 items.
const EVENTS_PER_COMMIT: usize = 90;

/// A migration: from whom, to whom, which procedures (every one the source subscribes to when
/// none is given).
#[derive(Clone, Debug)]
pub struct Migration {
    pub source: OrgRef,
    pub target: OrgRef,
    pub process_code: Option<ProcessCode>,
}

/// What a call did: the contract's `caseUpdated`, and whether everything has moved.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct MigrationOutcome {
    pub case_updated: usize,
    pub notifications_updated: usize,
    pub done: bool,
}

/// Who runs it, as the journal names them.
#[derive(Clone, Debug)]
pub struct Migrator {
    pub actor: String,
    pub name: String,
}

impl Migration {
    /// The contract's body: `{organizationSource, organizationTarget}` (each an
    /// `OrganizationIdentifier` of type SI), and `processCode`, the hub's addition, optional.
    ///
    /// # Errors
    /// `Invalid`, every problem listed.
    pub fn parse_contract(line: &str, body: &serde_json::Value) -> Result<Self, ExchangeError> {
        Self::parse(line, body, ["organizationSource", "organizationTarget"], ("companyRegister", "branchCode"), true)
    }

    /// The national pages' body: `{source: {siret, branchCode}, target: {…}, processCode?}`.
    ///
    /// # Errors
    /// `Invalid`, every problem listed.
    pub fn parse_national(line: &str, body: &serde_json::Value) -> Result<Self, ExchangeError> {
        Self::parse(line, body, ["source", "target"], ("siret", "branchCode"), false)
    }

    fn parse(
        line: &str,
        body: &serde_json::Value,
        [from, to]: [&str; 2],
        (siret_name, branch_name): (&str, &str),
        typed: bool,
    ) -> Result<Self, ExchangeError> {
        let mut c = super::validate::Checker::new(line);
        let Some(root) = c.root(body) else { return Err(ExchangeError::Invalid(c.problems)) };
        c.only(root, "", &[from, to, "processCode"]);
        let mut org = |name: &str| {
            let o = c.object(root, "", name, true)?;
            let at = format!(".{name}");
            if typed {
                c.only(o, &at, &["type", siret_name, branch_name]);
                if let Some(t) = c.string(o, &at, "type", false, 10).filter(|t| t != "SI") {
                    c.problem(
                        &format!("{at}.type"),
                        format!("Instance value (\"{t}\") not found in enum (possible values: [\"SI\"])"),
                    );
                }
            } else {
                c.only(o, &at, &[siret_name, branch_name]);
            }
            let siret = c.parsed(o, &at, siret_name, true, 14, crate::domain::Siret::parse);
            let branch = c.parsed(o, &at, branch_name, true, 10, crate::domain::BranchCode::parse);
            Some(OrgRef { org_type: OrgType::Si, company_register: siret?, branch_code: branch? })
        };
        let source = org(from);
        let target = org(to);
        let process_code =
            c.parsed(root, "", "processCode", false, 30, |s| ProcessCode::parse(s).map_err(|e| e.to_string()));
        match (source, target) {
            (Some(source), Some(target)) if c.is_ok() => Ok(Self { source, target, process_code }),
            _ => Err(ExchangeError::Invalid(c.problems)),
        }
    }
}

fn refused(m: impl Into<String>) -> ExchangeError {
    ExchangeError::Refused(vec![m.into()])
}

/// The procedures to move, after the checks: both organisations exist, the target is an open
/// instructing service subscribed to each.
async fn procedures(state: &AppState, m: &Migration) -> Result<Vec<ProcessCode>, ExchangeError> {
    let (s, t) = (&m.source, &m.target);
    if s.key() == t.key() {
        return Err(refused("organizationSource and organizationTarget are the same organisation"));
    }
    let (source, target) = tokio::try_join!(
        state.store.organisation(&s.company_register, &s.branch_code),
        state.store.organisation(&t.company_register, &t.branch_code),
    )?;
    let (Some(_), Some(target)) = (source, target) else {
        return Err(ExchangeError::NotFound("Organization is not found"));
    };
    if target.org_type != OrgType::Si || target.is_closed() {
        return Err(refused("organizationTarget must be an open instructing service (SI)"));
    }
    let codes: Vec<ProcessCode> = match &m.process_code {
        Some(p) => vec![p.clone()],
        None => state
            .store
            .subscriptions_of_organisation(&s.company_register, &s.branch_code)
            .await?
            .into_iter()
            .map(|sub| sub.process_code)
            .collect(),
    };
    let mut missing = Vec::new();
    for code in &codes {
        if state.store.subscription(&t.company_register, &t.branch_code, code).await?.is_none() {
            missing.push(format!("organizationTarget is not subscribed to {code}"));
        }
    }
    if missing.is_empty() { Ok(codes) } else { Err(ExchangeError::Refused(missing)) }
}

/// Moves one case: its events sent by the source first (idempotent), then the case with its
/// inbox counters. `false` when someone changed it meanwhile (the next round takes it again).
async fn move_case(
    state: &AppState,
    m: &Migration,
    case: &crate::store::Versioned<crate::domain::Case>,
) -> Result<bool, ExchangeError> {
    if let Some(record) = state.store.case_record(case.value.id).await? {
        let mut writes = Vec::new();
        for e in record.events.iter().filter(|e| e.value.transmitter.key() == m.source.key()) {
            let moved = crate::domain::Event { transmitter: m.target.clone(), ..e.value.clone() };
            writes.push(state.store.update_event_write(&moved, e.version)?);
        }
        for chunk in writes.chunks(EVENTS_PER_COMMIT) {
            match state.store.commit(chunk.to_vec()).await {
                Ok(()) | Err(StoreError::Conflict) => {}
                Err(e) => return Err(e.into()),
            }
        }
    }
    // The agents of the source do not serve the target: the dossier is nobody's there.
    let after = crate::domain::Case { recipient: m.target.clone(), assignee: None, ..case.value.clone() };
    match state.store.commit(state.store.move_case_writes(case, &after)?).await {
        Ok(()) => Ok(true),
        Err(StoreError::Conflict) => Ok(false),
        Err(e) => Err(e.into()),
    }
}

/// Runs a migration for at most `budget`, recording what it did in the journal.
///
/// # Errors
/// `NotFound` for an unknown organisation, `Refused` for a target that cannot take the cases.
pub async fn migrate(
    state: &AppState,
    who: &Migrator,
    m: &Migration,
    budget: Duration,
) -> Result<MigrationOutcome, ExchangeError> {
    let started = Instant::now();
    let codes = procedures(state, m).await?;
    let mut outcome = MigrationOutcome { case_updated: 0, notifications_updated: 0, done: false };
    'procedures: for code in &codes {
        loop {
            if started.elapsed() >= budget {
                break 'procedures;
            }
            let cases = state.store.inbox_cases(&m.source, code, BATCH).await?;
            if cases.is_empty() {
                break;
            }
            for case in &cases {
                if move_case(state, m, case).await? {
                    outcome.case_updated += 1;
                }
            }
        }
        loop {
            if started.elapsed() >= budget {
                break 'procedures;
            }
            let notifications = state.store.notifications_of_procedure(&m.source, code, BATCH).await?;
            if notifications.is_empty() {
                break;
            }
            for n in &notifications {
                let moved = crate::domain::Notification { recipient: m.target.clone(), ..n.value.clone() };
                match state.store.commit(vec![state.store.update_notification_write(&moved, n.version)?]).await {
                    Ok(()) => outcome.notifications_updated += 1,
                    Err(StoreError::Conflict) => {}
                    Err(e) => return Err(e.into()),
                }
            }
        }
    }
    outcome.done = started.elapsed() < budget || remaining(state, m, &codes).await? == 0;
    let entry = AdminAction {
        id: state.ids.new_id(),
        at: state.clock.now(),
        actor: who.actor.clone(),
        actor_name: who.name.clone(),
        action: "cases.migrate".into(),
        target: format!("{} → {}", label(&m.source), label(&m.target)),
        before: None,
        after: Some(serde_json::json!({
            "processCodes": codes,
            "caseUpdated": outcome.case_updated,
            "notificationsUpdated": outcome.notifications_updated,
            "done": outcome.done,
        })),
    };
    state.store.commit(vec![state.store.admin_action_write(&entry)?]).await?;
    tracing::info!(cases = outcome.case_updated, done = outcome.done, "cases migrated");
    Ok(outcome)
}

/// Whether anything is left to move (a call that ran out of time on its last item).
async fn remaining(state: &AppState, m: &Migration, codes: &[ProcessCode]) -> Result<usize, ExchangeError> {
    let mut left = 0;
    for code in codes {
        left += state.store.inbox_cases(&m.source, code, 1).await?.len();
        left += state.store.notifications_of_procedure(&m.source, code, 1).await?.len();
    }
    Ok(left)
}

fn label(o: &OrgRef) -> String {
    format!("organisation {}-{}", o.company_register, o.branch_code)
}

/// A national administrator runs it from the national pages.
impl From<&national::NationalAdmin> for Migrator {
    fn from(a: &national::NationalAdmin) -> Self {
        Self { actor: a.email.to_string(), name: a.name.clone() }
    }
}
