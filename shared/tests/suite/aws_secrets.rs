//! `SecretsManagerKey` against a moto server (`scripts/test` starts one): the token signing key
//! read from its secret signs tokens its public half verifies; an unusable secret stops the cold
//! start with an error that names the secret but never shows its value.

#![allow(clippy::unwrap_used, clippy::expect_used)] // Test code: a failed step is a failed check.

use aws_sdk_secretsmanager::Client;
use chrono::Utc;
use hubee_shared::{
    adapters::aws::SecretsManagerKey,
    auth::{SigningKey, StoredSigningKey, TokenKeys},
    domain::{BranchCode, Scope, Siret},
    testkit::{self, aws::unique_name},
};
use jsonwebtoken::jwk::JwkSet;

async fn secret(client: &Client, value: &str) -> String {
    let name = unique_name("hubee-token-key");
    client.create_secret().name(&name).secret_string(value).send().await.unwrap();
    name
}

#[tokio::test]
async fn the_signing_key_is_read_from_its_secret_and_signs_verifiable_tokens() {
    let Some(config) = testkit::aws::sdk_config().await else { return };
    let client = Client::new(&config);
    let key = SigningKey::generate();
    let name = secret(&client, &serde_json::to_string(&key.to_stored()).unwrap()).await;

    let read = SecretsManagerKey::read(&client, &name).await.unwrap();
    assert_eq!(read.kid(), key.kid());
    let public = JwkSet { keys: vec![key.public_jwk().clone()] };
    let signer = TokenKeys::signing(&read, public.clone()).unwrap();
    let (siret, branch) = (Siret::parse("11000000000007").unwrap(), BranchCode::parse("00000").unwrap());
    let token = signer.issue("dgs-osl", Scope::Osl, &siret, &branch, None, Utc::now()).unwrap();
    let verifier = TokenKeys::verifying(public).unwrap();
    assert_eq!(verifier.verify(&token, Utc::now()).unwrap().sub, "dgs-osl", "its public half verifies");

    // After a rotation, the secret's new version is what a cold start reads.
    let next = SigningKey::generate();
    client
        .put_secret_value()
        .secret_id(&name)
        .secret_string(serde_json::to_string(&next.to_stored()).unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(SecretsManagerKey::read(&client, &name).await.unwrap().kid(), next.kid());
}

#[tokio::test]
async fn an_unusable_secret_is_refused_without_showing_its_value() {
    let Some(config) = testkit::aws::sdk_config().await else { return };
    let client = Client::new(&config);
    let key = SigningKey::generate().to_stored();
    let mislabelled = StoredSigningKey { kid: "k1".into(), ..key.clone() };
    for value in [serde_json::to_string(&mislabelled).unwrap(), format!("{{\"current\": \"{}\"}}", key.private_key)] {
        let name = secret(&client, &value).await;
        let error = format!("{:#}", SecretsManagerKey::read(&client, &name).await.err().unwrap());
        assert!(error.contains(&name), "the error names the secret: {error}");
        assert!(!error.contains(&key.private_key), "and never shows the key: {error}");
    }
    let missing = format!("{:#}", SecretsManagerKey::read(&client, &unique_name("absent")).await.err().unwrap());
    assert!(missing.contains("absent"), "{missing}");
}
