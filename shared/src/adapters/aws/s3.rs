//! `S3Objects`: the `ObjectStore` port on an S3 bucket.
//!
//! A put streams the body in parts of a fixed size (8 MiB), hashing and counting on the way, so
//! memory does not grow with the object (two parts at most: one uploading while the next is
//! read). A body that fits one part is one `PutObject`; a larger one is a multipart upload,
//! aborted on any error. Every request carries the SHA-256 of its bytes (`x-amz-checksum-sha256`)
//! so S3 refuses bytes damaged on the way.
//!
//! The key is written only once the size and digest checks have passed, and the object appears
//! with its metadata at once — the whole object's SHA-256 (hex, user metadata `sha256`) and the
//! content type as given (user metadata `content-type`, percent-encoded) — so `head` and `get`
//! answer without reading the body and metadata cannot drift from content:
//! - a single part is checked before its `PutObject`;
//! - a multipart body whose digest is announced ([`PutCheck::sha256`]) is uploaded under its key
//!   with that digest as metadata, and only completed when the digest matches;
//! - a multipart body of unknown digest is uploaded under a staging key next to its key
//!   (`<key>.staging-<uuid>`: no [`ObjectKey`] holds a dot, and the IAM policy that lets a function
//!   write under a prefix covers both), completed, then copied server-side under its key with its
//!   metadata (`CopyObject`, or `UploadPartCopy` above 5 GiB), and the staging object deleted.
//!
//! A put dropped midway (its caller gone) aborts its multipart upload in a spawned task. What a
//! killed process leaves — an incomplete multipart upload, rarely a staging object — is for the
//! bucket's lifecycle rules (`AbortIncompleteMultipartUpload`).

use std::{collections::HashMap, ops::Range, time::Duration};

use anyhow::{Context, anyhow};
use async_trait::async_trait;
use aws_sdk_s3::{
    Client,
    error::{DisplayErrorContext, ProvideErrorMetadata, SdkError},
    presigning::PresigningConfig,
    primitives::ByteStream as SdkByteStream,
    types::{
        BucketLocationConstraint, BucketVersioningStatus, ChecksumAlgorithm, ChecksumMode, CompletedMultipartUpload,
        CompletedPart, CreateBucketConfiguration, MetadataDirective, VersioningConfiguration,
    },
};
use aws_smithy_types::retry::RetryConfig;
use base64::{Engine, engine::general_purpose::STANDARD};
use bytes::{Bytes, BytesMut};
use futures::StreamExt;
use percent_encoding::{AsciiSet, CONTROLS, percent_decode_str, utf8_percent_encode};
use sha2::{Digest, Sha256};

use crate::{
    domain::Sha256Digest,
    ports::{
        ByteStream, ObjectBody, ObjectError, ObjectInfo, ObjectKey, ObjectStore, PRESIGNED_PUT_HEADER, PresignMethod,
        PutCheck,
    },
};

const MIB: u64 = 1 << 20;
/// The part size of uploads: the memory a put holds is about twice this.
const DEFAULT_PART_SIZE: usize = 8 << 20;
/// S3's smallest part (all parts but the last).
const MIN_PART_SIZE: u64 = 5 * MIB;
/// The largest part this adapter buffers.
const MAX_PART_SIZE: u64 = 512 * MIB;
/// S3's largest `CopyObject` and `UploadPartCopy` part.
const MAX_COPY_SIZE: u64 = 5 << 30;
/// S3's most parts in one multipart upload.
const MAX_PARTS: i32 = 10_000;
/// The longest validity of a SigV4 presigned URL.
const MAX_PRESIGN: Duration = Duration::from_secs(7 * 24 * 3600);
const ATTEMPTS: u32 = 4;

const META_SHA256: &str = "sha256";
const META_CONTENT_TYPE: &str = "content-type";
/// Where multipart bodies of unknown digest wait for their checks: `<key><suffix><uuid>`, a dot
/// no [`ObjectKey`] segment may hold.
const STAGING_SUFFIX: &str = ".staging-";
/// What the content type's user metadata encodes: controls, non-ASCII, `%` and spaces (header
/// values lose their outer spaces).
const META_ENCODE: &AsciiSet = &CONTROLS.add(b'%').add(b' ');

#[derive(Clone)]
pub struct S3Objects {
    client: Client,
    bucket: String,
    region: Option<String>,
    part_size: usize,
    copy_part_size: u64,
}

impl S3Objects {
    /// A store on `bucket`, with the SDK's settings. Against an emulator (`AWS_ENDPOINT_URL`)
    /// bucket addressing is path-style (`<endpoint>/<bucket>/<key>`), which needs no DNS.
    pub fn from_sdk_config(config: &aws_config::SdkConfig, bucket: impl Into<String>) -> Self {
        let s3_config = aws_sdk_s3::config::Builder::from(config)
            .force_path_style(config.endpoint_url().is_some())
            .retry_config(RetryConfig::standard().with_max_attempts(ATTEMPTS))
            .build();
        Self {
            client: Client::from_conf(s3_config),
            bucket: bucket.into(),
            region: config.region().map(ToString::to_string),
            part_size: DEFAULT_PART_SIZE,
            copy_part_size: MAX_COPY_SIZE,
        }
    }

    /// The part size of multipart uploads (8 MiB unless set), kept between S3's 5 MiB minimum and
    /// 512 MiB. A put holds about two parts in memory.
    #[must_use]
    pub fn with_part_size(mut self, bytes: usize) -> Self {
        let clamped = (bytes as u64).clamp(MIN_PART_SIZE, MAX_PART_SIZE);
        self.part_size = usize::try_from(clamped).unwrap_or(DEFAULT_PART_SIZE);
        self
    }

    /// The largest staged object copied with one `CopyObject` (5 GiB, S3's limit, unless set);
    /// larger ones are copied with `UploadPartCopy` in parts of this size. Between 5 MiB and
    /// 5 GiB.
    #[must_use]
    pub fn with_copy_part_size(mut self, bytes: u64) -> Self {
        self.copy_part_size = bytes.clamp(MIN_PART_SIZE, MAX_COPY_SIZE);
        self
    }

    /// The SDK client, for tests and tools.
    pub fn client(&self) -> &Client {
        &self.client
    }

    pub fn bucket(&self) -> &str {
        &self.bucket
    }

    /// Creates the bucket if it does not exist yet (for an emulator and tests: on AWS the SAM
    /// template creates it), in the SDK's region, versioned as the template's is.
    ///
    /// # Errors
    /// When S3 refuses, except for a bucket this account already owns.
    pub async fn create_bucket(&self) -> anyhow::Result<()> {
        create_bucket(&self.client, &self.bucket, self.region.as_deref(), false).await?;
        let enabled = VersioningConfiguration::builder().status(BucketVersioningStatus::Enabled).build();
        self.client
            .put_bucket_versioning()
            .bucket(&self.bucket)
            .versioning_configuration(enabled)
            .send()
            .await
            .with_context(|| format!("versioning the bucket {}", self.bucket))?;
        Ok(())
    }

    async fn put_single(
        &self,
        key: &ObjectKey,
        content_type: &str,
        info: &ObjectInfo,
        bytes: Bytes,
    ) -> Result<(), ObjectError> {
        let mut request = self
            .client
            .put_object()
            .bucket(&self.bucket)
            .key(key.as_str())
            .content_length(i64::try_from(bytes.len()).unwrap_or(i64::MAX))
            .checksum_algorithm(ChecksumAlgorithm::Sha256)
            .checksum_sha256(info.sha256.to_base64())
            .set_metadata(Some(metadata(&info.sha256, content_type)))
            .body(SdkByteStream::from(bytes));
        if let Some(ct) = header_content_type(content_type) {
            request = request.content_type(ct);
        }
        request.send().await.map_err(|e| unavailable(e, format!("putting {key}")))?;
        Ok(())
    }

    /// Streams a body of more than one part. With an announced digest the upload goes to the key
    /// itself (its metadata known in advance); otherwise to a staging key, copied into place once
    /// the digest is known.
    async fn put_multipart(
        &self,
        key: &ObjectKey,
        content_type: &str,
        check: &PutCheck,
        parts: &mut Parts,
        first: Bytes,
    ) -> Result<ObjectInfo, ObjectError> {
        let staging = check.sha256.is_none().then(|| format!("{key}{STAGING_SUFFIX}{}", uuid::Uuid::new_v4().simple()));
        let target = staging.as_deref().unwrap_or(key.as_str());
        let mut request = self
            .client
            .create_multipart_upload()
            .bucket(&self.bucket)
            .key(target)
            .checksum_algorithm(ChecksumAlgorithm::Sha256);
        if let Some(expected) = &check.sha256 {
            request = request.set_metadata(Some(metadata(expected, content_type)));
            if let Some(ct) = header_content_type(content_type) {
                request = request.content_type(ct);
            }
        }
        let created = request.send().await.map_err(|e| unavailable(e, format!("starting the upload of {key}")))?;
        let upload_id = created
            .upload_id()
            .ok_or_else(|| ObjectError::Unavailable(anyhow!("S3 started the upload of {key} without an upload id")))?
            .to_owned();
        let mut guard = AbortOnDrop::new(self, target, &upload_id);

        let uploaded = self.upload_parts(target, &upload_id, parts, first).await;
        let checked = uploaded.and_then(|completed| Ok((parts.finish(content_type, check)?, completed)));
        let (info, completed) = match checked {
            Ok(done) => done,
            Err(e) => {
                guard.disarm();
                self.abort(target, &upload_id).await;
                return Err(e);
            }
        };
        let completion = self
            .client
            .complete_multipart_upload()
            .bucket(&self.bucket)
            .key(target)
            .upload_id(&upload_id)
            .multipart_upload(CompletedMultipartUpload::builder().set_parts(Some(completed)).build())
            .send()
            .await;
        guard.disarm();
        if let Err(e) = completion {
            self.abort(target, &upload_id).await;
            return Err(unavailable(e, format!("completing the upload of {key}")));
        }

        if let Some(staging) = &staging {
            let copied = self.copy_into_place(staging, key, &info).await;
            self.remove(staging).await;
            copied?;
        }
        Ok(info)
    }

    /// Uploads `first` then the rest of `parts`, reading the next part while the previous one
    /// uploads.
    async fn upload_parts(
        &self,
        target: &str,
        upload_id: &str,
        parts: &mut Parts,
        first: Bytes,
    ) -> Result<Vec<CompletedPart>, ObjectError> {
        let mut completed = Vec::new();
        let (mut part, mut last) = (first, false);
        let mut number: i32 = 0;
        loop {
            number += 1;
            if number > MAX_PARTS {
                return Err(ObjectError::Unavailable(anyhow!(
                    "the body is larger than {MAX_PARTS} parts of {} bytes",
                    self.part_size
                )));
            }
            let upload = self.upload_part(target, upload_id, number, part);
            if last {
                completed.push(upload.await?);
                return Ok(completed);
            }
            let (done, (next, next_last)) = futures::future::try_join(upload, parts.next_part()).await?;
            completed.push(done);
            (part, last) = (next, next_last);
        }
    }

    async fn upload_part(
        &self,
        target: &str,
        upload_id: &str,
        number: i32,
        bytes: Bytes,
    ) -> Result<CompletedPart, ObjectError> {
        let checksum = STANDARD.encode(Sha256::digest(&bytes));
        let out = self
            .client
            .upload_part()
            .bucket(&self.bucket)
            .key(target)
            .upload_id(upload_id)
            .part_number(number)
            .content_length(i64::try_from(bytes.len()).unwrap_or(i64::MAX))
            .checksum_algorithm(ChecksumAlgorithm::Sha256)
            .checksum_sha256(&checksum)
            .body(SdkByteStream::from(bytes))
            .send()
            .await
            .map_err(|e| unavailable(e, format!("uploading part {number} of {target}")))?;
        Ok(CompletedPart::builder()
            .part_number(number)
            .set_e_tag(out.e_tag().map(str::to_owned))
            .checksum_sha256(checksum)
            .build())
    }

    /// Copies a completed staging object under its key, with its metadata.
    async fn copy_into_place(&self, staging: &str, key: &ObjectKey, info: &ObjectInfo) -> Result<(), ObjectError> {
        let source = format!("{}/{staging}", self.bucket);
        if info.size <= self.copy_part_size {
            let mut request = self
                .client
                .copy_object()
                .bucket(&self.bucket)
                .key(key.as_str())
                .copy_source(&source)
                .metadata_directive(MetadataDirective::Replace)
                .set_metadata(Some(metadata(&info.sha256, &info.content_type)))
                .checksum_algorithm(ChecksumAlgorithm::Sha256);
            if let Some(ct) = header_content_type(&info.content_type) {
                request = request.content_type(ct);
            }
            let out = request.send().await.map_err(|e| unavailable(e, format!("copying {staging} to {key}")))?;
            // A one-request copy gets a full-object SHA-256 from S3: one more end-to-end check.
            let s3_sha256 = out.copy_object_result().and_then(|r| r.checksum_sha256()).filter(|c| !c.contains('-'));
            if let Some(s3_sha256) = s3_sha256
                && s3_sha256 != info.sha256.to_base64()
            {
                self.remove(key.as_str()).await;
                return Err(ObjectError::Unavailable(anyhow!(
                    "S3 computed the SHA-256 {s3_sha256} for {key}, not {}",
                    info.sha256
                )));
            }
            return Ok(());
        }

        let mut request = self
            .client
            .create_multipart_upload()
            .bucket(&self.bucket)
            .key(key.as_str())
            .checksum_algorithm(ChecksumAlgorithm::Sha256)
            .set_metadata(Some(metadata(&info.sha256, &info.content_type)));
        if let Some(ct) = header_content_type(&info.content_type) {
            request = request.content_type(ct);
        }
        let created = request.send().await.map_err(|e| unavailable(e, format!("starting the copy to {key}")))?;
        let upload_id = created
            .upload_id()
            .ok_or_else(|| ObjectError::Unavailable(anyhow!("S3 started the copy to {key} without an upload id")))?
            .to_owned();
        let mut guard = AbortOnDrop::new(self, key.as_str(), &upload_id);
        let copied = self.copy_parts(&source, key, &upload_id, info.size).await;
        let completion = match copied {
            Ok(parts) => self
                .client
                .complete_multipart_upload()
                .bucket(&self.bucket)
                .key(key.as_str())
                .upload_id(&upload_id)
                .multipart_upload(CompletedMultipartUpload::builder().set_parts(Some(parts)).build())
                .send()
                .await
                .map(drop)
                .map_err(|e| unavailable(e, format!("completing the copy to {key}"))),
            Err(e) => Err(e),
        };
        guard.disarm();
        if completion.is_err() {
            self.abort(key.as_str(), &upload_id).await;
        }
        completion
    }

    async fn copy_parts(
        &self,
        source: &str,
        key: &ObjectKey,
        upload_id: &str,
        size: u64,
    ) -> Result<Vec<CompletedPart>, ObjectError> {
        let mut parts = Vec::new();
        for (number, range) in (1..).zip(part_ranges(size, self.copy_part_size)) {
            let out = self
                .client
                .upload_part_copy()
                .bucket(&self.bucket)
                .key(key.as_str())
                .upload_id(upload_id)
                .part_number(number)
                .copy_source(source)
                .copy_source_range(format!("bytes={}-{}", range.start, range.end - 1))
                .send()
                .await
                .map_err(|e| unavailable(e, format!("copying part {number} to {key}")))?;
            let result = out.copy_part_result();
            parts.push(
                CompletedPart::builder()
                    .part_number(number)
                    .set_e_tag(result.and_then(|r| r.e_tag()).map(str::to_owned))
                    .set_checksum_sha256(result.and_then(|r| r.checksum_sha256()).map(str::to_owned))
                    .build(),
            );
        }
        Ok(parts)
    }

    async fn abort(&self, target: &str, upload_id: &str) {
        abort_upload(&self.client, &self.bucket, target, upload_id).await;
    }

    /// Deletes an object this adapter wrote and no longer wants; a failure is logged (the
    /// bucket's lifecycle rules are the backstop).
    async fn remove(&self, target: &str) {
        if let Err(e) = self.client.delete_object().bucket(&self.bucket).key(target).send().await {
            tracing::warn!(error = %DisplayErrorContext(&e), key = target, "could not delete an object");
        }
    }
}

async fn abort_upload(client: &Client, bucket: &str, target: &str, upload_id: &str) {
    let aborted = client.abort_multipart_upload().bucket(bucket).key(target).upload_id(upload_id).send().await;
    if let Err(e) = aborted {
        tracing::warn!(error = %DisplayErrorContext(&e), key = target,
            "could not abort a multipart upload");
    }
}

/// Aborts a multipart upload when the put is dropped before it ends (the caller went away):
/// the error paths abort explicitly, and disarm it.
struct AbortOnDrop {
    armed: Option<(Client, String, String, String)>,
}

impl AbortOnDrop {
    fn new(store: &S3Objects, target: &str, upload_id: &str) -> Self {
        Self { armed: Some((store.client.clone(), store.bucket.clone(), target.to_owned(), upload_id.to_owned())) }
    }

    fn disarm(&mut self) {
        self.armed = None;
    }
}

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        if let (Some((client, bucket, target, upload_id)), Ok(runtime)) =
            (self.armed.take(), tokio::runtime::Handle::try_current())
        {
            runtime.spawn(async move { abort_upload(&client, &bucket, &target, &upload_id).await });
        }
    }
}

/// The ranges of `size` bytes in parts of `part` bytes.
fn part_ranges(size: u64, part: u64) -> impl Iterator<Item = Range<u64>> {
    let part = part.max(1);
    (0..size.div_ceil(part)).map(move |i| i * part..((i + 1) * part).min(size))
}

/// The body read in parts, hashed and counted on the way.
struct Parts {
    body: ByteStream,
    part_size: usize,
    expected_size: Option<u64>,
    /// Bytes read past the last part returned.
    pending: Option<Bytes>,
    ended: bool,
    hasher: Sha256,
    size: u64,
}

impl Parts {
    fn new(body: ByteStream, part_size: usize, expected_size: Option<u64>) -> Self {
        Self { body, part_size, expected_size, pending: None, ended: false, hasher: Sha256::new(), size: 0 }
    }

    /// The next non-empty chunk of the body, counted and hashed; a body longer than expected
    /// fails as soon as the extra bytes arrive.
    async fn chunk(&mut self) -> Result<Option<Bytes>, ObjectError> {
        while !self.ended {
            match self.body.next().await {
                None => self.ended = true,
                Some(Err(e)) => return Err(ObjectError::Body(e)),
                Some(Ok(chunk)) if chunk.is_empty() => {}
                Some(Ok(chunk)) => {
                    self.size += chunk.len() as u64;
                    if let Some(expected) = self.expected_size.filter(|&e| self.size > e) {
                        return Err(ObjectError::SizeMismatch { expected, actual: self.size });
                    }
                    self.hasher.update(&chunk);
                    return Ok(Some(chunk));
                }
            }
        }
        Ok(None)
    }

    /// The next part — `part_size` bytes, fewer for the last — and whether it is the last (the
    /// only part that may be empty, for an empty body).
    async fn next_part(&mut self) -> Result<(Bytes, bool), ObjectError> {
        let remaining = self.expected_size.map_or(self.part_size as u64, |e| e.saturating_sub(self.size));
        let mut buf = BytesMut::with_capacity(self.part_size.min(usize::try_from(remaining).unwrap_or(usize::MAX)));
        loop {
            let chunk = match self.pending.take() {
                Some(chunk) => chunk,
                None => match self.chunk().await? {
                    Some(chunk) => chunk,
                    None => return Ok((buf.freeze(), true)),
                },
            };
            let room = self.part_size - buf.len();
            if chunk.len() <= room {
                buf.extend_from_slice(&chunk);
            } else {
                buf.extend_from_slice(&chunk[..room]);
                self.pending = Some(chunk.slice(room..));
            }
            if buf.len() == self.part_size {
                // A full part: it is the last one only if nothing follows.
                if self.pending.is_none() {
                    self.pending = self.chunk().await?;
                }
                return Ok((buf.freeze(), self.pending.is_none()));
            }
        }
    }

    /// Once the body is read: its info, if it passes the checks.
    fn finish(&mut self, content_type: &str, check: &PutCheck) -> Result<ObjectInfo, ObjectError> {
        if let Some(expected) = check.size.filter(|&e| self.size != e) {
            return Err(ObjectError::SizeMismatch { expected, actual: self.size });
        }
        let sha256 = Sha256Digest(std::mem::take(&mut self.hasher).finalize().into());
        if let Some(expected) = check.sha256.filter(|e| *e != sha256) {
            return Err(ObjectError::DigestMismatch { expected, actual: sha256 });
        }
        Ok(ObjectInfo { size: self.size, sha256, content_type: content_type.to_owned() })
    }
}

fn metadata(sha256: &Sha256Digest, content_type: &str) -> HashMap<String, String> {
    HashMap::from([
        (META_SHA256.to_owned(), sha256.to_hex()),
        (META_CONTENT_TYPE.to_owned(), utf8_percent_encode(content_type, META_ENCODE).to_string()),
    ])
}

/// The content type as a `Content-Type` header, when it is printable ASCII (S3 serves it to
/// presigned GETs); the exact text is in the user metadata either way.
fn header_content_type(content_type: &str) -> Option<&str> {
    (!content_type.is_empty() && content_type.bytes().all(|b| (b' '..=b'~').contains(&b))).then_some(content_type)
}

/// An object's info from its response headers: the metadata this adapter wrote, else what S3
/// knows (an object put through a presigned URL has no `sha256` metadata; S3 knows its SHA-256
/// only if the uploader sent `x-amz-checksum-sha256`).
fn object_info(
    key: &ObjectKey,
    size: u64,
    metadata: Option<&HashMap<String, String>>,
    checksum_sha256: Option<&str>,
    content_type: Option<&str>,
) -> Result<ObjectInfo, ObjectError> {
    let recorded = metadata.and_then(|m| m.get(META_SHA256)).and_then(|hex| {
        let bytes: [u8; 32] = hex::decode(hex).ok()?.try_into().ok()?;
        Some(Sha256Digest(bytes))
    });
    // A composite checksum (`<base64>-<parts>`) is not the object's SHA-256.
    let full_object = || checksum_sha256.filter(|c| !c.contains('-')).and_then(|c| Sha256Digest::from_base64(c).ok());
    let sha256 = recorded
        .or_else(full_object)
        .ok_or_else(|| ObjectError::Unavailable(anyhow!("the object {key} has no recorded SHA-256")))?;
    let content_type = metadata
        .and_then(|m| m.get(META_CONTENT_TYPE))
        .and_then(|ct| percent_decode_str(ct).decode_utf8().ok().map(|ct| ct.into_owned()))
        .or_else(|| content_type.map(str::to_owned))
        .unwrap_or_else(|| "application/octet-stream".to_owned());
    Ok(ObjectInfo { size, sha256, content_type })
}

/// Creates `bucket` in `region` (with Object Lock when `locked`), unless this account owns it
/// already: for emulators and tests, as the SAM template does on AWS.
///
/// # Errors
/// When S3 refuses.
pub(super) async fn create_bucket(
    client: &Client,
    bucket: &str,
    region: Option<&str>,
    locked: bool,
) -> anyhow::Result<()> {
    let mut request = client.create_bucket().bucket(bucket).object_lock_enabled_for_bucket(locked);
    // us-east-1 is the default location, which S3 wants unnamed.
    if let Some(region) = region.filter(|r| *r != "us-east-1") {
        request = request.create_bucket_configuration(
            CreateBucketConfiguration::builder().location_constraint(BucketLocationConstraint::from(region)).build(),
        );
    }
    match request.send().await {
        Ok(_) => Ok(()),
        Err(e) if e.as_service_error().is_some_and(|e| e.is_bucket_already_owned_by_you()) => Ok(()),
        Err(e) => Err(e).with_context(|| format!("creating the bucket {bucket}")),
    }
}

fn unavailable<E, R>(error: SdkError<E, R>, doing: String) -> ObjectError
where
    E: std::error::Error + Send + Sync + 'static,
    R: std::fmt::Debug + Send + Sync + 'static,
{
    let detail = DisplayErrorContext(&error).to_string();
    ObjectError::Unavailable(anyhow::Error::new(error).context(format!("{doing}: {detail}")))
}

/// `Content-Range: bytes <first>-<last>/<size>` as the range served and the object's size.
fn parse_content_range(header: &str) -> Option<(Range<u64>, u64)> {
    let (range, size) = header.strip_prefix("bytes ")?.split_once('/')?;
    let (first, last) = range.split_once('-')?;
    let (first, last): (u64, u64) = (first.trim().parse().ok()?, last.trim().parse().ok()?);
    Some((first..last.checked_add(1)?, size.trim().parse().ok()?))
}

#[async_trait]
impl ObjectStore for S3Objects {
    async fn put(
        &self,
        key: &ObjectKey,
        content_type: &str,
        body: ByteStream,
        check: PutCheck,
    ) -> Result<ObjectInfo, ObjectError> {
        let mut parts = Parts::new(body, self.part_size, check.size);
        let (first, last) = parts.next_part().await?;
        if last {
            let info = parts.finish(content_type, &check)?;
            self.put_single(key, content_type, &info, first).await?;
            return Ok(info);
        }
        self.put_multipart(key, content_type, &check, &mut parts, first).await
    }

    async fn get(&self, key: &ObjectKey, range: Option<Range<u64>>) -> Result<ObjectBody, ObjectError> {
        if range.as_ref().is_some_and(|r| r.start >= r.end) {
            // An empty range: NotFound still comes first, as for any other range.
            self.head(key).await?;
            return Err(ObjectError::InvalidRange);
        }
        let mut request =
            self.client.get_object().bucket(&self.bucket).key(key.as_str()).checksum_mode(ChecksumMode::Enabled);
        if let Some(r) = &range {
            request = request.range(format!("bytes={}-{}", r.start, r.end - 1));
        }
        let out = match request.send().await {
            Ok(out) => out,
            Err(e) => {
                let status = e.raw_response().map(|r| r.status().as_u16());
                return Err(match (status, e.code()) {
                    (_, Some("NoSuchKey")) | (Some(404), _) => ObjectError::NotFound,
                    (_, Some("InvalidRange")) | (Some(416), _) => ObjectError::InvalidRange,
                    _ => unavailable(e, format!("getting {key}")),
                });
            }
        };
        let (served, size) = match &range {
            None => {
                let size = out
                    .content_length()
                    .and_then(|l| u64::try_from(l).ok())
                    .ok_or_else(|| ObjectError::Unavailable(anyhow!("S3 answered {key} without a Content-Length")))?;
                (0..size, size)
            }
            Some(asked) => {
                let (served, size) = out.content_range().and_then(parse_content_range).ok_or_else(|| {
                    ObjectError::Unavailable(anyhow!("S3 answered a range of {key} without a valid Content-Range"))
                })?;
                // S3 serves what exists of a range running past the end; the port refuses it.
                if served != *asked {
                    return Err(ObjectError::InvalidRange);
                }
                (served, size)
            }
        };
        let info = object_info(key, size, out.metadata(), out.checksum_sha256(), out.content_type())?;
        let body = futures::stream::unfold(out.body, |mut body| async move {
            body.next().await.map(|chunk| (chunk.map_err(std::io::Error::from), body))
        });
        Ok(ObjectBody { info, range: served, body: Box::pin(body) })
    }

    /// An object PUT through a presigned URL carries neither our SHA-256 nor our content type:
    /// read it through (not through `get`, which needs them), check it, then copy it onto itself
    /// with both — the same copy a staged upload ends with.
    async fn seal(&self, key: &ObjectKey, content_type: &str, check: PutCheck) -> Result<ObjectInfo, ObjectError> {
        let out = match self.client.get_object().bucket(&self.bucket).key(key.as_str()).send().await {
            Ok(out) => out,
            Err(e) if e.code() == Some("NoSuchKey") || e.raw_response().is_some_and(|r| r.status().as_u16() == 404) => {
                return Err(ObjectError::NotFound);
            }
            Err(e) => return Err(unavailable(e, format!("reading {key} to seal it"))),
        };
        let body = futures::stream::unfold(out.body, |mut body| async move {
            body.next().await.map(|chunk| (chunk.map_err(std::io::Error::from), body))
        });
        let mut parts = Parts::new(Box::pin(body), self.part_size, check.size);
        while parts.chunk().await?.is_some() {}
        let info = parts.finish(content_type, &check)?;
        self.copy_into_place(key.as_str(), key, &info).await?;
        Ok(info)
    }

    async fn head(&self, key: &ObjectKey) -> Result<ObjectInfo, ObjectError> {
        let out = self
            .client
            .head_object()
            .bucket(&self.bucket)
            .key(key.as_str())
            .checksum_mode(ChecksumMode::Enabled)
            .send()
            .await
            .map_err(|e| {
                let not_found = e.as_service_error().is_some_and(|e| e.is_not_found())
                    || e.raw_response().is_some_and(|r| r.status().as_u16() == 404);
                if not_found { ObjectError::NotFound } else { unavailable(e, format!("reading {key}")) }
            })?;
        let size = out
            .content_length()
            .and_then(|l| u64::try_from(l).ok())
            .ok_or_else(|| ObjectError::Unavailable(anyhow!("S3 answered {key} without a Content-Length")))?;
        object_info(key, size, out.metadata(), out.checksum_sha256(), out.content_type())
    }

    /// Deletes every version of the key, and its delete markers: on a versioned bucket a plain
    /// delete only hides the object behind a marker and keeps its bytes as a noncurrent
    /// version, when a purged or refused binary must be gone. (On an unversioned bucket the
    /// one version is `null`.) A key with no version is not an error.
    async fn delete(&self, key: &ObjectKey) -> Result<(), ObjectError> {
        let (mut key_marker, mut version_marker) = (None, None);
        loop {
            let out = self
                .client
                .list_object_versions()
                .bucket(&self.bucket)
                .prefix(key.as_str())
                .set_key_marker(key_marker)
                .set_version_id_marker(version_marker)
                .send()
                .await
                .map_err(|e| unavailable(e, format!("listing the versions of {key}")))?;
            // The prefix also matches longer keys (a staged upload's `<key>.staging-…`).
            let versions = out.versions().iter().filter(|v| v.key() == Some(key.as_str())).map(|v| v.version_id());
            let markers = out.delete_markers().iter().filter(|m| m.key() == Some(key.as_str())).map(|m| m.version_id());
            for version in versions.chain(markers) {
                self.client
                    .delete_object()
                    .bucket(&self.bucket)
                    .key(key.as_str())
                    .set_version_id(version.map(str::to_owned))
                    .send()
                    .await
                    .map_err(|e| unavailable(e, format!("deleting a version of {key}")))?;
            }
            if out.is_truncated() != Some(true) {
                return Ok(());
            }
            key_marker = out.next_key_marker().map(str::to_owned);
            version_marker = out.next_version_id_marker().map(str::to_owned);
        }
    }

    /// A SigV4 presigned URL. Its validity is capped at 7 days (SigV4's longest), and ends
    /// earlier when the credentials that signed it expire (a Lambda role's session). A PUT is
    /// signed with `If-None-Match: *`: S3 then refuses it (412) once the object exists; and with
    /// its `Content-Length`: a body of another length fails the signature (403).
    async fn presign(
        &self,
        key: &ObjectKey,
        method: PresignMethod,
        expires_in: Duration,
    ) -> Result<String, ObjectError> {
        let doing = || format!("presigning {method:?} {key}");
        let presigned = match method {
            PresignMethod::Get => self
                .client
                .get_object()
                .bucket(&self.bucket)
                .key(key.as_str())
                .presigned(presigning(expires_in)?)
                .await
                .map_err(|e| unavailable(e, doing()))?,
            PresignMethod::Put { size } => self
                .client
                .put_object()
                .bucket(&self.bucket)
                .key(key.as_str())
                .if_none_match(PRESIGNED_PUT_HEADER.1)
                // Set explicitly, the header is signed (presigning omits only the default one).
                .content_length(
                    i64::try_from(size).map_err(|_| ObjectError::Unavailable(anyhow!("{size} bytes is no length")))?,
                )
                .presigned(presigning(expires_in)?)
                .await
                .map_err(|e| unavailable(e, doing()))?,
        };
        Ok(presigned.uri().to_owned())
    }

    async fn presign_download(
        &self,
        key: &ObjectKey,
        content_disposition: &str,
        expires_in: Duration,
    ) -> Result<String, ObjectError> {
        let presigned = self
            .client
            .get_object()
            .bucket(&self.bucket)
            .key(key.as_str())
            .response_content_disposition(content_disposition)
            .presigned(presigning(expires_in)?)
            .await
            .map_err(|e| unavailable(e, format!("presigning a download of {key}")))?;
        Ok(presigned.uri().to_owned())
    }
}

/// Presigning for `expires_in`, within what SigV4 allows.
fn presigning(expires_in: Duration) -> Result<PresigningConfig, ObjectError> {
    PresigningConfig::expires_in(expires_in.clamp(Duration::from_secs(1), MAX_PRESIGN))
        .map_err(|e| ObjectError::Unavailable(anyhow::Error::new(e).context("presigning")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn part_ranges_cover_the_object() {
        assert_eq!(part_ranges(0, 5).count(), 0);
        assert_eq!(part_ranges(10, 5).collect::<Vec<_>>(), vec![0..5, 5..10]);
        assert_eq!(part_ranges(11, 5).collect::<Vec<_>>(), vec![0..5, 5..10, 10..11]);
        assert_eq!(part_ranges(3, 5).collect::<Vec<_>>(), vec![0..3]);
    }

    #[test]
    fn content_ranges_are_parsed() {
        assert_eq!(parse_content_range("bytes 10-19/300000"), Some((10..20, 300_000)));
        assert_eq!(parse_content_range("bytes 0-0/1"), Some((0..1, 1)));
        assert_eq!(parse_content_range("bytes */300"), None);
        assert_eq!(parse_content_range("items 1-2/3"), None);
    }

    #[test]
    fn content_types_survive_the_metadata_encoding() {
        for ct in ["application/pdf", "", " text/plain; charset=utf-8 ", "image/é%20x"] {
            let m = metadata(&Sha256Digest([7; 32]), ct);
            let key = ObjectKey::new(["k"]).unwrap();
            let info = object_info(&key, 3, Some(&m), None, Some("binary/octet-stream")).unwrap();
            assert_eq!(info.content_type, ct);
            assert_eq!(info.sha256, Sha256Digest([7; 32]));
            assert!(m.values().all(|v| http::HeaderValue::from_str(v).is_ok()), "{m:?}");
        }
        assert_eq!(header_content_type("image/é"), None);
        assert_eq!(header_content_type(""), None);
        assert_eq!(header_content_type("application/pdf"), Some("application/pdf"));
    }

    #[test]
    fn without_metadata_only_a_full_object_checksum_gives_the_digest() {
        let key = ObjectKey::new(["k"]).unwrap();
        let full = Sha256Digest([1; 32]).to_base64();
        let info = object_info(&key, 1, None, Some(&full), Some("text/plain")).unwrap();
        assert_eq!((info.sha256, info.content_type.as_str()), (Sha256Digest([1; 32]), "text/plain"));
        assert!(object_info(&key, 1, None, Some(&format!("{full}-3")), None).is_err());
        assert!(object_info(&key, 1, None, None, None).is_err());
    }
}
