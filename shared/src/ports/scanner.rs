//! The `Scanner` port: an antivirus reading a binary as it streams (docs/ANTIVIRUS.md).

use async_trait::async_trait;

use super::ByteStream;

/// What an antivirus says of a binary.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// Read through to its end; nothing found.
    Clean,
    /// A signature matched: the binary is quarantined, never served.
    Infected { signature: String },
    /// The scanner could not tell (unreachable, an error, a binary above what it takes): the
    /// binary counts as unscanned, never as clean.
    Unavailable { reason: String },
}

/// An antivirus that reads a binary once, as it streams.
#[async_trait]
pub trait Scanner: Send + Sync {
    /// Reads `body` through and says what it holds. The verdict is known once the body has
    /// ended; a scanner that stops reading early (it failed, or the binary is above what it
    /// takes) drops the body and answers `Unavailable`. Memory does not grow with the binary.
    ///
    /// A body that fails (`Err` items) makes the verdict meaningless: the caller discards it.
    async fn scan(&self, body: ByteStream) -> Verdict;

    /// What scans, for the start-up log and `/health` (`clamd at 127.0.0.1:3310`).
    fn describe(&self) -> String;
}
