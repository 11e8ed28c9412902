//! Embedded adapters: everything the hub needs in one data directory.

mod fs;
mod outbox;
mod sqlite;

pub use fs::FsObjects;
pub use outbox::OutboxMailer;
pub use sqlite::SqliteTable;
