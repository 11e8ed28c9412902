//! The national back office's requests, parsed at the edge into typed commands: every problem
//! of a body listed at once, in the contract's style.

use chrono::{DateTime, Utc};
use serde_json::{Map, Value};

use crate::{
    domain::{
        BranchCode, Email, OrgContact, OrgType, Organisation, Procedure, ProcessCode, Retention, Scope, Siret,
        StatusPolicy,
    },
    services::{ExchangeError, validate::Checker},
};

/// The longest title, name or legal framework.
const MAX_TEXT: usize = 255;
/// The longest description.
const MAX_DESCRIPTION: usize = 4000;
/// The most contacts or MIME types one entity carries.
const MAX_ITEMS: usize = 50;

fn finish<T>(c: Checker<'_>, value: Option<T>) -> Result<T, ExchangeError> {
    match value {
        Some(v) if c.is_ok() => Ok(v),
        _ => Err(ExchangeError::Invalid(c.problems)),
    }
}

fn root<'v>(c: &mut Checker<'_>, body: &'v Value, allowed: &[&str]) -> Option<&'v Map<String, Value>> {
    let root = c.root(body)?;
    c.only(root, "", allowed);
    Some(root)
}

/// An operator's code, as procedures name it (`DGS`): 1 to 30 of `A-Z0-9_-`.
pub fn operator_code(s: &str) -> Result<String, String> {
    let ok = !s.is_empty()
        && s.len() <= 30
        && s.chars().all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || "_-".contains(c));
    if ok { Ok(s.to_owned()) } else { Err(format!("\"{s}\" is not an operator code (1 to 30 of A-Z, 0-9, _ and -)")) }
}

fn org_type(s: &str) -> Result<OrgType, String> {
    serde_json::from_value(Value::String(s.to_owned())).map_err(|_| format!("\"{s}\" is not SI, OSL or ADMIN"))
}

fn contacts(c: &mut Checker<'_>, obj: &Map<String, Value>) -> Option<Vec<OrgContact>> {
    let items = c.array(obj, "", "contacts", 0, MAX_ITEMS)?;
    let mut out = Vec::new();
    for (i, v) in items.iter().enumerate() {
        let at = format!(".contacts[{i}]");
        let Some(o) = c.item(v, &at) else { continue };
        c.only(o, &at, &["name", "email", "phone"]);
        let name = c.string(o, &at, "name", true, MAX_TEXT);
        let email = c.parsed(o, &at, "email", true, 255, |s| Email::parse(s).map_err(|e| e.to_string()));
        let phone = c.string(o, &at, "phone", false, 30);
        if let (Some(name), Some(email)) = (name, email) {
            out.push(OrgContact { name, email, phone });
        }
    }
    Some(out)
}

/// `POST /portail/v1/national/organisations`.
#[derive(Clone, Debug)]
pub struct NewOrganisation(pub Organisation);

impl NewOrganisation {
    /// # Errors
    /// `Invalid`, every problem listed.
    pub fn parse(line: &str, body: &Value) -> Result<Self, ExchangeError> {
        let mut c = Checker::new(line);
        let allowed = ["siret", "branchCode", "name", "type", "code", "contacts"];
        let Some(o) = root(&mut c, body, &allowed) else { return Err(ExchangeError::Invalid(c.problems)) };
        let siret = c.parsed(o, "", "siret", true, 14, |s| Siret::parse(s).map_err(|e| e.to_string()));
        let branch = c.parsed(o, "", "branchCode", true, 10, |s| BranchCode::parse(s).map_err(|e| e.to_string()));
        let name = c.string(o, "", "name", true, MAX_TEXT);
        let kind = c.parsed(o, "", "type", true, 10, org_type);
        let code = c.parsed(o, "", "code", false, 30, operator_code);
        let contacts = contacts(&mut c, o).unwrap_or_default();
        match (kind, &code) {
            (Some(OrgType::Osl), None) => c.problem(".code", "An operator (OSL) needs the code its procedures name"),
            (Some(OrgType::Si | OrgType::Admin), Some(_)) => c.problem(".code", "Only an operator (OSL) has a code"),
            _ => {}
        }
        let org = match (siret, branch, name, kind) {
            (Some(s), Some(b), Some(n), Some(k)) => {
                Some(Organisation { code, contacts, ..Organisation::new(s, b, n, k) })
            }
            _ => None,
        };
        finish(c, org).map(Self)
    }
}

/// `PATCH /portail/v1/national/organisations/{siret}/{branchCode}`: what is present changes.
#[derive(Clone, Debug, Default)]
pub struct OrganisationChanges {
    pub name: Option<String>,
    pub contacts: Option<Vec<OrgContact>>,
    /// `true` closes the organisation (no new subscription, no new folder), `false` reopens it.
    pub closed: Option<bool>,
    /// Clears "à compléter" once the national team checked the organisation.
    pub completed: bool,
    /// `true`: its people sign in with ProConnect only; `false`: with a password too.
    pub proconnect_only: Option<bool>,
}

impl OrganisationChanges {
    /// # Errors
    /// `Invalid`, every problem listed.
    pub fn parse(line: &str, body: &Value) -> Result<Self, ExchangeError> {
        let mut c = Checker::new(line);
        let Some(o) = root(&mut c, body, &["name", "contacts", "closed", "proconnectOnly"]) else {
            return Err(ExchangeError::Invalid(c.problems));
        };
        let name = c.string(o, "", "name", false, MAX_TEXT);
        if name.as_deref().is_some_and(|n| n.trim().is_empty()) {
            c.problem(".name", "String is empty");
        }
        let contacts = if o.contains_key("contacts") { contacts(&mut c, o) } else { None };
        let closed = c.boolean(o, "", "closed", false);
        let proconnect_only = c.boolean(o, "", "proconnectOnly", false);
        let completed = name.is_some();
        finish(c, Some(Self { name, contacts, closed, completed, proconnect_only }))
    }

    /// The organisation after the changes, at `now`.
    pub fn apply(&self, org: &Organisation, now: DateTime<Utc>) -> Organisation {
        let mut org = org.clone();
        if let Some(name) = &self.name {
            org.name.clone_from(name);
        }
        if let Some(contacts) = &self.contacts {
            org.contacts.clone_from(contacts);
        }
        match self.closed {
            Some(true) if org.closed_at.is_none() => org.closed_at = Some(now),
            Some(false) => org.closed_at = None,
            _ => {}
        }
        if self.completed {
            org.to_complete = false;
        }
        if let Some(only) = self.proconnect_only {
            org.proconnect_only = only;
        }
        org
    }
}

/// A procedure's fields as a request gives them: each one present changes (`POST` needs `code`,
/// `title` and `operator`).
#[derive(Clone, Debug, Default)]
pub struct ProcedureFields {
    pub code: Option<ProcessCode>,
    pub title: Option<String>,
    pub description: Option<String>,
    pub legal_framework: Option<String>,
    pub operator: Option<String>,
    pub status_policy: Option<StatusPolicy>,
    pub max_attachment_size: Option<Option<u64>>,
    pub allowed_mime_types: Option<Vec<String>>,
    pub instructing_deposits: Option<bool>,
    pub instructing_max_attachment_size: Option<Option<u64>>,
    pub instructing_allowed_mime_types: Option<Vec<String>>,
    pub awaiting_complements: Option<bool>,
    pub messages: Option<bool>,
    pub closed: Option<bool>,
    pub sensitive: Option<bool>,
    pub retention: Option<Retention>,
}

const PROCEDURE_FIELDS: [&str; 16] = [
    "code",
    "title",
    "description",
    "legalFramework",
    "operator",
    "statusPolicy",
    "maxAttachmentSize",
    "allowedMimeTypes",
    "instructingDeposits",
    "instructingMaxAttachmentSize",
    "instructingAllowedMimeTypes",
    "awaitingComplements",
    "messages",
    "closed",
    "sensitive",
    "retention",
];

impl ProcedureFields {
    fn parse(line: &str, body: &Value, creating: bool) -> Result<Self, ExchangeError> {
        let mut c = Checker::new(line);
        let allowed: &[&str] = if creating { &PROCEDURE_FIELDS } else { &PROCEDURE_FIELDS[1..] };
        let Some(o) = root(&mut c, body, allowed) else { return Err(ExchangeError::Invalid(c.problems)) };
        let code = c.parsed(o, "", "code", creating, 30, |s| ProcessCode::parse(s).map_err(|e| e.to_string()));
        let title = c.string(o, "", "title", creating, MAX_TEXT);
        let description = c.string(o, "", "description", false, MAX_DESCRIPTION);
        let legal_framework = c.string(o, "", "legalFramework", false, MAX_DESCRIPTION);
        let operator = c.parsed(o, "", "operator", creating, 30, operator_code);
        let status_policy = c.parsed(o, "", "statusPolicy", false, 20, |s| {
            serde_json::from_value(Value::String(s.to_owned()))
                .map_err(|_| format!("\"{s}\" is not compatible or strict"))
        });
        // A size given as null goes back to the default.
        let size = |c: &mut Checker<'_>, name: &str| match o.get(name) {
            None => None,
            Some(Value::Null) => Some(None),
            Some(_) => c.unsigned(o, "", name, false).filter(|n| *n > 0).map(Some),
        };
        let max_attachment_size = size(&mut c, "maxAttachmentSize");
        let instructing_max_attachment_size = size(&mut c, "instructingMaxAttachmentSize");
        let allowed_mime_types = c.strings(o, "", "allowedMimeTypes", MAX_ITEMS, 255);
        let instructing_allowed_mime_types = c.strings(o, "", "instructingAllowedMimeTypes", MAX_ITEMS, 255);
        let instructing_deposits = c.boolean(o, "", "instructingDeposits", false);
        let awaiting_complements = c.boolean(o, "", "awaitingComplements", false);
        let messages = c.boolean(o, "", "messages", false);
        let closed = c.boolean(o, "", "closed", false);
        let sensitive = c.boolean(o, "", "sensitive", false);
        let retention = match o.get("retention") {
            None | Some(Value::Null) => None,
            Some(v) => match serde_json::from_value::<Retention>(v.clone()) {
                Ok(r) => match r.check() {
                    Ok(()) => Some(r),
                    Err(e) => {
                        c.problem(".retention", e);
                        None
                    }
                },
                Err(e) => {
                    c.problem(".retention", e);
                    None
                }
            },
        };
        if title.as_deref().is_some_and(|t| t.trim().is_empty()) {
            c.problem(".title", "String is empty");
        }
        let fields = Self {
            code,
            title,
            description,
            legal_framework,
            operator,
            status_policy,
            max_attachment_size,
            allowed_mime_types,
            instructing_deposits,
            instructing_max_attachment_size,
            instructing_allowed_mime_types,
            awaiting_complements,
            messages,
            closed,
            sensitive,
            retention,
        };
        finish(c, Some(fields))
    }

    /// The procedure with these fields applied.
    pub fn apply(&self, p: &Procedure) -> Procedure {
        let mut p = p.clone();
        macro_rules! set {
            ($($field:ident),*) => {$( if let Some(v) = &self.$field { p.$field = v.clone(); } )*};
        }
        set!(
            title,
            description,
            legal_framework,
            operator,
            status_policy,
            max_attachment_size,
            allowed_mime_types,
            instructing_deposits,
            instructing_max_attachment_size,
            instructing_allowed_mime_types,
            awaiting_complements,
            messages,
            closed,
            sensitive,
            retention
        );
        p
    }
}

/// `POST /portail/v1/national/procedures`.
#[derive(Clone, Debug)]
pub struct NewProcedure(pub Procedure);

impl NewProcedure {
    /// # Errors
    /// `Invalid`, every problem listed.
    pub fn parse(line: &str, body: &Value) -> Result<Self, ExchangeError> {
        let f = ProcedureFields::parse(line, body, true)?;
        let (Some(code), Some(title), Some(operator)) = (&f.code, &f.title, &f.operator) else {
            return Err(ExchangeError::Invalid(vec![format!(
                "[ERROR][REQUEST][{line} @body] code, title and operator are required"
            )]));
        };
        Ok(Self(f.apply(&Procedure::new(code.clone(), title.clone(), operator.clone()))))
    }
}

/// `PATCH /portail/v1/national/procedures/{code}`.
#[derive(Clone, Debug)]
pub struct ProcedureChanges(pub ProcedureFields);

impl ProcedureChanges {
    /// # Errors
    /// `Invalid`, every problem listed.
    pub fn parse(line: &str, body: &Value) -> Result<Self, ExchangeError> {
        ProcedureFields::parse(line, body, false).map(Self)
    }
}

/// `POST /portail/v1/national/api-clients`.
#[derive(Clone, Debug)]
pub struct NewApiClient {
    pub scope: Scope,
    pub siret: Siret,
    pub branch_code: BranchCode,
    pub process_code: Option<ProcessCode>,
}

impl NewApiClient {
    /// # Errors
    /// `Invalid`, every problem listed.
    pub fn parse(line: &str, body: &Value) -> Result<Self, ExchangeError> {
        let mut c = Checker::new(line);
        let Some(o) = root(&mut c, body, &["scope", "siret", "branchCode", "processCode"]) else {
            return Err(ExchangeError::Invalid(c.problems));
        };
        let scope = c.parsed(o, "", "scope", true, 10, |s| {
            Scope::parse(s).ok_or_else(|| format!("\"{s}\" is not a scope (OSL, SI, ADMIN, DATAPASS)"))
        });
        let siret = c.parsed(o, "", "siret", true, 14, |s| Siret::parse(s).map_err(|e| e.to_string()));
        let branch = c.parsed(o, "", "branchCode", true, 10, |s| BranchCode::parse(s).map_err(|e| e.to_string()));
        let process = c.parsed(o, "", "processCode", false, 30, |s| ProcessCode::parse(s).map_err(|e| e.to_string()));
        match (scope, &process) {
            (Some(Scope::Si), None) => {
                c.problem(".processCode", "An SI client belongs to one subscription: processCode is required")
            }
            (Some(s), Some(_)) if s != Scope::Si => c.problem(".processCode", "Only an SI client names a procedure"),
            _ => {}
        }
        let new = match (scope, siret, branch) {
            (Some(scope), Some(siret), Some(branch_code)) => {
                Some(Self { scope, siret, branch_code, process_code: process })
            }
            _ => None,
        };
        finish(c, new)
    }
}

/// `PATCH /portail/v1/national/api-clients/{clientId}`.
#[derive(Clone, Copy, Debug)]
pub struct ApiClientChange {
    pub disabled: bool,
}

impl ApiClientChange {
    /// # Errors
    /// `Invalid`.
    pub fn parse(line: &str, body: &Value) -> Result<Self, ExchangeError> {
        let mut c = Checker::new(line);
        let Some(o) = root(&mut c, body, &["disabled"]) else { return Err(ExchangeError::Invalid(c.problems)) };
        let disabled = c.boolean(o, "", "disabled", true);
        finish(c, disabled.map(|disabled| Self { disabled }))
    }
}

/// `POST /portail/v1/national/api-clients/{clientId}/secret`: a new secret, the previous one
/// kept for the overlap unless `revokePrevious`.
#[derive(Clone, Copy, Debug, Default)]
pub struct SecretRotation {
    pub revoke_previous: bool,
}

impl SecretRotation {
    /// # Errors
    /// `Invalid`.
    pub fn parse(line: &str, body: Option<&Value>) -> Result<Self, ExchangeError> {
        let Some(body) = body else { return Ok(Self::default()) };
        let mut c = Checker::new(line);
        let Some(o) = root(&mut c, body, &["revokePrevious"]) else { return Err(ExchangeError::Invalid(c.problems)) };
        let revoke_previous = c.boolean(o, "", "revokePrevious", false).unwrap_or(false);
        finish(c, Some(Self { revoke_previous }))
    }
}

/// The filters of `GET /portail/v1/national/organisations`.
#[derive(Clone, Debug, Default)]
pub struct OrganisationQuery {
    /// A SIRET, or its first digits (a SIREN: every establishment of a company).
    pub siret: Option<String>,
    /// Part of the name, without regard to case or accents.
    pub name: Option<String>,
    pub org_type: Option<OrgType>,
    /// Only those created "à compléter".
    pub to_complete: bool,
    pub cursor: Option<String>,
    pub limit: usize,
}

/// The default and largest page of a national listing.
pub const PAGE: usize = 50;
pub const MAX_PAGE: usize = 500;

/// The query parameters of the national listings, each given once.
pub const ORGANISATION_PARAMETERS: &[&str] = &["siret", "name", "type", "toComplete", "cursor", "limit"];

impl OrganisationQuery {
    /// # Errors
    /// `Invalid`, every problem listed.
    pub fn parse(line: &str, pairs: &[(String, String)]) -> Result<Self, ExchangeError> {
        let mut problems = Vec::new();
        let mut q = Self { limit: PAGE, ..Self::default() };
        for (k, v) in pairs {
            let mut bad = |m: String| problems.push(format!("[ERROR][REQUEST][{line}] @query.{k}: {m}"));
            match k.as_str() {
                "siret" if !v.is_empty() && v.len() <= 14 && v.chars().all(|c| c.is_ascii_digit()) => {
                    q.siret = Some(v.clone())
                }
                "siret" => bad("1 to 14 digits".into()),
                "name" => q.name = Some(v.clone()).filter(|n| !n.trim().is_empty()),
                "type" => match org_type(v) {
                    Ok(t) => q.org_type = Some(t),
                    Err(e) => bad(e),
                },
                "toComplete" => match v.as_str() {
                    "true" => q.to_complete = true,
                    "false" => q.to_complete = false,
                    _ => bad("true or false".into()),
                },
                "cursor" => q.cursor = Some(v.clone()),
                "limit" => match v.parse::<usize>() {
                    Ok(n) if (1..=MAX_PAGE).contains(&n) => q.limit = n,
                    _ => bad(format!("an integer from 1 to {MAX_PAGE}")),
                },
                _ => bad("unknown parameter".into()),
            }
        }
        if problems.is_empty() { Ok(q) } else { Err(ExchangeError::Invalid(problems)) }
    }
}

/// The filters of `GET /portail/v1/national/api-clients`.
#[derive(Clone, Debug, Default)]
pub struct ApiClientQuery {
    pub siret: Option<Siret>,
    pub branch_code: Option<BranchCode>,
    pub scope: Option<Scope>,
    pub process_code: Option<ProcessCode>,
    pub disabled: Option<bool>,
    pub cursor: Option<String>,
    pub limit: usize,
}

pub const API_CLIENT_PARAMETERS: &[&str] =
    &["siret", "branchCode", "scope", "processCode", "disabled", "cursor", "limit"];

impl ApiClientQuery {
    /// # Errors
    /// `Invalid`, every problem listed.
    pub fn parse(line: &str, pairs: &[(String, String)]) -> Result<Self, ExchangeError> {
        let mut problems = Vec::new();
        let mut q = Self { limit: PAGE, ..Self::default() };
        for (k, v) in pairs {
            let mut bad = |m: String| problems.push(format!("[ERROR][REQUEST][{line}] @query.{k}: {m}"));
            match k.as_str() {
                "siret" => match Siret::parse(v) {
                    Ok(s) => q.siret = Some(s),
                    Err(e) => bad(e.to_string()),
                },
                "branchCode" => match BranchCode::parse(v) {
                    Ok(b) => q.branch_code = Some(b),
                    Err(e) => bad(e.to_string()),
                },
                "scope" => match Scope::parse(v) {
                    Some(s) => q.scope = Some(s),
                    None => bad(format!("\"{v}\" is not a scope (OSL, SI, ADMIN, DATAPASS)")),
                },
                "processCode" => match ProcessCode::parse(v) {
                    Ok(p) => q.process_code = Some(p),
                    Err(e) => bad(e.to_string()),
                },
                "disabled" => match v.as_str() {
                    "true" => q.disabled = Some(true),
                    "false" => q.disabled = Some(false),
                    _ => bad("true or false".into()),
                },
                "cursor" => q.cursor = Some(v.clone()),
                "limit" => match v.parse::<usize>() {
                    Ok(n) if (1..=MAX_PAGE).contains(&n) => q.limit = n,
                    _ => bad(format!("an integer from 1 to {MAX_PAGE}")),
                },
                _ => bad("unknown parameter".into()),
            }
        }
        if q.branch_code.is_some() && q.siret.is_none() {
            problems.push(format!("[ERROR][REQUEST][{line}] @query.branchCode: only with siret"));
        }
        if problems.is_empty() { Ok(q) } else { Err(ExchangeError::Invalid(problems)) }
    }
}
