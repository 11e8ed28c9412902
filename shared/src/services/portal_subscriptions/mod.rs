//! "Gestion des abonnements" on the portal: an organisation's subscriptions as its local
//! administrators and technical delegates see and change them — the activation date, the access
//! mode and its API credentials (the secret shown once; the previous one valid a while after a
//! regeneration), the technical delegate, the notification frequency and address, and the
//! latest e-mail deliveries (where an administrator learns that the address bounces).

use std::sync::OnceLock;

use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::{
    Attempt, ExchangeError,
    accounts::{self, AccountsError},
    notify, optimistic, refused,
};
use crate::{
    auth::{generate_secret, hash_secret},
    domain::{
        AccessMode, Account, ActorType, ApiClient, Contact, CredentialChange, CredentialEvent, Email, MailItem,
        MailMessage, NotificationFrequency, OrgId, OrgRef, OrgType, Role, Scope, Subscription, SubscriptionStatus,
    },
    state::AppState,
    store::{StoreError, Versioned},
};

mod commands;
mod views;

pub use commands::{AccessModeChange, Activation, DelegateChange, NotificationSettings, SecretRegeneration};
pub use views::{
    AccessModeView, ApiClientState, ApiClientView, CredentialEventView, CredentialsView, DeliveryView, SecretDates,
    SubscriberView, SubscriptionDetail, SubscriptionList, SubscriptionRow,
};

/// How long the previous secret keeps working after a regeneration, so that a running
/// integration can switch without downtime.
pub use crate::domain::SECRET_OVERLAP_HOURS;
/// How many recent deliveries the detail shows.
pub const DELIVERIES_SHOWN: usize = 20;
/// How many recent changes of the API access the detail shows.
pub const CREDENTIAL_EVENTS_SHOWN: usize = 20;

/// Who looks: the organisations whose subscriptions the person reads, those whose
/// subscriptions it changes (a technical delegate holds, in each organisation it serves, the
/// roles that organisation gave it), and who it is (the changes of API access record it).
pub struct Viewer {
    pub organisations: Vec<OrgRef>,
    pub managed: Vec<OrgRef>,
    pub email: Email,
}

impl Viewer {
    /// The signed-in person as these pages see it: reading needs "Consultation des abonnements"
    /// (or its management role), changing needs "Gestion des abonnements" — each in the
    /// subscription's organisation. The handler calls this before reading the body, so that a
    /// person without the role gets 403 before any 400.
    ///
    /// # Errors
    /// `Forbidden` when it may read no organisation's subscriptions.
    pub fn of(account: &Account) -> Result<Self, ExchangeError> {
        // Portal accounts belong to instructing services, hence the `SI` type.
        let si = |o: OrgId| OrgRef { org_type: OrgType::Si, company_register: o.siret, branch_code: o.branch_code };
        let organisations: Vec<OrgRef> =
            account.organisations_with(Role::ReadSubscriptions).into_iter().map(si).collect();
        if organisations.is_empty() {
            return Err(ExchangeError::Forbidden);
        }
        let managed = account.organisations_with(Role::ManageSubscriptions).into_iter().map(si).collect();
        Ok(Self { organisations, managed, email: account.email.clone() })
    }
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
        _ => Err(ExchangeError::NotFound(super::subscriptions::NOT_FOUND)),
    }
}

/// The list's row of `s` at `now`, with its procedure's title and operator.
async fn row(state: &AppState, s: &Subscription, now: DateTime<Utc>) -> Result<SubscriptionRow, ExchangeError> {
    let procedure = state.store.procedure(&s.process_code).await?;
    Ok(SubscriptionRow::of(s, procedure.as_ref(), now))
}

/// The subscriptions of every organisation the person acts for.
///
/// # Errors
/// Store failures.
pub async fn list(state: &AppState, viewer: &Viewer) -> Result<SubscriptionList, ExchangeError> {
    let now = state.clock.now();
    let mut rows = Vec::new();
    for org in &viewer.organisations {
        for s in state.store.subscriptions_of_organisation(&org.company_register, &org.branch_code).await? {
            rows.push(row(state, &s, now).await?);
        }
    }
    Ok(SubscriptionList { items: rows })
}

/// The detail: the list's row, the instructing service, the responsible administrator, the
/// validation and update dates, the API client (never its secrets) and the latest deliveries.
///
/// # Errors
/// `NotFound` for a subscription of another organisation.
pub async fn detail(state: &AppState, viewer: &Viewer, id: Uuid) -> Result<SubscriptionDetail, ExchangeError> {
    let s = load(state, viewer, id).await?.value;
    let row = row(state, &s, state.clock.now()).await?;
    let org = state.store.organisation(&s.siret, &s.branch_code).await?;
    let client = state.store.api_client(&client_id(&s)).await?.filter(|c| !c.disabled);
    let history = state.store.credential_events(&s, CREDENTIAL_EVENTS_SHOWN).await?;
    let deliveries = notify::delivery_state(state, s.id, DELIVERIES_SHOWN).await?;
    Ok(SubscriptionDetail::of(&s, row, org.map(|o| o.name), client.as_ref(), history, deliveries))
}

/// Applies a change to a subscription the person may manage, with optimistic concurrency.
async fn change(
    state: &AppState,
    viewer: &Viewer,
    id: Uuid,
    apply: impl Fn(&mut Subscription) -> Result<(), ExchangeError>,
) -> Result<Subscription, ExchangeError> {
    let apply = &apply;
    optimistic::<_, ExchangeError, _, _>(state, || async move {
        let Versioned { value: mut s, version } = load_managed(state, viewer, id).await?;
        apply(&mut s)?;
        s.update_date_time = Some(state.clock.now());
        Ok(Attempt::Commit(vec![state.store.update_subscription_write(&s, version)?], s))
    })
    .await
}

/// "Activer l'abonnement": dossiers arrive from the chosen date (at once if it has come).
///
/// # Errors
/// `Refused` for a refused, suspended or ended subscription.
pub async fn activate(
    state: &AppState,
    viewer: &Viewer,
    id: Uuid,
    command: Activation,
) -> Result<SubscriptionRow, ExchangeError> {
    let date = command.activate_date_time;
    let now = state.clock.now();
    if activation_in_the_past(date, now) {
        return Err(refused(PAST_ACTIVATION));
    }
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

/// The answer to an activation date before today.
pub const PAST_ACTIVATION: &str = "The activation date cannot be in the past: choose today or a later day";

/// Whether `date` falls on a day before today, days as in Paris (the portal's calendar picks a
/// day, sent as its midnight in Paris): dossiers cannot have been received from then.
fn activation_in_the_past(date: DateTime<Utc>, now: DateTime<Utc>) -> bool {
    use chrono_tz::Europe::Paris;
    date.with_timezone(&Paris).date_naive() < now.with_timezone(&Paris).date_naive()
}

/// The notification frequency and address.
///
/// # Errors
/// `Refused` when notifications are wanted without an address.
pub async fn set_notifications(
    state: &AppState,
    viewer: &Viewer,
    id: Uuid,
    command: NotificationSettings,
) -> Result<SubscriptionRow, ExchangeError> {
    let NotificationSettings { frequency, email } = command;
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
/// `Invalid` for a new delegate without names; `Refused` for an address of an account that
/// cannot be a delegate.
pub async fn set_delegate(
    state: &AppState,
    viewer: &Viewer,
    id: Uuid,
    command: DelegateChange,
) -> Result<SubscriptionRow, ExchangeError> {
    let DelegateChange { email, first_name: first, last_name: last } = command;
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

/// What a change of the API access does to the client: a new secret (with the previous one
/// kept [`SECRET_OVERLAP_HOURS`] hours, or revoked at once), or disabling it.
#[derive(Clone, Copy)]
enum ClientChange {
    IssueSecret { revoke_previous: bool },
    RevokePrevious,
    Disable,
}

/// The client after `change`, from what is stored (`None`: no client yet); `Refused` when there
/// is nothing to revoke.
fn changed_client(
    s: &Subscription,
    stored: Option<&ApiClient>,
    change: ClientChange,
    hash: Option<&str>,
    now: DateTime<Utc>,
) -> Result<ApiClient, ExchangeError> {
    let mut client = stored.cloned().unwrap_or_else(|| ApiClient {
        client_id: client_id(s),
        scopes: vec![Scope::Si],
        siret: s.siret.clone(),
        branch_code: s.branch_code.clone(),
        process_code: Some(s.process_code.clone()),
        secrets: Vec::new(),
        disabled: false,
        subscription_suspended: false,
        tokens_not_before: None,
    });
    match change {
        ClientChange::IssueSecret { revoke_previous } => {
            let hash = hash.ok_or_else(|| ExchangeError::Store(StoreError::Corrupt("no secret hash".into())))?;
            client.add_secret(hash.to_owned(), revoke_previous, now);
        }
        ClientChange::RevokePrevious => {
            client.secrets.retain(|x| x.expires.is_none_or(|e| e > now));
            let newest = client.secrets.iter().rposition(|x| x.expires.is_none());
            let Some(newest) = newest.filter(|_| client.secrets.len() > 1) else {
                return Err(refused("There is no previous secret to revoke"));
            };
            let kept = client.secrets.remove(newest);
            client.secrets = vec![kept];
            client.revoke_tokens(now);
        }
        ClientChange::Disable => client.disable(now),
    }
    Ok(client)
}

/// One change of a subscription's API access, committed at once with its record and the e-mails
/// to every local administrator of the organisation: `mode` sets the access mode (and says what it
/// does to the client), otherwise `change` applies to the client alone. Returns the subscription,
/// the client, and the new secret when one was issued.
async fn change_access(
    state: &AppState,
    viewer: &Viewer,
    id: Uuid,
    mode: Option<AccessMode>,
    change: Option<ClientChange>,
) -> Result<(Subscription, Option<ApiClient>, Option<String>), ExchangeError> {
    let secret = &generate_secret();
    // Hashed once, and only when a secret is issued: argon2 takes tens of milliseconds.
    let hash = &OnceLock::<String>::new();
    let (s, client, issued, event_id) = optimistic::<_, ExchangeError, _, _>(state, || async move {
        let Versioned { value: mut s, version } = load_managed(state, viewer, id).await?;
        let now = state.clock.now();
        let cid = client_id(&s);
        let stored = state.store.versioned_api_client(&cid).await?;
        let current = stored.as_ref().map(|c| &c.value);
        let from = s.access_mode;
        // What the client needs: a mode change to API issues a secret only when there is no
        // enabled client; PORTAIL disables an enabled one.
        let change = match mode {
            Some(AccessMode::Api) => {
                current.is_none_or(|c| c.disabled).then_some(ClientChange::IssueSecret { revoke_previous: false })
            }
            Some(AccessMode::Portail) => current.filter(|c| !c.disabled).map(|_| ClientChange::Disable),
            None => {
                if s.access_mode != Some(AccessMode::Api) {
                    return Err(refused("The subscription is not in API mode"));
                }
                change
            }
        };
        if matches!(change, Some(ClientChange::IssueSecret { .. })) && hash.get().is_none() {
            let hashed = hash_secret(secret).map_err(|e| ExchangeError::Store(StoreError::Corrupt(e.to_string())))?;
            // Set once: the attempts run one after the other.
            let _ = hash.set(hashed);
        }
        let client = match change {
            Some(c) => Some(changed_client(&s, current, c, hash.get().map(String::as_str), now)?),
            None => None,
        };
        let record = match (mode, change) {
            (Some(to), c) if from != Some(to) || c.is_some() => Some(CredentialChange::AccessMode {
                from,
                to,
                secret_issued: matches!(c, Some(ClientChange::IssueSecret { .. })),
            }),
            (Some(_), _) => None,
            (None, Some(ClientChange::IssueSecret { .. })) => Some(CredentialChange::SecretRegenerated {
                previous_valid_until: client
                    .as_ref()
                    .and_then(|c| c.secrets.iter().rev().nth(1))
                    .and_then(|x| x.expires),
            }),
            (None, Some(ClientChange::RevokePrevious)) => Some(CredentialChange::PreviousSecretRevoked),
            (None, _) => None,
        };
        let Some(record) = record else {
            return Ok(Attempt::Done((s, current.cloned(), None, None)));
        };
        let mut writes = Vec::new();
        if mode.is_some() {
            s.access_mode = mode;
            s.update_date_time = Some(now);
            writes.push(state.store.update_subscription_write(&s, version)?);
        }
        if let Some(c) = &client {
            writes.push(state.store.api_client_write(c, stored.as_ref().map(|v| v.version))?);
        }
        let event = record_and_notify(state, viewer, &s, &cid, record, now, &mut writes).await?;
        let issued = matches!(change, Some(ClientChange::IssueSecret { .. })).then(|| secret.clone());
        Ok(Attempt::Commit(writes, (s, client.or_else(|| stored.map(|v| v.value)), issued, Some(event.id))))
    })
    .await?;
    if let Some(event_id) = event_id {
        tracing::info!(subscription_id = %s.id, %event_id, "API access changed");
    }
    Ok((s, client, issued))
}

/// Adds to `writes` the record of a change and one e-mail per active local administrator of the
/// subscription's organisation; returns the record.
async fn record_and_notify(
    state: &AppState,
    viewer: &Viewer,
    s: &Subscription,
    client_id: &str,
    change: CredentialChange,
    now: DateTime<Utc>,
    writes: &mut Vec<crate::ports::Write>,
) -> Result<CredentialEvent, ExchangeError> {
    let org = OrgId { siret: s.siret.clone(), branch_code: s.branch_code.clone() };
    let admins = local_administrators(state, &org).await?;
    let event = CredentialEvent {
        id: state.ids.new_id(),
        subscription_id: s.id,
        siret: s.siret.clone(),
        branch_code: s.branch_code.clone(),
        process_code: s.process_code.clone(),
        client_id: client_id.to_owned(),
        change,
        actor: viewer.email.clone(),
        date_time: now,
        notified: admins.clone(),
    };
    writes.push(state.store.create_credential_event_write(&event)?);
    for to in admins {
        let message = MailMessage::CredentialsChanged { to, event: Box::new(event.clone()) };
        writes.push(state.store.create_mail_write(&MailItem::new(state.ids.new_id(), message, now))?);
    }
    Ok(event)
}

/// The most local administrators one change e-mails (a transaction's room, less its other writes).
const MAX_NOTIFIED_ADMINISTRATORS: usize = 90;

/// The active local administrators of an organisation (its own, not delegates), by address, as
/// many as one transaction may e-mail besides the change itself.
///
/// # Errors
/// When the store fails.
pub(crate) async fn local_administrators(state: &AppState, org: &OrgId) -> Result<Vec<Email>, StoreError> {
    let mut admins: Vec<Email> = state
        .store
        .accounts_of_organisation(org)
        .await?
        .into_iter()
        .filter(|a| a.active && a.actor_type == ActorType::LocalAdmin && a.home() == *org)
        .map(|a| a.email)
        .collect();
    admins.sort_by(|a, b| a.as_str().cmp(b.as_str()));
    // One transaction holds at most 100 writes: the change, its record, the e-mails.
    admins.truncate(MAX_NOTIFIED_ADMINISTRATORS);
    Ok(admins)
}

/// The access mode: `API` issues the client id and secret (shown once in this answer);
/// `PORTAIL` disables the API client. Every change is recorded and e-mailed to the
/// organisation's local administrators.
///
/// # Errors
/// `Forbidden` without the management role.
pub async fn set_access_mode(
    state: &AppState,
    viewer: &Viewer,
    id: Uuid,
    command: AccessModeChange,
) -> Result<AccessModeView, ExchangeError> {
    let (s, client, secret) = change_access(state, viewer, id, Some(command.access_mode), None).await?;
    let row = row(state, &s, state.clock.now()).await?;
    let credentials = secret.is_some().then(|| CredentialsView::of(client.as_ref(), secret));
    Ok(AccessModeView { row, credentials })
}

/// "Régénérer" the secret of a subscription in API mode: the previous one keeps working
/// [`SECRET_OVERLAP_HOURS`] hours, unless `revokePrevious` is `true` (a leaked secret: it stops
/// at once, with every token issued before).
///
/// # Errors
/// `Refused` when the subscription is not in API mode; `Forbidden` without the management role.
pub async fn regenerate_secret(
    state: &AppState,
    viewer: &Viewer,
    id: Uuid,
    command: SecretRegeneration,
) -> Result<CredentialsView, ExchangeError> {
    let change = ClientChange::IssueSecret { revoke_previous: command.revoke_previous };
    let (_, client, secret) = change_access(state, viewer, id, None, Some(change)).await?;
    Ok(CredentialsView::of(client.as_ref(), secret))
}

/// Revokes the previous secret at once, before its overlap ends, and every token issued before.
///
/// # Errors
/// `Refused` when the subscription is not in API mode or there is no previous secret;
/// `Forbidden` without the management role.
pub async fn revoke_previous_secret(
    state: &AppState,
    viewer: &Viewer,
    id: Uuid,
) -> Result<ApiClientState, ExchangeError> {
    let (_, client, _) = change_access(state, viewer, id, None, Some(ClientChange::RevokePrevious)).await?;
    Ok(ApiClientState { api_client: client.as_ref().map(ApiClientView::of) })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)] // Test code: a failed step is a failed test.

    use super::*;
    use crate::domain::parse_time;

    #[test]
    fn an_activation_date_before_today_in_paris_is_in_the_past() {
        // 23:30 in Paris on 7 December, 22:30 UTC.
        let now = parse_time("2026-12-07T22:30:00Z").unwrap();
        let day = |s: &str| parse_time(s).unwrap();
        assert!(activation_in_the_past(day("2020-01-01T00:00:00+01:00"), now));
        assert!(activation_in_the_past(day("2026-12-06T00:00:00+01:00"), now), "yesterday");
        assert!(!activation_in_the_past(day("2026-12-07T00:00:00+01:00"), now), "today, from its midnight");
        assert!(!activation_in_the_past(day("2026-12-08T00:00:00+01:00"), now), "tomorrow");
        // Just after midnight in Paris, still the 7th in UTC: the 7th is yesterday already.
        let after_midnight = parse_time("2026-12-07T23:30:00Z").unwrap();
        assert!(activation_in_the_past(day("2026-12-07T00:00:00+01:00"), after_midnight));
    }
}
