//! The emulator the AWS adapters are tested against: a moto server whose address
//! `scripts/test` exports as `AWS_ENDPOINT_URL`. Every test works on its own table or bucket,
//! named by [`unique_name`], so that tests share one server without resetting it.

/// The SDK configuration for the emulator.
///
/// # Panics
/// When `AWS_ENDPOINT_URL` is not set: these tests never run against AWS itself.
pub async fn sdk_config() -> aws_config::SdkConfig {
    assert!(
        std::env::var("AWS_ENDPOINT_URL").is_ok_and(|u| u.starts_with("http://127.0.0.1")),
        "the AWS adapter tests run against a local moto server: run ./scripts/test, which starts one \
         and sets AWS_ENDPOINT_URL"
    );
    crate::adapters::aws::sdk_config().await
}

/// A fresh resource name, lowercase (valid for tables and buckets).
pub fn unique_name(prefix: &str) -> String {
    format!("{prefix}-{}", uuid::Uuid::new_v4().simple())
}
