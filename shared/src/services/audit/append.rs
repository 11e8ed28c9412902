//! Appending to a chain: in a process, one writer per chain, which appends whatever was queued
//! for the chain meanwhile in one transaction.
//!
//! Every audited request of an organisation appends to the same chain, and an append moves the
//! chain's head under a condition: concurrent appends from one process would lose that
//! condition to each other and retry with backoff (tails of half a second with 16 concurrent
//! downloads). Here a request queues its record and waits; the chain's writer (a task, so that
//! a request that goes away cannot cut a write others wait on) takes up to [`BATCH`] records,
//! gives them consecutive places after the head, and writes them with the head moved once.
//! Other processes (Lambda instances) still append to the same chain: their writes make the
//! head's condition fail, and the writer reads the head again.

use std::{
    collections::HashMap,
    sync::{Arc, Mutex},
};

use tokio::sync::oneshot;

use super::super::backoff;
use crate::{
    domain::{AuditEntry, AuditRecord, ChainHead, GENESIS},
    lock,
    ports::TableError,
    state::AppState,
    store::{StoreError, Versioned},
};

/// How many times a batch re-reads its chain's head after losing it to another process.
const APPEND_RETRIES: usize = 20;
/// Records one transaction appends at most: with the head, DynamoDB's 100 writes.
const BATCH: usize = 99;

/// The chains this process appends to: each one's queue, and the head it last wrote (an append
/// usually finds it there and writes in one round trip instead of reading it first; a head
/// another process moved since makes the write's condition fail, and the head is read again).
#[derive(Debug, Default)]
pub struct Chains(Mutex<HashMap<String, Arc<Mutex<Chain>>>>);

#[derive(Debug, Default)]
struct Chain {
    queued: Vec<Queued>,
    /// Whether a writer task is appending the queue.
    writing: bool,
    head: Option<Versioned<ChainHead>>,
}

#[derive(Debug)]
struct Queued {
    record: AuditRecord,
    reply: oneshot::Sender<Result<AuditEntry, StoreError>>,
}

impl Chains {
    fn chain(&self, name: &str) -> Arc<Mutex<Chain>> {
        Arc::clone(lock(&self.0).entry(name.to_owned()).or_default())
    }
}

/// Appends `record` to its chain of the day: the next place, the previous entry's hash, the head
/// moved on in the same transaction — with the records other requests of this process queued
/// for the chain meanwhile.
///
/// # Errors
/// When the table fails, or the chain stayed contended through every retry.
pub async fn append(state: &AppState, record: AuditRecord) -> Result<AuditEntry, StoreError> {
    let name = record.chain();
    let chain = state.audit_chains.chain(&name);
    let (reply, answer) = oneshot::channel();
    let start = {
        let mut c = lock(&chain);
        c.queued.push(Queued { record, reply });
        !std::mem::replace(&mut c.writing, true)
    };
    if start {
        tokio::spawn(write_queued(state.clone(), name, chain));
    }
    answer.await.map_err(|_| StoreError::Table(TableError::Unavailable(anyhow::anyhow!("the audit writer stopped"))))?
}

/// Should the writer stop other than by emptying the queue (a panic), the chain is freed and
/// those waiting are answered (an error) rather than left waiting for a writer that is gone.
struct Writer {
    chain: Arc<Mutex<Chain>>,
    done: bool,
}

impl Drop for Writer {
    fn drop(&mut self) {
        if !self.done {
            let mut c = lock(&self.chain);
            c.writing = false;
            c.head = None;
            c.queued.clear();
        }
    }
}

/// The chain's writer: appends what is queued, batch after batch, until the queue is empty.
async fn write_queued(state: AppState, name: String, chain: Arc<Mutex<Chain>>) {
    let mut writer = Writer { chain: Arc::clone(&chain), done: false };
    loop {
        let (batch, head) = {
            let mut c = lock(&chain);
            if c.queued.is_empty() {
                c.writing = false;
                writer.done = true;
                return;
            }
            let n = c.queued.len().min(BATCH);
            (c.queued.drain(..n).collect::<Vec<_>>(), c.head.take())
        };
        let records: Vec<&AuditRecord> = batch.iter().map(|q| &q.record).collect();
        let (result, head) = write_batch(&state, &name, head, &records).await;
        lock(&chain).head = head;
        match result {
            Ok(entries) => {
                for (queued, entry) in batch.into_iter().zip(entries) {
                    let _ = queued.reply.send(Ok(entry));
                }
            }
            Err(e) => {
                let message = e.to_string();
                for queued in batch {
                    let _ = queued.reply.send(Err(StoreError::Table(TableError::Unavailable(anyhow::anyhow!(
                        "appending to the audit journal: {message}"
                    )))));
                }
            }
        }
    }
}

/// Appends the records after the chain's head (`cached`: the one this process last wrote, if
/// any); the entries written and the head now, or the error and no head known.
async fn write_batch(
    state: &AppState,
    name: &str,
    mut cached: Option<Versioned<ChainHead>>,
    records: &[&AuditRecord],
) -> (Result<Vec<AuditEntry>, StoreError>, Option<Versioned<ChainHead>>) {
    for round in 0..APPEND_RETRIES {
        if round > 0 {
            backoff(round).await;
        }
        let at = state.clock.now();
        let day = at.date_naive();
        let head = match cached.take().filter(|h| h.value.day == day) {
            Some(head) => Some(head),
            None => match state.store.audit_head(name, day).await {
                Ok(head) => head,
                Err(e) => return (Err(e), None),
            },
        };
        let (mut seq, mut prev) =
            head.as_ref().map_or((1, GENESIS.to_owned()), |h| (h.value.seq + 1, h.value.hash.clone()));
        let mut entries = Vec::with_capacity(records.len());
        for record in records {
            let entry = AuditEntry { chain: name.to_owned(), day, seq, prev, at, record: (*record).clone() };
            prev = entry.digest();
            seq += 1;
            entries.push(entry);
        }
        let version = head.map(|h| h.version);
        let writes = match state.store.audit_append_writes(&entries, version) {
            Ok(writes) => writes,
            Err(e) => return (Err(e), None),
        };
        match state.store.commit(writes).await {
            Ok(()) => {
                let written = ChainHead { chain: name.to_owned(), day, seq: seq - 1, hash: prev };
                return (Ok(entries), Some(Versioned { value: written, version: version.map_or(1, |v| v + 1) }));
            }
            // Another process appended since: read the head again.
            Err(StoreError::Conflict) => {}
            Err(e) => return (Err(e), None),
        }
    }
    (Err(StoreError::Conflict), None)
}
