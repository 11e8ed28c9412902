//! A subscription as the referential's answers show it: the contract's `Subscription`.

use chrono::{DateTime, Utc};
use serde::Serialize;
use uuid::Uuid;

use crate::domain::{
    AccessMode, Contact, Email, NotificationFrequency, OrgRef, ProcessCode, Subscription, SubscriptionStatus,
    format_time,
};

/// The contract's `Subscription`, with the status as it stands when it is read.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SubscriptionView {
    pub id: Uuid,
    pub datapass_id: Option<i64>,
    pub process_code: ProcessCode,
    pub subscriber: OrgRef,
    pub access_mode: Option<AccessMode>,
    pub notification_frequency: NotificationFrequency,
    pub activate_date_time: Option<String>,
    pub validate_date_time: Option<String>,
    pub reject_date_time: Option<String>,
    pub end_date_time: Option<String>,
    pub update_date_time: Option<String>,
    pub delegation_actor: Option<ContactView>,
    pub rejection_reason: Option<String>,
    pub status: SubscriptionStatus,
    pub email: Option<Email>,
    pub local_administrator: Option<ContactView>,
}

/// A person a subscription names: its e-mail, and in the creation's answer every detail the
/// contract's `LocalAdministrator` / `DelegationActor` has (`null` when not given).
#[derive(Clone, Debug, Serialize)]
pub struct ContactView {
    pub email: Email,
    #[serde(flatten)]
    pub details: Option<ContactDetails>,
}

/// The details of a person named, besides the e-mail.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ContactDetails {
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub function: Option<String>,
    pub phone_number: Option<String>,
    pub mobile_number: Option<String>,
}

impl ContactView {
    fn email_only(c: &Contact) -> Self {
        Self { email: c.email.clone(), details: None }
    }

    fn full(c: &Contact) -> Self {
        Self {
            email: c.email.clone(),
            details: Some(ContactDetails {
                first_name: c.first_name.clone(),
                last_name: c.last_name.clone(),
                function: c.function.clone(),
                phone_number: c.phone_number.clone(),
                mobile_number: c.mobile_number.clone(),
            }),
        }
    }
}

impl SubscriptionView {
    /// The contract's `Subscription`, with the status as it stands at `now`. Contacts are given
    /// by e-mail only, as the schema has them: readers (operators among them) need no more.
    pub fn of(s: &Subscription, now: DateTime<Utc>) -> Self {
        Self {
            id: s.id,
            datapass_id: s.datapass_id,
            process_code: s.process_code.clone(),
            subscriber: s.subscriber(),
            access_mode: s.access_mode,
            notification_frequency: s.notification_frequency,
            activate_date_time: s.activate_date_time.map(format_time),
            validate_date_time: s.validate_date_time.map(format_time),
            reject_date_time: s.reject_date_time.map(format_time),
            end_date_time: s.end_date_time.map(format_time),
            update_date_time: s.update_date_time.map(format_time),
            delegation_actor: s.delegation_actor.as_ref().map(ContactView::email_only),
            rejection_reason: s.rejection_reason.clone(),
            status: s.effective_status(now),
            email: s.email.clone(),
            local_administrator: s.local_administrator.as_ref().map(ContactView::email_only),
        }
    }

    /// The creation's answer: the `Subscription` with the full `LocalAdministrator` and
    /// `DelegationActor`, as the contract's 201 has them.
    pub fn created(s: &Subscription, now: DateTime<Utc>) -> Self {
        Self {
            local_administrator: s.local_administrator.as_ref().map(ContactView::full),
            delegation_actor: s.delegation_actor.as_ref().map(ContactView::full),
            ..Self::of(s, now)
        }
    }
}
