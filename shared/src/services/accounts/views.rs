//! An account as the administration pages show it: the whole profile of the organisation's own
//! accounts, the name, address and delegation of a technical delegate from elsewhere.

use serde_json::{Value, json};

use crate::domain::{Account, Delegation, OrgId};

fn org_json(o: &OrgId) -> Value {
    json!({"siret": o.siret, "branchCode": o.branch_code})
}

/// An account as `org`'s administration pages show it: the whole profile of the organisation's
/// own accounts; of a technical delegate from elsewhere, only its name, address and what `org`
/// gave it (its profile belongs to its own organisation).
pub fn view_in(a: &Account, org: &OrgId) -> Value {
    match a.delegation(org).filter(|_| a.home() != *org) {
        None => view(a),
        Some(d) => json!({
            "email": a.email,
            "active": a.active,
            "activated": a.password_hash.is_some(),
            "lastName": a.last_name,
            "firstName": a.first_name,
            "actorType": a.actor_type,
            "roles": d.roles,
            "habilitations": d.habilitations,
            "delegation": delegation_json(d),
        }),
    }
}

fn delegation_json(d: &Delegation) -> Value {
    json!({"status": d.status, "invitedAt": crate::services::time_or_null(d.invited_at)})
}

/// What an organisation learns when it names an existing account as its delegate: the name
/// and address, nothing of the account's own organisation or profile.
pub(super) fn invitation_view(a: &Account, d: &Delegation) -> Value {
    json!({"email": a.email, "firstName": a.first_name, "lastName": a.last_name, "delegation": delegation_json(d)})
}

/// An account as its own organisation's administration pages show it (never its password
/// hash).
pub fn view(a: &Account) -> Value {
    json!({
        "email": a.email,
        "active": a.active,
        // False while the account waits for its activation (no password chosen yet).
        "activated": a.password_hash.is_some(),
        "lastName": a.last_name,
        "firstName": a.first_name,
        "civility": a.civility,
        "function": a.function,
        "phoneNumber": a.phone_number,
        "secondaryPhoneNumber": a.secondary_phone_number,
        "actorType": a.actor_type,
        "roles": a.roles,
        "habilitations": a.habilitations,
        "organisation": org_json(&OrgId { siret: a.siret.clone(), branch_code: a.branch_code.clone() }),
        // Where the organisation's delegate also serves, or is invited to (not what it may do
        // there: that is the other organisation's business).
        "otherOrganisations": a.delegations.iter().map(|d| {
            let mut o = org_json(&d.organisation);
            o["status"] = json!(d.status);
            o
        }).collect::<Vec<_>>(),
    })
}
