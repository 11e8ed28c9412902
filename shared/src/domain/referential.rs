//! Organisations, procedures, subscriptions, API clients and accounts: who may send what to
//! whom.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::{BranchCode, Email, ProcessCode, Siret, contract_time};

/// The kind of organisation, as the contract's `OrganizationIdentifier.type` writes it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum OrgType {
    /// An instructing service (recipient).
    #[serde(rename = "SI")]
    Si,
    /// An online-service operator (sender).
    #[serde(rename = "OSL")]
    Osl,
    /// The platform itself.
    #[serde(rename = "ADMIN")]
    Admin,
}

/// The contract's `OrganizationIdentifier`.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OrgRef {
    #[serde(rename = "type")]
    pub org_type: OrgType,
    pub company_register: Siret,
    pub branch_code: BranchCode,
}

impl OrgRef {
    /// The key part naming this organisation in the store (`<siret>#<branch>`).
    pub fn key(&self) -> String {
        org_key(&self.company_register, &self.branch_code)
    }
}

pub fn org_key(siret: &Siret, branch: &BranchCode) -> String {
    format!("{siret}#{branch}")
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Organisation {
    pub siret: Siret,
    pub branch_code: BranchCode,
    pub name: String,
    #[serde(rename = "type")]
    pub org_type: OrgType,
    /// The operator code procedures name (`DGS`); operators only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code: Option<String>,
}

impl Organisation {
    pub fn org_ref(&self) -> OrgRef {
        OrgRef { org_type: self.org_type, company_register: self.siret.clone(), branch_code: self.branch_code.clone() }
    }
}

/// How strictly case status changes are checked for a procedure (CONTRACT.md, "Cases").
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum StatusPolicy {
    /// Any documented status from either party, as deployed clients expect.
    #[default]
    Compatible,
    /// The functional transition table.
    Strict,
}

/// The largest attachment accepted when a procedure sets no limit of its own: 1 GiB.
pub const DEFAULT_MAX_ATTACHMENT_SIZE: u64 = 1 << 30;

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Procedure {
    pub code: ProcessCode,
    pub title: String,
    /// The code of the operator organisation that runs it.
    pub operator: String,
    #[serde(default)]
    pub status_policy: StatusPolicy,
    /// Largest attachment accepted, in bytes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_attachment_size: Option<u64>,
    /// Accepted MIME types; any when empty.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub allowed_mime_types: Vec<String>,
}

impl Procedure {
    pub fn max_attachment_size(&self) -> u64 {
        self.max_attachment_size.unwrap_or(DEFAULT_MAX_ATTACHMENT_SIZE)
    }

    pub fn accepts_mime_type(&self, mime: &str) -> bool {
        self.allowed_mime_types.is_empty() || self.allowed_mime_types.iter().any(|m| m.eq_ignore_ascii_case(mime))
    }
}

/// Writes a contract enum's text and parses it back, the serde names staying the reference.
macro_rules! contract_text {
    ($name:ident { $($variant:ident = $text:literal),+ $(,)? }) => {
        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];
            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text),+ }
            }
            pub fn parse(s: &str) -> Option<Self> {
                match s { $($text => Some($name::$variant),)+ _ => None }
            }
        }
        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum SubscriptionStatus {
    Actif,
    Inactif,
    #[serde(rename = "Refusé")]
    Refuse,
    Suspendu,
}
contract_text!(SubscriptionStatus { Actif = "Actif", Inactif = "Inactif", Refuse = "Refusé", Suspendu = "Suspendu" });

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum AccessMode {
    #[serde(rename = "PORTAIL")]
    Portail,
    #[serde(rename = "API")]
    Api,
}
contract_text!(AccessMode { Portail = "PORTAIL", Api = "API" });

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum NotificationFrequency {
    Unitaire,
    Quotidienne,
    Biquotidienne,
    Aucune,
}
contract_text!(NotificationFrequency {
    Unitaire = "unitaire",
    Quotidienne = "quotidienne",
    Biquotidienne = "biquotidienne",
    Aucune = "aucune",
});

/// A person a subscription names: its local administrator or its technical delegate. The
/// contract's `LocalAdministrator` / `DelegationActor`; only the e-mail is required (a
/// subscription provisioned before the API knows no more).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Contact {
    pub email: Email,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub first_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub function: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone_number: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mobile_number: Option<String>,
}

/// One organisation's subscription to one procedure: the contract's `Subscription`, the
/// subscriber (always an SI) kept flat as `siret` / `branchCode`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Subscription {
    pub id: Uuid,
    pub siret: Siret,
    pub branch_code: BranchCode,
    pub process_code: ProcessCode,
    pub status: SubscriptionStatus,
    /// Nullable in the contract; every provisioned subscription has one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub access_mode: Option<AccessMode>,
    pub notification_frequency: NotificationFrequency,
    /// The address new-dossier e-mails go to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<Email>,
    #[serde(default, with = "contract_time::option", skip_serializing_if = "Option::is_none")]
    pub activate_date_time: Option<DateTime<Utc>>,
    /// The DataPass habilitation the subscription comes from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub datapass_id: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub local_administrator: Option<Contact>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub delegation_actor: Option<Contact>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rejection_reason: Option<String>,
    #[serde(default, with = "contract_time::option", skip_serializing_if = "Option::is_none")]
    pub validate_date_time: Option<DateTime<Utc>>,
    #[serde(default, with = "contract_time::option", skip_serializing_if = "Option::is_none")]
    pub reject_date_time: Option<DateTime<Utc>>,
    #[serde(default, with = "contract_time::option", skip_serializing_if = "Option::is_none")]
    pub end_date_time: Option<DateTime<Utc>>,
    #[serde(default, with = "contract_time::option", skip_serializing_if = "Option::is_none")]
    pub update_date_time: Option<DateTime<Utc>>,
    /// When the API created it; absent for provisioned subscriptions.
    #[serde(default, with = "contract_time::option", skip_serializing_if = "Option::is_none")]
    pub create_date_time: Option<DateTime<Utc>>,
}

impl Subscription {
    /// Whether folders may be sent to it at `now`: `Actif`, or `Inactif` with an activation
    /// date that has come.
    pub fn is_active(&self, now: DateTime<Utc>) -> bool {
        match self.status {
            SubscriptionStatus::Actif => true,
            SubscriptionStatus::Inactif => self.activate_date_time.is_some_and(|d| d <= now),
            SubscriptionStatus::Refuse | SubscriptionStatus::Suspendu => false,
        }
    }

    /// The status as clients see it at `now`: an `Inactif` subscription whose activation date
    /// has come is `Actif`, whether or not the scheduled activation has stored it yet.
    pub fn effective_status(&self, now: DateTime<Utc>) -> SubscriptionStatus {
        if self.status == SubscriptionStatus::Inactif && self.is_active(now) {
            SubscriptionStatus::Actif
        } else {
            self.status
        }
    }

    /// The activation date it waits for, when `Inactif` with one (the sparse activation index
    /// holds it then).
    pub fn awaits_activation(&self) -> Option<DateTime<Utc>> {
        (self.status == SubscriptionStatus::Inactif).then_some(self.activate_date_time).flatten()
    }

    /// The subscriber as the contract writes it.
    pub fn subscriber(&self) -> OrgRef {
        OrgRef { org_type: OrgType::Si, company_register: self.siret.clone(), branch_code: self.branch_code.clone() }
    }
}

/// An OAuth2 scope of the API.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Scope {
    #[serde(rename = "OSL")]
    Osl,
    #[serde(rename = "SI")]
    Si,
    #[serde(rename = "ADMIN")]
    Admin,
    #[serde(rename = "DATAPASS")]
    Datapass,
}

impl Scope {
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "OSL" => Some(Scope::Osl),
            "SI" => Some(Scope::Si),
            "ADMIN" => Some(Scope::Admin),
            "DATAPASS" => Some(Scope::Datapass),
            _ => None,
        }
    }
    pub fn as_str(self) -> &'static str {
        match self {
            Scope::Osl => "OSL",
            Scope::Si => "SI",
            Scope::Admin => "ADMIN",
            Scope::Datapass => "DATAPASS",
        }
    }
}

/// One stored client secret (hashed); a client holds at most two so that rotation never
/// breaks a running integration.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SecretHash {
    pub hash: String,
    #[serde(with = "contract_time")]
    pub created: DateTime<Utc>,
    /// After this date the secret is refused (set on the older secret when rotating).
    #[serde(default, with = "contract_time::option", skip_serializing_if = "Option::is_none")]
    pub expires: Option<DateTime<Utc>>,
}

pub const MAX_CLIENT_SECRETS: usize = 2;

/// An OAuth2 client of the API.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ApiClient {
    pub client_id: String,
    pub scopes: Vec<Scope>,
    pub siret: Siret,
    pub branch_code: BranchCode,
    /// The procedure of the subscription an SI client belongs to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub process_code: Option<ProcessCode>,
    pub secrets: Vec<SecretHash>,
    #[serde(default)]
    pub disabled: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ActorType {
    LocalAdmin,
    TechnicalDelegate,
    Agent,
}

/// A person's portal account.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Account {
    pub email: Email,
    pub actor_type: ActorType,
    pub siret: Siret,
    pub branch_code: BranchCode,
    pub first_name: String,
    pub last_name: String,
    /// argon2id PHC string; absent until the account is activated.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub password_hash: Option<String>,
    #[serde(default = "yes")]
    pub active: bool,
}

fn yes() -> bool {
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sub(status: SubscriptionStatus, activate: Option<&str>) -> Subscription {
        Subscription {
            id: Uuid::nil(),
            siret: Siret::parse("11001401600015").unwrap(),
            branch_code: BranchCode::parse("75108").unwrap(),
            process_code: ProcessCode::parse("CERTDC").unwrap(),
            status,
            access_mode: Some(AccessMode::Api),
            notification_frequency: NotificationFrequency::Unitaire,
            email: None,
            activate_date_time: activate.and_then(crate::domain::parse_time),
            datapass_id: None,
            local_administrator: None,
            delegation_actor: None,
            rejection_reason: None,
            validate_date_time: None,
            reject_date_time: None,
            end_date_time: None,
            update_date_time: None,
            create_date_time: None,
        }
    }

    #[test]
    fn an_inactive_subscription_receives_folders_from_its_activation_date() {
        let now = crate::domain::parse_time("2026-06-01T00:00:00Z").unwrap();
        assert!(sub(SubscriptionStatus::Actif, None).is_active(now));
        assert!(!sub(SubscriptionStatus::Inactif, None).is_active(now));
        assert!(sub(SubscriptionStatus::Inactif, Some("2026-06-01T00:00:00Z")).is_active(now));
        assert!(!sub(SubscriptionStatus::Inactif, Some("2026-06-01T00:00:01Z")).is_active(now));
        assert!(!sub(SubscriptionStatus::Suspendu, Some("2026-01-01T00:00:00Z")).is_active(now));
    }

    #[test]
    fn reads_show_an_inactive_subscription_active_once_its_date_has_come() {
        let now = crate::domain::parse_time("2026-06-01T00:00:00Z").unwrap();
        let due = sub(SubscriptionStatus::Inactif, Some("2026-05-31T23:59:59Z"));
        assert_eq!(due.effective_status(now), SubscriptionStatus::Actif);
        assert!(due.awaits_activation().is_some(), "stored Inactif, it stays in the activation index");
        let later = sub(SubscriptionStatus::Inactif, Some("2026-06-01T00:00:01Z"));
        assert_eq!(later.effective_status(now), SubscriptionStatus::Inactif);
        assert_eq!(sub(SubscriptionStatus::Inactif, None).effective_status(now), SubscriptionStatus::Inactif);
        let suspended = sub(SubscriptionStatus::Suspendu, Some("2026-01-01T00:00:00Z"));
        assert_eq!(suspended.effective_status(now), SubscriptionStatus::Suspendu);
        assert_eq!(suspended.awaits_activation(), None);
    }

    #[test]
    fn contract_texts_are_the_serde_names() {
        for s in SubscriptionStatus::ALL {
            assert_eq!(serde_json::to_value(s).unwrap(), s.as_str());
            assert_eq!(SubscriptionStatus::parse(s.as_str()), Some(*s));
        }
        for m in AccessMode::ALL {
            assert_eq!(serde_json::to_value(m).unwrap(), m.as_str());
        }
        for f in NotificationFrequency::ALL {
            assert_eq!(serde_json::to_value(f).unwrap(), f.as_str());
        }
        assert_eq!(SubscriptionStatus::parse("Refusé"), Some(SubscriptionStatus::Refuse));
    }
}
