//! `SecretsManagerKey`: the private key API tokens are signed with, read from AWS Secrets
//! Manager at cold start by the one function that issues tokens (`auth`). The key never goes
//! through the template or an environment variable; the other functions are built without this
//! client (`bootstrap::lambda_issuing_tokens` is the only entry point with it) and verify tokens with the public keys only.

use anyhow::Context;
use aws_sdk_secretsmanager::{Client, error::DisplayErrorContext};

use crate::auth::{SigningKey, StoredSigningKey};

/// Reads the signing key from a secret whose value is a [`StoredSigningKey`] (JSON
/// `{"kid": …, "private_key": …}`, docs/DEPLOY.md).
pub struct SecretsManagerKey;

impl SecretsManagerKey {
    /// The current version (`AWSCURRENT`) of `secret_id` (name or ARN), as a signing key.
    ///
    /// # Errors
    /// When the secret cannot be read, or does not hold a usable key (the error names the
    /// secret, never its value).
    pub async fn read(client: &Client, secret_id: &str) -> anyhow::Result<SigningKey> {
        let text = Self::read_text(client, secret_id).await?;
        // serde_json's message could quote the value: only say where it failed.
        let stored: StoredSigningKey = serde_json::from_str(&text).map_err(|e| {
            anyhow::anyhow!(
                "the secret {secret_id} is not {{\"kid\": …, \"private_key\": …}} (line {}, column {})",
                e.line(),
                e.column()
            )
        })?;
        SigningKey::from_stored(&stored).with_context(|| format!("the key in the secret {secret_id}"))
    }

    /// The current text of `secret_id` (name or ARN): another credential a function reads at cold
    /// start (ProConnect's client secret).
    ///
    /// # Errors
    /// When the secret cannot be read or holds no text (the error names the secret, never its
    /// value).
    pub async fn read_text(client: &Client, secret_id: &str) -> anyhow::Result<String> {
        let out = client
            .get_secret_value()
            .secret_id(secret_id)
            .send()
            .await
            .map_err(|e| anyhow::anyhow!("reading the secret {secret_id}: {}", DisplayErrorContext(&e)))?;
        let text = out.secret_string().with_context(|| format!("the secret {secret_id} holds no text"))?;
        Ok(text.trim().to_owned())
    }
}
