//! `SqliteTable`: the `Table` port on one SQLite file (WAL), storing the same key strings as
//! the DynamoDB table so that the single-table design is exercised by every local run.
//!
//! Writes go through one connection, committed in groups (`commit`): concurrent requests share
//! a transaction and its fsync. Reads take a connection of their own from a pool: under WAL
//! they see the last commit and never wait for the writer. Key lookups run where they are
//! called; queries and scans, which may read many rows, on the blocking threads.

mod commit;
mod sql;

use std::{
    collections::HashSet,
    path::{Path, PathBuf},
    sync::{Arc, Mutex},
};

use anyhow::Context;
use async_trait::async_trait;
use rusqlite::Connection;

use self::{
    commit::{GroupCommit, Op},
    sql::{read, run_query, run_scan, sql_err},
};
use crate::{
    lock,
    ports::{Condition, Cursor, Item, Key, MAX_TRANSACTION_WRITES, Page, Query, Table, TableError, Write},
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

/// The writing connection's settings, found by profiling the load benchmark
/// (docs/PERFORMANCE.md): a group commit holds a savepoint per caller, and SQLite copies each
/// page a savepoint changes to its sub-journal first, a temporary file by default: in memory
/// instead (the sub-journal only serves rollbacks within the open transaction); and a page
/// cache of 16 MiB rather than 2, so that a batch finds the pages it changes in memory.
///
/// Checkpoints stay SQLite's automatic ones, in the commit that crosses 1,000 WAL pages: only
/// a checkpoint the writer runs between its own commits can complete and let the next commit
/// reuse the WAL from its start. (A checkpoint thread of its own, tried, never caught up with a
/// writer that never pauses: the WAL grew until the disk was full.)
const WRITER_SETTINGS: &str = "PRAGMA temp_store = MEMORY; PRAGMA cache_size = -16384;";

/// Prepared statements the writing connection keeps (rusqlite's default is 16).
const WRITER_STATEMENTS: usize = 64;

/// Reading connections kept open between reads; more are opened when more read at once.
const IDLE_READERS: usize = 8;

/// How long a connection waits for a lock another one holds before failing: another process
/// writing to the file (a maintenance command), a checkpoint, or a hub restarting in the same
/// process whose last blocking call is still finishing.
const BUSY_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(5);

#[derive(Clone)]
pub struct SqliteTable {
    writer: Arc<GroupCommit>,
    readers: Arc<Readers>,
}

enum Readers {
    /// Connections to the file, each used by one read at a time.
    Pool { path: PathBuf, idle: Mutex<Vec<Connection>> },
    /// A table in memory has one connection: reads take the writer's between commits.
    Writer,
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
        conn.execute_batch(WRITER_SETTINGS).context("configuring SQLite")?;
        conn.busy_timeout(BUSY_TIMEOUT).context("configuring SQLite")?;
        let readers = Readers::Pool { path: path.to_owned(), idle: Mutex::new(Vec::new()) };
        Self::init(conn, readers)
    }

    /// A private table in memory, for unit tests.
    ///
    /// # Errors
    /// When SQLite cannot start.
    pub fn in_memory() -> anyhow::Result<Self> {
        Self::init(Connection::open_in_memory()?, Readers::Writer)
    }

    fn init(conn: Connection, readers: Readers) -> anyhow::Result<Self> {
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
        // The writer's statements (a transaction's, a savepoint's, reads and writes of an item)
        // stay parsed beside the queries a table in memory also runs on this connection.
        conn.set_prepared_statement_cache_capacity(WRITER_STATEMENTS);
        let writer = GroupCommit::start(conn).context("starting the SQLite writer")?;
        Ok(Self { writer: Arc::new(writer), readers: Arc::new(readers) })
    }

    /// Runs a read on a connection of its own (the writer's, between commits, in memory).
    fn read_now<T>(&self, f: impl FnOnce(&mut Connection) -> Result<T, TableError>) -> Result<T, TableError> {
        match self.readers.as_ref() {
            Readers::Writer => f(&mut self.writer.connection()),
            Readers::Pool { path, idle } => {
                let taken = lock(idle).pop();
                let mut conn = match taken {
                    Some(conn) => conn,
                    None => open_reader(path)?,
                };
                let result = f(&mut conn);
                let mut idle = lock(idle);
                if idle.len() < IDLE_READERS {
                    idle.push(conn);
                }
                result
            }
        }
    }

    /// Runs a read that may go through many rows (a query, a scan) off the async threads.
    async fn read<T, F>(&self, f: F) -> Result<T, TableError>
    where
        T: Send + 'static,
        F: FnOnce(&mut Connection) -> Result<T, TableError> + Send + 'static,
    {
        let this = self.clone();
        tokio::task::spawn_blocking(move || this.read_now(f))
            .await
            .map_err(|e| TableError::Unavailable(anyhow::anyhow!("SQLite task failed: {e}")))?
    }
}

fn open_reader(path: &Path) -> Result<Connection, TableError> {
    let conn = Connection::open(path).map_err(sql_err)?;
    conn.busy_timeout(BUSY_TIMEOUT).map_err(sql_err)?;
    conn.execute_batch("PRAGMA query_only = ON;").map_err(sql_err)?;
    Ok(conn)
}

/// Refuses what DynamoDB refuses: too many writes, or two on one item.
fn check_transaction(writes: &[Write]) -> Result<(), TableError> {
    if writes.len() > MAX_TRANSACTION_WRITES {
        return Err(TableError::Invalid(format!(
            "{} writes in one transaction (at most {MAX_TRANSACTION_WRITES})",
            writes.len()
        )));
    }
    let mut seen = HashSet::new();
    for w in writes {
        let key = w.key().ok_or_else(|| TableError::Invalid("an item needs string PK and SK attributes".into()))?;
        if !seen.insert(key) {
            return Err(TableError::Invalid("two writes on the same item in one transaction".into()));
        }
    }
    Ok(())
}

#[async_trait]
impl Table for SqliteTable {
    // Key lookups run on the calling (async) thread: a lookup in the page cache takes a few
    // microseconds, less than the two thread wake-ups of a blocking task. Under WAL a reader
    // never waits for the writer; it may wait (within the busy timeout) only while another
    // connection recovers the file after a crash, at start-up.
    async fn get(&self, key: &Key) -> Result<Option<Item>, TableError> {
        self.read_now(|c| read(c, key))
    }

    async fn get_many(&self, keys: &[Key]) -> Result<Vec<Option<Item>>, TableError> {
        // One read transaction: one snapshot.
        self.read_now(|c| {
            let tx = c.transaction().map_err(sql_err)?;
            let items = keys.iter().map(|key| read(&tx, key)).collect::<Result<_, _>>()?;
            tx.commit().map_err(sql_err)?;
            Ok(items)
        })
    }

    async fn put(&self, item: Item, condition: Condition) -> Result<(), TableError> {
        self.writer.submit(Op::Single(Write::Put { item, condition })).await.map(drop)
    }

    async fn delete(&self, key: &Key, condition: Condition) -> Result<(), TableError> {
        self.writer.submit(Op::Single(Write::Delete { key: key.clone(), condition })).await.map(drop)
    }

    async fn add(&self, key: &Key, attr: &str, delta: i64) -> Result<i64, TableError> {
        let op = Op::Add { key: key.clone(), attr: attr.to_owned(), delta };
        self.writer
            .submit(op)
            .await?
            .ok_or_else(|| TableError::Unavailable(anyhow::anyhow!("SQLite: an addition without its value")))
    }

    async fn query(&self, query: Query) -> Result<Page, TableError> {
        self.read(move |c| run_query(c, &query)).await
    }

    async fn scan(&self, cursor: Option<Cursor>, limit: usize) -> Result<Page, TableError> {
        self.read(move |c| run_scan(c, cursor.as_ref(), limit)).await
    }

    async fn transact_write(&self, writes: Vec<Write>) -> Result<(), TableError> {
        check_transaction(&writes)?;
        self.writer.submit(Op::Transact(writes)).await.map(drop)
    }
}

#[cfg(test)]
mod tests;
