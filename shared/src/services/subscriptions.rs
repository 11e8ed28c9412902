//! The subscriptions referential, `/referential/v1/subscriptions` (CONTRACT.md,
//! "Subscriptions"): create with the accounts a subscription names, list, read, update, and the
//! scheduled activation of the subscriptions whose date has come. Decisions: docs/API-REFERENTIAL.md.

use std::{cmp::Ordering, collections::HashSet};

use chrono::{DateTime, Utc};
use serde_json::{Map, Value, json};
use uuid::Uuid;

use super::{Checker, RETRIES, accounts, portal_auth, time_or_null};
use crate::{
    auth::Claims,
    domain::{
        AccessMode, Account, ActorType, BranchCode, Contact, Email, NotificationFrequency, OrgId, OrgType, Procedure,
        ProcessCode, Scope, Siret, Subscription, SubscriptionStatus, parse_time,
    },
    ports::Write,
    state::AppState,
    store::{StoreError, Versioned},
};

/// Page size when `maxResult` is not given, and the largest page served (a larger `maxResult`
/// is accepted and capped).
pub const DEFAULT_MAX_RESULT: usize = 100;
pub const MAX_RESULT: usize = 1000;

/// The contract's pattern for contact e-mails, except that a top-level domain may be longer
/// than 4 letters (`.paris`, `.alsace`): a superset, so nothing the contract accepts is refused.
const EMAIL_PATTERN: &str = r"^[a-zA-Z0-9._-]+@[a-zA-Z0-9._-]{2,}\.[a-z]{2,}$";
const PHONE_PATTERN: &str = r"^\+[0-9]{10,20}$|^[0-9]{10,20}$";

#[derive(Debug, thiserror::Error)]
pub enum SubscriptionError {
    #[error("forbidden")]
    Forbidden,
    #[error("subscription not found")]
    NotFound,
    /// Schema problems (body or query), one line each.
    #[error("invalid request")]
    Invalid(Vec<String>),
    /// Rule violations, one message each.
    #[error("refused")]
    Refused(Vec<String>),
    #[error("conflict: {0}")]
    Conflict(String),
    #[error("too many concurrent changes")]
    Busy,
    #[error(transparent)]
    Store(#[from] StoreError),
}

fn refused(message: impl Into<String>) -> SubscriptionError {
    SubscriptionError::Refused(vec![message.into()])
}

// ---------------------------------------------------------------------------------------------
// Who may do what
// ---------------------------------------------------------------------------------------------

/// DataPass (the habilitation service) and the platform create subscriptions. The contract
/// answers this before any problem of the body: handlers check it before reading the body into
/// a [`NewSubscription`].
///
/// # Errors
/// `Forbidden` for operators and instructing services.
pub fn authorise_create(caller: &Claims) -> Result<(), SubscriptionError> {
    match caller.scope {
        Scope::Datapass | Scope::Admin => Ok(()),
        Scope::Osl | Scope::Si => Err(SubscriptionError::Forbidden),
    }
}

/// Only the platform updates them (the contract's `updateSubscription` security). Checked before
/// the body, as [`authorise_create`].
///
/// # Errors
/// `Forbidden` for any other scope.
pub fn authorise_update(caller: &Claims) -> Result<(), SubscriptionError> {
    if caller.scope == Scope::Admin { Ok(()) } else { Err(SubscriptionError::Forbidden) }
}

/// What a reader may see: every subscription (the platform), or the subscriptions to the
/// procedures its organisation runs (an operator, by its organisation's `code`).
enum Reader {
    Platform,
    Operator(Option<String>),
}

impl Reader {
    async fn of(state: &AppState, caller: &Claims) -> Result<Self, SubscriptionError> {
        match caller.scope {
            Scope::Admin => Ok(Reader::Platform),
            Scope::Osl => {
                let org = state.store.organisation(&caller.siret, &caller.branch).await?;
                Ok(Reader::Operator(org.filter(|o| o.org_type == OrgType::Osl).and_then(|o| o.code)))
            }
            Scope::Si | Scope::Datapass => Err(SubscriptionError::Forbidden),
        }
    }

    fn runs(&self, procedure: &Procedure) -> bool {
        match self {
            Reader::Platform => true,
            Reader::Operator(code) => code.as_deref() == Some(procedure.operator.as_str()),
        }
    }

    async fn may_read(&self, state: &AppState, sub: &Subscription) -> Result<bool, SubscriptionError> {
        Ok(match self {
            Reader::Platform => true,
            Reader::Operator(_) => state.store.procedure(&sub.process_code).await?.is_some_and(|p| self.runs(&p)),
        })
    }
}

// ---------------------------------------------------------------------------------------------
// The request body (POST and PUT)
// ---------------------------------------------------------------------------------------------

/// A nullable field of the body: absent keeps the stored value, `null` clears it.
#[derive(Clone, Debug, PartialEq)]
enum Change<T> {
    Keep,
    Clear,
    Set(T),
}

impl<T: Clone> Change<T> {
    fn apply(&self, to: &mut Option<T>) {
        match self {
            Change::Keep => {}
            Change::Clear => *to = None,
            Change::Set(v) => *to = Some(v.clone()),
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Purpose {
    /// Contacts need their names: their accounts may be created from them.
    Create,
    Update,
}

/// `POST /subscriptions`: the subscription to create, as its body declares it (the contract's
/// `Subscription`, with full contacts: their accounts may be created from them).
#[derive(Debug)]
pub struct NewSubscription(SubscriptionBody);

impl NewSubscription {
    /// Reads the contract's body; `line` (`METHOD /path`) names the request in the problems.
    ///
    /// # Errors
    /// `Invalid`, listing every problem.
    pub fn parse(line: &str, body: &Value) -> Result<Self, SubscriptionError> {
        parse_body(line, body, Purpose::Create, None).map(Self)
    }
}

/// `PUT /subscriptions/{id}`: what the body sets (a field left out stays, `null` clears a
/// nullable one).
#[derive(Debug)]
pub struct SubscriptionUpdate(SubscriptionBody);

impl SubscriptionUpdate {
    /// Reads the contract's body for the subscription `id` of the path (an `id` in the body must
    /// name it); `line` (`METHOD /path`) names the request in the problems.
    ///
    /// # Errors
    /// `Invalid`, listing every problem.
    pub fn parse(line: &str, body: &Value, id: Uuid) -> Result<Self, SubscriptionError> {
        parse_body(line, body, Purpose::Update, Some(id)).map(Self)
    }
}

/// A checked body: the contract's `Subscription`.
#[derive(Debug)]
struct SubscriptionBody {
    datapass_id: i64,
    process_code: ProcessCode,
    siret: Siret,
    branch_code: BranchCode,
    notification_frequency: NotificationFrequency,
    local_administrator: Contact,
    delegation_actor: Change<Contact>,
    access_mode: Change<AccessMode>,
    email: Change<Email>,
    activate_date_time: Change<DateTime<Utc>>,
    validate_date_time: Change<DateTime<Utc>>,
    reject_date_time: Change<DateTime<Utc>>,
    end_date_time: Change<DateTime<Utc>>,
    rejection_reason: Change<String>,
    /// Absent or `null`: the status stays.
    status: Option<SubscriptionStatus>,
}

fn not_in_enum(value: &str, allowed: impl IntoIterator<Item = &'static str>) -> String {
    let allowed: Vec<String> = allowed.into_iter().map(|a| format!("\"{a}\"")).collect();
    format!("Instance value (\"{value}\") not found in enum (possible values: [{}])", allowed.join(","))
}

fn pattern_mismatch(pattern: &str, value: &str) -> String {
    format!("ECMA 262 regex \"{pattern}\" does not match input string \"{value}\"")
}

/// [`EMAIL_PATTERN`].
fn matches_email_pattern(s: &str) -> bool {
    let allowed = |c: char| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-');
    let Some((local, domain)) = s.split_once('@') else { return false };
    let Some((host, tld)) = domain.rsplit_once('.') else { return false };
    !local.is_empty()
        && local.chars().all(allowed)
        && host.chars().count() >= 2
        && host.chars().all(allowed)
        && tld.len() >= 2
        && tld.bytes().all(|b| b.is_ascii_lowercase())
}

fn contact_email(s: &str) -> Result<Email, String> {
    if matches_email_pattern(s) { Email::parse(s) } else { Err(pattern_mismatch(EMAIL_PATTERN, s)) }
}

fn phone(s: &str) -> Result<String, String> {
    let digits = s.strip_prefix('+').unwrap_or(s);
    if (10..=20).contains(&digits.len()) && digits.bytes().all(|b| b.is_ascii_digit()) {
        Ok(s.to_owned())
    } else {
        Err(pattern_mismatch(PHONE_PATTERN, s))
    }
}

fn date_time(s: &str) -> Result<DateTime<Utc>, String> {
    parse_time(s).ok_or_else(|| format!("\"{s}\" is not an RFC 3339 date-time"))
}

/// A nullable field: `read` runs only when a value is there.
fn change<T>(
    c: &mut Checker<'_>,
    root: &Map<String, Value>,
    name: &str,
    read: impl FnOnce(&mut Checker<'_>) -> Option<T>,
) -> Change<T> {
    match root.get(name) {
        None => Change::Keep,
        Some(Value::Null) => Change::Clear,
        // On a problem the whole body is refused, so what is returned then does not matter.
        Some(_) => read(c).map_or(Change::Keep, Change::Set),
    }
}

/// A `LocalAdministrator` / `DelegationActor`.
fn contact(c: &mut Checker<'_>, o: &Map<String, Value>, at: &str, purpose: Purpose) -> Option<Contact> {
    let names_required = purpose == Purpose::Create;
    let first_name = c.string(o, at, "firstName", names_required, 255);
    let last_name = c.string(o, at, "lastName", names_required, 255);
    let email = c.parsed(o, at, "email", true, 320, contact_email);
    let function = c.string(o, at, "function", false, 255);
    // The pattern bounds the length; a longer value gets the pattern's message.
    let phone_number = c.parsed(o, at, "phoneNumber", false, 255, phone);
    let mobile_number = c.parsed(o, at, "mobileNumber", false, 255, phone);
    Some(Contact { email: email?, first_name, last_name, function, phone_number, mobile_number })
}

/// Checks a body against the contract's schema, listing every problem. `id` and
/// `updateDateTime` are the hub's: ignored, except that an `id` must name the path's
/// subscription.
fn parse_body(
    line: &str,
    body: &Value,
    purpose: Purpose,
    path_id: Option<Uuid>,
) -> Result<SubscriptionBody, SubscriptionError> {
    let mut c = Checker::new(line);
    let Some(root) = c.root(body) else {
        return Err(SubscriptionError::Invalid(c.problems));
    };
    if let (Some(path_id), Some(id)) = (path_id, root.get("id").filter(|v| !v.is_null()))
        && id.as_str().and_then(|s| Uuid::parse_str(s).ok()) != Some(path_id)
    {
        c.problem(".id", format!("{id} is not the subscriptionId of the path ({path_id})"));
    }
    let datapass_id = match c.unsigned(root, "", "datapassId", true).map(i64::try_from) {
        Some(Ok(id)) => Some(id),
        Some(Err(_)) => {
            c.problem(".datapassId", "Numeric instance is greater than the required maximum (int64)");
            None
        }
        None => None,
    };
    let process_code = c.parsed(root, "", "processCode", true, 30, ProcessCode::parse);
    let subscriber = c.object(root, "", "subscriber", true).and_then(|o| {
        let at = ".subscriber";
        match c.string(o, at, "type", true, 20).as_deref() {
            Some("SI") | None => {}
            Some(other) => c.problem(".subscriber.type", not_in_enum(other, ["SI"])),
        }
        let siret = c.parsed(o, at, "companyRegister", true, 14, Siret::parse);
        let branch = c.parsed(o, at, "branchCode", true, 10, BranchCode::parse);
        Some((siret?, branch?))
    });
    let access_mode = change(&mut c, root, "accessMode", |c| {
        c.parsed(root, "", "accessMode", false, 7, |s| {
            AccessMode::parse(s).ok_or_else(|| not_in_enum(s, AccessMode::ALL.iter().map(|m| m.as_str())))
        })
    });
    let notification_frequency = c.parsed(root, "", "notificationFrequency", true, 20, |s| {
        NotificationFrequency::parse(s)
            .ok_or_else(|| not_in_enum(s, NotificationFrequency::ALL.iter().map(|f| f.as_str())))
    });
    let date =
        |c: &mut Checker<'_>, name: &str| change(c, root, name, |c| c.parsed(root, "", name, false, 64, date_time));
    let activate_date_time = date(&mut c, "activateDateTime");
    let validate_date_time = date(&mut c, "validateDateTime");
    let reject_date_time = date(&mut c, "rejectDateTime");
    let end_date_time = date(&mut c, "endDateTime");
    let delegation_actor = change(&mut c, root, "delegationActor", |c| {
        c.object(root, "", "delegationActor", false).and_then(|o| contact(c, o, ".delegationActor", purpose))
    });
    let rejection_reason =
        change(&mut c, root, "rejectionReason", |c| c.string(root, "", "rejectionReason", false, 1000));
    let status = c.parsed(root, "", "status", false, 20, |s| {
        SubscriptionStatus::parse(s).ok_or_else(|| not_in_enum(s, SubscriptionStatus::ALL.iter().map(|st| st.as_str())))
    });
    let email = change(&mut c, root, "email", |c| c.parsed(root, "", "email", false, 320, Email::parse));
    let local_administrator =
        c.object(root, "", "localAdministrator", true).and_then(|o| contact(&mut c, o, ".localAdministrator", purpose));

    match (c.is_ok(), datapass_id, process_code, subscriber, notification_frequency, local_administrator) {
        (true, Some(datapass_id), Some(process_code), Some((siret, branch_code)), Some(frequency), Some(admin)) => {
            Ok(SubscriptionBody {
                datapass_id,
                process_code,
                siret,
                branch_code,
                notification_frequency: frequency,
                local_administrator: admin,
                delegation_actor,
                access_mode,
                email,
                activate_date_time,
                validate_date_time,
                reject_date_time,
                end_date_time,
                rejection_reason,
                status,
            })
        }
        _ => Err(SubscriptionError::Invalid(c.problems)),
    }
}

/// A contact given again with the same e-mail keeps what the body leaves out (an update may
/// name the administrator by e-mail alone, as the `Subscription` schema does).
fn merge_contact(stored: Option<&Contact>, given: &Contact) -> Contact {
    match stored {
        Some(s) if s.email == given.email => Contact {
            email: given.email.clone(),
            first_name: given.first_name.clone().or_else(|| s.first_name.clone()),
            last_name: given.last_name.clone().or_else(|| s.last_name.clone()),
            function: given.function.clone().or_else(|| s.function.clone()),
            phone_number: given.phone_number.clone().or_else(|| s.phone_number.clone()),
            mobile_number: given.mobile_number.clone().or_else(|| s.mobile_number.clone()),
        },
        _ => given.clone(),
    }
}

impl SubscriptionBody {
    /// Sets on `sub` what the body says; what it leaves out stays.
    fn apply_to(&self, sub: &mut Subscription) {
        sub.datapass_id = Some(self.datapass_id);
        sub.notification_frequency = self.notification_frequency;
        sub.local_administrator = Some(merge_contact(sub.local_administrator.as_ref(), &self.local_administrator));
        match &self.delegation_actor {
            Change::Keep => {}
            Change::Clear => sub.delegation_actor = None,
            Change::Set(given) => sub.delegation_actor = Some(merge_contact(sub.delegation_actor.as_ref(), given)),
        }
        self.access_mode.apply(&mut sub.access_mode);
        self.email.apply(&mut sub.email);
        self.activate_date_time.apply(&mut sub.activate_date_time);
        self.validate_date_time.apply(&mut sub.validate_date_time);
        self.reject_date_time.apply(&mut sub.reject_date_time);
        self.end_date_time.apply(&mut sub.end_date_time);
        self.rejection_reason.apply(&mut sub.rejection_reason);
        if let Some(status) = self.status {
            sub.status = status;
        }
    }

    fn subscriber_name(&self) -> String {
        format!("SI-{}-{}", self.siret, self.branch_code)
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
) -> Result<NewAccounts, SubscriptionError> {
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
    if problems.is_empty() { Ok(new) } else { Err(SubscriptionError::Refused(problems)) }
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
// Rendering
// ---------------------------------------------------------------------------------------------

fn email_only(c: Option<&Contact>) -> Value {
    c.map_or(Value::Null, |c| json!({ "email": c.email }))
}

fn full_contact(c: Option<&Contact>) -> Value {
    c.map_or(Value::Null, |c| {
        json!({
            "firstName": c.first_name,
            "lastName": c.last_name,
            "email": c.email,
            "function": c.function,
            "phoneNumber": c.phone_number,
            "mobileNumber": c.mobile_number,
        })
    })
}

/// The contract's `Subscription`, with the status as it stands at `now`. Contacts are given by
/// e-mail only, as the schema has them: readers (operators among them) need no more.
fn render(s: &Subscription, now: DateTime<Utc>) -> Value {
    json!({
        "id": s.id,
        "datapassId": s.datapass_id,
        "processCode": s.process_code,
        "subscriber": s.subscriber(),
        "accessMode": s.access_mode,
        "notificationFrequency": s.notification_frequency,
        "activateDateTime": time_or_null(s.activate_date_time),
        "validateDateTime": time_or_null(s.validate_date_time),
        "rejectDateTime": time_or_null(s.reject_date_time),
        "endDateTime": time_or_null(s.end_date_time),
        "updateDateTime": time_or_null(s.update_date_time),
        "delegationActor": email_only(s.delegation_actor.as_ref()),
        "rejectionReason": s.rejection_reason,
        "status": s.effective_status(now),
        "email": s.email,
        "localAdministrator": email_only(s.local_administrator.as_ref()),
    })
}

/// The creation's answer: the `Subscription` with the full `LocalAdministrator` and
/// `DelegationActor`, as the contract's 201 has them.
fn render_created(s: &Subscription, now: DateTime<Utc>) -> Value {
    let mut v = render(s, now);
    v["localAdministrator"] = full_contact(s.local_administrator.as_ref());
    v["delegationActor"] = full_contact(s.delegation_actor.as_ref());
    v
}

// ---------------------------------------------------------------------------------------------
// Create
// ---------------------------------------------------------------------------------------------

/// The rules that need the referential: the subscriber is an SI organisation, the procedure
/// exists.
async fn check_referential(state: &AppState, new: &SubscriptionBody) -> Result<(), SubscriptionError> {
    let mut problems = Vec::new();
    match state.store.organisation(&new.siret, &new.branch_code).await? {
        None => problems.push(format!("Subscriber {} does not exist", new.subscriber_name())),
        Some(o) if o.org_type != OrgType::Si => problems.push(format!(
            "Subscriber {}-{} is not an instructing service (SI): only an SI subscribes to a procedure",
            new.siret, new.branch_code
        )),
        Some(_) => {}
    }
    if state.store.procedure(&new.process_code).await?.is_none() {
        problems.push(format!("Process {} does not exist", new.process_code));
    }
    if problems.is_empty() { Ok(()) } else { Err(SubscriptionError::Refused(problems)) }
}

/// `POST /subscriptions`: creates an `Inactif` subscription with the local administrator's
/// account and, when one is named, the technical delegate's, in one transaction.
///
/// # Errors
/// `Forbidden` unless DataPass or the platform, `Refused` for an unknown subscriber or
/// procedure, `Conflict` when the organisation is already subscribed.
pub async fn create_subscription(
    state: &AppState,
    caller: &Claims,
    new: NewSubscription,
) -> Result<Value, SubscriptionError> {
    authorise_create(caller)?;
    let NewSubscription(new) = new;
    if let Some(status) = new.status.filter(|s| *s != SubscriptionStatus::Inactif) {
        return Err(refused(format!(
            "A subscription is created Inactif, not {status}: change its status once it is created"
        )));
    }
    for _ in 0..RETRIES {
        check_referential(state, &new).await?;
        if state.store.versioned_subscription(&new.siret, &new.branch_code, &new.process_code).await?.is_some() {
            return Err(SubscriptionError::Conflict(format!(
                "Subscription of {} to {} already exists",
                new.subscriber_name(),
                new.process_code
            )));
        }
        let now = state.clock.now();
        let mut sub = Subscription {
            id: state.ids.new_id(),
            siret: new.siret.clone(),
            branch_code: new.branch_code.clone(),
            process_code: new.process_code.clone(),
            status: SubscriptionStatus::Inactif,
            access_mode: None,
            notification_frequency: new.notification_frequency,
            email: None,
            activate_date_time: None,
            datapass_id: None,
            local_administrator: None,
            delegation_actor: None,
            rejection_reason: None,
            validate_date_time: None,
            reject_date_time: None,
            end_date_time: None,
            update_date_time: None,
            create_date_time: Some(now),
        };
        new.apply_to(&mut sub);
        let mut writes = vec![state.store.create_subscription_write(&sub)?];
        let mut people = Vec::new();
        if let Some(admin) = &sub.local_administrator {
            people.push((admin, ActorType::LocalAdmin));
        }
        if let Some(delegate) = &sub.delegation_actor {
            people.push((delegate, ActorType::TechnicalDelegate));
        }
        let accounts = missing_accounts(state, &sub, &people).await?;
        writes.extend(accounts.writes);
        match state.store.commit(writes).await {
            Ok(()) => {
                tracing::info!(subscription_id = %sub.id, process = %sub.process_code, "subscription created");
                send_activations(state, &accounts.emails).await;
                delegate_changed(state, &sub, None).await;
                return Ok(render_created(&sub, now));
            }
            // The subscription or an account appeared meanwhile: the next round sees it.
            Err(StoreError::Conflict) => continue,
            Err(e) => return Err(e.into()),
        }
    }
    Err(SubscriptionError::Busy)
}

// ---------------------------------------------------------------------------------------------
// Read
// ---------------------------------------------------------------------------------------------

/// `GET /subscriptions/{id}`.
///
/// # Errors
/// `NotFound`; `Forbidden` for an operator that does not run the procedure, and for scopes
/// other than OSL and ADMIN.
pub async fn get_subscription(state: &AppState, caller: &Claims, id: Uuid) -> Result<Value, SubscriptionError> {
    let reader = Reader::of(state, caller).await?;
    let sub = state.store.subscription_by_id(id).await?.ok_or(SubscriptionError::NotFound)?.value;
    if !reader.may_read(state, &sub).await? {
        return Err(SubscriptionError::Forbidden);
    }
    Ok(render(&sub, state.clock.now()))
}

// ---------------------------------------------------------------------------------------------
// List
// ---------------------------------------------------------------------------------------------

/// The columns `orderBy` names (the contract's list).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Column {
    Id,
    DatapassId,
    SiType,
    SiCompanyRegister,
    SiBranchCode,
    NotificationFrequency,
    AccessMode,
    DelegationActor,
    Email,
    LocalAdmin,
    RejectionReason,
    Status,
    ActivateDateTime,
    ValidateDateTime,
    RejectDateTime,
    EndDateTime,
    UpdateDateTime,
    ProcessCode,
}

const COLUMNS: &[(&str, Column)] = &[
    ("id", Column::Id),
    ("datapass_id", Column::DatapassId),
    ("si_type", Column::SiType),
    ("si_company_register", Column::SiCompanyRegister),
    ("si_branch_code", Column::SiBranchCode),
    ("notification_frequency", Column::NotificationFrequency),
    ("access_mode", Column::AccessMode),
    ("delegation_actor", Column::DelegationActor),
    ("email", Column::Email),
    ("local_admin", Column::LocalAdmin),
    ("rejection_reason", Column::RejectionReason),
    ("status", Column::Status),
    ("activate_date_time", Column::ActivateDateTime),
    ("validate_date_time", Column::ValidateDateTime),
    ("reject_date_time", Column::RejectDateTime),
    ("end_date_time", Column::EndDateTime),
    ("update_date_time", Column::UpdateDateTime),
    ("process_code", Column::ProcessCode),
];

/// Ascending with empty values last, as SQL sorts them; descending reverses it all.
fn nulls_last<T: Ord>(a: Option<T>, b: Option<T>) -> Ordering {
    match (a, b) {
        (Some(a), Some(b)) => a.cmp(&b),
        (Some(_), None) => Ordering::Less,
        (None, Some(_)) => Ordering::Greater,
        (None, None) => Ordering::Equal,
    }
}

impl Column {
    fn parse(s: &str) -> Option<Self> {
        COLUMNS.iter().find(|(name, _)| *name == s).map(|(_, c)| *c)
    }

    fn compare(self, a: &Subscription, b: &Subscription, now: DateTime<Utc>) -> Ordering {
        let email = |c: &Option<Contact>| c.as_ref().map(|c| c.email.to_string());
        match self {
            // A UUID's bytes sort as its text.
            Column::Id => a.id.cmp(&b.id),
            Column::DatapassId => nulls_last(a.datapass_id, b.datapass_id),
            // Every subscriber is an SI.
            Column::SiType => Ordering::Equal,
            Column::SiCompanyRegister => a.siret.cmp(&b.siret),
            Column::SiBranchCode => a.branch_code.cmp(&b.branch_code),
            Column::NotificationFrequency => a.notification_frequency.as_str().cmp(b.notification_frequency.as_str()),
            Column::AccessMode => {
                nulls_last(a.access_mode.map(AccessMode::as_str), b.access_mode.map(AccessMode::as_str))
            }
            Column::DelegationActor => nulls_last(email(&a.delegation_actor), email(&b.delegation_actor)),
            Column::Email => nulls_last(a.email.as_ref(), b.email.as_ref()),
            Column::LocalAdmin => nulls_last(email(&a.local_administrator), email(&b.local_administrator)),
            Column::RejectionReason => nulls_last(a.rejection_reason.as_ref(), b.rejection_reason.as_ref()),
            Column::Status => a.effective_status(now).as_str().cmp(b.effective_status(now).as_str()),
            Column::ActivateDateTime => nulls_last(a.activate_date_time, b.activate_date_time),
            Column::ValidateDateTime => nulls_last(a.validate_date_time, b.validate_date_time),
            Column::RejectDateTime => nulls_last(a.reject_date_time, b.reject_date_time),
            Column::EndDateTime => nulls_last(a.end_date_time, b.end_date_time),
            Column::UpdateDateTime => nulls_last(a.update_date_time, b.update_date_time),
            Column::ProcessCode => a.process_code.cmp(&b.process_code),
        }
    }
}

/// The default order, and the tie-break of every other: procedure, then subscriber.
fn natural_order(a: &Subscription, b: &Subscription) -> Ordering {
    (&a.process_code, &a.siret, &a.branch_code).cmp(&(&b.process_code, &b.siret, &b.branch_code))
}

/// The listing's query parameters, checked.
#[derive(Debug, PartialEq)]
struct ListQuery {
    process_codes: Vec<ProcessCode>,
    status: Option<SubscriptionStatus>,
    company_register: Option<String>,
    /// Lower-cased, as e-mails are stored.
    delegation_actor_email: Option<String>,
    /// The column, and whether descending.
    order: Option<(Column, bool)>,
    offset: usize,
    max_result: usize,
}

const LIST_PARAMETERS: &[&str] =
    &["processCode", "status", "companyRegister", "delegationActorEmail", "orderBy", "offSet", "maxResult"];

fn parse_order(s: &str) -> Option<(Column, bool)> {
    let (direction, rest) = s.split_once('(')?;
    let column = Column::parse(rest.strip_suffix(')')?.trim())?;
    match direction.trim().to_ascii_lowercase().as_str() {
        "asc" => Some((column, false)),
        "desc" => Some((column, true)),
        _ => None,
    }
}

fn non_negative(s: &str) -> Result<usize, String> {
    s.trim().parse().map_err(|_| format!("\"{s}\" is not a non-negative integer"))
}

/// Checks the query string, listing every problem. `processCode` may be repeated (also as
/// `processCode[]`, and comma-separated); the others appear once; an empty value counts as
/// absent.
fn parse_list_query(line: &str, pairs: &[(String, String)]) -> Result<ListQuery, SubscriptionError> {
    let mut problems = Vec::new();
    let mut problem = |name: &str, message: String| {
        problems.push(format!("[ERROR][REQUEST][{line} @query.{name}] {message}"));
    };
    let mut q = ListQuery {
        process_codes: Vec::new(),
        status: None,
        company_register: None,
        delegation_actor_email: None,
        order: None,
        offset: 0,
        max_result: DEFAULT_MAX_RESULT,
    };
    let mut seen = HashSet::new();
    for (name, value) in pairs {
        let name = name.as_str();
        if name == "processCode" || name == "processCode[]" {
            for code in value.split(',').map(str::trim).filter(|c| !c.is_empty()) {
                match ProcessCode::parse(code) {
                    Ok(code) if !q.process_codes.contains(&code) => q.process_codes.push(code),
                    Ok(_) => {}
                    Err(e) => problem("processCode", e),
                }
            }
            continue;
        }
        if !LIST_PARAMETERS.contains(&name) {
            problem(name, format!("Query parameter '{name}' is unexpected on path \"/subscriptions\""));
            continue;
        }
        if !seen.insert(name) {
            problem(name, format!("Query parameter '{name}' is given more than once"));
            continue;
        }
        if value.is_empty() {
            continue;
        }
        let too_long = |max: usize| {
            let len = value.chars().count();
            (len > max).then(|| format!("String is too long (length: {len}, maximum allowed: {max})"))
        };
        match name {
            "status" => match too_long(20) {
                Some(m) => problem(name, m),
                None => match SubscriptionStatus::parse(value) {
                    Some(s) => q.status = Some(s),
                    None => problem(name, not_in_enum(value, SubscriptionStatus::ALL.iter().map(|s| s.as_str()))),
                },
            },
            "companyRegister" => {
                if value.len() == 14 && value.bytes().all(|b| b.is_ascii_digit()) {
                    q.company_register = Some(value.clone());
                } else {
                    problem(name, pattern_mismatch("[0-9]{14}", value));
                }
            }
            "delegationActorEmail" => match too_long(320) {
                Some(m) => problem(name, m),
                None if matches_email_pattern(value) => q.delegation_actor_email = Some(value.to_lowercase()),
                None => problem(name, pattern_mismatch(EMAIL_PATTERN, value)),
            },
            "orderBy" => match too_long(40) {
                Some(m) => problem(name, m),
                None => match parse_order(value) {
                    Some(order) => q.order = Some(order),
                    None => problem(
                        name,
                        format!(
                            "\"{value}\" is not asc(<column>) or desc(<column>) with a column among {}",
                            COLUMNS.iter().map(|(n, _)| *n).collect::<Vec<_>>().join(",")
                        ),
                    ),
                },
            },
            "offSet" => match non_negative(value) {
                Ok(n) => q.offset = n,
                Err(m) => problem(name, m),
            },
            "maxResult" => match non_negative(value) {
                Ok(0) => problem(name, "maxResult must be at least 1".to_owned()),
                Ok(n) => q.max_result = n.min(MAX_RESULT),
                Err(m) => problem(name, m),
            },
            _ => {}
        }
    }
    if problems.is_empty() { Ok(q) } else { Err(SubscriptionError::Invalid(problems)) }
}

impl ListQuery {
    fn matches(&self, s: &Subscription, now: DateTime<Utc>) -> bool {
        self.status.is_none_or(|st| s.effective_status(now) == st)
            && self.company_register.as_deref().is_none_or(|c| s.siret.as_str() == c)
            && self
                .delegation_actor_email
                .as_deref()
                .is_none_or(|e| s.delegation_actor.as_ref().is_some_and(|d| d.email.as_str() == e))
    }

    fn compare(&self, a: &Subscription, b: &Subscription, now: DateTime<Utc>) -> Ordering {
        let by_column = match self.order {
            Some((column, false)) => column.compare(a, b, now),
            Some((column, true)) => column.compare(a, b, now).reverse(),
            None => Ordering::Equal,
        };
        by_column.then_with(|| natural_order(a, b))
    }
}

/// One page of the listing and its `Content-Range` header.
#[derive(Debug)]
pub struct SubscriptionPage {
    pub items: Vec<Value>,
    pub content_range: String,
}

/// The procedures whose subscriptions the reader may list, among those asked for (all when
/// none is).
async fn listed_procedures(
    state: &AppState,
    reader: &Reader,
    asked: &[ProcessCode],
) -> Result<Vec<ProcessCode>, SubscriptionError> {
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
/// `Forbidden` for scopes other than OSL and ADMIN, `Invalid` for a bad query string.
pub async fn list_subscriptions(
    state: &AppState,
    caller: &Claims,
    line: &str,
    query: &[(String, String)],
) -> Result<SubscriptionPage, SubscriptionError> {
    let reader = Reader::of(state, caller).await?;
    let q = parse_list_query(line, query)?;
    let now = state.clock.now();
    let mut subs = Vec::new();
    for code in listed_procedures(state, &reader, &q.process_codes).await? {
        subs.extend(state.store.subscriptions_of_procedure(&code).await?);
    }
    subs.retain(|s| q.matches(s, now));
    subs.sort_by(|a, b| q.compare(a, b, now));
    let total = subs.len();
    let items: Vec<Value> = subs.iter().skip(q.offset).take(q.max_result).map(|s| render(s, now)).collect();
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
) -> Result<Value, SubscriptionError> {
    authorise_update(caller)?;
    let SubscriptionUpdate(upd) = update;
    for _ in 0..RETRIES {
        let Versioned { value: current, version } =
            state.store.subscription_by_id(id).await?.ok_or(SubscriptionError::NotFound)?;
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
            return Err(SubscriptionError::Refused(problems));
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
            return Ok(render(&current, now));
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
        match state.store.commit(writes).await {
            Ok(()) => {
                tracing::info!(subscription_id = %id, status = %next.status, "subscription updated");
                send_activations(state, &accounts.emails).await;
                delegate_changed(state, &next, current.delegation_actor.as_ref()).await;
                return Ok(render(&next, now));
            }
            Err(StoreError::Conflict) => continue,
            Err(e) => return Err(e.into()),
        }
    }
    Err(SubscriptionError::Busy)
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
pub async fn activate_due(state: &AppState) -> Result<usize, SubscriptionError> {
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
    use super::*;

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
        let Err(SubscriptionError::Invalid(problems)) = parse_body(LINE, &b, Purpose::Create, None) else {
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
            Err(SubscriptionError::Invalid(p)) if p.len() == 1 && p[0].contains("@body.id]")
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
        let q = parse_list_query(
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

        let Err(SubscriptionError::Invalid(problems)) = parse_list_query(
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
        assert!(parse_list_query("GET /l", &pairs(&[("maxResult", "0")])).is_err());
        assert_eq!(parse_order("ASC( si_branch_code)"), Some((Column::SiBranchCode, false)));
        assert_eq!(parse_order("asc(si_branch_code"), None);
    }

    #[test]
    fn sorting_puts_empty_values_last_ascending_and_first_descending() {
        let now = parse_time("2026-06-01T00:00:00Z").unwrap();
        let sub = |branch: &str, activate: Option<&str>| {
            let mut b = parse_body(LINE, &body(), Purpose::Create, None).unwrap();
            b.branch_code = BranchCode::parse(branch).unwrap();
            let mut s = Subscription {
                id: Uuid::new_v4(),
                siret: b.siret.clone(),
                branch_code: b.branch_code.clone(),
                process_code: b.process_code.clone(),
                status: SubscriptionStatus::Inactif,
                access_mode: None,
                notification_frequency: b.notification_frequency,
                email: None,
                activate_date_time: None,
                datapass_id: None,
                local_administrator: None,
                delegation_actor: None,
                rejection_reason: None,
                validate_date_time: None,
                reject_date_time: None,
                end_date_time: None,
                update_date_time: None,
                create_date_time: None,
            };
            b.activate_date_time = activate.map_or(Change::Clear, |a| Change::Set(parse_time(a).unwrap()));
            b.apply_to(&mut s);
            s
        };
        let subs = [sub("1", None), sub("2", Some("2026-02-01T00:00:00Z")), sub("3", Some("2026-01-01T00:00:00Z"))];
        let order = |order: &str| {
            let q = parse_list_query("GET /l", &pairs(&[("orderBy", order)])).unwrap();
            let mut v: Vec<&Subscription> = subs.iter().collect();
            v.sort_by(|a, b| q.compare(a, b, now));
            v.iter().map(|s| s.branch_code.to_string()).collect::<Vec<_>>()
        };
        assert_eq!(order("asc(activate_date_time)"), ["3", "2", "1"]);
        assert_eq!(order("desc(activate_date_time)"), ["1", "2", "3"]);
        assert_eq!(order("desc(si_branch_code)"), ["3", "2", "1"]);
        assert_eq!(order("asc(status)"), ["2", "3", "1"], "due subscriptions sort as Actif");
    }
}
