//! Signing in with ProConnect, the State's OpenID Connect federation (docs/PROCONNECT.md): the
//! login transaction the hub keeps between the redirect and the callback, the identity it
//! gets back, and the rules it applies to it — which account it is, whether its organisation
//! matches, whether the second factor a role needs was used.

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

use super::{Email, contract_time};

/// How long a login may take between the redirect to ProConnect and the callback.
pub const LOGIN_VALIDITY_MINUTES: i64 = 10;

/// The scopes the hub asks for: ProConnect's "identité pivot".
pub const SCOPES: &str = "openid email given_name usual_name siret uid idp_id";

/// The `acr` values that guarantee a second factor (docs/PROCONNECT.md).
pub const SECOND_FACTOR_ACRS: [&str; 4] = [
    "eidas2",
    "eidas3",
    "https://proconnect.gouv.fr/assurance/self-asserted-2fa",
    "https://proconnect.gouv.fr/assurance/consistency-checked-2fa",
];

/// The `acr` values the hub accepts for anybody, asked for on every login.
pub const ACCEPTED_ACRS: [&str; 7] = [
    "eidas1",
    "https://proconnect.gouv.fr/assurance/self-asserted",
    "https://proconnect.gouv.fr/assurance/consistency-checked",
    "eidas2",
    "eidas3",
    "https://proconnect.gouv.fr/assurance/self-asserted-2fa",
    "https://proconnect.gouv.fr/assurance/consistency-checked-2fa",
];

/// Whether an authentication used a second factor: an `acr` that guarantees one, or an `amr`
/// saying so (identity providers that enforce one without the certified level).
pub fn has_second_factor(acr: Option<&str>, amr: &[String]) -> bool {
    acr.is_some_and(|acr| SECOND_FACTOR_ACRS.contains(&acr)) || amr.iter().any(|m| m == "mfa")
}

/// A login under way: kept by the hub, keyed by the hash of its `state`, from the redirect to
/// ProConnect until its callback consumes it (once).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ProConnectLogin {
    /// Sent in the authorization request, found again in the ID token.
    pub nonce: String,
    /// PKCE's secret half, sent with the code.
    pub code_verifier: String,
    /// The hash of the cookie set in the browser that started the login: the callback must come
    /// from that browser.
    pub browser_hash: String,
    /// Whether this login asked for a second factor (the step-up): a second refusal is final.
    #[serde(default)]
    pub step_up: bool,
    #[serde(with = "contract_time")]
    pub created_at: DateTime<Utc>,
}

impl ProConnectLogin {
    pub fn expires_at(&self) -> DateTime<Utc> {
        self.created_at + Duration::minutes(LOGIN_VALIDITY_MINUTES)
    }

    pub fn is_expired(&self, now: DateTime<Utc>) -> bool {
        now >= self.expires_at()
    }
}

/// Who ProConnect says signed in, from the verified ID token and userinfo.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProConnectIdentity {
    /// ProConnect's stable identifier of the person.
    pub sub: String,
    pub email: Email,
    pub given_name: Option<String>,
    pub usual_name: Option<String>,
    /// The agent's employer establishment.
    pub siret: Option<String>,
    /// Which identity provider answered.
    pub idp_id: Option<String>,
    pub acr: Option<String>,
    pub amr: Vec<String>,
}

impl ProConnectIdentity {
    pub fn second_factor(&self) -> bool {
        has_second_factor(self.acr.as_deref(), &self.amr)
    }
}

/// Why a ProConnect identity does not open a session: each has its page (docs/PROCONNECT.md).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Refusal {
    /// No account was enrolled for this person: a login never creates one.
    UnknownAgent,
    /// The establishment ProConnect names (`siret`) is none of the account's organisations.
    OrganisationMismatch { siret: Option<String> },
    /// The account's roles need a second factor, and ProConnect did not use one after being
    /// asked for it.
    SecondFactorMissing,
    /// The account is suspended.
    Suspended,
    /// The person's `sub` is linked to an account of another address.
    AddressChanged { linked: Email },
}

impl Refusal {
    /// A stable code for the journal and the page.
    pub fn code(&self) -> &'static str {
        match self {
            Refusal::UnknownAgent => "unknown-agent",
            Refusal::OrganisationMismatch { .. } => "organisation-mismatch",
            Refusal::SecondFactorMissing => "second-factor-missing",
            Refusal::Suspended => "suspended",
            Refusal::AddressChanged { .. } => "address-changed",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_certified_levels_or_an_mfa_method_count_as_a_second_factor() {
        let none: Vec<String> = Vec::new();
        for acr in SECOND_FACTOR_ACRS {
            assert!(has_second_factor(Some(acr), &none), "{acr}");
        }
        for acr in ["eidas1", "https://proconnect.gouv.fr/assurance/self-asserted", "eidas2-2fa", ""] {
            assert!(!has_second_factor(Some(acr), &none), "{acr}");
        }
        assert!(!has_second_factor(None, &["pwd".to_owned()]));
        assert!(has_second_factor(Some("eidas1"), &["pwd".to_owned(), "mfa".to_owned()]));
    }

    #[test]
    fn a_login_expires_after_ten_minutes() {
        let at = DateTime::parse_from_rfc3339("2026-12-07T10:00:00Z").unwrap().with_timezone(&Utc);
        let login = ProConnectLogin {
            nonce: "n".into(),
            code_verifier: "v".into(),
            browser_hash: "b".into(),
            step_up: false,
            created_at: at,
        };
        assert!(!login.is_expired(at + Duration::minutes(9)));
        assert!(login.is_expired(at + Duration::minutes(10)));
    }
}
