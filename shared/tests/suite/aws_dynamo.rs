//! `DynamoTable` against a moto server (`scripts/test` starts one): the `Table` conformance
//! suite, then what the suite does not reach (cursors, 1 MB pages, numbers, nesting, errors).

#![allow(clippy::unwrap_used, clippy::expect_used)] // Test code: a failed step is a failed check.

use std::sync::Arc;

use aws_sdk_dynamodb::types::{AttributeValue, ProjectionType, StreamViewType, TimeToLiveStatus};
use hubee_shared::{
    adapters::{aws::DynamoTable, embedded::SqliteTable},
    ports::{Condition, Cursor, Index, Item, Key, Query, SortKey, Table, TableError, Write},
    testkit,
};
use serde_json::{Value, json};

fn item(v: Value) -> Item {
    match v {
        Value::Object(m) => m,
        _ => panic!("items are objects"),
    }
}

/// A fresh table on the emulator, and its client; `None` without an emulator (the test is
/// skipped).
async fn fresh_table() -> Option<(aws_sdk_dynamodb::Client, String, DynamoTable)> {
    let config = testkit::aws::sdk_config().await?;
    let client = aws_sdk_dynamodb::Client::new(&config);
    let name = testkit::aws::unique_name("hubee");
    DynamoTable::create_table(&client, &name).await.unwrap();
    let table = DynamoTable::from_sdk_config(&config, &name);
    Some((client, name, table))
}

#[tokio::test]
async fn the_dynamo_table_passes_the_table_conformance_suite() {
    let Some((_, _, table)) = fresh_table().await else { return };
    testkit::table::conformance(Arc::new(table)).await;
}

#[tokio::test]
async fn create_table_is_idempotent_and_sets_up_the_indexes_the_stream_and_expiry() {
    let Some((client, name, _)) = fresh_table().await else { return };
    DynamoTable::create_table(&client, &name).await.unwrap();

    let description = client.describe_table().table_name(&name).send().await.unwrap().table.unwrap();
    let mut indexes: Vec<(String, Vec<String>, Option<ProjectionType>)> = description
        .global_secondary_indexes()
        .iter()
        .map(|ix| {
            (
                ix.index_name().unwrap_or_default().to_owned(),
                ix.key_schema().iter().map(|k| k.attribute_name().to_owned()).collect(),
                ix.projection().and_then(|p| p.projection_type().cloned()),
            )
        })
        .collect();
    indexes.sort();
    let expected: Vec<_> = Index::ALL
        .iter()
        .map(|ix| {
            (ix.name().to_owned(), vec![ix.pk_attr().to_owned(), ix.sk_attr().to_owned()], Some(ProjectionType::All))
        })
        .collect();
    assert_eq!(indexes, expected);
    let stream = description.stream_specification().unwrap();
    assert!(stream.stream_enabled());
    assert_eq!(stream.stream_view_type(), Some(&StreamViewType::NewAndOldImages));

    let ttl = client.describe_time_to_live().table_name(&name).send().await.unwrap().time_to_live_description.unwrap();
    assert_eq!(ttl.attribute_name(), Some("ttl"));
    assert_eq!(ttl.time_to_live_status(), Some(&TimeToLiveStatus::Enabled));
}

#[tokio::test]
async fn a_cursor_the_adapter_did_not_issue_is_invalid() {
    let Some((_, _, table)) = fresh_table().await else { return };
    for sk in ["1", "2", "3"] {
        table
            .put(
                item(json!({"PK": "P", "SK": sk, "GSI1PK": "G", "GSI1SK": sk, "GSI2PK": "G", "GSI2SK": sk})),
                Condition::None,
            )
            .await
            .unwrap();
    }
    let invalid = |result: Result<_, TableError>| matches!(result, Err(TableError::Invalid(_)));

    // The embedded adapter's cursor for the same partition.
    let sqlite = SqliteTable::in_memory().unwrap();
    for sk in ["1", "2", "3"] {
        sqlite.put(item(json!({"PK": "P", "SK": sk})), Condition::None).await.unwrap();
    }
    let foreign = sqlite.query(Query::table("P").limit(1)).await.unwrap().cursor.unwrap();
    assert!(invalid(table.query(Query::table("P").after(Some(foreign))).await), "a SQLite cursor is refused");

    for garbage in ["not base64!", "bm90IGpzb24", "e30", "eyJpbmRleCI6bnVsbCwia2V5Ijp7fX0", ""] {
        let cursor = Some(Cursor(garbage.into()));
        assert!(invalid(table.query(Query::table("P").after(cursor)).await), "{garbage:?} is refused");
    }

    // A cursor of this adapter, for another query.
    let page = table.query(Query::table("P").limit(1)).await.unwrap();
    let cursor = page.cursor.unwrap();
    assert!(invalid(table.query(Query::table("Q").after(Some(cursor.clone()))).await), "another partition");
    assert!(invalid(table.query(Query::index(Index::Gsi1, "G").after(Some(cursor.clone()))).await), "an index");
    let rest = table.query(Query::table("P").after(Some(cursor))).await.unwrap();
    assert_eq!(rest.items.len(), 2, "the cursor is good for its own query");

    let gsi1 = table.query(Query::index(Index::Gsi1, "G").limit(1)).await.unwrap().cursor.unwrap();
    assert!(invalid(table.query(Query::index(Index::Gsi2, "G").after(Some(gsi1.clone()))).await), "another index");
    assert!(invalid(table.query(Query::table("P").after(Some(gsi1.clone()))).await), "the table");
    assert_eq!(table.query(Query::index(Index::Gsi1, "G").after(Some(gsi1))).await.unwrap().items.len(), 2);
}

#[tokio::test]
async fn a_page_holds_its_limit_of_items_past_one_megabyte() {
    let Some((client, name, table)) = fresh_table().await else { return };
    // 30 items of 100 kB: DynamoDB answers a query with at most 1 MB, about 10 of them.
    let filler = "x".repeat(100_000);
    for i in 0..30 {
        let it = item(json!({"PK": "BIG", "SK": format!("{i:02}"), "GSI1PK": "BIG", "GSI1SK": "same", "f": filler}));
        table.put(it, Condition::None).await.unwrap();
    }
    let sks = |page: &hubee_shared::ports::Page| {
        page.items.iter().map(|i| i["SK"].as_str().unwrap().to_owned()).collect::<Vec<_>>()
    };
    let all: Vec<String> = (0..30).map(|i| format!("{i:02}")).collect();

    let raw = client
        .query()
        .table_name(&name)
        .key_condition_expression("PK = :pk")
        .expression_attribute_values(":pk", AttributeValue::S("BIG".into()))
        .limit(25)
        .send()
        .await
        .unwrap();
    assert!(raw.items().len() < 25 && raw.last_evaluated_key.is_some(), "the service stops a response at 1 MB");

    let first = table.query(Query::table("BIG").limit(25)).await.unwrap();
    assert_eq!(sks(&first), all[..25], "a page holds `limit` items even past 1 MB");
    let second = table.query(Query::table("BIG").limit(25).after(first.cursor)).await.unwrap();
    assert_eq!(sks(&second), all[25..]);
    assert!(second.cursor.is_none(), "the last page has no cursor");

    let whole = table.query(Query::table("BIG")).await.unwrap();
    assert_eq!(sks(&whole), all, "a page reads the whole partition past 1 MB");
    assert!(whole.cursor.is_none());

    let exact = table.query(Query::table("BIG").limit(30)).await.unwrap();
    assert_eq!(exact.items.len(), 30);
    assert!(exact.cursor.is_none(), "a page holding the last item exactly has no cursor, as with SQLite");

    let backward = table.query(Query::index(Index::Gsi1, "BIG").backward().limit(20)).await.unwrap();
    assert_eq!(backward.items.len(), 20, "so does an index page");
    let rest = table
        .query(Query::index(Index::Gsi1, "BIG").backward().limit(20).after(backward.cursor.clone()))
        .await
        .unwrap();
    assert_eq!(rest.items.len(), 10);
    assert!(rest.cursor.is_none());
    let mut seen: Vec<String> = sks(&backward).into_iter().chain(sks(&rest)).collect();
    seen.sort();
    assert_eq!(seen, all, "index pages cover every item once");
}

#[tokio::test]
async fn numbers_read_back_as_written() {
    let Some((_, _, table)) = fresh_table().await else { return };
    let numbers = json!({
        "PK": "N", "SK": "1",
        "zero": 0, "small": 42, "negative": -7, "i64_min": i64::MIN, "i64_max": i64::MAX, "u64_max": u64::MAX,
        "half": 1.5, "tenth": 0.1, "tiny": 1e-7, "big": 6.02e23, "negative_float": -2.25,
        "list": [1, -1, 2.5, u64::MAX]
    });
    table.put(item(numbers.clone()), Condition::None).await.unwrap();
    let back = table.get(&Key::new("N", "1")).await.unwrap().unwrap();
    assert_eq!(Value::Object(back.clone()), numbers);
    assert!(back["i64_min"].is_i64() && back["u64_max"].is_u64() && back["half"].is_f64());
    assert!(back["small"].is_i64(), "an integer stays an integer");
}

#[tokio::test]
async fn nested_maps_and_lists_read_back_as_written() {
    let Some((_, _, table)) = fresh_table().await else { return };
    let nested = json!({
        "PK": "M", "SK": "1",
        "map": {"a": {"b": {"c": [1, "two", null, true, {"d": []}]}}, "empty": {}},
        "list": [[], [[1]], {"k": "v"}, "", null, false],
        "empty_string": "", "unicode": "Élodie · 東京 · 🦀"
    });
    table.put(item(nested.clone()), Condition::None).await.unwrap();
    assert_eq!(table.get(&Key::new("M", "1")).await.unwrap().map(Value::Object), Some(nested.clone()));
    let page = table.query(Query::table("M")).await.unwrap();
    assert_eq!(page.items.into_iter().map(Value::Object).collect::<Vec<_>>(), [nested], "a query reads the same");
}

#[tokio::test]
async fn a_cancelled_transaction_names_the_writes_whose_condition_failed() {
    let Some((_, _, table)) = fresh_table().await else { return };
    table.put(item(json!({"PK": "T", "SK": "a", "v": 1})), Condition::None).await.unwrap();
    table.put(item(json!({"PK": "T", "SK": "b", "s": "open"})), Condition::None).await.unwrap();

    let writes = vec![
        Write::Check { key: Key::new("T", "z"), condition: Condition::None },
        Write::create(item(json!({"PK": "T", "SK": "a"}))),
        Write::Add { key: Key::new("T", "n"), attr: "n".into(), delta: 1 },
        Write::Delete { key: Key::new("T", "b"), condition: Condition::equals("s", "closed") },
        Write::Put { item: item(json!({"PK": "T", "SK": "c"})), condition: Condition::Exists },
        Write::Check { key: Key::new("T", "missing"), condition: Condition::NotExists },
        Write::Put { item: item(json!({"PK": "T", "SK": "d"})), condition: Condition::None },
    ];
    match table.transact_write(writes).await {
        Err(TableError::TransactionCancelled { failed }) => assert_eq!(failed, [1, 3, 4]),
        other => panic!("expected a cancelled transaction, got {other:?}"),
    }
    let items = table.query(Query::table("T")).await.unwrap().items;
    assert_eq!(items.len(), 2, "nothing was written");
    assert_eq!(items[0].get("v"), Some(&json!(1)));

    table.transact_write(Vec::new()).await.unwrap();
    let check_only = vec![
        Write::Check { key: Key::new("T", "missing"), condition: Condition::None },
        Write::Add { key: Key::new("T", "n"), attr: "n".into(), delta: 1 },
    ];
    table.transact_write(check_only).await.unwrap();
    assert_eq!(
        table.get(&Key::new("T", "n")).await.unwrap().unwrap()["n"],
        json!(1),
        "a check without condition holds"
    );
}

#[tokio::test]
async fn adding_to_a_string_is_invalid() {
    let Some((_, _, table)) = fresh_table().await else { return };
    table.put(item(json!({"PK": "S", "SK": "1", "s": "text", "n": 1})), Condition::None).await.unwrap();
    let key = Key::new("S", "1");
    assert!(matches!(table.add(&key, "s", 1).await, Err(TableError::Invalid(_))));
    let writes = vec![Write::Add { key: key.clone(), attr: "s".into(), delta: 1 }];
    assert!(matches!(table.transact_write(writes).await, Err(TableError::Invalid(_))), "in a transaction too");
    assert_eq!(table.add(&key, "n", 1).await.unwrap(), 2, "the item is untouched");
}

#[tokio::test]
async fn an_item_without_string_keys_is_invalid() {
    let Some((_, _, table)) = fresh_table().await else { return };
    let keyless = item(json!({"PK": "K", "v": 1}));
    assert!(matches!(table.put(keyless.clone(), Condition::None).await, Err(TableError::Invalid(_))));
    assert!(matches!(table.transact_write(vec![Write::put(keyless)]).await, Err(TableError::Invalid(_))));
    let numeric = item(json!({"PK": "K", "SK": 1}));
    assert!(matches!(table.put(numeric, Condition::None).await, Err(TableError::Invalid(_))));
}

#[tokio::test]
async fn edge_key_conditions_find_what_sqlite_finds() {
    let Some((_, _, dynamo)) = fresh_table().await else { return };
    let sqlite = SqliteTable::in_memory().unwrap();
    let tables: [(&str, &dyn Table); 2] = [("DynamoDB", &dynamo), ("SQLite", &sqlite)];
    for (name, table) in tables {
        for sk in ["a", "b"] {
            table.put(item(json!({"PK": "E", "SK": sk})), Condition::None).await.unwrap();
        }
        let cases = [
            (SortKey::Between("b".into(), "a".into()), 0, "reversed bounds"),
            (SortKey::Eq(String::new()), 0, "an empty sort key"),
            (SortKey::BeginsWith(String::new()), 2, "an empty prefix"),
            (SortKey::Between(String::new(), "a".into()), 1, "an empty lower bound"),
            (SortKey::Between(String::new(), String::new()), 0, "empty bounds"),
        ];
        for (sk, expected, case) in cases {
            let found = table.query(Query::table("E").sk(sk)).await.unwrap().items.len();
            assert_eq!(found, expected, "{case} on {name}");
        }
        assert!(table.query(Query::table("")).await.unwrap().items.is_empty(), "an empty partition key on {name}");
    }
}
