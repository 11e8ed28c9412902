//! Who acts on the exchange: an API client (from its token) or a person signed in to the
//! portal. The case and event use cases take an `Actor`, so that both go through the same rules.
//!
//! Four types say who acts, each for a reason; merging them would make the rules worse:
//!
//! - [`Actor`] (here) — whoever acts on cases, events and dossiers, API client or person: the
//!   one place where both meet the same rules, so it keeps only what those rules read (side,
//!   organisation, visible procedures, whether it manages).
//! - [`Claims`] (`auth`) — what a verified bearer token says. The use cases only API clients
//!   reach (folders, notifications, the subscriptions referential) take it: their rules are the
//!   contract's scopes (`OSL`, `SI`, `ADMIN`, `DATAPASS`), which an `Actor` folds into sides.
//! - `portal_subscriptions::Viewer` — a person looking at its organisations' subscriptions: the
//!   organisations where it holds the subscription roles (a technical delegate's roles differ
//!   in each organisation it serves), which no other use case needs.
//! - `domain::Account` — the person's record itself. Sign-in and account management act on it
//!   and on its roles and delegations in full, so they take it rather than a projection.
//!
//! Each projection is built at the edge from the one before it (`Claims` → `Actor` with
//! `From`, `Account` → `Actor` with [`portal_actor`], `Account` → `Viewer` with
//! `Viewer::of`); the use cases never see the HTTP request.

use crate::{
    auth::Claims,
    domain::{OrgRef, ProcessCode, Scope},
};

/// The side an actor takes in the exchange.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Side {
    /// An online-service operator: the sender of folders.
    Operator,
    /// An instructing service: the recipient of cases.
    Recipient,
    /// The platform itself (ADMIN scope).
    Platform,
    /// No part in any case (the DATAPASS scope).
    Outsider,
}

#[derive(Clone, Debug)]
pub struct Actor {
    pub org: OrgRef,
    pub side: Side,
    /// The API client id, or the account's e-mail: what the records name.
    pub id: String,
    /// A person's name, written as the author of the events it creates.
    pub name: Option<String>,
    /// The procedures it may act on; `None` for any procedure of its organisation.
    pub procedures: Option<Vec<ProcessCode>>,
    /// Whether it may download and change dossiers, not only read them (the portal's
    /// "Gestion des télédossiers" role; API clients always may).
    pub manages: bool,
}

impl Actor {
    /// A person of an instructing service, seeing the given procedures.
    pub fn portal_user(org: OrgRef, email: &str, name: &str, procedures: Vec<ProcessCode>, manages: bool) -> Self {
        Self {
            org,
            side: Side::Recipient,
            id: email.to_owned(),
            name: Some(name.to_owned()),
            procedures: Some(procedures),
            manages,
        }
    }

    /// Whether it may act on a procedure of its organisation.
    pub fn sees(&self, process: &ProcessCode) -> bool {
        self.procedures.as_ref().is_none_or(|p| p.contains(process))
    }
}

impl From<&Claims> for Actor {
    /// An SI client belongs to one subscription: it acts on that procedure only.
    fn from(c: &Claims) -> Self {
        let (side, procedures) = match c.scope {
            Scope::Osl => (Side::Operator, None),
            Scope::Si => (Side::Recipient, Some(c.process_code.iter().cloned().collect())),
            Scope::Admin => (Side::Platform, None),
            Scope::Datapass => (Side::Outsider, Some(Vec::new())),
        };
        Self { org: c.org(), side, id: c.sub.clone(), name: None, procedures, manages: true }
    }
}

/// A signed-in person acting on dossiers: needs a dossier role (reading at least), sees the
/// procedures of its habilitations (every procedure its organisation subscribes to for a local
/// administrator), and may change dossiers with "Gestion des télédossiers".
///
/// # Errors
/// `Forbidden` without any dossier role.
pub async fn portal_actor(
    state: &crate::state::AppState,
    account: &crate::domain::Account,
) -> Result<Actor, super::ExchangeError> {
    use crate::domain::Role;
    if !account.has_role(Role::ReadDossiers) {
        return Err(super::ExchangeError::Forbidden);
    }
    let subscribed: Vec<ProcessCode> = state
        .store
        .subscriptions_of_organisation(&account.siret, &account.branch_code)
        .await?
        .into_iter()
        .map(|s| s.process_code)
        .collect();
    let procedures = match account.visible_procedures() {
        None => subscribed,
        Some(given) => subscribed.into_iter().filter(|p| given.contains(p)).collect(),
    };
    let org = OrgRef {
        org_type: crate::domain::OrgType::Si,
        company_register: account.siret.clone(),
        branch_code: account.branch_code.clone(),
    };
    let name = format!("{} {}", account.first_name, account.last_name);
    Ok(Actor::portal_user(org, account.email.as_str(), &name, procedures, account.has_role(Role::ManageDossiers)))
}
