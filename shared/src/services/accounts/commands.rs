//! What the account pages send, read once at the edge: the list's filters, a creation's body
//! (`NewAccount`) and an edit's changes (`AccountChanges`, with how they apply to an account),
//! and the field rules they share (actor types, roles, civilities, phone numbers, names).

use serde_json::{Map, Value};

use super::AccountsError;
use crate::{
    domain::{Account, ActorType, Civility, Delegation, Email, OrgId, ProcessCode, Role, search_key},
    services::Checker,
};

/// The list's filters, all optional and combined.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct AccountFilters {
    pub actor_type: Option<ActorType>,
    /// Accounts holding exactly this role.
    pub role: Option<Role>,
    /// Accounts with this habilitation.
    pub procedure: Option<ProcessCode>,
    /// A prefix of "last first" or "first last", accents, case and punctuation ignored.
    pub name: Option<String>,
    pub active: Option<bool>,
}

/// The query parameters a listing takes.
pub const LIST_PARAMETERS: &[&str] = &["organisation", "actorType", "role", "processCode", "name", "active"];

impl AccountFilters {
    /// Reads `actorType`, `role`, `processCode`, `name` and `active` (the last value of each).
    ///
    /// # Errors
    /// `Invalid` naming every malformed parameter.
    pub fn parse(line: &str, pairs: &[(String, String)]) -> Result<Self, AccountsError> {
        let last = |name: &str| pairs.iter().rev().find(|(k, _)| k == name).map(|(_, v)| v.trim());
        let mut problems = Vec::new();
        let mut problem = |name: &str, message: String| {
            problems.push(format!("[ERROR][REQUEST][{line} @query.{name}] {message}"));
        };
        let mut f = AccountFilters::default();
        if let Some(v) = last("actorType") {
            f.actor_type = actor_type(v).map_err(|e| problem("actorType", e)).ok();
        }
        if let Some(v) = last("role") {
            f.role = role(v).map_err(|e| problem("role", e)).ok();
        }
        if let Some(v) = last("processCode") {
            f.procedure = ProcessCode::parse(v).map_err(|e| problem("processCode", e)).ok();
        }
        f.name = last("name").map(search_key).filter(|k| !k.is_empty());
        match last("active") {
            None => {}
            Some(v) if v.eq_ignore_ascii_case("true") => f.active = Some(true),
            Some(v) if v.eq_ignore_ascii_case("false") => f.active = Some(false),
            Some(v) => problem("active", format!("\"{v}\" is not a boolean (true or false)")),
        }
        if problems.is_empty() { Ok(f) } else { Err(AccountsError::Invalid(problems)) }
    }

    /// Whether `a` passes, with the roles and habilitations it holds in `org`.
    pub fn matches(&self, a: &Account, org: &OrgId) -> bool {
        let (roles, habilitations) = match a.delegation(org).filter(|_| a.home() != *org) {
            Some(d) => (&d.roles, &d.habilitations),
            None => (&a.roles, &a.habilitations),
        };
        self.actor_type.is_none_or(|t| a.actor_type == t)
            && self.role.is_none_or(|r| roles.contains(&r))
            && self.procedure.as_ref().is_none_or(|p| habilitations.contains(p))
            && self.active.is_none_or(|active| a.active == active)
            && self.name.as_ref().is_none_or(|prefix| {
                let (last, first) = (search_key(&a.last_name), search_key(&a.first_name));
                format!("{last} {first}").starts_with(prefix.as_str())
                    || format!("{first} {last}").starts_with(prefix.as_str())
            })
    }
}

// ---------------------------------------------------------------------------------------------
// Field rules
// ---------------------------------------------------------------------------------------------

/// An actor type an organisation's administrator may give: national administrators are the
/// national team's to name (provisioning), never an organisation's.
fn actor_type(s: &str) -> Result<ActorType, String> {
    match serde_json::from_value(Value::String(s.to_owned())) {
        Ok(ActorType::NationalAdmin) => Err(format!("\"{s}\" accounts are named by the national team only")),
        Ok(t) => Ok(t),
        Err(_) => Err(format!("\"{s}\" is not an actor type (LOCAL_ADMIN, TECHNICAL_DELEGATE, AGENT)")),
    }
}

fn role(s: &str) -> Result<Role, String> {
    Role::parse(s).ok_or_else(|| {
        let all: Vec<_> = Role::ALL.iter().map(|r| r.as_str()).collect();
        format!("\"{s}\" is not a role ({})", all.join(", "))
    })
}

fn civility(s: &str) -> Result<Civility, String> {
    serde_json::from_value(Value::String(s.to_owned()))
        .map_err(|_| format!("\"{s}\" is not a civility (MADAME, MONSIEUR)"))
}

/// French country codes, whose national numbers are written with a leading 0 that the
/// international form drops (`06 12 34 56 78` → `+33612345678`).
const FRENCH_COUNTRY_CODES: &[&str] = &["33", "262", "269", "508", "590", "594", "596", "681", "687", "689"];

/// The overseas departments and territories reached through a national number (`0` and nine
/// digits) whose country code is not +33: its first four digits, then its country code.
const OVERSEAS_PREFIXES: &[(&str, &str)] = &[
    ("0262", "262"),
    ("0263", "262"),
    ("0269", "262"),
    ("0639", "262"),
    ("0692", "262"),
    ("0693", "262"),
    ("0508", "508"),
    ("0590", "590"),
    ("0690", "590"),
    ("0691", "590"),
    ("0594", "594"),
    ("0694", "594"),
    ("0596", "596"),
    ("0696", "596"),
    ("0697", "596"),
];

/// A phone number, stored in E.164 (`+33612345678`). Accepted as written by people: the
/// international form (`+33 6 12 34 56 78`, `0033…`), or a French national number
/// (`06 12 34 56 78`, `0612345678`, `06.12.34.56.78`), which gets its country code (+33, or the
/// overseas department's); spaces, dots, dashes and brackets between digits are dropped. An
/// international number has 8 to 15 digits and, for a French code, no national leading 0.
///
/// # Errors
/// The rule, to show the person.
pub fn phone_number(s: &str) -> Result<String, String> {
    let rule = format!(
        "\"{s}\" is not a phone number: a French number (e.g. 06 12 34 56 78) or one with its country code (e.g. +33612345678)"
    );
    let compact: String = s.trim().chars().filter(|c| !matches!(c, ' ' | '.' | '-' | '(' | ')' | '\u{a0}')).collect();
    let international = match (compact.strip_prefix('+'), compact.strip_prefix("00")) {
        (Some(digits), _) | (None, Some(digits)) => digits.to_owned(),
        (None, None) => {
            // A national number: 0, then nine digits, the first of them not 0.
            let national = compact.len() == 10
                && compact.bytes().all(|b| b.is_ascii_digit())
                && compact.starts_with('0')
                && !compact[1..].starts_with('0');
            if !national {
                return Err(rule);
            }
            let code = OVERSEAS_PREFIXES.iter().find(|(p, _)| compact.starts_with(p)).map_or("33", |(_, c)| c);
            format!("{code}{}", &compact[1..])
        }
    };
    let digits = international.as_str();
    if !(8..=15).contains(&digits.len()) || !digits.bytes().all(|b| b.is_ascii_digit()) || digits.starts_with('0') {
        return Err(rule);
    }
    if FRENCH_COUNTRY_CODES.iter().any(|code| digits.strip_prefix(code).is_some_and(|rest| rest.starts_with('0'))) {
        return Err(rule);
    }
    // A French number has nine digits after +33.
    if let Some(rest) = digits.strip_prefix("33")
        && rest.len() != 9
    {
        return Err(rule);
    }
    Ok(format!("+{digits}"))
}

/// A person's name: trimmed, 1 to 100 characters.
fn name(c: &mut Checker<'_>, root: &Map<String, Value>, field: &str, required: bool) -> Option<String> {
    c.string(root, "", field, required, 100).map(|s| s.trim().to_owned()).filter(|s| !s.is_empty())
}

/// Refuses properties the operation does not take (`email` on an edit, say).
fn known_properties(c: &mut Checker<'_>, root: &Map<String, Value>, allowed: &[&str]) {
    let unknown: Vec<_> = root.keys().filter(|k| !allowed.contains(&k.as_str())).map(|k| format!("\"{k}\"")).collect();
    if !unknown.is_empty() {
        c.problem(
            "",
            format!("Object instance has properties which are not allowed by the schema: [{}]", unknown.join(",")),
        );
    }
}

/// A list of strings, each read by `parse` (which explains a refusal), duplicates dropped;
/// `None` when absent or wrong.
fn list_of<T: PartialEq>(
    c: &mut Checker<'_>,
    root: &Map<String, Value>,
    field: &str,
    parse: impl Fn(&str) -> Result<T, String>,
) -> Option<Vec<T>> {
    let items = c.array(root, "", field, 0, 100)?;
    let mut out = Vec::new();
    let mut ok = true;
    for (i, item) in items.iter().enumerate() {
        let at = format!(".{field}[{i}]");
        match item.as_str().ok_or_else(|| "Instance is not a string".to_owned()).and_then(&parse) {
            Ok(v) if !out.contains(&v) => out.push(v),
            Ok(_) => {}
            Err(e) => {
                c.problem(&at, e);
                ok = false;
            }
        }
    }
    ok.then_some(out)
}

fn habilitation(subscribed: &[ProcessCode]) -> impl Fn(&str) -> Result<ProcessCode, String> + '_ {
    move |s| {
        let code = ProcessCode::parse(s)?;
        if subscribed.contains(&code) {
            Ok(code)
        } else {
            Err(format!("The organisation does not subscribe to procedure {code}: it cannot be given"))
        }
    }
}

/// The guide marks the roles required: an account without any would be a dead account.
const NO_ROLE: &str = "At least one role is required";

const LOCAL_ADMIN_HABILITATIONS: &str =
    "A local administrator has no habilitations: they see every procedure of the organisation";

// ---------------------------------------------------------------------------------------------
// Creating
// ---------------------------------------------------------------------------------------------

const CREATE_FIELDS: &[&str] = &[
    "actorType",
    "email",
    "civility",
    "firstName",
    "lastName",
    "function",
    "phoneNumber",
    "secondaryPhoneNumber",
    "habilitations",
];

/// `POST /portail/v1/accounts`: the account to create, as its body declares it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewAccount {
    pub actor_type: ActorType,
    pub email: Email,
    pub civility: Option<Civility>,
    pub first_name: String,
    pub last_name: String,
    pub function: Option<String>,
    pub phone_number: String,
    pub secondary_phone_number: Option<String>,
    pub habilitations: Vec<ProcessCode>,
}

impl NewAccount {
    /// Reads the body; `subscribed` ([`procedures_to_give`]) are the habilitations it may give,
    /// checked with the other fields so that one answer lists every problem; `line`
    /// (`METHOD /path`) names the request in the problems.
    ///
    /// # Errors
    /// `Invalid`, listing every problem.
    pub fn parse(line: &str, body: &Value, subscribed: &[ProcessCode]) -> Result<Self, AccountsError> {
        let mut c = Checker::new(line);
        let Some(root) = c.root(body) else {
            return Err(AccountsError::Invalid(c.problems));
        };
        known_properties(&mut c, root, CREATE_FIELDS);
        let actor = c.parsed(root, "", "actorType", true, 40, actor_type);
        let email = c.parsed(root, "", "email", true, 320, Email::parse);
        let civility = c.parsed(root, "", "civility", false, 20, civility);
        let first_name = name(&mut c, root, "firstName", true);
        let last_name = name(&mut c, root, "lastName", true);
        let function =
            c.string(root, "", "function", false, 200).map(|s| s.trim().to_owned()).filter(|s| !s.is_empty());
        let phone = c.parsed(root, "", "phoneNumber", true, 40, phone_number);
        let secondary = c.parsed(root, "", "secondaryPhoneNumber", false, 40, phone_number);
        let habilitations = list_of(&mut c, root, "habilitations", habilitation(subscribed)).unwrap_or_default();
        if actor == Some(ActorType::LocalAdmin) && !habilitations.is_empty() {
            c.problem(".habilitations", LOCAL_ADMIN_HABILITATIONS);
        }
        let (Some(actor_type), Some(email), Some(first_name), Some(last_name), Some(phone_number), true) =
            (actor, email, first_name, last_name, phone, c.is_ok())
        else {
            return Err(AccountsError::Invalid(c.problems));
        };
        Ok(Self {
            actor_type,
            email,
            civility,
            first_name,
            last_name,
            function,
            phone_number,
            secondary_phone_number: secondary,
            habilitations,
        })
    }
}

// ---------------------------------------------------------------------------------------------
// Editing
// ---------------------------------------------------------------------------------------------

const EDIT_FIELDS: &[&str] = &[
    "actorType",
    "civility",
    "firstName",
    "lastName",
    "function",
    "phoneNumber",
    "secondaryPhoneNumber",
    "roles",
    "habilitations",
];

/// `PATCH /portail/v1/accounts/{email}`: the changes of an edit, read once; `Some(None)` clears
/// an optional field (`null`).
#[derive(Debug, Default)]
pub struct AccountChanges {
    actor_type: Option<ActorType>,
    civility: Option<Option<Civility>>,
    first_name: Option<String>,
    last_name: Option<String>,
    function: Option<Option<String>>,
    phone_number: Option<String>,
    secondary_phone_number: Option<Option<String>>,
    roles: Option<Vec<Role>>,
    habilitations: Option<Vec<ProcessCode>>,
    /// `METHOD /path`, for the problems found once the account is read.
    line: String,
}

fn cleared(root: &Map<String, Value>, field: &str) -> bool {
    matches!(root.get(field), Some(Value::Null))
}

impl AccountChanges {
    /// Reads the body; `subscribed` ([`procedures_to_give`]) are the habilitations it may give,
    /// checked with the other fields so that one answer lists every problem; `line`
    /// (`METHOD /path`) names the request in the problems, here and in those found once the
    /// account is read.
    ///
    /// # Errors
    /// `Invalid`, listing every problem.
    pub fn parse(line: &str, body: &Value, subscribed: &[ProcessCode]) -> Result<Self, AccountsError> {
        let mut c = Checker::new(line);
        let Some(root) = c.root(body) else {
            return Err(AccountsError::Invalid(c.problems));
        };
        known_properties(&mut c, root, EDIT_FIELDS);
        for required in ["actorType", "firstName", "lastName", "phoneNumber", "roles", "habilitations"] {
            if cleared(root, required) {
                c.problem(&format!(".{required}"), "Instance is null: this field cannot be cleared");
            }
        }
        let mut ch = AccountChanges {
            actor_type: c.parsed(root, "", "actorType", false, 40, actor_type),
            first_name: name(&mut c, root, "firstName", false),
            last_name: name(&mut c, root, "lastName", false),
            phone_number: c.parsed(root, "", "phoneNumber", false, 40, phone_number),
            roles: list_of(&mut c, root, "roles", role),
            habilitations: list_of(&mut c, root, "habilitations", habilitation(subscribed)),
            ..AccountChanges::default()
        };
        if root.contains_key("firstName") && ch.first_name.is_none() && !cleared(root, "firstName") && c.is_ok() {
            c.problem(".firstName", "String is empty");
        }
        if root.contains_key("lastName") && ch.last_name.is_none() && !cleared(root, "lastName") && c.is_ok() {
            c.problem(".lastName", "String is empty");
        }
        ch.civility = c.parsed(root, "", "civility", false, 20, civility).map(Some);
        if cleared(root, "civility") {
            ch.civility = Some(None);
        }
        ch.function =
            c.string(root, "", "function", false, 200).map(|s| Some(s.trim().to_owned()).filter(|s| !s.is_empty()));
        if cleared(root, "function") {
            ch.function = Some(None);
        }
        ch.secondary_phone_number = c.parsed(root, "", "secondaryPhoneNumber", false, 40, phone_number).map(Some);
        if cleared(root, "secondaryPhoneNumber") {
            ch.secondary_phone_number = Some(None);
        }
        if ch.roles.as_ref().is_some_and(Vec::is_empty) {
            c.problem(".roles", NO_ROLE);
        }
        if ch.actor_type == Some(ActorType::LocalAdmin) && ch.habilitations.as_ref().is_some_and(|h| !h.is_empty()) {
            c.problem(".habilitations", LOCAL_ADMIN_HABILITATIONS);
        }
        if !c.is_ok() {
            return Err(AccountsError::Invalid(c.problems));
        }
        ch.line = line.to_owned();
        Ok(ch)
    }

    fn problem(&self, field: &str, message: &str) -> AccountsError {
        AccountsError::Invalid(vec![format!("[ERROR][REQUEST][{} @body.{field}] {message}", self.line)])
    }

    /// Applies the changes to what a technical delegate of another organisation holds in the
    /// organisation managing it: its roles and habilitations there, nothing of its profile.
    pub(super) fn apply_to_delegation(&self, d: &mut Delegation) -> Result<(), AccountsError> {
        let profile = self.actor_type.is_some()
            || self.civility.is_some()
            || self.first_name.is_some()
            || self.last_name.is_some()
            || self.function.is_some()
            || self.phone_number.is_some()
            || self.secondary_phone_number.is_some();
        if profile {
            return Err(AccountsError::NotHome);
        }
        if let Some(roles) = &self.roles {
            d.roles.clone_from(roles);
        }
        if let Some(h) = &self.habilitations {
            d.habilitations.clone_from(h);
        }
        Ok(())
    }

    /// Applies the changes. A new actor type without `roles` brings its default roles, as a
    /// creation does; a local administrator keeps no habilitations.
    pub(super) fn apply(&self, a: &mut Account) -> Result<(), AccountsError> {
        if let Some(t) = self.actor_type
            && t != a.actor_type
        {
            if !a.delegations.is_empty() {
                // Another actor type would still serve those organisations.
                return Err(
                    self.problem("actorType", "A technical delegate serving other organisations keeps its actor type")
                );
            }
            a.actor_type = t;
            if self.roles.is_none() {
                a.roles = t.default_roles();
            }
        }
        if let Some(roles) = &self.roles {
            a.roles.clone_from(roles);
        }
        if let Some(h) = &self.habilitations {
            a.habilitations.clone_from(h);
        }
        if a.actor_type == ActorType::LocalAdmin && !a.habilitations.is_empty() {
            if self.habilitations.is_some() {
                return Err(self.problem("habilitations", LOCAL_ADMIN_HABILITATIONS));
            }
            a.habilitations.clear();
        }
        if let Some(v) = &self.civility {
            a.civility = *v;
        }
        if let Some(v) = &self.first_name {
            a.first_name.clone_from(v);
        }
        if let Some(v) = &self.last_name {
            a.last_name.clone_from(v);
        }
        if let Some(v) = &self.function {
            a.function.clone_from(v);
        }
        if let Some(v) = &self.phone_number {
            a.phone_number = Some(v.clone());
        }
        if let Some(v) = &self.secondary_phone_number {
            a.secondary_phone_number.clone_from(v);
        }
        Ok(())
    }
}
