//! Activation and reset links: issuing them, the anonymous "forgotten password" request, and
//! setting a password from a link.

use super::{ForgottenPassword, NewPassword, PortalAuthError, hash_password};
use crate::{
    auth::{generate_secret, portal::token_hash},
    domain::{
        Account, Email, LINK_VALIDITY_HOURS, LinkPurpose, LinkToken, MailItem, MailMessage, ResetRequests,
        password_problems,
    },
    ports::Write,
    services::{Attempt, optimistic},
    state::AppState,
    store::{StoreError, Versioned},
    templates,
};

/// Stores a new link token for the account and e-mails its link.
async fn issue_link(state: &AppState, account: &Account, purpose: LinkPurpose) -> Result<(), PortalAuthError> {
    let token = generate_secret();
    let link = LinkToken {
        email: account.email.clone(),
        purpose,
        created_at: state.clock.now(),
        credentials_version: account.credentials_version,
    };
    state.store.create_link(&token_hash(&token), &link).await?;
    let base = state.config.public_url.trim_end_matches('/');
    let to = account.email.as_str();
    let message = match purpose {
        LinkPurpose::Activation => {
            templates::activation_link(to, &format!("{base}/activation?token={token}"), LINK_VALIDITY_HOURS)
        }
        LinkPurpose::Reset => {
            templates::reset_link(to, &format!("{base}/mot-de-passe?token={token}"), LINK_VALIDITY_HOURS)
        }
    };
    state.mailer.send(&message).await.map_err(PortalAuthError::Mail)?;
    tracing::info!(?purpose, "portal link sent");
    Ok(())
}

/// E-mails a new account its activation link (`<public_url>/activation?token=…`, valid
/// [`LINK_VALIDITY_HOURS`] hours, single use), to choose its password. For the use cases that
/// create accounts; call it once the account is committed. A failure leaves the account
/// waiting: the person, or an administrator, asks again through "forgotten password".
///
/// # Errors
/// `AccountNotFound`, `Mail` when the e-mail cannot be sent, `Store`.
pub async fn issue_activation(state: &AppState, email: &Email) -> Result<(), PortalAuthError> {
    let account = state.store.account(email.as_str()).await?.ok_or(PortalAuthError::AccountNotFound)?;
    issue_link(state, &account, LinkPurpose::Activation).await
}

/// `POST /portail/v1/password/forgotten` `{email}`: queues a reset link
/// (`<public_url>/mot-de-passe?token=…`, sent through the outbox to an active account, see
/// `services::mail`), at most [`RESET_EMAILS_PER_WINDOW`](crate::domain::RESET_EMAILS_PER_WINDOW)
/// an hour per address (the request is anonymous: it must not flood a mailbox); the answer is the
/// same, and takes as long, whether or not the address has an account and whether or not its
/// allowance is spent.
///
/// # Errors
/// `Store` when the account cannot be read.
pub async fn forgotten_password(state: &AppState, request: ForgottenPassword) -> Result<(), PortalAuthError> {
    let Some(email) = request.email else {
        return Ok(());
    };
    // The request never looks the account up: it counts the request and queues the e-mail for
    // any address, and the dispatcher decides whether there is anyone to write to. A known and
    // an unknown address thus cost the same reads and writes, and take as long.
    let now = state.clock.now();
    let read = state.store.reset_requests(email.as_str()).await?;
    let Some(next) = ResetRequests::after_one_more(read.as_ref().map(|r| &r.value), now) else {
        tracing::warn!("reset e-mails to this address are capped for the hour: none queued");
        return Ok(());
    };
    let writes = vec![
        state.store.reset_requests_write(email.as_str(), &next, read.map(|r| r.version))?,
        state.store.create_mail_write(&MailItem::new(state.ids.new_id(), MailMessage::ResetLink { email }, now))?,
    ];
    match state.store.commit(writes).await {
        // A concurrent request for the same address counted first, and queued its own e-mail.
        Ok(()) | Err(StoreError::Conflict) => Ok(()),
        Err(e) => Err(e.into()),
    }
}

/// `POST /portail/v1/password` `{token, password}`: sets the password of the link's account
/// (argon2id), spends the link, forgets the sign-in failures and ends every session of the
/// account (its `credentials_version` goes up, which also voids its other links).
///
/// # Errors
/// `WeakPassword` listing what the password lacks, `InvalidLink` for an unknown, expired, used
/// or void link or a suspended account.
pub async fn set_password(state: &AppState, command: NewPassword) -> Result<(), PortalAuthError> {
    let NewPassword { token, password } = command;
    let problems = password_problems(&password);
    if !problems.is_empty() {
        return Err(PortalAuthError::WeakPassword(problems));
    }
    let link_id = token_hash(token.trim());
    let (link_id, password) = (&link_id, &password);
    // Hashed once a link is found: an unknown token costs no argon2 run.
    let hashed = &tokio::sync::OnceCell::new();
    let purpose = optimistic::<_, PortalAuthError, _, _>(state, || async move {
        let now = state.clock.now();
        let Some(Versioned { value: link, version: link_version }) = state.store.link(link_id).await? else {
            return Err(PortalAuthError::InvalidLink);
        };
        if link.is_expired(now) {
            return Err(PortalAuthError::InvalidLink);
        }
        let Some(Versioned { value: mut account, version }) =
            state.store.versioned_account(link.email.as_str()).await?
        else {
            return Err(PortalAuthError::InvalidLink);
        };
        if !account.active || account.credentials_version != link.credentials_version {
            return Err(PortalAuthError::InvalidLink);
        }
        let phc = hashed.get_or_try_init(|| hash_password(password.clone())).await?;
        account.password_hash = Some(phc.clone());
        account.credentials_version += 1;
        let writes: Vec<Write> = vec![
            state.store.update_account_write(&account, version)?,
            state.store.delete_link_write(link_id, link_version),
            state.store.clear_sign_in_failures_write(account.email.as_str()),
        ];
        Ok(Attempt::Commit(writes, link.purpose))
    })
    .await?;
    tracing::info!(?purpose, "portal password set");
    Ok(())
}
