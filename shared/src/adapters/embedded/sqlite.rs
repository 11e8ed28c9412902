//! `SqliteTable`: the `Table` port on one SQLite file (WAL), storing the same key strings as
//! the DynamoDB table so that the single-table design is exercised by every local run.

use std::{
    collections::HashSet,
    path::Path,
    sync::{Arc, Mutex, MutexGuard},
};

use anyhow::Context;
use async_trait::async_trait;
use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use rusqlite::{Connection, OptionalExtension, params_from_iter, types::Value as SqlValue};
use serde_json::Value;

use crate::ports::{
    Condition, Cursor, Index, Item, Key, MAX_TRANSACTION_WRITES, PK, Page, Query, SK, SortKey, Table, TableError,
    Write, check_deltas, item_key,
};

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS items (
    pk TEXT NOT NULL,
    sk TEXT NOT NULL,
    gsi1pk TEXT, gsi1sk TEXT,
    gsi2pk TEXT, gsi2sk TEXT,
    gsi3pk TEXT, gsi3sk TEXT,
    gsi4pk TEXT, gsi4sk TEXT,
    data TEXT NOT NULL,
    PRIMARY KEY (pk, sk)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS gsi1 ON items (gsi1pk, gsi1sk, pk, sk) WHERE gsi1pk IS NOT NULL;
CREATE INDEX IF NOT EXISTS gsi2 ON items (gsi2pk, gsi2sk, pk, sk) WHERE gsi2pk IS NOT NULL;
CREATE INDEX IF NOT EXISTS gsi3 ON items (gsi3pk, gsi3sk, pk, sk) WHERE gsi3pk IS NOT NULL;
";

/// Indexes added after the first schema: the columns are added to older files on open.
const LATER_INDEXES: &[u8] = &[4, 5];

/// The highest code point: `prefix + MAX_CHAR` bounds every string that begins with `prefix`.
const MAX_CHAR: char = '\u{10FFFF}';

#[derive(Clone)]
pub struct SqliteTable {
    conn: Arc<Mutex<Connection>>,
}

impl SqliteTable {
    /// Opens (creating if needed) the table in a SQLite file.
    ///
    /// # Errors
    /// When the file cannot be opened or the schema not created.
    pub fn open(path: &Path) -> anyhow::Result<Self> {
        let conn = Connection::open(path).with_context(|| format!("opening {}", path.display()))?;
        // FULL: a commit survives a power cut, not only a process crash.
        conn.execute_batch("PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL;").context("configuring SQLite")?;
        // Another connection to the file (a hub restarting in the same process, whose last
        // blocking call is still finishing) makes a write wait rather than fail at once.
        conn.busy_timeout(std::time::Duration::from_secs(5)).context("configuring SQLite")?;
        Self::init(conn)
    }

    /// A private table in memory, for unit tests.
    ///
    /// # Errors
    /// When SQLite cannot start.
    pub fn in_memory() -> anyhow::Result<Self> {
        Self::init(Connection::open_in_memory()?)
    }

    fn init(conn: Connection) -> anyhow::Result<Self> {
        conn.execute_batch(SCHEMA).context("creating the schema")?;
        for n in LATER_INDEXES {
            let present: bool = conn
                .prepare("SELECT 1 FROM pragma_table_info('items') WHERE name = ?1")?
                .exists([format!("gsi{n}pk")])?;
            if !present {
                conn.execute_batch(&format!(
                    "ALTER TABLE items ADD COLUMN gsi{n}pk TEXT; ALTER TABLE items ADD COLUMN gsi{n}sk TEXT;"
                ))?;
            }
            conn.execute_batch(&format!(
                "CREATE INDEX IF NOT EXISTS gsi{n} ON items (gsi{n}pk, gsi{n}sk, pk, sk) WHERE gsi{n}pk IS NOT NULL;"
            ))
            .context("creating an index")?;
        }
        Ok(Self { conn: Arc::new(Mutex::new(conn)) })
    }

    /// Runs blocking SQLite work off the async threads.
    async fn run<T, F>(&self, f: F) -> Result<T, TableError>
    where
        T: Send + 'static,
        F: FnOnce(&mut Connection) -> Result<T, TableError> + Send + 'static,
    {
        let conn = Arc::clone(&self.conn);
        tokio::task::spawn_blocking(move || {
            let mut guard: MutexGuard<'_, Connection> = conn.lock().unwrap_or_else(|e| e.into_inner());
            f(&mut guard)
        })
        .await
        .map_err(|e| TableError::Unavailable(anyhow::anyhow!("SQLite task failed: {e}")))?
    }
}

fn sql_err(e: rusqlite::Error) -> TableError {
    TableError::Unavailable(anyhow::Error::new(e).context("SQLite"))
}

fn read(conn: &Connection, key: &Key) -> Result<Option<Item>, TableError> {
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
    conn.execute(
        "INSERT OR REPLACE INTO items
         (pk, sk, gsi1pk, gsi1sk, gsi2pk, gsi2sk, gsi3pk, gsi3sk, gsi4pk, gsi4sk, gsi5pk, gsi5sk, data)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)",
        rusqlite::params![
            key.pk, key.sk, cols[0], cols[1], cols[2], cols[3], cols[4], cols[5], cols[6], cols[7], cols[8], cols[9],
            data
        ],
    )
    .map_err(sql_err)?;
    Ok(())
}

fn remove(conn: &Connection, key: &Key) -> Result<(), TableError> {
    conn.execute("DELETE FROM items WHERE pk = ?1 AND sk = ?2", [&key.pk, &key.sk]).map_err(sql_err)?;
    Ok(())
}

fn add_to(conn: &Connection, key: &Key, attr: &str, delta: i64) -> Result<i64, TableError> {
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
fn apply(conn: &Connection, write: &Write) -> Result<bool, TableError> {
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

fn run_query(conn: &Connection, q: &Query) -> Result<Page, TableError> {
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
    let more = rows.len() > limit;
    let items = rows.iter().take(limit).map(|d| decode_item(d)).collect::<Result<Vec<_>, _>>()?;
    let cursor = match (more, items.last()) {
        (true, Some(last)) => Some(encode_cursor(q.index, last)?),
        _ => None,
    };
    Ok(Page { items, cursor })
}

/// A page of every item in key order, from after the key the cursor holds (`["<pk>", "<sk>"]`,
/// marked as a scan's so that a query's cursor is refused).
fn run_scan(conn: &Connection, cursor: Option<&Cursor>, limit: usize) -> Result<Page, TableError> {
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
    let more = rows.len() > limit;
    let items = rows.iter().take(limit).map(|d| decode_item(d)).collect::<Result<Vec<_>, _>>()?;
    let cursor = match (more, items.last()) {
        (true, Some(last)) => {
            let key = key_of(last)?;
            let json = serde_json::to_vec(&("scan", key.pk, key.sk)).map_err(|e| TableError::Invalid(e.to_string()))?;
            Some(Cursor(URL_SAFE_NO_PAD.encode(json)))
        }
        _ => None,
    };
    Ok(Page { items, cursor })
}

fn decode_scan_cursor(cursor: &Cursor) -> Result<(String, String), TableError> {
    let invalid = || TableError::Invalid("invalid cursor".into());
    let bytes = URL_SAFE_NO_PAD.decode(&cursor.0).map_err(|_| invalid())?;
    match serde_json::from_slice::<(String, String, String)>(&bytes) {
        Ok((mark, pk, sk)) if mark == "scan" => Ok((pk, sk)),
        _ => Err(invalid()),
    }
}

#[async_trait]
impl Table for SqliteTable {
    async fn get(&self, key: &Key) -> Result<Option<Item>, TableError> {
        let key = key.clone();
        self.run(move |c| read(c, &key)).await
    }

    async fn get_many(&self, keys: &[Key]) -> Result<Vec<Option<Item>>, TableError> {
        let keys = keys.to_vec();
        // One call on the connection, whose lock no writer holds meanwhile: one snapshot.
        self.run(move |c| keys.iter().map(|key| read(c, key)).collect()).await
    }

    async fn put(&self, item: Item, condition: Condition) -> Result<(), TableError> {
        self.run(move |c| {
            let tx = c.transaction().map_err(sql_err)?;
            if !apply(&tx, &Write::Put { item, condition })? {
                return Err(TableError::ConditionFailed);
            }
            tx.commit().map_err(sql_err)
        })
        .await
    }

    async fn delete(&self, key: &Key, condition: Condition) -> Result<(), TableError> {
        let key = key.clone();
        self.run(move |c| {
            let tx = c.transaction().map_err(sql_err)?;
            if !apply(&tx, &Write::Delete { key, condition })? {
                return Err(TableError::ConditionFailed);
            }
            tx.commit().map_err(sql_err)
        })
        .await
    }

    async fn add(&self, key: &Key, attr: &str, delta: i64) -> Result<i64, TableError> {
        let (key, attr) = (key.clone(), attr.to_owned());
        self.run(move |c| {
            let tx = c.transaction().map_err(sql_err)?;
            let v = add_to(&tx, &key, &attr, delta)?;
            tx.commit().map_err(sql_err)?;
            Ok(v)
        })
        .await
    }

    async fn query(&self, query: Query) -> Result<Page, TableError> {
        self.run(move |c| run_query(c, &query)).await
    }

    async fn scan(&self, cursor: Option<Cursor>, limit: usize) -> Result<Page, TableError> {
        self.run(move |c| run_scan(c, cursor.as_ref(), limit)).await
    }

    async fn transact_write(&self, writes: Vec<Write>) -> Result<(), TableError> {
        if writes.len() > MAX_TRANSACTION_WRITES {
            return Err(TableError::Invalid(format!(
                "{} writes in one transaction (at most {MAX_TRANSACTION_WRITES})",
                writes.len()
            )));
        }
        let mut seen = HashSet::new();
        for w in &writes {
            let key = w.key().ok_or_else(|| TableError::Invalid("an item needs string PK and SK attributes".into()))?;
            if !seen.insert(key) {
                return Err(TableError::Invalid("two writes on the same item in one transaction".into()));
            }
        }
        self.run(move |c| {
            let tx = c.transaction().map_err(sql_err)?;
            // Check every condition before writing anything, as DynamoDB does.
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
                if !cond.holds(read(&tx, &key)?.as_ref()) {
                    failed.push(i);
                }
            }
            if !failed.is_empty() {
                return Err(TableError::TransactionCancelled { failed });
            }
            for w in &writes {
                apply(&tx, w)?;
            }
            tx.commit().map_err(sql_err)
        })
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn the_sqlite_table_passes_the_table_conformance_suite() {
        crate::testkit::table::conformance(Arc::new(SqliteTable::in_memory().unwrap())).await;
    }

    #[tokio::test]
    async fn a_file_table_keeps_its_items_when_reopened() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("hub.sqlite");
        let mut item = Item::new();
        item.insert(PK.into(), "A".into());
        item.insert(SK.into(), "B".into());
        SqliteTable::open(&path).unwrap().put(item.clone(), Condition::None).await.unwrap();
        let again = SqliteTable::open(&path).unwrap();
        assert_eq!(again.get(&Key::new("A", "B")).await.unwrap(), Some(item));
    }
}
