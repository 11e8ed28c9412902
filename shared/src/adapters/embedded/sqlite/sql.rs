//! The rows behind the `Table` port: reading, writing and conditions on one connection, queries
//! and scans with their cursors. Each function works inside whatever transaction the caller holds.

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use rusqlite::{Connection, OptionalExtension, params_from_iter, types::Value as SqlValue};
use serde_json::Value;

use crate::ports::{Cursor, Index, Item, Key, PK, Page, Query, SK, SortKey, TableError, Write, check_deltas, item_key};

/// The highest code point: `prefix + MAX_CHAR` bounds every string that begins with `prefix`.
const MAX_CHAR: char = '\u{10FFFF}';

pub(super) fn sql_err(e: rusqlite::Error) -> TableError {
    TableError::Unavailable(anyhow::Error::new(e).context("SQLite"))
}

pub(super) fn read(conn: &Connection, key: &Key) -> Result<Option<Item>, TableError> {
    let data: Option<String> = conn
        .prepare_cached("SELECT data FROM items WHERE pk = ?1 AND sk = ?2")
        .and_then(|mut statement| statement.query_row([&key.pk, &key.sk], |r| r.get(0)))
        .optional()
        .map_err(sql_err)?;
    data.map(|d| decode_item(&d)).transpose()
}

fn decode_item(data: &str) -> Result<Item, TableError> {
    serde_json::from_str(data).map_err(|e| TableError::Unavailable(anyhow::anyhow!("corrupt item in SQLite: {e}")))
}

fn key_of(item: &Item) -> Result<Key, TableError> {
    item_key(item).ok_or_else(|| TableError::Invalid("an item needs string PK and SK attributes".into()))
}

fn index_columns(item: &Item) -> Vec<Option<String>> {
    Index::ALL
        .iter()
        .flat_map(|ix| {
            let pk = item.get(ix.pk_attr()).and_then(Value::as_str).map(str::to_owned);
            let sk = item.get(ix.sk_attr()).and_then(Value::as_str).map(str::to_owned);
            // Like DynamoDB: an item is in the index only with both of its key attributes.
            if pk.is_some() && sk.is_some() { [pk, sk] } else { [None, None] }
        })
        .collect()
}

fn write_item(conn: &Connection, item: &Item) -> Result<(), TableError> {
    let key = key_of(item)?;
    let cols = index_columns(item);
    let data = serde_json::to_string(item).map_err(|e| TableError::Invalid(e.to_string()))?;
    conn.prepare_cached(
        "INSERT OR REPLACE INTO items
         (pk, sk, gsi1pk, gsi1sk, gsi2pk, gsi2sk, gsi3pk, gsi3sk, gsi4pk, gsi4sk, gsi5pk, gsi5sk, data)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)",
    )
    .and_then(|mut statement| {
        statement.execute(rusqlite::params![
            key.pk, key.sk, cols[0], cols[1], cols[2], cols[3], cols[4], cols[5], cols[6], cols[7], cols[8], cols[9],
            data
        ])
    })
    .map_err(sql_err)?;
    Ok(())
}

fn remove(conn: &Connection, key: &Key) -> Result<(), TableError> {
    conn.prepare_cached("DELETE FROM items WHERE pk = ?1 AND sk = ?2")
        .and_then(|mut statement| statement.execute([&key.pk, &key.sk]))
        .map_err(sql_err)?;
    Ok(())
}

pub(super) fn add_to(conn: &Connection, key: &Key, attr: &str, delta: i64) -> Result<i64, TableError> {
    add_all_to(conn, key, &[(attr.to_owned(), delta)])?.pop().ok_or_else(|| TableError::Invalid("no attribute".into()))
}

/// Adds each delta to its attribute of one item, in one write; the new values, in order.
fn add_all_to(conn: &Connection, key: &Key, deltas: &[(String, i64)]) -> Result<Vec<i64>, TableError> {
    check_deltas(deltas)?;
    let mut item = read(conn, key)?.unwrap_or_else(|| {
        let mut i = Item::new();
        i.insert(PK.into(), Value::String(key.pk.clone()));
        i.insert(SK.into(), Value::String(key.sk.clone()));
        i
    });
    let mut values = Vec::with_capacity(deltas.len());
    for (attr, delta) in deltas {
        let current = match item.get(attr) {
            None => 0,
            Some(v) => v.as_i64().ok_or_else(|| TableError::Invalid(format!("attribute {attr} is not an integer")))?,
        };
        let next =
            current.checked_add(*delta).ok_or_else(|| TableError::Invalid(format!("attribute {attr} overflows")))?;
        item.insert(attr.clone(), Value::from(next));
        values.push(next);
    }
    write_item(conn, &item)?;
    Ok(values)
}

/// Applies one write after checking its condition; `Ok(false)` when the condition fails.
pub(super) fn apply(conn: &Connection, write: &Write) -> Result<bool, TableError> {
    match write {
        Write::Put { item, condition } => {
            let current = read(conn, &key_of(item)?)?;
            if !condition.holds(current.as_ref()) {
                return Ok(false);
            }
            write_item(conn, item)?;
        }
        Write::Delete { key, condition } => {
            let current = read(conn, key)?;
            if !condition.holds(current.as_ref()) {
                return Ok(false);
            }
            remove(conn, key)?;
        }
        Write::Add { key, attr, delta } => {
            add_to(conn, key, attr, *delta)?;
        }
        Write::AddAll { key, deltas } => {
            add_all_to(conn, key, deltas)?;
        }
        Write::Check { key, condition } => {
            let current = read(conn, key)?;
            if !condition.holds(current.as_ref()) {
                return Ok(false);
            }
        }
    }
    Ok(true)
}

/// The position a page stopped at: the sort key, and for an index the table key too.
fn encode_cursor(index: Option<Index>, item: &Item) -> Result<Cursor, TableError> {
    let key = key_of(item)?;
    let parts: Vec<String> = match index {
        None => vec![key.sk],
        Some(ix) => {
            let isk = item.get(ix.sk_attr()).and_then(Value::as_str).unwrap_or_default().to_owned();
            vec![isk, key.pk, key.sk]
        }
    };
    let json = serde_json::to_vec(&parts).map_err(|e| TableError::Invalid(e.to_string()))?;
    Ok(Cursor(URL_SAFE_NO_PAD.encode(json)))
}

fn decode_cursor(index: Option<Index>, cursor: &Cursor) -> Result<Vec<String>, TableError> {
    let invalid = || TableError::Invalid("invalid cursor".into());
    let bytes = URL_SAFE_NO_PAD.decode(&cursor.0).map_err(|_| invalid())?;
    let parts: Vec<String> = serde_json::from_slice(&bytes).map_err(|_| invalid())?;
    let expected = if index.is_some() { 3 } else { 1 };
    if parts.len() == expected { Ok(parts) } else { Err(invalid()) }
}

pub(super) fn run_query(conn: &Connection, q: &Query) -> Result<Page, TableError> {
    let (pk_col, sk_col, tie) = match q.index {
        None => ("pk".to_owned(), "sk".to_owned(), String::new()),
        Some(ix) => {
            let n = match ix {
                Index::Gsi1 => 1,
                Index::Gsi2 => 2,
                Index::Gsi3 => 3,
                Index::Gsi4 => 4,
                Index::Gsi5 => 5,
            };
            (format!("gsi{n}pk"), format!("gsi{n}sk"), ", pk, sk".to_owned())
        }
    };
    let mut sql = format!("SELECT data FROM items WHERE {pk_col} = ?");
    let mut args: Vec<SqlValue> = vec![SqlValue::Text(q.pk.clone())];
    if q.index.is_some() {
        sql.push_str(&format!(" AND {sk_col} IS NOT NULL"));
    }
    match &q.sk {
        None => {}
        Some(SortKey::Eq(v)) => {
            sql.push_str(&format!(" AND {sk_col} = ?"));
            args.push(SqlValue::Text(v.clone()));
        }
        Some(SortKey::BeginsWith(p)) => {
            sql.push_str(&format!(" AND {sk_col} >= ? AND {sk_col} < ? AND substr({sk_col}, 1, length(?)) = ?"));
            args.push(SqlValue::Text(p.clone()));
            args.push(SqlValue::Text(format!("{p}{MAX_CHAR}")));
            args.push(SqlValue::Text(p.clone()));
            args.push(SqlValue::Text(p.clone()));
        }
        Some(SortKey::Between(a, b)) => {
            sql.push_str(&format!(" AND {sk_col} BETWEEN ? AND ?"));
            args.push(SqlValue::Text(a.clone()));
            args.push(SqlValue::Text(b.clone()));
        }
    }
    let op = if q.forward { ">" } else { "<" };
    if let Some(c) = &q.cursor {
        let parts = decode_cursor(q.index, c)?;
        if q.index.is_some() {
            sql.push_str(&format!(" AND ({sk_col}, pk, sk) {op} (?, ?, ?)"));
        } else {
            sql.push_str(&format!(" AND sk {op} ?"));
        }
        args.extend(parts.into_iter().map(SqlValue::Text));
    }
    let dir = if q.forward { "ASC" } else { "DESC" };
    let order = if tie.is_empty() { format!("{sk_col} {dir}") } else { format!("{sk_col} {dir}, pk {dir}, sk {dir}") };
    let limit = q.limit.max(1);
    sql.push_str(&format!(" ORDER BY {order} LIMIT {}", limit + 1));

    let mut stmt = conn.prepare_cached(&sql).map_err(sql_err)?;
    let rows = stmt
        .query_map(params_from_iter(args), |r| r.get::<_, String>(0))
        .map_err(sql_err)?
        .collect::<Result<Vec<_>, _>>()
        .map_err(sql_err)?;
    page(&rows, limit, |last| encode_cursor(q.index, last))
}

/// The page of `rows` (one more than `limit` fetched, telling whether more follow): its items,
/// and a cursor after the last when more follow.
fn page(
    rows: &[String],
    limit: usize,
    cursor_after: impl Fn(&Item) -> Result<Cursor, TableError>,
) -> Result<Page, TableError> {
    let items = rows.iter().take(limit).map(|d| decode_item(d)).collect::<Result<Vec<_>, _>>()?;
    let cursor = match (rows.len() > limit, items.last()) {
        (true, Some(last)) => Some(cursor_after(last)?),
        _ => None,
    };
    Ok(Page { items, cursor })
}

/// A page of every item in key order, from after the key the cursor holds (`["<pk>", "<sk>"]`,
/// marked as a scan's so that a query's cursor is refused).
pub(super) fn run_scan(conn: &Connection, cursor: Option<&Cursor>, limit: usize) -> Result<Page, TableError> {
    let limit = limit.max(1);
    let after = cursor.map(decode_scan_cursor).transpose()?;
    let mut stmt = conn
        .prepare_cached("SELECT data FROM items WHERE ?1 IS NULL OR (pk, sk) > (?1, ?2) ORDER BY pk, sk LIMIT ?3")
        .map_err(sql_err)?;
    let (pk, sk) = after.unzip();
    let fetched = i64::try_from(limit).unwrap_or(i64::MAX).saturating_add(1);
    let rows = stmt
        .query_map(rusqlite::params![pk, sk, fetched], |r| r.get::<_, String>(0))
        .map_err(sql_err)?
        .collect::<Result<Vec<_>, _>>()
        .map_err(sql_err)?;
    page(&rows, limit, |last| {
        let key = key_of(last)?;
        let json = serde_json::to_vec(&("scan", key.pk, key.sk)).map_err(|e| TableError::Invalid(e.to_string()))?;
        Ok(Cursor(URL_SAFE_NO_PAD.encode(json)))
    })
}

fn decode_scan_cursor(cursor: &Cursor) -> Result<(String, String), TableError> {
    let invalid = || TableError::Invalid("invalid cursor".into());
    let bytes = URL_SAFE_NO_PAD.decode(&cursor.0).map_err(|_| invalid())?;
    match serde_json::from_slice::<(String, String, String)>(&bytes) {
        Ok((mark, pk, sk)) if mark == "scan" => Ok((pk, sk)),
        _ => Err(invalid()),
    }
}

/// A transaction's writes, all or nothing: every condition is checked before anything is
/// written, as DynamoDB does; `TransactionCancelled` names the writes whose condition fails.
/// The caller rolls back on an error.
pub(super) fn transact(conn: &Connection, writes: &[Write]) -> Result<(), TableError> {
    let mut failed = Vec::new();
    for (i, w) in writes.iter().enumerate() {
        let (key, cond) = match w {
            Write::Put { item, condition } => (key_of(item)?, condition),
            Write::Delete { key, condition } | Write::Check { key, condition } => (key.clone(), condition),
            Write::AddAll { deltas, .. } => {
                check_deltas(deltas)?;
                continue;
            }
            Write::Add { .. } => continue,
        };
        if !cond.holds(read(conn, &key)?.as_ref()) {
            failed.push(i);
        }
    }
    if !failed.is_empty() {
        return Err(TableError::TransactionCancelled { failed });
    }
    for w in writes {
        apply(conn, w)?;
    }
    Ok(())
}
