//! "Gestion des abonnements" on the portal: an organisation's subscriptions as its local
//! administrators and technical delegates see and change them — the activation date, the access
//! mode and its API credentials (the secret shown once; the previous one valid a while after a
//! regeneration), the technical delegate, the notification frequency and address, and the
//! latest e-mail deliveries (where an administrator learns that the address bounces).

use chrono::{DateTime, Duration, Utc};
use serde_json::{Value, json};
use uuid::Uuid;

use super::{
    Checker, ExchangeError,
    accounts::{self, AccountsError},
    notify, refused, time_or_null,
};
use crate::{
    auth::{generate_secret, hash_secret},
    domain::{
        AccessMode, ApiClient, Contact, Email, NotificationFrequency, OrgRef, Scope, SecretHash, Subscription,
        SubscriptionStatus, format_time, parse_time,
    },
    state::AppState,
    store::{StoreError, Versioned},
};

/// How long the previous secret keeps working after a regeneration, so that a running
/// integration can switch without downtime.
pub const SECRET_OVERLAP_HOURS: i64 = 24;
/// How many recent deliveries the detail shows.
pub const DELIVERIES_SHOWN: usize = 20;

/// Who looks: the organisations whose subscriptions the person reads, and those whose
/// subscriptions it changes (a technical delegate holds, in each organisation it serves, the
/// roles that organisation gave it).
pub struct Viewer {
    pub organisations: Vec<OrgRef>,
    pub managed: Vec<OrgRef>,
}

fn among(orgs: &[OrgRef], s: &Subscription) -> bool {
    orgs.iter().any(|o| o.company_register == s.siret && o.branch_code == s.branch_code)
}

fn serves(viewer: &Viewer, s: &Subscription) -> bool {
    among(&viewer.organisations, s)
}

/// A subscription it may read, if it may also change it.
async fn load_managed(state: &AppState, viewer: &Viewer, id: Uuid) -> Result<Versioned<Subscription>, ExchangeError> {
    if viewer.managed.is_empty() {
        return Err(ExchangeError::Forbidden);
    }
    let s = load(state, viewer, id).await?;
    if among(&viewer.managed, &s.value) { Ok(s) } else { Err(ExchangeError::Forbidden) }
}

/// The API client of a subscription in API mode: one per subscription.
pub fn client_id(s: &Subscription) -> String {
    format!("si-{}-{}-{}", s.siret, s.branch_code, s.process_code.as_str().to_lowercase())
}

async fn load(state: &AppState, viewer: &Viewer, id: Uuid) -> Result<Versioned<Subscription>, ExchangeError> {
    match state.store.subscription_by_id(id).await? {
        Some(s) if serves(viewer, &s.value) => Ok(s),
        // Another organisation's subscription does not exist for this person.
        _ => Err(ExchangeError::NotFound("Subscription is not found")),
    }
}

async fn row(state: &AppState, s: &Subscription, now: DateTime<Utc>) -> Result<Value, ExchangeError> {
    let procedure = state.store.procedure(&s.process_code).await?;
    Ok(json!({
        "id": s.id,
        "processCode": s.process_code,
        "procedureTitle": procedure.as_ref().map(|p| p.title.clone()),
        "operator": procedure.map(|p| p.operator),
        "datapassId": s.datapass_id,
        "accessMode": s.access_mode,
        "technicalDelegate": s.delegation_actor.as_ref().map(|d| d.email.clone()),
        "status": s.effective_status(now),
        "activateDateTime": time_or_null(s.activate_date_time),
        "endDateTime": time_or_null(s.end_date_time),
        "notificationFrequency": s.notification_frequency,
        "email": s.email,
        "subscriber": {"siret": s.siret, "branchCode": s.branch_code},
    }))
}

/// The subscriptions of every organisation the person acts for.
///
/// # Errors
/// Store failures.
pub async fn list(state: &AppState, viewer: &Viewer) -> Result<Value, ExchangeError> {
    let now = state.clock.now();
    let mut rows = Vec::new();
    for org in &viewer.organisations {
        for s in state.store.subscriptions_of_organisation(&org.company_register, &org.branch_code).await? {
            rows.push(row(state, &s, now).await?);
        }
    }
    Ok(json!({"items": rows}))
}

/// The detail: the list's row, the instructing service, the responsible administrator, the
/// validation and update dates, the API client (never its secrets) and the latest deliveries.
///
/// # Errors
/// `NotFound` for a subscription of another organisation.
pub async fn detail(state: &AppState, viewer: &Viewer, id: Uuid) -> Result<Value, ExchangeError> {
    let s = load(state, viewer, id).await?.value;
    let mut body = row(state, &s, state.clock.now()).await?;
    let org = state.store.organisation(&s.siret, &s.branch_code).await?;
    body["subscriber"]["name"] = json!(org.map(|o| o.name));
    body["localAdministrator"] = json!(s.local_administrator.as_ref().map(|a| a.email.clone()));
    body["validateDateTime"] = time_or_null(s.validate_date_time);
    body["updateDateTime"] = time_or_null(s.update_date_time);
    let client = state.store.api_client(&client_id(&s)).await?.filter(|c| !c.disabled);
    body["apiClient"] = json!(client.map(|c| json!({
        "clientId": c.client_id,
        "secrets": c.secrets.iter().map(|x| json!({"created": format_time(x.created), "expires": time_or_null(x.expires)})).collect::<Vec<_>>(),
    })));
    let deliveries = notify::delivery_state(state, s.id, DELIVERIES_SHOWN).await?;
    body["deliveries"] = json!(
        deliveries
            .iter()
            .map(|d| json!({
                "dateTime": time_or_null(d.done_at),
                "status": d.status,
                "to": d.sent_to,
                "attempts": d.attempts,
                "lastError": d.last_error,
                "message": d.message,
            }))
            .collect::<Vec<_>>()
    );
    Ok(body)
}

/// Applies a change to a subscription the person may manage, with optimistic concurrency.
async fn change(
    state: &AppState,
    viewer: &Viewer,
    id: Uuid,
    apply: impl Fn(&mut Subscription) -> Result<(), ExchangeError>,
) -> Result<Subscription, ExchangeError> {
    for _ in 0..super::RETRIES {
        let Versioned { value: mut s, version } = load_managed(state, viewer, id).await?;
        apply(&mut s)?;
        s.update_date_time = Some(state.clock.now());
        match state.store.commit(vec![state.store.update_subscription_write(&s, version)?]).await {
            Ok(()) => return Ok(s),
            Err(StoreError::Conflict) => continue,
            Err(e) => return Err(e.into()),
        }
    }
    Err(ExchangeError::Busy)
}

/// "Activer l'abonnement": dossiers arrive from the chosen date (at once if it has come).
///
/// # Errors
/// `Refused` for a refused, suspended or ended subscription.
pub async fn activate(
    state: &AppState,
    viewer: &Viewer,
    id: Uuid,
    line: &str,
    body: &Value,
) -> Result<Value, ExchangeError> {
    let mut c = Checker::new(line);
    let date = c.root(body).and_then(|r| {
        c.parsed(r, "", "activateDateTime", true, 40, |s| {
            parse_time(s).ok_or_else(|| format!("\"{s}\" is not an RFC 3339 date-time"))
        })
    });
    let Some(date) = date.filter(|_| c.is_ok()) else { return Err(ExchangeError::Invalid(c.problems)) };
    let now = state.clock.now();
    let s = change(state, viewer, id, |s| {
        if !matches!(s.status, SubscriptionStatus::Inactif | SubscriptionStatus::Actif) {
            return Err(refused(format!("A subscription {:?} cannot be activated", s.status)));
        }
        s.activate_date_time = Some(date);
        s.status = if date <= now { SubscriptionStatus::Actif } else { SubscriptionStatus::Inactif };
        Ok(())
    })
    .await?;
    row(state, &s, now).await
}

/// The notification frequency and address.
///
/// # Errors
/// `Invalid` for an unknown frequency or a malformed address.
pub async fn set_notifications(
    state: &AppState,
    viewer: &Viewer,
    id: Uuid,
    line: &str,
    body: &Value,
) -> Result<Value, ExchangeError> {
    let mut c = Checker::new(line);
    let parsed = c.root(body).map(|r| {
        let frequency = c.parsed(r, "", "notificationFrequency", true, 20, |s| {
            serde_json::from_value::<NotificationFrequency>(json!(s))
                .map_err(|_| format!("\"{s}\" is not a frequency (unitaire, quotidienne, biquotidienne, aucune)"))
        });
        let email = c.parsed(r, "", "email", false, 320, Email::parse);
        (frequency, email)
    });
    let Some((Some(frequency), email)) = parsed.filter(|_| c.is_ok()) else {
        return Err(ExchangeError::Invalid(c.problems));
    };
    if frequency != NotificationFrequency::Aucune && email.is_none() {
        return Err(refused("An address is needed to receive notifications"));
    }
    let s = change(state, viewer, id, |s| {
        s.notification_frequency = frequency;
        if email.is_some() {
            s.email = email.clone();
        }
        Ok(())
    })
    .await?;
    row(state, &s, state.clock.now()).await
}

/// The technical delegate, by e-mail (`null` removes it). An existing delegate account of
/// another organisation is invited (it has access once it accepts from the portal); a new
/// address gets a delegate account (`firstName` and `lastName` then required) and its
/// activation e-mail. The delegate removed or replaced is detached from the organisation,
/// unless another of its subscriptions names it.
///
/// # Errors
/// `Invalid` for a malformed address or a new delegate without names; `Refused` for an address
/// of an account that cannot be a delegate.
pub async fn set_delegate(
    state: &AppState,
    viewer: &Viewer,
    id: Uuid,
    line: &str,
    body: &Value,
) -> Result<Value, ExchangeError> {
    let mut c = Checker::new(line);
    let parsed = c.root(body).map(|r| {
        (
            c.parsed(r, "", "email", false, 320, Email::parse),
            c.string(r, "", "firstName", false, 255),
            c.string(r, "", "lastName", false, 255),
        )
    });
    let Some((email, first, last)) = parsed.filter(|_| c.is_ok()) else {
        return Err(ExchangeError::Invalid(c.problems));
    };
    let before = load_managed(state, viewer, id).await?.value;
    let org = crate::domain::OrgId { siret: before.siret.clone(), branch_code: before.branch_code.clone() };
    let accounts_error = |e| match e {
        AccountsError::Invalid(p) => ExchangeError::Invalid(p),
        AccountsError::Store(e) => ExchangeError::Store(e),
        AccountsError::Busy => ExchangeError::Busy,
        _ => refused("This address belongs to an account that cannot be a technical delegate"),
    };
    if let Some(email) = &email {
        accounts::ensure_delegate(state, email, &org, first.clone().zip(last.clone())).await.map_err(accounts_error)?;
    }
    let s = change(state, viewer, id, |s| {
        s.delegation_actor = email.clone().map(|email| Contact {
            email,
            first_name: first.clone(),
            last_name: last.clone(),
            function: None,
            phone_number: None,
            mobile_number: None,
        });
        Ok(())
    })
    .await?;
    // The delegate it replaces loses access to the organisation, unless another subscription
    // still names it.
    if let Some(previous) = before.delegation_actor.map(|d| d.email).filter(|p| Some(p) != email.as_ref()) {
        accounts::release_delegate(state, &org, &previous).await.map_err(accounts_error)?;
    }
    row(state, &s, state.clock.now()).await
}

/// Issues a new secret for the subscription's API client, creating or re-enabling it; the
/// previous secrets stay valid [`SECRET_OVERLAP_HOURS`] hours. The secret is in the answer only.
async fn issue_secret(state: &AppState, s: &Subscription) -> Result<Value, ExchangeError> {
    let now = state.clock.now();
    let secret = generate_secret();
    let hash = hash_secret(&secret).map_err(|e| ExchangeError::Store(StoreError::Corrupt(e.to_string())))?;
    let overlap = now + Duration::hours(SECRET_OVERLAP_HOURS);
    let mut client = state.store.api_client(&client_id(s)).await?.unwrap_or_else(|| ApiClient {
        client_id: client_id(s),
        scopes: vec![Scope::Si],
        siret: s.siret.clone(),
        branch_code: s.branch_code.clone(),
        process_code: Some(s.process_code.clone()),
        secrets: Vec::new(),
        disabled: false,
    });
    let was_disabled = client.disabled;
    client.disabled = false;
    client.secrets.retain(|x| x.expires.is_none_or(|e| e > now) && !was_disabled);
    for old in &mut client.secrets {
        old.expires = Some(old.expires.map_or(overlap, |e| e.min(overlap)));
    }
    client.secrets.push(SecretHash { hash, created: now, expires: None });
    // At most two: the new one and the most recent previous one.
    while client.secrets.len() > crate::domain::MAX_CLIENT_SECRETS {
        client.secrets.remove(0);
    }
    let previous_until = client.secrets.iter().rev().nth(1).and_then(|x| x.expires);
    state.store.save_api_client(&client).await?;
    tracing::info!(subscription_id = %s.id, "API credentials issued");
    Ok(
        json!({"clientId": client.client_id, "clientSecret": secret, "previousSecretValidUntil": time_or_null(previous_until)}),
    )
}

/// The access mode: `API` issues the client id and secret (shown once in this answer);
/// `PORTAIL` disables the API client.
///
/// # Errors
/// `Invalid` for another mode.
pub async fn set_access_mode(
    state: &AppState,
    viewer: &Viewer,
    id: Uuid,
    line: &str,
    body: &Value,
) -> Result<Value, ExchangeError> {
    let mut c = Checker::new(line);
    let mode = c.root(body).and_then(|r| {
        c.parsed(r, "", "accessMode", true, 7, |s| {
            serde_json::from_value::<AccessMode>(json!(s)).map_err(|_| format!("\"{s}\" is not PORTAIL or API"))
        })
    });
    let Some(mode) = mode.filter(|_| c.is_ok()) else { return Err(ExchangeError::Invalid(c.problems)) };
    let s = change(state, viewer, id, |s| {
        s.access_mode = Some(mode);
        Ok(())
    })
    .await?;
    let mut body = row(state, &s, state.clock.now()).await?;
    let existing = state.store.api_client(&client_id(&s)).await?;
    match mode {
        AccessMode::Api if existing.as_ref().is_none_or(|c| c.disabled) => {
            body["credentials"] = issue_secret(state, &s).await?;
        }
        AccessMode::Api => {}
        AccessMode::Portail => {
            if let Some(mut client) = existing.filter(|c| !c.disabled) {
                client.disabled = true;
                state.store.save_api_client(&client).await?;
            }
        }
    }
    Ok(body)
}

/// "Régénérer" the secret of a subscription in API mode.
///
/// # Errors
/// `Refused` when the subscription is not in API mode; `Forbidden` without the management role.
pub async fn regenerate_secret(state: &AppState, viewer: &Viewer, id: Uuid) -> Result<Value, ExchangeError> {
    let s = load_managed(state, viewer, id).await?.value;
    if s.access_mode != Some(AccessMode::Api) {
        return Err(refused("The subscription is not in API mode"));
    }
    issue_secret(state, &s).await
}
