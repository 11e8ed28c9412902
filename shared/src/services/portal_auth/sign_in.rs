//! Signing in: the password (step 1), then the e-mailed code (step 2), and the failures they
//! count towards the lockout.

use serde::Serialize;
use uuid::Uuid;

use super::{CodeAnswer, PortalAuthError, SignIn, password_matches};
use crate::{
    auth::{
        generate_secret,
        portal::{code_matches, generate_code, hash_code, token_hash},
    },
    domain::{
        Account, AuditActor, AuditRecord, CODE_VALIDITY_MINUTES, Email, OrgId, Outcome, Session, SignInChallenge,
        SignInFailures,
    },
    ports::MailError,
    services::{Attempt, audit, optimistic, token::DUMMY_HASH},
    state::AppState,
    store::Versioned,
    templates,
};

fn log_lockout(locked: bool) {
    if locked {
        // No address: which account is locked is personal data.
        tracing::warn!(event = "portal_account_locked", "a portal account is locked after repeated sign-in failures");
    }
}

/// Counts a wrong password against the account (nothing while it is locked).
async fn record_wrong_password(
    state: &AppState,
    email: &Email,
    read: Option<Versioned<SignInFailures>>,
) -> Result<(), PortalAuthError> {
    // The first attempt counts on what sign-in has just read; after a lost race, on a new read.
    let mut first_read = Some(read);
    let locked = optimistic::<_, PortalAuthError, _, _>(state, || {
        let first_read = first_read.take();
        async move {
            let read = match first_read {
                Some(read) => read,
                None => state.store.account_for_sign_in(email.as_str()).await?.1,
            };
            let now = state.clock.now();
            if read.as_ref().is_some_and(|f| f.value.is_locked(now)) {
                return Ok(Attempt::Done(false));
            }
            let (next, locked) = SignInFailures::after_wrong_password(read.as_ref().map(|f| &f.value), now);
            let write = state.store.sign_in_failures_write(email.as_str(), &next, read.as_ref().map(|f| f.version))?;
            Ok(Attempt::Commit(vec![write], locked))
        }
    })
    .await?;
    log_lockout(locked);
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Sign-in, step 1: the password
// ---------------------------------------------------------------------------------------------

/// The answer to a right password: the challenge to answer with the e-mailed code.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ChallengeSent {
    pub challenge_id: Uuid,
    /// Where the code was sent.
    pub email: Email,
}

/// `POST /portail/v1/session` `{email, password}`: checks the password and e-mails a new
/// 6-digit code, valid [`CODE_VALIDITY_MINUTES`] minutes.
///
/// Every refusal is the same [`PortalAuthError::InvalidCredentials`] at the same cost (one
/// argon2 verification, against a dummy hash when there is no account or no password).
///
/// # Errors
/// `InvalidCredentials`, `Mail` when the code cannot be sent, `PasswordSignInOff` when only
/// ProConnect signs people in.
pub async fn sign_in(state: &AppState, command: SignIn) -> Result<ChallengeSent, PortalAuthError> {
    if !state.config.password_sign_in {
        return Err(PortalAuthError::PasswordSignInOff);
    }
    let SignIn { email, password } = command;
    let (account, failures) = state.store.account_for_sign_in(email.as_str()).await?;
    let now = state.clock.now();
    let phc = account.as_ref().and_then(|a| a.value.password_hash.clone());
    let password_ok = password_matches(password, phc.clone().unwrap_or_else(|| DUMMY_HASH.to_owned())).await;
    // Whose chain records the attempt: the account's organisation, or the platform's for an
    // address with no account (one entry either way: the same work for both).
    let home = account.as_ref().map(|a| a.value.home());
    let denied =
        |reason: &'static str| audit_sign_in(state, &email, home.clone(), "signIn.password", Outcome::Denied, reason);
    if failures.as_ref().is_some_and(|f| f.value.is_locked(now)) {
        denied("account locked after repeated failures").await;
        return Err(PortalAuthError::InvalidCredentials);
    }
    // An unknown address counts its failures too (in an item that expires): the same work and
    // the same writes as a known one, so that timing tells nobody which addresses have accounts.
    let account = account.map(|a| a.value).filter(|_| password_ok && phc.is_some());
    let Some(account) = account else {
        record_wrong_password(state, &email, failures).await?;
        denied(if home.is_some() {
            "wrong password, or account not activated"
        } else {
            "no account with this address"
        })
        .await;
        return Err(PortalAuthError::InvalidCredentials);
    };
    if !account.may_sign_in() {
        denied("account suspended").await;
        return Err(PortalAuthError::InvalidCredentials);
    }
    // Said only to whom knows the password: nobody else learns the account exists.
    let home_org = state.store.organisation(&account.siret, &account.branch_code).await?;
    if home_org.is_some_and(|o| o.proconnect_only) {
        denied("password sign-in turned off for the organisation").await;
        return Err(PortalAuthError::PasswordSignInOff);
    }
    let code = generate_code();
    let salt = generate_secret();
    let challenge =
        SignInChallenge::new(state.ids.new_id(), account.email.clone(), salt.clone(), hash_code(&salt, &code), now);
    state.store.create_challenge(&challenge).await?;
    let message = templates::sign_in_code(account.email.as_str(), &code, CODE_VALIDITY_MINUTES);
    state.mailer.send(&message).await.map_err(|e| {
        // The error may name the address: only its kind is logged.
        tracing::error!(permanent = matches!(e, MailError::Rejected(_)), "sending a sign-in code failed");
        PortalAuthError::Mail(e)
    })?;
    tracing::info!(challenge_id = %challenge.id, "sign-in code sent");
    audit_sign_in(state, &account.email, home, "signIn.password", Outcome::Granted, "password right, code sent").await;
    Ok(ChallengeSent { challenge_id: challenge.id, email: account.email })
}

/// `POST /portail/v1/session/otp/resend` `{challengeId}` ("Renvoyer le code"): e-mails a new
/// code for the same challenge, the way the first one went; the previous code is void at once.
/// At most [`crate::domain::CODES_PER_CHALLENGE`] codes per challenge; the wrong guesses already made still
/// count (a new code buys no more guesses), and so does the lockout.
///
/// # Errors
/// `SignInAgain` when the challenge is unknown, expired, spent, or its account may no longer
/// sign in (or is locked); `TooManyCodes` for a fourth code; `Mail` when it cannot be sent.
pub async fn resend_code(state: &AppState, challenge_id: Uuid) -> Result<ChallengeSent, PortalAuthError> {
    let code = generate_code();
    let salt = generate_secret();
    let code_hash = hash_code(&salt, &code);
    let (salt, code_hash) = (&salt, &code_hash);
    let resent = optimistic::<_, PortalAuthError, _, _>(state, || async move {
        let now = state.clock.now();
        let Some(Versioned { value: challenge, version }) = state.store.challenge(challenge_id).await? else {
            return Err(PortalAuthError::SignInAgain);
        };
        let (account, failures) = state.store.account_for_sign_in(challenge.email.as_str()).await?;
        let Some(account) = account.map(|a| a.value).filter(Account::may_sign_in) else {
            return Err(PortalAuthError::SignInAgain);
        };
        if challenge.is_spent(now) || failures.as_ref().is_some_and(|f| f.value.is_locked(now)) {
            return Err(PortalAuthError::SignInAgain);
        }
        let Some(next) = challenge.with_new_code(salt.clone(), code_hash.clone(), now) else {
            return Ok(Attempt::Done(Err(account)));
        };
        Ok(Attempt::Commit(vec![state.store.update_challenge_write(&next, version)?], Ok(account)))
    })
    .await;
    let account = match resent {
        Ok(Ok(account)) => account,
        Ok(Err(account)) => {
            let home = Some(account.home());
            let reason = "no more codes for this challenge";
            audit_sign_in(state, &account.email, home, "signIn.resend", Outcome::Denied, reason).await;
            return Err(PortalAuthError::TooManyCodes);
        }
        Err(e) => {
            if matches!(e, PortalAuthError::SignInAgain) {
                let record = AuditRecord::new(
                    AuditActor::anonymous(None),
                    "signIn.resend",
                    format!("challenge {challenge_id}"),
                    Outcome::Denied,
                )
                .reason("challenge unknown, expired or spent, or account no longer allowed");
                audit::record(state, record).await;
            }
            return Err(e);
        }
    };
    let message = templates::sign_in_code(account.email.as_str(), &code, CODE_VALIDITY_MINUTES);
    state.mailer.send(&message).await.map_err(|e| {
        tracing::error!(permanent = matches!(e, MailError::Rejected(_)), "sending a sign-in code again failed");
        PortalAuthError::Mail(e)
    })?;
    tracing::info!(challenge_id = %challenge_id, "sign-in code sent again");
    let home = Some(account.home());
    audit_sign_in(state, &account.email, home, "signIn.resend", Outcome::Granted, "new code sent").await;
    Ok(ChallengeSent { challenge_id, email: account.email })
}

// ---------------------------------------------------------------------------------------------
// Sign-in, step 2: the code
// ---------------------------------------------------------------------------------------------

/// A session just opened: the cookie value to set (never stored) and the signed-in account.
#[derive(Clone, Debug)]
pub struct NewSession {
    pub cookie_value: String,
    pub account: Account,
    pub csrf_token: String,
}

/// `POST /portail/v1/session/otp` `{challengeId, code}`: opens a session when the code is
/// right. The challenge is spent by its first right answer, and after
/// [`crate::domain::CODE_ATTEMPTS`] wrong ones.
///
/// # Errors
/// `WrongCode` with the attempts left, `SignInAgain` when the challenge is unknown, expired,
/// used, exhausted, or its account may no longer sign in.
pub async fn verify_code(state: &AppState, answer: CodeAnswer) -> Result<NewSession, PortalAuthError> {
    let CodeAnswer { challenge_id, code } = answer;
    let code = code.as_str();
    // A used or changed challenge makes the commit lose: the next attempt sees what became of it.
    let checked = optimistic::<_, PortalAuthError, _, _>(state, || async move {
        let now = state.clock.now();
        let Some(Versioned { value: challenge, version }) = state.store.challenge(challenge_id).await? else {
            return Err(PortalAuthError::SignInAgain);
        };
        if challenge.is_spent(now) {
            return Err(PortalAuthError::SignInAgain);
        }
        let email = challenge.email.clone();
        let (account, failures) = state.store.account_for_sign_in(email.as_str()).await?;
        let Some(account) = account.map(|a| a.value).filter(Account::may_sign_in) else {
            return Err(PortalAuthError::SignInAgain);
        };
        if failures.as_ref().is_some_and(|f| f.value.is_locked(now)) {
            return Err(PortalAuthError::SignInAgain);
        }

        if !code_matches(&challenge.code_hash, &challenge.salt, code) {
            let mut next = challenge.clone();
            next.wrong_attempts += 1;
            let attempts_left = next.attempts_left();
            let (counted, locked) = SignInFailures::after_wrong_code(failures.as_ref().map(|f| &f.value), now);
            let challenge_write = if attempts_left == 0 {
                state.store.delete_challenge_write(challenge_id, version)
            } else {
                state.store.update_challenge_write(&next, version)?
            };
            let failures_write =
                state.store.sign_in_failures_write(email.as_str(), &counted, failures.as_ref().map(|f| f.version))?;
            let wrong = CodeChecked::Wrong { attempts_left, locked, email: email.clone(), home: account.home() };
            return Ok(Attempt::Commit(vec![challenge_write, failures_write], wrong));
        }

        let cookie_value = generate_secret();
        let csrf_token = generate_secret();
        let session = Session::new(email.clone(), csrf_token.clone(), account.credentials_version, now)
            .idle_for(account.actor_type.session_idle_minutes());
        let writes = vec![
            state.store.delete_challenge_write(challenge_id, version),
            state.store.create_session_write(&token_hash(&cookie_value), &session)?,
            state.store.clear_sign_in_failures_write(email.as_str()),
            state.store.last_sign_in_write(email.as_str(), now)?,
        ];
        let session = NewSession { cookie_value, account, csrf_token };
        Ok(Attempt::Commit(writes, CodeChecked::Right(Box::new(session))))
    })
    .await;
    let checked = match checked {
        Ok(checked) => checked,
        Err(e) => {
            if matches!(e, PortalAuthError::SignInAgain) {
                let record = AuditRecord::new(
                    AuditActor::anonymous(None),
                    "signIn.code",
                    format!("challenge {challenge_id}"),
                    Outcome::Denied,
                )
                .reason("challenge unknown, expired or spent, or account no longer allowed");
                audit::record(state, record).await;
            }
            return Err(e);
        }
    };
    match checked {
        CodeChecked::Wrong { attempts_left, locked, email, home } => {
            log_lockout(locked);
            let reason = if locked { "wrong code: account locked" } else { "wrong code" };
            audit_sign_in(state, &email, Some(home), "signIn.code", Outcome::Denied, reason).await;
            Err(if attempts_left == 0 {
                PortalAuthError::SignInAgain
            } else {
                PortalAuthError::WrongCode { attempts_left }
            })
        }
        CodeChecked::Right(session) => {
            tracing::info!(challenge_id = %challenge_id, "portal session opened");
            let home = Some(session.account.home());
            audit_sign_in(state, &session.account.email, home, "signIn.code", Outcome::Granted, "session opened").await;
            Ok(*session)
        }
    }
}

/// What a committed answer to a challenge was: a wrong code, counted (the answer is then an
/// error), or the right one, which opened a session.
enum CodeChecked {
    Wrong { attempts_left: u32, locked: bool, email: Email, home: OrgId },
    Right(Box<NewSession>),
}

/// Records a sign-in step in the journal of the account's organisation (`home`), or of the
/// platform for an address with no account.
async fn audit_sign_in(
    state: &AppState,
    email: &Email,
    home: Option<OrgId>,
    action: &str,
    outcome: Outcome,
    reason: &str,
) {
    let actor = match &home {
        Some(org) => AuditActor::account(email.as_str(), Some(org.clone())),
        None => AuditActor::anonymous(Some(email.as_str())),
    };
    audit::record(state, AuditRecord::new(actor, action, email.as_str(), outcome).reason(reason).in_chain_of(home))
        .await;
}
