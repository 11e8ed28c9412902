//! The record of what the national team changes on the platform: who, when, what, the state
//! before and after. Written in the same transaction as the change it records, so that no
//! change goes unrecorded.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use uuid::Uuid;

use super::contract_time;

/// One national action.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AdminAction {
    pub id: Uuid,
    #[serde(with = "contract_time")]
    pub at: DateTime<Utc>,
    /// Who acted: a national administrator's address, or the API client acting for the
    /// platform (`ADMIN` scope); and its name.
    pub actor: String,
    pub actor_name: String,
    /// What was done, as `<thing>.<verb>` (`procedure.create`, `apiClient.disable`…).
    pub action: String,
    /// What it was done to (`procedure CERTDC`, `organisation 11001401600015-75108`…).
    pub target: String,
    /// The state before (absent for a creation) and after (absent for a deletion). Never a
    /// secret: API clients appear without their secrets' hashes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub before: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub after: Option<Value>,
}
