//! The error of the exchange use cases (folders, cases, events, notifications), mapped to the
//! contract's answers in one place.

use crate::{http::ApiError, ports::ObjectError, store::StoreError};

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

impl From<ExchangeError> for ApiError {
    fn from(e: ExchangeError) -> Self {
        match e {
            ExchangeError::Forbidden => ApiError::forbidden(),
            ExchangeError::FolderNotFound => ApiError::not_found("Folder is not found"),
            ExchangeError::CaseNotFound => ApiError::not_found("Case is not found"),
            ExchangeError::EventNotFound => ApiError::not_found("Event is not found"),
            ExchangeError::NotificationNotFound => ApiError::not_found("Notification is not found"),
            ExchangeError::NotFound(message) => ApiError::not_found(message),
            ExchangeError::AttachmentNotFound => ApiError::not_found("Binary meta-data is not found"),
            ExchangeError::FileNotFound => ApiError::not_found("File is not found"),
            ExchangeError::Invalid(problems) => ApiError::validation(&problems),
            ExchangeError::Refused(messages) => ApiError::bad_requests(messages),
            ExchangeError::Conflict(m) => ApiError::conflict(m),
            ExchangeError::Busy => ApiError::unavailable(),
            ExchangeError::Store(e) => ApiError::internal(e),
            ExchangeError::Objects(e) => ApiError::internal(e),
        }
    }
}

/// One rule violation.
pub fn refused(message: impl Into<String>) -> ExchangeError {
    ExchangeError::Refused(vec![message.into()])
}
