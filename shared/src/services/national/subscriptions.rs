//! The national administrator's subscriptions: every one, with the referential's filters, and
//! the decisions the national team takes — validate, refuse with a reason, suspend, resume,
//! end — each e-mailed to the organisation's local administrators.

use uuid::Uuid;

use super::{NationalAdmin, record};
use crate::{
    domain::{DecisionNotice, MailItem, MailMessage, OrgId, SubscriptionDecision},
    services::{
        Attempt, ExchangeError, optimistic,
        portal_subscriptions::local_administrators,
        subscriptions::{self, SubscriptionPage, SubscriptionQuery, SubscriptionView},
    },
    state::AppState,
    store::Versioned,
};

/// `GET /portail/v1/national/subscriptions`: as the referential lists them for the platform.
///
/// # Errors
/// Store failures.
pub async fn list_subscriptions(
    state: &AppState,
    _: &NationalAdmin,
    q: SubscriptionQuery,
) -> Result<SubscriptionPage, ExchangeError> {
    subscriptions::list_every_subscription(state, q).await
}

/// `POST /portail/v1/national/subscriptions/{id}/decision`.
#[derive(Clone, Debug)]
pub struct Decision {
    pub decision: SubscriptionDecision,
    pub reason: Option<String>,
}

impl Decision {
    /// # Errors
    /// `Invalid`, every problem listed.
    pub fn parse(line: &str, body: &serde_json::Value) -> Result<Self, ExchangeError> {
        let mut c = crate::services::validate::Checker::new(line);
        let Some(o) = c.root(body) else { return Err(ExchangeError::Invalid(c.problems)) };
        c.only(o, "", &["decision", "reason"]);
        let decision = c.parsed(o, "", "decision", true, 10, |s| {
            SubscriptionDecision::parse(s)
                .ok_or_else(|| format!("\"{s}\" is not a decision (VALIDATE, REFUSE, SUSPEND, RESUME, END)"))
        });
        let reason = c.string(o, "", "reason", false, 1000).map(|r| r.trim().to_owned()).filter(|r| !r.is_empty());
        match decision {
            Some(decision) if c.is_ok() => Ok(Self { decision, reason }),
            _ => Err(ExchangeError::Invalid(c.problems)),
        }
    }
}

/// Applies a decision, in one transaction with what follows from it (the subscription's API
/// clients disabled or enabled again), its record in the journal and an e-mail to each local
/// administrator of the organisation.
///
/// # Errors
/// `NotFound`; `Refused` for a decision that does not apply to the subscription's status.
pub async fn decide(
    state: &AppState,
    admin: &NationalAdmin,
    id: Uuid,
    decision: Decision,
) -> Result<SubscriptionView, ExchangeError> {
    let decision = &decision;
    let (sub, now) = optimistic::<_, ExchangeError, _, _>(state, || async move {
        let Versioned { value: current, version } =
            state.store.subscription_by_id(id).await?.ok_or(ExchangeError::NotFound(subscriptions::NOT_FOUND))?;
        let now = state.clock.now();
        let next = decision
            .decision
            .apply(&current, decision.reason.as_deref(), now)
            .map_err(|m| ExchangeError::Refused(vec![m]))?;
        let mut writes = vec![state.store.update_subscription_write(&next, version)?];
        writes.extend(state.store.follow_subscription_writes(&next, now).await?);
        let org = OrgId { siret: next.siret.clone(), branch_code: next.branch_code.clone() };
        let notice = DecisionNotice {
            subscription_id: id,
            siret: next.siret.clone(),
            branch_code: next.branch_code.clone(),
            process_code: next.process_code.clone(),
            decision: decision.decision,
            reason: decision.reason.clone(),
            at: now,
        };
        for to in local_administrators(state, &org).await? {
            let message = MailMessage::SubscriptionDecided { to, notice: Box::new(notice.clone()) };
            writes.push(state.store.create_mail_write(&MailItem::new(state.ids.new_id(), message, now))?);
        }
        let (before, after) = (SubscriptionView::of(&current, now), SubscriptionView::of(&next, now));
        let action = format!("subscription.{}", decision.decision.as_str().to_lowercase());
        let target = format!("subscription {id} ({}-{} {})", next.siret, next.branch_code, next.process_code);
        writes.push(record(state, admin, &action, target, Some(&before), Some(&after))?);
        Ok(Attempt::Commit(writes, (next, now)))
    })
    .await?;
    tracing::info!(subscription_id = %id, status = %sub.status, "subscription decided by the national team");
    Ok(SubscriptionView::of(&sub, now))
}
