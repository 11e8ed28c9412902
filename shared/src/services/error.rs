//! The error of the exchange use cases (folders, cases, events, notifications) and of the
//! subscriptions referential. What each variant answers (status, code, message) is decided at the
//! edge, in `http/errors.rs`.

use crate::{ports::ObjectError, store::StoreError};

#[derive(Debug, thiserror::Error)]
pub enum ExchangeError {
    #[error("forbidden")]
    Forbidden,
    #[error("folder not found")]
    FolderNotFound,
    #[error("case not found")]
    CaseNotFound,
    #[error("event not found")]
    EventNotFound,
    #[error("notification not found")]
    NotificationNotFound,
    /// Another resource is unknown (its message, in the contract's words).
    #[error("not found: {0}")]
    NotFound(&'static str),
    /// An attachment's metadata is unknown (upload routes).
    #[error("attachment not found")]
    AttachmentNotFound,
    /// A binary is not available for download (unknown, not addressed there, not received).
    #[error("file not found")]
    FileNotFound,
    /// The antivirus found a virus in the binary (`CORRUPTED`): quarantined, never served.
    #[error("the binary of attachment {0} was rejected by the antivirus")]
    Quarantined(uuid::Uuid),
    /// The binary is stored but its antivirus verdict has not come yet (GuardDuty, seconds):
    /// not served until it has; the client retries.
    #[error("the antivirus verdict on the binary of attachment {0} is awaited")]
    VerdictAwaited(uuid::Uuid),
    /// The antivirus cannot be reached or could not tell: the binary was not stored.
    #[error("the antivirus is unavailable: {0}")]
    ScannerUnavailable(String),
    /// Schema problems, one line each.
    #[error("invalid request")]
    Invalid(Vec<String>),
    /// Rule violations, one message each.
    #[error("refused")]
    Refused(Vec<String>),
    #[error("conflict: {0}")]
    Conflict(String),
    #[error("too many concurrent changes")]
    Busy,
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Objects(ObjectError),
}

/// One rule violation.
pub fn refused(message: impl Into<String>) -> ExchangeError {
    ExchangeError::Refused(vec![message.into()])
}

impl super::Contended for ExchangeError {
    fn busy() -> Self {
        ExchangeError::Busy
    }
}
