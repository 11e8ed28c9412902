#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;

use chrono::TimeZone;

use super::*;
use crate::{
    adapters::ManualClock,
    domain::{BranchCode, OrgId, Outcome, Siret, chain_name},
    ports::{Clock, Condition, Table},
};

fn org() -> OrgId {
    OrgId { siret: Siret::parse("21690266800013").unwrap(), branch_code: BranchCode::parse("69266").unwrap() }
}

fn download(n: usize) -> AuditRecord {
    AuditRecord::new(
        AuditActor::account("claire@villeurbanne.example", Some(org())),
        "file.download",
        format!("file {n}"),
        Outcome::Granted,
    )
}

fn hub(dir: &std::path::Path) -> (AppState, ManualClock, Arc<dyn Table>) {
    let clock = ManualClock::new(Utc.with_ymd_and_hms(2026, 12, 7, 9, 0, 0).unwrap());
    let table: Arc<dyn Table> = Arc::new(crate::adapters::embedded::SqliteTable::in_memory().unwrap());
    let state = AppState {
        clock: Arc::new(clock.clone()),
        store: crate::store::Store::new(Arc::clone(&table)),
        ..crate::testkit::state(dir)
    };
    (state, clock, table)
}

#[tokio::test]
async fn concurrent_appends_take_consecutive_places_and_the_chain_verifies() {
    let dir = tempfile::tempdir().unwrap();
    let (state, _, _) = hub(dir.path());
    let appends = (0..16).map(|n| append(&state, download(n)));
    let entries = futures::future::try_join_all(appends).await.unwrap();
    let mut seqs: Vec<u64> = entries.iter().map(|e| e.seq).collect();
    seqs.sort_unstable();
    assert_eq!(seqs, (1..=16).collect::<Vec<_>>(), "each writer its own place, none lost");
    let stored = state.store.audit_entries(&chain_name(Some(&org())), entries[0].day).await.unwrap();
    assert_eq!(stored.len(), 16);
    let report = verify(&state).await.unwrap();
    assert_eq!((report.chains, report.entries, report.anchors), (1, 16, 0));
    // Queued while the chain's writer waited: they went in together, the head moved once or
    // twice rather than sixteen times.
    let head = state.store.audit_head(&chain_name(Some(&org())), entries[0].day).await.unwrap().unwrap();
    assert!(head.version <= 2, "the appends shared their transactions: head version {}", head.version);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_instances_appending_at_once_keep_one_chain() {
    let dir = tempfile::tempdir().unwrap();
    let (one, _, _) = hub(dir.path());
    let other = AppState { audit_chains: Arc::default(), ..one.clone() };
    let appends = (0..40).map(|n| {
        let state = if n % 2 == 0 { one.clone() } else { other.clone() };
        tokio::spawn(async move { append(&state, download(n)).await })
    });
    let entries: Vec<_> = futures::future::join_all(appends).await.into_iter().map(|r| r.unwrap().unwrap()).collect();
    let mut seqs: Vec<u64> = entries.iter().map(|e| e.seq).collect();
    seqs.sort_unstable();
    assert_eq!(seqs, (1..=40).collect::<Vec<_>>(), "each record its own place, none lost");
    let report = verify(&one).await.unwrap();
    assert_eq!((report.chains, report.entries), (1, 40));
}

/// Rewrites the stored entry `seq` of the test chain with `change` applied.
async fn tamper(
    table: &Arc<dyn Table>,
    day: NaiveDate,
    seq: u64,
    change: impl FnOnce(&mut serde_json::Map<String, serde_json::Value>),
) {
    let key = crate::store::keys::audit_entry(&chain_name(Some(&org())), day, seq);
    let mut item = table.get(&key).await.unwrap().unwrap();
    change(&mut item);
    table.put(item, Condition::Exists).await.unwrap();
}

#[tokio::test]
async fn sealed_days_verify_until_an_entry_is_altered_or_removed() {
    let dir = tempfile::tempdir().unwrap();
    let (state, clock, table) = hub(dir.path());
    let day = clock.now().date_naive();
    for n in 0..5 {
        append(&state, download(n)).await.unwrap();
    }
    append(
        &state,
        AuditRecord::new(
            AuditActor::anonymous(Some("x@unknown.example")),
            "signIn.password",
            "x@unknown.example",
            Outcome::Denied,
        ),
    )
    .await
    .unwrap();
    assert!(seal_due(&state).await.unwrap().iter().all(|d| *d < day), "today is not sealed yet");

    clock.set(Utc.with_ymd_and_hms(2026, 12, 8, 0, 30, 0).unwrap());
    append(&state, download(99)).await.unwrap();
    let sealed = seal_due(&state).await.unwrap();
    assert!(sealed.contains(&day));
    assert!(seal_due(&state).await.unwrap().is_empty(), "a day is sealed once");
    let anchor: Anchor =
        serde_json::from_slice(&state.anchors.get(&Anchor::name(day)).await.unwrap().unwrap()).unwrap();
    assert_eq!(
        anchor.chains.iter().map(|c| (c.chain.as_str(), c.seq)).collect::<Vec<_>>(),
        [(chain_name(Some(&org())).as_str(), 5), ("PLATFORM", 1)]
    );
    let report = verify(&state).await.unwrap();
    assert_eq!((report.chains, report.entries), (3, 7), "two sealed chains and today's");
    assert!(report.anchors >= 1);

    // An entry altered: the entry after it no longer follows.
    tamper(&table, day, 2, |i| {
        i.insert("target".into(), "file 42".into());
    })
    .await;
    let e = verify(&state).await.unwrap_err().to_string();
    assert!(e.contains("entry 3") && e.contains(&day.to_string()), "{e}");
    tamper(&table, day, 2, |i| {
        i.insert("target".into(), "file 1".into());
    })
    .await;
    verify(&state).await.unwrap();

    // The last entry altered, with its head rewritten to match: the anchor still tells.
    tamper(&table, day, 5, |i| {
        i.insert("outcome".into(), "DENIED".into());
    })
    .await;
    let e = verify(&state).await.unwrap_err().to_string();
    assert!(e.contains("last hash"), "{e}");
    tamper(&table, day, 5, |i| {
        i.insert("outcome".into(), "GRANTED".into());
    })
    .await;

    // An entry removed.
    let key = crate::store::keys::audit_entry(&chain_name(Some(&org())), day, 4);
    let removed = table.get(&key).await.unwrap().unwrap();
    table.delete(&key, Condition::Exists).await.unwrap();
    let e = verify(&state).await.unwrap_err().to_string();
    assert!(e.contains("entry 4 is missing"), "{e}");
    table.put(removed, Condition::NotExists).await.unwrap();
    verify(&state).await.unwrap();

    // The last entry removed and the head wound back: the anchor sealed entry 5.
    let key = crate::store::keys::audit_entry(&chain_name(Some(&org())), day, 5);
    table.delete(&key, Condition::Exists).await.unwrap();
    let e = verify(&state).await.unwrap_err().to_string();
    assert!(e.contains("ends at entry 4"), "{e}");
}

#[tokio::test]
async fn a_missing_anchor_in_the_middle_shows() {
    let dir = tempfile::tempdir().unwrap();
    let (state, clock, _) = hub(dir.path());
    for day in 7..=10 {
        clock.set(Utc.with_ymd_and_hms(2026, 12, day, 12, 0, 0).unwrap());
        append(&state, download(day as usize)).await.unwrap();
        clock.set(Utc.with_ymd_and_hms(2026, 12, day + 1, 1, 0, 0).unwrap());
        seal_due(&state).await.unwrap();
    }
    verify(&state).await.unwrap();
    let middle = dir.path().join("audit-anchors").join("2026-12-08.json");
    let mut perms = std::fs::metadata(&middle).unwrap().permissions();
    #[allow(clippy::permissions_set_readonly_false)]
    perms.set_readonly(false);
    std::fs::set_permissions(&middle, perms).unwrap();
    std::fs::remove_file(&middle).unwrap();
    let e = verify(&state).await.unwrap_err().to_string();
    assert!(e.contains("2026-12-09.json") && e.contains("does not name the anchor before it"), "{e}");
}

#[test]
fn the_security_log_masks_addresses_and_names() {
    assert_eq!(mask("claire.maire@villeurbanne.fr"), "c…@villeurbanne.fr");
    assert_eq!(mask("mairie-a-certdc"), "mair…");
    assert_eq!(mask_address("192.0.2.17"), "192.0.2.x");
    assert_eq!(mask_address("2001:db8::1"), "2001:db8:0:…");
}

#[tokio::test]
async fn a_month_is_exported_once_it_ends_and_its_days_leave_the_table_after_a_year() {
    let dir = tempfile::tempdir().unwrap();
    let (state, clock, _) = hub(dir.path());
    clock.set(Utc.with_ymd_and_hms(2025, 11, 10, 9, 0, 0).unwrap());
    let day = clock.now().date_naive();
    for n in 0..3 {
        append(&state, download(n)).await.unwrap();
    }
    clock.set(Utc.with_ymd_and_hms(2025, 11, 11, 1, 0, 0).unwrap());
    seal_due(&state).await.unwrap();
    assert_eq!(export_and_expire(&state).await.unwrap(), Retained::default(), "November has not ended");

    clock.set(Utc.with_ymd_and_hms(2025, 12, 1, 1, 0, 0).unwrap());
    seal_due(&state).await.unwrap();
    let first = export_and_expire(&state).await.unwrap();
    assert!(first.exported >= 1 && first.expired == 0, "{first:?}");
    assert_eq!(export_and_expire(&state).await.unwrap(), Retained::default(), "exported once");
    let exported = retention::exported_entries(&state, day).await.unwrap().unwrap();
    assert_eq!(exported.iter().map(|e| e.seq).collect::<Vec<_>>(), [1, 2, 3]);

    // A year and a day later the day leaves the table; its export still verifies.
    clock.set(Utc.with_ymd_and_hms(2026, 11, 12, 1, 0, 0).unwrap());
    seal_due(&state).await.unwrap();
    let later = export_and_expire(&state).await.unwrap();
    assert!(later.expired >= 1, "{later:?}");
    assert!(state.store.audit_entries(&chain_name(Some(&org())), day).await.unwrap().is_empty());
    assert!(state.store.audit_heads(day).await.unwrap().is_empty());
    let report = verify(&state).await.unwrap();
    assert!(report.entries >= 3, "{report:?}");

    // An export altered shows.
    let path = dir.path().join("audit-anchors").join(retention::export_name(day));
    let mut perms = std::fs::metadata(&path).unwrap().permissions();
    #[allow(clippy::permissions_set_readonly_false)]
    perms.set_readonly(false);
    std::fs::set_permissions(&path, perms).unwrap();
    let text = std::fs::read_to_string(&path).unwrap().replace("file 1", "file 9");
    std::fs::write(&path, text).unwrap();
    let e = verify(&state).await.unwrap_err().to_string();
    assert!(e.contains(&day.to_string()) && e.contains("entry 3"), "{e}");
}

#[tokio::test]
async fn two_instances_appending_in_turn_keep_one_chain() {
    let dir = tempfile::tempdir().unwrap();
    let (one, _, _) = hub(dir.path());
    // Another function instance: the same table, its own cache of heads.
    let other = AppState { audit_chains: Arc::default(), ..one.clone() };
    for n in 0..6 {
        let state = if n % 2 == 0 { &one } else { &other };
        assert_eq!(append(state, download(n)).await.unwrap().seq, n as u64 + 1);
    }
    let report = verify(&one).await.unwrap();
    assert_eq!((report.chains, report.entries), (1, 6));
}
