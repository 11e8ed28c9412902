//! The shared crate's integration suites, linked into one test binary: each module is one
//! suite. One binary links the library once, where a binary per suite linked it nine times.
//! The `aws_*` suites test the AWS adapters against a moto server, and are skipped (each test
//! says so) when `AWS_ENDPOINT_URL` is not set; `scripts/test` starts one and sets it.

#[cfg(feature = "aws")]
mod aws_anchors;
#[cfg(feature = "aws")]
mod aws_dynamo;
#[cfg(feature = "aws")]
mod aws_s3;
#[cfg(feature = "aws")]
mod aws_secrets;
#[cfg(feature = "aws")]
mod aws_ses;
mod dossier;
mod inbox;
mod notify;
mod properties;
mod retention;
mod statistics;

/// A use case's answer as the edge serialises it, for assertions on the contract's JSON.
#[allow(clippy::expect_used)]
fn json<T: serde::Serialize>(answer: T) -> serde_json::Value {
    serde_json::to_value(answer).expect("answers serialise")
}
