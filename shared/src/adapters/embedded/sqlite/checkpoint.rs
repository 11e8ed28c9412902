//! Checkpoints off the writer: the WAL's pages copied into the database file by a thread and a
//! connection of their own, so that no commit waits for one.
//!
//! SQLite checkpoints by default in the connection that commits, once the WAL holds 1,000 pages
//! (4 MiB): that commit, and every caller queued behind it, waits for the copy and the file's
//! fsync. Here the writer only nudges this thread after each batch; the thread lets a second of
//! commits gather (a page written by many of them, an index's inner pages or a busy partition,
//! is copied once) and runs a passive checkpoint, which copies what no reader still needs and
//! waits for neither readers nor the writer. The WAL is reused from its start by the first
//! commit after a checkpoint has copied all of it.

use std::{
    path::Path,
    sync::mpsc::{self, Receiver, SyncSender},
    time::Duration,
};

use anyhow::Context;
use rusqlite::Connection;

/// How long commits gather in the WAL before a checkpoint copies them to the file.
const GATHER: Duration = Duration::from_secs(1);

/// Starts the checkpointing thread on the file at `path`: a nudge sent after a commit has it
/// checkpoint shortly after. The thread ends once every sender is dropped.
///
/// # Errors
/// When the file cannot be opened or the thread not started.
pub(super) fn start(path: &Path) -> anyhow::Result<SyncSender<()>> {
    let conn = Connection::open(path).with_context(|| format!("opening {}", path.display()))?;
    conn.busy_timeout(super::BUSY_TIMEOUT)?;
    // One nudge waiting is enough: it means "something was committed since the last checkpoint".
    let (nudge, committed) = mpsc::sync_channel(1);
    std::thread::Builder::new()
        .name("sqlite-checkpoint".into())
        .spawn(move || run(&conn, &committed))
        .context("starting the SQLite checkpoints")?;
    Ok(nudge)
}

fn run(conn: &Connection, committed: &Receiver<()>) {
    while committed.recv().is_ok() {
        std::thread::sleep(GATHER);
        if let Err(e) = conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |_| Ok(())) {
            tracing::warn!(error = %e, "SQLite checkpoint failed; the next commit's nudge retries it");
        }
    }
}
