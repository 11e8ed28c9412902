//! Implementations of the ports: AWS ones (feature `aws`), embedded ones for the local hub and
//! the tests (feature `local`), the system clock and id generator, a settable clock for tests, a
//! mailer wrapper keeping the last messages, `Withheld`, standing for a service a Lambda
//! function is not granted, the directory of establishments (over HTTP, or none), and the antivirus (`Clamd`).

#[cfg(feature = "aws")]
pub mod aws;
mod clamd;
mod directory;
#[cfg(feature = "local")]
pub mod embedded;
mod proconnect;
mod recent;
mod system;
mod withheld;

pub use clamd::{CLAMD_ANSWER_TIMEOUT, CLAMD_CONNECT_TIMEOUT, Clamd, verdict_of};
pub use directory::{DIRECTORY_TIMEOUT, HttpDirectory, NoDirectory};
pub use proconnect::{
    Authorization, Discovery, PROCONNECT_TIMEOUT, ProConnect, ProConnectError, ProConnectSettings, Tokens,
};
pub use recent::RecentMail;
pub use system::{ManualClock, RandomIds, SystemClock};
pub use withheld::Withheld;
