//! The bodies of the sign-in and password routes, read into commands; a secret never shows in
//! their `Debug`.

use serde_json::Value;
use uuid::Uuid;

use super::PortalAuthError;
use crate::{domain::Email, services::Checker};

/// Long enough for any password the rule accepts and any older one; bounds the hashing work.
const MAX_PASSWORD_INPUT: usize = 1024;

/// Reads the string fields of a body, listing every problem.
fn strings<const N: usize>(
    line: &str,
    body: &Value,
    fields: [(&str, usize); N],
) -> Result<[String; N], PortalAuthError> {
    let mut c = Checker::new(line);
    let Some(root) = c.root(body) else {
        return Err(PortalAuthError::Invalid(c.problems));
    };
    let values = fields.map(|(name, max)| c.string(root, "", name, true, max));
    if !c.is_ok() {
        return Err(PortalAuthError::Invalid(c.problems));
    }
    Ok(values.map(Option::unwrap_or_default))
}

fn email_field(line: &str, value: &str) -> Result<Email, PortalAuthError> {
    Email::parse(value).map_err(|e| {
        let mut c = Checker::new(line);
        c.problem(".email", e);
        PortalAuthError::Invalid(c.problems)
    })
}

/// A secret as `Debug` shows it: never.
struct Redacted;

impl std::fmt::Debug for Redacted {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("<redacted>")
    }
}

/// `POST /portail/v1/session` `{email, password}`.
#[derive(Clone)]
pub struct SignIn {
    pub email: Email,
    pub password: String,
}

impl std::fmt::Debug for SignIn {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SignIn").field("email", &self.email).field("password", &Redacted).finish()
    }
}

impl SignIn {
    /// Reads the body; `line` (`METHOD /path`) names the request in the problems.
    ///
    /// # Errors
    /// `Invalid` for a malformed body or e-mail address.
    pub fn parse(line: &str, body: &Value) -> Result<Self, PortalAuthError> {
        let [email, password] = strings(line, body, [("email", 320), ("password", MAX_PASSWORD_INPUT)])?;
        Ok(Self { email: email_field(line, &email)?, password })
    }
}

/// `POST /portail/v1/session/otp` `{challengeId, code}`.
#[derive(Clone)]
pub struct CodeAnswer {
    pub challenge_id: Uuid,
    /// As typed, without surrounding blanks.
    pub code: String,
}

impl std::fmt::Debug for CodeAnswer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CodeAnswer").field("challenge_id", &self.challenge_id).field("code", &Redacted).finish()
    }
}

impl CodeAnswer {
    /// Reads the body; `line` (`METHOD /path`) names the request in the problems.
    ///
    /// # Errors
    /// `Invalid` for a malformed body or challenge id.
    pub fn parse(line: &str, body: &Value) -> Result<Self, PortalAuthError> {
        let [challenge_id, code] = strings(line, body, [("challengeId", 64), ("code", 32)])?;
        let Ok(challenge_id) = Uuid::parse_str(challenge_id.trim()) else {
            let mut c = Checker::new(line);
            c.problem(".challengeId", "Input string is not a valid UUID");
            return Err(PortalAuthError::Invalid(c.problems));
        };
        Ok(Self { challenge_id, code: code.trim().to_owned() })
    }
}

/// `POST /portail/v1/session/otp/resend` `{challengeId}`: the challenge to send a new code for.
///
/// # Errors
/// `Invalid` for a malformed body or challenge id.
pub fn challenge_to_resend(line: &str, body: &Value) -> Result<Uuid, PortalAuthError> {
    let [challenge_id] = strings(line, body, [("challengeId", 64)])?;
    Uuid::parse_str(challenge_id.trim()).map_err(|_| {
        let mut c = Checker::new(line);
        c.problem(".challengeId", "Input string is not a valid UUID");
        PortalAuthError::Invalid(c.problems)
    })
}

/// `POST /portail/v1/password/forgotten` `{email}`.
#[derive(Clone, Debug)]
pub struct ForgottenPassword {
    /// `None` when the text is no e-mail address: answered as any other, nothing is sent.
    pub email: Option<Email>,
}

impl ForgottenPassword {
    /// Reads the body; `line` (`METHOD /path`) names the request in the problems.
    ///
    /// # Errors
    /// `Invalid` when the body has no `email` string.
    pub fn parse(line: &str, body: &Value) -> Result<Self, PortalAuthError> {
        let [email] = strings(line, body, [("email", 320)])?;
        Ok(Self { email: Email::parse(&email).ok() })
    }
}

/// `POST /portail/v1/password` `{token, password}`: a link's token and the password to set.
#[derive(Clone)]
pub struct NewPassword {
    pub token: String,
    pub password: String,
}

impl std::fmt::Debug for NewPassword {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NewPassword").field("token", &Redacted).field("password", &Redacted).finish()
    }
}

impl NewPassword {
    /// Reads the body; `line` (`METHOD /path`) names the request in the problems. What the
    /// password lacks is the use case's to say.
    ///
    /// # Errors
    /// `Invalid` for a malformed body.
    pub fn parse(line: &str, body: &Value) -> Result<Self, PortalAuthError> {
        let [token, password] = strings(line, body, [("token", 256), ("password", MAX_PASSWORD_INPUT)])?;
        Ok(Self { token, password })
    }
}
