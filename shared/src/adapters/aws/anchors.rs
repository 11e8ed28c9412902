//! `S3Anchors`: the audit journal's seals as objects of a bucket with S3 Object Lock, each
//! written once (`If-None-Match: *`) in compliance mode for five years: nobody — the account's
//! root included — can overwrite or delete one before then. The bucket is the SAM template's
//! `AuditAnchorsBucket` (`HUBEE_AUDIT_BUCKET`), with Object Lock and versioning on.

use anyhow::Context;
use async_trait::async_trait;
use aws_sdk_s3::{
    Client,
    error::{DisplayErrorContext, ProvideErrorMetadata, SdkError},
    primitives::{ByteStream, DateTime},
    types::{
        ChecksumAlgorithm, DefaultRetention, ObjectLockConfiguration, ObjectLockEnabled, ObjectLockMode,
        ObjectLockRetentionMode, ObjectLockRule,
    },
};
use bytes::Bytes;

use crate::ports::{AnchorError, AnchorStore, check_anchor_name};

/// Where the anchors go in the bucket.
const PREFIX: &str = "anchors/";
/// How long nobody may rewrite or delete an anchor.
pub const RETENTION_YEARS: i32 = 5;

pub struct S3Anchors {
    client: Client,
    bucket: String,
    region: Option<String>,
}

fn unavailable<E, R>(error: SdkError<E, R>, doing: &str) -> AnchorError
where
    E: std::error::Error + Send + Sync + 'static,
    R: std::fmt::Debug + Send + Sync + 'static,
{
    let detail = DisplayErrorContext(&error).to_string();
    AnchorError::Unavailable(anyhow::Error::new(error).context(format!("{doing}: {detail}")))
}

impl S3Anchors {
    /// Anchors in `bucket`, with the SDK's settings (path-style against an emulator).
    pub fn from_sdk_config(config: &aws_config::SdkConfig, bucket: impl Into<String>) -> Self {
        let s3_config =
            aws_sdk_s3::config::Builder::from(config).force_path_style(config.endpoint_url().is_some()).build();
        Self {
            client: Client::from_conf(s3_config),
            bucket: bucket.into(),
            region: config.region().map(ToString::to_string),
        }
    }

    /// Creates the bucket with Object Lock (compliance, [`RETENTION_YEARS`] by default), as the
    /// SAM template does on AWS: for emulators and tests.
    ///
    /// # Errors
    /// When the bucket cannot be created or locked.
    pub async fn create_bucket(&self) -> anyhow::Result<()> {
        super::s3::create_bucket(&self.client, &self.bucket, self.region.as_deref(), true).await?;
        let rule = ObjectLockRule::builder()
            .default_retention(
                DefaultRetention::builder().mode(ObjectLockRetentionMode::Compliance).years(RETENTION_YEARS).build(),
            )
            .build();
        let lock =
            ObjectLockConfiguration::builder().object_lock_enabled(ObjectLockEnabled::Enabled).rule(rule).build();
        self.client
            .put_object_lock_configuration()
            .bucket(&self.bucket)
            .object_lock_configuration(lock)
            .send()
            .await
            .with_context(|| format!("locking the bucket {}", self.bucket))?;
        Ok(())
    }
}

#[async_trait]
impl AnchorStore for S3Anchors {
    async fn put(&self, name: &str, bytes: Bytes) -> Result<(), AnchorError> {
        check_anchor_name(name)?;
        let until = chrono::Utc::now() + chrono::Months::new(12 * RETENTION_YEARS.unsigned_abs());
        let result = self
            .client
            .put_object()
            .bucket(&self.bucket)
            .key(format!("{PREFIX}{name}"))
            .if_none_match("*")
            .content_type("application/json")
            // Object Lock wants a checksum of what it locks.
            .checksum_algorithm(ChecksumAlgorithm::Sha256)
            .object_lock_mode(ObjectLockMode::Compliance)
            .object_lock_retain_until_date(DateTime::from_secs(until.timestamp()))
            .body(ByteStream::from(bytes))
            .send()
            .await;
        match result {
            Ok(_) => Ok(()),
            Err(e)
                if e.code() == Some("PreconditionFailed")
                    || e.raw_response().is_some_and(|r| r.status().as_u16() == 412) =>
            {
                Err(AnchorError::Exists)
            }
            Err(e) => Err(unavailable(e, &format!("sealing {name}"))),
        }
    }

    async fn get(&self, name: &str) -> Result<Option<Bytes>, AnchorError> {
        check_anchor_name(name)?;
        let result = self.client.get_object().bucket(&self.bucket).key(format!("{PREFIX}{name}")).send().await;
        match result {
            Ok(out) => {
                let body = out.body.collect().await.map_err(|e| AnchorError::Unavailable(anyhow::Error::new(e)))?;
                Ok(Some(body.into_bytes()))
            }
            Err(e) if e.code() == Some("NoSuchKey") || e.raw_response().is_some_and(|r| r.status().as_u16() == 404) => {
                Ok(None)
            }
            Err(e) => Err(unavailable(e, &format!("reading {name}"))),
        }
    }

    async fn list(&self) -> Result<Vec<String>, AnchorError> {
        let mut names = Vec::new();
        let mut pages = self.client.list_objects_v2().bucket(&self.bucket).prefix(PREFIX).into_paginator().send();
        while let Some(page) = pages.next().await {
            let page = page.map_err(|e| unavailable(e, "listing the anchors"))?;
            for object in page.contents() {
                if let Some(name) = object.key().and_then(|k| k.strip_prefix(PREFIX)) {
                    names.push(name.to_owned());
                }
            }
        }
        names.sort();
        Ok(names)
    }
}
