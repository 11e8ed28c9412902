//! E-mails to people (not to a subscription's notification address) that go through the outbox:
//! written in the transaction of what they report, sent by the dispatcher after the commit.

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::{CredentialEvent, Email, OutboxStatus, contract_time};

/// How long a mail item stays in the table (its `ttl`): long past any retry, short enough that
/// anonymous requests (reset links for any address) cannot fill the table.
pub const MAIL_RETENTION_DAYS: i64 = 7;

/// What to send.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "SCREAMING_SNAKE_CASE")]
pub enum MailMessage {
    /// "Mot de passe oublié ?": a reset link if the address is an active account's, nothing
    /// otherwise. Decided when sending, so that the request does the same work for any address.
    ResetLink { email: Email },
    /// A change of a subscription's API access, to one of its organisation's local administrators.
    CredentialsChanged { to: Email, event: Box<CredentialEvent> },
    /// A national administrator's decision about a subscription, to one of its organisation's
    /// local administrators.
    SubscriptionDecided { to: Email, notice: Box<DecisionNotice> },
}

/// What a subscription decision's e-mail says (names are read when sending).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DecisionNotice {
    pub subscription_id: Uuid,
    pub siret: super::Siret,
    pub branch_code: super::BranchCode,
    pub process_code: super::ProcessCode,
    pub decision: super::SubscriptionDecision,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    #[serde(with = "contract_time")]
    pub at: DateTime<Utc>,
}

/// One e-mail to send, with its delivery state (the same lifecycle as the notification outbox:
/// claimed with a lease, retried with backoff, then sent, failed or closed).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MailItem {
    pub id: Uuid,
    pub message: MailMessage,
    pub status: OutboxStatus,
    #[serde(default)]
    pub attempts: u32,
    #[serde(with = "contract_time")]
    pub created: DateTime<Utc>,
    #[serde(default, with = "contract_time::option")]
    pub lease_until: Option<DateTime<Utc>>,
    #[serde(default)]
    pub last_error: Option<String>,
    #[serde(default, with = "contract_time::option")]
    pub done_at: Option<DateTime<Utc>>,
}

impl MailItem {
    pub fn new(id: Uuid, message: MailMessage, created: DateTime<Utc>) -> Self {
        Self {
            id,
            message,
            status: OutboxStatus::Pending,
            attempts: 0,
            created,
            lease_until: None,
            last_error: None,
            done_at: None,
        }
    }

    /// When the table may forget it.
    pub fn expires_at(&self) -> DateTime<Utc> {
        self.created + Duration::days(MAIL_RETENTION_DAYS)
    }
}
