//! Implementations of the ports: AWS ones (feature `aws`), embedded ones for the local hub and
//! the tests (feature `local`), the system clock and id generator, a settable clock for tests, and
//! a mailer wrapper keeping the last messages.

#[cfg(feature = "aws")]
pub mod aws;
#[cfg(feature = "local")]
pub mod embedded;
mod recent;
mod system;

pub use recent::RecentMail;
pub use system::{ManualClock, RandomIds, SystemClock};
