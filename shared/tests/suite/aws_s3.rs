//! `S3Objects` against a moto server (`scripts/test` starts one): the `ObjectStore` conformance
//! suite, then what it does not reach — multipart uploads (announced digest, staged and copied
//! when the digest is unknown, copied in parts), failed checks on multipart bodies, presigned URLs
//! used by a plain HTTP client, ranges across parts.

#![allow(clippy::unwrap_used, clippy::expect_used)] // Test code: a failed step is a failed check.

use std::{sync::Arc, time::Duration};

use bytes::Bytes;
use futures::{StreamExt, stream};
use hubee_shared::{
    adapters::aws::S3Objects,
    domain::Sha256Digest,
    ports::{ByteStream, ObjectError, ObjectKey, ObjectStore, PRESIGNED_PUT_HEADER, PresignMethod, PutCheck},
    testkit::{self, aws::unique_name},
};
use sha2::{Digest, Sha256};

const MIB: usize = 1 << 20;

/// A fresh bucket on the emulator; `None` without an emulator (the test is skipped).
async fn fresh_store() -> Option<S3Objects> {
    let config = testkit::aws::sdk_config().await?;
    let store = S3Objects::from_sdk_config(&config, unique_name("hubee"));
    store.create_bucket().await.unwrap();
    store.create_bucket().await.expect("creating a bucket one already owns is fine");
    Some(store)
}

/// Incompressible bytes, the same for a given seed.
fn data(len: usize, seed: u64) -> Bytes {
    let mut state = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    let mut out = Vec::with_capacity(len + 8);
    while out.len() < len {
        // xorshift64
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        out.extend_from_slice(&state.to_le_bytes());
    }
    out.truncate(len);
    Bytes::from(out)
}

/// The bytes as a stream of `chunk`-byte pieces.
fn body(bytes: &Bytes, chunk: usize) -> ByteStream {
    let pieces: Vec<_> =
        (0..bytes.len()).step_by(chunk).map(|i| Ok(bytes.slice(i..(i + chunk).min(bytes.len())))).collect();
    Box::pin(stream::iter(pieces))
}

fn digest(bytes: &[u8]) -> Sha256Digest {
    Sha256Digest(Sha256::digest(bytes).into())
}

async fn read_all(store: &dyn ObjectStore, key: &ObjectKey, range: Option<std::ops::Range<u64>>) -> Vec<u8> {
    let mut body = store.get(key, range).await.unwrap().body;
    let mut out = Vec::new();
    while let Some(chunk) = body.next().await {
        out.extend_from_slice(&chunk.unwrap());
    }
    out
}

/// Multipart uploads still open in the bucket.
async fn open_uploads(store: &S3Objects) -> Vec<String> {
    let out = store.client().list_multipart_uploads().bucket(store.bucket()).send().await.unwrap();
    out.uploads().iter().map(|u| format!("{:?} {:?}", u.key(), u.upload_id())).collect()
}

/// Every key in the bucket.
async fn keys(store: &S3Objects) -> Vec<String> {
    let out = store.client().list_objects_v2().bucket(store.bucket()).send().await.unwrap();
    let mut keys: Vec<String> = out.contents().iter().filter_map(|o| o.key().map(str::to_owned)).collect();
    keys.sort();
    keys
}

async fn etag(store: &S3Objects, key: &ObjectKey) -> String {
    let out = store.client().head_object().bucket(store.bucket()).key(key.as_str()).send().await.unwrap();
    out.e_tag().unwrap().trim_matches('"').to_owned()
}

#[tokio::test]
async fn the_s3_store_passes_the_object_store_conformance_suite() {
    let Some(store) = fresh_store().await else { return };
    let store = Arc::new(store);
    testkit::objects::conformance(store.clone()).await;
    assert_eq!(open_uploads(&store).await, Vec::<String>::new(), "no upload left open");
    assert_eq!(keys(&store).await, Vec::<String>::new(), "the suite deletes what it writes; nothing else is left");
}

#[tokio::test]
async fn large_bodies_go_multipart_and_read_back_whole() {
    let Some(store) = fresh_store().await else { return };
    let bytes = data(20 * MIB + 12_345, 1);
    let sha256 = digest(&bytes);

    // Announced digest: uploaded in place, in 8 MiB parts, 64 KiB chunks at a time.
    let announced = ObjectKey::new(["big", "announced"]).unwrap();
    let check = PutCheck { size: Some(bytes.len() as u64), sha256: Some(sha256) };
    let info = store.put(&announced, "application/pdf", body(&bytes, 64 * 1024), check).await.unwrap();
    assert_eq!((info.size, info.sha256), (bytes.len() as u64, sha256));
    assert!(etag(&store, &announced).await.ends_with("-3"), "three parts of 8 MiB");
    assert_eq!(store.head(&announced).await.unwrap(), info);
    let back = read_all(&store, &announced, None).await;
    assert_eq!((back.len(), digest(&back)), (bytes.len(), sha256));

    // Unknown digest, one huge chunk: staged, then copied into place with its metadata.
    let staged = ObjectKey::new(["big", "staged"]).unwrap();
    let one_chunk: ByteStream = Box::pin(stream::iter([Ok(bytes.clone())]));
    let info = store.put(&staged, "application/zip", one_chunk, PutCheck::default()).await.unwrap();
    assert_eq!((info.size, info.sha256, info.content_type.as_str()), (bytes.len() as u64, sha256, "application/zip"));
    assert_eq!(store.head(&staged).await.unwrap(), info);
    assert_eq!(digest(&read_all(&store, &staged, None).await), sha256);

    // Copied in parts of 5 MiB (as objects above 5 GiB are).
    let by_parts = store.clone().with_copy_part_size(5 * MIB as u64);
    let copied = ObjectKey::new(["big", "copied"]).unwrap();
    let info = by_parts.put(&copied, "text/csv", body(&bytes, 1_000_003), PutCheck::default()).await.unwrap();
    assert_eq!(info.sha256, sha256);
    assert!(etag(&store, &copied).await.ends_with("-5"), "copied in five parts");
    assert_eq!(by_parts.head(&copied).await.unwrap(), info);
    assert_eq!(digest(&read_all(&store, &copied, None).await), sha256);

    // A body of exactly one part is one PutObject; one byte more is two parts.
    let exact = ObjectKey::new(["big", "exact"]).unwrap();
    let eight = bytes.slice(..8 * MIB);
    store.put(&exact, "x/y", body(&eight, 100_000), PutCheck::default()).await.unwrap();
    assert!(!etag(&store, &exact).await.contains('-'), "a single PutObject");
    let more = bytes.slice(..8 * MIB + 1);
    let info = store.put(&exact, "x/y", body(&more, 100_000), PutCheck::default()).await.unwrap();
    assert_eq!(info.sha256, digest(&more));
    assert_eq!(read_all(&store, &exact, None).await, more);

    assert_eq!(open_uploads(&store).await, Vec::<String>::new());
    assert_eq!(
        keys(&store).await,
        ["big/announced", "big/copied", "big/exact", "big/staged"],
        "no staging object left"
    );
}

#[tokio::test]
async fn failed_checks_on_multipart_bodies_store_nothing() {
    let Some(store) = fresh_store().await else { return };
    let key = ObjectKey::new(["folders", "f", "a"]).unwrap();
    let previous = Bytes::from_static(b"the previous object");
    store.put(&key, "text/plain", body(&previous, 5), PutCheck::default()).await.unwrap();
    let bytes = data(20 * MIB, 2);
    let len = bytes.len() as u64;

    // Longer than announced: stops as soon as the extra bytes arrive.
    let check = PutCheck { size: Some(12 * MIB as u64), sha256: None };
    let r = store.put(&key, "application/pdf", body(&bytes, 64 * 1024), check).await;
    match r {
        Err(ObjectError::SizeMismatch { expected, actual }) => {
            assert_eq!(expected, 12 * MIB as u64);
            assert!(actual > expected && actual <= expected + 64 * 1024, "stopped at {actual}");
        }
        other => panic!("expected a size mismatch, got {other:?}"),
    }
    // Shorter than announced, with or without an announced digest.
    for sha256 in [None, Some(digest(&bytes))] {
        let check = PutCheck { size: Some(len + 1), sha256 };
        let r = store.put(&key, "application/pdf", body(&bytes, 64 * 1024), check).await;
        assert!(
            matches!(r, Err(ObjectError::SizeMismatch { expected, actual }) if expected == len + 1 && actual == len)
        );
    }
    // A wrong digest.
    let check = PutCheck { size: Some(len), sha256: Some(digest(b"something else")) };
    let r = store.put(&key, "application/pdf", body(&bytes, 64 * 1024), check).await;
    assert!(matches!(r, Err(ObjectError::DigestMismatch { actual, .. }) if actual == digest(&bytes)), "{r:?}");
    // A body failing after two parts.
    let failing: ByteStream = Box::pin(
        stream::iter([Ok(bytes.slice(..17 * MIB))]).chain(stream::iter([Err(std::io::Error::other("client gone"))])),
    );
    let r = store.put(&key, "application/pdf", failing, PutCheck::default()).await;
    assert!(matches!(r, Err(ObjectError::Body(_))), "{r:?}");

    assert_eq!(read_all(&store, &key, None).await, previous, "the previous object is untouched");
    assert_eq!(store.head(&key).await.unwrap().content_type, "text/plain");
    assert_eq!(open_uploads(&store).await, Vec::<String>::new(), "every multipart upload was aborted");
    assert_eq!(keys(&store).await, ["folders/f/a"], "nothing staged is left");
}

#[tokio::test]
async fn presigned_urls_work_with_a_plain_http_client() {
    let Some(store) = fresh_store().await else { return };
    let http = reqwest::Client::new();
    let key = ObjectKey::new(["presigned", "a"]).unwrap();
    let bytes = data(300_000, 3);
    store.put(&key, "application/pdf", body(&bytes, 7_001), PutCheck::default()).await.unwrap();

    let get = store.presign(&key, PresignMethod::Get, Duration::from_secs(300)).await.unwrap();
    let response = http.get(&get).send().await.unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["content-type"], "application/pdf");
    assert_eq!(response.bytes().await.unwrap(), bytes);

    // A presigned PUT only creates: it carries the conditional header its signature covers, and
    // S3 refuses it onto an object that exists.
    let uploaded = data(100_000, 4);
    let size = uploaded.len() as u64;
    let put = store.presign(&key, PresignMethod::Put { size }, Duration::from_secs(300)).await.unwrap();
    let signed = put.split('&').find_map(|p| p.strip_prefix("X-Amz-SignedHeaders=")).unwrap_or_default();
    assert!(signed.contains("if-none-match"), "the signature covers the header: {put}");
    // And the length: on S3 a body of another size fails the signature (moto checks none).
    assert!(signed.contains("content-length"), "the signature covers the length: {put}");
    let (name, value) = PRESIGNED_PUT_HEADER;
    let response = http.put(&put).header(name, value).body(uploaded.clone()).send().await.unwrap();
    assert_eq!(response.status(), 412, "{:?}", response.text().await);
    let response = http.get(&get).send().await.unwrap();
    assert_eq!(response.bytes().await.unwrap(), bytes, "the object is left as it was");

    // A download URL makes S3 answer with the file's Content-Disposition.
    let disposition = "attachment; filename=\"Acte de d_c_s.pdf\"; filename*=UTF-8''Acte%20de%20d%C3%A9c%C3%A8s.pdf";
    let download = store.presign_download(&key, disposition, Duration::from_secs(300)).await.unwrap();
    let response = http.get(&download).send().await.unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["content-disposition"], disposition);
    assert_eq!(response.bytes().await.unwrap(), bytes);

    // On S3 a GET URL does not grant a PUT (the method is signed); moto does not check presigned
    // signatures at all, so only the URLs themselves are checked here.
    assert!(get.contains("X-Amz-Signature=") && put.contains("X-Amz-Signature="));
    assert_ne!(get.split_once("X-Amz-Signature=").unwrap().1, put.split_once("X-Amz-Signature=").unwrap().1);
    // Validity beyond SigV4's 7 days is capped, not refused.
    let long = store.presign(&key, PresignMethod::Get, Duration::from_secs(30 * 24 * 3600)).await.unwrap();
    assert!(long.contains("X-Amz-Expires=604800"), "{long}");

    // An object PUT by a client has neither our SHA-256 nor our content type: sealing checks it
    // and records them, after which it reads like any other.
    let fresh = ObjectKey::new(["presigned", "fresh"]).unwrap();
    let put = store.presign(&fresh, PresignMethod::Put { size }, Duration::from_secs(300)).await.unwrap();
    assert!(http.put(&put).header(name, value).body(uploaded.clone()).send().await.unwrap().status().is_success());
    let wrong = PutCheck { size: Some(uploaded.len() as u64), sha256: Some(digest(b"other")) };
    assert!(matches!(store.seal(&fresh, "application/pdf", wrong).await, Err(ObjectError::DigestMismatch { .. })));
    let check = PutCheck { size: Some(uploaded.len() as u64), sha256: Some(digest(&uploaded)) };
    let sealed = store.seal(&fresh, "application/pdf", check).await.unwrap();
    assert_eq!(store.head(&fresh).await.unwrap(), sealed, "the seal is recorded with the object");
    let read = store.get(&fresh, None).await.unwrap();
    assert_eq!((read.info.sha256, read.info.content_type.as_str()), (digest(&uploaded), "application/pdf"));
    // The URL, still valid, cannot replace the sealed object.
    let response = http.put(&put).header(name, value).body(data(100_000, 5)).send().await.unwrap();
    assert_eq!(response.status(), 412);
    assert_eq!(store.head(&fresh).await.unwrap(), sealed, "the sealed object is left as it was");
}

/// Every version and delete marker of a key (the bucket is versioned, as on AWS).
async fn versions(store: &S3Objects, key: &ObjectKey) -> usize {
    let out = store.client().list_object_versions().bucket(store.bucket()).prefix(key.as_str()).send().await.unwrap();
    let versions = out.versions().iter().filter(|v| v.key() == Some(key.as_str())).count();
    versions + out.delete_markers().iter().filter(|m| m.key() == Some(key.as_str())).count()
}

/// A purged or refused binary is gone, not kept as a noncurrent version behind a delete marker
/// (what a plain delete leaves on a versioned bucket); other keys sharing its prefix stay.
#[tokio::test]
async fn a_delete_removes_every_version_of_the_key_and_nothing_else() {
    let Some(store) = fresh_store().await else { return };
    let key = ObjectKey::new(["folders", "f", "a", "u"]).unwrap();
    let bytes = data(1_000, 6);
    store.put(&key, "application/pdf", body(&bytes, 100), PutCheck::default()).await.unwrap();
    store.put(&key, "application/pdf", body(&data(2_000, 7), 100), PutCheck::default()).await.unwrap();
    let check = PutCheck { size: Some(2_000), sha256: None };
    store.seal(&key, "application/pdf", check).await.unwrap();
    let neighbour = ObjectKey::parse("folders/f/a/u2").unwrap();
    store.put(&neighbour, "text/plain", body(&bytes, 100), PutCheck::default()).await.unwrap();
    // (moto answers GetBucketVersioning with a root element the SDK refuses: the versions show it.)
    assert!(versions(&store, &key).await >= 3, "the bucket is versioned, as on AWS: each write kept a version");

    store.delete(&key).await.unwrap();
    assert_eq!(versions(&store, &key).await, 0, "no version nor delete marker left");
    assert!(matches!(store.head(&key).await, Err(ObjectError::NotFound)));
    assert_eq!(read_all(&store, &neighbour, None).await, bytes, "a longer key of the same prefix stays");
    store.delete(&key).await.unwrap();
}

#[tokio::test]
async fn ranges_are_served_across_parts_and_checked_against_the_size() {
    let Some(store) = fresh_store().await else { return };
    let key = ObjectKey::new(["ranges", "a"]).unwrap();
    let bytes = data(17 * MIB + 5, 5);
    let n = bytes.len() as u64;
    let check = PutCheck { size: Some(n), sha256: Some(digest(&bytes)) };
    store.put(&key, "application/pdf", body(&bytes, 256 * 1024), check).await.unwrap();

    let boundary = 8 * MIB as u64;
    for range in [0..1, boundary - 10..boundary + 10, 2 * boundary - 1..n, n - 1..n, 0..n] {
        let object = store.get(&key, Some(range.clone())).await.unwrap();
        assert_eq!(object.range, range);
        assert_eq!(object.info.size, n, "the info is the whole object's");
        assert_eq!(object.info.sha256, digest(&bytes));
        let (start, end) = (usize::try_from(range.start).unwrap(), usize::try_from(range.end).unwrap());
        assert_eq!(read_all(&store, &key, Some(range)).await, bytes[start..end]);
    }
    assert_eq!(store.get(&key, None).await.unwrap().range, 0..n);
    #[allow(clippy::reversed_empty_ranges)] // A range ending before it starts is refused too.
    let refused = [10..n + 1, n..n + 1, n + 5..n + 10, 5..5, 7..3];
    for range in refused {
        assert!(matches!(store.get(&key, Some(range.clone())).await, Err(ObjectError::InvalidRange)), "{range:?}");
    }
    let missing = ObjectKey::new(["ranges", "missing"]).unwrap();
    assert!(matches!(store.get(&missing, Some(0..1)).await, Err(ObjectError::NotFound)));
    assert!(matches!(store.get(&missing, Some(1..1)).await, Err(ObjectError::NotFound)));

    let empty = ObjectKey::new(["ranges", "empty"]).unwrap();
    store.put(&empty, "text/plain", body(&Bytes::new(), 1), PutCheck { size: Some(0), sha256: None }).await.unwrap();
    assert!(read_all(&store, &empty, None).await.is_empty());
    assert!(matches!(store.get(&empty, Some(0..1)).await, Err(ObjectError::InvalidRange)));
}

#[tokio::test]
async fn content_types_come_back_as_given() {
    let Some(store) = fresh_store().await else { return };
    let key = ObjectKey::new(["types", "a"]).unwrap();
    for ct in [
        "application/pdf",
        "",
        "text/plain; charset=\"utf-8\"",
        "application/vnd.oasis.opendocument.text",
        "x/é",
        " text/plain ; a=b ",
        "\tx\r\n",
    ] {
        store.put(&key, ct, body(&Bytes::from_static(b"x"), 1), PutCheck::default()).await.unwrap();
        assert_eq!(store.head(&key).await.unwrap().content_type, ct);
        assert_eq!(store.get(&key, None).await.unwrap().info.content_type, ct);
    }
}
