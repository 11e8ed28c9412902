//! An account as the administration pages show it: the whole profile of the organisation's own
//! accounts, the name, address and delegation of a technical delegate from elsewhere.

use serde::Serialize;

use crate::domain::{
    Account, ActorType, Civility, Delegation, DelegationStatus, Email, OrgId, ProcessCode, Role, format_time,
};

/// An account as its own organisation's administration pages show it (never its password
/// hash).
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AccountView {
    pub email: Email,
    pub active: bool,
    /// False while the account waits for its activation (no password chosen yet).
    pub activated: bool,
    pub last_name: String,
    pub first_name: String,
    pub civility: Option<Civility>,
    pub function: Option<String>,
    pub phone_number: Option<String>,
    pub secondary_phone_number: Option<String>,
    pub actor_type: ActorType,
    pub roles: Vec<Role>,
    pub habilitations: Vec<ProcessCode>,
    pub organisation: OrgId,
    /// Where the organisation's delegate also serves, or is invited to (not what it may do
    /// there: that is the other organisation's business).
    pub other_organisations: Vec<OtherOrganisation>,
}

/// Another organisation a technical delegate serves or is invited to.
#[derive(Clone, Debug, Serialize)]
pub struct OtherOrganisation {
    #[serde(flatten)]
    pub organisation: OrgId,
    pub status: DelegationStatus,
}

impl AccountView {
    pub fn of(a: &Account) -> Self {
        Self {
            email: a.email.clone(),
            active: a.active,
            activated: a.password_hash.is_some(),
            last_name: a.last_name.clone(),
            first_name: a.first_name.clone(),
            civility: a.civility,
            function: a.function.clone(),
            phone_number: a.phone_number.clone(),
            secondary_phone_number: a.secondary_phone_number.clone(),
            actor_type: a.actor_type,
            roles: a.roles.clone(),
            habilitations: a.habilitations.clone(),
            organisation: a.home(),
            other_organisations: a
                .delegations
                .iter()
                .map(|d| OtherOrganisation { organisation: d.organisation.clone(), status: d.status })
                .collect(),
        }
    }
}

/// A technical delegate from another organisation as `org`'s pages show it: its name, address
/// and what `org` gave it (its profile belongs to its own organisation).
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DelegateView {
    pub email: Email,
    pub active: bool,
    pub activated: bool,
    pub last_name: String,
    pub first_name: String,
    pub actor_type: ActorType,
    /// Its roles and habilitations in `org`.
    pub roles: Vec<Role>,
    pub habilitations: Vec<ProcessCode>,
    pub delegation: DelegationView,
}

/// Where a delegation stands, and since when it was offered.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DelegationView {
    pub status: DelegationStatus,
    pub invited_at: Option<String>,
}

impl DelegationView {
    fn of(d: &Delegation) -> Self {
        Self { status: d.status, invited_at: d.invited_at.map(format_time) }
    }
}

/// An account as `org`'s administration pages show it: the whole profile of the organisation's
/// own accounts; of a technical delegate from elsewhere, only what [`DelegateView`] has.
#[derive(Clone, Debug, Serialize)]
#[serde(untagged)]
pub enum OrgAccountView {
    Own(AccountView),
    Delegate(DelegateView),
}

impl OrgAccountView {
    pub fn of(a: &Account, org: &OrgId) -> Self {
        match a.delegation(org).filter(|_| a.home() != *org) {
            None => Self::Own(AccountView::of(a)),
            Some(d) => Self::Delegate(DelegateView {
                email: a.email.clone(),
                active: a.active,
                activated: a.password_hash.is_some(),
                last_name: a.last_name.clone(),
                first_name: a.first_name.clone(),
                actor_type: a.actor_type,
                roles: d.roles.clone(),
                habilitations: d.habilitations.clone(),
                delegation: DelegationView::of(d),
            }),
        }
    }
}

/// The accounts of an organisation (`GET /portail/v1/accounts`).
#[derive(Clone, Debug, Serialize)]
pub struct AccountList {
    pub items: Vec<OrgAccountView>,
}

/// What an organisation learns when it names an existing account as its delegate: the name
/// and address, nothing of the account's own organisation or profile.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct InvitationView {
    pub email: Email,
    pub first_name: String,
    pub last_name: String,
    pub delegation: DelegationView,
}

impl InvitationView {
    pub fn of(a: &Account, d: &Delegation) -> Self {
        Self {
            email: a.email.clone(),
            first_name: a.first_name.clone(),
            last_name: a.last_name.clone(),
            delegation: DelegationView::of(d),
        }
    }
}
