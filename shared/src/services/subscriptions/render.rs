//! A subscription as the referential's answers show it.

use chrono::{DateTime, Utc};
use serde_json::{Value, json};

use crate::{
    domain::{Contact, Subscription},
    services::time_or_null,
};

fn email_only(c: Option<&Contact>) -> Value {
    c.map_or(Value::Null, |c| json!({ "email": c.email }))
}

fn full_contact(c: Option<&Contact>) -> Value {
    c.map_or(Value::Null, |c| {
        json!({
            "firstName": c.first_name,
            "lastName": c.last_name,
            "email": c.email,
            "function": c.function,
            "phoneNumber": c.phone_number,
            "mobileNumber": c.mobile_number,
        })
    })
}

/// The contract's `Subscription`, with the status as it stands at `now`. Contacts are given by
/// e-mail only, as the schema has them: readers (operators among them) need no more.
pub(super) fn render(s: &Subscription, now: DateTime<Utc>) -> Value {
    json!({
        "id": s.id,
        "datapassId": s.datapass_id,
        "processCode": s.process_code,
        "subscriber": s.subscriber(),
        "accessMode": s.access_mode,
        "notificationFrequency": s.notification_frequency,
        "activateDateTime": time_or_null(s.activate_date_time),
        "validateDateTime": time_or_null(s.validate_date_time),
        "rejectDateTime": time_or_null(s.reject_date_time),
        "endDateTime": time_or_null(s.end_date_time),
        "updateDateTime": time_or_null(s.update_date_time),
        "delegationActor": email_only(s.delegation_actor.as_ref()),
        "rejectionReason": s.rejection_reason,
        "status": s.effective_status(now),
        "email": s.email,
        "localAdministrator": email_only(s.local_administrator.as_ref()),
    })
}

/// The creation's answer: the `Subscription` with the full `LocalAdministrator` and
/// `DelegationActor`, as the contract's 201 has them.
pub(super) fn render_created(s: &Subscription, now: DateTime<Utc>) -> Value {
    let mut v = render(s, now);
    v["localAdministrator"] = full_contact(s.local_administrator.as_ref());
    v["delegationActor"] = full_contact(s.delegation_actor.as_ref());
    v
}
