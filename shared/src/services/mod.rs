//! The use cases, one module per capability. Handlers call exactly one of these.

pub mod accounts;
pub mod actor;
pub mod archive;
pub mod audit;
mod binaries;
pub mod cases;
pub mod csv;
mod error;
pub mod events;
pub mod exports;
pub mod folders;
pub mod inbox;
pub mod mail;
pub mod migration;
pub mod national;
pub mod notifications;
pub mod notify;
pub mod portal_auth;
pub mod portal_cases;
pub mod portal_subscriptions;
pub mod proconnect;
pub mod retention;
pub mod statistics;
pub mod subscriptions;
pub mod token;
mod validate;
pub mod views;

pub use binaries::{
    ARCHIVE_PREFIX, Completion, Delivery, Download, Redirect, UploadError, UploadHeaders, UploadUrl, VerdictRecord,
    complete_presigned, ensure_servable, record_verdict,
};
pub use error::{ExchangeError, refused};
pub use validate::{Checker, FileMeta};

use crate::{
    domain::{Emitter, Procedure},
    ports::Write,
    state::AppState,
    store::StoreError,
};

/// How many times a use case re-reads and retries after a concurrent change before answering
/// 503.
pub(crate) const RETRIES: usize = 5;

/// What one attempt of an optimistic change decided, from what it has just read.
pub(crate) enum Attempt<T> {
    /// Commit these writes together; once committed, the change answers `T`.
    Commit(Vec<Write>, T),
    /// Nothing to write (a retried request, a change already made): answer `T` now.
    Done(T),
}

/// The error a use case answers when its change kept losing to concurrent ones (503).
pub(crate) trait Contended: From<StoreError> {
    fn busy() -> Self;
}

/// The one optimistic-concurrency loop of the hub: `attempt` reads fresh state, checks it and
/// builds the writes; they are committed all together, their conditions guarding what was read.
/// When a condition no longer holds (someone changed what was read), the whole attempt runs
/// again on a new read, after a short jittered backoff, at most [`RETRIES`] times; then the
/// change answers [`Contended::busy`]. Errors of an attempt are answered as they are.
///
/// `attempt` is a closure returning a future (`|| async move { … }` over references), not an
/// async closure: the future of an async closure cannot yet be proven `Send`, which the
/// handlers need.
pub(crate) async fn optimistic<T, E, F, Fut>(state: &AppState, mut attempt: F) -> Result<T, E>
where
    E: Contended,
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<Attempt<T>, E>>,
{
    for round in 0..RETRIES {
        if round > 0 {
            backoff(round).await;
        }
        let (writes, answer) = match attempt().await? {
            Attempt::Done(answer) => return Ok(answer),
            Attempt::Commit(writes, answer) => (writes, answer),
        };
        match state.store.commit(writes).await {
            Ok(()) => return Ok(answer),
            Err(StoreError::Conflict) => {}
            Err(e) => return Err(e.into()),
        }
    }
    Err(E::busy())
}

/// Waits before retry `round` (from 1): a random time up to 2, 4, 8… ms, so that writers that
/// collided do not collide again in step.
pub(crate) async fn backoff(round: usize) {
    let ceiling_us = 1_000u64 << round.min(6);
    let wait = rand::random_range(ceiling_us / 2..=ceiling_us);
    tokio::time::sleep(std::time::Duration::from_micros(wait)).await;
}

/// What a procedure's limits for `emitter` refuse in a declared file (`index` as the request
/// numbers it).
pub(crate) fn file_problems(procedure: &Procedure, emitter: Emitter, index: usize, file: &FileMeta) -> Vec<String> {
    let (file_name, size, mime_type) = (&file.file_name, file.size, &file.mime_type);
    let mut problems = Vec::new();
    let limit = procedure.max_attachment_size(emitter);
    if size > limit {
        problems.push(format!(
            "Attachment {index} ({file_name}) is larger than the {limit} bytes procedure {} accepts",
            procedure.code
        ));
    }
    if !procedure.accepts_mime_type(emitter, mime_type) {
        problems.push(format!(
            "Attachment {index} ({file_name}): procedure {} does not accept the format {mime_type}",
            procedure.code
        ));
    }
    problems
}
