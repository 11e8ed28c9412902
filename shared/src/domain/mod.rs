//! Pure types and rules: identifiers, organisations, procedures, folders, cases, attachments,
//! notifications, subscriptions, accounts, portal sign-in, retention. No I/O here.

mod credentials;
mod disposition;
mod folder;
mod ids;
mod mail;
mod referential;
mod retention;
mod sign_in;
mod time;
mod transitions;

pub use credentials::*;
pub use disposition::*;
pub use folder::*;
pub use ids::*;
pub use mail::*;
pub use referential::*;
pub use retention::*;
pub use sign_in::*;
pub use time::*;
pub use transitions::*;
