//! A subscription as the portal's pages show it: the list's row, the detail (with the API
//! client, never its secrets, the changes of API access and the latest deliveries), and the new
//! credentials, shown once.

use chrono::{DateTime, Utc};
use serde::Serialize;
use uuid::Uuid;

use crate::domain::{
    AccessMode, ApiClient, BranchCode, CredentialChange, CredentialEvent, Email, NotificationFrequency, OutboxItem,
    OutboxMessage, OutboxStatus, Procedure, ProcessCode, SecretHash, Siret, Subscription, SubscriptionStatus,
    format_time,
};

/// The subscriptions of every organisation the person acts for.
#[derive(Clone, Debug, Serialize)]
pub struct SubscriptionList {
    pub items: Vec<SubscriptionRow>,
}

/// A subscription as the list shows it, with the status as it stands when it is read. The
/// answer of the changes too.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SubscriptionRow {
    pub id: Uuid,
    pub process_code: ProcessCode,
    pub procedure_title: Option<String>,
    /// What the procedure is, and the texts it rests on, as the national team wrote them
    /// (absent when it wrote none).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub procedure_description: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub legal_framework: Option<String>,
    pub operator: Option<String>,
    pub datapass_id: Option<i64>,
    pub access_mode: Option<AccessMode>,
    /// The technical delegate's e-mail.
    pub technical_delegate: Option<Email>,
    pub status: SubscriptionStatus,
    pub activate_date_time: Option<String>,
    pub end_date_time: Option<String>,
    pub notification_frequency: NotificationFrequency,
    pub email: Option<Email>,
    pub subscriber: SubscriberView,
}

/// The subscribing organisation.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SubscriberView {
    pub siret: Siret,
    pub branch_code: BranchCode,
    /// The detail only gives the organisation's name (`Some(None)`, `null`, when the
    /// referential has none); the list leaves the key out.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<Option<String>>,
}

impl SubscriptionRow {
    /// The row of `s` at `now`, with its procedure's title and operator when it exists.
    pub fn of(s: &Subscription, procedure: Option<&Procedure>, now: DateTime<Utc>) -> Self {
        Self {
            id: s.id,
            process_code: s.process_code.clone(),
            procedure_title: procedure.map(|p| p.title.clone()),
            procedure_description: procedure.map(|p| p.description.clone()).filter(|d| !d.trim().is_empty()),
            legal_framework: procedure.map(|p| p.legal_framework.clone()).filter(|l| !l.trim().is_empty()),
            operator: procedure.map(|p| p.operator.clone()),
            datapass_id: s.datapass_id,
            access_mode: s.access_mode,
            technical_delegate: s.delegation_actor.as_ref().map(|d| d.email.clone()),
            status: s.effective_status(now),
            activate_date_time: s.activate_date_time.map(format_time),
            end_date_time: s.end_date_time.map(format_time),
            notification_frequency: s.notification_frequency,
            email: s.email.clone(),
            subscriber: SubscriberView { siret: s.siret.clone(), branch_code: s.branch_code.clone(), name: None },
        }
    }
}

/// The detail: the list's row (its subscriber named), the responsible administrator, the
/// validation and update dates, the API client (never its secrets), the latest changes of API
/// access and the latest deliveries.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SubscriptionDetail {
    #[serde(flatten)]
    pub row: SubscriptionRow,
    /// The local administrator's e-mail.
    pub local_administrator: Option<Email>,
    pub validate_date_time: Option<String>,
    pub update_date_time: Option<String>,
    /// The enabled API client, if any.
    pub api_client: Option<ApiClientView>,
    pub credential_history: Vec<CredentialEventView>,
    pub deliveries: Vec<DeliveryView>,
}

impl SubscriptionDetail {
    /// The detail of `s`, from its `row` and what was read besides: the subscriber's name, its
    /// enabled client, the latest changes of API access and deliveries, newest first.
    pub fn of(
        s: &Subscription,
        mut row: SubscriptionRow,
        subscriber_name: Option<String>,
        client: Option<&ApiClient>,
        history: Vec<CredentialEvent>,
        deliveries: Vec<OutboxItem>,
    ) -> Self {
        row.subscriber.name = Some(subscriber_name);
        Self {
            row,
            local_administrator: s.local_administrator.as_ref().map(|a| a.email.clone()),
            validate_date_time: s.validate_date_time.map(format_time),
            update_date_time: s.update_date_time.map(format_time),
            api_client: client.map(ApiClientView::of),
            credential_history: history.into_iter().map(CredentialEventView::of).collect(),
            deliveries: deliveries.into_iter().map(DeliveryView::of).collect(),
        }
    }
}

/// An API client as the detail shows it: its id and its secrets' dates, never the secrets.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ApiClientView {
    pub client_id: String,
    pub secrets: Vec<SecretDates>,
}

/// When a secret was issued, and when it stops working (`null`: not before another one is
/// issued).
#[derive(Clone, Debug, Serialize)]
pub struct SecretDates {
    pub created: String,
    pub expires: Option<String>,
}

impl ApiClientView {
    pub fn of(c: &ApiClient) -> Self {
        Self { client_id: c.client_id.clone(), secrets: c.secrets.iter().map(SecretDates::of).collect() }
    }
}

impl SecretDates {
    fn of(x: &SecretHash) -> Self {
        Self { created: format_time(x.created), expires: x.expires.map(format_time) }
    }
}

/// One recorded change of the API access: what (`kind` and its details), who, when, and who
/// was told.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CredentialEventView {
    #[serde(flatten)]
    pub change: CredentialChange,
    pub date_time: String,
    pub actor: Email,
    pub client_id: String,
    pub notified: Vec<Email>,
}

impl CredentialEventView {
    pub fn of(e: CredentialEvent) -> Self {
        Self {
            change: e.change,
            date_time: format_time(e.date_time),
            actor: e.actor,
            client_id: e.client_id,
            notified: e.notified,
        }
    }
}

/// One e-mail sent or failed for the subscription: where an administrator learns that the
/// notification address bounces.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DeliveryView {
    /// When it was sent, failed for good, or closed.
    pub date_time: Option<String>,
    pub status: OutboxStatus,
    /// The address it was sent to.
    pub to: Option<String>,
    pub attempts: u32,
    pub last_error: Option<String>,
    pub message: OutboxMessage,
}

impl DeliveryView {
    pub fn of(d: OutboxItem) -> Self {
        Self {
            date_time: d.done_at.map(format_time),
            status: d.status,
            to: d.sent_to,
            attempts: d.attempts,
            last_error: d.last_error,
            message: d.message,
        }
    }
}

/// The new credentials, shown once: the client id, the new secret when one was issued, and
/// until when the previous one works.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CredentialsView {
    pub client_id: Option<String>,
    pub client_secret: Option<String>,
    pub previous_secret_valid_until: Option<String>,
}

impl CredentialsView {
    pub fn of(client: Option<&ApiClient>, secret: Option<String>) -> Self {
        let previous_until = client.and_then(|c| c.secrets.iter().rev().nth(1)).and_then(|x| x.expires);
        Self {
            client_id: client.map(|c| c.client_id.clone()),
            client_secret: secret,
            previous_secret_valid_until: previous_until.map(format_time),
        }
    }
}

/// The answer to a change of access mode: the row, and the credentials when a secret was
/// issued (the key is absent otherwise).
#[derive(Clone, Debug, Serialize)]
pub struct AccessModeView {
    #[serde(flatten)]
    pub row: SubscriptionRow,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub credentials: Option<CredentialsView>,
}

/// The answer to revoking the previous secret: the API client as the detail shows it.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ApiClientState {
    pub api_client: Option<ApiClientView>,
}
