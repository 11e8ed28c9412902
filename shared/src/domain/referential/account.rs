//! Portal accounts: actor types, roles, habilitations, and the organisations a technical
//! delegate serves.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::domain::{BranchCode, Email, ProcessCode, Siret, contract_time};

/// Who a portal account belongs to (PORTAL.md, "Accounts, actor types, roles, habilitations").
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ActorType {
    /// "Administrateur local": manages the organisation's accounts and subscriptions.
    LocalAdmin,
    /// "Délégué technique": outside the organisation (its software vendor, say), manages
    /// subscriptions; may serve several organisations.
    TechnicalDelegate,
    /// "Agent": instructs dossiers.
    Agent,
    /// "Administrateur national": HubEE's own team, in the hub's `ADMIN` organisation. Runs the
    /// platform (organisations, procedures, API clients, subscriptions, support) from metadata
    /// only: it holds no role in any organisation, so it never reads a dossier or a file.
    NationalAdmin,
}

impl ActorType {
    /// How long its sessions may stay idle: shorter for the national team.
    pub fn session_idle_minutes(self) -> i64 {
        match self {
            ActorType::NationalAdmin => crate::domain::NATIONAL_SESSION_IDLE_MINUTES,
            _ => crate::domain::SESSION_IDLE_MINUTES,
        }
    }

    /// The roles an account of this type gets when it is created without explicit roles; an
    /// administrator adjusts them afterwards.
    pub fn default_roles(self) -> Vec<Role> {
        match self {
            ActorType::LocalAdmin => vec![Role::ManageUsers, Role::ManageSubscriptions],
            ActorType::TechnicalDelegate => vec![Role::ManageSubscriptions],
            ActorType::Agent => vec![Role::ManageDossiers],
            ActorType::NationalAdmin => Vec::new(),
        }
    }
}

contract_enum!(
    /// A portal role. Any role can be given to any account. The serde names (what the portal API
    /// and the provisioning file write) are the user guide's labels in capitals, so that
    /// administrators recognise them:
    ///
    /// | serde name | guide label | grants |
    /// |---|---|---|
    /// | `CONSULTATION_TELEDOSSIERS` | Consultation des télédossiers | reading dossiers |
    /// | `GESTION_TELEDOSSIERS` | Gestion des télédossiers | reading, downloading, changing status, commenting, adding attachments |
    /// | `GESTION_UTILISATEURS` | Gestion des utilisateurs | managing the organisation's accounts |
    /// | `CONSULTATION_ABONNEMENTS` | Consultation des abonnements | reading subscriptions |
    /// | `GESTION_ABONNEMENTS` | Gestion des abonnements | reading and changing subscriptions |
    Role {
        ReadDossiers = "CONSULTATION_TELEDOSSIERS",
        ManageDossiers = "GESTION_TELEDOSSIERS",
        ManageUsers = "GESTION_UTILISATEURS",
        ReadSubscriptions = "CONSULTATION_ABONNEMENTS",
        ManageSubscriptions = "GESTION_ABONNEMENTS",
    }
);

impl Role {
    /// Whether holding this role grants `other`: a management role includes reading.
    pub fn grants(self, other: Role) -> bool {
        self == other
            || matches!(
                (self, other),
                (Role::ManageDossiers, Role::ReadDossiers) | (Role::ManageSubscriptions, Role::ReadSubscriptions)
            )
    }
}

/// "Civilité".
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Civility {
    Madame,
    Monsieur,
}

/// An organisation as an account names it: SIRET and branch code.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OrgId {
    pub siret: Siret,
    pub branch_code: BranchCode,
}

/// Whether a technical delegate serves an organisation or is only invited to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum DelegationStatus {
    /// Named by the organisation; no access until the delegate accepts from the portal.
    Invited,
    /// The delegate accepted: it acts for the organisation with the roles given there.
    Accepted,
}

/// A technical delegate's place in an organisation other than its own. What it may do there is
/// set by that organisation's administrators only: its roles and habilitations at home never
/// cross over.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Delegation {
    pub organisation: OrgId,
    pub status: DelegationStatus,
    /// The delegate's roles in that organisation (the delegate defaults when invited).
    pub roles: Vec<Role>,
    /// The procedures of that organisation whose dossiers it may see.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub habilitations: Vec<ProcessCode>,
    /// When the organisation named it (absent for delegations older than invitations).
    #[serde(default, with = "contract_time::option", skip_serializing_if = "Option::is_none")]
    pub invited_at: Option<DateTime<Utc>>,
}

impl Delegation {
    /// A new invitation, with the delegate defaults.
    pub fn invitation(organisation: OrgId, at: DateTime<Utc>) -> Self {
        Self {
            organisation,
            status: DelegationStatus::Invited,
            roles: ActorType::TechnicalDelegate.default_roles(),
            habilitations: Vec::new(),
            invited_at: Some(at),
        }
    }

    /// A delegation stored before invitations existed: accepted, with the delegate defaults.
    fn accepted(organisation: OrgId) -> Self {
        Self {
            organisation,
            status: DelegationStatus::Accepted,
            roles: ActorType::TechnicalDelegate.default_roles(),
            habilitations: Vec::new(),
            invited_at: None,
        }
    }

    pub fn is_accepted(&self) -> bool {
        self.status == DelegationStatus::Accepted
    }
}

/// A person's portal account.
///
/// Accounts stored before roles existed have no `roles` attribute: they read with their actor
/// type's [`ActorType::default_roles`] (an empty list, once written, stays empty).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", from = "StoredAccount")]
pub struct Account {
    /// Professional address, unique, lower-cased: the account's key.
    pub email: Email,
    pub actor_type: ActorType,
    /// The account's organisation.
    pub siret: Siret,
    pub branch_code: BranchCode,
    /// The other organisations a technical delegate serves or is invited to serve, each with
    /// the roles and habilitations that organisation gave it (empty for everyone else).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub delegations: Vec<Delegation>,
    pub first_name: String,
    pub last_name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub civility: Option<Civility>,
    /// "Fonction".
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub function: Option<String>,
    /// "Téléphone principal", with its country code (`+33…`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone_number: Option<String>,
    /// "Téléphone secondaire".
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secondary_phone_number: Option<String>,
    /// Always written, even empty: an absent attribute means "the defaults" (see above).
    pub roles: Vec<Role>,
    /// The procedures whose dossiers the account may see (agents); none by default. Local
    /// administrators have none: with a dossier role they see every procedure of their
    /// organisation.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub habilitations: Vec<ProcessCode>,
    /// argon2id PHC string; absent until the account is activated.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub password_hash: Option<String>,
    /// False once suspended: a suspended account cannot sign in and its sessions end.
    #[serde(default = "yes")]
    pub active: bool,
    /// Raised whenever the password changes: sessions and links issued under an older value
    /// are void, so that changing a password signs every browser out at once.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub credentials_version: u32,
    /// ProConnect's `sub` for this person, linked at its first ProConnect sign-in (by the
    /// address); later sign-ins find the account by it (docs/PROCONNECT.md).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub proconnect_sub: Option<String>,
    /// When its organisation removed it ("Retirer le compte"): closed for good, it keeps its
    /// item so that the history and the audit journal stay attributed, but it is out of the
    /// organisation's lists, holds no role and cannot sign in (see [`Account::removed`]).
    #[serde(default, with = "contract_time::option", skip_serializing_if = "Option::is_none")]
    pub removed_at: Option<DateTime<Utc>>,
}

fn yes() -> bool {
    true
}

fn is_zero(n: &u32) -> bool {
    *n == 0
}

/// What an account item may hold; see [`Account`].
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct StoredAccount {
    email: Email,
    actor_type: ActorType,
    siret: Siret,
    branch_code: BranchCode,
    #[serde(default)]
    delegations: Vec<Delegation>,
    /// Before delegations held their own roles: organisations served with the delegate's
    /// default roles.
    #[serde(default)]
    other_organisations: Vec<OrgId>,
    first_name: String,
    last_name: String,
    #[serde(default)]
    civility: Option<Civility>,
    #[serde(default)]
    function: Option<String>,
    #[serde(default)]
    phone_number: Option<String>,
    #[serde(default)]
    secondary_phone_number: Option<String>,
    #[serde(default)]
    roles: Option<Vec<Role>>,
    #[serde(default)]
    habilitations: Vec<ProcessCode>,
    #[serde(default)]
    password_hash: Option<String>,
    #[serde(default = "yes")]
    active: bool,
    #[serde(default)]
    credentials_version: u32,
    #[serde(default)]
    proconnect_sub: Option<String>,
    #[serde(default, with = "contract_time::option")]
    removed_at: Option<DateTime<Utc>>,
}

impl From<StoredAccount> for Account {
    fn from(s: StoredAccount) -> Self {
        Account {
            roles: s.roles.unwrap_or_else(|| s.actor_type.default_roles()),
            email: s.email,
            actor_type: s.actor_type,
            siret: s.siret,
            branch_code: s.branch_code,
            delegations: {
                let mut d = s.delegations;
                for org in s.other_organisations {
                    if !d.iter().any(|x| x.organisation == org) {
                        d.push(Delegation::accepted(org));
                    }
                }
                d
            },
            first_name: s.first_name,
            last_name: s.last_name,
            civility: s.civility,
            function: s.function,
            phone_number: s.phone_number,
            secondary_phone_number: s.secondary_phone_number,
            habilitations: s.habilitations,
            password_hash: s.password_hash,
            active: s.active,
            credentials_version: s.credentials_version,
            proconnect_sub: s.proconnect_sub,
            removed_at: s.removed_at,
        }
    }
}

impl Account {
    /// A new active account waiting for activation (no password), with its actor type's
    /// default roles and no habilitation.
    pub fn new(
        email: Email,
        actor_type: ActorType,
        org: OrgId,
        first_name: impl Into<String>,
        last_name: impl Into<String>,
    ) -> Self {
        Self {
            email,
            actor_type,
            siret: org.siret,
            branch_code: org.branch_code,
            delegations: Vec::new(),
            first_name: first_name.into(),
            last_name: last_name.into(),
            civility: None,
            function: None,
            phone_number: None,
            secondary_phone_number: None,
            roles: actor_type.default_roles(),
            habilitations: Vec::new(),
            password_hash: None,
            active: true,
            credentials_version: 0,
            proconnect_sub: None,
            removed_at: None,
        }
    }

    /// Its own organisation.
    pub fn home(&self) -> OrgId {
        OrgId { siret: self.siret.clone(), branch_code: self.branch_code.clone() }
    }

    /// Its organisation first, then the others a technical delegate serves (accepted
    /// invitations only).
    pub fn organisations(&self) -> Vec<OrgId> {
        let mut orgs = vec![self.home()];
        for d in self.delegations.iter().filter(|d| d.is_accepted()) {
            if !orgs.contains(&d.organisation) {
                orgs.push(d.organisation.clone());
            }
        }
        orgs
    }

    /// Its delegation to `org`, accepted or not.
    pub fn delegation(&self, org: &OrgId) -> Option<&Delegation> {
        self.delegations.iter().find(|d| &d.organisation == org)
    }

    pub fn delegation_mut(&mut self, org: &OrgId) -> Option<&mut Delegation> {
        self.delegations.iter_mut().find(|d| &d.organisation == org)
    }

    /// The invitations it has not answered yet.
    pub fn invitations(&self) -> impl Iterator<Item = &Delegation> {
        self.delegations.iter().filter(|d| !d.is_accepted())
    }

    /// The roles it holds in `org`: its own roles at home, what `org` gave it in an
    /// organisation it serves, none elsewhere (an invitation gives nothing until accepted).
    pub fn roles_in(&self, org: &OrgId) -> &[Role] {
        if self.actor_type == ActorType::NationalAdmin {
            // Whatever a provisioning file or a mistake gave it: the national team works on
            // metadata, never inside an organisation.
            &[]
        } else if *org == self.home() {
            &self.roles
        } else {
            self.delegation(org).filter(|d| d.is_accepted()).map_or(&[], |d| &d.roles)
        }
    }

    /// Whether it holds `role`, or a role that includes it, in `org`.
    pub fn has_role_in(&self, org: &OrgId, role: Role) -> bool {
        self.roles_in(org).iter().any(|r| r.grants(role))
    }

    /// The organisations where it holds `role` (or a role including it).
    pub fn organisations_with(&self, role: Role) -> Vec<OrgId> {
        self.organisations().into_iter().filter(|o| self.has_role_in(o, role)).collect()
    }

    /// Whether the account holds `role` or a role that includes it in its own organisation.
    pub fn has_role(&self, role: Role) -> bool {
        self.has_role_in(&self.home(), role)
    }

    /// The procedures whose dossiers it may see in its own organisation, given a dossier role:
    /// `None` for every procedure (local administrators), else its habilitations.
    pub fn visible_procedures(&self) -> Option<&[ProcessCode]> {
        match self.actor_type {
            ActorType::LocalAdmin => None,
            ActorType::TechnicalDelegate | ActorType::Agent => Some(&self.habilitations),
            ActorType::NationalAdmin => Some(&[]),
        }
    }

    /// Whether ProConnect must have used a second factor for it to sign in by its type alone:
    /// administrators, local and national (its habilitations may need one too:
    /// `services::proconnect::second_factor_needed`, docs/PROCONNECT.md).
    pub fn needs_second_factor(&self) -> bool {
        matches!(self.actor_type, ActorType::LocalAdmin | ActorType::NationalAdmin)
    }

    /// Whether it may sign in at all: active, not removed, with a password.
    pub fn may_sign_in(&self) -> bool {
        self.active && self.removed_at.is_none() && self.password_hash.is_some()
    }

    /// Whether its organisation removed it.
    pub fn is_removed(&self) -> bool {
        self.removed_at.is_some()
    }

    /// The account closed by its organisation at `now`: inactive, without roles, habilitations
    /// or delegations, and every session and link it had void (a raised credentials version).
    #[must_use]
    pub fn removed(self, now: DateTime<Utc>) -> Self {
        Self {
            active: false,
            roles: Vec::new(),
            habilitations: Vec::new(),
            delegations: Vec::new(),
            credentials_version: self.credentials_version.saturating_add(1),
            removed_at: Some(now),
            ..self
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn account(actor_type: ActorType) -> Account {
        let org =
            OrgId { siret: Siret::parse("11001401600015").unwrap(), branch_code: BranchCode::parse("75108").unwrap() };
        Account::new(Email::parse("someone@mairie.example").unwrap(), actor_type, org, "Camille", "TEST")
    }

    #[test]
    fn an_account_created_without_roles_gets_its_actor_types_defaults() {
        assert_eq!(account(ActorType::LocalAdmin).roles, [Role::ManageUsers, Role::ManageSubscriptions]);
        assert_eq!(account(ActorType::TechnicalDelegate).roles, [Role::ManageSubscriptions]);
        assert_eq!(account(ActorType::Agent).roles, [Role::ManageDossiers]);
        assert!(account(ActorType::Agent).habilitations.is_empty(), "no habilitation by default");
    }

    #[test]
    fn an_account_stored_before_roles_existed_reads_with_the_defaults_but_an_empty_list_stays_empty() {
        let mut item = serde_json::to_value(account(ActorType::LocalAdmin)).unwrap();
        item.as_object_mut().unwrap().remove("roles");
        let read: Account = serde_json::from_value(item.clone()).unwrap();
        assert_eq!(read.roles, [Role::ManageUsers, Role::ManageSubscriptions]);
        item["roles"] = serde_json::json!([]);
        let read: Account = serde_json::from_value(item).unwrap();
        assert!(read.roles.is_empty());
        let a = account(ActorType::Agent);
        assert_eq!(serde_json::from_value::<Account>(serde_json::to_value(&a).unwrap()).unwrap(), a, "round trip");
    }

    #[test]
    fn management_roles_include_reading_and_local_administrators_see_every_procedure() {
        let mut agent = account(ActorType::Agent);
        assert!(agent.has_role(Role::ReadDossiers) && agent.has_role(Role::ManageDossiers));
        assert!(!agent.has_role(Role::ManageUsers));
        agent.roles = vec![Role::ReadDossiers];
        assert!(!agent.has_role(Role::ManageDossiers), "reading does not include managing");
        agent.habilitations = vec![ProcessCode::parse("CERTDC").unwrap()];
        assert_eq!(agent.visible_procedures().map(<[_]>::len), Some(1));
        assert_eq!(account(ActorType::LocalAdmin).visible_procedures(), None);
        let admin = account(ActorType::LocalAdmin);
        assert!(admin.has_role(Role::ReadSubscriptions), "managing subscriptions includes reading them");
        assert!(!admin.may_sign_in(), "no password yet");
    }

    #[test]
    fn a_delegates_roles_hold_per_organisation_and_an_invitation_gives_none() {
        let mut d = account(ActorType::TechnicalDelegate);
        d.roles = vec![Role::ManageUsers, Role::ManageSubscriptions];
        let other =
            OrgId { siret: Siret::parse("21000005908301").unwrap(), branch_code: BranchCode::parse("69123").unwrap() };
        let now = crate::domain::parse_time("2026-06-01T00:00:00Z").unwrap();
        d.delegations.push(Delegation::invitation(other.clone(), now));
        assert_eq!(d.organisations(), [d.home()], "invited, not serving");
        assert!(d.roles_in(&other).is_empty());
        d.delegation_mut(&other).unwrap().status = DelegationStatus::Accepted;
        assert_eq!(d.organisations(), [d.home(), other.clone()]);
        assert_eq!(d.roles_in(&other), [Role::ManageSubscriptions], "the delegate defaults, not its home roles");
        assert!(d.has_role_in(&d.home(), Role::ManageUsers) && !d.has_role_in(&other, Role::ManageUsers));
        assert_eq!(d.organisations_with(Role::ManageUsers), [d.home()]);
        let stranger =
            OrgId { siret: Siret::parse("21000014875749").unwrap(), branch_code: BranchCode::parse("33063").unwrap() };
        assert!(d.roles_in(&stranger).is_empty());
    }

    #[test]
    fn delegations_stored_before_invitations_read_as_accepted_with_the_delegate_defaults() {
        let mut item = serde_json::to_value(account(ActorType::TechnicalDelegate)).unwrap();
        item["otherOrganisations"] = serde_json::json!([{"siret": "21000005908301", "branchCode": "69123"}]);
        let read: Account = serde_json::from_value(item).unwrap();
        assert_eq!(read.delegations.len(), 1);
        let d = &read.delegations[0];
        assert_eq!(
            (d.status, d.roles.as_slice(), d.invited_at),
            (DelegationStatus::Accepted, &[Role::ManageSubscriptions][..], None)
        );
        let again: Account = serde_json::from_value(serde_json::to_value(&read).unwrap()).unwrap();
        assert_eq!(again, read, "written back in the new shape, read the same");
    }
}
