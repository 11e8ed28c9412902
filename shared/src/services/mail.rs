//! E-mails to people through the outbox: reset links and the notices of API access changes.
//! The use case writes a mail item in the transaction of what it reports; the dispatcher
//! (`notify`, woken like for any outbox item) claims it with a lease, sends it, and retries
//! failures with backoff before parking it as failed — at least once, never lost.

use std::time::Duration;

use uuid::Uuid;

use crate::{
    auth::{generate_secret, portal::token_hash},
    domain::{LINK_VALIDITY_HOURS, LinkPurpose, LinkToken, MailItem, MailMessage, OutboxStatus},
    ports::{Email, MailError},
    state::AppState,
    store::{StoreError, Versioned},
    templates,
};

/// Takes the item for this dispatcher, as `notify::claim` does for notifications.
async fn claim(state: &AppState, id: Uuid, owned: Option<i64>) -> Result<Option<Versioned<MailItem>>, StoreError> {
    loop {
        let Some(Versioned { value: mut item, version }) = state.store.mail_item(id).await? else { return Ok(None) };
        if item.status != OutboxStatus::Pending {
            return Ok(None);
        }
        let now = state.clock.now();
        if owned != Some(version) && item.lease_until.is_some_and(|l| l > now) {
            return Ok(None);
        }
        item.attempts += 1;
        item.lease_until = Some(super::notify::later(now, state.config.delivery.lease));
        match state.store.update_mail(&item, version).await {
            Ok(version) => return Ok(Some(Versioned { value: item, version })),
            Err(StoreError::Conflict) if owned.is_none() => continue,
            Err(StoreError::Conflict) => return Ok(None),
            Err(e) => return Err(e),
        }
    }
}

/// The e-mail of an item, or `None` when there is nobody to write to (a reset asked for an
/// address without an active account). A reset link is issued here, at each attempt: the link
/// token never sits in the outbox.
async fn render(state: &AppState, item: &MailItem) -> Result<Option<Email>, StoreError> {
    match &item.message {
        MailMessage::ResetLink { email } => {
            let Some(account) = state.store.account(email.as_str()).await?.filter(|a| a.active) else {
                return Ok(None);
            };
            let token = generate_secret();
            let link = LinkToken {
                email: account.email.clone(),
                purpose: LinkPurpose::Reset,
                created_at: state.clock.now(),
                credentials_version: account.credentials_version,
            };
            state.store.create_link(&token_hash(&token), &link).await?;
            let url = format!("{}/mot-de-passe?token={token}", state.config.public_url.trim_end_matches('/'));
            Ok(Some(templates::reset_link(account.email.as_str(), &url, LINK_VALIDITY_HOURS)))
        }
        MailMessage::CredentialsChanged { to, event } => {
            let org = state.store.organisation(&event.siret, &event.branch_code).await?;
            let procedure = state.store.procedure(&event.process_code).await?;
            let notice = templates::CredentialNotice {
                organisation: org.map_or_else(|| event.siret.to_string(), |o| o.name),
                procedure: procedure.map_or_else(|| event.process_code.to_string(), |p| p.title),
                event: event.as_ref().clone(),
                link: templates::subscription_link(&state.config.public_url, event.subscription_id),
            };
            Ok(Some(templates::credentials_changed(to.as_str(), &notice)))
        }
        MailMessage::SubscriptionDecided { to, notice } => {
            let org = state.store.organisation(&notice.siret, &notice.branch_code).await?;
            let procedure = state.store.procedure(&notice.process_code).await?;
            Ok(Some(templates::subscription_decided(
                to.as_str(),
                &org.map_or_else(|| notice.siret.to_string(), |o| o.name),
                &procedure.map_or_else(|| notice.process_code.to_string(), |p| p.title),
                notice,
                &templates::subscription_link(&state.config.public_url, notice.subscription_id),
            )))
        }
    }
}

/// Sends a claimed item and records the outcome; `Some(wait)` when it is to be retried.
async fn send_claimed(state: &AppState, claimed: Versioned<MailItem>) -> Result<Option<Duration>, StoreError> {
    let Versioned { value: mut item, version } = claimed;
    item.lease_until = None;
    let outcome = match render(state, &item).await? {
        None => {
            item.status = OutboxStatus::Closed;
            None
        }
        Some(email) => match state.mailer.send(&Email { key: Some(item.id), ..email }).await {
            Ok(_) => {
                item.status = OutboxStatus::Sent;
                None
            }
            Err(e) => {
                // Only the kind: the error may name the address.
                let permanent = matches!(e, MailError::Rejected(_));
                item.last_error = Some(if permanent { "refused" } else { "unavailable" }.to_owned());
                if permanent || item.attempts >= state.config.delivery.max_attempts {
                    item.status = OutboxStatus::Failed;
                    tracing::warn!(outbox_id = %item.id, attempts = item.attempts, permanent, "e-mail parked as failed");
                    None
                } else {
                    let wait = super::notify::backoff(state, item.attempts);
                    item.lease_until =
                        Some(super::notify::later(state.clock.now(), wait + state.config.delivery.lease));
                    Some(wait)
                }
            }
        },
    };
    if outcome.is_none() {
        item.done_at = Some(state.clock.now());
    }
    match state.store.update_mail(&item, version).await {
        Ok(_) => Ok(outcome),
        // Taken by another dispatcher after our lease expired: it carries on.
        Err(StoreError::Conflict) => Ok(None),
        Err(e) => Err(e),
    }
}

/// Claims, sends and marks one mail item, retrying failures with backoff until sent or parked.
///
/// # Errors
/// When the store fails.
pub async fn deliver(state: &AppState, id: Uuid) -> Result<(), StoreError> {
    super::notify::deliver_claimed(None, |owned| claim(state, id, owned), |claimed| send_claimed(state, claimed)).await
}

/// The mail items waiting to be sent and free to take.
///
/// # Errors
/// When the store fails.
pub async fn pending(state: &AppState) -> Result<Vec<Uuid>, StoreError> {
    let mut cursor = None;
    let mut ids = Vec::new();
    loop {
        let (items, next) = state.store.pending_mail_page(200, cursor.take()).await?;
        let now = state.clock.now();
        ids.extend(items.into_iter().filter(|i| i.value.lease_until.is_none_or(|l| l <= now)).map(|i| i.value.id));
        match next {
            Some(c) => cursor = Some(c),
            None => return Ok(ids),
        }
    }
}
