//! Pure types and rules: identifiers, organisations, procedures, folders, cases, attachments,
//! notifications, subscriptions, accounts. No I/O here.

mod folder;
mod ids;
mod referential;
mod time;
mod transitions;

pub use folder::*;
pub use ids::*;
pub use referential::*;
pub use time::*;
pub use transitions::*;
