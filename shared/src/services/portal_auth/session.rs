//! The session behind the `__Host-hubee_session` cookie: checking it (and the CSRF token) on
//! each request, signing out, and the signed-in person's profile.

use serde::Serialize;

use super::PortalAuthError;
use crate::{
    auth::portal::{same_secret, token_hash},
    domain::{Account, ActorType, BranchCode, Email, OrgId, ProcessCode, Role, Siret, format_time},
    state::AppState,
    store::{StoreError, Versioned},
};

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
    // Roles and habilitations change mid-session: one that now needs a second factor
    // ProConnect did not use ends the session (signing in again asks ProConnect for it).
    if session.proconnect.as_ref().is_some_and(|pc| !pc.second_factor)
        && crate::services::proconnect::second_factor_needed(state, &account).await?
    {
        end_session(state, &session_id, "second factor now needed").await;
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

/// `DELETE /portail/v1/session`: ends the hub's session first; for a session ProConnect
/// opened, answers where to sign out of ProConnect next (its end-session address).
///
/// # Errors
/// When the store fails.
pub async fn sign_out(state: &AppState, session_id: &str) -> Result<Option<String>, PortalAuthError> {
    let session = state.store.session(session_id).await?;
    state.store.delete_session(session_id).await?;
    tracing::info!(reason = "sign-out", "portal session ended");
    Ok(match session {
        Some(s) => crate::services::proconnect::end_session_url(state, &s.value).await,
        None => None,
    })
}

/// The signed-in person as `GET /portail/v1/me` shows it.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Profile {
    pub email: Email,
    pub first_name: String,
    pub last_name: String,
    pub actor_type: ActorType,
    /// Each organisation it acts for, its own first, with what it may do there.
    pub organisations: Vec<ProfileOrganisation>,
    /// The delegations offered that it has not answered.
    pub invitations: Vec<ProfileInvitation>,
    /// Its roles and habilitations at home.
    pub roles: Vec<Role>,
    pub habilitations: Vec<ProcessCode>,
    pub csrf_token: String,
}

/// An organisation the person acts for, and what it may do there.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ProfileOrganisation {
    pub siret: Siret,
    pub branch_code: BranchCode,
    pub name: Option<String>,
    pub roles: Vec<Role>,
    pub habilitations: Vec<ProcessCode>,
}

/// An organisation that invited the person (a technical delegate) to serve it.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ProfileInvitation {
    pub siret: Siret,
    pub branch_code: BranchCode,
    pub name: Option<String>,
    pub invited_at: Option<String>,
}

/// The signed-in person as `GET /portail/v1/me` shows it: its roles and habilitations at home,
/// each organisation it acts for with what it may do there, and the invitations it has not
/// answered (one GetItem per organisation, for its name).
///
/// # Errors
/// When the store fails.
pub async fn profile(state: &AppState, account: &Account, csrf_token: &str) -> Result<Profile, PortalAuthError> {
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
        organisations.push(ProfileOrganisation {
            name: name(&o).await?,
            siret: o.siret,
            branch_code: o.branch_code,
            roles: roles.clone(),
            habilitations: habilitations.clone(),
        });
    }
    let mut invitations = Vec::new();
    for d in account.invitations() {
        let o = &d.organisation;
        invitations.push(ProfileInvitation {
            siret: o.siret.clone(),
            branch_code: o.branch_code.clone(),
            name: name(o).await?,
            invited_at: d.invited_at.map(format_time),
        });
    }
    Ok(Profile {
        email: account.email.clone(),
        first_name: account.first_name.clone(),
        last_name: account.last_name.clone(),
        actor_type: account.actor_type,
        organisations,
        invitations,
        roles: account.roles.clone(),
        habilitations: account.habilitations.clone(),
        csrf_token: csrf_token.to_owned(),
    })
}
