//! The `AnchorStore` port: where the audit journal's daily seals go, write once (docs/AUDIT.md).

use async_trait::async_trait;
use bytes::Bytes;

#[derive(Debug, thiserror::Error)]
pub enum AnchorError {
    /// An anchor of that name is stored already: it is never replaced.
    #[error("the anchor exists already")]
    Exists,
    /// The name is not a plain file name (letters, digits, `-`, `_`, `.`; no leading dot).
    #[error("invalid anchor name {0:?}")]
    InvalidName(String),
    #[error(transparent)]
    Unavailable(#[from] anyhow::Error),
}

/// Where the audit journal's daily seals go: write once, never rewritten nor deleted by anyone
/// (S3 Object Lock in compliance mode on AWS; a read-only file of the data directory locally).
#[async_trait]
pub trait AnchorStore: Send + Sync {
    /// Stores an anchor, durably, once.
    ///
    /// # Errors
    /// `Exists` when one is stored under the name (left as it is).
    async fn put(&self, name: &str, bytes: Bytes) -> Result<(), AnchorError>;

    /// # Errors
    /// `Unavailable` when the store cannot be read.
    async fn get(&self, name: &str) -> Result<Option<Bytes>, AnchorError>;

    /// Every anchor's name, in ascending order.
    ///
    /// # Errors
    /// `Unavailable` when the store cannot be read.
    async fn list(&self) -> Result<Vec<String>, AnchorError>;
}

/// Checks an anchor's name.
///
/// # Errors
/// `InvalidName`.
pub fn check_anchor_name(name: &str) -> Result<(), AnchorError> {
    let plain = !name.is_empty()
        && !name.starts_with('.')
        && name.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'));
    if plain { Ok(()) } else { Err(AnchorError::InvalidName(name.to_owned())) }
}
