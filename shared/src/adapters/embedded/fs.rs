//! `FsObjects`: the `ObjectStore` port on a directory. Each object is one file: a fixed-size
//! header holding its metadata (size, SHA-256, content type), then the bytes. A put streams into
//! a temporary file, is fsynced, then renamed into place, so a reader sees the old object or the
//! new one, never a part (a create-only put, [`FsObjects::put_new`], hard-links it instead);
//! presigned URLs are HMAC-signed paths that `functions/local` serves.
//!
//! A key's file is `<root>/<first segment>/<the other segments joined by '.'>`
//! (`folders/<folder>.<attachment>.<upload>`): one directory per first segment, made once. A
//! directory per segment, as before, cost a folder's deposit three `mkdir`s (its folder's, one
//! per attachment), each a new inode and block to find and to make durable: a twentieth of the
//! hub's CPU under load (docs/PERFORMANCE.md), and empty directories left behind by deletions.
//! Objects stored in that former layout are still read and deleted where they are.

use std::{
    io::SeekFrom,
    ops::Range,
    path::{Path, PathBuf},
    sync::Arc,
    time::Duration,
};

use anyhow::Context;
use async_trait::async_trait;
use futures::StreamExt;
use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use tokio::{
    fs::File,
    io::{AsyncReadExt, AsyncWriteExt, BufWriter},
};
use tokio_util::io::ReaderStream;

use crate::{
    domain::Sha256Digest,
    ports::{ByteStream, Clock, ObjectBody, ObjectError, ObjectInfo, ObjectKey, ObjectStore, PresignMethod, PutCheck},
};

const MAGIC: &[u8] = b"HUBEEOBJ1\n";
const HEADER_LEN: u64 = 1024;
const WRITE_BUFFER: usize = 1 << 20;
const READ_CHUNK: usize = 64 * 1024;

/// How a written object takes its key.
#[derive(Clone, Copy)]
enum Placement {
    Replace,
    CreateOnly,
}

#[derive(Serialize, Deserialize)]
struct Header {
    size: u64,
    sha256: Sha256Digest,
    content_type: String,
}

pub struct FsObjects {
    root: PathBuf,
    tmp: PathBuf,
    /// Where presigned paths are served (`<base>/objects/<key>?…`).
    base_url: String,
    signing_key: Vec<u8>,
    clock: Arc<dyn Clock>,
}

impl FsObjects {
    /// # Errors
    /// When the directories cannot be created.
    pub fn open(root: &Path, base_url: &str, signing_key: Vec<u8>, clock: Arc<dyn Clock>) -> anyhow::Result<Self> {
        let tmp = root.join(".tmp");
        std::fs::create_dir_all(&tmp).with_context(|| format!("creating {}", tmp.display()))?;
        // Leftovers of puts interrupted by a crash.
        for entry in std::fs::read_dir(&tmp)?.flatten() {
            let _ = std::fs::remove_file(entry.path());
        }
        Ok(Self { root: root.to_owned(), tmp, base_url: base_url.trim_end_matches('/').to_owned(), signing_key, clock })
    }

    /// Where a key's object is written. Key segments are restricted to `[A-Za-z0-9_-]`: they
    /// cannot climb out of the root, and joined by `.` they name one file per key.
    fn path(&self, key: &ObjectKey) -> PathBuf {
        match key.as_str().split_once('/') {
            Some((first, rest)) => self.root.join(first).join(rest.replace('/', ".")),
            None => self.root.join(key.as_str()),
        }
    }

    /// Where the former layout (a directory per segment) kept a key's object, when that differs
    /// from [`Self::path`]: keys of three segments or more.
    fn nested_path(&self, key: &ObjectKey) -> Option<PathBuf> {
        (key.as_str().matches('/').count() > 1).then(|| self.root.join(key.as_str()))
    }

    /// The paths a key's object may be at, the current layout's first.
    fn paths(&self, key: &ObjectKey) -> impl Iterator<Item = PathBuf> {
        std::iter::once(self.path(key)).chain(self.nested_path(key))
    }

    /// The keys of the objects stored in the store at `root` under `prefix` (a string prefix of
    /// the key, as S3 lists), in either layout; it reads whole directories (for tests).
    ///
    /// # Errors
    /// When a directory cannot be read.
    pub fn keys_in(root: &Path, prefix: &str) -> std::io::Result<Vec<ObjectKey>> {
        let mut keys = Vec::new();
        collect_keys(root, &mut Vec::new(), &mut keys)?;
        keys.retain(|k| k.as_str().starts_with(prefix));
        Ok(keys)
    }

    fn signature(&self, key: &str, method: PresignMethod, expires: i64, disposition: Option<&str>) -> Hmac<Sha256> {
        #[allow(clippy::expect_used)]
        let mut mac = Hmac::<Sha256>::new_from_slice(&self.signing_key).expect("HMAC takes keys of any size");
        // `{:?}` tells no disposition (`None`) from an empty one (`Some("")`).
        mac.update(format!("{method:?}\n{key}\n{expires}\n{disposition:?}").as_bytes());
        mac
    }

    fn signed_url(
        &self,
        key: &ObjectKey,
        method: PresignMethod,
        expires_in: Duration,
        disposition: Option<&str>,
    ) -> String {
        let secs = i64::try_from(expires_in.as_secs()).unwrap_or(i64::MAX / 2);
        let expires = self.clock.now().timestamp().saturating_add(secs);
        let sig = hex::encode(self.signature(key.as_str(), method, expires, disposition).finalize().into_bytes());
        let m = match method {
            PresignMethod::Get => "GET".to_owned(),
            PresignMethod::Put { size } => format!("PUT&size={size}"),
        };
        let disposition = disposition
            .map(|d| format!("&disposition={}", form_urlencoded::byte_serialize(d.as_bytes()).collect::<String>()))
            .unwrap_or_default();
        format!("{}/objects/{}?method={m}&expires={expires}{disposition}&signature={sig}", self.base_url, key.as_str())
    }

    /// Whether a presigned request (`/objects/<key>?method=…[&size=…]&expires=…[&disposition=…]&signature=…`)
    /// is genuine and still valid for `method` (for an upload, of that size; for a download,
    /// with that `Content-Disposition`): the signature covers the method with its size.
    pub fn verify_presigned(
        &self,
        key: &ObjectKey,
        method: PresignMethod,
        expires: i64,
        disposition: Option<&str>,
        signature_hex: &str,
    ) -> bool {
        let Ok(sig) = hex::decode(signature_hex) else {
            return false;
        };
        expires > self.clock.now().timestamp()
            && self.signature(key.as_str(), method, expires, disposition).verify_slice(&sig).is_ok()
    }

    /// Stores the object as `put` does, but only if the key holds none — what a presigned PUT
    /// does (`PresignMethod::Put`).
    ///
    /// # Errors
    /// `Exists` when the key holds an object (left as it was); otherwise as `put`.
    pub async fn put_new(
        &self,
        key: &ObjectKey,
        content_type: &str,
        body: ByteStream,
        check: PutCheck,
    ) -> Result<ObjectInfo, ObjectError> {
        self.store(key, content_type, body, check, Placement::CreateOnly).await
    }

    /// Writes a temporary file, then moves it into place: a rename replaces atomically, a hard
    /// link creates only (it fails if the key exists, even against a concurrent writer).
    async fn store(
        &self,
        key: &ObjectKey,
        content_type: &str,
        body: ByteStream,
        check: PutCheck,
        placement: Placement,
    ) -> Result<ObjectInfo, ObjectError> {
        let tmp = self.tmp.join(uuid::Uuid::new_v4().to_string());
        let (file, info, header) = match self.write_tmp(&tmp, content_type, body, &check).await {
            Ok(written) => written,
            Err(e) => {
                let _ = tokio::fs::remove_file(&tmp).await;
                return Err(e);
            }
        };
        let path = self.path(key);
        let dir = path.parent().unwrap_or(&self.root).to_owned();
        let former = self.nested_path(key);
        let file = file.into_std().await;
        // The end of the write in one blocking task rather than a thread hop per call.
        blocking(move || place(file, &header, &tmp, &path, former.as_deref(), &dir, placement)).await?;
        Ok(info)
    }

    /// Streams the body into a temporary file after room for the header, checking its size and
    /// digest; the file, what it holds, and its header (written by [`place`]).
    async fn write_tmp(
        &self,
        tmp: &Path,
        content_type: &str,
        mut body: ByteStream,
        check: &PutCheck,
    ) -> Result<(File, ObjectInfo, Vec<u8>), ObjectError> {
        let file = File::create(tmp).await.map_err(io_err)?;
        let mut out = BufWriter::with_capacity(WRITE_BUFFER, file);
        out.write_all(&[0u8; HEADER_LEN as usize]).await.map_err(io_err)?;
        let mut hasher = Sha256::new();
        let mut size: u64 = 0;
        while let Some(chunk) = body.next().await {
            let chunk = chunk.map_err(ObjectError::Body)?;
            size += chunk.len() as u64;
            if let Some(expected) = check.size.filter(|&e| size > e) {
                return Err(ObjectError::SizeMismatch { expected, actual: size });
            }
            hasher.update(&chunk);
            out.write_all(&chunk).await.map_err(io_err)?;
        }
        if let Some(expected) = check.size.filter(|&e| size != e) {
            return Err(ObjectError::SizeMismatch { expected, actual: size });
        }
        let sha256 = Sha256Digest(hasher.finalize().into());
        if let Some(expected) = check.sha256.filter(|e| *e != sha256) {
            return Err(ObjectError::DigestMismatch { expected, actual: sha256 });
        }
        let info = ObjectInfo { size, sha256, content_type: content_type.to_owned() };
        let header = encode_header(&info)?;
        out.flush().await.map_err(io_err)?;
        Ok((out.into_inner(), info, header))
    }
}

/// Writes the header of a temporary file holding an object, makes it durable, and moves it to
/// `path` (the new directory entry made durable too); the temporary file is removed on failure.
/// A create-only placement also fails when the key's `former` path (the former layout) holds
/// an object.
fn place(
    mut file: std::fs::File,
    header: &[u8],
    tmp: &Path,
    path: &Path,
    former: Option<&Path>,
    dir: &Path,
    placement: Placement,
) -> Result<(), ObjectError> {
    use std::io::{Seek, Write};
    let durable = (|| {
        file.seek(SeekFrom::Start(0))?;
        file.write_all(header)?;
        file.sync_all()
    })();
    let placed = durable.and_then(|()| {
        std::fs::create_dir_all(dir)?;
        match placement {
            Placement::Replace => std::fs::rename(tmp, path)?,
            Placement::CreateOnly => {
                if former.is_some_and(Path::exists) {
                    return Err(std::io::ErrorKind::AlreadyExists.into());
                }
                std::fs::hard_link(tmp, path)?;
                std::fs::remove_file(tmp)?;
            }
        }
        // Make the new directory entry itself durable.
        std::fs::File::open(dir)?.sync_all()
    });
    placed.map_err(|e| {
        let _ = std::fs::remove_file(tmp);
        if e.kind() == std::io::ErrorKind::AlreadyExists { ObjectError::Exists } else { io_err(e) }
    })
}

fn io_err(e: std::io::Error) -> ObjectError {
    ObjectError::Unavailable(anyhow::Error::new(e).context("object storage"))
}

fn encode_header(info: &ObjectInfo) -> Result<Vec<u8>, ObjectError> {
    let json =
        serde_json::to_vec(&Header { size: info.size, sha256: info.sha256, content_type: info.content_type.clone() })
            .map_err(|e| ObjectError::Unavailable(e.into()))?;
    let mut header = MAGIC.to_vec();
    header.extend_from_slice(&json);
    if header.len() as u64 >= HEADER_LEN {
        return Err(ObjectError::Unavailable(anyhow::anyhow!("object metadata too long")));
    }
    header.resize(HEADER_LEN as usize, b' ');
    Ok(header)
}

/// Opens an object and reads its header (blocking: run it off the async threads).
fn open_object(path: &Path) -> Result<(std::fs::File, ObjectInfo), ObjectError> {
    use std::io::Read;
    let mut file = match std::fs::File::open(path) {
        Ok(f) => f,
        Err(e) if absent(&e) => return Err(ObjectError::NotFound),
        Err(e) => return Err(io_err(e)),
    };
    let mut header = vec![0u8; HEADER_LEN as usize];
    file.read_exact(&mut header).map_err(io_err)?;
    let corrupt = || ObjectError::Unavailable(anyhow::anyhow!("corrupt object header in {}", path.display()));
    let json = header.strip_prefix(MAGIC).ok_or_else(corrupt)?;
    let h: Header =
        serde_json::Deserializer::from_slice(json).into_iter().next().and_then(Result::ok).ok_or_else(corrupt)?;
    Ok((file, ObjectInfo { size: h.size, sha256: h.sha256, content_type: h.content_type }))
}

/// Whether an error opening a key's path says that no object is there: nothing by that name,
/// or (in the former layout) a file where the path has a directory.
fn absent(e: &std::io::Error) -> bool {
    matches!(e.kind(), std::io::ErrorKind::NotFound | std::io::ErrorKind::NotADirectory)
}

/// Opens the first of `paths` that holds an object (blocking).
fn open_first(paths: &[PathBuf]) -> Result<(std::fs::File, ObjectInfo), ObjectError> {
    let mut result = Err(ObjectError::NotFound);
    for path in paths {
        result = open_object(path);
        if !matches!(result, Err(ObjectError::NotFound)) {
            break;
        }
    }
    result
}

/// Adds to `keys` the objects under `dir`, whose key segments so far are `segments`: a file's
/// name holds its remaining segments joined by `.` (a directory per segment in the former
/// layout). Temporary files (`.tmp`, names starting with `.`) are not objects.
fn collect_keys(dir: &Path, segments: &mut Vec<String>, keys: &mut Vec<ObjectKey>) -> std::io::Result<()> {
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(e),
    };
    for entry in entries {
        let entry = entry?;
        let Ok(name) = entry.file_name().into_string() else { continue };
        if name.starts_with('.') {
            continue;
        }
        if entry.file_type()?.is_dir() {
            segments.push(name);
            collect_keys(&entry.path(), segments, keys)?;
            segments.pop();
        } else if let Ok(key) = ObjectKey::new(segments.iter().map(String::as_str).chain(name.split('.'))) {
            keys.push(key);
        }
    }
    Ok(())
}

/// Runs blocking file work off the async threads.
async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, ObjectError> + Send + 'static,
) -> Result<T, ObjectError> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| ObjectError::Unavailable(anyhow::anyhow!("object storage task failed: {e}")))?
}

#[async_trait]
impl ObjectStore for FsObjects {
    async fn put(
        &self,
        key: &ObjectKey,
        content_type: &str,
        body: ByteStream,
        check: PutCheck,
    ) -> Result<ObjectInfo, ObjectError> {
        self.store(key, content_type, body, check, Placement::Replace).await
    }

    async fn get(&self, key: &ObjectKey, range: Option<Range<u64>>) -> Result<ObjectBody, ObjectError> {
        let paths: Vec<_> = self.paths(key).collect();
        // Opened, its header read and the file at the range's start in one blocking task.
        let (file, info, range) = blocking(move || {
            use std::io::Seek;
            let (mut file, info) = open_first(&paths)?;
            let range = match range {
                None => 0..info.size,
                Some(r) if r.start < r.end && r.end <= info.size => r,
                Some(_) => return Err(ObjectError::InvalidRange),
            };
            file.seek(SeekFrom::Start(HEADER_LEN + range.start)).map_err(io_err)?;
            Ok((file, info, range))
        })
        .await?;
        let body = ReaderStream::with_capacity(File::from_std(file).take(range.end - range.start), READ_CHUNK);
        Ok(ObjectBody { info, range, body: Box::pin(body) })
    }

    async fn head(&self, key: &ObjectKey) -> Result<ObjectInfo, ObjectError> {
        let paths: Vec<_> = self.paths(key).collect();
        blocking(move || open_first(&paths).map(|(_, info)| info)).await
    }

    async fn delete(&self, key: &ObjectKey) -> Result<(), ObjectError> {
        let paths: Vec<_> = self.paths(key).collect();
        blocking(move || {
            for path in paths {
                match std::fs::remove_file(path) {
                    Ok(()) => {}
                    Err(e) if absent(&e) => {}
                    Err(e) => return Err(io_err(e)),
                }
            }
            Ok(())
        })
        .await
    }

    async fn presign(
        &self,
        key: &ObjectKey,
        method: PresignMethod,
        expires_in: Duration,
    ) -> Result<String, ObjectError> {
        Ok(self.signed_url(key, method, expires_in, None))
    }

    async fn presign_download(
        &self,
        key: &ObjectKey,
        content_disposition: &str,
        expires_in: Duration,
    ) -> Result<String, ObjectError> {
        Ok(self.signed_url(key, PresignMethod::Get, expires_in, Some(content_disposition)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::adapters::SystemClock;

    #[tokio::test]
    async fn the_filesystem_store_passes_the_object_store_conformance_suite() {
        let dir = tempfile::tempdir().unwrap();
        let store = FsObjects::open(dir.path(), "http://127.0.0.1:1", b"k".to_vec(), Arc::new(SystemClock)).unwrap();
        crate::testkit::objects::conformance(Arc::new(store)).await;
        // Failed puts leave no temporary file behind.
        assert_eq!(std::fs::read_dir(dir.path().join(".tmp")).unwrap().count(), 0);
    }

    #[tokio::test]
    async fn a_create_only_put_never_replaces_an_object() {
        use crate::testkit::objects::{body_of, read_all};
        let dir = tempfile::tempdir().unwrap();
        let store = Arc::new(FsObjects::open(dir.path(), "http://h", b"k".to_vec(), Arc::new(SystemClock)).unwrap());
        let key = ObjectKey::new(["uploads", "a"]).unwrap();
        let first = || body_of(vec![b"first".to_vec()]);

        // A failed check stores nothing: the key stays free.
        let short = store.put_new(&key, "text/plain", first(), PutCheck { size: Some(4), sha256: None }).await;
        assert!(matches!(short, Err(ObjectError::SizeMismatch { .. })));
        assert!(matches!(store.head(&key).await, Err(ObjectError::NotFound)));

        // Two writers at once: exactly one creates the object, the other finds it there.
        let (a, b) = tokio::join!(
            store.put_new(&key, "text/plain", first(), PutCheck::default()),
            store.put_new(&key, "text/plain", body_of(vec![b"second".to_vec()]), PutCheck::default()),
        );
        assert!(
            matches!((&a, &b), (Ok(_), Err(ObjectError::Exists)) | (Err(ObjectError::Exists), Ok(_))),
            "{a:?} {b:?}"
        );
        let kept = read_all(store.as_ref(), &key, None).await;
        let again = store.put_new(&key, "text/plain", body_of(vec![b"third".to_vec()]), PutCheck::default()).await;
        assert!(matches!(again, Err(ObjectError::Exists)), "{again:?}");
        assert_eq!(read_all(store.as_ref(), &key, None).await, kept, "left as it was");
        // A plain put still replaces; neither leaves a temporary file behind.
        store.put(&key, "text/plain", body_of(vec![b"fourth".to_vec()]), PutCheck::default()).await.unwrap();
        assert_eq!(read_all(store.as_ref(), &key, None).await, b"fourth");
        assert_eq!(std::fs::read_dir(dir.path().join(".tmp")).unwrap().count(), 0);
    }

    #[tokio::test]
    async fn a_key_is_one_file_under_its_first_segment_and_the_former_layout_is_still_read() {
        use crate::testkit::objects::{body_of, read_all};
        let dir = tempfile::tempdir().unwrap();
        let store = FsObjects::open(dir.path(), "http://h", b"k".to_vec(), Arc::new(SystemClock)).unwrap();
        let key = ObjectKey::new(["folders", "f1", "a1", "u1"]).unwrap();
        store.put_new(&key, "text/plain", body_of(vec![b"new".to_vec()]), PutCheck::default()).await.unwrap();
        assert!(dir.path().join("folders/f1.a1.u1").is_file());
        let entries: Vec<_> = std::fs::read_dir(dir.path().join("folders")).unwrap().flatten().collect();
        assert_eq!(entries.len(), 1, "one file, no directory per folder or attachment");

        // An object of the former layout, a directory per segment: read, listed, kept from a
        // create-only put, deleted.
        let former = ObjectKey::new(["folders", "f2", "a2", "u2"]).unwrap();
        std::fs::create_dir_all(dir.path().join("folders/f2/a2")).unwrap();
        std::fs::copy(dir.path().join("folders/f1.a1.u1"), dir.path().join("folders/f2/a2/u2")).unwrap();
        assert_eq!(read_all(&store, &former, None).await, b"new");
        assert_eq!(store.head(&former).await.unwrap().size, 3);
        let mut listed = FsObjects::keys_in(dir.path(), "folders/").unwrap();
        listed.sort_by(|a, b| a.as_str().cmp(b.as_str()));
        assert_eq!(listed, [key.clone(), former.clone()]);
        assert_eq!(FsObjects::keys_in(dir.path(), "folders/f2").unwrap(), std::slice::from_ref(&former));
        let again = store.put_new(&former, "text/plain", body_of(vec![b"x".to_vec()]), PutCheck::default()).await;
        assert!(matches!(again, Err(ObjectError::Exists)), "{again:?}");
        store.delete(&former).await.unwrap();
        assert!(matches!(store.head(&former).await, Err(ObjectError::NotFound)));
        assert_eq!(read_all(&store, &key, None).await, b"new", "the other object stays");

        // A key whose former path runs through another object's file is absent, not an error.
        let short = ObjectKey::new(["a", "b"]).unwrap();
        store.put(&short, "text/plain", body_of(vec![b"s".to_vec()]), PutCheck::default()).await.unwrap();
        let longer = ObjectKey::new(["a", "b", "c"]).unwrap();
        assert!(matches!(store.head(&longer).await, Err(ObjectError::NotFound)));
        store.put_new(&longer, "text/plain", body_of(vec![b"l".to_vec()]), PutCheck::default()).await.unwrap();
        assert_eq!(read_all(&store, &longer, None).await, b"l");
        assert_eq!(read_all(&store, &short, None).await, b"s");
        store.delete(&longer).await.unwrap();
        assert!(matches!(store.head(&longer).await, Err(ObjectError::NotFound)));
    }

    #[tokio::test]
    async fn presigned_paths_are_checked_for_signature_method_and_expiry() {
        let dir = tempfile::tempdir().unwrap();
        let clock = crate::adapters::ManualClock::new(chrono::Utc::now());
        let store = FsObjects::open(dir.path(), "http://h", b"k".to_vec(), Arc::new(clock.clone())).unwrap();
        let key = ObjectKey::new(["a", "b"]).unwrap();
        let url = store.presign(&key, PresignMethod::Get, Duration::from_secs(60)).await.unwrap();
        let query = url.split_once('?').unwrap().1;
        let field =
            |name: &str| query.split('&').find_map(|kv| kv.strip_prefix(&format!("{name}="))).unwrap().to_owned();
        let (expires, sig) = (field("expires").parse().unwrap(), field("signature"));
        assert!(url.starts_with("http://h/objects/a/b?"));
        assert!(store.verify_presigned(&key, PresignMethod::Get, expires, None, &sig));
        assert!(!store.verify_presigned(&key, PresignMethod::Put { size: 0 }, expires, None, &sig));
        assert!(!store.verify_presigned(&ObjectKey::new(["a", "c"]).unwrap(), PresignMethod::Get, expires, None, &sig));
        assert!(!store.verify_presigned(&key, PresignMethod::Get, expires + 1, None, &sig));
        assert!(!store.verify_presigned(&key, PresignMethod::Get, expires, Some("attachment"), &sig));
        assert!(!store.verify_presigned(&key, PresignMethod::Get, expires, Some(""), &sig));

        // An upload URL grants a PUT of its size, and no other.
        let put = store.presign(&key, PresignMethod::Put { size: 5 }, Duration::from_secs(60)).await.unwrap();
        let query = put.split_once('?').unwrap().1;
        let field =
            |name: &str| query.split('&').find_map(|kv| kv.strip_prefix(&format!("{name}="))).unwrap().to_owned();
        let (expires, sig) = (field("expires").parse().unwrap(), field("signature"));
        assert_eq!(field("size"), "5", "{put}");
        assert!(store.verify_presigned(&key, PresignMethod::Put { size: 5 }, expires, None, &sig));
        assert!(!store.verify_presigned(&key, PresignMethod::Put { size: 6 }, expires, None, &sig), "size signed");
        assert!(!store.verify_presigned(&key, PresignMethod::Get, expires, None, &sig));

        // A download URL grants its Content-Disposition, and no other.
        let disposition = "attachment; filename=\"a b.pdf\"; filename*=UTF-8''a%20b.pdf";
        let url = store.presign_download(&key, disposition, Duration::from_secs(60)).await.unwrap();
        let query = url.split_once('?').unwrap().1;
        let params: std::collections::HashMap<String, String> =
            form_urlencoded::parse(query.as_bytes()).into_owned().collect();
        assert_eq!(params["disposition"], disposition);
        let (expires, sig) = (params["expires"].parse().unwrap(), params["signature"].clone());
        assert!(store.verify_presigned(&key, PresignMethod::Get, expires, Some(disposition), &sig));
        assert!(!store.verify_presigned(&key, PresignMethod::Get, expires, Some("inline"), &sig));
        assert!(!store.verify_presigned(&key, PresignMethod::Get, expires, None, &sig));

        clock.advance(chrono::Duration::seconds(61));
        assert!(!store.verify_presigned(&key, PresignMethod::Get, expires, Some(disposition), &sig));
    }
}
