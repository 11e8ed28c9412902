//! Embedded adapters: everything the hub needs in one data directory.

mod anchors;
mod fs;
mod outbox;
#[cfg(feature = "smtp")]
mod smtp;
mod sqlite;

pub use anchors::FsAnchors;
pub use fs::FsObjects;
pub use outbox::OutboxMailer;
#[cfg(feature = "smtp")]
pub use smtp::SmtpMailer;
pub use sqlite::SqliteTable;
