//! Organisations, procedures, subscriptions, API clients and accounts: who may send what to
//! whom. Organisations and procedures are here; subscriptions, API clients and portal accounts
//! each have their module.

use serde::{Deserialize, Serialize};

use super::{BranchCode, ProcessCode, Siret};

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
    /// When binaries are purged, cases archived and folders deleted (defaults when unset).
    #[serde(default, skip_serializing_if = "super::Retention::is_default")]
    pub retention: super::Retention,
}

impl Procedure {
    pub fn max_attachment_size(&self) -> u64 {
        self.max_attachment_size.unwrap_or(DEFAULT_MAX_ATTACHMENT_SIZE)
    }

    pub fn accepts_mime_type(&self, mime: &str) -> bool {
        self.allowed_mime_types.is_empty() || self.allowed_mime_types.iter().any(|m| m.eq_ignore_ascii_case(mime))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
