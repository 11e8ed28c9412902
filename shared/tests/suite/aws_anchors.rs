//! `S3Anchors` against a moto server (`scripts/test` starts one): the `AnchorStore` conformance
//! suite on a bucket with Object Lock, and the lock itself: an anchor cannot be deleted.

#![allow(clippy::unwrap_used, clippy::expect_used)] // Test code: a failed step is a failed check.

use std::sync::Arc;

use hubee_shared::{
    adapters::aws::S3Anchors,
    ports::AnchorStore,
    testkit::{self, aws::unique_name},
};

#[tokio::test]
async fn the_s3_anchors_pass_the_anchor_conformance_suite_and_stay_locked() {
    let Some(config) = testkit::aws::sdk_config().await else { return };
    let bucket = unique_name("hubee-anchors");
    let anchors = S3Anchors::from_sdk_config(&config, bucket.clone());
    anchors.create_bucket().await.unwrap();
    anchors.create_bucket().await.expect("creating a bucket one already owns is fine");
    testkit::anchors::conformance(Arc::new(S3Anchors::from_sdk_config(&config, bucket.clone()))).await;

    // Compliance mode: the anchor's version cannot be deleted, even by its owner.
    let s3 = aws_sdk_s3::Client::from_conf(aws_sdk_s3::config::Builder::from(&config).force_path_style(true).build());
    let key = "anchors/2026-12-07.json";
    let head = s3.head_object().bucket(&bucket).key(key).send().await.unwrap();
    assert_eq!(head.object_lock_mode().map(|m| m.as_str()), Some("COMPLIANCE"), "locked in compliance mode");
    let version = head.version_id().expect("a versioned object").to_owned();
    let deleted = s3.delete_object().bucket(&bucket).key(key).version_id(version).send().await;
    assert!(deleted.is_err(), "a locked version is not deleted");
    assert!(anchors.get("2026-12-07.json").await.unwrap().is_some());
}
