//! API clients: their OAuth2 scopes and hashed secrets.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::domain::{BranchCode, ProcessCode, Siret, contract_time};

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
    /// Disabled by hand (its subscription switched to the portal): only a new secret enables it.
    #[serde(default)]
    pub disabled: bool,
    /// Disabled because its subscription is suspended or refused: reactivating the subscription
    /// enables it again (see `domain::credentials`).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub subscription_suspended: bool,
    /// Tokens issued before this second are refused (set when a secret is revoked or the client
    /// disabled), so that a disabled client's old tokens never come back to life.
    #[serde(default, with = "contract_time::option", skip_serializing_if = "Option::is_none")]
    pub tokens_not_before: Option<DateTime<Utc>>,
}
