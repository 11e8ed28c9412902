//! National support: any account found by address or name, with what support needs (its
//! organisations, status, lockout, last sign-in — never a password, a code or a link), and the
//! e-mails that failed platform-wide, with a resend. Each action is recorded in the journal.

use chrono::{DateTime, Utc};
use serde::Serialize;
use uuid::Uuid;

use super::{ListPage, NationalAdmin, cursor_in, cursor_out, record};
use crate::{
    domain::{
        Account, ActorType, BranchCode, DelegationStatus, Email, MailMessage, OrgRef, OutboxMessage, OutboxStatus,
        ProcessCode, Siret, contract_time, search_key,
    },
    services::{Attempt, ExchangeError, optimistic, portal_auth},
    state::AppState,
    store::{AccountSupport, FailedDelivery, OutboxEntity},
};

pub const ACCOUNT_NOT_FOUND: &str = "Account is not found";
pub const DELIVERY_NOT_FOUND: &str = "Delivery is not found";

// ---------------------------------------------------------------------------------------------
// Accounts

/// An organisation an account belongs to or serves.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AccountOrganisation {
    pub siret: Siret,
    pub branch_code: BranchCode,
    /// `HOME` for its own organisation; `INVITED` or `ACCEPTED` for one a delegate serves.
    pub relation: &'static str,
}

/// An account as support sees it.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SupportAccountView {
    pub email: Email,
    pub first_name: String,
    pub last_name: String,
    pub actor_type: ActorType,
    pub organisations: Vec<AccountOrganisation>,
    /// False once suspended.
    pub active: bool,
    /// Whether it has chosen its password (activation).
    pub activated: bool,
    /// Sign-in failures in the current window, and the lock they set.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub recent_failures: Option<u32>,
    #[serde(with = "contract_time::option", skip_serializing_if = "Option::is_none")]
    pub locked_until: Option<DateTime<Utc>>,
    #[serde(with = "contract_time::option", skip_serializing_if = "Option::is_none")]
    pub last_sign_in: Option<DateTime<Utc>>,
}

impl SupportAccountView {
    fn of(a: &Account, support: Option<&AccountSupport>, now: DateTime<Utc>) -> Self {
        let mut organisations =
            vec![AccountOrganisation { siret: a.siret.clone(), branch_code: a.branch_code.clone(), relation: "HOME" }];
        organisations.extend(a.delegations.iter().map(|d| AccountOrganisation {
            siret: d.organisation.siret.clone(),
            branch_code: d.organisation.branch_code.clone(),
            relation: match d.status {
                DelegationStatus::Invited => "INVITED",
                DelegationStatus::Accepted => "ACCEPTED",
            },
        }));
        let failures = support.and_then(|s| s.failures.as_ref()).filter(|f| now < f.expires_at());
        Self {
            email: a.email.clone(),
            first_name: a.first_name.clone(),
            last_name: a.last_name.clone(),
            actor_type: a.actor_type,
            organisations,
            active: a.active,
            activated: a.password_hash.is_some(),
            recent_failures: failures.map(|f| f.failures),
            locked_until: failures.and_then(|f| f.locked_until).filter(|t| now < *t),
            last_sign_in: support.and_then(|s| s.last_sign_in),
        }
    }
}

/// `GET /portail/v1/national/accounts?q=…`: an address (exact), or the beginning of a last name
/// (accents, case and punctuation ignored), by name.
///
/// # Errors
/// `Invalid` for a cursor the hub did not issue; store failures.
pub async fn find_accounts(
    state: &AppState,
    _: &NationalAdmin,
    q: &str,
    cursor: Option<&str>,
    limit: usize,
) -> Result<ListPage<SupportAccountView>, ExchangeError> {
    let now = state.clock.now();
    if q.contains('@') {
        let found = match Email::parse(q) {
            Ok(email) => state.store.account_support(email.as_str()).await?,
            Err(_) => None,
        };
        let items = found.iter().map(|s| SupportAccountView::of(&s.account, Some(s), now)).collect();
        return Ok(ListPage { items, next_cursor: None });
    }
    let key = search_key(q);
    if key.is_empty() {
        return Err(ExchangeError::Invalid(vec!["[ERROR][REQUEST] @query.q: an address or a name is required".into()]));
    }
    let after = cursor_in(cursor)?;
    let page = state.store.accounts_by_name(&key, after.as_deref(), limit).await?;
    let items = page.items.iter().map(|a| SupportAccountView::of(a, None, now)).collect();
    Ok(ListPage { items, next_cursor: cursor_out(page.next) })
}

async fn support(state: &AppState, email: &str) -> Result<AccountSupport, ExchangeError> {
    let email = Email::parse(email).map_err(|_| ExchangeError::NotFound(ACCOUNT_NOT_FOUND))?;
    state.store.account_support(email.as_str()).await?.ok_or(ExchangeError::NotFound(ACCOUNT_NOT_FOUND))
}

/// `GET /portail/v1/national/accounts/{email}`.
///
/// # Errors
/// `NotFound`.
pub async fn account(state: &AppState, _: &NationalAdmin, email: &str) -> Result<SupportAccountView, ExchangeError> {
    let s = support(state, email).await?;
    Ok(SupportAccountView::of(&s.account, Some(&s), state.clock.now()))
}

fn account_label(email: &Email) -> String {
    format!("account {email}")
}

/// `POST /portail/v1/national/accounts/{email}/unlock`: clears its sign-in failures, lock
/// included.
///
/// # Errors
/// `NotFound`.
pub async fn unlock(state: &AppState, admin: &NationalAdmin, email: &str) -> Result<SupportAccountView, ExchangeError> {
    let s = support(state, email).await?;
    let now = state.clock.now();
    let before = SupportAccountView::of(&s.account, Some(&s), now);
    let after_support = AccountSupport { failures: None, ..s.clone() };
    let after = SupportAccountView::of(&s.account, Some(&after_support), now);
    if before != after {
        let writes = vec![
            state.store.clear_sign_in_failures_write(s.account.email.as_str()),
            record(state, admin, "account.unlock", account_label(&s.account.email), Some(&before), Some(&after))?,
        ];
        state.store.commit(writes).await?;
    }
    Ok(after)
}

/// `POST /portail/v1/national/accounts/{email}/activation`: a new activation link, for an
/// account that has not chosen its password yet.
///
/// # Errors
/// `NotFound`; `Refused` once activated; `Busy` when the e-mail cannot be sent.
pub async fn resend_activation(
    state: &AppState,
    admin: &NationalAdmin,
    email: &str,
) -> Result<SupportAccountView, ExchangeError> {
    let s = support(state, email).await?;
    if s.account.password_hash.is_some() {
        return Err(ExchangeError::Refused(vec![
            "The account is activated: its holder uses \"Mot de passe oublié\" instead".into(),
        ]));
    }
    let view = SupportAccountView::of(&s.account, Some(&s), state.clock.now());
    let label = account_label(&s.account.email);
    state
        .store
        .commit(vec![record(state, admin, "account.resendActivation", label, None::<&()>, Some(&view))?])
        .await?;
    portal_auth::issue_activation(state, &s.account.email).await.map_err(|e| match e {
        portal_auth::PortalAuthError::Store(e) => ExchangeError::Store(e),
        portal_auth::PortalAuthError::AccountNotFound => ExchangeError::NotFound(ACCOUNT_NOT_FOUND),
        other => {
            tracing::error!(kind = %other, "sending an activation link failed");
            ExchangeError::Busy
        }
    })?;
    Ok(view)
}

/// `POST` (suspend) or `DELETE` (reinstate) `/portail/v1/national/accounts/{email}/suspension`:
/// a suspended account cannot sign in and its sessions end at their next request.
///
/// # Errors
/// `NotFound`; `Refused` for one's own account.
pub async fn set_active(
    state: &AppState,
    admin: &NationalAdmin,
    email: &str,
    active: bool,
) -> Result<SupportAccountView, ExchangeError> {
    let email = Email::parse(email).map_err(|_| ExchangeError::NotFound(ACCOUNT_NOT_FOUND))?;
    if email == admin.email && !active {
        return Err(ExchangeError::Refused(vec!["You cannot suspend your own account".into()]));
    }
    let email = &email;
    optimistic::<_, ExchangeError, _, _>(state, || async move {
        let stored = state.store.versioned_account(email.as_str()).await?;
        let stored = stored.ok_or(ExchangeError::NotFound(ACCOUNT_NOT_FOUND))?;
        let now = state.clock.now();
        let before = SupportAccountView::of(&stored.value, None, now);
        if stored.value.active == active {
            return Ok(Attempt::Done(before));
        }
        if active && stored.value.is_removed() {
            return Err(ExchangeError::Refused(vec![
                "This account was removed by its organisation: it cannot be reinstated (its organisation creates it again)"
                    .into(),
            ]));
        }
        let changed = Account { active, ..stored.value.clone() };
        let after = SupportAccountView::of(&changed, None, now);
        let action = if active { "account.reinstate" } else { "account.suspend" };
        let writes = vec![
            state.store.update_account_write(&changed, stored.version)?,
            record(state, admin, action, account_label(email), Some(&before), Some(&after))?,
        ];
        Ok(Attempt::Commit(writes, after))
    })
    .await
}

// ---------------------------------------------------------------------------------------------
// Deliveries

/// An e-mail parked after its last retry.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DeliveryView {
    pub id: Uuid,
    /// `NOTIFICATION` (to a subscription's address) or `MAIL` (to a person).
    pub kind: &'static str,
    /// What it says: `NEW_CASE`, `REOPENED_CASE`, `DIGEST`, `RESET_LINK`, `CREDENTIALS_CHANGED`,
    /// `SUBSCRIPTION_DECIDED`.
    pub message: &'static str,
    /// The address, when the item names it (a notification goes to its subscription's address,
    /// read again when it is sent).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub to: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub subscription_id: Option<Uuid>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub recipient: Option<OrgRef>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub process_code: Option<ProcessCode>,
    pub status: OutboxStatus,
    pub attempts: u32,
    pub last_error: Option<String>,
    #[serde(with = "contract_time")]
    pub created: DateTime<Utc>,
    #[serde(with = "contract_time::option")]
    pub failed_at: Option<DateTime<Utc>>,
}

impl DeliveryView {
    fn of(d: &FailedDelivery) -> Self {
        match d {
            FailedDelivery::Notification(o) => Self {
                id: o.id,
                kind: "NOTIFICATION",
                message: match o.message {
                    OutboxMessage::NewCase { .. } => "NEW_CASE",
                    OutboxMessage::ReopenedCase { .. } => "REOPENED_CASE",
                    OutboxMessage::Digest { .. } => "DIGEST",
                },
                to: o.sent_to.clone(),
                subscription_id: Some(o.subscription_id),
                recipient: Some(o.recipient.clone()),
                process_code: Some(o.process_code.clone()),
                status: o.status,
                attempts: o.attempts,
                last_error: o.last_error.clone(),
                created: o.created,
                failed_at: o.done_at,
            },
            FailedDelivery::Mail(m) => {
                let (message, to) = match &m.message {
                    MailMessage::ResetLink { email } => ("RESET_LINK", email),
                    MailMessage::CredentialsChanged { to, .. } => ("CREDENTIALS_CHANGED", to),
                    MailMessage::SubscriptionDecided { to, .. } => ("SUBSCRIPTION_DECIDED", to),
                };
                Self {
                    id: m.id,
                    kind: "MAIL",
                    message,
                    to: Some(to.to_string()),
                    subscription_id: None,
                    recipient: None,
                    process_code: None,
                    status: m.status,
                    attempts: m.attempts,
                    last_error: m.last_error.clone(),
                    created: m.created,
                    failed_at: m.done_at,
                }
            }
        }
    }
}

/// `GET /portail/v1/national/deliveries`: the e-mails parked after their last retry, newest
/// first.
///
/// # Errors
/// `Invalid` for a cursor the hub did not issue; store failures.
pub async fn failed_deliveries(
    state: &AppState,
    _: &NationalAdmin,
    cursor: Option<&str>,
    limit: usize,
) -> Result<ListPage<DeliveryView>, ExchangeError> {
    let before = cursor_in(cursor)?;
    let page = state.store.failed_deliveries(before.as_deref(), limit).await?;
    Ok(ListPage { items: page.items.iter().map(DeliveryView::of).collect(), next_cursor: cursor_out(page.next) })
}

/// `POST /portail/v1/national/deliveries/{id}/resend`: a parked e-mail goes back to the
/// dispatcher, with its retries afresh.
///
/// # Errors
/// `NotFound`; `Refused` for an e-mail that is not parked.
pub async fn resend(state: &AppState, admin: &NationalAdmin, id: Uuid) -> Result<DeliveryView, ExchangeError> {
    let not_parked = || ExchangeError::Refused(vec!["Only an e-mail that failed is sent again".into()]);
    let label = format!("delivery {id}");
    optimistic::<_, ExchangeError, _, _>(state, || {
        let label = label.clone();
        async move {
            let entity = state.store.outbox_entity(id).await?.ok_or(ExchangeError::NotFound(DELIVERY_NOT_FOUND))?;
            let (write, before, after) = match entity {
                OutboxEntity::Notification => {
                    let stored =
                        state.store.outbox_item(id).await?.ok_or(ExchangeError::NotFound(DELIVERY_NOT_FOUND))?;
                    if stored.value.status != OutboxStatus::Failed {
                        return Err(not_parked());
                    }
                    let mut item = stored.value.clone();
                    item.status = OutboxStatus::Pending;
                    item.attempts = 0;
                    (item.lease_until, item.retry_after, item.done_at) = (None, None, None);
                    let write = state.store.update_outbox_write(&item, stored.version)?;
                    let before = FailedDelivery::Notification(stored.value);
                    (write, before, FailedDelivery::Notification(item))
                }
                OutboxEntity::Mail => {
                    let stored = state.store.mail_item(id).await?.ok_or(ExchangeError::NotFound(DELIVERY_NOT_FOUND))?;
                    if stored.value.status != OutboxStatus::Failed {
                        return Err(not_parked());
                    }
                    let mut item = stored.value.clone();
                    item.status = OutboxStatus::Pending;
                    item.attempts = 0;
                    (item.lease_until, item.done_at) = (None, None);
                    let write = state.store.update_mail_write(&item, stored.version)?;
                    (write, FailedDelivery::Mail(stored.value), FailedDelivery::Mail(item))
                }
            };
            let (before, after) = (DeliveryView::of(&before), DeliveryView::of(&after));
            let writes = vec![write, record(state, admin, "delivery.resend", label, Some(&before), Some(&after))?];
            Ok(Attempt::Commit(writes, after))
        }
    })
    .await
}
