//! The provisioning file (`HUBEE_SEED`): procedures, organisations, subscriptions, API clients
//! and accounts, loaded idempotently (loading the same file twice changes nothing). The format
//! is documented in docs/PROVISIONING.md.

use std::collections::HashSet;

use anyhow::{Context, bail};
use chrono::{DateTime, Utc};
use serde::Deserialize;
use uuid::Uuid;

use crate::{
    auth::{hash_secret, verify_secret},
    domain::{
        AccessMode, Account, ActorType, ApiClient, BranchCode, Contact, Email, NotificationFrequency, OrgId, OrgType,
        Organisation, Procedure, ProcessCode, Retention, Role, Scope, SecretHash, Siret, StatusPolicy, Subscription,
        SubscriptionStatus, contract_time,
    },
    store::Store,
};

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Provisioning {
    #[serde(default)]
    pub procedures: Vec<ProcedureSeed>,
    #[serde(default)]
    pub organisations: Vec<OrganisationSeed>,
    #[serde(default)]
    pub subscriptions: Vec<SubscriptionSeed>,
    #[serde(default)]
    pub api_clients: Vec<ApiClientSeed>,
    #[serde(default)]
    pub accounts: Vec<AccountSeed>,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ProcedureSeed {
    pub code: ProcessCode,
    pub title: String,
    pub operator: String,
    #[serde(default)]
    pub status_policy: StatusPolicy,
    #[serde(default)]
    pub max_attachment_size: Option<u64>,
    #[serde(default)]
    pub allowed_mime_types: Vec<String>,
    /// Retention rules; what is left out takes the defaults (docs/RETENTION.md).
    #[serde(default)]
    pub retention: Retention,
    /// The rules the national pages also set: absent, a new procedure takes the default and an
    /// existing one keeps what the national administrator set.
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default)]
    pub legal_framework: Option<String>,
    #[serde(default)]
    pub instructing_deposits: Option<bool>,
    #[serde(default)]
    pub instructing_max_attachment_size: Option<u64>,
    #[serde(default)]
    pub instructing_allowed_mime_types: Option<Vec<String>>,
    #[serde(default)]
    pub awaiting_complements: Option<bool>,
    #[serde(default)]
    pub messages: Option<bool>,
    #[serde(default)]
    pub closed: Option<bool>,
    #[serde(default)]
    pub sensitive: Option<bool>,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct OrganisationSeed {
    pub siret: Siret,
    pub branch_code: BranchCode,
    pub name: String,
    #[serde(rename = "type")]
    pub org_type: OrgType,
    #[serde(default)]
    pub code: Option<String>,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct SubscriptionSeed {
    #[serde(default)]
    pub id: Option<Uuid>,
    pub siret: Siret,
    pub branch_code: BranchCode,
    pub process_code: ProcessCode,
    pub status: SubscriptionStatus,
    pub access_mode: AccessMode,
    pub notification_frequency: NotificationFrequency,
    #[serde(default)]
    pub email: Option<Email>,
    #[serde(default, with = "contract_time::option")]
    pub activate_date_time: Option<DateTime<Utc>>,
    #[serde(default)]
    pub datapass_id: Option<i64>,
    /// The contract's `localAdministrator` (`{"email": …}`, names optional); the account itself
    /// goes in `accounts`.
    #[serde(default)]
    pub local_administrator: Option<Contact>,
    #[serde(default)]
    pub delegation_actor: Option<Contact>,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ApiClientSeed {
    pub client_id: String,
    pub client_secret: String,
    pub scope: Scope,
    pub siret: Siret,
    pub branch_code: BranchCode,
    #[serde(default)]
    pub process_code: Option<ProcessCode>,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct AccountSeed {
    pub email: Email,
    #[serde(default)]
    pub password: Option<String>,
    pub actor_type: ActorType,
    pub siret: Siret,
    pub branch_code: BranchCode,
    pub first_name: String,
    pub last_name: String,
    /// Without them, a new account gets its actor type's defaults and an existing one keeps
    /// what it has (an administrator may have adjusted them).
    #[serde(default)]
    pub roles: Option<Vec<Role>>,
    /// The procedures an agent sees; as for `roles`, absent keeps what the account has.
    #[serde(default)]
    pub habilitations: Option<Vec<ProcessCode>>,
}

/// What a load changed.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct LoadReport {
    pub written: usize,
    pub unchanged: usize,
}

impl Provisioning {
    /// # Errors
    /// When the text is not a valid provisioning file.
    pub fn parse(text: &str) -> anyhow::Result<Self> {
        serde_json::from_str(text).context("invalid provisioning file")
    }

    /// Checks references between entries, against the file and the store.
    async fn check(&self, store: &Store) -> anyhow::Result<()> {
        let orgs: HashSet<(&Siret, &BranchCode)> =
            self.organisations.iter().map(|o| (&o.siret, &o.branch_code)).collect();
        let procs: HashSet<&ProcessCode> = self.procedures.iter().map(|p| &p.code).collect();
        let mut codes = HashSet::new();
        for o in &self.organisations {
            let Some(code) = &o.code else { continue };
            if !codes.insert(code) {
                bail!("organisation {}-{}: operator code {code} given twice", o.siret, o.branch_code);
            }
            if let Some(owner) = store.operator_code_owner(code).await?
                && (owner.siret != o.siret || owner.branch_code != o.branch_code)
            {
                bail!(
                    "organisation {}-{}: operator code {code} is held by {}-{}",
                    o.siret,
                    o.branch_code,
                    owner.siret,
                    owner.branch_code
                );
            }
        }
        for p in &self.procedures {
            p.retention.check().map_err(|e| anyhow::anyhow!("procedure {}: retention: {e}", p.code))?;
        }
        for s in &self.subscriptions {
            if !orgs.contains(&(&s.siret, &s.branch_code))
                && store.organisation(&s.siret, &s.branch_code).await?.is_none()
            {
                bail!("subscription to {}: unknown organisation {}-{}", s.process_code, s.siret, s.branch_code);
            }
            if !procs.contains(&s.process_code) && store.procedure(&s.process_code).await?.is_none() {
                bail!("subscription of {}-{}: unknown procedure {}", s.siret, s.branch_code, s.process_code);
            }
        }
        for c in &self.api_clients {
            if c.client_id.is_empty()
                || c.client_id.len() > 100
                || c.client_id.contains(char::is_whitespace)
                || c.client_id.contains(':')
            {
                bail!("API client {:?}: a client id is 1 to 100 characters, without spaces or ':'", c.client_id);
            }
            if c.client_secret.len() < 12 {
                bail!("API client {}: the secret must be at least 12 characters", c.client_id);
            }
            if !orgs.contains(&(&c.siret, &c.branch_code))
                && store.organisation(&c.siret, &c.branch_code).await?.is_none()
            {
                bail!("API client {}: unknown organisation {}-{}", c.client_id, c.siret, c.branch_code);
            }
            if c.scope == Scope::Si && c.process_code.is_none() {
                bail!("API client {}: an SI client belongs to one subscription and needs a processCode", c.client_id);
            }
        }
        for a in &self.accounts {
            let in_file = self.organisations.iter().find(|o| o.siret == a.siret && o.branch_code == a.branch_code);
            let org_type = match in_file {
                Some(o) => o.org_type,
                None => match store.organisation(&a.siret, &a.branch_code).await? {
                    Some(o) => o.org_type,
                    None => bail!("account {}: unknown organisation {}-{}", a.email, a.siret, a.branch_code),
                },
            };
            if a.actor_type == ActorType::NationalAdmin && org_type != OrgType::Admin {
                bail!("account {}: a NATIONAL_ADMIN belongs to an ADMIN organisation", a.email);
            }
            if a.actor_type == ActorType::NationalAdmin
                && (a.roles.as_ref().is_some_and(|r| !r.is_empty())
                    || a.habilitations.as_ref().is_some_and(|h| !h.is_empty()))
            {
                bail!("account {}: a NATIONAL_ADMIN holds no role and no habilitation", a.email);
            }
        }
        Ok(())
    }

    /// Creates what is missing and updates what differs; loading the same file twice changes
    /// nothing. Secrets and passwords are stored as argon2id hashes and re-hashed only when they
    /// changed.
    ///
    /// # Errors
    /// When a reference is broken or the store fails.
    pub async fn load(&self, store: &Store) -> anyhow::Result<LoadReport> {
        self.check(store).await?;
        let mut report = LoadReport::default();
        let mut count = |written: bool| {
            if written {
                report.written += 1;
            } else {
                report.unchanged += 1;
            }
        };
        for o in &self.organisations {
            // Contacts, closure and completion are the national pages' to set: kept.
            let base = store.organisation(&o.siret, &o.branch_code).await?.unwrap_or_else(|| {
                Organisation::new(o.siret.clone(), o.branch_code.clone(), o.name.clone(), o.org_type)
            });
            let org = Organisation { name: o.name.clone(), org_type: o.org_type, code: o.code.clone(), ..base };
            count(store.save_organisation(&org).await?);
        }
        for p in &self.procedures {
            let base = store
                .procedure(&p.code)
                .await?
                .unwrap_or_else(|| Procedure::new(p.code.clone(), p.title.clone(), p.operator.clone()));
            let procedure = Procedure {
                code: p.code.clone(),
                title: p.title.clone(),
                operator: p.operator.clone(),
                status_policy: p.status_policy,
                max_attachment_size: p.max_attachment_size,
                allowed_mime_types: p.allowed_mime_types.clone(),
                retention: p.retention.clone(),
                description: p.description.clone().unwrap_or(base.description.clone()),
                legal_framework: p.legal_framework.clone().unwrap_or(base.legal_framework.clone()),
                instructing_deposits: p.instructing_deposits.unwrap_or(base.instructing_deposits),
                instructing_max_attachment_size: p
                    .instructing_max_attachment_size
                    .or(base.instructing_max_attachment_size),
                instructing_allowed_mime_types: p
                    .instructing_allowed_mime_types
                    .clone()
                    .unwrap_or(base.instructing_allowed_mime_types.clone()),
                awaiting_complements: p.awaiting_complements.unwrap_or(base.awaiting_complements),
                messages: p.messages.unwrap_or(base.messages),
                closed: p.closed.unwrap_or(base.closed),
                sensitive: p.sensitive.unwrap_or(base.sensitive),
            };
            count(store.save_procedure(&procedure).await?);
        }
        for s in &self.subscriptions {
            let existing = store.subscription(&s.siret, &s.branch_code, &s.process_code).await?;
            // What the file does not say is kept as the API last set it, so that loading the
            // same file again changes nothing.
            let sub = match existing {
                Some(e) => Subscription {
                    status: s.status,
                    access_mode: Some(s.access_mode),
                    notification_frequency: s.notification_frequency,
                    email: s.email.clone(),
                    activate_date_time: s.activate_date_time,
                    datapass_id: s.datapass_id.or(e.datapass_id),
                    local_administrator: s.local_administrator.clone().or(e.local_administrator),
                    delegation_actor: s.delegation_actor.clone().or(e.delegation_actor),
                    ..e
                },
                None => Subscription {
                    access_mode: Some(s.access_mode),
                    email: s.email.clone(),
                    activate_date_time: s.activate_date_time,
                    datapass_id: s.datapass_id,
                    local_administrator: s.local_administrator.clone(),
                    delegation_actor: s.delegation_actor.clone(),
                    ..Subscription::new(
                        s.id.unwrap_or_else(Uuid::new_v4),
                        (s.siret.clone(), s.branch_code.clone()),
                        s.process_code.clone(),
                        s.status,
                        s.notification_frequency,
                    )
                },
            };
            count(store.save_subscription(&sub).await?);
        }
        for c in &self.api_clients {
            let existing = store.api_client(&c.client_id).await?;
            let secrets = match existing.as_ref() {
                Some(e)
                    if e.secrets.iter().any(|s| s.expires.is_none() && verify_secret(&c.client_secret, &s.hash)) =>
                {
                    e.secrets.clone()
                }
                _ => vec![SecretHash { hash: hash_secret(&c.client_secret)?, created: Utc::now(), expires: None }],
            };
            let client = ApiClient {
                client_id: c.client_id.clone(),
                scopes: vec![c.scope],
                siret: c.siret.clone(),
                branch_code: c.branch_code.clone(),
                process_code: c.process_code.clone(),
                secrets,
                disabled: false,
                // What the hub decided since stays: a suspended subscription's client, revoked tokens.
                subscription_suspended: existing.as_ref().is_some_and(|e| e.subscription_suspended),
                tokens_not_before: existing.as_ref().and_then(|e| e.tokens_not_before),
            };
            count(store.save_api_client(&client).await?);
        }
        // The file may suspend or reactivate a subscription: its clients follow, as through the API.
        for s in &self.subscriptions {
            if let Some(sub) = store.subscription(&s.siret, &s.branch_code, &s.process_code).await? {
                let writes = store.follow_subscription_writes(&sub, Utc::now()).await?;
                if !writes.is_empty() {
                    count(true);
                    store.commit(writes).await?;
                }
            }
        }
        for a in &self.accounts {
            let existing = store.account(a.email.as_str()).await?;
            let old_hash = existing.as_ref().and_then(|e| e.password_hash.clone());
            let password_hash = match (&a.password, &old_hash) {
                (Some(p), Some(h)) if verify_secret(p, h) => Some(h.clone()),
                (Some(p), _) => Some(hash_secret(p)?),
                (None, h) => h.clone(),
            };
            // What the file does not say (profile, suspension, roles when absent) stays as the
            // portal set it.
            let org = OrgId { siret: a.siret.clone(), branch_code: a.branch_code.clone() };
            let base = existing.clone().unwrap_or_else(|| {
                Account::new(a.email.clone(), a.actor_type, org.clone(), &a.first_name, &a.last_name)
            });
            let mut account = Account {
                actor_type: a.actor_type,
                siret: org.siret,
                branch_code: org.branch_code,
                first_name: a.first_name.clone(),
                last_name: a.last_name.clone(),
                roles: a.roles.clone().unwrap_or_else(|| base.roles.clone()),
                habilitations: a.habilitations.clone().unwrap_or_else(|| base.habilitations.clone()),
                ..base
            };
            if password_hash != old_hash {
                // A password changed by the file signs the account out everywhere.
                account.password_hash = password_hash;
                if existing.is_some() {
                    account.credentials_version += 1;
                }
            }
            count(store.save_account(&account).await?);
        }
        Ok(report)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use serde_json::json;

    use super::*;

    fn file(accounts: serde_json::Value) -> Provisioning {
        let seed = json!({
            "procedures": [{"code": "CERTDC", "title": "Certificat de décès", "operator": "DGS",
                            "description": "Le certificat.", "messages": false}],
            "organisations": [
                {"siret": "11001401600015", "branchCode": "75108", "name": "Mairie A", "type": "SI"},
                {"siret": "11000000000007", "branchCode": "00000", "name": "DGS", "type": "OSL", "code": "DGS"},
                {"siret": "11000099000009", "branchCode": "00000", "name": "HubEE", "type": "ADMIN"}
            ],
            "accounts": accounts
        });
        Provisioning::parse(&seed.to_string()).unwrap()
    }

    fn national(siret: &str, extra: serde_json::Value) -> serde_json::Value {
        let mut a = json!({"email": "national@hubee.example", "actorType": "NATIONAL_ADMIN", "siret": siret,
                           "branchCode": if siret == "11000099000009" { "00000" } else { "75108" },
                           "firstName": "Nora", "lastName": "Dinum"});
        a.as_object_mut().unwrap().extend(extra.as_object().unwrap().clone());
        a
    }

    #[tokio::test]
    async fn a_national_administrator_belongs_to_an_admin_organisation_and_holds_no_role() {
        let dir = tempfile::tempdir().unwrap();
        let state = crate::testkit::state(dir.path());
        let refused = file(json!([national("11001401600015", json!({}))])).load(&state.store).await.unwrap_err();
        assert!(refused.to_string().contains("belongs to an ADMIN organisation"), "{refused}");
        let roles = json!({"roles": ["GESTION_TELEDOSSIERS"]});
        let refused = file(json!([national("11000099000009", roles)])).load(&state.store).await.unwrap_err();
        assert!(refused.to_string().contains("holds no role"), "{refused}");
        file(json!([national("11000099000009", json!({}))])).load(&state.store).await.unwrap();
        let a = state.store.account("national@hubee.example").await.unwrap().unwrap();
        assert_eq!((a.actor_type, a.roles.len()), (ActorType::NationalAdmin, 0));
    }

    #[tokio::test]
    async fn what_the_national_pages_set_survives_a_reload_of_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let state = crate::testkit::state(dir.path());
        let seed = file(json!([]));
        seed.load(&state.store).await.unwrap();
        let code = ProcessCode::parse("CERTDC").unwrap();
        let p = state.store.procedure(&code).await.unwrap().unwrap();
        assert_eq!((p.description.as_str(), p.messages, p.awaiting_complements), ("Le certificat.", false, true));
        // The national administrator closes the procedure and the organisation, names contacts.
        state.store.save_procedure(&Procedure { closed: true, legal_framework: "CGCT".into(), ..p }).await.unwrap();
        let (siret, branch) = (Siret::parse("11001401600015").unwrap(), BranchCode::parse("75108").unwrap());
        let org = state.store.organisation(&siret, &branch).await.unwrap().unwrap();
        let closed = Organisation { closed_at: Some(chrono::Utc::now()), ..org };
        state.store.save_organisation(&closed).await.unwrap();
        let report = seed.load(&state.store).await.unwrap();
        assert_eq!(report.written, 0, "nothing the file says changed");
        let p = state.store.procedure(&code).await.unwrap().unwrap();
        assert!(p.closed && p.legal_framework == "CGCT" && !p.messages);
        assert!(state.store.organisation(&siret, &branch).await.unwrap().unwrap().is_closed());
        // The operator's code is reserved for it.
        let owner = state.store.operator_code_owner("DGS").await.unwrap().unwrap();
        assert_eq!(owner.siret.as_str(), "11000000000007");
    }
}
