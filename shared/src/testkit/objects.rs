//! The `ObjectStore` conformance suite.

use std::{sync::Arc, time::Duration};

use bytes::Bytes;
use futures::{StreamExt, stream};
use sha2::{Digest, Sha256};

use crate::{
    domain::Sha256Digest,
    ports::{ByteStream, ObjectError, ObjectKey, ObjectStore, PresignMethod, PutCheck},
};

pub fn body_of(chunks: Vec<Vec<u8>>) -> ByteStream {
    Box::pin(stream::iter(chunks.into_iter().map(|c| Ok(Bytes::from(c)))))
}

fn digest(bytes: &[u8]) -> Sha256Digest {
    Sha256Digest(Sha256::digest(bytes).into())
}

pub async fn read_all(store: &dyn ObjectStore, key: &ObjectKey, range: Option<std::ops::Range<u64>>) -> Vec<u8> {
    let mut body = store.get(key, range).await.unwrap().body;
    let mut out = Vec::new();
    while let Some(chunk) = body.next().await {
        out.extend_from_slice(&chunk.unwrap());
    }
    out
}

pub async fn conformance(store: Arc<dyn ObjectStore>) {
    let s = store.as_ref();
    let run = uuid::Uuid::new_v4().simple().to_string();
    let key = ObjectKey::new(["conformance", &run, "a"]).unwrap();
    let data: Vec<u8> = (0..300_000u32).map(|i| (i % 251) as u8).collect();
    let chunks: Vec<Vec<u8>> = data.chunks(7_001).map(<[u8]>::to_vec).collect();

    assert!(matches!(s.head(&key).await, Err(ObjectError::NotFound)), "a missing object is NotFound");
    assert!(matches!(s.get(&key, None).await, Err(ObjectError::NotFound)));

    let info = s
        .put(
            &key,
            "application/pdf",
            body_of(chunks.clone()),
            PutCheck { size: Some(data.len() as u64), sha256: Some(digest(&data)) },
        )
        .await
        .unwrap();
    assert_eq!(info.size, data.len() as u64, "put reports the size");
    assert_eq!(info.sha256, digest(&data), "put reports the SHA-256");
    assert_eq!(s.head(&key).await.unwrap(), info, "head reports what put stored");
    assert_eq!(s.head(&key).await.unwrap().content_type, "application/pdf");
    assert_eq!(read_all(s, &key, None).await, data, "get returns the bytes");
    assert_eq!(read_all(s, &key, Some(10..20)).await, data[10..20], "get serves a range");
    let tail = s.get(&key, Some(299_990..300_000)).await.unwrap();
    assert_eq!(tail.range, 299_990..300_000);
    assert!(matches!(s.get(&key, Some(10..400_000)).await, Err(ObjectError::InvalidRange)));

    // Failed checks store nothing and leave the previous object alone.
    let other = b"other bytes".to_vec();
    let r = s.put(&key, "text/plain", body_of(vec![other.clone()]), PutCheck { size: Some(5), sha256: None }).await;
    assert!(
        matches!(r, Err(ObjectError::SizeMismatch { expected: 5, .. })),
        "a longer body fails the size check, got {r:?}"
    );
    let r = s.put(&key, "text/plain", body_of(vec![other.clone()]), PutCheck { size: Some(50), sha256: None }).await;
    assert!(
        matches!(r, Err(ObjectError::SizeMismatch { expected: 50, actual: 11 })),
        "a shorter body fails the size check"
    );
    let r = s
        .put(&key, "text/plain", body_of(vec![other.clone()]), PutCheck { size: None, sha256: Some(digest(b"x")) })
        .await;
    assert!(matches!(r, Err(ObjectError::DigestMismatch { .. })), "a wrong digest fails");
    let failing: ByteStream =
        Box::pin(stream::iter(vec![Ok(Bytes::from_static(b"abc")), Err(std::io::Error::other("client gone"))]));
    assert!(matches!(s.put(&key, "text/plain", failing, PutCheck::default()).await, Err(ObjectError::Body(_))));
    assert_eq!(read_all(s, &key, None).await, data, "failed puts leave the previous object as it was");
    let fresh = ObjectKey::new(["conformance", &run, "never"]).unwrap();
    let _ = s.put(&fresh, "text/plain", body_of(vec![other.clone()]), PutCheck { size: Some(1), sha256: None }).await;
    assert!(matches!(s.head(&fresh).await, Err(ObjectError::NotFound)), "a failed put creates nothing");

    // Empty objects and overwrites.
    let empty = ObjectKey::new(["conformance", &run, "empty"]).unwrap();
    let e = s
        .put(&empty, "application/octet-stream", body_of(vec![]), PutCheck { size: Some(0), sha256: None })
        .await
        .unwrap();
    assert_eq!(e.sha256, digest(b""));
    s.put(&key, "text/plain", body_of(vec![other.clone()]), PutCheck::default()).await.unwrap();
    assert_eq!(read_all(s, &key, None).await, other, "a put replaces the object");

    // Sealing checks an object the store did not see written and records its digest and type;
    // a failed seal leaves it as it was.
    let sealed = ObjectKey::new(["conformance", &run, "sealed"]).unwrap();
    s.put(&sealed, "application/octet-stream", body_of(vec![b"hello".to_vec()]), PutCheck::default()).await.unwrap();
    let short = s.seal(&sealed, "text/plain", PutCheck { size: Some(4), sha256: None }).await;
    assert!(matches!(short, Err(ObjectError::SizeMismatch { expected: 4, .. })), "a seal checks the size");
    let forged = s.seal(&sealed, "text/plain", PutCheck { size: Some(5), sha256: Some(digest(b"other")) }).await;
    assert!(matches!(forged, Err(ObjectError::DigestMismatch { .. })), "a seal checks the digest");
    assert_eq!(s.head(&sealed).await.unwrap().content_type, "application/octet-stream", "failed seals change nothing");
    let info = s.seal(&sealed, "text/plain", PutCheck { size: Some(5), sha256: Some(digest(b"hello")) }).await.unwrap();
    assert_eq!((info.size, info.sha256, info.content_type.as_str()), (5, digest(b"hello"), "text/plain"));
    assert_eq!(s.head(&sealed).await.unwrap(), info, "the seal is recorded");
    assert_eq!(read_all(s, &sealed, None).await, b"hello");
    let missing = ObjectKey::new(["conformance", &run, "missing"]).unwrap();
    assert!(matches!(s.seal(&missing, "text/plain", PutCheck::default()).await, Err(ObjectError::NotFound)));
    s.delete(&sealed).await.unwrap();

    // Presigned URLs name the object and differ per method.
    let get = s.presign(&key, PresignMethod::Get, Duration::from_secs(300)).await.unwrap();
    let put = s.presign(&key, PresignMethod::Put { size: 5 }, Duration::from_secs(300)).await.unwrap();
    assert!(get.starts_with("http") && get.contains(&run), "a presigned URL names the object: {get}");
    assert_ne!(get, put);
    let longer = s.presign(&key, PresignMethod::Put { size: 6 }, Duration::from_secs(300)).await.unwrap();
    assert_ne!(longer, put, "an upload URL grants its size only");
    let download = s.presign_download(&key, "attachment; filename=\"a.txt\"", Duration::from_secs(300)).await.unwrap();
    assert!(
        download.contains(&run) && download.contains("a.txt"),
        "a download URL carries its disposition: {download}"
    );
    assert_ne!(download, get);

    // Delete is idempotent.
    s.delete(&key).await.unwrap();
    assert!(matches!(s.head(&key).await, Err(ObjectError::NotFound)));
    s.delete(&key).await.unwrap();
    s.delete(&empty).await.unwrap();

    assert!(ObjectKey::new(["..", "x"]).is_err(), "keys cannot climb out");
    assert!(ObjectKey::new(["a b"]).is_err());
    assert!(ObjectKey::parse("folders/x/y").is_ok());
}
