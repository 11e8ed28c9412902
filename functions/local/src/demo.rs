//! The demo referential: loaded on first start with freshly generated secrets and passwords,
//! which are kept in the data directory (never in the repository) and printed at each start.

use std::path::Path;

use anyhow::Context;
use hubee_shared::{auth::generate_secret, bootstrap::write_private, seed::Provisioning, state::AppState};
use serde::{Deserialize, Serialize};

const DEMO: &str = include_str!("../demo.json");
const FILE: &str = "demo-credentials.json";

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DemoCredentials {
    /// `(client id, secret, scope)`.
    pub api_clients: Vec<(String, String, String)>,
    /// `(e-mail, password)`.
    pub accounts: Vec<(String, String)>,
}

impl std::fmt::Display for DemoCredentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        writeln!(f, "Demo API clients (POST /token, HTTP Basic):")?;
        for (id, secret, scope) in &self.api_clients {
            writeln!(f, "  {id:<20} {secret}  scope={scope}")?;
        }
        writeln!(f, "Demo portal accounts:")?;
        for (email, password) in &self.accounts {
            writeln!(f, "  {email:<28} {password}")?;
        }
        Ok(())
    }
}

/// A password that meets the portal's rule (8+ characters, a digit, an upper-case letter, a
/// special character).
fn demo_password() -> String {
    let random: String = generate_secret().chars().filter(char::is_ascii_alphanumeric).take(12).collect();
    format!("Demo-{random}7!")
}

/// Loads the demo referential unless this data directory already has it.
///
/// # Errors
/// When the referential cannot be loaded or the credentials written.
pub async fn ensure_loaded(state: &AppState, data_dir: &Path) -> anyhow::Result<DemoCredentials> {
    let path = data_dir.join(FILE);
    if let Ok(text) = std::fs::read_to_string(&path) {
        return serde_json::from_str(&text).with_context(|| format!("reading {}", path.display()));
    }
    let mut seed = Provisioning::parse(DEMO)?;
    for c in &mut seed.api_clients {
        c.client_secret = generate_secret();
    }
    for a in &mut seed.accounts {
        a.password = Some(demo_password());
    }
    seed.load(&state.store).await.context("loading the demo referential")?;
    let credentials = DemoCredentials {
        api_clients: seed
            .api_clients
            .iter()
            .map(|c| (c.client_id.clone(), c.client_secret.clone(), c.scope.as_str().to_owned()))
            .collect(),
        accounts: seed.accounts.iter().map(|a| (a.email.to_string(), a.password.clone().unwrap_or_default())).collect(),
    };
    write_private(&path, &serde_json::to_vec_pretty(&credentials)?)?;
    Ok(credentials)
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_demo_referential_parses() {
        let seed = hubee_shared::seed::Provisioning::parse(super::DEMO).unwrap();
        assert!(!seed.api_clients.is_empty());
        let p = super::demo_password();
        assert!(
            p.len() >= 8
                && p.chars().any(|c| c.is_ascii_digit())
                && p.chars().any(|c| c.is_ascii_uppercase())
                && p.contains('!')
        );
    }
}
