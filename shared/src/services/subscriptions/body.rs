//! The request body of `POST` and `PUT /referential/v1/subscriptions`: the contract's
//! `Subscription` read into the typed commands `NewSubscription` and `SubscriptionUpdate`, with
//! the contract's validation messages, and how an update merges into the stored subscription.

use chrono::{DateTime, Utc};
use serde_json::{Map, Value};
use uuid::Uuid;

use super::ExchangeError;
use crate::{
    domain::{
        AccessMode, BranchCode, Contact, Email, NotificationFrequency, ProcessCode, Siret, Subscription,
        SubscriptionStatus, parse_time,
    },
    services::Checker,
};

/// The contract's pattern for contact e-mails, except that a top-level domain may be longer
/// than 4 letters (`.paris`, `.alsace`): a superset, so nothing the contract accepts is refused.
pub(super) const EMAIL_PATTERN: &str = r"^[a-zA-Z0-9._-]+@[a-zA-Z0-9._-]{2,}\.[a-z]{2,}$";
const PHONE_PATTERN: &str = r"^\+[0-9]{10,20}$|^[0-9]{10,20}$";

/// A nullable field of the body: absent keeps the stored value, `null` clears it.
#[derive(Clone, Debug, PartialEq)]
pub(super) enum Change<T> {
    Keep,
    Clear,
    Set(T),
}

impl<T: Clone> Change<T> {
    pub(super) fn apply(&self, to: &mut Option<T>) {
        match self {
            Change::Keep => {}
            Change::Clear => *to = None,
            Change::Set(v) => *to = Some(v.clone()),
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Purpose {
    /// Contacts need their names: their accounts may be created from them.
    Create,
    Update,
}

/// `POST /subscriptions`: the subscription to create, as its body declares it (the contract's
/// `Subscription`, with full contacts: their accounts may be created from them).
#[derive(Debug)]
pub struct NewSubscription(pub(super) SubscriptionBody);

impl NewSubscription {
    /// Reads the contract's body; `line` (`METHOD /path`) names the request in the problems.
    ///
    /// # Errors
    /// `Invalid`, listing every problem.
    pub fn parse(line: &str, body: &Value) -> Result<Self, ExchangeError> {
        parse_body(line, body, Purpose::Create, None).map(Self)
    }
}

/// `PUT /subscriptions/{id}`: what the body sets (a field left out stays, `null` clears a
/// nullable one).
#[derive(Debug)]
pub struct SubscriptionUpdate(pub(super) SubscriptionBody);

impl SubscriptionUpdate {
    /// Reads the contract's body for the subscription `id` of the path (an `id` in the body must
    /// name it); `line` (`METHOD /path`) names the request in the problems.
    ///
    /// # Errors
    /// `Invalid`, listing every problem.
    pub fn parse(line: &str, body: &Value, id: Uuid) -> Result<Self, ExchangeError> {
        parse_body(line, body, Purpose::Update, Some(id)).map(Self)
    }
}

/// A checked body: the contract's `Subscription`.
#[derive(Debug)]
pub(super) struct SubscriptionBody {
    pub(super) datapass_id: i64,
    pub(super) process_code: ProcessCode,
    pub(super) siret: Siret,
    pub(super) branch_code: BranchCode,
    /// The subscriber's name, when the request gives one (`subscriber.name`, an addition to the
    /// contract): onboarding names an organisation the hub does not know from it when the
    /// directory of establishments does not know it either.
    pub(super) organisation_name: Option<String>,
    pub(super) notification_frequency: NotificationFrequency,
    pub(super) local_administrator: Contact,
    pub(super) delegation_actor: Change<Contact>,
    pub(super) access_mode: Change<AccessMode>,
    pub(super) email: Change<Email>,
    pub(super) activate_date_time: Change<DateTime<Utc>>,
    pub(super) validate_date_time: Change<DateTime<Utc>>,
    pub(super) reject_date_time: Change<DateTime<Utc>>,
    pub(super) end_date_time: Change<DateTime<Utc>>,
    pub(super) rejection_reason: Change<String>,
    /// Absent or `null`: the status stays.
    pub(super) status: Option<SubscriptionStatus>,
}

pub(super) fn not_in_enum(value: &str, allowed: impl IntoIterator<Item = &'static str>) -> String {
    let allowed: Vec<String> = allowed.into_iter().map(|a| format!("\"{a}\"")).collect();
    format!("Instance value (\"{value}\") not found in enum (possible values: [{}])", allowed.join(","))
}

pub(super) fn pattern_mismatch(pattern: &str, value: &str) -> String {
    format!("ECMA 262 regex \"{pattern}\" does not match input string \"{value}\"")
}

/// [`EMAIL_PATTERN`].
pub(super) fn matches_email_pattern(s: &str) -> bool {
    let allowed = |c: char| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-');
    let Some((local, domain)) = s.split_once('@') else { return false };
    let Some((host, tld)) = domain.rsplit_once('.') else { return false };
    !local.is_empty()
        && local.chars().all(allowed)
        && host.chars().count() >= 2
        && host.chars().all(allowed)
        && tld.len() >= 2
        && tld.bytes().all(|b| b.is_ascii_lowercase())
}

fn contact_email(s: &str) -> Result<Email, String> {
    if matches_email_pattern(s) { Email::parse(s) } else { Err(pattern_mismatch(EMAIL_PATTERN, s)) }
}

pub(super) fn phone(s: &str) -> Result<String, String> {
    let digits = s.strip_prefix('+').unwrap_or(s);
    if (10..=20).contains(&digits.len()) && digits.bytes().all(|b| b.is_ascii_digit()) {
        Ok(s.to_owned())
    } else {
        Err(pattern_mismatch(PHONE_PATTERN, s))
    }
}

fn date_time(s: &str) -> Result<DateTime<Utc>, String> {
    parse_time(s).ok_or_else(|| format!("\"{s}\" is not an RFC 3339 date-time"))
}

/// A nullable field: `read` runs only when a value is there.
fn change<T>(
    c: &mut Checker<'_>,
    root: &Map<String, Value>,
    name: &str,
    read: impl FnOnce(&mut Checker<'_>) -> Option<T>,
) -> Change<T> {
    match root.get(name) {
        None => Change::Keep,
        Some(Value::Null) => Change::Clear,
        // On a problem the whole body is refused, so what is returned then does not matter.
        Some(_) => read(c).map_or(Change::Keep, Change::Set),
    }
}

/// A `LocalAdministrator` / `DelegationActor`.
fn contact(c: &mut Checker<'_>, o: &Map<String, Value>, at: &str, purpose: Purpose) -> Option<Contact> {
    let names_required = purpose == Purpose::Create;
    let first_name = c.string(o, at, "firstName", names_required, 255);
    let last_name = c.string(o, at, "lastName", names_required, 255);
    let email = c.parsed(o, at, "email", true, 320, contact_email);
    let function = c.string(o, at, "function", false, 255);
    // The pattern bounds the length; a longer value gets the pattern's message.
    let phone_number = c.parsed(o, at, "phoneNumber", false, 255, phone);
    let mobile_number = c.parsed(o, at, "mobileNumber", false, 255, phone);
    Some(Contact { email: email?, first_name, last_name, function, phone_number, mobile_number })
}

/// Checks a body against the contract's schema, listing every problem. `id` and
/// `updateDateTime` are the hub's: ignored, except that an `id` must name the path's
/// subscription.
pub(super) fn parse_body(
    line: &str,
    body: &Value,
    purpose: Purpose,
    path_id: Option<Uuid>,
) -> Result<SubscriptionBody, ExchangeError> {
    let mut c = Checker::new(line);
    let Some(root) = c.root(body) else {
        return Err(ExchangeError::Invalid(c.problems));
    };
    if let (Some(path_id), Some(id)) = (path_id, root.get("id").filter(|v| !v.is_null()))
        && id.as_str().and_then(|s| Uuid::parse_str(s).ok()) != Some(path_id)
    {
        c.problem(".id", format!("{id} is not the subscriptionId of the path ({path_id})"));
    }
    let datapass_id = match c.unsigned(root, "", "datapassId", true).map(i64::try_from) {
        Some(Ok(id)) => Some(id),
        Some(Err(_)) => {
            c.problem(".datapassId", "Numeric instance is greater than the required maximum (int64)");
            None
        }
        None => None,
    };
    let process_code = c.parsed(root, "", "processCode", true, 30, ProcessCode::parse);
    let subscriber = c.object(root, "", "subscriber", true).and_then(|o| {
        let at = ".subscriber";
        match c.string(o, at, "type", true, 20).as_deref() {
            Some("SI") | None => {}
            Some(other) => c.problem(".subscriber.type", not_in_enum(other, ["SI"])),
        }
        let siret = c.parsed(o, at, "companyRegister", true, 14, Siret::parse);
        let branch = c.parsed(o, at, "branchCode", true, 10, BranchCode::parse);
        let name = c.string(o, at, "name", false, 255).map(|n| n.trim().to_owned()).filter(|n| !n.is_empty());
        Some((siret?, branch?, name))
    });
    let access_mode = change(&mut c, root, "accessMode", |c| {
        c.parsed(root, "", "accessMode", false, 7, |s| {
            AccessMode::parse(s).ok_or_else(|| not_in_enum(s, AccessMode::ALL.iter().map(|m| m.as_str())))
        })
    });
    let notification_frequency = c.parsed(root, "", "notificationFrequency", true, 20, |s| {
        NotificationFrequency::parse(s)
            .ok_or_else(|| not_in_enum(s, NotificationFrequency::ALL.iter().map(|f| f.as_str())))
    });
    let date =
        |c: &mut Checker<'_>, name: &str| change(c, root, name, |c| c.parsed(root, "", name, false, 64, date_time));
    let activate_date_time = date(&mut c, "activateDateTime");
    let validate_date_time = date(&mut c, "validateDateTime");
    let reject_date_time = date(&mut c, "rejectDateTime");
    let end_date_time = date(&mut c, "endDateTime");
    let delegation_actor = change(&mut c, root, "delegationActor", |c| {
        c.object(root, "", "delegationActor", false).and_then(|o| contact(c, o, ".delegationActor", purpose))
    });
    let rejection_reason =
        change(&mut c, root, "rejectionReason", |c| c.string(root, "", "rejectionReason", false, 1000));
    let status = c.parsed(root, "", "status", false, 20, |s| {
        SubscriptionStatus::parse(s).ok_or_else(|| not_in_enum(s, SubscriptionStatus::ALL.iter().map(|st| st.as_str())))
    });
    let email = change(&mut c, root, "email", |c| c.parsed(root, "", "email", false, 320, Email::parse));
    let local_administrator =
        c.object(root, "", "localAdministrator", true).and_then(|o| contact(&mut c, o, ".localAdministrator", purpose));

    match (c.is_ok(), datapass_id, process_code, subscriber, notification_frequency, local_administrator) {
        (
            true,
            Some(datapass_id),
            Some(process_code),
            Some((siret, branch_code, organisation_name)),
            Some(frequency),
            Some(admin),
        ) => Ok(SubscriptionBody {
            datapass_id,
            process_code,
            siret,
            branch_code,
            organisation_name,
            notification_frequency: frequency,
            local_administrator: admin,
            delegation_actor,
            access_mode,
            email,
            activate_date_time,
            validate_date_time,
            reject_date_time,
            end_date_time,
            rejection_reason,
            status,
        }),
        _ => Err(ExchangeError::Invalid(c.problems)),
    }
}

/// A contact given again with the same e-mail keeps what the body leaves out (an update may
/// name the administrator by e-mail alone, as the `Subscription` schema does).
fn merge_contact(stored: Option<&Contact>, given: &Contact) -> Contact {
    match stored {
        Some(s) if s.email == given.email => Contact {
            email: given.email.clone(),
            first_name: given.first_name.clone().or_else(|| s.first_name.clone()),
            last_name: given.last_name.clone().or_else(|| s.last_name.clone()),
            function: given.function.clone().or_else(|| s.function.clone()),
            phone_number: given.phone_number.clone().or_else(|| s.phone_number.clone()),
            mobile_number: given.mobile_number.clone().or_else(|| s.mobile_number.clone()),
        },
        _ => given.clone(),
    }
}

impl SubscriptionBody {
    /// Sets on `sub` what the body says; what it leaves out stays.
    pub(super) fn apply_to(&self, sub: &mut Subscription) {
        sub.datapass_id = Some(self.datapass_id);
        sub.notification_frequency = self.notification_frequency;
        sub.local_administrator = Some(merge_contact(sub.local_administrator.as_ref(), &self.local_administrator));
        match &self.delegation_actor {
            Change::Keep => {}
            Change::Clear => sub.delegation_actor = None,
            Change::Set(given) => sub.delegation_actor = Some(merge_contact(sub.delegation_actor.as_ref(), given)),
        }
        self.access_mode.apply(&mut sub.access_mode);
        self.email.apply(&mut sub.email);
        self.activate_date_time.apply(&mut sub.activate_date_time);
        self.validate_date_time.apply(&mut sub.validate_date_time);
        self.reject_date_time.apply(&mut sub.reject_date_time);
        self.end_date_time.apply(&mut sub.end_date_time);
        self.rejection_reason.apply(&mut sub.rejection_reason);
        if let Some(status) = self.status {
            sub.status = status;
        }
    }

    pub(super) fn subscriber_name(&self) -> String {
        format!("SI-{}-{}", self.siret, self.branch_code)
    }
}
