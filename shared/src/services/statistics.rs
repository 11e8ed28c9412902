//! The statistics of the exchange (issue 15, docs/STATISTICS.md): per procedure and month, the
//! dossiers transmitted, by current status, the median and 90th percentile of the delays from
//! transmission to first consultation and to a final status, and the e-mails sent and failed —
//! for a local administrator's organisation, and for the national administrator across every
//! organisation (one organisation, one operator, one procedure).
//!
//! Nothing here counts cases: the figures are the counters the changes maintain in their own
//! transactions (`store::statistics`), read by month range, one Query per procedure.

use std::collections::{BTreeMap, HashMap};

use chrono_tz::Europe::Paris;
use serde::Serialize;

use super::{
    ExchangeError,
    accounts::{self, AccountsError},
    cases::CaseAccess,
    csv::{Csv, CsvExport},
    national::NationalAdmin,
};
use crate::{
    domain::{
        Account, BranchCode, CaseStatus, InboxTab, Month, MonthFigures, OrgId, OrgRef, OrgType, PRECISION, Party,
        ProcessCode, Retention, Siret,
    },
    ports::Write,
    state::AppState,
    store::{ProcedureFigures, StoreError},
};

/// The longest range one request reads: five years of months.
pub const MAX_MONTHS: usize = 60;
/// The range read when none is asked: the last twelve months, this one included.
pub const DEFAULT_MONTHS: u32 = 12;

// ---------------------------------------------------------------------------------------------
// The first consultation
// ---------------------------------------------------------------------------------------------

/// The writes recording the first consultation of a counted case by its recipient (an agent
/// opening or downloading the dossier, the instructing service's client acting on it): the
/// case, marked, and its delay's bucket in the counters — nothing for anyone else, for a case
/// consulted already or not counted. The caller commits them with what it records, unless its
/// writes change the case's status (that change marks the consultation itself).
///
/// # Errors
/// When the case does not serialise.
pub(crate) fn first_consultation(state: &AppState, access: &CaseAccess) -> Result<Vec<Write>, StoreError> {
    let read = &access.record.case;
    let unconsulted = read.value.statistics.as_ref().is_some_and(|s| s.consulted.is_none());
    if access.party != Party::Recipient || !unconsulted {
        return Ok(Vec::new());
    }
    let now = state.clock.now();
    let mut changed = read.value.clone();
    if let Some(stats) = &mut changed.statistics {
        stats.consulted = Some(now);
    }
    // The status stays: no retention clock starts or stops, whatever the rules.
    state.store.update_case_writes(&read.value, &changed, read.version, &Retention::default(), now)
}

// ---------------------------------------------------------------------------------------------
// Queries
// ---------------------------------------------------------------------------------------------

/// What a statistics page reads: the months and, optionally, one procedure.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StatisticsQuery {
    pub from: Month,
    pub to: Month,
    pub process_code: Option<ProcessCode>,
}

/// The national page's query: [`StatisticsQuery`] and one organisation or one operator.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NationalQuery {
    pub months: StatisticsQuery,
    pub organisation: Option<OrgId>,
    pub operator: Option<OrgId>,
}

/// The local page's parameters.
pub const LOCAL_PARAMETERS: &[&str] = &["organisation", "from", "to", "processCode"];
/// The national page's parameters.
pub const NATIONAL_PARAMETERS: &[&str] = &["from", "to", "processCode", "siret", "branchCode", "operator"];

struct Problems<'a> {
    line: &'a str,
    list: Vec<String>,
}

impl Problems<'_> {
    fn add(&mut self, name: &str, message: impl std::fmt::Display) {
        self.list.push(format!("[ERROR][REQUEST][{} @query.{name}] {message}", self.line));
    }
}

fn last<'a>(pairs: &'a [(String, String)], name: &str) -> Option<&'a str> {
    pairs.iter().rev().find(|(k, _)| k == name).map(|(_, v)| v.trim()).filter(|v| !v.is_empty())
}

impl StatisticsQuery {
    fn read(state: &AppState, pairs: &[(String, String)], p: &mut Problems<'_>) -> Self {
        let month = |name: &str, p: &mut Problems<'_>| {
            last(pairs, name).and_then(|v| {
                let m = Month::parse(v);
                if m.is_none() {
                    p.add(name, format!("\"{v}\" is not a month (YYYY-MM)"));
                }
                m
            })
        };
        let (from, to) = (month("from", p), month("to", p));
        let to = to.unwrap_or_else(|| Month::of(state.clock.now()));
        let from = from.unwrap_or_else(|| to.minus(DEFAULT_MONTHS - 1));
        match from.count_through(to) {
            0 => p.add("from", format!("{from} comes after {to}")),
            n if n > MAX_MONTHS => p.add("from", format!("{n} months asked: at most {MAX_MONTHS} at once")),
            _ => {}
        }
        let process_code =
            last(pairs, "processCode").and_then(|v| ProcessCode::parse(v).map_err(|e| p.add("processCode", e)).ok());
        Self { from, to, process_code }
    }

    /// Reads `from` and `to` (`YYYY-MM`, Paris months; by default the last twelve months) and
    /// `processCode`.
    ///
    /// # Errors
    /// `Invalid` naming every malformed parameter, a range backwards or longer than
    /// [`MAX_MONTHS`].
    pub fn parse(state: &AppState, line: &str, pairs: &[(String, String)]) -> Result<Self, ExchangeError> {
        let mut p = Problems { line, list: Vec::new() };
        let q = Self::read(state, pairs, &mut p);
        if p.list.is_empty() { Ok(q) } else { Err(ExchangeError::Invalid(p.list)) }
    }
}

impl NationalQuery {
    /// [`StatisticsQuery::parse`], plus `siret` and `branchCode` (one organisation, both
    /// together) or `operator` (`<siret>-<branchCode>`: the folders of one operator), not both.
    ///
    /// # Errors
    /// `Invalid` naming every problem.
    pub fn parse(state: &AppState, line: &str, pairs: &[(String, String)]) -> Result<Self, ExchangeError> {
        let mut p = Problems { line, list: Vec::new() };
        let months = StatisticsQuery::read(state, pairs, &mut p);
        let siret = last(pairs, "siret").and_then(|v| Siret::parse(v).map_err(|e| p.add("siret", e)).ok());
        let branch =
            last(pairs, "branchCode").and_then(|v| BranchCode::parse(v).map_err(|e| p.add("branchCode", e)).ok());
        let organisation = match (siret, branch) {
            (Some(siret), Some(branch_code)) => Some(OrgId { siret, branch_code }),
            (None, None) => None,
            _ if last(pairs, "siret").is_some() != last(pairs, "branchCode").is_some() => {
                p.add("branchCode", "siret and branchCode go together");
                None
            }
            _ => None,
        };
        let operator = last(pairs, "operator").and_then(|v| {
            let op = accounts::parse_org(v);
            if op.is_none() {
                p.add("operator", format!("\"{v}\" is not an organisation (<siret>-<branchCode>)"));
            }
            op
        });
        if organisation.is_some() && operator.is_some() {
            p.add("operator", "an organisation and an operator cannot be asked together");
        }
        if p.list.is_empty() {
            Ok(Self { months, organisation, operator })
        } else {
            Err(ExchangeError::Invalid(p.list))
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Views
// ---------------------------------------------------------------------------------------------

/// A delay's figures: how many, and the median and 90th percentile in seconds (estimates within
/// [`PRECISION`]; absent when none).
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DelayView {
    pub count: i64,
    pub median_seconds: Option<i64>,
    pub p90_seconds: Option<i64>,
}

/// The figures of a month, or of a range of months.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct FiguresView {
    /// Dossiers transmitted: each counted once, in its current status.
    pub transmitted: i64,
    /// By current status: every status a transmitted case can have, zeros included (a case
    /// deleted at the end of its retention under its last, `ARCHIVED`).
    pub by_status: BTreeMap<CaseStatus, i64>,
    pub first_consultation: DelayView,
    pub final_status: DelayView,
    pub emails_sent: i64,
    pub emails_failed: i64,
}

impl FiguresView {
    fn of(f: &MonthFigures) -> Self {
        let delay = |h: &crate::domain::Histogram| DelayView {
            count: h.count(),
            median_seconds: h.quantile(0.5),
            p90_seconds: h.quantile(0.9),
        };
        let mut by_status: BTreeMap<CaseStatus, i64> =
            CaseStatus::ALL.iter().filter(|s| s.tab().is_some()).map(|s| (*s, 0)).collect();
        for (s, n) in &f.statuses {
            *by_status.entry(*s).or_default() += n;
        }
        // Deleted at the end of their retention: their last status.
        *by_status.entry(CaseStatus::Archived).or_default() += f.purged;
        Self {
            transmitted: f.transmitted(),
            by_status,
            first_consultation: delay(&f.consulted),
            final_status: delay(&f.finalised),
            emails_sent: f.mail_sent,
            emails_failed: f.mail_failed,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct MonthView {
    pub month: String,
    #[serde(flatten)]
    pub figures: FiguresView,
}

/// One procedure's figures: over the range, and month by month (every month of the range).
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ProcedureStatistics {
    pub process_code: ProcessCode,
    pub procedure_title: Option<String>,
    pub total: FiguresView,
    pub months: Vec<MonthView>,
}

/// Whose figures a page shows.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ScopeView {
    /// `ORGANISATION` (one organisation's dossiers and e-mails), `NATIONAL` (every
    /// organisation's) or `OPERATOR` (the dossiers of one operator's folders; e-mails are not
    /// counted per operator).
    pub kind: &'static str,
    pub siret: Option<String>,
    pub branch_code: Option<String>,
    pub name: Option<String>,
}

/// A statistics page.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct StatisticsPage {
    pub scope: ScopeView,
    pub from: String,
    pub to: String,
    pub process_code: Option<ProcessCode>,
    /// How far a median or 90th percentile may be from the exact delay, relatively (0.19).
    pub delay_precision: f64,
    /// Every procedure shown, added up: over the range, and month by month.
    pub total: FiguresView,
    pub months: Vec<MonthView>,
    pub procedures: Vec<ProcedureStatistics>,
}

fn page(
    scope: ScopeView,
    query: &StatisticsQuery,
    procedures: Vec<(ProcessCode, Option<String>)>,
    figures: Vec<ProcedureFigures>,
) -> StatisticsPage {
    let months: Vec<Month> = query.from.through(query.to).collect();
    let mut all_total = MonthFigures::default();
    let mut all_months: Vec<MonthFigures> = vec![MonthFigures::default(); months.len()];
    let procedures = procedures
        .into_iter()
        .zip(figures)
        .map(|((process_code, procedure_title), by_month)| {
            let mut total = MonthFigures::default();
            let months = months
                .iter()
                .zip(all_months.iter_mut())
                .map(|(m, all)| {
                    let f = by_month.get(m).cloned().unwrap_or_default();
                    total.merge(&f);
                    all.merge(&f);
                    MonthView { month: m.to_string(), figures: FiguresView::of(&f) }
                })
                .collect();
            all_total.merge(&total);
            ProcedureStatistics { process_code, procedure_title, total: FiguresView::of(&total), months }
        })
        .collect();
    StatisticsPage {
        scope,
        from: query.from.to_string(),
        to: query.to.to_string(),
        process_code: query.process_code.clone(),
        delay_precision: PRECISION,
        total: FiguresView::of(&all_total),
        months: months
            .iter()
            .zip(&all_months)
            .map(|(m, f)| MonthView { month: m.to_string(), figures: FiguresView::of(f) })
            .collect(),
        procedures,
    }
}

// ---------------------------------------------------------------------------------------------
// Use cases
// ---------------------------------------------------------------------------------------------

/// Who may see an organisation's statistics: its local administrators ("Gestion des
/// utilisateurs" there; a technical delegate serving several organisations names one with
/// `organisation=`). Checked before the query is read (403 before 400).
///
/// # Errors
/// `Forbidden` without the role anywhere.
pub fn authorise_local(account: &Account) -> Result<(), AccountsError> {
    accounts::authorise(account)
}

/// The organisation a local request shows, after the role check there.
///
/// # Errors
/// `Forbidden` without "Gestion des utilisateurs" in it.
pub fn local_organisation(account: &Account, asked: Option<OrgId>) -> Result<OrgId, AccountsError> {
    accounts::organisation(account, asked)
}

/// Every procedure's title, by code (one Query of `PROCS`).
async fn titles(state: &AppState) -> Result<HashMap<ProcessCode, String>, StoreError> {
    Ok(state.store.procedures().await?.into_iter().map(|p| (p.code, p.title)).collect())
}

/// The procedures titled, in code order: those named, or every one there is.
fn titled(
    codes: Option<Vec<ProcessCode>>,
    titles: &HashMap<ProcessCode, String>,
) -> Vec<(ProcessCode, Option<String>)> {
    let mut codes = codes.unwrap_or_else(|| titles.keys().cloned().collect());
    codes.sort();
    codes.dedup();
    codes.into_iter().map(|c| (c.clone(), titles.get(&c).cloned())).collect()
}

/// The procedures an organisation's page shows: the one asked, else those it subscribes to
/// (whatever the subscription's status now: a suspended one has figures still).
async fn organisation_procedures(
    state: &AppState,
    org: &OrgId,
    asked: Option<&ProcessCode>,
) -> Result<Vec<ProcessCode>, StoreError> {
    Ok(match asked {
        Some(code) => vec![code.clone()],
        None => {
            let subs = state.store.subscriptions_of_organisation(&org.siret, &org.branch_code).await?;
            subs.into_iter().map(|s| s.process_code).collect()
        }
    })
}

fn org_ref(org: &OrgId) -> OrgRef {
    OrgRef { org_type: OrgType::Si, company_register: org.siret.clone(), branch_code: org.branch_code.clone() }
}

async fn organisation_scope(state: &AppState, org: &OrgId, kind: &'static str) -> Result<ScopeView, StoreError> {
    let name = state.store.organisation(&org.siret, &org.branch_code).await?.map(|o| o.name);
    Ok(ScopeView { kind, siret: Some(org.siret.to_string()), branch_code: Some(org.branch_code.to_string()), name })
}

/// Two round trips: the procedures, their titles and the organisation's name together, then
/// one Query per procedure together.
async fn organisation_page(
    state: &AppState,
    org: &OrgId,
    query: &StatisticsQuery,
) -> Result<StatisticsPage, StoreError> {
    let (codes, titles, scope) = tokio::try_join!(
        organisation_procedures(state, org, query.process_code.as_ref()),
        titles(state),
        organisation_scope(state, org, "ORGANISATION"),
    )?;
    let procedures = titled(Some(codes), &titles);
    let codes: Vec<ProcessCode> = procedures.iter().map(|(c, _)| c.clone()).collect();
    let figures = state.store.organisation_statistics(&org_ref(org), &codes, query.from, query.to).await?;
    Ok(page(scope, query, procedures, figures))
}

/// `GET /portail/v1/statistics`: an organisation's figures (`org` from [`local_organisation`]).
///
/// # Errors
/// `Store` when the table fails.
pub async fn organisation(
    state: &AppState,
    org: &OrgId,
    query: &StatisticsQuery,
) -> Result<StatisticsPage, ExchangeError> {
    Ok(organisation_page(state, org, query).await?)
}

/// `GET /portail/v1/national/statistics`: every organisation's figures, or one organisation's,
/// or one operator's folders', per procedure (every procedure, or the one asked).
///
/// # Errors
/// `Store` when the table fails.
pub async fn national(
    state: &AppState,
    _admin: &NationalAdmin,
    query: &NationalQuery,
) -> Result<StatisticsPage, ExchangeError> {
    let months = &query.months;
    if let Some(org) = &query.organisation {
        return Ok(organisation_page(state, org, months).await?);
    }
    let scope = async {
        match &query.operator {
            Some(op) => organisation_scope(state, op, "OPERATOR").await,
            None => Ok(ScopeView { kind: "NATIONAL", siret: None, branch_code: None, name: None }),
        }
    };
    let (titles, scope) = tokio::try_join!(titles(state), scope)?;
    let procedures = titled(months.process_code.clone().map(|c| vec![c]), &titles);
    let codes: Vec<ProcessCode> = procedures.iter().map(|(c, _)| c.clone()).collect();
    let operator = query.operator.as_ref().map(org_ref);
    let figures = state.store.national_statistics(operator.as_ref(), &codes, months.from, months.to).await?;
    Ok(page(scope, months, procedures, figures))
}

// ---------------------------------------------------------------------------------------------
// CSV
// ---------------------------------------------------------------------------------------------

/// The inbox tabs a status counts under, as the portal names them: the CSV's status columns.
const TABS: &[(InboxTab, &str)] = &[
    (InboxTab::Nouveau, "Nouveaux"),
    (InboxTab::Recu, "Reçus"),
    (InboxTab::EnCours, "En cours"),
    (InboxTab::EnAttente, "En attente de compléments"),
    (InboxTab::Refuse, "Refusés"),
    (InboxTab::Traite, "Traités"),
    (InboxTab::Clos, "Clos"),
    (InboxTab::Erreur, "Erreur d'intégration"),
    (InboxTab::Archive, "Archivés"),
];

/// Hours with a decimal comma, as a French spreadsheet reads them (`3,5`).
fn hours(seconds: Option<i64>) -> String {
    #[allow(clippy::cast_precision_loss)]
    seconds.map(|s| format!("{:.1}", s as f64 / 3600.0).replace('.', ",")).unwrap_or_default()
}

/// The page as a CSV file: one line per procedure and month (every month of the range), the
/// delays in hours.
pub fn csv(state: &AppState, page: &StatisticsPage) -> CsvExport {
    let mut header = vec!["Démarche", "Code démarche", "Mois", "Dossiers transmis"];
    header.extend(TABS.iter().map(|(_, label)| *label));
    header.extend([
        "Premières consultations",
        "Délai médian jusqu'à la première consultation (heures, ± 19 %)",
        "Délai au 90e centile jusqu'à la première consultation (heures, ± 19 %)",
        "Statuts finaux atteints",
        "Délai médian jusqu'au statut final (heures, ± 19 %)",
        "Délai au 90e centile jusqu'au statut final (heures, ± 19 %)",
        "E-mails envoyés",
        "E-mails en échec",
    ]);
    let mut csv = Csv::new(&header);
    for p in &page.procedures {
        for m in &p.months {
            let f = &m.figures;
            let mut cells = vec![
                p.procedure_title.clone().unwrap_or_default(),
                p.process_code.to_string(),
                m.month.clone(),
                f.transmitted.to_string(),
            ];
            cells.extend(TABS.iter().map(|(tab, _)| {
                f.by_status.iter().filter(|(s, _)| s.tab() == Some(*tab)).map(|(_, n)| n).sum::<i64>().to_string()
            }));
            cells.extend([
                f.first_consultation.count.to_string(),
                hours(f.first_consultation.median_seconds),
                hours(f.first_consultation.p90_seconds),
                f.final_status.count.to_string(),
                hours(f.final_status.median_seconds),
                hours(f.final_status.p90_seconds),
                f.emails_sent.to_string(),
                f.emails_failed.to_string(),
            ]);
            csv.row(cells);
        }
    }
    let day = state.clock.now().with_timezone(&Paris).format("%Y-%m-%d");
    CsvExport { file_name: format!("statistiques-{}-{}-{day}.csv", page.from, page.to), csv }
}
