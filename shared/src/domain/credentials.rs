//! API credentials as their owners see them change: when a client accepts tokens (enabled, not
//! revoked), how it follows its subscription's status, and the record of every change of a
//! subscription's API access (who, when, what) that its local administrators are e-mailed.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::contract_time;
use super::{AccessMode, ApiClient, BranchCode, Email, ProcessCode, Scope, Siret, Subscription, SubscriptionStatus};

/// How long a replaced secret keeps working after a new one is issued.
pub const SECRET_OVERLAP_HOURS: i64 = 24;

impl ApiClient {
    /// Whether it may obtain and use tokens: neither disabled by hand nor by its subscription.
    pub fn is_enabled(&self) -> bool {
        !self.disabled && !self.subscription_suspended
    }

    /// Whether a token it was issued at `iat` (epoch seconds) still holds: the client is enabled
    /// and the token is not older than the last revocation. A token of the revocation's own
    /// second holds, so that a secret issued with a revocation works at once.
    pub fn accepts_token_issued_at(&self, iat: i64) -> bool {
        self.is_enabled() && self.tokens_not_before.is_none_or(|t| iat >= t.timestamp())
    }

    /// Adds a new secret (argon2id `hash`). The previous one keeps working
    /// [`SECRET_OVERLAP_HOURS`] hours so that a running integration can switch, unless
    /// `revoke_previous` (a leaked secret) or the client was disabled by hand: then it stops at
    /// once with the tokens it obtained. Enables the client; keeps at most
    /// [`super::MAX_CLIENT_SECRETS`].
    pub fn add_secret(&mut self, hash: String, revoke_previous: bool, now: DateTime<Utc>) {
        self.secrets.retain(|x| x.expires.is_none_or(|e| e > now));
        if self.disabled || revoke_previous {
            if !self.secrets.is_empty() {
                self.revoke_tokens(now);
            }
            self.secrets.clear();
        }
        self.disabled = false;
        let overlap = now + chrono::Duration::hours(SECRET_OVERLAP_HOURS);
        for old in &mut self.secrets {
            old.expires = Some(old.expires.map_or(overlap, |e| e.min(overlap)));
        }
        self.secrets.push(super::SecretHash { hash, created: now, expires: None });
        while self.secrets.len() > super::MAX_CLIENT_SECRETS {
            self.secrets.remove(0);
        }
    }

    /// Disables it by hand: its tokens are refused at once, and only a new secret enables it.
    pub fn disable(&mut self, now: DateTime<Utc>) {
        self.disabled = true;
        self.revoke_tokens(now);
    }

    /// Voids every token issued before `now`.
    pub fn revoke_tokens(&mut self, now: DateTime<Utc>) {
        self.tokens_not_before = Some(self.tokens_not_before.map_or(now, |t| t.max(now)));
    }

    /// Whether it is an SI client of this subscription (same organisation and procedure).
    pub fn serves(&self, s: &Subscription) -> bool {
        self.scopes.contains(&Scope::Si)
            && self.siret == s.siret
            && self.branch_code == s.branch_code
            && self.process_code.as_ref() == Some(&s.process_code)
    }

    /// Follows the subscription's status: a suspended or refused subscription disables its
    /// clients and voids their tokens; reactivating it (`Actif`, `Inactif`) enables them again,
    /// except one disabled by hand. Returns whether anything changed.
    pub fn follow_subscription(&mut self, status: SubscriptionStatus, now: DateTime<Utc>) -> bool {
        let suspended = matches!(status, SubscriptionStatus::Suspendu | SubscriptionStatus::Refuse);
        if suspended == self.subscription_suspended {
            return false;
        }
        self.subscription_suspended = suspended;
        if suspended {
            self.revoke_tokens(now);
        }
        true
    }
}

/// What changed in a subscription's API access.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "SCREAMING_SNAKE_CASE")]
pub enum CredentialChange {
    /// The access mode changed (`PORTAIL` disables the API client); `secretIssued` when the
    /// change to `API` issued a secret.
    AccessMode {
        from: Option<AccessMode>,
        to: AccessMode,
        #[serde(rename = "secretIssued")]
        secret_issued: bool,
    },
    /// A new secret; the previous one works until `previousValidUntil` (none when there was
    /// none, or when it was revoked at once).
    SecretRegenerated {
        #[serde(rename = "previousValidUntil", default, with = "contract_time::option")]
        previous_valid_until: Option<DateTime<Utc>>,
    },
    /// The previous secret revoked before its overlap ended; tokens issued before are void.
    PreviousSecretRevoked,
}

/// The durable record of one change of a subscription's API access: kept in the subscription's
/// organisation, shown on the subscription's page, and e-mailed to every local administrator.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CredentialEvent {
    pub id: Uuid,
    pub subscription_id: Uuid,
    pub siret: Siret,
    pub branch_code: BranchCode,
    pub process_code: ProcessCode,
    pub client_id: String,
    #[serde(flatten)]
    pub change: CredentialChange,
    /// The signed-in person who made the change.
    pub actor: Email,
    #[serde(with = "contract_time")]
    pub date_time: DateTime<Utc>,
    /// The local administrators e-mailed about it.
    #[serde(default)]
    pub notified: Vec<Email>,
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;
    use crate::domain::{SecretHash, parse_time};

    fn client() -> ApiClient {
        ApiClient {
            client_id: "si".into(),
            scopes: vec![Scope::Si],
            siret: Siret::parse("11001401600015").unwrap(),
            branch_code: BranchCode::parse("75108").unwrap(),
            process_code: Some(ProcessCode::parse("CERTDC").unwrap()),
            secrets: vec![SecretHash {
                hash: "h".into(),
                created: parse_time("2026-01-01T00:00:00Z").unwrap(),
                expires: None,
            }],
            disabled: false,
            subscription_suspended: false,
            tokens_not_before: None,
        }
    }

    #[test]
    fn a_suspended_subscription_disables_its_client_and_reactivating_it_enables_only_what_it_disabled() {
        let now = parse_time("2026-03-01T10:00:00Z").unwrap();
        let mut c = client();
        assert!(c.accepts_token_issued_at(now.timestamp() - 10));
        assert!(c.follow_subscription(SubscriptionStatus::Suspendu, now));
        assert!(!c.is_enabled());
        assert!(!c.follow_subscription(SubscriptionStatus::Refuse, now), "already disabled");
        assert!(c.follow_subscription(SubscriptionStatus::Actif, now));
        assert!(c.is_enabled());
        assert!(!c.accepts_token_issued_at(now.timestamp() - 1), "tokens from before the suspension stay void");
        assert!(c.accepts_token_issued_at(now.timestamp()));

        let mut by_hand = client();
        by_hand.disabled = true;
        by_hand.follow_subscription(SubscriptionStatus::Suspendu, now);
        by_hand.follow_subscription(SubscriptionStatus::Actif, now);
        assert!(!by_hand.is_enabled(), "a client disabled by hand stays disabled");
    }

    #[test]
    fn a_credential_event_reads_back_as_written() {
        let e = CredentialEvent {
            id: Uuid::nil(),
            subscription_id: Uuid::nil(),
            siret: Siret::parse("11001401600015").unwrap(),
            branch_code: BranchCode::parse("75108").unwrap(),
            process_code: ProcessCode::parse("CERTDC").unwrap(),
            client_id: "si".into(),
            change: CredentialChange::AccessMode {
                from: Some(AccessMode::Portail),
                to: AccessMode::Api,
                secret_issued: true,
            },
            actor: Email::parse("admin@mairie.example").unwrap(),
            date_time: parse_time("2026-03-01T10:00:00Z").unwrap(),
            notified: vec![],
        };
        let v = serde_json::to_value(&e).unwrap();
        assert_eq!(v["kind"], "ACCESS_MODE");
        assert_eq!(v["secretIssued"], true);
        assert_eq!(serde_json::from_value::<CredentialEvent>(v).unwrap(), e);
    }
}
