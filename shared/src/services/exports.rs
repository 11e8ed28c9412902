//! The portal's CSV exports (issue 15): the inbox with its filters, the accounts list and the
//! subscriptions list, each as the person may read it on its page and with the same columns —
//! in the portal's French words, dates in Paris time — as a [`CsvExport`] the edge sends.
//!
//! An export is one response: it holds at most [`MAX_DOSSIERS`] dossiers, and, where the
//! deployment caps responses (`Config::inline_limit`, on Lambda), at most that many bytes. Past
//! either it is refused (400, a stable message the front translates) rather than cut: a
//! spreadsheet that silently misses rows is worse than none.

use std::collections::{BTreeSet, HashMap};

use chrono_tz::Europe::Paris;

use super::{
    ExchangeError,
    accounts::{self, AccountFilters, AccountsError, OrgAccountView},
    csv::{self, Csv, CsvExport},
    inbox::{self, InboxQuery, InboxRow},
    portal_subscriptions::{self, SubscriptionRow, Viewer},
};
use crate::{
    domain::{
        AccessMode, Account, ActorType, DelegationStatus, InboxTab, NotificationFrequency, OrgId, OrgRef, ProcessCode,
        Role, parse_time,
    },
    state::AppState,
    store::{Reads, StoreError},
};

/// The most dossiers one inbox export lists.
pub const MAX_DOSSIERS: usize = 50_000;
/// The answer past [`MAX_DOSSIERS`].
pub const TOO_MANY_DOSSIERS: &str =
    "More than 50,000 dossiers match: narrow the search (tab, procedure, transmission dates) to export them";
/// The answer for a file larger than the deployment's responses carry.
pub const TOO_LARGE: &str = "The export is larger than this deployment can answer: narrow the search to export it";

/// The inbox's columns: those of its page (the person concerned as the page names them), never
/// more of the applicant.
const INBOX_HEADER: &[&str] =
    &["N° de télédossier", "Démarche", "Code démarche", "Statut", "Personne concernée", "Transmis le", "Mis à jour le"];

const ACCOUNTS_HEADER: &[&str] =
    &["Nom", "Prénom", "Adresse électronique", "Type d'acteur", "Rôles", "Habilitations démarches", "Statut"];

const SUBSCRIPTIONS_HEADER: &[&str] = &[
    "Organisation",
    "SIRET",
    "Opérateur",
    "Démarche",
    "Code démarche",
    "N° DataPass",
    "Modalité d'accès",
    "Délégué technique",
    "Statut",
    "Date d'activation",
    "Date de suspension",
    "Fréquence des notifications",
    "Adresse des notifications",
];

/// `GET /portail/v1/cases.csv`: every dossier the inbox lists with these filters (the query's
/// cursor and limit are not used), in its order, read page after page.
///
/// # Errors
/// `Refused` past [`MAX_DOSSIERS`] or the deployment's response size; store failures.
pub async fn inbox(
    state: &AppState,
    org: &OrgRef,
    visible: &[ProcessCode],
    query: &InboxQuery,
) -> Result<CsvExport, ExchangeError> {
    let rows = inbox::rows(state, org, visible, query, MAX_DOSSIERS + 1).await?;
    if rows.len() > MAX_DOSSIERS {
        return Err(super::refused(TOO_MANY_DOSSIERS));
    }
    let mut csv = Csv::new(INBOX_HEADER);
    for r in &rows {
        csv.row(inbox_row(r));
    }
    fits(state, &csv).map_err(super::refused)?;
    Ok(CsvExport { file_name: file_name(state, "teledossiers"), csv })
}

fn inbox_row(r: &InboxRow) -> [String; 7] {
    let concerned = r.concerned.as_ref().map(|c| format!("{} {}", c.last_name.to_uppercase(), c.first_name));
    [
        r.number.clone(),
        r.procedure_title.clone().unwrap_or_else(|| r.process_code.to_string()),
        r.process_code.to_string(),
        r.tab.map_or_else(|| r.status.to_string(), |t| tab_label(t).to_owned()),
        concerned.unwrap_or_default(),
        contract_date_time(r.transmission_date_time.as_deref()),
        contract_date_time(r.update_date_time.as_deref()),
    ]
}

/// `GET /portail/v1/accounts.csv`: the accounts list of `org` with these filters, in its order.
/// Never a password hash, a phone number or anything else of the profile.
///
/// # Errors
/// `Forbidden` without "Gestion des utilisateurs" in `org`; `Refused` past the deployment's
/// response size; store failures.
pub async fn accounts(
    state: &AppState,
    caller: &Account,
    org: &OrgId,
    filters: &AccountFilters,
) -> Result<CsvExport, AccountsError> {
    let list = accounts::list(state, caller, org, filters).await?;
    let codes: BTreeSet<ProcessCode> = list.items.iter().flat_map(|a| habilitations(a).iter().cloned()).collect();
    let titles = titles(state, codes).await?;
    let mut csv = Csv::new(ACCOUNTS_HEADER);
    for a in &list.items {
        csv.row(account_row(a, &titles));
    }
    fits(state, &csv).map_err(AccountsError::Refused)?;
    Ok(CsvExport { file_name: file_name(state, "comptes"), csv })
}

fn habilitations(a: &OrgAccountView) -> &[ProcessCode] {
    match a {
        OrgAccountView::Own(a) => &a.habilitations,
        OrgAccountView::Delegate(d) => &d.habilitations,
    }
}

fn account_row(view: &OrgAccountView, titles: &HashMap<ProcessCode, String>) -> [String; 7] {
    let (last, first, email, actor_type, roles, active, activated, invited) = match view {
        OrgAccountView::Own(a) => {
            (&a.last_name, &a.first_name, &a.email, a.actor_type, &a.roles, a.active, a.activated, false)
        }
        OrgAccountView::Delegate(d) => (
            &d.last_name,
            &d.first_name,
            &d.email,
            d.actor_type,
            &d.roles,
            d.active,
            d.activated,
            d.delegation.status == DelegationStatus::Invited,
        ),
    };
    let habilitations = if actor_type == ActorType::LocalAdmin {
        "Toutes (administrateur local)".to_owned()
    } else {
        let named: Vec<&str> =
            habilitations(view).iter().map(|c| titles.get(c).map_or(c.as_str(), String::as_str)).collect();
        named.join(", ")
    };
    let status = if !active {
        "Suspendu"
    } else if invited {
        "Invitation en attente"
    } else if !activated {
        "En attente d'activation"
    } else {
        "Actif"
    };
    [
        last.clone(),
        first.clone(),
        email.to_string(),
        actor_label(actor_type).to_owned(),
        roles.iter().map(|r| role_label(*r)).collect::<Vec<_>>().join(", "),
        habilitations,
        status.to_owned(),
    ]
}

/// `GET /portail/v1/subscriptions.csv`: the subscriptions list, every organisation the person
/// acts for, with each organisation's name.
///
/// # Errors
/// `Refused` past the deployment's response size; store failures.
pub async fn subscriptions(state: &AppState, viewer: &Viewer) -> Result<CsvExport, ExchangeError> {
    let list = portal_subscriptions::list(state, viewer).await?;
    let mut reads = Reads::new();
    let slots: Vec<_> = viewer
        .organisations
        .iter()
        .map(|o| ((&o.company_register, &o.branch_code), reads.organisation(&o.company_register, &o.branch_code)))
        .collect();
    let read = state.store.read_all(reads).await?;
    let mut names = HashMap::new();
    for (org, slot) in slots {
        if let Some(o) = read.get(slot)? {
            names.insert(org, o.name);
        }
    }
    let mut csv = Csv::new(SUBSCRIPTIONS_HEADER);
    for s in &list.items {
        let name = names.get(&(&s.subscriber.siret, &s.subscriber.branch_code)).cloned().unwrap_or_default();
        csv.row(subscription_row(s, name));
    }
    fits(state, &csv).map_err(super::refused)?;
    Ok(CsvExport { file_name: file_name(state, "abonnements"), csv })
}

fn subscription_row(s: &SubscriptionRow, organisation: String) -> [String; 13] {
    [
        organisation,
        s.subscriber.siret.to_string(),
        s.operator.clone().unwrap_or_default(),
        s.procedure_title.clone().unwrap_or_else(|| s.process_code.to_string()),
        s.process_code.to_string(),
        s.datapass_id.map(|n| n.to_string()).unwrap_or_default(),
        s.access_mode.map_or("Non choisie", access_mode_label).to_owned(),
        s.technical_delegate.as_ref().map(ToString::to_string).unwrap_or_default(),
        s.status.to_string(),
        contract_date(s.activate_date_time.as_deref()),
        contract_date(s.end_date_time.as_deref()),
        frequency_label(s.notification_frequency).to_owned(),
        s.email.as_ref().map(ToString::to_string).unwrap_or_default(),
    ]
}

/// Whether the file fits in a response of the deployment; the message to answer if not.
fn fits(state: &AppState, csv: &Csv) -> Result<(), &'static str> {
    match state.config.inline_limit {
        Some(limit) if u64::try_from(csv.len()).unwrap_or(u64::MAX) > limit => Err(TOO_LARGE),
        _ => Ok(()),
    }
}

/// `teledossiers-2026-03-02.csv`: the list and the day of the export, in Paris.
fn file_name(state: &AppState, list: &str) -> String {
    format!("{list}-{}.csv", state.clock.now().with_timezone(&Paris).format("%Y-%m-%d"))
}

/// The procedures' titles, for those that exist.
async fn titles(
    state: &AppState,
    codes: impl IntoIterator<Item = ProcessCode>,
) -> Result<HashMap<ProcessCode, String>, StoreError> {
    let mut reads = Reads::new();
    let slots: Vec<_> = codes.into_iter().map(|code| (reads.procedure(&code), code)).collect();
    let read = state.store.read_all(reads).await?;
    let mut titles = HashMap::new();
    for (slot, code) in slots {
        if let Some(p) = read.get(slot)? {
            titles.insert(code, p.title);
        }
    }
    Ok(titles)
}

/// A view's date-time (the contract's format) as a spreadsheet reads it.
fn contract_date_time(value: Option<&str>) -> String {
    value.and_then(parse_time).map(csv::date_time).unwrap_or_default()
}

fn contract_date(value: Option<&str>) -> String {
    value.and_then(parse_time).map(csv::date).unwrap_or_default()
}

/// A dossier's status as its badge names it (PORTAL.md).
fn tab_label(tab: InboxTab) -> &'static str {
    match tab {
        InboxTab::Nouveau => "Nouveau",
        InboxTab::Recu => "Reçu",
        InboxTab::EnCours => "En cours",
        InboxTab::EnAttente => "En attente de compléments",
        InboxTab::Refuse => "Refusé",
        InboxTab::Traite => "Traité",
        InboxTab::Clos => "Clos",
        InboxTab::Erreur => "Erreur d'intégration",
        InboxTab::Archive => "Archivé",
    }
}

fn actor_label(t: ActorType) -> &'static str {
    match t {
        ActorType::LocalAdmin => "Administrateur local",
        ActorType::TechnicalDelegate => "Délégué technique",
        ActorType::Agent => "Agent",
        ActorType::NationalAdmin => "Administrateur national",
    }
}

fn role_label(r: Role) -> &'static str {
    match r {
        Role::ReadDossiers => "Consultation des télédossiers",
        Role::ManageDossiers => "Gestion des télédossiers",
        Role::ManageUsers => "Gestion des utilisateurs",
        Role::ReadSubscriptions => "Consultation des abonnements",
        Role::ManageSubscriptions => "Gestion des abonnements",
    }
}

fn access_mode_label(m: AccessMode) -> &'static str {
    match m {
        AccessMode::Portail => "Portail",
        AccessMode::Api => "API",
    }
}

fn frequency_label(f: NotificationFrequency) -> &'static str {
    match f {
        NotificationFrequency::Unitaire => "Unitaire",
        NotificationFrequency::Quotidienne => "Quotidienne",
        NotificationFrequency::Biquotidienne => "Biquotidienne",
        NotificationFrequency::Aucune => "Aucune",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{
        domain::{BranchCode, OrgType, Siret},
        testkit,
    };

    fn mairie_a() -> OrgRef {
        OrgRef {
            org_type: OrgType::Si,
            company_register: Siret::parse("11001401600015").unwrap(),
            branch_code: BranchCode::parse("75108").unwrap(),
        }
    }

    fn text(export: CsvExport) -> String {
        let bytes = export.csv.into_bytes();
        assert_eq!(&bytes[..3], csv::BOM);
        String::from_utf8(bytes[3..].to_vec()).unwrap()
    }

    #[test]
    fn the_refusal_names_the_cap() {
        let cap = format!("{},{:03}", MAX_DOSSIERS / 1000, MAX_DOSSIERS % 1000);
        assert!(TOO_MANY_DOSSIERS.contains(&format!("More than {cap} dossiers")), "{cap}");
    }

    #[tokio::test]
    async fn the_inbox_export_has_the_pages_columns_in_french_and_fits_the_deployment_or_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let state = testkit::state(dir.path());
        testkit::provision(&state).await;
        testkit::deposit_case(&state, b"%PDF-1.4 fixture").await;
        testkit::deposit_case(&state, b"%PDF-1.4 fixture").await;
        let visible = [ProcessCode::parse("CERTDC").unwrap()];

        let export = inbox(&state, &mairie_a(), &visible, &InboxQuery::default()).await.unwrap();
        assert!(export.file_name.starts_with("teledossiers-") && export.file_name.ends_with(".csv"));
        assert_eq!(export.csv.rows(), 2);
        let text = text(export);
        let lines: Vec<&str> = text.split("\r\n").collect();
        assert_eq!(lines[0], INBOX_HEADER.join(";"));
        let cells: Vec<&str> = lines[1].split(';').collect();
        assert_eq!(cells[1..5], ["Certificat de décès électronique", "CERTDC", "Nouveau", "FIXTURE Camille"]);
        assert_eq!(cells[5].len(), "09/06/2021 20:10".len(), "{}", cells[5]);
        assert_eq!(lines[3], "", "every line ends with CRLF");

        let small = testkit::with_inline_limit(&state, 64);
        let refused = inbox(&small, &mairie_a(), &visible, &InboxQuery::default()).await.unwrap_err();
        assert!(matches!(refused, ExchangeError::Refused(m) if m == [TOO_LARGE]));
        let none = inbox(&state, &mairie_a(), &[], &InboxQuery::default()).await.unwrap();
        assert_eq!(none.csv.rows(), 0, "no procedure visible, no dossier");
    }
}
