//! ProConnect over HTTP (docs/PROCONNECT.md): its discovery document (cached), its keys
//! (cached, fetched again once when a token names a key not seen yet: a rotation), the
//! authorization and end-session addresses, the code exchange (client secret in the body) and
//! userinfo (a signed JWT). Answers are checked here as far as they are ProConnect's promises
//! (issuer, signature, audience, expiry); what they mean for the hub is
//! `services::proconnect`'s.

use std::time::{Duration, Instant};

use anyhow::Context;
use chrono::{DateTime, Utc};
use jsonwebtoken::jwk::JwkSet;
use serde::Deserialize;
use serde_json::{Map, Value};
use tokio::sync::RwLock;

use crate::auth::oidc::{self, Expected, OidcError};

/// How long a call to ProConnect may take, connection included.
pub const PROCONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// How long the discovery document is trusted before it is fetched again.
const DISCOVERY_TTL: Duration = Duration::from_secs(3600);

/// How the hub is registered with ProConnect (`HUBEE_PROCONNECT_*`).
#[derive(Clone)]
pub struct ProConnectSettings {
    /// `HUBEE_PROCONNECT_ISSUER`: https, or http on a loopback address only (tests).
    pub issuer: String,
    pub client_id: String,
    pub client_secret: String,
}

impl std::fmt::Debug for ProConnectSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ProConnectSettings")
            .field("issuer", &self.issuer)
            .field("client_id", &self.client_id)
            .finish_non_exhaustive()
    }
}

impl ProConnectSettings {
    /// The settings, when the issuer is an https URL, or an http one on a loopback address.
    ///
    /// # Errors
    /// For any other issuer, or an empty client id or secret: the hub refuses to start.
    pub fn new(issuer: String, client_id: String, client_secret: String) -> anyhow::Result<Self> {
        let url = reqwest::Url::parse(&issuer)
            .with_context(|| format!("HUBEE_PROCONNECT_ISSUER must be a URL, not {issuer:?}"))?;
        let host = url.host_str().unwrap_or_default().trim_start_matches('[').trim_end_matches(']');
        let loopback = host == "localhost" || host.parse::<std::net::IpAddr>().is_ok_and(|ip| ip.is_loopback());
        match url.scheme() {
            "https" => {}
            "http" if loopback => {}
            _ => anyhow::bail!(
                "HUBEE_PROCONNECT_ISSUER must be an https URL (http only on a loopback address), not {issuer:?}"
            ),
        }
        if client_id.trim().is_empty() || client_secret.trim().is_empty() {
            anyhow::bail!("HUBEE_PROCONNECT_CLIENT_ID and HUBEE_PROCONNECT_CLIENT_SECRET must be set with the issuer");
        }
        Ok(Self { issuer: issuer.trim_end_matches('/').to_owned(), client_id, client_secret })
    }

    /// The issuer's origin (`https://auth.example.gouv.fr`), where the browser is sent.
    pub fn origin(&self) -> String {
        let after_scheme = self.issuer.find("://").map_or(0, |i| i + 3);
        let end = self.issuer[after_scheme..].find('/').map_or(self.issuer.len(), |i| after_scheme + i);
        self.issuer[..end].to_owned()
    }
}

/// Why ProConnect could not be used: it did not answer as it should (down, an error page), or
/// it answered something the hub refuses (a bad token).
#[derive(Debug, thiserror::Error)]
pub enum ProConnectError {
    #[error("ProConnect is unavailable: {0}")]
    Unavailable(String),
    #[error("ProConnect's answer is refused: {0}")]
    Refused(String),
}

impl From<OidcError> for ProConnectError {
    fn from(e: OidcError) -> Self {
        ProConnectError::Refused(e.to_string())
    }
}

/// What the hub reads of the discovery document.
#[derive(Clone, Debug, Deserialize)]
pub struct Discovery {
    pub issuer: String,
    pub authorization_endpoint: String,
    pub token_endpoint: String,
    pub userinfo_endpoint: String,
    pub jwks_uri: String,
    #[serde(default)]
    pub end_session_endpoint: Option<String>,
}

/// An authorization request's parameters besides the client's.
pub struct Authorization<'a> {
    pub redirect_uri: &'a str,
    pub state: &'a str,
    pub nonce: &'a str,
    pub code_challenge: &'a str,
    /// The levels accepted (`acr_values`); `None` on a step-up, which asks with `claims` instead
    /// (both would contradict: `acr_values` is a voluntary request of the same claim).
    pub acr_values: Option<&'a str>,
    /// The `claims` parameter (JSON), asking for an essential `acr` on a step-up.
    pub claims: Option<&'a str>,
    pub login_hint: Option<&'a str>,
}

/// The token endpoint's answer: what the hub uses of it.
#[derive(Deserialize)]
pub struct Tokens {
    pub id_token: String,
    pub access_token: String,
}

/// The hub's client of ProConnect.
pub struct ProConnect {
    settings: ProConnectSettings,
    http: reqwest::Client,
    discovery: RwLock<Option<(Discovery, Instant)>>,
    keys: RwLock<Option<JwkSet>>,
}

impl ProConnect {
    /// # Errors
    /// When the HTTP client cannot be built.
    pub fn new(settings: ProConnectSettings) -> anyhow::Result<Self> {
        let http = reqwest::Client::builder()
            .timeout(PROCONNECT_TIMEOUT)
            .connect_timeout(PROCONNECT_TIMEOUT)
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("HubEE/", env!("CARGO_PKG_VERSION")))
            .build()
            .context("building ProConnect's HTTP client")?;
        Ok(Self { settings, http, discovery: RwLock::new(None), keys: RwLock::new(None) })
    }

    pub fn settings(&self) -> &ProConnectSettings {
        &self.settings
    }

    /// The discovery document, fetched at most once an hour; its issuer must be the one
    /// configured.
    ///
    /// # Errors
    /// `Unavailable` when it cannot be fetched or read, `Refused` when it names another issuer.
    pub async fn discovery(&self) -> Result<Discovery, ProConnectError> {
        if let Some((d, at)) = self.discovery.read().await.as_ref()
            && at.elapsed() < DISCOVERY_TTL
        {
            return Ok(d.clone());
        }
        let url = format!("{}/.well-known/openid-configuration", self.settings.issuer);
        let d: Discovery = self.get_json(&url).await?;
        if d.issuer.trim_end_matches('/') != self.settings.issuer {
            return Err(ProConnectError::Refused(format!("the discovery document names the issuer {:?}", d.issuer)));
        }
        *self.discovery.write().await = Some((d.clone(), Instant::now()));
        Ok(d)
    }

    /// The authorization endpoint's address for this request (`response_type=code`, PKCE S256).
    ///
    /// # Errors
    /// As [`Self::discovery`], or when the endpoint is not a URL.
    pub async fn authorization_url(&self, a: &Authorization<'_>) -> Result<String, ProConnectError> {
        let d = self.discovery().await?;
        let mut url = reqwest::Url::parse(&d.authorization_endpoint)
            .map_err(|e| ProConnectError::Unavailable(format!("the authorization endpoint: {e}")))?;
        {
            let mut q = url.query_pairs_mut();
            q.append_pair("response_type", "code")
                .append_pair("client_id", &self.settings.client_id)
                .append_pair("redirect_uri", a.redirect_uri)
                .append_pair("scope", crate::domain::SCOPES)
                .append_pair("state", a.state)
                .append_pair("nonce", a.nonce)
                .append_pair("code_challenge", a.code_challenge)
                .append_pair("code_challenge_method", "S256");
            if let Some(acr_values) = a.acr_values {
                q.append_pair("acr_values", acr_values);
            }
            if let Some(claims) = a.claims {
                q.append_pair("claims", claims);
            }
            if let Some(hint) = a.login_hint {
                q.append_pair("login_hint", hint);
            }
        }
        Ok(url.into())
    }

    /// Exchanges an authorization code (the client secret in the body, PKCE's verifier).
    ///
    /// # Errors
    /// `Unavailable` when the endpoint fails or refuses the code.
    pub async fn exchange(&self, code: &str, verifier: &str, redirect_uri: &str) -> Result<Tokens, ProConnectError> {
        let d = self.discovery().await?;
        let form = [
            ("grant_type", "authorization_code"),
            ("code", code),
            ("redirect_uri", redirect_uri),
            ("code_verifier", verifier),
            ("client_id", &self.settings.client_id),
            ("client_secret", &self.settings.client_secret),
        ];
        let response = self
            .http
            .post(&d.token_endpoint)
            .form(&form)
            .send()
            .await
            .map_err(|e| ProConnectError::Unavailable(format!("the token endpoint: {e}")))?;
        let status = response.status();
        if !status.is_success() {
            return Err(ProConnectError::Unavailable(format!("the token endpoint answered {status}")));
        }
        response.json().await.map_err(|e| ProConnectError::Unavailable(format!("the token endpoint's answer: {e}")))
    }

    /// Userinfo's signed JWT, verified, as claims.
    ///
    /// # Errors
    /// `Unavailable` when the endpoint fails, `Refused` when its answer is no valid JWT for the hub.
    pub async fn userinfo(
        &self,
        access_token: &str,
        now: DateTime<Utc>,
    ) -> Result<Map<String, Value>, ProConnectError> {
        let d = self.discovery().await?;
        let response = self
            .http
            .get(&d.userinfo_endpoint)
            .bearer_auth(access_token)
            .send()
            .await
            .map_err(|e| ProConnectError::Unavailable(format!("userinfo: {e}")))?;
        let status = response.status();
        if !status.is_success() {
            return Err(ProConnectError::Unavailable(format!("userinfo answered {status}")));
        }
        let jwt = response.text().await.map_err(|e| ProConnectError::Unavailable(format!("userinfo's answer: {e}")))?;
        // Userinfo need not carry an expiry of its own: checked when it does.
        self.verify_jwt(jwt.trim(), now, false).await
    }

    /// Verifies an ID token: signature by a published key — fetched again once when its `kid`
    /// is new —, issuer, audience (the hub), expiry (required).
    ///
    /// # Errors
    /// `Refused` for an invalid token, `Unavailable` when the keys cannot be fetched.
    pub async fn verify(&self, token: &str, now: DateTime<Utc>) -> Result<Map<String, Value>, ProConnectError> {
        self.verify_jwt(token, now, true).await
    }

    async fn verify_jwt(
        &self,
        token: &str,
        now: DateTime<Utc>,
        expires: bool,
    ) -> Result<Map<String, Value>, ProConnectError> {
        let expected = Expected { issuer: &self.settings.issuer, audience: &self.settings.client_id, now, expires };
        let cached = self.keys.read().await.clone();
        let keys = match cached {
            Some(keys) => keys,
            None => self.fetch_keys().await?,
        };
        match oidc::verify(token, &keys, &expected) {
            Err(OidcError::UnknownKey(kid)) => {
                tracing::info!(?kid, "a ProConnect token names a key not seen yet: fetching the keys again");
                let keys = self.fetch_keys().await?;
                Ok(oidc::verify(token, &keys, &expected)?)
            }
            verified => Ok(verified?),
        }
    }

    async fn fetch_keys(&self) -> Result<JwkSet, ProConnectError> {
        let d = self.discovery().await?;
        let keys: JwkSet = self.get_json(&d.jwks_uri).await?;
        *self.keys.write().await = Some(keys.clone());
        Ok(keys)
    }

    /// The end-session address signing the person out of ProConnect, then back to
    /// `post_logout_redirect_uri`; `None` when ProConnect publishes no end-session endpoint.
    ///
    /// # Errors
    /// As [`Self::discovery`].
    pub async fn end_session_url(
        &self,
        id_token_hint: &str,
        post_logout_redirect_uri: &str,
        state: &str,
    ) -> Result<Option<String>, ProConnectError> {
        let d = self.discovery().await?;
        let Some(endpoint) = d.end_session_endpoint else { return Ok(None) };
        let mut url = reqwest::Url::parse(&endpoint)
            .map_err(|e| ProConnectError::Unavailable(format!("the end-session endpoint: {e}")))?;
        url.query_pairs_mut()
            .append_pair("id_token_hint", id_token_hint)
            .append_pair("post_logout_redirect_uri", post_logout_redirect_uri)
            .append_pair("state", state);
        Ok(Some(url.into()))
    }

    async fn get_json<T: serde::de::DeserializeOwned>(&self, url: &str) -> Result<T, ProConnectError> {
        let response =
            self.http.get(url).send().await.map_err(|e| ProConnectError::Unavailable(format!("{url}: {e}")))?;
        let status = response.status();
        if !status.is_success() {
            return Err(ProConnectError::Unavailable(format!("{url} answered {status}")));
        }
        response.json().await.map_err(|e| ProConnectError::Unavailable(format!("{url}: {e}")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_http_issuer_is_accepted_on_a_loopback_address_only() {
        let settings = |issuer: &str| ProConnectSettings::new(issuer.into(), "hub".into(), "secret".into());
        for ok in [
            "https://auth.agentconnect.gouv.fr/api/v2",
            "http://127.0.0.1:4000",
            "http://localhost:4000/",
            "http://[::1]:4000",
        ] {
            assert!(settings(ok).is_ok(), "{ok}");
        }
        for refused in ["http://proconnect.example", "http://10.0.0.1:4000", "ftp://127.0.0.1", "not a url"] {
            assert!(settings(refused).is_err(), "{refused}");
        }
        assert!(ProConnectSettings::new("https://idp.example".into(), "hub".into(), " ".into()).is_err());
        assert!(!format!("{:?}", settings("https://idp.example").unwrap()).contains("secret"), "never logged");
    }
}
