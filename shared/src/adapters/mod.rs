//! Implementations of the ports: embedded ones for the local hub and the tests (feature
//! `local`), the system clock and id generator, and a settable clock for tests.

#[cfg(feature = "local")]
pub mod embedded;
mod system;

pub use system::{ManualClock, RandomIds, SystemClock};
