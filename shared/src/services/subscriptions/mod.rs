//! The subscriptions referential, `/referential/v1/subscriptions` (CONTRACT.md,
//! "Subscriptions"): create with the accounts a subscription names, list, read, update, and the
//! scheduled activation of the subscriptions whose date has come. Decisions: docs/API-REFERENTIAL.md.

use std::collections::HashSet;

use uuid::Uuid;

use super::{Attempt, ExchangeError, accounts, optimistic, portal_auth, refused};
use crate::{
    auth::Claims,
    domain::{
        Account, ActorType, Contact, Email, OrgId, OrgType, Organisation, Procedure, ProcessCode, Scope, Subscription,
        SubscriptionStatus,
    },
    ports::Write,
    state::AppState,
    store::{Reads, StoreError, Versioned},
};

mod body;
mod onboarding;
mod query;
mod views;

use body::SubscriptionBody;
pub use body::{NewSubscription, SubscriptionUpdate};
pub use query::SubscriptionQuery;
pub use views::{ContactDetails, ContactView, SubscriptionView};

/// Page size when `maxResult` is not given, and the largest page served (a larger `maxResult`
/// is accepted and capped).
pub const DEFAULT_MAX_RESULT: usize = 100;
pub const MAX_RESULT: usize = 1000;

/// The answer's message for an unknown subscription (also another organisation's, on the portal).
pub const NOT_FOUND: &str = "Subscription is not found";

// ---------------------------------------------------------------------------------------------
// Who may do what
// ---------------------------------------------------------------------------------------------

/// DataPass (the habilitation service) and the platform create subscriptions. The contract
/// answers this before any problem of the body: handlers check it before reading the body into
/// a [`NewSubscription`].
///
/// # Errors
/// `Forbidden` for operators and instructing services.
pub fn authorise_create(caller: &Claims) -> Result<(), ExchangeError> {
    match caller.scope {
        Scope::Datapass | Scope::Admin => Ok(()),
        Scope::Osl | Scope::Si => Err(ExchangeError::Forbidden),
    }
}

/// Only the platform updates them (the contract's `updateSubscription` security). Checked before
/// the body, as [`authorise_create`].
///
/// # Errors
/// `Forbidden` for any other scope.
pub fn authorise_update(caller: &Claims) -> Result<(), ExchangeError> {
    if caller.scope == Scope::Admin { Ok(()) } else { Err(ExchangeError::Forbidden) }
}

/// The platform and operators read subscriptions. Checked before the query string, as
/// [`authorise_create`] before the body.
///
/// # Errors
/// `Forbidden` for instructing services and DataPass.
pub fn authorise_list(caller: &Claims) -> Result<(), ExchangeError> {
    match caller.scope {
        Scope::Admin | Scope::Osl => Ok(()),
        Scope::Si | Scope::Datapass => Err(ExchangeError::Forbidden),
    }
}

/// What a reader may see: every subscription (the platform), or the subscriptions to the
/// procedures its organisation runs (an operator, by its organisation's `code`).
enum Reader {
    Platform,
    Operator(Option<String>),
}

impl Reader {
    async fn of(state: &AppState, caller: &Claims) -> Result<Self, ExchangeError> {
        match caller.scope {
            Scope::Admin => Ok(Reader::Platform),
            Scope::Osl => {
                let org = state.store.organisation(&caller.siret, &caller.branch).await?;
                Ok(Reader::Operator(org.filter(|o| o.org_type == OrgType::Osl).and_then(|o| o.code)))
            }
            Scope::Si | Scope::Datapass => Err(ExchangeError::Forbidden),
        }
    }

    fn runs(&self, procedure: &Procedure) -> bool {
        match self {
            Reader::Platform => true,
            Reader::Operator(code) => code.as_deref() == Some(procedure.operator.as_str()),
        }
    }

    async fn may_read(&self, state: &AppState, sub: &Subscription) -> Result<bool, ExchangeError> {
        Ok(match self {
            Reader::Platform => true,
            Reader::Operator(_) => state.store.procedure(&sub.process_code).await?.is_some_and(|p| self.runs(&p)),
        })
    }
}

// ---------------------------------------------------------------------------------------------
// Accounts
// ---------------------------------------------------------------------------------------------

/// The accounts to create for the people a subscription names that have none yet: in the
/// subscriber organisation, with their actor type's default roles, waiting for activation (no
/// password). An existing account with the same e-mail is kept as it is.
struct NewAccounts {
    writes: Vec<Write>,
    /// Who gets an activation e-mail once the transaction commits.
    emails: Vec<Email>,
}

async fn missing_accounts(
    state: &AppState,
    sub: &Subscription,
    people: &[(&Contact, ActorType)],
) -> Result<NewAccounts, ExchangeError> {
    let mut new = NewAccounts { writes: Vec::new(), emails: Vec::new() };
    let mut problems = Vec::new();
    let mut seen = HashSet::new();
    for (person, actor_type) in people {
        // One person named twice (administrator and delegate) gets one account.
        if !seen.insert(&person.email) || state.store.account(person.email.as_str()).await?.is_some() {
            continue;
        }
        let (Some(first_name), Some(last_name)) = (person.first_name.clone(), person.last_name.clone()) else {
            problems.push(format!(
                "No account exists for {}: firstName and lastName are needed to create it",
                person.email
            ));
            continue;
        };
        let org = OrgId { siret: sub.siret.clone(), branch_code: sub.branch_code.clone() };
        let account = Account {
            function: person.function.clone(),
            phone_number: person.phone_number.clone(),
            secondary_phone_number: person.mobile_number.clone(),
            ..Account::new(person.email.clone(), *actor_type, org, first_name, last_name)
        };
        new.writes.push(state.store.create_account_write(&account)?);
        new.emails.push(account.email);
    }
    if problems.is_empty() { Ok(new) } else { Err(ExchangeError::Refused(problems)) }
}

/// Once a subscription names another technical delegate: an existing delegate of another
/// organisation is invited (it has no access until it accepts from the portal), and the one it
/// replaces is detached unless another subscription of the organisation names it. The
/// subscription is committed: a failure is logged.
async fn delegate_changed(state: &AppState, sub: &Subscription, before: Option<&Contact>) {
    let after = sub.delegation_actor.as_ref().map(|d| &d.email);
    let before = before.map(|d| &d.email);
    if after == before {
        return;
    }
    let org = OrgId { siret: sub.siret.clone(), branch_code: sub.branch_code.clone() };
    if let Some(email) = after
        && let Err(e) = accounts::ensure_delegate(state, email, &org, None).await
    {
        tracing::warn!(kind = %e, "the technical delegate named by a subscription was not invited");
    }
    if let Some(email) = before
        && let Err(e) = accounts::release_delegate(state, &org, email).await
    {
        tracing::error!(kind = %e, "detaching a technical delegate no subscription names failed");
    }
}

/// E-mails each new account its activation link. The accounts are committed: a failure is
/// logged, not fatal (the person asks again through "forgotten password").
async fn send_activations(state: &AppState, emails: &[Email]) {
    for email in emails {
        if let Err(e) = portal_auth::issue_activation(state, email).await {
            tracing::error!(kind = %e, "sending an activation link failed");
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Create
// ---------------------------------------------------------------------------------------------

/// What a creation found in the referential, read together: the subscriber, the procedure, and
/// the subscription of one to the other if there is one.
struct Found {
    organisation: Option<Organisation>,
    procedure: Option<Procedure>,
    subscription: Option<Subscription>,
}

async fn read_referential(state: &AppState, new: &SubscriptionBody) -> Result<Found, ExchangeError> {
    let mut reads = Reads::new();
    let organisation = reads.organisation(&new.siret, &new.branch_code);
    let procedure = reads.procedure(&new.process_code);
    let subscription = reads.subscription(&new.siret, &new.branch_code, &new.process_code);
    let read = state.store.read_all(reads).await?;
    Ok(Found {
        organisation: read.get(organisation)?,
        procedure: read.get(procedure)?,
        subscription: read.get(subscription)?,
    })
}

/// The rules that need the referential: the subscriber is an open SI organisation — or one the
/// caller onboards (`newcomer`), whose creation is then the first write —, the procedure exists.
fn check_referential(
    state: &AppState,
    new: &SubscriptionBody,
    found: &Found,
    newcomer: Option<&Organisation>,
) -> Result<Vec<Write>, ExchangeError> {
    let mut problems = Vec::new();
    let mut writes = Vec::new();
    match (&found.organisation, newcomer) {
        (None, Some(newcomer)) => writes.push(state.store.organisation_write(newcomer, None)?),
        (None, None) => problems.push(format!("Subscriber {} does not exist", new.subscriber_name())),
        (Some(o), _) if o.org_type != OrgType::Si => problems.push(format!(
            "Subscriber {}-{} is not an instructing service (SI): only an SI subscribes to a procedure",
            new.siret, new.branch_code
        )),
        (Some(o), _) if o.is_closed() => {
            problems.push(format!("Subscriber {} is closed: it takes no new subscription", new.subscriber_name()));
        }
        (Some(_), _) => {}
    }
    if found.procedure.is_none() {
        problems.push(format!("Process {} does not exist", new.process_code));
    }
    if problems.is_empty() { Ok(writes) } else { Err(ExchangeError::Refused(problems)) }
}

/// `POST /subscriptions`: creates an `Inactif` subscription with the local administrator's
/// account and, when one is named, the technical delegate's, in one transaction — and, for
/// DataPass or the platform, the subscriber organisation when the referential does not know it
/// (onboarding, `onboarding.rs`). The same request again (same subscriber, procedure and
/// `datapassId`) answers the subscription it created and writes nothing.
///
/// # Errors
/// `Forbidden` unless DataPass or the platform, `Refused` for a subscriber that is not an open
/// SI organisation or an unknown procedure, `Conflict` when the organisation is already
/// subscribed under another `datapassId`.
pub async fn create_subscription(
    state: &AppState,
    caller: &Claims,
    new: NewSubscription,
) -> Result<SubscriptionView, ExchangeError> {
    authorise_create(caller)?;
    let NewSubscription(new) = new;
    if let Some(status) = new.status.filter(|s| *s != SubscriptionStatus::Inactif) {
        return Err(refused(format!(
            "A subscription is created Inactif, not {status}: change its status once it is created"
        )));
    }
    let new = &new;
    // An organisation the referential does not know is named before the transaction: the
    // directory is asked once, not on every attempt (a retried request finds it created).
    let newcomer = match state.store.organisation(&new.siret, &new.branch_code).await? {
        None if onboarding::may_onboard(caller) => Some(onboarding::newcomer(state, new).await),
        _ => None,
    };
    let newcomer = newcomer.as_ref();
    // The subscription, its organisation or an account appearing meanwhile makes the commit
    // lose: the next attempt sees it.
    let (sub, created, now) = optimistic::<_, ExchangeError, _, _>(state, || async move {
        let found = read_referential(state, new).await?;
        let now = state.clock.now();
        if let Some(existing) = found.subscription.as_ref().filter(|s| s.datapass_id == Some(new.datapass_id)) {
            // A retry: what the first request created, as it stands.
            return Ok(Attempt::Done((existing.clone(), None, now)));
        }
        let mut writes = check_referential(state, new, &found, newcomer)?;
        if found.subscription.is_some() {
            return Err(ExchangeError::Conflict(format!(
                "Subscription of {} to {} already exists",
                new.subscriber_name(),
                new.process_code
            )));
        }
        let mut sub = Subscription {
            create_date_time: Some(now),
            ..Subscription::new(
                state.ids.new_id(),
                (new.siret.clone(), new.branch_code.clone()),
                new.process_code.clone(),
                SubscriptionStatus::Inactif,
                new.notification_frequency,
            )
        };
        new.apply_to(&mut sub);
        writes.push(state.store.create_subscription_write(&sub)?);
        let mut people = Vec::new();
        if let Some(admin) = &sub.local_administrator {
            people.push((admin, ActorType::LocalAdmin));
        }
        if let Some(delegate) = &sub.delegation_actor {
            people.push((delegate, ActorType::TechnicalDelegate));
        }
        let accounts = missing_accounts(state, &sub, &people).await?;
        writes.extend(accounts.writes);
        let created = Created { emails: accounts.emails, organisation: found.organisation.is_none() };
        Ok(Attempt::Commit(writes, (sub, Some(created), now)))
    })
    .await?;
    match created {
        Some(Created { emails, organisation }) => {
            if organisation {
                tracing::info!(subscription_id = %sub.id, siret = %sub.siret, "organisation onboarded");
            }
            tracing::info!(subscription_id = %sub.id, process = %sub.process_code, "subscription created");
            send_activations(state, &emails).await;
            delegate_changed(state, &sub, None).await;
        }
        None => tracing::info!(subscription_id = %sub.id, "subscription request retried: answered what it created"),
    }
    Ok(SubscriptionView::created(&sub, now))
}

/// What a committed creation leaves to do: the activation e-mails of the accounts it created;
/// whether it created the organisation too.
struct Created {
    emails: Vec<Email>,
    organisation: bool,
}

// ---------------------------------------------------------------------------------------------
// Read
// ---------------------------------------------------------------------------------------------

/// `GET /subscriptions/{id}`.
///
/// # Errors
/// `NotFound`; `Forbidden` for an operator that does not run the procedure, and for scopes
/// other than OSL and ADMIN.
pub async fn get_subscription(state: &AppState, caller: &Claims, id: Uuid) -> Result<SubscriptionView, ExchangeError> {
    let reader = Reader::of(state, caller).await?;
    let sub = state.store.subscription_by_id(id).await?.ok_or(ExchangeError::NotFound(NOT_FOUND))?.value;
    if !reader.may_read(state, &sub).await? {
        return Err(ExchangeError::Forbidden);
    }
    Ok(SubscriptionView::of(&sub, state.clock.now()))
}

// ---------------------------------------------------------------------------------------------
// List
// ---------------------------------------------------------------------------------------------

/// One page of the listing and its `Content-Range` header.
#[derive(Debug)]
pub struct SubscriptionPage {
    pub items: Vec<SubscriptionView>,
    pub content_range: String,
}

/// The procedures whose subscriptions the reader may list, among those asked for (all when
/// none is).
async fn listed_procedures(
    state: &AppState,
    reader: &Reader,
    asked: &[ProcessCode],
) -> Result<Vec<ProcessCode>, ExchangeError> {
    if matches!(reader, Reader::Operator(None)) {
        return Ok(Vec::new());
    }
    if asked.is_empty() {
        return Ok(state.store.procedures().await?.into_iter().filter(|p| reader.runs(p)).map(|p| p.code).collect());
    }
    let mut codes = Vec::new();
    for code in asked {
        match reader {
            Reader::Platform => codes.push(code.clone()),
            Reader::Operator(_) => {
                if state.store.procedure(code).await?.is_some_and(|p| reader.runs(&p)) {
                    codes.push(code.clone());
                }
            }
        }
    }
    Ok(codes)
}

/// `GET /subscriptions`: the subscriptions the caller may see, filtered, sorted and paged.
/// Read procedure by procedure (GSI2), never by scanning; filtering, sorting and paging happen
/// in memory (docs/API-REFERENTIAL.md says why and where that stops scaling).
///
/// # Errors
/// `Forbidden` for scopes other than OSL and ADMIN.
pub async fn list_subscriptions(
    state: &AppState,
    caller: &Claims,
    q: SubscriptionQuery,
) -> Result<SubscriptionPage, ExchangeError> {
    let reader = Reader::of(state, caller).await?;
    page(state, &reader, q).await
}

/// Every subscription, filtered, sorted and paged as `GET /subscriptions` does for the ADMIN
/// scope: the national back office's listing.
///
/// # Errors
/// Store failures.
pub async fn list_every_subscription(
    state: &AppState,
    q: SubscriptionQuery,
) -> Result<SubscriptionPage, ExchangeError> {
    page(state, &Reader::Platform, q).await
}

async fn page(state: &AppState, reader: &Reader, q: SubscriptionQuery) -> Result<SubscriptionPage, ExchangeError> {
    let now = state.clock.now();
    let mut subs = Vec::new();
    for code in listed_procedures(state, reader, &q.process_codes).await? {
        subs.extend(state.store.subscriptions_of_procedure(&code).await?);
    }
    subs.retain(|s| q.matches(s, now));
    subs.sort_by(|a, b| q.compare(a, b, now));
    let total = subs.len();
    let items: Vec<_> = subs.iter().skip(q.offset).take(q.max_result).map(|s| SubscriptionView::of(s, now)).collect();
    let content_range = match items.len() {
        // No range to give: the form HTTP uses for an unsatisfiable range.
        0 => format!("subscriptions */{total}"),
        n => format!("subscriptions {}-{}/{total}", q.offset, q.offset + n - 1),
    };
    Ok(SubscriptionPage { items, content_range })
}

// ---------------------------------------------------------------------------------------------
// Update
// ---------------------------------------------------------------------------------------------

/// `PUT /subscriptions/{id}`: sets what the body gives (a field left out stays as it is,
/// `null` clears a nullable one, no `status` keeps the status), conditional on the version read.
/// The processCode and subscriber identify the subscription and cannot change.
///
/// # Errors
/// `Forbidden` unless the platform, `NotFound`, `Refused` for a changed identity or a new
/// contact without the names its account needs.
pub async fn update_subscription(
    state: &AppState,
    caller: &Claims,
    id: Uuid,
    update: SubscriptionUpdate,
) -> Result<SubscriptionView, ExchangeError> {
    authorise_update(caller)?;
    let SubscriptionUpdate(upd) = update;
    let upd = &upd;
    let (sub, changed, now) = optimistic::<_, ExchangeError, _, _>(state, || async move {
        let Versioned { value: current, version } =
            state.store.subscription_by_id(id).await?.ok_or(ExchangeError::NotFound(NOT_FOUND))?;
        let mut problems = Vec::new();
        if upd.process_code != current.process_code {
            problems.push(format!("processCode cannot change: subscription {id} is to {}", current.process_code));
        }
        if (&upd.siret, &upd.branch_code) != (&current.siret, &current.branch_code) {
            problems.push(format!(
                "subscriber cannot change: subscription {id} is of SI-{}-{}",
                current.siret, current.branch_code
            ));
        }
        if !problems.is_empty() {
            return Err(ExchangeError::Refused(problems));
        }
        let now = state.clock.now();
        let mut next = current.clone();
        // The status the caller reads: a due activation is taken in before the change.
        next.status = current.effective_status(now);
        upd.apply_to(&mut next);
        let was = current.effective_status(now);
        if next.status != was {
            match next.status {
                SubscriptionStatus::Actif if next.activate_date_time.is_none() => next.activate_date_time = Some(now),
                SubscriptionStatus::Refuse if next.reject_date_time.is_none() => next.reject_date_time = Some(now),
                _ => {}
            }
        }
        if next == current {
            return Ok(Attempt::Done((current, None, now)));
        }
        next.update_date_time = Some(now);
        let mut people = Vec::new();
        if let Some(admin) =
            next.local_administrator.as_ref().filter(|a| Some(*a) != current.local_administrator.as_ref())
        {
            people.push((admin, ActorType::LocalAdmin));
        }
        if let Some(delegate) = next.delegation_actor.as_ref().filter(|d| Some(*d) != current.delegation_actor.as_ref())
        {
            people.push((delegate, ActorType::TechnicalDelegate));
        }
        let mut writes = vec![state.store.update_subscription_write(&next, version)?];
        // A suspended or refused subscription disables its API clients; reactivated, it enables
        // them again (not one disabled by hand): in the same transaction as the status.
        writes.extend(state.store.follow_subscription_writes(&next, now).await?);
        let accounts = missing_accounts(state, &next, &people).await?;
        writes.extend(accounts.writes);
        let changed = Changed { emails: accounts.emails, delegate_before: current.delegation_actor };
        Ok(Attempt::Commit(writes, (next, Some(changed), now)))
    })
    .await?;
    if let Some(Changed { emails, delegate_before }) = changed {
        tracing::info!(subscription_id = %id, status = %sub.status, "subscription updated");
        send_activations(state, &emails).await;
        delegate_changed(state, &sub, delegate_before.as_ref()).await;
    }
    Ok(SubscriptionView::of(&sub, now))
}

/// What a committed update leaves to do: the activation e-mails of the accounts it created, and
/// the delegate it may have replaced.
struct Changed {
    emails: Vec<Email>,
    delegate_before: Option<Contact>,
}

// ---------------------------------------------------------------------------------------------
// Scheduled activation
// ---------------------------------------------------------------------------------------------

/// Stores `Actif` on every `Inactif` subscription whose activation date has come, and returns
/// how many it changed. Reads and intake already treat them as active; this makes the stored
/// status agree (run every minute by the local hub, by a schedule on AWS). Reads the sparse
/// activation index, never the whole table.
///
/// # Errors
/// When the store fails; a subscription changed meanwhile is left to the next run.
pub async fn activate_due(state: &AppState) -> Result<usize, ExchangeError> {
    let now = state.clock.now();
    let mut activated = 0;
    for due in state.store.subscriptions_due(now).await? {
        // The index may lag behind the table: re-read, and change only what is still due.
        let Some(Versioned { value, version }) =
            state.store.versioned_subscription(&due.siret, &due.branch_code, &due.process_code).await?
        else {
            continue;
        };
        if value.awaits_activation().is_none_or(|at| at > now) {
            continue;
        }
        let mut active = value;
        active.status = SubscriptionStatus::Actif;
        active.update_date_time = Some(now);
        let mut writes = vec![state.store.update_subscription_write(&active, version)?];
        // Its clients follow the status (nothing to do unless one was left disabled by it).
        writes.extend(state.store.follow_subscription_writes(&active, now).await?);
        match state.store.commit(writes).await {
            Ok(()) => {
                activated += 1;
                tracing::info!(subscription_id = %active.id, process = %active.process_code, "subscription activated");
            }
            // Updated meanwhile: the next run sees what it became.
            Err(StoreError::Conflict) => {}
            Err(e) => return Err(e.into()),
        }
    }
    Ok(activated)
}

#[cfg(test)]
mod tests {
    use serde_json::{Value, json};

    use super::{body::*, query::*, *};
    use crate::domain::{AccessMode, BranchCode, parse_time};

    const LINE: &str = "POST /referential/v1/subscriptions";

    fn body() -> Value {
        json!({
            "datapassId": 14632,
            "processCode": "CERTDC",
            "subscriber": {"type": "SI", "companyRegister": "11001401600015", "branchCode": "75108"},
            "accessMode": "API",
            "notificationFrequency": "unitaire",
            "email": "etat-civil@mairie-a.example",
            "activateDateTime": "2026-03-01T10:00:00.000+01:00",
            "localAdministrator": {"firstName": "George", "lastName": "DUBOIS", "email": "George.DUBOIS@admin.com",
                                   "phoneNumber": "+33658475847"},
            "delegationActor": {"firstName": "Pierre", "lastName": "DUBOIS", "email": "pierre.dubois@editeur.com"}
        })
    }

    fn pairs(q: &[(&str, &str)]) -> Vec<(String, String)> {
        q.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect()
    }

    #[test]
    fn a_valid_body_parses_with_its_contacts() {
        let b = parse_body(LINE, &body(), Purpose::Create, None).unwrap();
        assert_eq!(b.datapass_id, 14632);
        assert_eq!(b.local_administrator.email.as_str(), "george.dubois@admin.com");
        assert_eq!(b.local_administrator.phone_number.as_deref(), Some("+33658475847"));
        assert_eq!(b.access_mode, Change::Set(AccessMode::Api));
        assert_eq!(b.activate_date_time, Change::Set(parse_time("2026-03-01T09:00:00Z").unwrap()));
        assert!(matches!(b.delegation_actor, Change::Set(ref d) if d.first_name.as_deref() == Some("Pierre")));
        assert_eq!(b.status, None);
    }

    #[test]
    fn every_problem_of_a_body_is_listed() {
        let mut b = body();
        b.as_object_mut().unwrap().remove("datapassId");
        b["processCode"] = json!("x".repeat(31));
        b["subscriber"] = json!({"type": "OSL", "companyRegister": "123"});
        b["accessMode"] = json!("MAIL");
        b["notificationFrequency"] = json!("hebdomadaire");
        b["activateDateTime"] = json!("tomorrow");
        b["status"] = json!("Enabled");
        b["localAdministrator"] = json!({"email": "not-an-email", "phoneNumber": "12"});
        b["delegationActor"] = json!({"firstName": "P", "lastName": "D", "email": "p@editeur.COM"});
        let Err(ExchangeError::Invalid(problems)) = parse_body(LINE, &b, Purpose::Create, None) else {
            panic!("invalid")
        };
        let all = problems.join("\n");
        for needle in [
            "[\"datapassId\"]",
            "@body.processCode]",
            "@body.subscriber.type] Instance value (\"OSL\")",
            "@body.subscriber.companyRegister]",
            "[\"branchCode\"]",
            "@body.accessMode]",
            "@body.notificationFrequency]",
            "@body.activateDateTime]",
            "@body.status]",
            "[\"firstName\"]",
            "[\"lastName\"]",
            "@body.localAdministrator.email] ECMA 262 regex",
            "@body.localAdministrator.phoneNumber]",
            "@body.delegationActor.email]",
        ] {
            assert!(all.contains(needle), "{needle} missing from:\n{all}");
        }
        assert_eq!(problems.len(), 14, "{all}");
        assert!(problems.iter().all(|p| p.starts_with("[ERROR][REQUEST][POST /referential/v1/subscriptions @body")));
    }

    #[test]
    fn an_update_tells_absent_from_null() {
        let mut b = body();
        b.as_object_mut().unwrap().remove("accessMode");
        b["email"] = Value::Null;
        b["localAdministrator"] = json!({"email": "george.dubois@admin.com"});
        let id = Uuid::new_v4();
        b["id"] = json!(id);
        let u = parse_body("PUT /x", &b, Purpose::Update, Some(id)).unwrap();
        assert_eq!((u.access_mode, u.email), (Change::Keep, Change::Clear));
        b["id"] = json!(Uuid::new_v4());
        assert!(matches!(
            parse_body("PUT /x", &b, Purpose::Update, Some(id)),
            Err(ExchangeError::Invalid(p)) if p.len() == 1 && p[0].contains("@body.id]")
        ));
    }

    #[test]
    fn contact_patterns_are_the_contracts() {
        for ok in ["George.DUBOIS@admin.com", "a_b-c@x-y.example.fr", "a@bc.io", "etat-civil@mairie.paris"] {
            assert!(matches_email_pattern(ok), "{ok}");
        }
        for bad in ["a@b.fr", "a@bc.FR", "a@bc.f", "a@bc.fr1", "a b@bc.fr", "@bc.fr", "a@bc", "a+b@bc.fr"] {
            assert!(!matches_email_pattern(bad), "{bad}");
        }
        assert!(phone("+33658475847").is_ok() && phone("00658475847").is_ok());
        assert!(phone("06584758").is_err() && phone("+3365847584a").is_err() && phone("+").is_err());
    }

    #[test]
    fn the_list_query_is_checked_and_every_problem_listed() {
        let q = SubscriptionQuery::parse(
            "GET /l",
            &pairs(&[
                ("processCode", "CERTDC"),
                ("processCode[]", "EtatCivil,CERTDC"),
                ("status", "Refusé"),
                ("orderBy", "desc(activate_date_time)"),
                ("offSet", "5"),
                ("maxResult", "5000"),
                ("delegationActorEmail", "Pierre.DUBOIS@admin.com"),
                ("companyRegister", ""),
            ]),
        )
        .unwrap();
        assert_eq!(q.process_codes.iter().map(ProcessCode::as_str).collect::<Vec<_>>(), ["CERTDC", "EtatCivil"]);
        assert_eq!(q.status, Some(SubscriptionStatus::Refuse));
        assert_eq!(q.order, Some((Column::ActivateDateTime, true)));
        assert_eq!((q.offset, q.max_result), (5, MAX_RESULT));
        assert_eq!(q.delegation_actor_email.as_deref(), Some("pierre.dubois@admin.com"));
        assert_eq!(q.company_register, None, "an empty value is no filter");

        let Err(ExchangeError::Invalid(problems)) = SubscriptionQuery::parse(
            "GET /l",
            &pairs(&[
                ("processType", "CERTDC"),
                ("orderBy", "asc(name)"),
                ("offSet", "-1"),
                ("maxResult", "ten"),
                ("status", "Active"),
                ("companyRegister", "1234"),
                ("status", "Actif"),
            ]),
        ) else {
            panic!("invalid")
        };
        assert_eq!(
            problems[0],
            "[ERROR][REQUEST][GET /l @query.processType] Query parameter 'processType' is unexpected on path \"/subscriptions\""
        );
        assert_eq!(problems.len(), 7, "{problems:#?}");
        assert!(SubscriptionQuery::parse("GET /l", &pairs(&[("maxResult", "0")])).is_err());
        assert_eq!(parse_order("ASC( si_branch_code)"), Some((Column::SiBranchCode, false)));
        assert_eq!(parse_order("asc(si_branch_code"), None);
    }

    #[test]
    fn sorting_puts_empty_values_last_ascending_and_first_descending() {
        let now = parse_time("2026-06-01T00:00:00Z").unwrap();
        let sub = |branch: &str, activate: Option<&str>| {
            let mut b = parse_body(LINE, &body(), Purpose::Create, None).unwrap();
            b.branch_code = BranchCode::parse(branch).unwrap();
            let mut s = Subscription::new(
                Uuid::new_v4(),
                (b.siret.clone(), b.branch_code.clone()),
                b.process_code.clone(),
                SubscriptionStatus::Inactif,
                b.notification_frequency,
            );
            b.activate_date_time = activate.map_or(Change::Clear, |a| Change::Set(parse_time(a).unwrap()));
            b.apply_to(&mut s);
            s
        };
        let subs = [sub("1", None), sub("2", Some("2026-02-01T00:00:00Z")), sub("3", Some("2026-01-01T00:00:00Z"))];
        let order = |order: &str| {
            let q = SubscriptionQuery::parse("GET /l", &pairs(&[("orderBy", order)])).unwrap();
            let mut v: Vec<&Subscription> = subs.iter().collect();
            v.sort_by(|a, b| q.compare(a, b, now));
            v.iter().map(|s| s.branch_code.to_string()).collect::<Vec<_>>()
        };
        assert_eq!(order("asc(activate_date_time)"), ["3", "2", "1"]);
        assert_eq!(order("desc(activate_date_time)"), ["1", "2", "3"]);
        assert_eq!(order("desc(si_branch_code)"), ["3", "2", "1"]);
        assert_eq!(order("asc(status)"), ["2", "3", "1"], "due subscriptions sort as Actif");
    }

    // -----------------------------------------------------------------------------------------
    // Onboarding, on the embedded table
    // -----------------------------------------------------------------------------------------

    use std::sync::{
        Arc,
        atomic::{AtomicUsize, Ordering},
    };

    use crate::{
        domain::Siret,
        ports::{Directory, DirectoryError, Establishment},
    };

    /// A directory that knows every SIRET as the commune of Villeurbanne, and counts lookups.
    #[derive(Default)]
    struct Counting(AtomicUsize);

    #[async_trait::async_trait]
    impl Directory for Counting {
        async fn establishment(&self, siret: &Siret) -> Result<Option<Establishment>, DirectoryError> {
            self.0.fetch_add(1, Ordering::SeqCst);
            Ok(Some(Establishment {
                siret: siret.clone(),
                name: "COMMUNE DE VILLEURBANNE".into(),
                commune: None,
                postcode: None,
                closed: false,
            }))
        }
    }

    fn claims_of(state: &AppState, scope: Scope) -> Claims {
        let (siret, branch) = (Siret::parse("13002526500013").unwrap(), BranchCode::parse("00000").unwrap());
        let token = state.tokens.issue("datapass", scope, &siret, &branch, None, state.clock.now()).unwrap();
        state.tokens.verify(&token, state.clock.now()).unwrap()
    }

    fn onboarding(siret: &str, datapass_id: i64) -> NewSubscription {
        let body = json!({
            "datapassId": datapass_id, "processCode": "CERTDC",
            "subscriber": {"type": "SI", "companyRegister": siret, "branchCode": "69266"},
            "notificationFrequency": "unitaire",
            "localAdministrator": {"firstName": "Claire", "lastName": "MAIRE", "email": "claire@villeurbanne.fr"}
        });
        NewSubscription::parse(LINE, &body).unwrap()
    }

    #[tokio::test]
    async fn a_retried_or_raced_onboarding_creates_the_organisation_and_subscription_once() {
        let dir = tempfile::tempdir().unwrap();
        let directory = Arc::new(Counting::default());
        let state = AppState { directory: directory.clone(), ..crate::testkit::state(dir.path()) };
        crate::testkit::provision(&state).await;
        let datapass = claims_of(&state, Scope::Datapass);
        let siret = "21690266800013";

        // Two deliveries of the same request at once: one commits, the other loses its commit
        // and finds what the first created.
        let (a, b) = tokio::join!(
            create_subscription(&state, &datapass, onboarding(siret, 7)),
            create_subscription(&state, &datapass, onboarding(siret, 7))
        );
        let (a, b) = (a.unwrap(), b.unwrap());
        assert_eq!(a.id, b.id);
        assert_eq!(a.status, SubscriptionStatus::Inactif);
        let asked = directory.0.load(Ordering::SeqCst);
        assert!((1..=2).contains(&asked), "each delivery asks the directory at most once: {asked}");

        let (siret, branch) = (Siret::parse(siret).unwrap(), BranchCode::parse("69266").unwrap());
        let org = state.store.organisation(&siret, &branch).await.unwrap().expect("onboarded");
        assert_eq!((org.name.as_str(), org.org_type, org.to_complete), ("COMMUNE DE VILLEURBANNE", OrgType::Si, false));
        let admin = state.store.account("claire@villeurbanne.fr").await.unwrap().expect("the administrator's account");
        assert_eq!((admin.siret, admin.actor_type), (siret.clone(), ActorType::LocalAdmin));

        // Later again: the same answer, nothing asked or written.
        let again = create_subscription(&state, &datapass, onboarding(siret.as_str(), 7)).await.unwrap();
        assert_eq!(again.id, a.id);
        assert_eq!(directory.0.load(Ordering::SeqCst), asked, "a known organisation is not looked up");
        assert_eq!(state.store.subscriptions_of_organisation(&siret, &branch).await.unwrap().len(), 1);

        // Another habilitation for the same procedure is a conflict, not a retry.
        assert!(matches!(
            create_subscription(&state, &datapass, onboarding(siret.as_str(), 8)).await,
            Err(ExchangeError::Conflict(_))
        ));
    }

    #[tokio::test]
    async fn a_closed_organisation_takes_no_new_subscription() {
        let dir = tempfile::tempdir().unwrap();
        let state = crate::testkit::state(dir.path());
        crate::testkit::provision(&state).await;
        let (siret, branch) = (Siret::parse("21690266800013").unwrap(), BranchCode::parse("69266").unwrap());
        let closed = crate::domain::Organisation {
            closed_at: Some(state.clock.now()),
            ..crate::domain::Organisation::new(siret.clone(), branch.clone(), "Commune déléguée", OrgType::Si)
        };
        state.store.save_organisation(&closed).await.unwrap();
        let refused =
            create_subscription(&state, &claims_of(&state, Scope::Admin), onboarding(siret.as_str(), 9)).await;
        let Err(ExchangeError::Refused(problems)) = refused else { panic!("refused: {refused:?}") };
        assert_eq!(problems, ["Subscriber SI-21690266800013-69266 is closed: it takes no new subscription"]);
        assert!(state.store.subscriptions_of_organisation(&siret, &branch).await.unwrap().is_empty());
        assert!(state.store.account("claire@villeurbanne.fr").await.unwrap().is_none());
    }
}
