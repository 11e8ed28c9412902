//! Reading the journal: an organisation's entries for its local administrators, every
//! organisation's for the national administrator; newest first, day by day, filtered by actor,
//! action, outcome and dates, paged by cursor.

use chrono::{Days, NaiveDate};
use serde::Serialize;

use crate::{
    domain::{AuditEntry, OrgId, Outcome, chain_name},
    services::{
        ExchangeError,
        inbox::{decode_cursor, encode_cursor},
    },
    state::AppState,
    store::AuditSource,
};

/// The days a query spans when `from` is not given, and at most.
const DEFAULT_DAYS: u64 = 30;
const MAX_DAYS: u64 = 366;
const DEFAULT_LIMIT: usize = 50;
const MAX_LIMIT: usize = 200;

/// The query parameters of `GET /portail/v1/audit`; the national route adds `siret` and
/// `branchCode` (one organisation's chain).
pub const LOCAL_PARAMETERS: &[&str] = &["from", "to", "actor", "action", "outcome", "limit", "cursor", "organisation"];
pub const NATIONAL_PARAMETERS: &[&str] =
    &["from", "to", "actor", "action", "outcome", "limit", "cursor", "siret", "branchCode"];

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AuditQuery {
    pub from: NaiveDate,
    pub to: NaiveDate,
    /// Part of the actor's address or client id, case ignored.
    pub actor: Option<String>,
    /// An action or the beginning of one (`signIn` matches `signIn.password`).
    pub action: Option<String>,
    pub outcome: Option<Outcome>,
    pub limit: usize,
    /// Where the previous page stopped: its day and sort key.
    pub cursor: Option<(NaiveDate, String)>,
    /// The national route's organisation filter.
    pub organisation: Option<OrgId>,
}

fn last<'a>(pairs: &'a [(String, String)], name: &str) -> Option<&'a str> {
    pairs.iter().rev().find(|(k, _)| k == name).map(|(_, v)| v.trim()).filter(|v| !v.is_empty())
}

impl AuditQuery {
    /// Reads the parameters (dates `YYYY-MM-DD`, UTC days; by default the last 30 days).
    ///
    /// # Errors
    /// `Invalid` naming every malformed parameter, a range backwards or longer than a year.
    pub fn parse(state: &AppState, line: &str, pairs: &[(String, String)]) -> Result<Self, ExchangeError> {
        let mut problems = Vec::new();
        let mut problem =
            |name: &str, what: String| problems.push(format!("[ERROR][REQUEST][{line} @query.{name}] {what}"));
        let mut date = |name: &str| {
            last(pairs, name).and_then(|v| {
                let d = NaiveDate::parse_from_str(v, "%Y-%m-%d").ok();
                if d.is_none() {
                    problem(name, format!("\"{v}\" is not a date (YYYY-MM-DD)"));
                }
                d
            })
        };
        let (from, to) = (date("from"), date("to"));
        let to = to.unwrap_or_else(|| state.clock.now().date_naive());
        let from = from.unwrap_or_else(|| to - Days::new(DEFAULT_DAYS - 1));
        let outcome = last(pairs, "outcome").and_then(|v| {
            let o = Outcome::parse(v);
            if o.is_none() {
                problem("outcome", format!("\"{v}\" is not GRANTED or DENIED"));
            }
            o
        });
        let limit = match last(pairs, "limit").map(str::parse::<usize>) {
            None => DEFAULT_LIMIT,
            Some(Ok(n)) if (1..=MAX_LIMIT).contains(&n) => n,
            Some(_) => {
                problem("limit", format!("a number from 1 to {MAX_LIMIT}"));
                DEFAULT_LIMIT
            }
        };
        let siret = last(pairs, "siret")
            .and_then(|v| crate::domain::Siret::parse(v).map_err(|e| problem("siret", e.to_string())).ok());
        let branch = last(pairs, "branchCode")
            .and_then(|v| crate::domain::BranchCode::parse(v).map_err(|e| problem("branchCode", e.to_string())).ok());
        let organisation = match (siret, branch) {
            (Some(siret), Some(branch_code)) => Some(OrgId { siret, branch_code }),
            (None, None) => None,
            _ => {
                if last(pairs, "siret").is_some() != last(pairs, "branchCode").is_some() {
                    problem("branchCode", "siret and branchCode go together".into());
                }
                None
            }
        };
        let days = (to - from).num_days() + 1;
        if days < 1 {
            problem("from", format!("{from} comes after {to}"));
        } else if days > i64::try_from(MAX_DAYS).unwrap_or(i64::MAX) {
            problem("from", format!("{days} days asked: at most {MAX_DAYS} at once"));
        }
        let cursor = match last(pairs, "cursor") {
            None => None,
            Some(c) => decode_cursor(c, "journal")
                .ok()
                .and_then(|k| {
                    let (day, sk) = k.split_once('|')?;
                    Some((NaiveDate::parse_from_str(day, "%Y-%m-%d").ok()?, sk.to_owned()))
                })
                .or_else(|| {
                    problem("cursor", "not a cursor this journal issued".into());
                    None
                }),
        };
        let query = Self {
            from,
            to,
            actor: last(pairs, "actor").map(str::to_lowercase),
            action: last(pairs, "action").map(str::to_owned),
            outcome,
            limit,
            cursor,
            organisation,
        };
        if problems.is_empty() { Ok(query) } else { Err(ExchangeError::Invalid(problems)) }
    }

    fn keeps(&self, e: &AuditEntry) -> bool {
        self.actor.as_ref().is_none_or(|a| e.record.actor.id.to_lowercase().contains(a.as_str()))
            && self
                .action
                .as_ref()
                .is_none_or(|a| e.record.action == *a || e.record.action.starts_with(&format!("{a}.")))
            && self.outcome.is_none_or(|o| e.record.outcome == o)
    }
}

/// An entry as the journal's readers see it, with its own hash (what the next entry's `prev`
/// names).
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AuditEntryView {
    #[serde(flatten)]
    pub entry: AuditEntry,
    pub hash: String,
}

#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AuditPage {
    pub items: Vec<AuditEntryView>,
    pub next_cursor: Option<String>,
}

/// The entries of one organisation's chain (`Some`), or of every chain, newest first.
///
/// # Errors
/// `Store` when the table fails.
pub async fn list(state: &AppState, organisation: Option<&OrgId>, q: &AuditQuery) -> Result<AuditPage, ExchangeError> {
    let source = match organisation.or(q.organisation.as_ref()) {
        Some(org) => AuditSource::Chain(chain_name(Some(org))),
        None => AuditSource::Everyone,
    };
    let (mut day, mut before) = match &q.cursor {
        Some((day, sk)) => (*day, Some(sk.clone())),
        None => (q.to, None),
    };
    let mut items = Vec::new();
    while day >= q.from && items.len() < q.limit {
        let page = state
            .store
            .audit_day_newest(&source, day, before.as_deref(), q.limit - items.len(), |e| q.keeps(e))
            .await?;
        items.extend(page.items.into_iter().map(|entry| AuditEntryView { hash: entry.digest(), entry }));
        if items.len() == q.limit {
            let next = match page.next {
                Some(sk) => Some(encode_cursor(&format!("{day}|{sk}"))),
                // The day ended with the page: the next starts the day before.
                None => day.pred_opt().filter(|d| *d >= q.from).map(|d| encode_cursor(&format!("{d}|~"))),
            };
            return Ok(AuditPage { items, next_cursor: next });
        }
        before = None;
        match day.pred_opt() {
            Some(d) => day = d,
            None => break,
        }
    }
    Ok(AuditPage { items, next_cursor: None })
}
