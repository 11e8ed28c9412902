//! `FsAnchors`: the audit journal's seals as files of a directory, each created once (never
//! over an existing one), synced with its directory, and left read-only. A person with the
//! machine can still delete one: locally, the chain of anchors (each names the hash of the one
//! before) shows a removal anywhere but at the end. On AWS, S3 Object Lock forbids both.

use std::{
    io::Write,
    path::{Path, PathBuf},
};

use anyhow::Context;
use async_trait::async_trait;
use bytes::Bytes;

use crate::ports::{AnchorError, AnchorStore, check_anchor_name};

pub struct FsAnchors {
    dir: PathBuf,
}

impl FsAnchors {
    /// # Errors
    /// When the directory cannot be created.
    pub fn open(dir: &Path) -> anyhow::Result<Self> {
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
        Ok(Self { dir: dir.to_owned() })
    }
}

fn unavailable(e: impl Into<anyhow::Error>) -> AnchorError {
    AnchorError::Unavailable(e.into())
}

#[async_trait]
impl AnchorStore for FsAnchors {
    async fn put(&self, name: &str, bytes: Bytes) -> Result<(), AnchorError> {
        check_anchor_name(name)?;
        let (dir, path) = (self.dir.clone(), self.dir.join(name));
        tokio::task::spawn_blocking(move || {
            let mut file = match std::fs::OpenOptions::new().write(true).create_new(true).open(&path) {
                Ok(f) => f,
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => return Err(AnchorError::Exists),
                Err(e) => return Err(unavailable(e)),
            };
            file.write_all(&bytes).map_err(unavailable)?;
            file.sync_all().map_err(unavailable)?;
            let mut perms = file.metadata().map_err(unavailable)?.permissions();
            perms.set_readonly(true);
            std::fs::set_permissions(&path, perms).map_err(unavailable)?;
            // The new name itself is durable once the directory is synced.
            std::fs::File::open(&dir).and_then(|d| d.sync_all()).map_err(unavailable)
        })
        .await
        .map_err(unavailable)?
    }

    async fn get(&self, name: &str) -> Result<Option<Bytes>, AnchorError> {
        check_anchor_name(name)?;
        match tokio::fs::read(self.dir.join(name)).await {
            Ok(bytes) => Ok(Some(Bytes::from(bytes))),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(unavailable(e)),
        }
    }

    async fn list(&self) -> Result<Vec<String>, AnchorError> {
        let mut names = Vec::new();
        let mut entries = tokio::fs::read_dir(&self.dir).await.map_err(unavailable)?;
        while let Some(entry) = entries.next_entry().await.map_err(unavailable)? {
            if let Some(name) = entry.file_name().to_str().filter(|n| check_anchor_name(n).is_ok()) {
                names.push(name.to_owned());
            }
        }
        names.sort();
        Ok(names)
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;

    #[tokio::test]
    async fn the_fs_anchors_pass_the_anchor_conformance_suite() {
        let dir = tempfile::tempdir().unwrap();
        crate::testkit::anchors::conformance(Arc::new(FsAnchors::open(&dir.path().join("anchors")).unwrap())).await;
    }
}
