//! The emulator the AWS adapters are tested against: a moto server whose address
//! `scripts/test` exports as `AWS_ENDPOINT_URL`. Every test works on its own table or bucket,
//! named by [`unique_name`], so that tests share one server without resetting it.

use std::io::Write;

/// What a test prints when it is skipped for want of an emulator.
pub const SKIPPED: &str = "skipped: needs a moto server; set AWS_ENDPOINT_URL (scripts/test starts one)";

/// The SDK configuration for the emulator; `None` when `AWS_ENDPOINT_URL` is not set, and the
/// calling test, which is then skipped, says so on the terminal. An emulator that is set but
/// unreachable fails the test at its first call.
///
/// # Panics
/// When `AWS_ENDPOINT_URL` names anything but a local server: these tests never run against
/// AWS itself.
pub async fn sdk_config() -> Option<aws_config::SdkConfig> {
    let Ok(endpoint) = std::env::var("AWS_ENDPOINT_URL") else {
        // Straight to stderr: the test harness captures what `eprintln!` prints, and shows it
        // for failed tests only.
        let test = std::thread::current().name().unwrap_or("an AWS adapter test").to_owned();
        let _ = writeln!(std::io::stderr(), "{test}: {SKIPPED}");
        return None;
    };
    assert!(
        endpoint.starts_with("http://127.0.0.1"),
        "the AWS adapter tests run against a local moto server: run ./scripts/test, which starts one \
         and sets AWS_ENDPOINT_URL"
    );
    Some(crate::adapters::aws::sdk_config().await)
}

/// A fresh resource name, lowercase (valid for tables and buckets).
pub fn unique_name(prefix: &str) -> String {
    format!("{prefix}-{}", uuid::Uuid::new_v4().simple())
}
