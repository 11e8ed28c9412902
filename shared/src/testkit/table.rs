//! The `Table` conformance suite.

use std::sync::Arc;

use serde_json::{Value, json};

use crate::ports::{Condition, Cursor, Index, Item, Key, Query, SortKey, Table, TableError, Write};

fn item(v: Value) -> Item {
    match v {
        Value::Object(m) => m,
        _ => panic!("items are objects"),
    }
}

fn sks(items: &[Item]) -> Vec<String> {
    items.iter().map(|i| i["SK"].as_str().unwrap_or_default().to_owned()).collect()
}

/// Runs every check on an empty table. Keys are prefixed with a random run id, so a shared
/// table (an emulator) can host several runs.
pub async fn conformance(table: Arc<dyn Table>) {
    let run = uuid::Uuid::new_v4().simple().to_string();
    let p = |s: &str| format!("{run}#{s}");
    let t = table.as_ref();

    // get / put / conditions
    let a = item(json!({"PK": p("A"), "SK": "1", "n": 1, "s": "x", "l": [1, "two"], "m": {"k": true}, "z": null}));
    assert!(t.get(&Key::new(p("A"), "1")).await.unwrap().is_none(), "a missing item reads as None");
    t.put(a.clone(), Condition::NotExists).await.unwrap();
    assert_eq!(t.get(&Key::new(p("A"), "1")).await.unwrap(), Some(a.clone()), "an item reads back as written");
    assert!(
        matches!(t.put(a.clone(), Condition::NotExists).await, Err(TableError::ConditionFailed)),
        "a create over an existing item fails"
    );
    let mut a2 = a.clone();
    a2.insert("n".into(), json!(2));
    assert!(matches!(t.put(a2.clone(), Condition::equals("n", 5)).await, Err(TableError::ConditionFailed)));
    assert_eq!(t.get(&Key::new(p("A"), "1")).await.unwrap(), Some(a.clone()), "a failed put writes nothing");
    t.put(a2.clone(), Condition::equals("n", 1)).await.unwrap();
    assert_eq!(t.get(&Key::new(p("A"), "1")).await.unwrap(), Some(a2.clone()), "a put replaces the item");
    assert!(matches!(
        t.put(item(json!({"PK": p("none"), "SK": "1"})), Condition::Exists).await,
        Err(TableError::ConditionFailed)
    ));

    // get_many: in the order asked, missing keys as None, a key asked twice answered twice
    assert!(t.get_many(&[]).await.unwrap().is_empty());
    let b = item(json!({"PK": p("A"), "SK": "2", "n": 7}));
    t.put(b.clone(), Condition::NotExists).await.unwrap();
    let asked = [Key::new(p("A"), "2"), Key::new(p("none"), "1"), Key::new(p("A"), "1"), Key::new(p("A"), "2")];
    assert_eq!(
        t.get_many(&asked).await.unwrap(),
        [Some(b.clone()), None, Some(a2.clone()), Some(b.clone())],
        "get_many answers each key in order"
    );
    // More keys than one DynamoDB request takes (100).
    let many: Vec<Item> = (0..130).map(|i| item(json!({"PK": p("M"), "SK": format!("{i:03}"), "i": i}))).collect();
    futures::future::join_all(many.iter().map(|m| t.put(m.clone(), Condition::None))).await.into_iter().for_each(|r| {
        r.unwrap();
    });
    let keys: Vec<Key> = (0..140).rev().map(|i| Key::new(p("M"), format!("{i:03}"))).collect();
    let found = t.get_many(&keys).await.unwrap();
    assert_eq!(found.len(), 140);
    assert!(found[..10].iter().all(Option::is_none), "keys 139 to 130 do not exist");
    let read: Vec<i64> = found[10..].iter().map(|f| f.as_ref().unwrap()["i"].as_i64().unwrap()).collect();
    assert_eq!(read, (0..130).rev().collect::<Vec<i64>>(), "130 items read back in the order asked");
    t.delete(&Key::new(p("A"), "2"), Condition::None).await.unwrap();

    // delete
    assert!(matches!(
        t.delete(&Key::new(p("A"), "1"), Condition::equals("n", 1)).await,
        Err(TableError::ConditionFailed)
    ));
    t.delete(&Key::new(p("A"), "1"), Condition::equals("n", 2)).await.unwrap();
    assert!(t.get(&Key::new(p("A"), "1")).await.unwrap().is_none(), "a deleted item is gone");
    t.delete(&Key::new(p("A"), "1"), Condition::None).await.unwrap();
    assert!(matches!(t.delete(&Key::new(p("A"), "1"), Condition::Exists).await, Err(TableError::ConditionFailed)));

    // atomic counters
    let c = Key::new(p("C"), "count");
    assert_eq!(t.add(&c, "n", 3).await.unwrap(), 3, "a counter starts from 0");
    assert_eq!(t.add(&c, "n", -1).await.unwrap(), 2);
    assert_eq!(t.add(&c, "m", 1).await.unwrap(), 1, "another attribute counts apart");
    let counted = t.get(&c).await.unwrap().unwrap();
    assert_eq!((counted["n"].as_i64(), counted["m"].as_i64()), (Some(2), Some(1)));
    let adds = (0..20).map(|_| t.add(&c, "n", 1));
    futures::future::join_all(adds).await.into_iter().for_each(|r| {
        r.unwrap();
    });
    assert_eq!(t.get(&c).await.unwrap().unwrap()["n"].as_i64(), Some(22), "concurrent adds all count");

    // queries on the table
    for sk in ["a#1", "a#2", "a#3", "b#1", "b#2", "c"] {
        t.put(item(json!({"PK": p("Q"), "SK": sk, "v": sk})), Condition::None).await.unwrap();
    }
    let all = t.query(Query::table(p("Q"))).await.unwrap();
    assert_eq!(sks(&all.items), ["a#1", "a#2", "a#3", "b#1", "b#2", "c"], "a query returns the partition in key order");
    assert!(all.cursor.is_none(), "the last page has no cursor");
    let back = t.query(Query::table(p("Q")).backward()).await.unwrap();
    assert_eq!(sks(&back.items), ["c", "b#2", "b#1", "a#3", "a#2", "a#1"]);
    let pre = t.query(Query::table(p("Q")).sk(SortKey::BeginsWith("a#".into()))).await.unwrap();
    assert_eq!(sks(&pre.items), ["a#1", "a#2", "a#3"]);
    let pre_back = t.query(Query::table(p("Q")).sk(SortKey::BeginsWith("b#".into())).backward()).await.unwrap();
    assert_eq!(sks(&pre_back.items), ["b#2", "b#1"]);
    let between = t.query(Query::table(p("Q")).sk(SortKey::Between("a#2".into(), "b#1".into()))).await.unwrap();
    assert_eq!(sks(&between.items), ["a#2", "a#3", "b#1"], "between is inclusive");
    let eq = t.query(Query::table(p("Q")).sk(SortKey::Eq("c".into()))).await.unwrap();
    assert_eq!(sks(&eq.items), ["c"]);
    assert!(t.query(Query::table(p("nothing"))).await.unwrap().items.is_empty());

    // pagination, both directions
    for forward in [true, false] {
        let mut seen = Vec::new();
        let mut cursor = None;
        loop {
            let mut q = Query::table(p("Q")).limit(4).after(cursor.take());
            if !forward {
                q = q.backward();
            }
            let page = t.query(q).await.unwrap();
            assert!(page.items.len() <= 4, "a page holds at most `limit` items");
            seen.extend(sks(&page.items));
            match page.cursor {
                Some(c) => cursor = Some(c),
                None => break,
            }
        }
        let mut expected = vec!["a#1", "a#2", "a#3", "b#1", "b#2", "c"];
        if !forward {
            expected.reverse();
        }
        assert_eq!(seen, expected, "pages follow each other without gap or repeat (forward: {forward})");
    }
    let paged = t.query(Query::table(p("Q")).sk(SortKey::BeginsWith("a#".into())).limit(2)).await.unwrap();
    let rest =
        t.query(Query::table(p("Q")).sk(SortKey::BeginsWith("a#".into())).limit(2).after(paged.cursor)).await.unwrap();
    assert_eq!(sks(&rest.items), ["a#3"], "a cursor keeps the key condition");

    // indexes: sparse, ordered, paginated, several items under one index key
    for (pk, isk) in [("I1", "2026-01-02"), ("I2", "2026-01-01"), ("I3", "2026-01-03"), ("I4", "2026-01-02")] {
        t.put(
            item(
                json!({"PK": p(pk), "SK": "x", "GSI1PK": p("ORG"), "GSI1SK": isk, "GSI2PK": p("OTHER"), "GSI2SK": pk}),
            ),
            Condition::None,
        )
        .await
        .unwrap();
    }
    t.put(item(json!({"PK": p("I5"), "SK": "x", "GSI2PK": p("OTHER"), "GSI2SK": "I5"})), Condition::None)
        .await
        .unwrap();
    let pks = |items: &[Item]| {
        items
            .iter()
            .map(|i| i["PK"].as_str().unwrap_or_default().trim_start_matches(&format!("{run}#")).to_owned())
            .collect::<Vec<_>>()
    };
    let ix = t.query(Query::index(Index::Gsi1, p("ORG")).backward()).await.unwrap();
    assert_eq!(ix.items.len(), 4, "an item without the index key is not in the index");
    assert_eq!(pks(&ix.items)[0], "I3", "an index is sorted by its sort key");
    assert_eq!(pks(&ix.items)[3], "I2");
    let mut seen = Vec::new();
    let mut cursor = None;
    loop {
        let page = t.query(Query::index(Index::Gsi1, p("ORG")).limit(1).after(cursor.take())).await.unwrap();
        seen.extend(pks(&page.items));
        match page.cursor {
            Some(c) => cursor = Some(c),
            None => break,
        }
    }
    seen.sort();
    assert_eq!(seen, ["I1", "I2", "I3", "I4"], "index pages cover items sharing a sort key exactly once");
    let between = t
        .query(Query::index(Index::Gsi1, p("ORG")).sk(SortKey::Between("2026-01-02".into(), "2026-01-03".into())))
        .await
        .unwrap();
    assert_eq!(between.items.len(), 3);
    assert_eq!(t.query(Query::index(Index::Gsi2, p("OTHER"))).await.unwrap().items.len(), 5);
    assert!(t.query(Query::index(Index::Gsi3, p("ORG"))).await.unwrap().items.is_empty());
    t.put(item(json!({"PK": p("I6"), "SK": "x", "GSI4PK": p("NUM"), "GSI4SK": "a"})), Condition::None).await.unwrap();
    assert_eq!(t.query(Query::index(Index::Gsi4, p("NUM"))).await.unwrap().items.len(), 1, "every index works");
    t.put(item(json!({"PK": p("I7"), "SK": "x", "GSI5PK": p("UPD"), "GSI5SK": "a"})), Condition::None).await.unwrap();
    assert_eq!(t.query(Query::index(Index::Gsi5, p("UPD"))).await.unwrap().items.len(), 1, "every index works");
    // Leaving an index: the item no longer carries its key.
    t.put(item(json!({"PK": p("I1"), "SK": "x"})), Condition::None).await.unwrap();
    assert_eq!(
        t.query(Query::index(Index::Gsi1, p("ORG"))).await.unwrap().items.len(),
        3,
        "an overwritten item leaves the index"
    );

    // transactions
    let tx_ok = vec![
        Write::create(item(json!({"PK": p("T"), "SK": "1"}))),
        Write::Put { item: item(json!({"PK": p("T"), "SK": "2", "v": 1})), condition: Condition::None },
        Write::Add { key: Key::new(p("T"), "count"), attr: "n".into(), delta: 2 },
        Write::Check { key: c.clone(), condition: Condition::equals("n", 22) },
    ];
    t.transact_write(tx_ok).await.unwrap();
    assert_eq!(t.query(Query::table(p("T"))).await.unwrap().items.len(), 3, "a transaction applies every write");
    let tx_bad = vec![
        Write::Put { item: item(json!({"PK": p("T"), "SK": "3"})), condition: Condition::None },
        Write::Delete { key: Key::new(p("T"), "2"), condition: Condition::None },
        Write::Add { key: Key::new(p("T"), "count"), attr: "n".into(), delta: 5 },
        Write::create(item(json!({"PK": p("T"), "SK": "1"}))),
    ];
    match t.transact_write(tx_bad).await {
        Err(TableError::TransactionCancelled { failed }) => assert_eq!(failed, [3], "the failed write is named"),
        other => panic!("a transaction with a failed condition is cancelled, got {other:?}"),
    }
    let after = t.query(Query::table(p("T"))).await.unwrap();
    assert_eq!(sks(&after.items), ["1", "2", "count"], "a cancelled transaction writes nothing");
    assert_eq!(after.items[2]["n"].as_i64(), Some(2), "a cancelled transaction adds nothing");
    let check_fails = vec![
        Write::put(item(json!({"PK": p("T"), "SK": "4"}))),
        Write::Check { key: Key::new(p("T"), "missing"), condition: Condition::Exists },
    ];
    assert!(matches!(t.transact_write(check_fails).await, Err(TableError::TransactionCancelled { .. })));
    assert!(t.get(&Key::new(p("T"), "4")).await.unwrap().is_none());
    let same_item = vec![
        Write::put(item(json!({"PK": p("T"), "SK": "5"}))),
        Write::Delete { key: Key::new(p("T"), "5"), condition: Condition::None },
    ];
    assert!(
        matches!(t.transact_write(same_item).await, Err(TableError::Invalid(_))),
        "two writes on one item are refused"
    );
    // Several counters of one item in one write.
    let counters = Key::new(p("T"), "counters");
    let add_all = |deltas: &[(&str, i64)]| Write::AddAll {
        key: counters.clone(),
        deltas: deltas.iter().map(|(a, d)| ((*a).to_owned(), *d)).collect(),
    };
    t.transact_write(vec![add_all(&[("a", 2), ("b", -1)]), Write::put(item(json!({"PK": p("T"), "SK": "6"})))])
        .await
        .unwrap();
    t.transact_write(vec![add_all(&[("b", 3), ("c", 7)])]).await.unwrap();
    let added = t.get(&counters).await.unwrap().expect("AddAll creates its item");
    assert_eq!(
        (added["a"].as_i64(), added["b"].as_i64(), added["c"].as_i64()),
        (Some(2), Some(2), Some(7)),
        "AddAll adds each delta to its attribute, from 0 when absent"
    );
    let cancelled = vec![add_all(&[("a", 100)]), Write::create(item(json!({"PK": p("T"), "SK": "6"})))];
    assert!(matches!(t.transact_write(cancelled).await, Err(TableError::TransactionCancelled { .. })));
    assert_eq!(t.get(&counters).await.unwrap().unwrap()["a"].as_i64(), Some(2), "a cancelled AddAll adds nothing");
    for wrong in [add_all(&[]), add_all(&[("a", 1), ("a", 1)])] {
        assert!(
            matches!(t.transact_write(vec![wrong]).await, Err(TableError::Invalid(_))),
            "an AddAll with no attribute or one twice is refused"
        );
    }
    let too_many = (0..101).map(|i| Write::put(item(json!({"PK": p("T"), "SK": format!("many{i}")})))).collect();
    assert!(
        matches!(t.transact_write(too_many).await, Err(TableError::Invalid(_))),
        "more than 100 writes are refused"
    );
    let hundred = (0..100).map(|i| Write::put(item(json!({"PK": p("H"), "SK": format!("{i:03}")})))).collect();
    t.transact_write(hundred).await.unwrap();
    assert_eq!(t.query(Query::table(p("H"))).await.unwrap().items.len(), 100, "100 writes fit in one transaction");

    // scan: every item once, across pages, as stored (the table may hold other runs' items)
    let first = t.scan(None, 1).await.unwrap();
    assert!(first.items.len() <= 1 && first.cursor.is_some(), "a scan's page holds at most `limit` items");
    let mut scanned = std::collections::HashMap::new();
    let mut cursor = None;
    loop {
        let page = t.scan(cursor.take(), 97).await.unwrap();
        assert!(page.items.len() <= 97);
        for i in page.items {
            let key = crate::ports::item_key(&i).unwrap();
            if key.pk.starts_with(&run) {
                assert!(scanned.insert(key, i).is_none(), "a scan gives each item once");
            }
        }
        match page.cursor {
            Some(c) => cursor = Some(c),
            None => break,
        }
    }
    for pk in ["Q", "H"] {
        let stored = t.query(Query::table(p(pk))).await.unwrap().items;
        assert!(!stored.is_empty());
        for i in stored {
            assert_eq!(
                scanned.get(&crate::ports::item_key(&i).unwrap()),
                Some(&i),
                "a scan gives every item as stored"
            );
        }
    }
    let query_cursor = t.query(Query::table(p("H")).limit(1)).await.unwrap().cursor;
    for wrong in [query_cursor.unwrap(), Cursor("not a cursor".into())] {
        assert!(
            matches!(t.scan(Some(wrong), 10).await, Err(TableError::Invalid(_))),
            "a scan takes its own cursors only"
        );
    }

    concurrency(t, &p).await;
}

/// Concurrent callers: each write all or nothing with its own conditions, whatever else is
/// written at the same time (the SQLite adapter commits concurrent writes together).
async fn concurrency(t: &dyn Table, p: &impl Fn(&str) -> String) {
    use futures::future::join_all;

    // Many writers on distinct items: every write answered is stored.
    let written =
        join_all((0..64).map(|i| t.put(item(json!({"PK": p("W"), "SK": format!("{i:02}")})), Condition::NotExists)))
            .await;
    assert!(written.iter().all(Result::is_ok), "concurrent creates of distinct items all succeed: {written:?}");
    let page = t.query(Query::table(p("W")).limit(100)).await.unwrap();
    assert_eq!(page.items.len(), 64, "every concurrent write is stored");

    // Conflicting conditions: of 32 creates of one item, one wins and the others fail alone.
    let racers =
        join_all((0..32).map(|i| t.put(item(json!({"PK": p("R"), "SK": "1", "by": i})), Condition::NotExists))).await;
    let winners: Vec<usize> = racers.iter().enumerate().filter(|(_, r)| r.is_ok()).map(|(i, _)| i).collect();
    assert_eq!(winners.len(), 1, "one concurrent create wins: {racers:?}");
    assert!(
        racers.iter().filter(|r| r.is_err()).all(|r| matches!(r, Err(TableError::ConditionFailed))),
        "the others fail on their condition: {racers:?}"
    );
    let stored = t.get(&Key::new(p("R"), "1")).await.unwrap().unwrap();
    assert_eq!(stored["by"], json!(winners[0]), "the winner's item is stored");

    // Optimistic updates: 8 callers each add 1 five times by read-and-conditional-write; no
    // increment is lost and each conflict is answered as one.
    t.put(item(json!({"PK": p("V"), "SK": "1", "n": 0})), Condition::None).await.unwrap();
    let conflicts = join_all((0..8).map(|_| async {
        let mut conflicts = 0;
        for _ in 0..5 {
            loop {
                let current = t.get(&Key::new(p("V"), "1")).await.unwrap().unwrap();
                let n = current["n"].as_i64().unwrap();
                let next = item(json!({"PK": p("V"), "SK": "1", "n": n + 1}));
                match t.put(next, Condition::equals("n", n)).await {
                    Ok(()) => break,
                    Err(TableError::ConditionFailed) => conflicts += 1,
                    Err(e) => panic!("{e}"),
                }
            }
        }
        conflicts
    }))
    .await;
    let n = t.get(&Key::new(p("V"), "1")).await.unwrap().unwrap()["n"].clone();
    assert_eq!(n, json!(40), "every increment counted once ({} conflicts retried)", conflicts.iter().sum::<usize>());

    // Transactions side by side: those whose check fails store none of their writes, the
    // others all of theirs.
    t.put(item(json!({"PK": p("T"), "SK": "gate"})), Condition::None).await.unwrap();
    let outcomes = join_all((0..24).map(|i| {
        let gate = if i % 2 == 0 { "gate" } else { "no-gate" };
        t.transact_write(vec![
            Write::Put { item: item(json!({"PK": p("T"), "SK": format!("a{i:02}")})), condition: Condition::NotExists },
            Write::Put { item: item(json!({"PK": p("T"), "SK": format!("b{i:02}")})), condition: Condition::NotExists },
            Write::Check { key: Key::new(p("T"), gate), condition: Condition::Exists },
        ])
    }))
    .await;
    for (i, outcome) in outcomes.iter().enumerate() {
        let stored =
            t.get_many(&[Key::new(p("T"), format!("a{i:02}")), Key::new(p("T"), format!("b{i:02}"))]).await.unwrap();
        if i % 2 == 0 {
            assert!(outcome.is_ok(), "transaction {i}: {outcome:?}");
            assert!(stored.iter().all(Option::is_some), "transaction {i} stored all its writes");
        } else {
            assert!(
                matches!(outcome, Err(TableError::TransactionCancelled { failed }) if failed == &[2]),
                "transaction {i}: {outcome:?}"
            );
            assert!(stored.iter().all(Option::is_none), "transaction {i} stored none of its writes");
        }
    }

    // Concurrent additions to one counter: none lost, each answered a distinct value.
    let counter = Key::new(p("C"), "1");
    let mut values: Vec<i64> =
        join_all((0..40).map(|_| t.add(&counter, "n", 1))).await.into_iter().map(Result::unwrap).collect();
    values.sort_unstable();
    assert_eq!(values, (1..=40).collect::<Vec<_>>(), "each concurrent addition sees the ones before it");
}
