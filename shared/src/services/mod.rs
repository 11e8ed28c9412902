//! The use cases, one module per capability. Handlers call exactly one of these.

pub mod accounts;
pub mod actor;
pub mod archive;
mod binaries;
pub mod cases;
mod error;
pub mod events;
pub mod folders;
pub mod inbox;
pub mod mail;
pub mod notifications;
pub mod notify;
pub mod portal_auth;
pub mod portal_cases;
pub mod portal_subscriptions;
pub mod retention;
pub mod subscriptions;
pub mod token;
mod validate;

pub use binaries::{
    ARCHIVE_PREFIX, Completion, Delivery, Download, Redirect, UploadError, UploadHeaders, UploadUrl, complete_presigned,
};
pub use error::{ExchangeError, refused};
pub use validate::{Checker, FileMeta};

use chrono::{DateTime, Utc};
use serde_json::Value;

use crate::domain::{Procedure, format_time};

/// How many times a use case re-reads and retries after a concurrent change before answering
/// 503.
pub(crate) const RETRIES: usize = 5;

/// An optional date as the contract writes it, or `null`.
pub(crate) fn time_or_null(t: Option<DateTime<Utc>>) -> Value {
    t.map_or(Value::Null, |t| format_time(t).into())
}

/// What a procedure's limits refuse in a declared file (`index` as the request numbers it).
pub(crate) fn file_problems(procedure: &Procedure, index: usize, file: &FileMeta) -> Vec<String> {
    let (file_name, size, mime_type) = (&file.file_name, file.size, &file.mime_type);
    let mut problems = Vec::new();
    if size > procedure.max_attachment_size() {
        problems.push(format!(
            "Attachment {index} ({file_name}) is larger than the {} bytes procedure {} accepts",
            procedure.max_attachment_size(),
            procedure.code
        ));
    }
    if !procedure.accepts_mime_type(mime_type) {
        problems.push(format!(
            "Attachment {index} ({file_name}): procedure {} does not accept the format {mime_type}",
            procedure.code
        ));
    }
    problems
}
