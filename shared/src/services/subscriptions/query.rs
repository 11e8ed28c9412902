//! The query string of `GET /referential/v1/subscriptions`: filters, `orderBy` with its
//! columns and their order (empty values last ascending), and paging.

use std::{cmp::Ordering, collections::HashSet};

use chrono::{DateTime, Utc};

use super::{
    DEFAULT_MAX_RESULT, ExchangeError, MAX_RESULT,
    body::{EMAIL_PATTERN, matches_email_pattern, not_in_enum, pattern_mismatch},
};
use crate::domain::{AccessMode, Contact, ProcessCode, Subscription, SubscriptionStatus};

/// The columns `orderBy` names (the contract's list).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Column {
    Id,
    DatapassId,
    SiType,
    SiCompanyRegister,
    SiBranchCode,
    NotificationFrequency,
    AccessMode,
    DelegationActor,
    Email,
    LocalAdmin,
    RejectionReason,
    Status,
    ActivateDateTime,
    ValidateDateTime,
    RejectDateTime,
    EndDateTime,
    UpdateDateTime,
    ProcessCode,
}

const COLUMNS: &[(&str, Column)] = &[
    ("id", Column::Id),
    ("datapass_id", Column::DatapassId),
    ("si_type", Column::SiType),
    ("si_company_register", Column::SiCompanyRegister),
    ("si_branch_code", Column::SiBranchCode),
    ("notification_frequency", Column::NotificationFrequency),
    ("access_mode", Column::AccessMode),
    ("delegation_actor", Column::DelegationActor),
    ("email", Column::Email),
    ("local_admin", Column::LocalAdmin),
    ("rejection_reason", Column::RejectionReason),
    ("status", Column::Status),
    ("activate_date_time", Column::ActivateDateTime),
    ("validate_date_time", Column::ValidateDateTime),
    ("reject_date_time", Column::RejectDateTime),
    ("end_date_time", Column::EndDateTime),
    ("update_date_time", Column::UpdateDateTime),
    ("process_code", Column::ProcessCode),
];

/// Ascending with empty values last, as SQL sorts them; descending reverses it all.
fn nulls_last<T: Ord>(a: Option<T>, b: Option<T>) -> Ordering {
    match (a, b) {
        (Some(a), Some(b)) => a.cmp(&b),
        (Some(_), None) => Ordering::Less,
        (None, Some(_)) => Ordering::Greater,
        (None, None) => Ordering::Equal,
    }
}

impl Column {
    fn parse(s: &str) -> Option<Self> {
        COLUMNS.iter().find(|(name, _)| *name == s).map(|(_, c)| *c)
    }

    fn compare(self, a: &Subscription, b: &Subscription, now: DateTime<Utc>) -> Ordering {
        let email = |c: &Option<Contact>| c.as_ref().map(|c| c.email.to_string());
        match self {
            // A UUID's bytes sort as its text.
            Column::Id => a.id.cmp(&b.id),
            Column::DatapassId => nulls_last(a.datapass_id, b.datapass_id),
            // Every subscriber is an SI.
            Column::SiType => Ordering::Equal,
            Column::SiCompanyRegister => a.siret.cmp(&b.siret),
            Column::SiBranchCode => a.branch_code.cmp(&b.branch_code),
            Column::NotificationFrequency => a.notification_frequency.as_str().cmp(b.notification_frequency.as_str()),
            Column::AccessMode => {
                nulls_last(a.access_mode.map(AccessMode::as_str), b.access_mode.map(AccessMode::as_str))
            }
            Column::DelegationActor => nulls_last(email(&a.delegation_actor), email(&b.delegation_actor)),
            Column::Email => nulls_last(a.email.as_ref(), b.email.as_ref()),
            Column::LocalAdmin => nulls_last(email(&a.local_administrator), email(&b.local_administrator)),
            Column::RejectionReason => nulls_last(a.rejection_reason.as_ref(), b.rejection_reason.as_ref()),
            Column::Status => a.effective_status(now).as_str().cmp(b.effective_status(now).as_str()),
            Column::ActivateDateTime => nulls_last(a.activate_date_time, b.activate_date_time),
            Column::ValidateDateTime => nulls_last(a.validate_date_time, b.validate_date_time),
            Column::RejectDateTime => nulls_last(a.reject_date_time, b.reject_date_time),
            Column::EndDateTime => nulls_last(a.end_date_time, b.end_date_time),
            Column::UpdateDateTime => nulls_last(a.update_date_time, b.update_date_time),
            Column::ProcessCode => a.process_code.cmp(&b.process_code),
        }
    }
}

/// The default order, and the tie-break of every other: procedure, then subscriber.
fn natural_order(a: &Subscription, b: &Subscription) -> Ordering {
    (&a.process_code, &a.siret, &a.branch_code).cmp(&(&b.process_code, &b.siret, &b.branch_code))
}

/// `GET /subscriptions`'s query parameters, checked: which subscriptions to list, in which
/// order, which page.
#[derive(Debug, PartialEq)]
pub struct SubscriptionQuery {
    pub(super) process_codes: Vec<ProcessCode>,
    pub(super) status: Option<SubscriptionStatus>,
    pub(super) company_register: Option<String>,
    /// Lower-cased, as e-mails are stored.
    pub(super) delegation_actor_email: Option<String>,
    /// The column, and whether descending.
    pub(super) order: Option<(Column, bool)>,
    pub(super) offset: usize,
    pub(super) max_result: usize,
}

const LIST_PARAMETERS: &[&str] =
    &["processCode", "status", "companyRegister", "delegationActorEmail", "orderBy", "offSet", "maxResult"];

pub(super) fn parse_order(s: &str) -> Option<(Column, bool)> {
    let (direction, rest) = s.split_once('(')?;
    let column = Column::parse(rest.strip_suffix(')')?.trim())?;
    match direction.trim().to_ascii_lowercase().as_str() {
        "asc" => Some((column, false)),
        "desc" => Some((column, true)),
        _ => None,
    }
}

fn non_negative(s: &str) -> Result<usize, String> {
    s.trim().parse().map_err(|_| format!("\"{s}\" is not a non-negative integer"))
}

impl SubscriptionQuery {
    /// Reads the query string; `line` (`METHOD /path`) names the request in the problems.
    /// `processCode` may be repeated (also as `processCode[]`, and comma-separated); the others
    /// appear once; an empty value counts as absent.
    ///
    /// # Errors
    /// `Invalid` listing every problem.
    pub fn parse(line: &str, pairs: &[(String, String)]) -> Result<Self, ExchangeError> {
        let mut problems = Vec::new();
        let mut problem = |name: &str, message: String| {
            problems.push(format!("[ERROR][REQUEST][{line} @query.{name}] {message}"));
        };
        let mut q = SubscriptionQuery {
            process_codes: Vec::new(),
            status: None,
            company_register: None,
            delegation_actor_email: None,
            order: None,
            offset: 0,
            max_result: DEFAULT_MAX_RESULT,
        };
        let mut seen = HashSet::new();
        for (name, value) in pairs {
            let name = name.as_str();
            if name == "processCode" || name == "processCode[]" {
                for code in value.split(',').map(str::trim).filter(|c| !c.is_empty()) {
                    match ProcessCode::parse(code) {
                        Ok(code) if !q.process_codes.contains(&code) => q.process_codes.push(code),
                        Ok(_) => {}
                        Err(e) => problem("processCode", e),
                    }
                }
                continue;
            }
            if !LIST_PARAMETERS.contains(&name) {
                problem(name, format!("Query parameter '{name}' is unexpected on path \"/subscriptions\""));
                continue;
            }
            if !seen.insert(name) {
                problem(name, format!("Query parameter '{name}' is given more than once"));
                continue;
            }
            if value.is_empty() {
                continue;
            }
            let too_long = |max: usize| {
                let len = value.chars().count();
                (len > max).then(|| format!("String is too long (length: {len}, maximum allowed: {max})"))
            };
            match name {
                "status" => match too_long(20) {
                    Some(m) => problem(name, m),
                    None => match SubscriptionStatus::parse(value) {
                        Some(s) => q.status = Some(s),
                        None => problem(name, not_in_enum(value, SubscriptionStatus::ALL.iter().map(|s| s.as_str()))),
                    },
                },
                "companyRegister" => {
                    if value.len() == 14 && value.bytes().all(|b| b.is_ascii_digit()) {
                        q.company_register = Some(value.clone());
                    } else {
                        problem(name, pattern_mismatch("[0-9]{14}", value));
                    }
                }
                "delegationActorEmail" => match too_long(320) {
                    Some(m) => problem(name, m),
                    None if matches_email_pattern(value) => q.delegation_actor_email = Some(value.to_lowercase()),
                    None => problem(name, pattern_mismatch(EMAIL_PATTERN, value)),
                },
                "orderBy" => match too_long(40) {
                    Some(m) => problem(name, m),
                    None => match parse_order(value) {
                        Some(order) => q.order = Some(order),
                        None => problem(
                            name,
                            format!(
                                "\"{value}\" is not asc(<column>) or desc(<column>) with a column among {}",
                                COLUMNS.iter().map(|(n, _)| *n).collect::<Vec<_>>().join(",")
                            ),
                        ),
                    },
                },
                "offSet" => match non_negative(value) {
                    Ok(n) => q.offset = n,
                    Err(m) => problem(name, m),
                },
                "maxResult" => match non_negative(value) {
                    Ok(0) => problem(name, "maxResult must be at least 1".to_owned()),
                    Ok(n) => q.max_result = n.min(MAX_RESULT),
                    Err(m) => problem(name, m),
                },
                _ => {}
            }
        }
        if problems.is_empty() { Ok(q) } else { Err(ExchangeError::Invalid(problems)) }
    }

    pub(super) fn matches(&self, s: &Subscription, now: DateTime<Utc>) -> bool {
        self.status.is_none_or(|st| s.effective_status(now) == st)
            && self.company_register.as_deref().is_none_or(|c| s.siret.as_str() == c)
            && self
                .delegation_actor_email
                .as_deref()
                .is_none_or(|e| s.delegation_actor.as_ref().is_some_and(|d| d.email.as_str() == e))
    }

    pub(super) fn compare(&self, a: &Subscription, b: &Subscription, now: DateTime<Utc>) -> Ordering {
        let by_column = match self.order {
            Some((column, false)) => column.compare(a, b, now),
            Some((column, true)) => column.compare(a, b, now).reverse(),
            None => Ordering::Equal,
        };
        by_column.then_with(|| natural_order(a, b))
    }
}
