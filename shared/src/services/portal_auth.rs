//! Portal sign-in and sessions: password then e-mailed code, the session behind the
//! `__Host-hubee_session` cookie, sign-out, activation and reset links, the lockout after repeated
//! failures. The rules (expiries, counts) are in `domain::sign_in`; the routes and the
//! decisions in docs/PORTAL-API.md.
//!
//! Nothing here logs personal data: no address, name, code or token.

use serde::Serialize;
use serde_json::{Value, json};
use uuid::Uuid;

use super::{Attempt, Checker, Contended, optimistic, token::DUMMY_HASH};
use crate::{
    auth::{
        generate_secret, hash_secret,
        portal::{code_matches, generate_code, hash_code, same_secret, token_hash},
        verify_secret,
    },
    domain::{
        Account, CODE_VALIDITY_MINUTES, Email, LINK_VALIDITY_HOURS, LinkPurpose, LinkToken, MailItem, MailMessage,
        OrgId, ResetRequests, Session, SignInChallenge, SignInFailures, password_problems,
    },
    ports::{MailError, Write},
    state::AppState,
    store::{StoreError, Versioned},
    templates,
};

/// Long enough for any password the rule accepts and any older one; bounds the hashing work.
const MAX_PASSWORD_INPUT: usize = 1024;

#[derive(Debug, thiserror::Error)]
pub enum PortalAuthError {
    /// Schema problems of the body, one line each.
    #[error("invalid request")]
    Invalid(Vec<String>),
    /// Unknown address, wrong password, suspended or locked account, no password yet: one
    /// answer for all, so that nobody learns which.
    #[error("invalid credentials")]
    InvalidCredentials,
    #[error("wrong code")]
    WrongCode { attempts_left: u32 },
    /// The challenge expired, was used, or ran out of attempts.
    #[error("sign in again")]
    SignInAgain,
    /// An activation or reset link that is unknown, expired, used or void.
    #[error("invalid link")]
    InvalidLink,
    /// What the new password lacks, one message each.
    #[error("weak password")]
    WeakPassword(Vec<String>),
    /// No session cookie.
    #[error("not signed in")]
    NotSignedIn,
    /// A session cookie that no longer opens a session (unknown, expired, suspended account,
    /// password changed): the session is ended and the cookie should be cleared.
    #[error("session ended")]
    SessionEnded,
    #[error("missing or wrong CSRF token")]
    Csrf,
    #[error("account not found")]
    AccountNotFound,
    #[error("sending an e-mail failed")]
    Mail(#[source] MailError),
    #[error("too many concurrent changes")]
    Busy,
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Internal(anyhow::Error),
}

impl Contended for PortalAuthError {
    fn busy() -> Self {
        PortalAuthError::Busy
    }
}

/// The answers' messages, stable: the web front maps them to French.
pub const INVALID_CREDENTIALS: &str = "Invalid e-mail address or password";
pub const SIGN_IN_AGAIN: &str = "This code has expired or can no longer be used: sign in again";
pub const INVALID_LINK: &str = "This link is invalid, has expired or was already used: ask for a new one";
pub const NOT_SIGNED_IN: &str = "Not signed in, or the session has expired: sign in again";
pub const CSRF_REFUSED: &str = "Missing or wrong X-CSRF-Token header";

/// `Wrong code: 4 attempts left`.
pub fn wrong_code_message(attempts_left: u32) -> String {
    let plural = if attempts_left == 1 { "" } else { "s" };
    format!("Wrong code: {attempts_left} attempt{plural} left")
}

// ---------------------------------------------------------------------------------------------
// Bodies
// ---------------------------------------------------------------------------------------------

/// Reads the string fields of a body, listing every problem.
fn strings<const N: usize>(
    line: &str,
    body: &Value,
    fields: [(&str, usize); N],
) -> Result<[String; N], PortalAuthError> {
    let mut c = Checker::new(line);
    let Some(root) = c.root(body) else {
        return Err(PortalAuthError::Invalid(c.problems));
    };
    let values = fields.map(|(name, max)| c.string(root, "", name, true, max));
    if !c.is_ok() {
        return Err(PortalAuthError::Invalid(c.problems));
    }
    Ok(values.map(Option::unwrap_or_default))
}

fn email_field(line: &str, value: &str) -> Result<Email, PortalAuthError> {
    Email::parse(value).map_err(|e| {
        let mut c = Checker::new(line);
        c.problem(".email", e);
        PortalAuthError::Invalid(c.problems)
    })
}

/// A secret as `Debug` shows it: never.
struct Redacted;

impl std::fmt::Debug for Redacted {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("<redacted>")
    }
}

/// `POST /portail/v1/session` `{email, password}`.
#[derive(Clone)]
pub struct SignIn {
    pub email: Email,
    pub password: String,
}

impl std::fmt::Debug for SignIn {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SignIn").field("email", &self.email).field("password", &Redacted).finish()
    }
}

impl SignIn {
    /// Reads the body; `line` (`METHOD /path`) names the request in the problems.
    ///
    /// # Errors
    /// `Invalid` for a malformed body or e-mail address.
    pub fn parse(line: &str, body: &Value) -> Result<Self, PortalAuthError> {
        let [email, password] = strings(line, body, [("email", 320), ("password", MAX_PASSWORD_INPUT)])?;
        Ok(Self { email: email_field(line, &email)?, password })
    }
}

/// `POST /portail/v1/session/otp` `{challengeId, code}`.
#[derive(Clone)]
pub struct CodeAnswer {
    pub challenge_id: Uuid,
    /// As typed, without surrounding blanks.
    pub code: String,
}

impl std::fmt::Debug for CodeAnswer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CodeAnswer").field("challenge_id", &self.challenge_id).field("code", &Redacted).finish()
    }
}

impl CodeAnswer {
    /// Reads the body; `line` (`METHOD /path`) names the request in the problems.
    ///
    /// # Errors
    /// `Invalid` for a malformed body or challenge id.
    pub fn parse(line: &str, body: &Value) -> Result<Self, PortalAuthError> {
        let [challenge_id, code] = strings(line, body, [("challengeId", 64), ("code", 32)])?;
        let Ok(challenge_id) = Uuid::parse_str(challenge_id.trim()) else {
            let mut c = Checker::new(line);
            c.problem(".challengeId", "Input string is not a valid UUID");
            return Err(PortalAuthError::Invalid(c.problems));
        };
        Ok(Self { challenge_id, code: code.trim().to_owned() })
    }
}

/// `POST /portail/v1/password/forgotten` `{email}`.
#[derive(Clone, Debug)]
pub struct ForgottenPassword {
    /// `None` when the text is no e-mail address: answered as any other, nothing is sent.
    pub email: Option<Email>,
}

impl ForgottenPassword {
    /// Reads the body; `line` (`METHOD /path`) names the request in the problems.
    ///
    /// # Errors
    /// `Invalid` when the body has no `email` string.
    pub fn parse(line: &str, body: &Value) -> Result<Self, PortalAuthError> {
        let [email] = strings(line, body, [("email", 320)])?;
        Ok(Self { email: Email::parse(&email).ok() })
    }
}

/// `POST /portail/v1/password` `{token, password}`: a link's token and the password to set.
#[derive(Clone)]
pub struct NewPassword {
    pub token: String,
    pub password: String,
}

impl std::fmt::Debug for NewPassword {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NewPassword").field("token", &Redacted).field("password", &Redacted).finish()
    }
}

impl NewPassword {
    /// Reads the body; `line` (`METHOD /path`) names the request in the problems. What the
    /// password lacks is the use case's to say.
    ///
    /// # Errors
    /// `Invalid` for a malformed body.
    pub fn parse(line: &str, body: &Value) -> Result<Self, PortalAuthError> {
        let [token, password] = strings(line, body, [("token", 256), ("password", MAX_PASSWORD_INPUT)])?;
        Ok(Self { token, password })
    }
}

// ---------------------------------------------------------------------------------------------
// Hashing off the async workers
// ---------------------------------------------------------------------------------------------

/// argon2 takes tens of milliseconds of CPU: it runs on the blocking pool.
async fn password_matches(password: String, phc: String) -> bool {
    tokio::task::spawn_blocking(move || verify_secret(&password, &phc)).await.unwrap_or(false)
}

async fn hash_password(password: String) -> Result<String, PortalAuthError> {
    tokio::task::spawn_blocking(move || hash_secret(&password))
        .await
        .map_err(|e| PortalAuthError::Internal(e.into()))?
        .map_err(PortalAuthError::Internal)
}

// ---------------------------------------------------------------------------------------------
// Failures and lockout
// ---------------------------------------------------------------------------------------------

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
/// `InvalidCredentials`, `Mail` when the code cannot be sent.
pub async fn sign_in(state: &AppState, command: SignIn) -> Result<ChallengeSent, PortalAuthError> {
    let SignIn { email, password } = command;
    let (account, failures) = state.store.account_for_sign_in(email.as_str()).await?;
    let now = state.clock.now();
    let phc = account.as_ref().and_then(|a| a.value.password_hash.clone());
    let password_ok = password_matches(password, phc.clone().unwrap_or_else(|| DUMMY_HASH.to_owned())).await;
    if failures.as_ref().is_some_and(|f| f.value.is_locked(now)) {
        return Err(PortalAuthError::InvalidCredentials);
    }
    // An unknown address counts its failures too (in an item that expires): the same work and
    // the same writes as a known one, so that timing tells nobody which addresses have accounts.
    let account = account.map(|a| a.value).filter(|_| password_ok && phc.is_some());
    let Some(account) = account else {
        record_wrong_password(state, &email, failures).await?;
        return Err(PortalAuthError::InvalidCredentials);
    };
    if !account.may_sign_in() {
        return Err(PortalAuthError::InvalidCredentials);
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
    Ok(ChallengeSent { challenge_id: challenge.id, email: account.email })
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
            let wrong = CodeChecked::Wrong { attempts_left, locked };
            return Ok(Attempt::Commit(vec![challenge_write, failures_write], wrong));
        }

        let cookie_value = generate_secret();
        let csrf_token = generate_secret();
        let session = Session::new(email.clone(), csrf_token.clone(), account.credentials_version, now);
        let writes = vec![
            state.store.delete_challenge_write(challenge_id, version),
            state.store.create_session_write(&token_hash(&cookie_value), &session)?,
            state.store.clear_sign_in_failures_write(email.as_str()),
        ];
        let session = NewSession { cookie_value, account, csrf_token };
        Ok(Attempt::Commit(writes, CodeChecked::Right(Box::new(session))))
    })
    .await?;
    match checked {
        CodeChecked::Wrong { attempts_left, locked } => {
            log_lockout(locked);
            Err(if attempts_left == 0 {
                PortalAuthError::SignInAgain
            } else {
                PortalAuthError::WrongCode { attempts_left }
            })
        }
        CodeChecked::Right(session) => {
            tracing::info!(challenge_id = %challenge_id, "portal session opened");
            Ok(*session)
        }
    }
}

/// What a committed answer to a challenge was: a wrong code, counted (the answer is then an
/// error), or the right one, which opened a session.
enum CodeChecked {
    Wrong { attempts_left: u32, locked: bool },
    Right(Box<NewSession>),
}

// ---------------------------------------------------------------------------------------------
// Sessions
// ---------------------------------------------------------------------------------------------

/// A request's session, once checked.
#[derive(Clone, Debug)]
pub struct Authenticated {
    pub account: Account,
    /// The session's key (the hash of its cookie value), to end it.
    pub session_id: String,
    pub csrf_token: String,
}

/// Ends a session that should not open anymore; a failure is logged (the session expires anyway).
async fn end_session(state: &AppState, session_id: &str, reason: &'static str) {
    match state.store.delete_session(session_id).await {
        Ok(()) => tracing::info!(reason, "portal session ended"),
        Err(e) => tracing::warn!(error = %e, reason, "ending a portal session failed"),
    }
}

/// Checks a request's session cookie and, for a state-changing request, its CSRF token; pushes
/// the idle expiry back at most once a minute. Two GetItems (the session, the account), and a
/// write at most once a minute.
///
/// # Errors
/// `NotSignedIn` without a cookie; `SessionEnded` (after ending it) for an unknown or expired
/// session, a suspended account, or a password changed since; `Csrf` when a state-changing
/// request lacks the session's token.
pub async fn authenticate(
    state: &AppState,
    cookie_value: Option<&str>,
    csrf_header: Option<&str>,
    changes_state: bool,
) -> Result<Authenticated, PortalAuthError> {
    let cookie_value = cookie_value.filter(|c| !c.is_empty()).ok_or(PortalAuthError::NotSignedIn)?;
    let session_id = token_hash(cookie_value);
    let Some(Versioned { value: session, version }) = state.store.session(&session_id).await? else {
        return Err(PortalAuthError::SessionEnded);
    };
    let now = state.clock.now();
    if session.is_expired(now) {
        end_session(state, &session_id, "expired").await;
        return Err(PortalAuthError::SessionEnded);
    }
    let account = state.store.account(session.email.as_str()).await?;
    let Some(account) = account.filter(|a| a.active) else {
        end_session(state, &session_id, "account suspended or removed").await;
        return Err(PortalAuthError::SessionEnded);
    };
    if account.credentials_version != session.credentials_version {
        end_session(state, &session_id, "password changed").await;
        return Err(PortalAuthError::SessionEnded);
    }
    if changes_state && !csrf_header.is_some_and(|h| same_secret(h.trim(), &session.csrf_token)) {
        return Err(PortalAuthError::Csrf);
    }
    if let Some(refreshed) = session.refreshed(now) {
        match state.store.refresh_session(&session_id, &refreshed, version).await {
            // Refreshed or ended by a concurrent request: either way, nothing to add.
            Ok(()) | Err(StoreError::Conflict) => {}
            Err(e) => tracing::warn!(error = %e, "pushing a session's expiry back failed"),
        }
    }
    Ok(Authenticated { account, session_id, csrf_token: session.csrf_token })
}

/// `DELETE /portail/v1/session`.
///
/// # Errors
/// When the store fails.
pub async fn sign_out(state: &AppState, session_id: &str) -> Result<(), PortalAuthError> {
    state.store.delete_session(session_id).await?;
    tracing::info!(reason = "sign-out", "portal session ended");
    Ok(())
}

/// The signed-in person as `GET /portail/v1/me` shows it: its roles and habilitations at home,
/// each organisation it acts for with what it may do there, and the invitations it has not
/// answered (one GetItem per organisation, for its name).
///
/// # Errors
/// When the store fails.
pub async fn profile(state: &AppState, account: &Account, csrf_token: &str) -> Result<Value, PortalAuthError> {
    let name = |o: &OrgId| {
        let o = o.clone();
        async move { state.store.organisation(&o.siret, &o.branch_code).await.map(|org| org.map(|org| org.name)) }
    };
    let mut organisations = Vec::new();
    for o in account.organisations() {
        let (roles, habilitations) = match account.delegation(&o).filter(|_| o != account.home()) {
            Some(d) => (&d.roles, &d.habilitations),
            None => (&account.roles, &account.habilitations),
        };
        organisations.push(json!({
            "siret": o.siret, "branchCode": o.branch_code, "name": name(&o).await?,
            "roles": roles, "habilitations": habilitations,
        }));
    }
    let mut invitations = Vec::new();
    for d in account.invitations() {
        let o = &d.organisation;
        invitations.push(json!({
            "siret": o.siret, "branchCode": o.branch_code, "name": name(o).await?,
            "invitedAt": super::time_or_null(d.invited_at),
        }));
    }
    Ok(json!({
        "email": account.email,
        "firstName": account.first_name,
        "lastName": account.last_name,
        "actorType": account.actor_type,
        "organisations": organisations,
        "invitations": invitations,
        "roles": account.roles,
        "habilitations": account.habilitations,
        "csrfToken": csrf_token,
    }))
}

// ---------------------------------------------------------------------------------------------
// Activation and reset links
// ---------------------------------------------------------------------------------------------

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
