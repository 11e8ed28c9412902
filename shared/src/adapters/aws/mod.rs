//! The AWS adapters (feature `aws`): the table on DynamoDB, objects on S3, e-mail through
//! SESv2, and the token signing key in Secrets Manager. Each passes the same conformance suite as its embedded twin (`shared/tests/suite/aws_*.rs`,
//! against a moto server started by `scripts/test`).
//!
//! The SDK reads its settings from the environment (`AWS_REGION`, credentials, and
//! `AWS_ENDPOINT_URL` to reach an emulator instead of AWS).

mod anchors;
mod dynamo;
mod s3;
mod secrets;
mod ses;

pub use anchors::S3Anchors;
pub use dynamo::DynamoTable;
pub use s3::S3Objects;
pub use secrets::SecretsManagerKey;
pub use ses::SesMailer;

/// The SDK configuration from the environment, loaded once per cold start, with an HTTPS
/// client on rustls and ring: the SDK's default client would bring aws-lc, a second crypto
/// library beside the ring the rest of the hub uses, and a megabyte more in each bootstrap.
pub async fn sdk_config() -> aws_config::SdkConfig {
    use aws_smithy_http_client::{
        Builder,
        tls::{Provider, rustls_provider::CryptoMode},
    };

    let https = Builder::new().tls_provider(Provider::Rustls(CryptoMode::Ring)).build_https();
    aws_config::defaults(aws_config::BehaviorVersion::latest()).http_client(https).load().await
}

/// Whether the SDK talks to an endpoint other than AWS's (an emulator such as moto): the hub
/// then creates its table and bucket itself, which on AWS the SAM template does.
pub fn emulated(config: &aws_config::SdkConfig) -> bool {
    config.endpoint_url().is_some()
}

/// Creates what the SAM template creates on AWS, when missing: the table, the bucket and the
/// sender's identity (an emulator, like SES, refuses mail from an unverified sender), and the
/// audit journal's anchor bucket when one is named.
///
/// # Errors
/// When the emulator refuses a creation.
pub async fn prepare_emulator(
    config: &aws_config::SdkConfig,
    resources: &crate::config::AwsResources,
    objects: &S3Objects,
    mail_from: &str,
) -> anyhow::Result<()> {
    use anyhow::Context;

    DynamoTable::create_table(&aws_sdk_dynamodb::Client::new(config), &resources.table).await?;
    objects.create_bucket().await?;
    if let Some(bucket) = &resources.audit_bucket {
        S3Anchors::from_sdk_config(config, bucket).create_bucket().await?;
    }
    let sender = mail_from.rsplit_once('<').map_or(mail_from, |(_, rest)| rest.trim_end_matches('>')).trim();
    let ses = aws_sdk_sesv2::Client::new(config);
    match ses.create_email_identity().email_identity(sender).send().await {
        Ok(_) => Ok(()),
        Err(e) if e.as_service_error().is_some_and(|e| e.is_already_exists_exception()) => Ok(()),
        Err(e) => Err(e).with_context(|| format!("creating the SES identity {sender}")),
    }
}
