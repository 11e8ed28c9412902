//! Subscriptions: an organisation's subscription to a procedure, and the people it names.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::{OrgRef, OrgType};
use crate::domain::{BranchCode, Email, ProcessCode, Siret, contract_time};

contract_enum!(SubscriptionStatus { Actif = "Actif", Inactif = "Inactif", Refuse = "Refusé", Suspendu = "Suspendu" });

contract_enum!(AccessMode { Portail = "PORTAIL", Api = "API" });

contract_enum!(NotificationFrequency {
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
    /// A subscription of an organisation to a procedure, with `status` and the notification
    /// frequency, and nothing else set yet: no access mode, address, dates or contacts.
    pub fn new(
        id: Uuid,
        (siret, branch_code): (Siret, BranchCode),
        process_code: ProcessCode,
        status: SubscriptionStatus,
        notification_frequency: NotificationFrequency,
    ) -> Self {
        Self {
            id,
            siret,
            branch_code,
            process_code,
            status,
            access_mode: None,
            notification_frequency,
            email: None,
            activate_date_time: None,
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

contract_enum!(
    /// What the national administrator decides about a subscription.
    SubscriptionDecision {
        /// An `Inactif` subscription becomes `Actif` now.
        Validate = "VALIDATE",
        /// An `Inactif` subscription becomes `Refusé`, with a reason.
        Refuse = "REFUSE",
        /// An `Actif` subscription becomes `Suspendu`: no new folder, its API clients disabled.
        Suspend = "SUSPEND",
        /// A `Suspendu` subscription becomes `Actif` again (an ended one too: the end is lifted).
        Resume = "RESUME",
        /// The subscription ends: `Suspendu` with its end date.
        End = "END",
    }
);

impl SubscriptionDecision {
    /// The subscription after the decision at `now`.
    ///
    /// # Errors
    /// A sentence when the decision does not apply to the subscription's status, or a refusal
    /// lacks its reason.
    pub fn apply(self, s: &Subscription, reason: Option<&str>, now: DateTime<Utc>) -> Result<Subscription, String> {
        use SubscriptionStatus::*;
        let status = s.effective_status(now);
        let mut next = Subscription { status, ..s.clone() };
        match (self, status) {
            (Self::Validate, Inactif) => {
                next.status = Actif;
                next.validate_date_time = Some(now);
                next.activate_date_time = Some(now);
            }
            (Self::Refuse, Inactif) => {
                let reason = reason.ok_or("A refusal needs a reason")?;
                next.status = Refuse;
                next.reject_date_time = Some(now);
                next.rejection_reason = Some(reason.to_owned());
            }
            (Self::Suspend, Actif) => next.status = Suspendu,
            (Self::Resume, Suspendu) => {
                next.status = Actif;
                next.end_date_time = None;
            }
            (Self::End, Actif | Suspendu) if s.end_date_time.is_none() => {
                next.status = Suspendu;
                next.end_date_time = Some(now);
            }
            (decision, status) => {
                return Err(format!("{} does not apply to a subscription {status}", decision.as_str()));
            }
        }
        next.update_date_time = Some(now);
        Ok(next)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sub(status: SubscriptionStatus, activate: Option<&str>) -> Subscription {
        Subscription {
            access_mode: Some(AccessMode::Api),
            activate_date_time: activate.and_then(crate::domain::parse_time),
            ..Subscription::new(
                Uuid::nil(),
                (Siret::parse("11001401600015").unwrap(), BranchCode::parse("75108").unwrap()),
                ProcessCode::parse("CERTDC").unwrap(),
                status,
                NotificationFrequency::Unitaire,
            )
        }
    }

    #[test]
    fn each_decision_applies_from_its_statuses_only() {
        use SubscriptionDecision as D;
        use SubscriptionStatus::*;
        let now = crate::domain::parse_time("2026-06-01T00:00:00Z").unwrap();
        let after = |d: SubscriptionDecision, from: SubscriptionStatus| d.apply(&sub(from, None), Some("motif"), now);
        assert_eq!(after(D::Validate, Inactif).unwrap().status, Actif);
        assert_eq!(after(D::Validate, Inactif).unwrap().validate_date_time, Some(now));
        let refused = after(D::Refuse, Inactif).unwrap();
        assert_eq!((refused.status, refused.rejection_reason.as_deref()), (Refuse, Some("motif")));
        assert!(D::Refuse.apply(&sub(Inactif, None), None, now).is_err(), "a refusal needs its reason");
        assert_eq!(after(D::Suspend, Actif).unwrap().status, Suspendu);
        let ended = after(D::End, Actif).unwrap();
        assert_eq!((ended.status, ended.end_date_time), (Suspendu, Some(now)));
        assert!(D::End.apply(&ended, None, now).is_err(), "ended once");
        let resumed = D::Resume.apply(&ended, None, now).unwrap();
        assert_eq!((resumed.status, resumed.end_date_time), (Actif, None));
        for (d, from) in
            [(D::Validate, Actif), (D::Refuse, Actif), (D::Suspend, Inactif), (D::Resume, Actif), (D::Suspend, Refuse)]
        {
            let e = after(d, from).unwrap_err();
            assert!(e.contains("does not apply"), "{e}");
        }
        // An Inactif subscription whose activation date has come reads Actif: it is suspended.
        let due = sub(Inactif, Some("2026-05-01T00:00:00Z"));
        assert_eq!(D::Suspend.apply(&due, None, now).unwrap().status, Suspendu);
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
}
