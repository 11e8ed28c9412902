//! Signing in with ProConnect (docs/PROCONNECT.md): the login sends the browser to ProConnect
//! with a fresh `state`, `nonce` and PKCE verifier kept by the hub; the callback consumes them,
//! exchanges the code, verifies the ID token and userinfo, finds the pre-enrolled account (by
//! the `sub` linked before, else by the address, which links it), checks its organisation and
//! the second factor its roles need — asking ProConnect for one once (step-up) — and opens a
//! session like the e-mailed code does. A login never creates an account. Every grant and
//! refusal is recorded in the audit journal.

use std::sync::Arc;

use serde_json::{Map, Value, json};

use super::{audit, portal_auth::NewSession};
use crate::{
    adapters::{Authorization, ProConnect, ProConnectError},
    auth::{
        generate_secret,
        oidc::pkce_challenge,
        portal::{same_secret, token_hash},
    },
    domain::{
        ACCEPTED_ACRS, Account, AuditActor, AuditRecord, Email, OrgId, Outcome, ProConnectIdentity, ProConnectLogin,
        ProConnectSession, Refusal, SECOND_FACTOR_ACRS, Session,
    },
    state::AppState,
    store::StoreError,
};

/// Where ProConnect sends the browser back, under the hub's public address.
pub const CALLBACK_PATH: &str = "/portail/v1/proconnect/callback";
/// Where ProConnect sends the browser after signing it out.
pub const POST_LOGOUT_PATH: &str = "/connexion";

/// The way to ProConnect: the authorization address, and the cookie binding the login to the
/// browser that started it (set with the redirect, sent back with the callback).
#[derive(Debug)]
pub struct LoginStart {
    pub url: String,
    pub browser_cookie: String,
}

/// What a callback ended in.
#[derive(Debug)]
pub enum Callback {
    /// A session is open.
    SignedIn(Box<NewSession>),
    /// The account needs a second factor ProConnect did not use: once more to ProConnect,
    /// asking for one.
    StepUp(LoginStart),
    /// Identified, but refused: the page says why, names the address and organisation
    /// ProConnect gave, and offers to sign out of ProConnect to try another account.
    Refused(Box<Refused>),
}

/// A refusal, with what its page shows.
#[derive(Debug)]
pub struct Refused {
    pub refusal: Refusal,
    pub email: Email,
    pub siret: Option<String>,
    /// To sign out of ProConnect ("try another account"): its end-session address.
    pub end_session_url: Option<String>,
}

/// Why a callback could not even identify the person: a generic page.
#[derive(Debug, thiserror::Error)]
pub enum CallbackError {
    /// ProConnect answered an error (`error=`): the person cancelled, or it could not identify.
    #[error("ProConnect answered {0}")]
    Provider(String),
    /// The `state` is unknown, expired, already used, or comes from another browser.
    #[error("the login is unknown, expired or already used")]
    LoginExpired,
    /// ProConnect did not answer, or answered tokens the hub refuses.
    #[error(transparent)]
    ProConnect(#[from] ProConnectError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// ProConnect as this hub is configured, or `None` (the button is not shown).
fn client(state: &AppState) -> Option<&Arc<ProConnect>> {
    state.proconnect.as_ref()
}

fn redirect_uri(state: &AppState) -> String {
    format!("{}{CALLBACK_PATH}", state.config.public_url.trim_end_matches('/'))
}

/// `POST /portail/v1/proconnect/login`: a new login, and where to send the browser.
/// `step_up_for`: the address of an account that needs a second factor, asked for essentially.
///
/// # Errors
/// `None` when ProConnect is not configured; ProConnect's or the store's errors.
pub async fn start_login(state: &AppState, step_up_for: Option<&Email>) -> Result<Option<LoginStart>, CallbackError> {
    let Some(proconnect) = client(state) else { return Ok(None) };
    let state_value = generate_secret();
    let browser_cookie = generate_secret();
    let login = ProConnectLogin {
        nonce: generate_secret(),
        code_verifier: generate_secret(),
        browser_hash: token_hash(&browser_cookie),
        step_up: step_up_for.is_some(),
        created_at: state.clock.now(),
    };
    state.store.create_proconnect_login(&token_hash(&state_value), &login).await?;
    let claims = step_up_for
        .map(|_| json!({"id_token": {"acr": {"essential": true, "values": SECOND_FACTOR_ACRS}}}).to_string());
    let acr_values = ACCEPTED_ACRS.join(" ");
    let url = proconnect
        .authorization_url(&Authorization {
            redirect_uri: &redirect_uri(state),
            state: &state_value,
            nonce: &login.nonce,
            code_challenge: &pkce_challenge(&login.code_verifier),
            acr_values: step_up_for.is_none().then_some(acr_values.as_str()),
            claims: claims.as_deref(),
            login_hint: step_up_for.map(Email::as_str),
        })
        .await?;
    Ok(Some(LoginStart { url, browser_cookie }))
}

/// What the callback's query carries.
#[derive(Debug, Default)]
pub struct CallbackParams {
    pub code: Option<String>,
    pub state: Option<String>,
    pub error: Option<String>,
}

/// `GET /portail/v1/proconnect/callback`: see the module.
///
/// # Errors
/// See [`CallbackError`]: each answers the generic page, and is recorded.
pub async fn callback(
    state: &AppState,
    params: CallbackParams,
    browser_cookie: Option<&str>,
) -> Result<Callback, CallbackError> {
    let outcome = identify(state, params, browser_cookie).await;
    if let Err(e) = &outcome {
        let record = AuditRecord::new(AuditActor::anonymous(None), "signIn.proconnect", "ProConnect", Outcome::Denied)
            .reason(format!("{e}"));
        audit::record(state, record).await;
        tracing::warn!(error = %e, "a ProConnect sign-in failed");
    }
    let (identity, id_token, step_up) = outcome?;
    decide(state, identity, id_token, step_up).await
}

/// The callback up to the verified identity: the login consumed, the code exchanged, the ID
/// token and userinfo verified.
async fn identify(
    state: &AppState,
    params: CallbackParams,
    browser_cookie: Option<&str>,
) -> Result<(ProConnectIdentity, String, bool), CallbackError> {
    let proconnect = client(state).ok_or(CallbackError::LoginExpired)?;
    if let Some(error) = params.error {
        // Only the code, which ProConnect's specification lists: nothing the browser wrote.
        let code: String = error.chars().filter(|c| c.is_ascii_alphanumeric() || *c == '_').take(64).collect();
        return Err(CallbackError::Provider(code));
    }
    let (Some(code), Some(state_value)) = (params.code, params.state) else {
        return Err(CallbackError::LoginExpired);
    };
    let login =
        state.store.take_proconnect_login(&token_hash(&state_value)).await?.ok_or(CallbackError::LoginExpired)?;
    let now = state.clock.now();
    let same_browser = browser_cookie.is_some_and(|c| same_secret(&token_hash(c), &login.browser_hash));
    if login.is_expired(now) || !same_browser {
        return Err(CallbackError::LoginExpired);
    }
    let tokens = proconnect.exchange(&code, &login.code_verifier, &redirect_uri(state)).await?;
    let id_claims = proconnect.verify(&tokens.id_token, now).await?;
    let nonce_ok = id_claims.get("nonce").and_then(Value::as_str).is_some_and(|n| same_secret(n, &login.nonce));
    if !nonce_ok {
        return Err(ProConnectError::Refused("the ID token's nonce is missing or not this login's".into()).into());
    }
    let info = proconnect.userinfo(&tokens.access_token, now).await?;
    let identity = identity_of(&id_claims, &info)?;
    Ok((identity, tokens.id_token, login.step_up))
}

/// The person, from the ID token (subject, levels) and userinfo (the "identité pivot"), which
/// must be about the same subject.
fn identity_of(id: &Map<String, Value>, info: &Map<String, Value>) -> Result<ProConnectIdentity, ProConnectError> {
    let text = |m: &Map<String, Value>, k: &str| m.get(k).and_then(Value::as_str).map(str::to_owned);
    let sub = text(id, "sub").ok_or_else(|| ProConnectError::Refused("the ID token has no sub".into()))?;
    if text(info, "sub").as_deref() != Some(sub.as_str()) {
        return Err(ProConnectError::Refused("userinfo is about another subject".into()));
    }
    let pick = |k: &str| text(info, k).or_else(|| text(id, k));
    let email = pick("email").ok_or_else(|| ProConnectError::Refused("no e-mail address".into()))?;
    let email = Email::parse(&email).map_err(|e| ProConnectError::Refused(format!("the e-mail address: {e}")))?;
    let amr = id
        .get("amr")
        .and_then(Value::as_array)
        .map_or_else(Vec::new, |a| a.iter().filter_map(Value::as_str).map(str::to_owned).collect());
    Ok(ProConnectIdentity {
        sub,
        email,
        given_name: pick("given_name"),
        usual_name: pick("usual_name"),
        siret: pick("siret"),
        idp_id: pick("idp_id"),
        acr: text(id, "acr"),
        amr,
    })
}

/// What the hub does with an identity: which account, whether it may open a session.
async fn decide(
    state: &AppState,
    identity: ProConnectIdentity,
    id_token: String,
    step_up: bool,
) -> Result<Callback, CallbackError> {
    let (account, version) = match find_account(state, &identity).await? {
        Ok(found) => found,
        Err(refusal) => return refuse(state, &identity, None, refusal, &id_token).await,
    };
    let home = Some(account.home());
    if !account.active {
        return refuse(state, &identity, home, Refusal::Suspended, &id_token).await;
    }
    let serves_it =
        identity.siret.as_deref().is_some_and(|s| account.organisations().iter().any(|o| o.siret.as_str() == s));
    if !serves_it {
        let refusal = Refusal::OrganisationMismatch { siret: identity.siret.clone() };
        return refuse(state, &identity, home, refusal, &id_token).await;
    }
    let second_factor = identity.second_factor();
    if !second_factor && second_factor_needed(state, &account).await? {
        if !step_up {
            let record = AuditRecord::new(
                AuditActor::account(account.email.as_str(), home.clone()),
                "signIn.proconnect",
                account.email.as_str(),
                Outcome::Denied,
            )
            .reason("second factor needed: asked ProConnect for it")
            .in_chain_of(home);
            audit::record(state, record).await;
            let again = start_login(state, Some(&account.email)).await?.ok_or(CallbackError::LoginExpired)?;
            return Ok(Callback::StepUp(again));
        }
        return refuse(state, &identity, home, Refusal::SecondFactorMissing, &id_token).await;
    }
    open_session(state, account, version, &identity, id_token, second_factor).await
}

/// Whether ProConnect must have used a second factor for `account` to sign in: an
/// administrator, or an account habilitated on a sensitive procedure (at home, or in an
/// organisation it serves) — one batch read of those procedures.
///
/// # Errors
/// When the store fails.
pub async fn second_factor_needed(state: &AppState, account: &Account) -> Result<bool, StoreError> {
    if account.needs_second_factor() {
        return Ok(true);
    }
    let mut codes: Vec<&crate::domain::ProcessCode> = Vec::new();
    let served = account.delegations.iter().filter(|d| d.is_accepted()).flat_map(|d| d.habilitations.iter());
    for code in account.habilitations.iter().chain(served) {
        if !codes.contains(&code) {
            codes.push(code);
        }
    }
    if codes.is_empty() {
        return Ok(false);
    }
    let mut reads = crate::store::Reads::new();
    let slots: Vec<_> = codes.iter().map(|code| reads.procedure(code)).collect();
    let read = state.store.read_all(reads).await?;
    for slot in slots {
        if read.get(slot)?.is_some_and(|p| p.sensitive) {
            return Ok(true);
        }
    }
    Ok(false)
}

/// The account of this identity: by the `sub` linked before, else by its address (to be
/// linked); `Err` with the refusal when there is none, or when the `sub` belongs to another
/// address.
async fn find_account(
    state: &AppState,
    identity: &ProConnectIdentity,
) -> Result<Result<(Account, i64), Refusal>, CallbackError> {
    if let Some(linked) = state.store.account_of_proconnect_sub(&identity.sub).await?
        && linked != identity.email
    {
        return Ok(Err(Refusal::AddressChanged { linked }));
    }
    let (account, _) = state.store.account_for_sign_in(identity.email.as_str()).await?;
    let Some(account) = account else { return Ok(Err(Refusal::UnknownAgent)) };
    match account.value.proconnect_sub.as_deref() {
        // Linked to another ProConnect identity: this one is not that account's holder.
        Some(sub) if sub != identity.sub => Ok(Err(Refusal::UnknownAgent)),
        _ => Ok(Ok((account.value, account.version))),
    }
}

/// Opens the session (linking the `sub` at the account's first ProConnect sign-in), in one
/// transaction.
async fn open_session(
    state: &AppState,
    mut account: Account,
    version: i64,
    identity: &ProConnectIdentity,
    id_token: String,
    second_factor: bool,
) -> Result<Callback, CallbackError> {
    let now = state.clock.now();
    let cookie_value = generate_secret();
    let csrf_token = generate_secret();
    let session = Session::new(account.email.clone(), csrf_token.clone(), account.credentials_version, now)
        .idle_for(account.actor_type.session_idle_minutes())
        .through_proconnect(ProConnectSession { second_factor, id_token });
    let mut writes = vec![
        state.store.create_session_write(&token_hash(&cookie_value), &session)?,
        state.store.last_sign_in_write(account.email.as_str(), now)?,
    ];
    let linking = account.proconnect_sub.is_none();
    if linking {
        account.proconnect_sub = Some(identity.sub.clone());
        writes.extend(state.store.link_proconnect_writes(&account, version)?);
    }
    state.store.commit(writes).await?;
    let home = Some(account.home());
    let reason = match (linking, second_factor) {
        (true, true) => "session opened, ProConnect identity linked, second factor used",
        (true, false) => "session opened, ProConnect identity linked",
        (false, true) => "session opened, second factor used",
        (false, false) => "session opened",
    };
    let record = AuditRecord::new(
        AuditActor::account(account.email.as_str(), home.clone()),
        "signIn.proconnect",
        account.email.as_str(),
        Outcome::Granted,
    )
    .reason(reason)
    .in_chain_of(home);
    audit::record(state, record).await;
    tracing::info!(linked = linking, second_factor, "portal session opened through ProConnect");
    Ok(Callback::SignedIn(Box::new(NewSession { cookie_value, account, csrf_token })))
}

async fn refuse(
    state: &AppState,
    identity: &ProConnectIdentity,
    home: Option<OrgId>,
    refusal: Refusal,
    id_token: &str,
) -> Result<Callback, CallbackError> {
    let actor = match &home {
        Some(org) => AuditActor::account(identity.email.as_str(), Some(org.clone())),
        None => AuditActor::anonymous(Some(identity.email.as_str())),
    };
    let reason = format!("refused: {} (siret {})", refusal.code(), identity.siret.as_deref().unwrap_or("none"));
    let record = AuditRecord::new(actor, "signIn.proconnect", identity.email.as_str(), Outcome::Denied)
        .reason(reason)
        .in_chain_of(home);
    audit::record(state, record).await;
    tracing::info!(refusal = refusal.code(), "a ProConnect sign-in was refused");
    let end_session_url = match client(state) {
        Some(p) => p.end_session_url(id_token, &post_logout_uri(state), &generate_secret()).await.ok().flatten(),
        None => None,
    };
    Ok(Callback::Refused(Box::new(Refused {
        refusal,
        email: identity.email.clone(),
        siret: identity.siret.clone(),
        end_session_url,
    })))
}

fn post_logout_uri(state: &AppState) -> String {
    format!("{}{POST_LOGOUT_PATH}", state.config.public_url.trim_end_matches('/'))
}

/// Where the browser goes once the hub's session of `session` is ended: ProConnect's
/// end-session address with the session's ID token, for a session ProConnect opened.
pub async fn end_session_url(state: &AppState, session: &Session) -> Option<String> {
    let (Some(proconnect), Some(pc)) = (client(state), session.proconnect.as_ref()) else { return None };
    match proconnect.end_session_url(&pc.id_token, &post_logout_uri(state), &generate_secret()).await {
        Ok(url) => url,
        Err(e) => {
            tracing::warn!(error = %e, "ProConnect's end-session address is unknown: signed out of the hub only");
            None
        }
    }
}
