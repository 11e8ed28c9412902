//! Group commit: the writes of concurrent callers gathered into one SQLite transaction, so one
//! fsync, each caller's write still all or nothing.
//!
//! A caller queues its write and waits for its answer; one thread of the table's own, the writer,
//! takes everything queued so far and commits it: while one batch is being made durable, the
//! next one gathers. Each caller's write runs in its own savepoint: a failed condition (or any
//! error) rolls back that caller's writes only and answers it with its error, the others commit.
//! A caller is answered only after the commit that holds its writes has returned, so durability
//! is that of a commit of its own; when the commit itself fails, every caller of the batch gets
//! the error and nothing of the batch is stored.
//!
//! One long-lived thread rather than a blocking task per caller: a caller's write costs one
//! wake-up of the writer (none while it is committing) instead of a thread of its own waiting
//! for the connection. The thread ends when the table (every clone of it) is dropped.

use std::sync::{
    Arc, Mutex, MutexGuard,
    mpsc::{self, Receiver, Sender},
};

use rusqlite::Connection;
use tokio::sync::oneshot;

use super::sql::{add_to, apply, transact};
use crate::{
    lock,
    ports::{Key, TableError, Write},
};

/// One caller's write.
pub(super) enum Op {
    /// A `put` or a `delete`: `ConditionFailed` when its condition does not hold.
    Single(Write),
    /// An `add`: answers the attribute's new value.
    Add { key: Key, attr: String, delta: i64 },
    /// A `transact_write`: `TransactionCancelled` names the writes whose condition fails.
    Transact(Vec<Write>),
}

/// What a caller is answered: the new value for an `add`.
pub(super) type Answer = Result<Option<i64>, TableError>;

struct Pending {
    op: Op,
    reply: oneshot::Sender<Answer>,
}

/// The most callers one commit gathers; those left go in the next, at once.
const MAX_BATCH: usize = 256;

pub(super) struct GroupCommit {
    conn: Arc<Mutex<Connection>>,
    queue: Sender<Pending>,
}

impl GroupCommit {
    /// Starts the writer thread on `conn`.
    ///
    /// # Errors
    /// When the thread cannot be started.
    pub(super) fn start(conn: Connection) -> std::io::Result<Self> {
        let conn = Arc::new(Mutex::new(conn));
        let (queue, pending) = mpsc::channel();
        let writer = Arc::clone(&conn);
        std::thread::Builder::new().name("sqlite-writer".into()).spawn(move || commit_queued(&writer, &pending))?;
        Ok(Self { conn, queue })
    }

    /// The writing connection, between commits: for the reads of a table that has no other
    /// connection (in memory).
    pub(super) fn connection(&self) -> MutexGuard<'_, Connection> {
        lock(&self.conn)
    }

    /// Writes `op` in the next commit; answers once that commit is durable.
    pub(super) async fn submit(&self, op: Op) -> Answer {
        let (reply, answer) = oneshot::channel();
        self.queue
            .send(Pending { op, reply })
            .map_err(|_| TableError::Unavailable(anyhow::anyhow!("SQLite: the writer has stopped")))?;
        answer.await.map_err(|_| TableError::Unavailable(anyhow::anyhow!("SQLite: the write was abandoned")))?
    }
}

/// The writer thread: commits what is queued, batch after batch, until every sender is gone.
fn commit_queued(conn: &Mutex<Connection>, pending: &Receiver<Pending>) {
    while let Ok(first) = pending.recv() {
        let mut batch = Vec::with_capacity(MAX_BATCH);
        batch.push(first);
        batch.extend(pending.try_iter().take(MAX_BATCH - 1));
        let answers = run_batch(&lock(conn), &batch).unwrap_or_else(|e| {
            // Nothing of the batch is stored: each caller gets the error.
            let message = e.to_string();
            batch.iter().map(|_| Err(TableError::Unavailable(anyhow::anyhow!("SQLite: {message}")))).collect()
        });
        for (pending, answer) in batch.into_iter().zip(answers) {
            // A caller that went away (its request was cancelled) needs no answer.
            let _ = pending.reply.send(answer);
        }
    }
}

/// One transaction for the batch, a savepoint per caller; the callers' answers, in order, once
/// the transaction is committed. When anything but a caller's own write fails, nothing of the
/// batch is kept.
fn run_batch(conn: &Connection, batch: &[Pending]) -> Result<Vec<Answer>, rusqlite::Error> {
    // IMMEDIATE: the file's write lock is taken at once (another process writing to the file
    // makes this wait, within the busy timeout, rather than fail half-way).
    step(conn, "BEGIN IMMEDIATE")?;
    let committed = run_callers(conn, batch).and_then(|answers| step(conn, "COMMIT").map(|()| answers));
    if committed.is_err() && !conn.is_autocommit() {
        // What failed left the transaction open (a failed COMMIT does, too).
        let _ = step(conn, "ROLLBACK");
    }
    committed
}

fn run_callers(conn: &Connection, batch: &[Pending]) -> Result<Vec<Answer>, rusqlite::Error> {
    let mut answers = Vec::with_capacity(batch.len());
    for pending in batch {
        step(conn, "SAVEPOINT caller")?;
        let answer = run(conn, &pending.op);
        if answer.is_err() {
            step(conn, "ROLLBACK TO caller")?;
        }
        step(conn, "RELEASE caller")?;
        answers.push(answer);
    }
    Ok(answers)
}

/// Runs a statement without parameters, parsed once per connection (a batch runs a few per
/// caller: parsing them each time was a sixth of the writer's work).
fn step(conn: &Connection, sql: &str) -> Result<(), rusqlite::Error> {
    conn.prepare_cached(sql)?.execute([]).map(drop)
}

fn run(conn: &Connection, op: &Op) -> Answer {
    match op {
        Op::Single(write) => {
            if apply(conn, write)? {
                Ok(None)
            } else {
                Err(TableError::ConditionFailed)
            }
        }
        Op::Add { key, attr, delta } => add_to(conn, key, attr, *delta).map(Some),
        Op::Transact(writes) => transact(conn, writes).map(|()| None),
    }
}
