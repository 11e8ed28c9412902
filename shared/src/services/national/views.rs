//! What the national back office answers: metadata only. No view here carries a dossier, a
//! file, a person's profile beyond name and type, a password, a code or a secret's hash.

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::domain::{
    AccessMode, Account, ActorType, AdminAction, ApiClient, BranchCode, OrgContact, OrgType, Organisation, Procedure,
    ProcessCode, Retention, Scope, Siret, StatusPolicy, Subscription, SubscriptionStatus, contract_time,
};

/// One page of a national listing; `nextCursor` asks for the next one.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ListPage<T> {
    pub items: Vec<T>,
    pub next_cursor: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct OrganisationView {
    pub siret: Siret,
    pub branch_code: BranchCode,
    pub name: String,
    #[serde(rename = "type")]
    pub org_type: OrgType,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub code: Option<String>,
    pub contacts: Vec<OrgContact>,
    #[serde(with = "contract_time::option")]
    pub closed_at: Option<DateTime<Utc>>,
    pub to_complete: bool,
    pub proconnect_only: bool,
}

impl OrganisationView {
    pub fn of(o: &Organisation) -> Self {
        Self {
            siret: o.siret.clone(),
            branch_code: o.branch_code.clone(),
            name: o.name.clone(),
            org_type: o.org_type,
            code: o.code.clone(),
            contacts: o.contacts.clone(),
            closed_at: o.closed_at,
            to_complete: o.to_complete,
            proconnect_only: o.proconnect_only,
        }
    }
}

/// An organisation's page: what it is, its subscriptions, the people and the API clients
/// acting for it — names and kinds only.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct OrganisationPage {
    #[serde(flatten)]
    pub organisation: OrganisationView,
    pub subscriptions: Vec<SubscriptionSummary>,
    pub accounts: Vec<AccountSummary>,
    pub api_clients: Vec<ApiClientView>,
}

#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SubscriptionSummary {
    pub id: uuid::Uuid,
    pub process_code: ProcessCode,
    pub status: SubscriptionStatus,
    pub access_mode: Option<AccessMode>,
}

impl SubscriptionSummary {
    pub fn of(s: &Subscription) -> Self {
        Self { id: s.id, process_code: s.process_code.clone(), status: s.status, access_mode: s.access_mode }
    }
}

/// A person acting for an organisation, as the national team sees it: name, type, whether it
/// may sign in. Its address is the support pages' business, not an organisation's page.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AccountSummary {
    pub first_name: String,
    pub last_name: String,
    pub actor_type: ActorType,
    pub active: bool,
}

impl AccountSummary {
    pub fn of(a: &Account) -> Self {
        Self {
            first_name: a.first_name.clone(),
            last_name: a.last_name.clone(),
            actor_type: a.actor_type,
            active: a.active,
        }
    }
}

/// A procedure and every rule, defaults written out.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ProcedureView {
    pub code: ProcessCode,
    pub title: String,
    pub description: String,
    pub legal_framework: String,
    pub operator: String,
    pub status_policy: StatusPolicy,
    pub max_attachment_size: u64,
    pub allowed_mime_types: Vec<String>,
    pub instructing_deposits: bool,
    pub instructing_max_attachment_size: u64,
    pub instructing_allowed_mime_types: Vec<String>,
    pub awaiting_complements: bool,
    pub messages: bool,
    pub closed: bool,
    pub sensitive: bool,
    pub retention: Retention,
}

impl ProcedureView {
    pub fn of(p: &Procedure) -> Self {
        use crate::domain::Emitter;
        Self {
            code: p.code.clone(),
            title: p.title.clone(),
            description: p.description.clone(),
            legal_framework: p.legal_framework.clone(),
            operator: p.operator.clone(),
            status_policy: p.status_policy,
            max_attachment_size: p.max_attachment_size(Emitter::Operator),
            allowed_mime_types: p.allowed_mime_types(Emitter::Operator).to_vec(),
            instructing_deposits: p.instructing_deposits,
            instructing_max_attachment_size: p.max_attachment_size(Emitter::InstructingService),
            instructing_allowed_mime_types: p.allowed_mime_types(Emitter::InstructingService).to_vec(),
            awaiting_complements: p.awaiting_complements,
            messages: p.messages,
            closed: p.closed,
            sensitive: p.sensitive,
            retention: p.retention.clone(),
        }
    }
}

/// An API client without its secrets' hashes: when each secret was issued and until when it
/// works.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ApiClientView {
    pub client_id: String,
    pub scopes: Vec<Scope>,
    pub siret: Siret,
    pub branch_code: BranchCode,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub process_code: Option<ProcessCode>,
    /// Accepts tokens: neither disabled by hand nor by its subscription's suspension.
    pub enabled: bool,
    pub disabled: bool,
    pub subscription_suspended: bool,
    pub secrets: Vec<SecretView>,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SecretView {
    #[serde(with = "contract_time")]
    pub created: DateTime<Utc>,
    #[serde(with = "contract_time::option")]
    pub expires: Option<DateTime<Utc>>,
}

impl ApiClientView {
    pub fn of(c: &ApiClient) -> Self {
        Self {
            client_id: c.client_id.clone(),
            scopes: c.scopes.clone(),
            siret: c.siret.clone(),
            branch_code: c.branch_code.clone(),
            process_code: c.process_code.clone(),
            enabled: c.is_enabled(),
            disabled: c.disabled,
            subscription_suspended: c.subscription_suspended,
            secrets: c.secrets.iter().map(|s| SecretView { created: s.created, expires: s.expires }).collect(),
        }
    }
}

/// A secret just issued: shown once, never stored in clear.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct IssuedSecret {
    pub client_id: String,
    pub client_secret: String,
    #[serde(flatten)]
    pub client: ApiClientView,
}

/// The record of national actions.
pub type JournalPage = ListPage<AdminAction>;
