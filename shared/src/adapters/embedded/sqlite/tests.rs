use std::{
    io::{BufRead, BufReader, Write as _},
    process::{Command, Stdio},
};

use super::*;
use crate::ports::{PK, SK};

fn item(pk: &str, sk: &str) -> Item {
    let mut i = Item::new();
    i.insert(PK.into(), pk.into());
    i.insert(SK.into(), sk.into());
    i
}

#[tokio::test]
async fn the_sqlite_table_passes_the_table_conformance_suite() {
    crate::testkit::table::conformance(Arc::new(SqliteTable::in_memory().unwrap())).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_file_table_with_its_reading_connections_passes_the_table_conformance_suite() {
    let dir = tempfile::tempdir().unwrap();
    let table = SqliteTable::open(&dir.path().join("hub.sqlite")).unwrap();
    crate::testkit::table::conformance(Arc::new(table)).await;
}

#[tokio::test]
async fn a_file_table_keeps_its_items_when_reopened() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("hub.sqlite");
    let a = item("A", "B");
    SqliteTable::open(&path).unwrap().put(a.clone(), Condition::None).await.unwrap();
    let again = SqliteTable::open(&path).unwrap();
    assert_eq!(again.get(&Key::new("A", "B")).await.unwrap(), Some(a));
}

#[tokio::test]
async fn the_wal_stays_bounded_under_commits_without_a_pause() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("hub.sqlite");
    let table = SqliteTable::open(&path).unwrap();
    // About 20 MiB of pages, commit after commit: the checkpoints must let the WAL start over.
    for n in 0..2500 {
        let mut i = item("P", &format!("{n:05}"));
        i.insert("blob".into(), "x".repeat(8000).into());
        table.put(i, Condition::None).await.unwrap();
    }
    let wal = std::fs::metadata(dir.path().join("hub.sqlite-wal")).unwrap().len();
    assert!(wal < 8 << 20, "the WAL holds {wal} bytes");
    assert_eq!(
        table.get(&Key::new("P", "02499")).await.unwrap().unwrap()["blob"],
        serde_json::Value::from("x".repeat(8000))
    );
}

/// Set to a table's path, runs `crash_child` as the writer that the crash test kills.
const CRASH_CHILD: &str = "HUBEE_SQLITE_CRASH_CHILD";

/// The process the crash test kills: 32 writers on one file table, each printing the writes it
/// was answered about (`ok <sk>` when stored, `refused <sk>` when its transaction's condition
/// failed), until killed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "run by a_crash_loses_no_answered_write_and_keeps_no_refused_one, as its own process"]
async fn crash_child() {
    let path = std::env::var(CRASH_CHILD).expect("the table's path");
    let table = SqliteTable::open(Path::new(&path)).unwrap();
    let out = Arc::new(Mutex::new(std::io::stdout()));
    let writers = (0..32).map(|w| {
        let (table, out) = (table.clone(), Arc::clone(&out));
        tokio::spawn(async move {
            for n in 0.. {
                let sk = format!("{w}-{n}");
                // Every fourth write is a transaction whose condition fails: never stored.
                let (verdict, result) = if n % 4 == 3 {
                    let writes = vec![
                        Write::Put { item: item("crash", &sk), condition: Condition::NotExists },
                        Write::Check { key: Key::new("crash", "never"), condition: Condition::Exists },
                    ];
                    ("refused", table.transact_write(writes).await.err().map(|e| e.to_string()))
                } else {
                    ("ok", table.put(item("crash", &sk), Condition::NotExists).await.err().map(|e| e.to_string()))
                };
                let line = match (verdict, result) {
                    ("ok", None) => format!("ok {sk}"),
                    ("refused", Some(_)) => format!("refused {sk}"),
                    (_, other) => format!("unexpected {sk} {other:?}"),
                };
                let mut out = out.lock().unwrap();
                writeln!(out, "{line}").unwrap();
                out.flush().unwrap();
            }
        })
    });
    futures::future::join_all(writers).await;
}

#[tokio::test]
async fn a_crash_loses_no_answered_write_and_keeps_no_refused_one() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("hub.sqlite");
    // Create the file before the child opens it: the parent's reopening is then the only other
    // connection, after the child is gone.
    drop(SqliteTable::open(&path).unwrap());
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args(["--ignored", "--exact", "adapters::embedded::sqlite::tests::crash_child", "--nocapture", "-q"])
        .env(CRASH_CHILD, &path)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let (mut stored, mut refused) = (Vec::new(), Vec::new());
    // Kill it with SIGKILL in the middle of its writes, once it has been answered 2,000 times.
    while stored.len() + refused.len() < 2_000 {
        let line = lines.next().expect("the child writes until killed").unwrap();
        match line.split_once(' ') {
            Some(("ok", sk)) => stored.push(sk.to_owned()),
            Some(("refused", sk)) => refused.push(sk.to_owned()),
            _ if line.starts_with("unexpected") => panic!("{line}"),
            _ => {}
        }
    }
    child.kill().unwrap();
    child.wait().unwrap();
    // What it printed before dying was answered before dying.
    for line in lines.map_while(Result::ok) {
        match line.split_once(' ') {
            Some(("ok", sk)) => stored.push(sk.to_owned()),
            Some(("refused", sk)) => refused.push(sk.to_owned()),
            _ => {}
        }
    }
    let table = SqliteTable::open(&path).unwrap();
    let keys: Vec<Key> = stored.iter().chain(&refused).map(|sk| Key::new("crash", sk)).collect();
    let found = table.get_many(&keys).await.unwrap();
    let (found_stored, found_refused) = found.split_at(stored.len());
    let lost: Vec<_> = stored.iter().zip(found_stored).filter(|(_, f)| f.is_none()).map(|(sk, _)| sk).collect();
    assert!(lost.is_empty(), "answered writes lost in the crash: {lost:?}");
    let kept: Vec<_> = refused.iter().zip(found_refused).filter(|(_, f)| f.is_some()).map(|(sk, _)| sk).collect();
    assert!(kept.is_empty(), "refused transactions stored: {kept:?}");
    assert!(!refused.is_empty() && stored.len() > refused.len(), "both kinds of writes ran");
    // The table is usable after the crash.
    table.put(item("crash", "after"), Condition::NotExists).await.unwrap();
    assert_eq!(table.get(&Key::new("crash", "after")).await.unwrap(), Some(item("crash", "after")));
}
