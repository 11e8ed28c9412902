//! The statistics counters (docs/STATISTICS.md): one item per scope, procedure and month, each
//! figure an attribute, written with `AddAll` in the transaction of the change it counts, and
//! read back by month range.
//!
//! Scopes: the recipient organisation (`COUNT#<org>#<proc>` / `MONTH#<month>`, beside the
//! inbox's counters, which it feeds), the procedure nationally (`NSTATS#<proc>`) and the
//! folder's operator (`OPSTATS#<operator>#<proc>`), both sharded into
//! [`keys::STATISTICS_SHARDS`] items per month.

use std::collections::{BTreeMap, HashMap, HashSet};

use serde_json::Value;
use uuid::Uuid;

use super::{Store, StoreError, Versioned, keys};
use crate::{
    domain::{
        Case, CaseStatus, Figure, LAST_BUCKET, Month, MonthFigures, OrgRef, OutboxItem, OutboxStatus, ProcessCode,
        case_moves,
    },
    ports::{Item, Key, MAX_TRANSACTION_WRITES, Query, SK, SortKey, Write},
};

/// A figure's attribute on a month item.
fn attribute(figure: Figure) -> String {
    match figure {
        Figure::Status(s) => format!("s_{s}"),
        Figure::Consulted(b) => format!("c_{b:02}"),
        Figure::Finalised(b) => format!("f_{b:02}"),
        Figure::MailSent => "mail_sent".into(),
        Figure::MailFailed => "mail_failed".into(),
        Figure::Purged => "purged".into(),
    }
}

/// The figure an attribute of a month item counts (`None` for the keys and anything else).
fn figure(attr: &str) -> Option<Figure> {
    let bucket = |b: &str| b.parse::<u8>().ok().filter(|b| *b <= LAST_BUCKET);
    match attr {
        "mail_sent" => Some(Figure::MailSent),
        "mail_failed" => Some(Figure::MailFailed),
        "purged" => Some(Figure::Purged),
        _ => match attr.split_at_checked(2)? {
            ("s_", s) => CaseStatus::parse(s).map(Figure::Status),
            ("c_", b) => bucket(b).map(Figure::Consulted),
            ("f_", b) => bucket(b).map(Figure::Finalised),
            _ => None,
        },
    }
}

/// The figures of a month item.
pub(super) fn figures_of(item: &Item) -> MonthFigures {
    let mut figures = MonthFigures::default();
    for (attr, value) in item {
        if let (Some(f), Some(n)) = (figure(attr), value.as_i64()) {
            figures.add(f, n);
        }
    }
    figures
}

/// The month of a month item's sort key (`MONTH#2025-03`, or `MONTH#2025-03#2` for a shard).
fn month_of(item: &Item) -> Option<Month> {
    let sk = item.get(SK)?.as_str()?.strip_prefix(keys::MONTH_PREFIX)?;
    Month::parse(sk.split('#').next()?)
}

/// The shard a folder's (or an e-mail's) national figures go to: all of a folder's cases in one,
/// so that a completion adds to one item per national scope.
fn shard(id: Uuid) -> u8 {
    id.as_bytes()[0] % keys::STATISTICS_SHARDS
}

fn add_all(key: Key, moves: &[(Figure, i64)]) -> Write {
    Write::AddAll { key, deltas: moves.iter().map(|(f, n)| (attribute(*f), *n)).collect() }
}

/// The counter writes of the figures `moves` of `month`, for the recipient organisation, the
/// procedure nationally and, when known, the operator (folder or e-mail `id` picks the shard).
fn scoped_writes(
    recipient: &OrgRef,
    process: &ProcessCode,
    operator: Option<&OrgRef>,
    id: Uuid,
    month: Month,
    moves: &[(Figure, i64)],
) -> Vec<Write> {
    let shard = shard(id);
    let mut writes = vec![
        add_all(keys::statistics_month(recipient, process, month), moves),
        add_all(keys::statistics_shard(keys::national_statistics(process), month, shard), moves),
    ];
    if let Some(op) = operator {
        writes.push(add_all(keys::statistics_shard(keys::operator_statistics(op, process), month, shard), moves));
    }
    writes
}

/// The counter writes of a case going from `before` to `after` (see [`case_moves`]).
pub(super) fn case_counter_writes(before: &Case, after: &Case) -> Vec<Write> {
    let Some((month, moves)) = case_moves(before, after) else { return Vec::new() };
    let operator = after.statistics.as_ref().and_then(|s| s.operator.as_ref());
    scoped_writes(&after.recipient, &after.process_code, operator, after.folder_id, month, &moves)
}

/// The counter writes moving a counted case's figures from its organisation's month to another's
/// (a commune merger: `after` is the case with its new recipient). The national and operator
/// figures do not name the recipient: they stay.
pub(super) fn recipient_move_writes(before: &Case, after: &Case) -> Vec<Write> {
    let uncounted = Case { statistics: None, ..after.clone() };
    let Some((month, moves)) = case_moves(&uncounted, after) else { return Vec::new() };
    let leaving: Vec<(Figure, i64)> = moves.iter().map(|(f, n)| (*f, -n)).collect();
    vec![
        add_all(keys::statistics_month(&before.recipient, &before.process_code, month), &leaving),
        add_all(keys::statistics_month(&after.recipient, &after.process_code, month), &moves),
    ]
}

/// The counter writes of an e-mail now sent or failed for good (nothing for any other status):
/// its recipient organisation and procedure, the month it was done in. E-mails are not counted
/// per operator (a digest tells of several operators' dossiers).
pub(super) fn mail_counter_writes(item: &OutboxItem) -> Vec<Write> {
    let figure = match item.status {
        OutboxStatus::Sent => Figure::MailSent,
        OutboxStatus::Failed => Figure::MailFailed,
        _ => return Vec::new(),
    };
    let Some(done) = item.done_at else { return Vec::new() };
    scoped_writes(&item.recipient, &item.process_code, None, item.id, Month::of(done), &[(figure, 1)])
}

/// The counter write of a counted case deleted at the end of its retention: its organisation's
/// month moves it from its status to the deleted ones, so that the inbox's tab counts drop it
/// while the month's dossiers transmitted keep it. The national figures, which no inbox reads,
/// keep it under its last status (`ARCHIVED`), as the pages show deleted cases.
pub(super) fn purge_counter_writes(case: &Case) -> Vec<Write> {
    let (Some(_), Some(sent)) = (&case.statistics, case.transmission_date_time) else { return Vec::new() };
    let moves = [(Figure::Status(case.status), -1), (Figure::Purged, 1)];
    vec![add_all(keys::statistics_month(&case.recipient, &case.process_code, Month::of(sent)), &moves)]
}

/// The item a counter write adds to; `None` for other writes.
fn counter_key(write: &Write) -> Option<&Key> {
    match write {
        Write::Add { key, .. } | Write::AddAll { key, .. } => Some(key),
        _ => None,
    }
}

/// Counter writes on one item merged into one `AddAll` (deltas on one attribute summed, zeros
/// dropped): a transaction may touch an item once, and a folder's cases add to the same
/// national items. Other writes are kept as they are, in order.
pub(super) fn merge_counters(writes: Vec<Write>) -> Vec<Write> {
    let counters = writes.iter().filter_map(counter_key).count();
    if counters < 2 {
        return writes;
    }
    enum Slot {
        Kept(Write),
        Counter(usize),
    }
    let mut slots = Vec::with_capacity(writes.len());
    let mut sums: Vec<Option<(Key, BTreeMap<String, i64>)>> = Vec::new();
    let mut at: HashMap<Key, usize> = HashMap::new();
    for w in writes {
        let (key, deltas) = match w {
            Write::Add { key, attr, delta } => (key, vec![(attr, delta)]),
            Write::AddAll { key, deltas } => (key, deltas),
            other => {
                slots.push(Slot::Kept(other));
                continue;
            }
        };
        let i = *at.entry(key.clone()).or_insert_with(|| {
            sums.push(Some((key, BTreeMap::new())));
            slots.push(Slot::Counter(sums.len() - 1));
            sums.len() - 1
        });
        if let Some((_, sum)) = &mut sums[i] {
            for (attr, delta) in deltas {
                *sum.entry(attr).or_default() += delta;
            }
        }
    }
    slots
        .into_iter()
        .filter_map(|slot| match slot {
            Slot::Kept(w) => Some(w),
            Slot::Counter(i) => {
                let (key, sum) = sums[i].take()?;
                let deltas: Vec<(String, i64)> = sum.into_iter().filter(|(_, d)| *d != 0).collect();
                (!deltas.is_empty()).then_some(Write::AddAll { key, deltas })
            }
        })
        .collect()
}

/// The figures read for one procedure, by month.
pub type ProcedureFigures = BTreeMap<Month, MonthFigures>;

impl Store {
    /// The figures of `partition`'s month items from `from` to `to`, shards summed.
    async fn month_figures(&self, partition: String, from: Month, to: Month) -> Result<ProcedureFigures, StoreError> {
        let (low, high) = keys::months_between(from, to);
        let items = self.query_all(Query::table(partition).sk(SortKey::Between(low, high))).await?;
        let mut by_month = ProcedureFigures::new();
        for item in &items {
            if let Some(month) = month_of(item) {
                by_month.entry(month).or_default().merge(&figures_of(item));
            }
        }
        Ok(by_month)
    }

    /// An organisation's figures for each of `procedures`, from `from` to `to`: one Query per
    /// procedure, together.
    ///
    /// # Errors
    /// When the table fails.
    pub async fn organisation_statistics(
        &self,
        org: &OrgRef,
        procedures: &[ProcessCode],
        from: Month,
        to: Month,
    ) -> Result<Vec<ProcedureFigures>, StoreError> {
        let reads = procedures.iter().map(|p| self.month_figures(keys::inbox_counters(org, p), from, to));
        futures::future::try_join_all(reads).await
    }

    /// The national figures of each of `procedures` — of one operator's folders when given —
    /// from `from` to `to`: one Query per procedure, together, each reading every shard.
    ///
    /// # Errors
    /// When the table fails.
    pub async fn national_statistics(
        &self,
        operator: Option<&OrgRef>,
        procedures: &[ProcessCode],
        from: Month,
        to: Month,
    ) -> Result<Vec<ProcedureFigures>, StoreError> {
        let reads = procedures.iter().map(|p| {
            let partition = match operator {
                Some(op) => keys::operator_statistics(op, p),
                None => keys::national_statistics(p),
            };
            self.month_figures(partition, from, to)
        });
        futures::future::try_join_all(reads).await
    }

    /// The writes adding an imported, already transmitted case to the counters, as its
    /// transmission would have (benchmarks, the one-off count of older cases): merge them per
    /// transaction with the others of the batch.
    pub fn import_case_counter_writes(&self, case: &Case) -> Vec<Write> {
        let before = Case { statistics: None, transmission_date_time: None, ..case.clone() };
        case_counter_writes(&before, case)
    }

    /// An outbox item's update, if nobody changed it since `read_version`, with the statistics'
    /// e-mail counters when it is now sent or failed for good (each item settles once: the
    /// update is conditional on the version that claimed it).
    ///
    /// # Errors
    /// When the item does not serialise.
    pub fn settle_outbox_writes(&self, item: &OutboxItem, read_version: i64) -> Result<Vec<Write>, StoreError> {
        let mut writes = vec![self.update_outbox_write(item, read_version)?];
        writes.extend(mail_counter_writes(item));
        Ok(writes)
    }

    /// The outcomes of claimed items (as [`Store::settle_outbox_writes`]) grouped into as few
    /// transactions as their writes allow once counters on one item are merged (at most
    /// [`MAX_TRANSACTION_WRITES`], an item's writes never split): each transaction with the
    /// number of items it records, in order.
    ///
    /// # Errors
    /// When an item does not serialise.
    pub fn settle_outbox_transactions(
        &self,
        items: &[Versioned<OutboxItem>],
    ) -> Result<Vec<(usize, Vec<Write>)>, StoreError> {
        let mut transactions = Vec::new();
        let (mut writes, mut count, mut kept, mut counters) = (Vec::new(), 0, 0, HashSet::new());
        for item in items {
            let more = self.settle_outbox_writes(&item.value, item.version)?;
            let more_kept = more.iter().filter(|w| counter_key(w).is_none()).count();
            let new_counters: HashSet<&Key> =
                more.iter().filter_map(counter_key).filter(|k| !counters.contains(*k)).collect();
            if count > 0 && kept + more_kept + counters.len() + new_counters.len() > MAX_TRANSACTION_WRITES {
                transactions.push((count, std::mem::take(&mut writes)));
                (count, kept) = (0, 0);
                counters.clear();
            }
            kept += more_kept;
            counters.extend(more.iter().filter_map(counter_key).cloned());
            writes.extend(more);
            count += 1;
        }
        if count > 0 {
            transactions.push((count, writes));
        }
        Ok(transactions)
    }

    /// Counter writes merged per item, as [`Store::commit`] does.
    pub fn merge_counter_writes(&self, writes: Vec<Write>) -> Vec<Write> {
        merge_counters(writes)
    }
}

/// The count of a month item's attribute, for the inbox's tabs.
pub(super) fn status_counts(item: &Item) -> impl Iterator<Item = (CaseStatus, i64)> + '_ {
    item.iter().filter_map(|(attr, value)| match (figure(attr), value) {
        (Some(Figure::Status(s)), Value::Number(n)) => Some((s, n.as_i64()?)),
        _ => None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn add(pk: &str, deltas: &[(&str, i64)]) -> Write {
        Write::AddAll { key: Key::new(pk, "x"), deltas: deltas.iter().map(|(a, d)| ((*a).to_owned(), *d)).collect() }
    }

    fn deltas(w: &Write) -> (String, Vec<(String, i64)>) {
        match w {
            Write::AddAll { key, deltas } => (key.pk.clone(), deltas.clone()),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn counters_on_one_item_merge_into_one_write_and_others_stay() {
        let put = Write::Delete { key: Key::new("D", "x"), condition: crate::ports::Condition::None };
        let writes = vec![
            add("A", &[("s_SENT", 1), ("c_03", 1)]),
            put,
            add("B", &[("s_SENT", 1)]),
            Write::Add { key: Key::new("A", "x"), attr: "s_SENT".into(), delta: 2 },
            add("B", &[("s_SENT", -1), ("s_DONE", 1)]),
            add("C", &[("s_SENT", 1)]),
            add("C", &[("s_SENT", -1)]),
        ];
        let merged = merge_counters(writes);
        assert_eq!(merged.len(), 3, "{merged:?}");
        assert_eq!(deltas(&merged[0]), ("A".into(), vec![("c_03".into(), 1), ("s_SENT".into(), 3)]));
        assert!(matches!(merged[1], Write::Delete { .. }));
        assert_eq!(deltas(&merged[2]), ("B".into(), vec![("s_DONE".into(), 1)]), "a zero sum leaves its attribute");
    }

    #[test]
    fn a_folder_of_24_recipients_makes_one_national_write_per_scope() {
        let op = OrgRef {
            org_type: crate::domain::OrgType::Osl,
            company_register: crate::domain::Siret::parse("13002526500013").unwrap(),
            branch_code: crate::domain::BranchCode::parse("00000").unwrap(),
        };
        let process = ProcessCode::parse("CERFA").unwrap();
        let folder = Uuid::new_v4();
        let month = Month::parse("2025-03").unwrap();
        let mut writes = Vec::new();
        for i in 0..24u32 {
            let recipient = OrgRef {
                org_type: crate::domain::OrgType::Si,
                company_register: op.company_register.clone(),
                branch_code: crate::domain::BranchCode::parse(&format!("{i:05}")).unwrap(),
            };
            writes.extend(scoped_writes(
                &recipient,
                &process,
                Some(&op),
                folder,
                month,
                &[(Figure::Status(CaseStatus::HubeeNotified), 1)],
            ));
        }
        let merged = merge_counters(writes);
        assert_eq!(merged.len(), 24 + 2, "24 recipients, the procedure and the operator");
        let national = merged.iter().map(deltas).find(|(pk, _)| pk.starts_with("NSTATS#")).unwrap();
        assert_eq!(national.1, [("s_HUBEE_NOTIFIED".to_owned(), 24)]);
    }

    /// `n` items sent, to `recipients` organisations in turn, as the sweep marks them.
    fn sent_items(n: usize, recipients: usize) -> Vec<Versioned<OutboxItem>> {
        let subscription: crate::domain::Subscription = serde_json::from_value(serde_json::json!({
            "id": Uuid::new_v4(), "siret": "13002526500013", "branchCode": "00000", "processCode": "CERFA",
            "status": "Actif", "accessMode": "PORTAIL", "notificationFrequency": "unitaire"
        }))
        .unwrap();
        let now = chrono::Utc::now();
        (0..n)
            .map(|i| {
                let recipient = OrgRef {
                    org_type: crate::domain::OrgType::Si,
                    company_register: crate::domain::Siret::parse("13002526500013").unwrap(),
                    branch_code: crate::domain::BranchCode::parse(&format!("{:05}", i % recipients)).unwrap(),
                };
                let message = crate::domain::OutboxMessage::NewCase { case_id: Uuid::new_v4() };
                let mut item = OutboxItem::new(Uuid::new_v4(), message, &subscription, recipient, now);
                (item.status, item.done_at) = (OutboxStatus::Sent, Some(now));
                Versioned { value: item, version: 2 }
            })
            .collect()
    }

    #[test]
    fn outcomes_are_grouped_into_transactions_of_at_most_100_writes_once_merged() {
        let store = Store::new(std::sync::Arc::new(crate::adapters::embedded::SqliteTable::in_memory().unwrap()));
        for (items, recipients, transactions) in [(64, 40, 2), (64, 1, 1), (200, 200, 5), (1, 1, 1)] {
            let sent = sent_items(items, recipients);
            let grouped = store.settle_outbox_transactions(&sent).unwrap();
            assert_eq!(grouped.len(), transactions, "{items} items to {recipients} recipients");
            assert_eq!(grouped.iter().map(|(n, _)| n).sum::<usize>(), items, "every item recorded once");
            for (n, writes) in grouped {
                let merged = merge_counters(writes);
                assert!(merged.len() <= MAX_TRANSACTION_WRITES, "{} writes", merged.len());
                let puts = merged.iter().filter(|w| counter_key(w).is_none()).count();
                assert_eq!(puts, n, "each item's update in the transaction that counts it");
            }
        }
    }

    #[test]
    fn attributes_read_back_as_their_figures() {
        for f in [
            Figure::Status(CaseStatus::SiReceived),
            Figure::Consulted(0),
            Figure::Consulted(LAST_BUCKET),
            Figure::Finalised(17),
            Figure::MailSent,
            Figure::MailFailed,
            Figure::Purged,
        ] {
            assert_eq!(figure(&attribute(f)), Some(f), "{f:?}");
        }
        for other in ["PK", "SK", "count", "s_NOPE", "c_99", "version", "entity"] {
            assert_eq!(figure(other), None, "{other}");
        }
    }
}
