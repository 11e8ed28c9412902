//! What the subscription pages send, read once at the edge after the permission check: the
//! activation date, the notification settings, the technical delegate, the access mode and a
//! secret regeneration, in the contract's validation messages.

use chrono::{DateTime, Utc};
use serde_json::{Value, json};

use crate::{
    domain::{AccessMode, Email, NotificationFrequency, parse_time},
    services::{Checker, ExchangeError},
};

fn date_time(s: &str) -> Result<DateTime<Utc>, String> {
    parse_time(s).ok_or_else(|| format!("\"{s}\" is not an RFC 3339 date-time"))
}

/// `PUT …/activation`: the date from which dossiers arrive.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Activation {
    pub activate_date_time: DateTime<Utc>,
}

impl Activation {
    /// Reads the body; `line` (`METHOD /path`) names the request in the problems.
    ///
    /// # Errors
    /// `Invalid`, listing every problem.
    pub fn parse(line: &str, body: &Value) -> Result<Self, ExchangeError> {
        let mut c = Checker::new(line);
        let date = c.root(body).and_then(|r| c.parsed(r, "", "activateDateTime", true, 40, date_time));
        match date.filter(|_| c.is_ok()) {
            Some(activate_date_time) => Ok(Self { activate_date_time }),
            None => Err(ExchangeError::Invalid(c.problems)),
        }
    }
}

/// `PUT …/notifications`: the frequency, and the address (left out: it stays).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NotificationSettings {
    pub frequency: NotificationFrequency,
    pub email: Option<Email>,
}

impl NotificationSettings {
    /// Reads the body; `line` (`METHOD /path`) names the request in the problems.
    ///
    /// # Errors
    /// `Invalid`, listing every problem.
    pub fn parse(line: &str, body: &Value) -> Result<Self, ExchangeError> {
        let mut c = Checker::new(line);
        let parsed = c.root(body).map(|r| {
            let frequency = c.parsed(r, "", "notificationFrequency", true, 20, |s| {
                serde_json::from_value::<NotificationFrequency>(json!(s))
                    .map_err(|_| format!("\"{s}\" is not a frequency (unitaire, quotidienne, biquotidienne, aucune)"))
            });
            let email = c.parsed(r, "", "email", false, 320, Email::parse);
            (frequency, email)
        });
        match parsed.filter(|_| c.is_ok()) {
            Some((Some(frequency), email)) => Ok(Self { frequency, email }),
            _ => Err(ExchangeError::Invalid(c.problems)),
        }
    }
}

/// `PUT …/delegate`: the technical delegate's address (`None` removes it), and the names a new
/// delegate account needs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DelegateChange {
    pub email: Option<Email>,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
}

impl DelegateChange {
    /// Reads the body; `line` (`METHOD /path`) names the request in the problems.
    ///
    /// # Errors
    /// `Invalid`, listing every problem.
    pub fn parse(line: &str, body: &Value) -> Result<Self, ExchangeError> {
        let mut c = Checker::new(line);
        let parsed = c.root(body).map(|r| {
            (
                c.parsed(r, "", "email", false, 320, Email::parse),
                c.string(r, "", "firstName", false, 255),
                c.string(r, "", "lastName", false, 255),
            )
        });
        match parsed.filter(|_| c.is_ok()) {
            Some((email, first_name, last_name)) => Ok(Self { email, first_name, last_name }),
            None => Err(ExchangeError::Invalid(c.problems)),
        }
    }
}

/// `PUT …/access-mode`: the mode to set.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AccessModeChange {
    pub access_mode: AccessMode,
}

impl AccessModeChange {
    /// Reads the body; `line` (`METHOD /path`) names the request in the problems.
    ///
    /// # Errors
    /// `Invalid`, listing every problem.
    pub fn parse(line: &str, body: &Value) -> Result<Self, ExchangeError> {
        let mut c = Checker::new(line);
        let mode = c.root(body).and_then(|r| {
            c.parsed(r, "", "accessMode", true, 7, |s| {
                serde_json::from_value::<AccessMode>(json!(s)).map_err(|_| format!("\"{s}\" is not PORTAIL or API"))
            })
        });
        match mode.filter(|_| c.is_ok()) {
            Some(access_mode) => Ok(Self { access_mode }),
            None => Err(ExchangeError::Invalid(c.problems)),
        }
    }
}

/// `POST …/credentials`: whether the previous secret stops at once (a leaked secret) rather
/// than after its overlap. The body is optional.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SecretRegeneration {
    pub revoke_previous: bool,
}

impl SecretRegeneration {
    /// Reads the optional body (`{"revokePrevious": <boolean>}`); `line` (`METHOD /path`) names
    /// the request in the problems.
    ///
    /// # Errors
    /// `Invalid`, listing every problem.
    pub fn parse(line: &str, body: Option<&Value>) -> Result<Self, ExchangeError> {
        let mut revoke_previous = false;
        if let Some(body) = body {
            let mut c = Checker::new(line);
            if let Some(root) = c.root(body) {
                match root.get("revokePrevious") {
                    None | Some(Value::Null) => {}
                    Some(Value::Bool(b)) => revoke_previous = *b,
                    Some(_) => c.problem(".revokePrevious", "Instance type is not boolean"),
                }
            }
            if !c.is_ok() {
                return Err(ExchangeError::Invalid(c.problems));
            }
        }
        Ok(Self { revoke_previous })
    }
}
