//! Organisations, procedures, subscriptions, API clients and accounts: who may send what to
//! whom. Organisations and procedures are here; subscriptions, API clients and portal accounts
//! each have their module.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::{BranchCode, Email, ProcessCode, Siret, contract_time};

mod account;
mod client;
mod subscription;

pub use account::*;
pub use client::*;
pub use subscription::*;

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
    /// Whom the national team calls about the organisation (set from the national pages).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub contacts: Vec<OrgContact>,
    /// When the organisation was closed (a commune merged into another, an operator gone): it
    /// gets no new subscription and no new folder; what it holds stays readable.
    #[serde(default, with = "contract_time::option", skip_serializing_if = "Option::is_none")]
    pub closed_at: Option<DateTime<Utc>>,
    /// Created by an onboarding that could not name it (DataPass for a SIRET the directory did
    /// not know): listed for the national administrator to complete.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub to_complete: bool,
    /// Its people sign in with ProConnect only: no password and e-mailed code
    /// (docs/PROCONNECT.md), set from the national pages.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub proconnect_only: bool,
}

/// Someone to reach at an organisation.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OrgContact {
    pub name: String,
    pub email: Email,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone: Option<String>,
}

impl Organisation {
    /// An open organisation without contacts.
    pub fn new(siret: Siret, branch_code: BranchCode, name: impl Into<String>, org_type: OrgType) -> Self {
        Self {
            siret,
            branch_code,
            name: name.into(),
            org_type,
            code: None,
            contacts: Vec::new(),
            closed_at: None,
            to_complete: false,
            proconnect_only: false,
        }
    }

    pub fn is_closed(&self) -> bool {
        self.closed_at.is_some()
    }

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

/// Who sends a file: the rules on size and format differ per emitter.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Emitter {
    /// The operator (folders, its events' attachments).
    Operator,
    /// The instructing service (its deposits, through the API or the portal).
    InstructingService,
}

/// A procedure ("démarche") and its rules. Every rule added after the first wave reads, when a
/// stored procedure lacks it, as what the hub did before it existed: deposits, requests for
/// complements and messages allowed, the instructing service's files under the operator's limits.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Procedure {
    pub code: ProcessCode,
    pub title: String,
    /// What the procedure is, shown to subscribers.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub description: String,
    /// Its legal framework (the texts it rests on), shown to subscribers.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub legal_framework: String,
    /// The code of the operator organisation that runs it.
    pub operator: String,
    #[serde(default)]
    pub status_policy: StatusPolicy,
    /// Largest attachment accepted from the operator, in bytes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_attachment_size: Option<u64>,
    /// MIME types accepted from the operator; any when empty.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub allowed_mime_types: Vec<String>,
    /// Whether instructing services may deposit files (`ATTACH_DEPOSIT`; the guides: only RCO
    /// uses it today).
    #[serde(default = "yes", skip_serializing_if = "is_true")]
    pub instructing_deposits: bool,
    /// Largest file accepted from an instructing service; the operator's limit when unset.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub instructing_max_attachment_size: Option<u64>,
    /// MIME types accepted from an instructing service; the operator's when empty.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub instructing_allowed_mime_types: Vec<String>,
    /// Whether an instructing service may ask for complements ("En attente de compléments",
    /// `ADD_AWAITING`).
    #[serde(default = "yes", skip_serializing_if = "is_true")]
    pub awaiting_complements: bool,
    /// Whether the parties may exchange messages (`SENDING_MESSAGE` events).
    #[serde(default = "yes", skip_serializing_if = "is_true")]
    pub messages: bool,
    /// Closed to new folders (what it holds stays readable and keeps moving).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub closed: bool,
    /// Sensitive (child protection, SNATED): the agents habilitated on it sign in with a
    /// second factor when they come through ProConnect (docs/PROCONNECT.md).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub sensitive: bool,
    /// When binaries are purged, cases archived and folders deleted (defaults when unset).
    #[serde(default, skip_serializing_if = "super::Retention::is_default")]
    pub retention: super::Retention,
}

fn yes() -> bool {
    true
}

#[allow(clippy::trivially_copy_pass_by_ref)] // serde's skip_serializing_if signature
fn is_true(b: &bool) -> bool {
    *b
}

impl Procedure {
    /// An open procedure with the defaults: every rule as the first wave had it.
    pub fn new(code: ProcessCode, title: impl Into<String>, operator: impl Into<String>) -> Self {
        Self {
            code,
            title: title.into(),
            description: String::new(),
            legal_framework: String::new(),
            operator: operator.into(),
            status_policy: StatusPolicy::default(),
            max_attachment_size: None,
            allowed_mime_types: Vec::new(),
            instructing_deposits: true,
            instructing_max_attachment_size: None,
            instructing_allowed_mime_types: Vec::new(),
            awaiting_complements: true,
            messages: true,
            closed: false,
            sensitive: false,
            retention: super::Retention::default(),
        }
    }

    /// The largest file `emitter` may send.
    pub fn max_attachment_size(&self, emitter: Emitter) -> u64 {
        let own = match emitter {
            Emitter::Operator => None,
            Emitter::InstructingService => self.instructing_max_attachment_size,
        };
        own.or(self.max_attachment_size).unwrap_or(DEFAULT_MAX_ATTACHMENT_SIZE)
    }

    /// The MIME types `emitter` may send (any when empty): the instructing service's own list,
    /// else the operator's.
    pub fn allowed_mime_types(&self, emitter: Emitter) -> &[String] {
        match emitter {
            Emitter::InstructingService if !self.instructing_allowed_mime_types.is_empty() => {
                &self.instructing_allowed_mime_types
            }
            _ => &self.allowed_mime_types,
        }
    }

    /// Whether `emitter` may send a file of this MIME type.
    pub fn accepts_mime_type(&self, emitter: Emitter, mime: &str) -> bool {
        let allowed = self.allowed_mime_types(emitter);
        allowed.is_empty() || allowed.iter().any(|m| m.eq_ignore_ascii_case(mime))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn procedure() -> Procedure {
        Procedure::new(ProcessCode::parse("RCO").unwrap(), "Recensement citoyen obligatoire", "DILA")
    }

    #[test]
    fn a_procedure_stored_before_its_rules_reads_with_the_first_waves_behaviour() {
        let stored = serde_json::json!({"code": "RCO", "title": "Recensement", "operator": "DILA", "statusPolicy": "compatible"});
        let p: Procedure = serde_json::from_value(stored.clone()).unwrap();
        assert_eq!(p, Procedure::new(ProcessCode::parse("RCO").unwrap(), "Recensement", "DILA"));
        assert!(p.instructing_deposits && p.awaiting_complements && p.messages && !p.closed);
        // And the defaults are not written back: the stored item stays as it was.
        assert_eq!(serde_json::to_value(&p).unwrap(), stored);
    }

    #[test]
    fn an_instructing_services_files_follow_the_operators_limits_unless_it_has_its_own() {
        let mut p = procedure();
        p.max_attachment_size = Some(1000);
        p.allowed_mime_types = vec!["application/pdf".into()];
        for emitter in [Emitter::Operator, Emitter::InstructingService] {
            assert_eq!(p.max_attachment_size(emitter), 1000);
            assert!(p.accepts_mime_type(emitter, "APPLICATION/PDF"));
            assert!(!p.accepts_mime_type(emitter, "image/png"));
        }
        p.instructing_max_attachment_size = Some(10);
        p.instructing_allowed_mime_types = vec!["image/png".into()];
        assert_eq!(
            (p.max_attachment_size(Emitter::Operator), p.max_attachment_size(Emitter::InstructingService)),
            (1000, 10)
        );
        assert!(p.accepts_mime_type(Emitter::InstructingService, "image/png"));
        assert!(!p.accepts_mime_type(Emitter::InstructingService, "application/pdf"));
        assert!(!p.accepts_mime_type(Emitter::Operator, "image/png"));
        assert_eq!(procedure().max_attachment_size(Emitter::InstructingService), DEFAULT_MAX_ATTACHMENT_SIZE);
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
        for r in Role::ALL {
            assert_eq!(serde_json::to_value(r).unwrap(), r.as_str());
        }
    }
}
