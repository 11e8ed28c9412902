//! Portal sign-in and sessions: password then e-mailed code, the session behind the
//! `__Host-hubee_session` cookie, sign-out, activation and reset links, the lockout after repeated
//! failures. The rules (expiries, counts) are in `domain::sign_in`; the routes and the
//! decisions in docs/PORTAL-API.md.
//!
//! Nothing here logs personal data: no address, name, code or token.

use super::Contended;
use crate::{
    auth::{hash_secret, verify_secret},
    ports::MailError,
    store::StoreError,
};

mod commands;
mod links;
mod session;
mod sign_in;

pub use commands::{CodeAnswer, ForgottenPassword, NewPassword, SignIn, challenge_to_resend};
pub use links::{forgotten_password, issue_activation, set_password};
pub use session::{Authenticated, Profile, ProfileInvitation, ProfileOrganisation, authenticate, profile, sign_out};
pub use sign_in::{ChallengeSent, NewSession, resend_code, sign_in, verify_code};

#[derive(Debug, thiserror::Error)]
pub enum PortalAuthError {
    /// Schema problems of the body, one line each.
    #[error("invalid request")]
    Invalid(Vec<String>),
    /// Unknown address, wrong password, suspended or locked account, no password yet: one
    /// answer for all, so that nobody learns which.
    #[error("invalid credentials")]
    InvalidCredentials,
    /// `HUBEE_PASSWORD_SIGN_IN=0`: only ProConnect signs people in.
    #[error("password sign-in is off")]
    PasswordSignInOff,
    #[error("wrong code")]
    WrongCode { attempts_left: u32 },
    /// The challenge expired, was used, or ran out of attempts.
    #[error("sign in again")]
    SignInAgain,
    /// The challenge already sent its codes (`CODES_PER_CHALLENGE`).
    #[error("no more codes for this challenge")]
    TooManyCodes,
    /// An activation or reset link that is unknown, expired, used or void.
    #[error("invalid link")]
    InvalidLink,
    /// What the new password lacks, one message each.
    #[error("weak password")]
    WeakPassword(Vec<String>),
    /// No session cookie.
    #[error("not signed in")]
    NotSignedIn,
    /// A session cookie that no longer opens a session (unknown, expired, suspended account,
    /// password changed): the session is ended and the cookie should be cleared.
    #[error("session ended")]
    SessionEnded,
    #[error("missing or wrong CSRF token")]
    Csrf,
    #[error("account not found")]
    AccountNotFound,
    #[error("sending an e-mail failed")]
    Mail(#[source] MailError),
    #[error("too many concurrent changes")]
    Busy,
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Internal(anyhow::Error),
}

impl Contended for PortalAuthError {
    fn busy() -> Self {
        PortalAuthError::Busy
    }
}

/// The answers' messages, stable: the web front maps them to French.
pub const INVALID_CREDENTIALS: &str = "Invalid e-mail address or password";
pub const SIGN_IN_AGAIN: &str = "This code has expired or can no longer be used: sign in again";
pub const TOO_MANY_CODES: &str = "Three codes were already sent for this sign-in: sign in again";
pub const INVALID_LINK: &str = "This link is invalid, has expired or was already used: ask for a new one";
pub const NOT_SIGNED_IN: &str = "Not signed in, or the session has expired: sign in again";
pub const CSRF_REFUSED: &str = "Missing or wrong X-CSRF-Token header";
pub const PASSWORD_SIGN_IN_OFF: &str = "Password sign-in is turned off: sign in with ProConnect";

/// `Wrong code: 4 attempts left`.
pub fn wrong_code_message(attempts_left: u32) -> String {
    let plural = if attempts_left == 1 { "" } else { "s" };
    format!("Wrong code: {attempts_left} attempt{plural} left")
}

// ---------------------------------------------------------------------------------------------
// Hashing off the async workers
// ---------------------------------------------------------------------------------------------

/// argon2 takes tens of milliseconds of CPU: it runs on the blocking pool.
async fn password_matches(password: String, phc: String) -> bool {
    tokio::task::spawn_blocking(move || verify_secret(&password, &phc)).await.unwrap_or(false)
}

async fn hash_password(password: String) -> Result<String, PortalAuthError> {
    tokio::task::spawn_blocking(move || hash_secret(&password))
        .await
        .map_err(|e| PortalAuthError::Internal(e.into()))?
        .map_err(PortalAuthError::Internal)
}
