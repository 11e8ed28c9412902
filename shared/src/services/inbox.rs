//! The portal inbox ("Télédossiers"): an organisation's transmitted cases in the procedures a
//! user may see, newest transmission first, filtered by tab, dates, name prefix or exact dossier
//! number, with per-tab counts read from the counters every change maintains.
//!
//! Each (organisation, procedure) is one index partition; a user seeing several procedures gets
//! their pages merged. The cursor is the last sort key returned, so that each partition resumes
//! below it: pages never skip or repeat a case, whatever is added meanwhile above them.

use std::collections::{BTreeMap, HashMap};

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use chrono::{DateTime, Utc};
use serde::Serialize;
use uuid::Uuid;

use super::ExchangeError;
use crate::{
    domain::{Assignee, Case, CaseStatus, InboxTab, OrgRef, ProcessCode, format_time, search_key},
    ports::SortKey,
    state::AppState,
    store::{InboxIndex, Reads, Versioned},
};

pub const DEFAULT_LIMIT: usize = 25;
pub const MAX_LIMIT: usize = 100;
/// How many cases [`rows`] reads per page.
const EXPORT_PAGE: usize = 1_000;
/// How many pages' worth an order that is not the filters' (name, last update) reads in each
/// partition for one page when a tab or dates filter what it returns, at most [`MAX_SCAN`]: past
/// it, the page ends (maybe short) and the cursor resumes there. Eight pages hold a full page of
/// the rarest usual tab; reading more costs every page for the rare one.
const SCAN_PAGES: usize = 8;
const MAX_SCAN: usize = 500;
/// The highest code point: `prefix + MAX_CHAR` bounds every key that begins with `prefix`.
const MAX_CHAR: char = '\u{10FFFF}';

/// The inbox's orders: by transmission date (the default), last update, or the applicant's name.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum InboxSort {
    #[default]
    Transmission,
    Update,
    Name,
}

impl InboxSort {
    pub const ALL: [(&'static str, InboxSort); 3] =
        [("transmissionDate", InboxSort::Transmission), ("updateDate", InboxSort::Update), ("name", InboxSort::Name)];

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.iter().find(|(name, _)| *name == s).map(|(_, sort)| *sort)
    }
}

#[derive(Clone, Debug, Default)]
pub struct InboxQuery {
    /// One tab; none for every tab but the archive.
    pub tab: Option<InboxTab>,
    /// A name prefix, or an exact dossier number (a name search is in name order).
    pub q: Option<String>,
    /// Transmitted at or after.
    pub from: Option<DateTime<Utc>>,
    /// Transmitted before.
    pub to: Option<DateTime<Utc>>,
    pub sort: InboxSort,
    /// Oldest (or A to Z) first, or the other way; none for the order's own: newest first by
    /// date, A to Z by name (a name search too).
    pub ascending: Option<bool>,
    /// Only the dossiers this agent (an address) holds.
    pub agent: Option<String>,
    /// The person looking, whose dossiers are counted under `MES`.
    pub viewer: Option<String>,
    /// `nextCursor` of the previous page.
    pub cursor: Option<String>,
    pub limit: Option<usize>,
}

fn date_key(c: &Case) -> String {
    format!("{}#{}", c.transmission_date_time.map(format_time).unwrap_or_default(), c.id)
}

fn update_key(c: &Case) -> String {
    format!("{}#{}", c.update_date_time.or(c.transmission_date_time).map(format_time).unwrap_or_default(), c.id)
}

fn name_key(c: &Case) -> String {
    format!("{}#{}", c.search_name().unwrap_or_default(), date_key(c))
}

/// The sort key of a case in an order: what its index sorts it by, and what a cursor holds.
fn sort_key(sort: InboxSort) -> fn(&Case) -> String {
    match sort {
        InboxSort::Transmission => date_key,
        InboxSort::Update => update_key,
        InboxSort::Name => name_key,
    }
}

/// Whether a case passes the tab (none: any tab but the archive) and date filters.
fn selected(query: &InboxQuery, c: &Case) -> bool {
    query.tab.map_or(c.tab() != Some(InboxTab::Archive), |t| c.tab() == Some(t))
        && query.from.is_none_or(|f| c.transmission_date_time.is_some_and(|d| d >= f))
        && query.to.is_none_or(|t| c.transmission_date_time.is_some_and(|d| d < t))
}

/// A page cursor as clients see it: the sort key where the page stopped, base64url-encoded.
pub(crate) fn encode_cursor(key: &str) -> String {
    URL_SAFE_NO_PAD.encode(key)
}

/// The sort key of a cursor [`encode_cursor`] wrote; `Invalid` for anything else, naming the
/// `listing` that issues them.
pub(crate) fn decode_cursor(cursor: &str, listing: &str) -> Result<String, ExchangeError> {
    URL_SAFE_NO_PAD.decode(cursor).ok().and_then(|b| String::from_utf8(b).ok()).ok_or_else(|| {
        ExchangeError::Invalid(vec![format!("[ERROR][REQUEST] @query.cursor: not a cursor this {listing} issued")])
    })
}

/// An inbox page: its rows, the per-tab counts and where the next page starts.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct InboxPage {
    pub items: Vec<InboxRow>,
    /// Per tab (`NOUVEAU`…), and `TOUS`.
    pub counts: BTreeMap<String, i64>,
    pub next_cursor: Option<String>,
}

/// A dossier as the inbox lists it.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct InboxRow {
    pub id: Uuid,
    pub status: CaseStatus,
    pub tab: Option<InboxTab>,
    pub process_code: ProcessCode,
    pub procedure_title: Option<String>,
    pub concerned: Option<Concerned>,
    pub number: String,
    pub transmission_date_time: Option<String>,
    pub update_date_time: Option<String>,
    /// The agent holding it.
    pub assignee: Option<Assignee>,
}

/// Whom a dossier concerns.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Concerned {
    pub last_name: String,
    pub first_name: String,
}

/// The inbox page. The cases, the procedures' titles and the counts are read together: one
/// round trip (two for a number search that finds nothing and falls back to names).
///
/// # Errors
/// `Invalid` for a cursor the hub did not issue; store failures.
pub async fn list(
    state: &AppState,
    org: &OrgRef,
    visible: &[ProcessCode],
    query: &InboxQuery,
) -> Result<InboxPage, ExchangeError> {
    let limit = query.limit.unwrap_or(DEFAULT_LIMIT).clamp(1, MAX_LIMIT);
    let cursor = query.cursor.as_deref().map(|c| decode_cursor(c, "inbox")).transpose()?;
    let cases = page(state, org, visible, query, cursor, limit);
    let counts = counts(state, org, visible, query.viewer.as_deref());
    let ((cases, next), titles, counts) = tokio::try_join!(cases, titles(state, visible), counts)?;
    let items = cases.iter().map(|c| row(c, &titles)).collect();
    Ok(InboxPage { items, counts, next_cursor: next.map(|k| encode_cursor(&k)) })
}

/// Every row the filters select, in the pages' order, read page after page of
/// [`EXPORT_PAGE`] from the start (the query's cursor and limit are not used), but no more
/// than `at_most`: the caller tells a complete list from a cut one by asking one more than it
/// takes. Without counts: one round trip per page, and one for the titles.
///
/// # Errors
/// Store failures.
pub async fn rows(
    state: &AppState,
    org: &OrgRef,
    visible: &[ProcessCode],
    query: &InboxQuery,
    at_most: usize,
) -> Result<Vec<InboxRow>, ExchangeError> {
    rows_by_pages_of(state, org, visible, query, at_most, EXPORT_PAGE).await
}

async fn rows_by_pages_of(
    state: &AppState,
    org: &OrgRef,
    visible: &[ProcessCode],
    query: &InboxQuery,
    at_most: usize,
    page_size: usize,
) -> Result<Vec<InboxRow>, ExchangeError> {
    let titles = titles(state, visible).await?;
    let mut rows = Vec::new();
    let mut cursor = None;
    while rows.len() < at_most {
        let limit = page_size.min(at_most - rows.len());
        let (cases, next) = page(state, org, visible, query, cursor, limit).await?;
        rows.extend(cases.iter().map(|c| row(c, &titles)));
        match next {
            Some(key) => cursor = Some(key),
            None => break,
        }
    }
    Ok(rows)
}

/// One page of cases and where the next one starts (a sort key): an agent's dossiers, else an
/// exact dossier number, else a name prefix, else every case in the order asked.
async fn page(
    state: &AppState,
    org: &OrgRef,
    visible: &[ProcessCode],
    query: &InboxQuery,
    cursor: Option<String>,
    limit: usize,
) -> Result<(Vec<Case>, Option<String>), ExchangeError> {
    let q = query.q.as_deref().map(str::trim).filter(|q| !q.is_empty());
    if let Some(agent) = &query.agent {
        return by_agent(state, org, visible, agent, q, query, cursor, limit).await;
    }
    match q {
        // A number is one page, whatever the cursor: the name search runs only when none matches.
        Some(q) => match by_number(state, org, visible, q).await? {
            found if !found.is_empty() => Ok((found, None)),
            _ => {
                let prefix = search_key(q);
                by_index(state, org, visible, InboxIndex::Name(&prefix), &prefix, query, cursor, limit).await
            }
        },
        None => match query.sort {
            InboxSort::Transmission => by_date(state, org, visible, query, cursor, limit).await,
            InboxSort::Update => by_index(state, org, visible, InboxIndex::Updated, "", query, cursor, limit).await,
            InboxSort::Name => by_index(state, org, visible, InboxIndex::Name(""), "", query, cursor, limit).await,
        },
    }
}

/// The visible procedures' titles (the code for one that is gone).
async fn titles(state: &AppState, visible: &[ProcessCode]) -> Result<HashMap<ProcessCode, String>, ExchangeError> {
    let mut reads = Reads::new();
    let slots: Vec<_> = visible.iter().map(|code| (code, reads.procedure(code))).collect();
    let read = state.store.read_all(reads).await?;
    slots
        .into_iter()
        .map(|(code, slot)| Ok((code.clone(), read.get(slot)?.map_or_else(|| code.to_string(), |p| p.title))))
        .collect()
}

async fn by_number(
    state: &AppState,
    org: &OrgRef,
    visible: &[ProcessCode],
    number: &str,
) -> Result<Vec<Case>, ExchangeError> {
    let found = state.store.cases_by_number(org, number).await?;
    Ok(found.into_iter().map(|v| v.value).filter(|c| visible.contains(&c.process_code)).collect())
}

/// By transmission date: one index partition per procedure (by tab when one is asked), bounded
/// by the dates and the cursor, merged.
async fn by_date(
    state: &AppState,
    org: &OrgRef,
    visible: &[ProcessCode],
    query: &InboxQuery,
    cursor: Option<String>,
    limit: usize,
) -> Result<(Vec<Case>, Option<String>), ExchangeError> {
    let ascending = query.ascending.unwrap_or(false);
    let mut lower = query.from.map(format_time).unwrap_or_default();
    let mut upper = query.to.map_or_else(|| MAX_CHAR.to_string(), format_time);
    if let Some(c) = &cursor {
        if ascending {
            lower = lower.max(c.clone());
        } else {
            upper = upper.min(c.clone());
        }
    }
    let index = query.tab.map_or(InboxIndex::All, InboxIndex::Tab);
    // One more than a page tells whether another follows; the bounds are inclusive, so a
    // partition may also return the cursor's own case, which is left out.
    let read = limit + 1 + usize::from(cursor.is_some());
    let pages = visible.iter().map(|code| {
        let range = SortKey::Between(lower.clone(), upper.clone());
        state.store.inbox_page(org, code, index, Some(range), !ascending, read)
    });
    let mut all: Vec<Case> = Vec::new();
    for page in futures::future::try_join_all(pages).await? {
        all.extend(
            page.into_iter().map(|v: Versioned<Case>| v.value).filter(|c| cursor.as_ref() != Some(&date_key(c))),
        );
    }
    sort(&mut all, date_key, ascending);
    let more = all.len() > limit;
    all.truncate(limit);
    let next = if more { all.last().map(date_key) } else { None };
    Ok((all, next))
}

fn sort(cases: &mut [Case], key: fn(&Case) -> String, ascending: bool) {
    if ascending {
        cases.sort_by_key(key);
    } else {
        cases.sort_by_key(|c| std::cmp::Reverse(key(c)));
    }
}

/// An index whose order is not the filters' (names beginning with `prefix`, or last updates):
/// the tab and dates applied to what each partition returns, the page cut where a partition's
/// read stopped, so that the cursor resumes exactly there.
#[allow(clippy::too_many_arguments)]
async fn by_index(
    state: &AppState,
    org: &OrgRef,
    visible: &[ProcessCode],
    index: InboxIndex<'_>,
    prefix: &str,
    query: &InboxQuery,
    cursor: Option<String>,
    limit: usize,
) -> Result<(Vec<Case>, Option<String>), ExchangeError> {
    let (key, ascending) = match index {
        InboxIndex::Updated => (update_key as fn(&Case) -> String, query.ascending.unwrap_or(false)),
        _ => (name_key as fn(&Case) -> String, query.ascending.unwrap_or(true)),
    };
    let (mut lower, mut upper) = (prefix.to_owned(), format!("{prefix}{MAX_CHAR}"));
    match &cursor {
        Some(c) if ascending => lower = c.clone(),
        Some(c) => upper = c.clone(),
        None => {}
    }
    // Without tab or date filters nearly every case read is shown: one more than a page is enough.
    let filtered = query.tab.is_some() || query.from.is_some() || query.to.is_some();
    let page = limit + 1 + usize::from(cursor.is_some());
    let scan = if filtered { (SCAN_PAGES * page).min(MAX_SCAN) } else { page };
    let pages = visible.iter().map(|code| {
        let range = SortKey::Between(lower.clone(), upper.clone());
        state.store.inbox_page(org, code, index, Some(range), !ascending, scan)
    });
    let mut all: Vec<Case> = Vec::new();
    // Where the partitions' reads stopped: keys past it are not known yet.
    let mut stop: Option<String> = None;
    for page in futures::future::try_join_all(pages).await? {
        if page.len() == scan
            && let Some(last) = page.last().map(|v| key(&v.value))
        {
            stop = Some(match stop {
                Some(s) if ascending => s.min(last),
                Some(s) => s.max(last),
                None => last,
            });
        }
        all.extend(
            page.into_iter().map(|v| v.value).filter(|c| cursor.as_ref() != Some(&key(c)) && selected(query, c)),
        );
    }
    if let Some(stop) = &stop {
        all.retain(|c| if ascending { &key(c) <= stop } else { &key(c) >= stop });
    }
    sort(&mut all, key, ascending);
    let more = all.len() > limit || stop.is_some();
    all.truncate(limit);
    let next = if more { all.last().map(key).or(stop) } else { None };
    Ok((all, next))
}

/// The dossiers an agent holds ([`crate::store::AssignedEntry`], a person's workload: its list
/// read whole). By transmission date without other filters, the list's own order pages it and
/// only the page's cases are read; otherwise every case is read, filtered, sorted and paged in
/// memory by the order's key.
#[allow(clippy::too_many_arguments)]
async fn by_agent(
    state: &AppState,
    org: &OrgRef,
    visible: &[ProcessCode],
    agent: &str,
    q: Option<&str>,
    query: &InboxQuery,
    cursor: Option<String>,
    limit: usize,
) -> Result<(Vec<Case>, Option<String>), ExchangeError> {
    // An address no account can have holds nothing.
    let Ok(agent) = crate::domain::Email::parse(agent) else { return Ok((Vec::new(), None)) };
    let mut entries = state.store.assigned_entries(org, agent.as_str()).await?;
    entries.retain(|e| visible.contains(&e.process_code));
    let plain = q.is_none()
        && query.tab.is_none()
        && query.from.is_none()
        && query.to.is_none()
        && query.sort == InboxSort::Transmission;
    // A name search and the order by name read A to Z unless asked otherwise.
    let by_name = q.is_some() || query.sort == InboxSort::Name;
    let ascending = query.ascending.unwrap_or(by_name);
    let after = |key: &String| cursor.as_ref().is_none_or(|k| if ascending { key > k } else { key < k });
    if plain {
        // Newest first as stored; the cursor is the last sort key shown.
        if ascending {
            entries.reverse();
        }
        let mut page: Vec<_> = entries.iter().filter(|e| after(&e.sort_key())).take(limit + 1).collect();
        let more = page.len() > limit;
        page.truncate(limit);
        let mut reads = Reads::new();
        let slots: Vec<_> = page.iter().map(|e| reads.case(e.case_id)).collect();
        let read = state.store.read_all(reads).await?;
        let mut cases = Vec::with_capacity(slots.len());
        for slot in slots {
            cases.extend(read.get(slot)?);
        }
        return Ok((cases, if more { page.last().map(|e| e.sort_key()) } else { None }));
    }
    let mut reads = Reads::new();
    let slots: Vec<_> = entries.iter().map(|e| reads.case(e.case_id)).collect();
    let read = state.store.read_all(reads).await?;
    let number = q.map(|q| q.to_uppercase());
    let name = q.map(search_key);
    // A number search finds the dossier whatever the order; else names begin with the text.
    let key = if q.is_some() { name_key } else { sort_key(query.sort) };
    let mut all = Vec::new();
    for slot in slots {
        let Some(c) = read.get(slot)? else { continue };
        let matches = number.as_deref().is_none_or(|n| c.external_id.trim().to_uppercase() == n)
            || name.as_deref().is_some_and(|n| c.search_name().is_some_and(|s| s.starts_with(n)));
        if matches && after(&key(&c)) && selected(query, &c) {
            all.push(c);
        }
    }
    sort(&mut all, key, ascending);
    let more = all.len() > limit;
    all.truncate(limit);
    let next = if more { all.last().map(key) } else { None };
    Ok((all, next))
}

/// Per-tab counts over the visible procedures, from the maintained counters; `TOUS` (every tab
/// but the archive, which is counted apart) and `MES` (what the viewer holds), when a viewer is
/// given.
async fn counts(
    state: &AppState,
    org: &OrgRef,
    visible: &[ProcessCode],
    viewer: Option<&str>,
) -> Result<BTreeMap<String, i64>, ExchangeError> {
    let mut total: BTreeMap<InboxTab, i64> = InboxTab::ALL.iter().map(|t| (*t, 0)).collect();
    let counters = futures::future::try_join_all(visible.iter().map(|code| state.store.inbox_counts(org, code)));
    let held = async {
        match viewer {
            Some(email) => Ok(Some(state.store.assigned_entries(org, email).await?)),
            None => Ok::<_, crate::store::StoreError>(None),
        }
    };
    let (counters, held) = tokio::try_join!(counters, held)?;
    for (tab, n) in counters.into_iter().flatten() {
        *total.entry(tab).or_default() += n;
    }
    let all: i64 = total.iter().filter(|(t, _)| **t != InboxTab::Archive).map(|(_, n)| n).sum();
    let mut out: BTreeMap<String, i64> = total.into_iter().map(|(t, n)| (t.as_str().to_owned(), n)).collect();
    out.insert("TOUS".into(), all);
    if let Some(held) = held {
        let mine = held.iter().filter(|e| visible.contains(&e.process_code)).count();
        out.insert("MES".into(), i64::try_from(mine).unwrap_or(i64::MAX));
    }
    Ok(out)
}

fn row(c: &Case, titles: &HashMap<ProcessCode, String>) -> InboxRow {
    InboxRow {
        id: c.id,
        status: c.status,
        tab: c.tab(),
        process_code: c.process_code.clone(),
        procedure_title: titles.get(&c.process_code).cloned(),
        concerned: c
            .applicant
            .as_ref()
            .map(|a| Concerned { last_name: a.last_name.clone(), first_name: a.first_name.clone() }),
        number: c.external_id.clone(),
        transmission_date_time: c.transmission_date_time.map(format_time),
        update_date_time: c.update_date_time.map(format_time),
        assignee: c.assignee.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{domain::OrgType, testkit};

    #[tokio::test]
    async fn pages_of_one_procedure_list_every_case_once() {
        let dir = tempfile::tempdir().unwrap();
        let state = testkit::state(dir.path());
        testkit::provision(&state).await;
        let mut deposited = Vec::new();
        for _ in 0..5 {
            deposited.push(testkit::deposit_case(&state, b"%PDF-1.4 fixture").await.0);
        }
        let org = OrgRef {
            org_type: OrgType::Si,
            company_register: crate::domain::Siret::parse("11001401600015").unwrap(),
            branch_code: crate::domain::BranchCode::parse("75108").unwrap(),
        };
        let visible = [ProcessCode::parse("CERTDC").unwrap()];
        let mut listed = Vec::new();
        let mut query = InboxQuery { limit: Some(2), ..InboxQuery::default() };
        loop {
            let page = list(&state, &org, &visible, &query).await.unwrap();
            listed.extend(page.items.into_iter().map(|r| r.id));
            match page.next_cursor {
                Some(c) => query.cursor = Some(c),
                None => break,
            }
        }
        listed.sort();
        deposited.sort();
        assert_eq!(listed, deposited, "the page read after a cursor still sees whether another follows");
    }

    #[tokio::test]
    async fn rows_walks_every_page_from_the_start_in_the_inbox_order_up_to_the_cap() {
        let dir = tempfile::tempdir().unwrap();
        let state = testkit::state(dir.path());
        testkit::provision(&state).await;
        for _ in 0..5 {
            testkit::deposit_case(&state, b"%PDF-1.4 fixture").await;
        }
        let org = OrgRef {
            org_type: OrgType::Si,
            company_register: crate::domain::Siret::parse("11001401600015").unwrap(),
            branch_code: crate::domain::BranchCode::parse("75108").unwrap(),
        };
        let visible = [ProcessCode::parse("CERTDC").unwrap()];
        let first = list(&state, &org, &visible, &InboxQuery { limit: Some(100), ..InboxQuery::default() }).await;
        let listed: Vec<Uuid> = first.unwrap().items.into_iter().map(|r| r.id).collect();
        assert_eq!(listed.len(), 5);

        // A cursor and a limit in the query change nothing: the walk starts at the top.
        let paged = InboxQuery { cursor: Some("bm90IHVzZWQ".into()), limit: Some(1), ..InboxQuery::default() };
        let walked = rows_by_pages_of(&state, &org, &visible, &paged, 100, 2).await.unwrap();
        assert_eq!(walked.iter().map(|r| r.id).collect::<Vec<_>>(), listed, "three pages of at most 2");
        let cut = rows_by_pages_of(&state, &org, &visible, &InboxQuery::default(), 3, 2).await.unwrap();
        assert_eq!(cut.iter().map(|r| r.id).collect::<Vec<_>>(), listed[..3]);
        let by_name = InboxQuery { q: Some("fixture".into()), ..InboxQuery::default() };
        assert_eq!(rows_by_pages_of(&state, &org, &visible, &by_name, 100, 2).await.unwrap().len(), 5);
    }
}
