//! Every e-mail the hub sends, in French, as plain text and HTML: new and reopened dossiers,
//! digests, sign-in codes, activation and reset links, delegate invitations. Values are
//! HTML-escaped; links use the configured public address; no personal data of the applicant ever
//! appears.

use chrono::{DateTime, Utc};
use chrono_tz::Europe::Paris;

use crate::{domain::Siret, ports::Email};

const SIGNATURE_TEXT: &str =
    "\n\nL'équipe HubEE\n\n--\nCe message a été envoyé automatiquement, merci de ne pas y répondre.\n";
const SIGNATURE_HTML: &str = "<p>L'équipe HubEE</p><hr><p><small>Ce message a été envoyé automatiquement, \
                              merci de ne pas y répondre.</small></p>";

/// A date as the portal shows it, in Paris time: `09/06/2021 à 20:10`.
pub fn french_date_time(t: DateTime<Utc>) -> String {
    t.with_timezone(&Paris).format("%d/%m/%Y à %H:%M").to_string()
}

fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// One paragraph per text block; `{link}` blocks become links.
fn email(to: &str, subject: String, paragraphs: &[Paragraph]) -> Email {
    let mut text = String::from("Bonjour,\n");
    let mut html = String::from("<!doctype html><html lang=\"fr\"><body><p>Bonjour,</p>");
    for p in paragraphs {
        match p {
            Paragraph::Text(t) => {
                text.push('\n');
                text.push_str(t);
                text.push('\n');
                html.push_str(&format!("<p>{}</p>", escape(t)));
            }
            Paragraph::Link(label, url) => {
                text.push_str(&format!("\n{label} : {url}\n"));
                html.push_str(&format!("<p><a href=\"{}\">{}</a></p>", escape(url), escape(label)));
            }
            Paragraph::List(items) => {
                text.push('\n');
                html.push_str("<ul>");
                for (line, url) in items {
                    text.push_str(&format!("- {line} : {url}\n"));
                    html.push_str(&format!("<li><a href=\"{}\">{}</a></li>", escape(url), escape(line)));
                }
                html.push_str("</ul>");
            }
        }
    }
    text.push_str(SIGNATURE_TEXT);
    html.push_str(SIGNATURE_HTML);
    html.push_str("</body></html>");
    Email { to: vec![to.to_owned()], subject, text, html, key: None }
}

enum Paragraph {
    Text(String),
    Link(String, String),
    List(Vec<(String, String)>),
}

/// What an instructing service is told about one dossier.
#[derive(Clone, Debug)]
pub struct DossierNotice {
    pub procedure_title: String,
    /// The dossier number (the case's `externalId`).
    pub number: String,
    pub transmitted: DateTime<Utc>,
    /// The dossier page.
    pub link: String,
}

/// The portal page of a dossier.
pub fn dossier_link(public_url: &str, case_id: uuid::Uuid) -> String {
    format!("{}/dossiers/{case_id}", public_url.trim_end_matches('/'))
}

pub fn new_dossier(to: &str, d: &DossierNotice) -> Email {
    email(
        to,
        format!("Nouveau télédossier « {} » n° {}", d.procedure_title, d.number),
        &[
            Paragraph::Text(format!(
                "Un nouveau télédossier de la démarche « {} » (n° {}) a été transmis à votre service le {}.",
                d.procedure_title,
                d.number,
                french_date_time(d.transmitted)
            )),
            Paragraph::Link("Consulter le télédossier".into(), d.link.clone()),
        ],
    )
}

pub fn reopened_dossier(to: &str, d: &DossierNotice) -> Email {
    email(
        to,
        format!("Télédossier « {} » n° {} : nouvelles pièces", d.procedure_title, d.number),
        &[
            Paragraph::Text(format!(
                "Le télédossier n° {} de la démarche « {} » a été rouvert par l'opérateur le {} : de nouvelles pièces \
                 vous ont été transmises.",
                d.number,
                d.procedure_title,
                french_date_time(d.transmitted)
            )),
            Paragraph::Link("Consulter le télédossier".into(), d.link.clone()),
        ],
    )
}

/// The daily or twice-daily summary: one line per dossier.
pub fn digest(to: &str, dossiers: &[DossierNotice], until: DateTime<Utc>) -> Email {
    let n = dossiers.len();
    let subject = if n == 1 {
        "HubEE : 1 nouveau télédossier".to_owned()
    } else {
        format!("HubEE : {n} nouveaux télédossiers")
    };
    let lines = dossiers
        .iter()
        .map(|d| {
            (
                format!("{} n° {}, transmis le {}", d.procedure_title, d.number, french_date_time(d.transmitted)),
                d.link.clone(),
            )
        })
        .collect();
    email(
        to,
        subject,
        &[
            Paragraph::Text(format!(
                "Voici les télédossiers transmis à votre service jusqu'au {} :",
                french_date_time(until)
            )),
            Paragraph::List(lines),
        ],
    )
}

pub fn sign_in_code(to: &str, code: &str, valid_minutes: i64) -> Email {
    email(
        to,
        "HubEE : votre code de connexion".into(),
        &[
            Paragraph::Text(format!(
                "Veuillez utiliser ce mot de passe à usage unique pour vous connecter au portail HubEE : {code}"
            )),
            Paragraph::Text(format!(
                "Ce code est valable {valid_minutes} minutes et ne peut servir qu'une fois. Si vous n'êtes pas à \
                 l'origine de cette demande, ignorez ce message."
            )),
        ],
    )
}

pub fn activation_link(to: &str, url: &str, valid_hours: i64) -> Email {
    email(
        to,
        "HubEE : activez votre compte".into(),
        &[
            Paragraph::Text("Un compte a été créé pour vous sur le portail HubEE.".into()),
            Paragraph::Link("Choisir mon mot de passe et activer mon compte".into(), url.to_owned()),
            Paragraph::Text(format!("Ce lien est valable {valid_hours} heures et ne peut servir qu'une fois.")),
        ],
    )
}

pub fn reset_link(to: &str, url: &str, valid_hours: i64) -> Email {
    email(
        to,
        "HubEE : réinitialisation de votre mot de passe".into(),
        &[
            Paragraph::Text("Vous avez demandé à réinitialiser votre mot de passe du portail HubEE.".into()),
            Paragraph::Link("Choisir un nouveau mot de passe".into(), url.to_owned()),
            Paragraph::Text(format!(
                "Ce lien est valable {valid_hours} heures et ne peut servir qu'une fois. Si vous n'êtes pas à l'origine \
                 de cette demande, ignorez ce message : votre mot de passe reste inchangé."
            )),
        ],
    )
}

/// An organisation names an existing technical delegate: it serves that organisation once it
/// accepts from the portal (the home page lists its invitations).
pub fn delegate_invitation(to: &str, organisation: &str, siret: &Siret, public_url: &str) -> Email {
    email(
        to,
        format!("HubEE : invitation à intervenir pour {organisation}"),
        &[
            Paragraph::Text(format!(
                "{organisation} (SIRET {siret}) vous a désigné comme délégué technique sur le portail HubEE."
            )),
            Paragraph::Text(
                "Vous n'aurez accès à ses abonnements et à ses comptes qu'après avoir accepté cette invitation \
                 depuis la page d'accueil du portail, une fois connecté. Si vous ne connaissez pas cette \
                 organisation, refusez l'invitation."
                    .into(),
            ),
            Paragraph::Link("Voir mes invitations".into(), format!("{}/", public_url.trim_end_matches('/'))),
        ],
    )
}

/// The portal page of a subscription.
pub fn subscription_link(public_url: &str, subscription_id: uuid::Uuid) -> String {
    format!("{}/abonnements/{subscription_id}", public_url.trim_end_matches('/'))
}

/// What a local administrator is told about a change of a subscription's API access.
#[derive(Clone, Debug)]
pub struct CredentialNotice {
    /// The organisation's name.
    pub organisation: String,
    /// The procedure's title.
    pub procedure: String,
    pub event: crate::domain::CredentialEvent,
    /// The subscription's page.
    pub link: String,
}

/// The change, as a sentence ending the "…a été modifié :" line.
fn credential_change_text(change: &crate::domain::CredentialChange) -> String {
    use crate::domain::{AccessMode, CredentialChange};
    match change {
        CredentialChange::AccessMode { to: AccessMode::Api, secret_issued: true, .. } => {
            "la modalité d'accès est passée en mode API et un secret d'accès à l'API a été émis.".into()
        }
        CredentialChange::AccessMode { to: AccessMode::Api, .. } => {
            "la modalité d'accès est passée en mode API.".into()
        }
        CredentialChange::AccessMode { to: AccessMode::Portail, .. } => {
            "la modalité d'accès est passée en mode PORTAIL : le client API est désactivé.".into()
        }
        CredentialChange::SecretRegenerated { previous_valid_until: Some(until) } => format!(
            "un nouveau secret d'accès à l'API a été généré ; l'ancien reste valable jusqu'au {}.",
            french_date_time(*until)
        ),
        CredentialChange::SecretRegenerated { previous_valid_until: None } => {
            "un nouveau secret d'accès à l'API a été généré.".into()
        }
        CredentialChange::PreviousSecretRevoked => {
            "l'ancien secret d'accès à l'API a été révoqué : il ne permet plus d'obtenir de jeton, et les jetons \
             émis avant la révocation sont refusés."
                .into()
        }
    }
}

/// To every local administrator of the organisation: an API access changed. A secret reads
/// every dossier of the procedure, so the administrators hear of each change, whoever made it.
pub fn credentials_changed(to: &str, n: &CredentialNotice) -> Email {
    let e = &n.event;
    email(
        to,
        format!("HubEE : accès API modifié pour « {} »", n.procedure),
        &[
            Paragraph::Text(format!(
                "L'accès API de l'abonnement de {} à la démarche « {} » a été modifié le {} par {} : {}",
                n.organisation,
                n.procedure,
                french_date_time(e.date_time),
                e.actor.as_str(),
                credential_change_text(&e.change)
            )),
            Paragraph::Text(format!("Identifiant du client API : {}.", e.client_id)),
            Paragraph::Link("Consulter l'abonnement".into(), n.link.clone()),
            Paragraph::Text(
                "Si vous n'êtes pas à l'origine de ce changement et ne le reconnaissez pas, régénérez le secret en \
                 révoquant l'ancien, ou repassez l'abonnement en mode PORTAIL, puis prévenez l'équipe HubEE."
                    .into(),
            ),
        ],
    )
}

/// To every local administrator of the organisation: the national team decided about one of
/// its subscriptions.
pub fn subscription_decided(
    to: &str,
    organisation: &str,
    procedure: &str,
    notice: &crate::domain::DecisionNotice,
    link: &str,
) -> Email {
    use crate::domain::SubscriptionDecision;
    let (subject, what) = match notice.decision {
        SubscriptionDecision::Validate => ("validé", "a été validé : il reçoit les télédossiers dès maintenant."),
        SubscriptionDecision::Refuse => ("refusé", "a été refusé."),
        SubscriptionDecision::Suspend => (
            "suspendu",
            "a été suspendu : il ne reçoit plus de nouveau télédossier et ses clients API sont désactivés.",
        ),
        SubscriptionDecision::Resume => ("rétabli", "a été rétabli : il reçoit de nouveau les télédossiers."),
        SubscriptionDecision::End => ("clôturé", "a pris fin : il ne reçoit plus de nouveau télédossier."),
    };
    let mut paragraphs = vec![Paragraph::Text(format!(
        "L'abonnement de {organisation} à la démarche « {procedure} » {what} Décision de l'équipe nationale HubEE du {}.",
        french_date_time(notice.at)
    ))];
    if let Some(reason) = &notice.reason {
        paragraphs.push(Paragraph::Text(format!("Motif : {reason}")));
    }
    paragraphs.push(Paragraph::Link("Consulter l'abonnement".into(), link.to_owned()));
    email(to, format!("HubEE : abonnement {subject} pour « {procedure} »"), &paragraphs)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn notice() -> DossierNotice {
        DossierNotice {
            procedure_title: "Certificat de décès électronique".into(),
            number: "DGS-CERTDC-0001-01".into(),
            transmitted: crate::domain::parse_time("2021-06-09T18:10:00Z").unwrap(),
            link: dossier_link("https://hubee.example/", uuid::Uuid::nil()),
        }
    }

    #[test]
    fn a_new_dossier_email_names_the_procedure_number_date_and_link() {
        let e = new_dossier("etat-civil@mairie-a.example", &notice());
        assert_eq!(e.to, ["etat-civil@mairie-a.example"]);
        assert_eq!(e.subject, "Nouveau télédossier « Certificat de décès électronique » n° DGS-CERTDC-0001-01");
        for body in [&e.text, &e.html] {
            assert!(body.contains("09/06/2021 à 20:10"), "Paris time (UTC+2 in June): {body}");
            assert!(body.contains("https://hubee.example/dossiers/00000000-0000-0000-0000-000000000000"));
            assert!(body.contains("merci de ne pas y répondre"));
        }
    }

    #[test]
    fn winter_dates_are_in_paris_time_too() {
        assert_eq!(french_date_time(crate::domain::parse_time("2026-01-15T07:00:00Z").unwrap()), "15/01/2026 à 08:00");
    }

    #[test]
    fn values_are_escaped_in_html() {
        let mut n = notice();
        n.procedure_title = "<script>alert(1)</script>".into();
        let e = reopened_dossier("a@b.example", &n);
        assert!(!e.html.contains("<script>"));
        assert!(e.html.contains("&lt;script&gt;"));
    }

    #[test]
    fn digests_hold_one_line_per_dossier() {
        let d =
            digest("a@b.example", &[notice(), notice()], crate::domain::parse_time("2021-06-10T06:00:00Z").unwrap());
        assert_eq!(d.subject, "HubEE : 2 nouveaux télédossiers");
        assert_eq!(d.text.matches("- Certificat de décès électronique n° DGS-CERTDC-0001-01").count(), 2);
        assert_eq!(d.html.matches("<li>").count(), 2);
    }

    #[test]
    fn a_credentials_notice_says_what_changed_who_changed_it_and_when() {
        use crate::domain::*;
        let event = CredentialEvent {
            id: uuid::Uuid::nil(),
            subscription_id: uuid::Uuid::nil(),
            siret: Siret::parse("11001401600015").unwrap(),
            branch_code: BranchCode::parse("75108").unwrap(),
            process_code: ProcessCode::parse("CERTDC").unwrap(),
            client_id: "si-11001401600015-75108-certdc".into(),
            change: CredentialChange::SecretRegenerated { previous_valid_until: parse_time("2021-06-10T18:10:00Z") },
            actor: Email::parse("delegue@editeur.example").unwrap(),
            date_time: parse_time("2021-06-09T18:10:00Z").unwrap(),
            notified: vec![],
        };
        let n = CredentialNotice {
            organisation: "Mairie <A>".into(),
            procedure: "Certificat de décès électronique".into(),
            event,
            link: subscription_link("https://hubee.example/", uuid::Uuid::nil()),
        };
        let e = credentials_changed("admin@mairie-a.example", &n);
        assert_eq!(e.subject, "HubEE : accès API modifié pour « Certificat de décès électronique »");
        assert!(e.text.contains("le 09/06/2021 à 20:10 par delegue@editeur.example"), "{}", e.text);
        assert!(e.text.contains("jusqu'au 10/06/2021 à 20:10"));
        assert!(e.html.contains("Mairie &lt;A&gt;") && e.html.contains("https://hubee.example/abonnements/"));
    }

    #[test]
    fn account_emails_carry_their_code_or_link() {
        let code = sign_in_code("a@b.example", "123456", 10);
        assert!(code.text.contains("Veuillez utiliser ce mot de passe à usage unique") && code.text.contains("123456"));
        let act = activation_link("a@b.example", "https://hubee.example/activation?t=abc", 48);
        assert!(act.html.contains("href=\"https://hubee.example/activation?t=abc\"") && act.text.contains("48 heures"));
        let reset = reset_link("a@b.example", "https://hubee.example/reset?t=x&y=1", 48);
        assert!(reset.html.contains("href=\"https://hubee.example/reset?t=x&amp;y=1\""));
    }
}
