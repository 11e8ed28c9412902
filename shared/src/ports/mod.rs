//! The ports: what the hub needs from the outside world, with no SDK type crossing them.
//!
//! Every port is an object-safe async trait held as `Arc<dyn …>` in [`crate::state::AppState`].
//! Each has a conformance suite in [`crate::testkit`] that every implementation passes.

use std::{fmt, io, ops::Range, pin::Pin, time::Duration};

use async_trait::async_trait;
use bytes::Bytes;
use chrono::{DateTime, Utc};
use futures::Stream;
use serde_json::{Map, Value};
use uuid::Uuid;

use crate::domain::{Sha256Digest, Siret};

mod anchors;
mod scanner;

pub use anchors::{AnchorError, AnchorStore, check_anchor_name};
pub use scanner::{Scanner, Verdict};

// ---------------------------------------------------------------------------------------------
// Table
// ---------------------------------------------------------------------------------------------

/// One item: an attribute map, as DynamoDB stores it. Strings, numbers, booleans, null, lists
/// and maps are allowed; the key attributes (`PK`, `SK`, `GSInPK`, `GSInSK`) are strings.
pub type Item = Map<String, Value>;

/// The primary key of an item.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Key {
    pub pk: String,
    pub sk: String,
}

impl Key {
    pub fn new(pk: impl Into<String>, sk: impl Into<String>) -> Self {
        Self { pk: pk.into(), sk: sk.into() }
    }
}

/// Partition and sort key attribute names of the table.
pub const PK: &str = "PK";
pub const SK: &str = "SK";
/// The table's expiry attribute (epoch seconds), DynamoDB's TTL: part of the table's definition,
/// like its keys. Deletion is lazy, so readers check expiry themselves.
pub const TTL_ATTR: &str = "ttl";

/// The global secondary indexes of the table. Every index projects all attributes and is
/// sparse: an item without the index's partition key attribute is not in it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Index {
    Gsi1,
    Gsi2,
    Gsi3,
    Gsi4,
    Gsi5,
}

impl Index {
    pub const ALL: [Index; 5] = [Index::Gsi1, Index::Gsi2, Index::Gsi3, Index::Gsi4, Index::Gsi5];

    pub fn name(self) -> &'static str {
        match self {
            Index::Gsi1 => "GSI1",
            Index::Gsi2 => "GSI2",
            Index::Gsi3 => "GSI3",
            Index::Gsi4 => "GSI4",
            Index::Gsi5 => "GSI5",
        }
    }
    pub fn pk_attr(self) -> &'static str {
        match self {
            Index::Gsi1 => "GSI1PK",
            Index::Gsi2 => "GSI2PK",
            Index::Gsi3 => "GSI3PK",
            Index::Gsi4 => "GSI4PK",
            Index::Gsi5 => "GSI5PK",
        }
    }
    pub fn sk_attr(self) -> &'static str {
        match self {
            Index::Gsi1 => "GSI1SK",
            Index::Gsi2 => "GSI2SK",
            Index::Gsi3 => "GSI3SK",
            Index::Gsi4 => "GSI4SK",
            Index::Gsi5 => "GSI5SK",
        }
    }
}

/// A write condition, evaluated against the item currently stored under the written key.
#[derive(Clone, Debug, PartialEq, Default)]
pub enum Condition {
    #[default]
    None,
    /// No item is stored under the key (a create).
    NotExists,
    /// An item is stored under the key.
    Exists,
    /// An item is stored and its attribute equals the value (optimistic versions, states).
    Equals(String, Value),
}

impl Condition {
    pub fn equals(attr: impl Into<String>, value: impl Into<Value>) -> Self {
        Condition::Equals(attr.into(), value.into())
    }

    /// Whether the condition holds for the item currently stored (`None` if absent).
    pub fn holds(&self, current: Option<&Item>) -> bool {
        match self {
            Condition::None => true,
            Condition::NotExists => current.is_none(),
            Condition::Exists => current.is_some(),
            Condition::Equals(attr, value) => current.and_then(|i| i.get(attr)) == Some(value),
        }
    }
}

/// A condition on the sort key (of the table or of the queried index).
#[derive(Clone, Debug, PartialEq)]
pub enum SortKey {
    Eq(String),
    BeginsWith(String),
    /// Inclusive on both ends, like DynamoDB's `BETWEEN`.
    Between(String, String),
}

/// One page of a query on one partition of the table or of an index.
#[derive(Clone, Debug)]
pub struct Query {
    pub index: Option<Index>,
    pub pk: String,
    pub sk: Option<SortKey>,
    /// Ascending sort key order when true.
    pub forward: bool,
    pub limit: usize,
    /// Where the previous page stopped ([`Page::cursor`]).
    pub cursor: Option<Cursor>,
}

impl Query {
    pub fn table(pk: impl Into<String>) -> Self {
        Self { index: None, pk: pk.into(), sk: None, forward: true, limit: 1000, cursor: None }
    }
    pub fn index(index: Index, pk: impl Into<String>) -> Self {
        Self { index: Some(index), ..Self::table(pk) }
    }
    pub fn sk(mut self, sk: SortKey) -> Self {
        self.sk = Some(sk);
        self
    }
    pub fn backward(mut self) -> Self {
        self.forward = false;
        self
    }
    pub fn limit(mut self, limit: usize) -> Self {
        self.limit = limit;
        self
    }
    pub fn after(mut self, cursor: Option<Cursor>) -> Self {
        self.cursor = cursor;
        self
    }
}

/// An opaque continuation token; only the implementation that issued it can read it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Cursor(pub String);

#[derive(Clone, Debug, Default)]
pub struct Page {
    pub items: Vec<Item>,
    /// Present when more items may follow.
    pub cursor: Option<Cursor>,
}

/// One write of a transaction.
#[derive(Clone, Debug)]
pub enum Write {
    Put {
        item: Item,
        condition: Condition,
    },
    Delete {
        key: Key,
        condition: Condition,
    },
    /// Adds `delta` to a numeric attribute, creating the item and the attribute (from 0) if
    /// needed.
    Add {
        key: Key,
        attr: String,
        delta: i64,
    },
    /// Adds each delta to its numeric attribute of one item, creating the item and the
    /// attributes (from 0) if needed: counters that move together take one write (DynamoDB's
    /// `ADD a :x, b :y`), where a transaction may not touch one item twice. The attributes are
    /// distinct and there is at least one.
    AddAll {
        key: Key,
        deltas: Vec<(String, i64)>,
    },
    /// Checks a condition on an item without writing it.
    Check {
        key: Key,
        condition: Condition,
    },
}

impl Write {
    pub fn put(item: Item) -> Self {
        Write::Put { item, condition: Condition::None }
    }
    pub fn create(item: Item) -> Self {
        Write::Put { item, condition: Condition::NotExists }
    }
    pub fn key(&self) -> Option<Key> {
        match self {
            Write::Put { item, .. } => item_key(item),
            Write::Delete { key, .. }
            | Write::Add { key, .. }
            | Write::AddAll { key, .. }
            | Write::Check { key, .. } => Some(key.clone()),
        }
    }
}

/// Checks an [`Write::AddAll`]'s deltas: at least one, each attribute once (what DynamoDB
/// refuses in one update expression).
///
/// # Errors
/// `Invalid` otherwise.
pub fn check_deltas(deltas: &[(String, i64)]) -> Result<(), TableError> {
    if deltas.is_empty() {
        return Err(TableError::Invalid("an AddAll write with no attribute".into()));
    }
    let mut seen = std::collections::HashSet::new();
    match deltas.iter().find(|(attr, _)| !seen.insert(attr.as_str())) {
        Some((attr, _)) => Err(TableError::Invalid(format!("attribute {attr} twice in one AddAll write"))),
        None => Ok(()),
    }
}

/// The most writes one transaction may hold (DynamoDB's limit).
pub const MAX_TRANSACTION_WRITES: usize = 100;

/// The key of an item, when it has string `PK` and `SK` attributes.
pub fn item_key(item: &Item) -> Option<Key> {
    Some(Key::new(item.get(PK)?.as_str()?, item.get(SK)?.as_str()?))
}

#[derive(Debug, thiserror::Error)]
pub enum TableError {
    /// A single write's condition does not hold.
    #[error("the condition of the write does not hold")]
    ConditionFailed,
    /// A transaction was refused and nothing was written; `failed` lists the indexes of the
    /// writes whose condition did not hold.
    #[error("the transaction was cancelled (conditions failed at {failed:?})")]
    TransactionCancelled { failed: Vec<usize> },
    /// The request itself is wrong (bad key, too many writes, two writes on one item).
    #[error("invalid table request: {0}")]
    Invalid(String),
    #[error(transparent)]
    Unavailable(#[from] anyhow::Error),
}

/// A DynamoDB-shaped key-value store: one table, a partition and a sort key, sparse global
/// secondary indexes, conditional writes, atomic counters and all-or-nothing transactions.
///
/// Reads of the table are strongly consistent; reads of an index may lag behind the table.
#[async_trait]
pub trait Table: Send + Sync {
    /// # Errors
    /// `Unavailable` when the store cannot be reached.
    async fn get(&self, key: &Key) -> Result<Option<Item>, TableError>;

    /// The items under `keys`, in their order (`None` for a missing one), read as [`Table::get`]
    /// reads one, all in one round trip where the store allows it: the reads a use case needs
    /// before it can decide do not wait for each other. A key may be given more than once.
    ///
    /// # Errors
    /// `Unavailable` when the store cannot be reached or does not answer for every key.
    async fn get_many(&self, keys: &[Key]) -> Result<Vec<Option<Item>>, TableError>;

    /// Stores the item (it must carry `PK` and `SK`), replacing any item under its key.
    ///
    /// # Errors
    /// `ConditionFailed` when the condition does not hold; nothing is written then.
    async fn put(&self, item: Item, condition: Condition) -> Result<(), TableError>;

    /// # Errors
    /// `ConditionFailed` when the condition does not hold; nothing is deleted then.
    async fn delete(&self, key: &Key, condition: Condition) -> Result<(), TableError>;

    /// Atomically adds `delta` to a numeric attribute and returns the new value.
    ///
    /// # Errors
    /// `Invalid` when the attribute exists and is not a number.
    async fn add(&self, key: &Key, attr: &str, delta: i64) -> Result<i64, TableError>;

    /// # Errors
    /// `Invalid` for a cursor this implementation did not issue.
    async fn query(&self, query: Query) -> Result<Page, TableError>;

    /// One page of every item of the table, at most `limit`, in an order of the store's own
    /// that the cursor follows: a maintenance read (re-indexing after an upgrade, audits), never
    /// on a request's path. Items written during the scan may or may not be seen.
    ///
    /// # Errors
    /// `Invalid` for a cursor this implementation's scan did not issue.
    async fn scan(&self, cursor: Option<Cursor>, limit: usize) -> Result<Page, TableError>;

    /// Applies every write or none.
    ///
    /// # Errors
    /// `TransactionCancelled` when a condition does not hold; `Invalid` for more than
    /// [`MAX_TRANSACTION_WRITES`] writes, two writes on the same item, or an `AddAll` with no
    /// delta or one attribute twice.
    async fn transact_write(&self, writes: Vec<Write>) -> Result<(), TableError>;
}

// ---------------------------------------------------------------------------------------------
// ObjectStore
// ---------------------------------------------------------------------------------------------

/// A stream of bytes, as read from a request body or an object.
pub type ByteStream = Pin<Box<dyn Stream<Item = Result<Bytes, io::Error>> + Send>>;

/// An object key. Built by the store from generated ids only: user input never appears in it.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct ObjectKey(String);

impl ObjectKey {
    /// Segments must be non-empty and made of ASCII letters, digits, `-` and `_`.
    ///
    /// # Errors
    /// When a segment breaks that rule.
    pub fn new<I, S>(segments: I) -> Result<Self, ObjectError>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        let mut parts = Vec::new();
        for s in segments {
            let s = s.as_ref();
            if s.is_empty() || !s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_') {
                return Err(ObjectError::InvalidKey(s.to_owned()));
            }
            parts.push(s.to_owned());
        }
        if parts.is_empty() {
            return Err(ObjectError::InvalidKey(String::new()));
        }
        Ok(Self(parts.join("/")))
    }

    /// Parses a key as printed by `as_str`.
    ///
    /// # Errors
    /// When it is not a valid key.
    pub fn parse(s: &str) -> Result<Self, ObjectError> {
        Self::new(s.split('/'))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for ObjectKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// What a put must find, checked while streaming; the object is not stored if it does not.
#[derive(Clone, Debug, Default)]
pub struct PutCheck {
    pub size: Option<u64>,
    pub sha256: Option<Sha256Digest>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ObjectInfo {
    pub size: u64,
    pub sha256: Sha256Digest,
    pub content_type: String,
}

/// A readable object: its metadata and the requested bytes.
pub struct ObjectBody {
    pub info: ObjectInfo,
    /// The byte range served (the whole object when no range was asked).
    pub range: Range<u64>,
    pub body: ByteStream,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PresignMethod {
    Get,
    /// Creates the object, never replaces one: the request carries [`PRESIGNED_PUT_HEADER`]
    /// (the URL's signature covers it), and a PUT to a key that exists is refused with `412`.
    /// A URL still valid once its object is stored and checked cannot swap its bytes.
    ///
    /// The request's `Content-Length` is `size` (the signature covers it too): whoever holds
    /// the URL stores the declared size or nothing, not up to what the store takes in one PUT.
    Put {
        size: u64,
    },
}

/// The header a presigned PUT is sent with (S3's conditional write): create, never replace.
pub const PRESIGNED_PUT_HEADER: (&str, &str) = ("If-None-Match", "*");

#[derive(Debug, thiserror::Error)]
pub enum ObjectError {
    #[error("object not found")]
    NotFound,
    #[error("invalid object key {0:?}")]
    InvalidKey(String),
    /// The body is not of the expected size (`actual` counts what was read before stopping).
    #[error("size {actual} does not match the expected {expected}")]
    SizeMismatch { expected: u64, actual: u64 },
    #[error("digest {actual} does not match the expected {expected}")]
    DigestMismatch { expected: Sha256Digest, actual: Sha256Digest },
    #[error("range not satisfiable")]
    InvalidRange,
    /// A create-only write found the object already there (it is left as it was).
    #[error("object already exists")]
    Exists,
    /// Reading the body failed (the client went away, say).
    #[error("reading the body failed: {0}")]
    Body(io::Error),
    #[error(transparent)]
    Unavailable(#[from] anyhow::Error),
}

/// Binary storage. Bodies stream both ways: memory does not grow with the object's size.
#[async_trait]
pub trait ObjectStore: Send + Sync {
    /// Streams `body` into the object, computing its SHA-256 and size on the way. The object
    /// becomes visible only once complete and checked.
    ///
    /// # Errors
    /// `SizeMismatch` / `DigestMismatch` when `check` fails, `Body` when the stream fails; in
    /// every error case nothing is stored under the key (a previous object stays as it was).
    async fn put(
        &self,
        key: &ObjectKey,
        content_type: &str,
        body: ByteStream,
        check: PutCheck,
    ) -> Result<ObjectInfo, ObjectError>;

    /// Streams the object, or the byte range `range` of it.
    ///
    /// # Errors
    /// `NotFound`, or `InvalidRange` when the range is empty or past the end.
    async fn get(&self, key: &ObjectKey, range: Option<Range<u64>>) -> Result<ObjectBody, ObjectError>;

    /// # Errors
    /// `NotFound`.
    async fn head(&self, key: &ObjectKey) -> Result<ObjectInfo, ObjectError>;

    /// Deletes the object; deleting a missing object is not an error.
    ///
    /// # Errors
    /// `Unavailable`.
    async fn delete(&self, key: &ObjectKey) -> Result<(), ObjectError>;

    /// Checks an object written through a presigned PUT — bytes the store did not see — against
    /// `check`, reading it through once, and records its SHA-256 and `content_type` with it, so
    /// that it then reads like an object `put` stored. Returns what was recorded.
    ///
    /// The default re-puts the object onto its own key (a store whose `get` serves such objects).
    ///
    /// # Errors
    /// `NotFound`; `SizeMismatch` / `DigestMismatch` when the object fails the check (it is left
    /// as it was: the caller decides whether to delete it).
    async fn seal(&self, key: &ObjectKey, content_type: &str, check: PutCheck) -> Result<ObjectInfo, ObjectError> {
        let object = self.get(key, None).await?;
        self.put(key, content_type, object.body, check).await
    }

    /// A URL granting `method` on the object to whoever holds it, until `expires_in` has passed
    /// (a PUT only creates it: see [`PresignMethod::Put`]).
    ///
    /// # Errors
    /// `Unavailable`.
    async fn presign(
        &self,
        key: &ObjectKey,
        method: PresignMethod,
        expires_in: Duration,
    ) -> Result<String, ObjectError>;

    /// A presigned GET whose answer carries `content_disposition` (say `attachment;
    /// filename=…`), so that whoever follows it saves the binary under its name, as from a
    /// direct download. The value is part of what the URL grants: it cannot be changed.
    ///
    /// # Errors
    /// `Unavailable`.
    async fn presign_download(
        &self,
        key: &ObjectKey,
        content_disposition: &str,
        expires_in: Duration,
    ) -> Result<String, ObjectError>;
}

// ---------------------------------------------------------------------------------------------
// Mailer
// ---------------------------------------------------------------------------------------------

/// One e-mail, with a plain-text and an HTML body.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Email {
    pub to: Vec<String>,
    pub subject: String,
    pub text: String,
    pub html: String,
    /// The outbox item the message delivers, when it comes from the outbox: a mailer that can
    /// keeps one message per key, so that a resend after a crash (the item sent, its mark lost)
    /// replaces the first instead of adding a second (`OutboxMailer`). SES and SMTP cannot
    /// take a message back: they send it again (docs/NOTIFICATIONS.md).
    pub key: Option<Uuid>,
}

#[derive(Debug, thiserror::Error)]
pub enum MailError {
    /// The message cannot be sent as it is (bad address); retrying will not help.
    #[error("message refused: {0}")]
    Rejected(String),
    /// The service could not take it now; retrying may help.
    #[error(transparent)]
    Unavailable(#[from] anyhow::Error),
}

#[async_trait]
pub trait Mailer: Send + Sync {
    /// Sends one message and returns the service's message id.
    ///
    /// # Errors
    /// `Rejected` when the message is malformed, `Unavailable` when the service failed.
    async fn send(&self, email: &Email) -> Result<String, MailError>;
}

// ---------------------------------------------------------------------------------------------
// Directory of establishments
// ---------------------------------------------------------------------------------------------

/// An establishment as the directory of French establishments (the SIRENE register) describes
/// it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Establishment {
    pub siret: Siret,
    /// The name of the legal unit it belongs to (`COMMUNE DE VILLEURBANNE`), as the directory
    /// writes it.
    pub name: String,
    /// The commune it is in, and its postcode, when the directory gives them.
    pub commune: Option<String>,
    pub postcode: Option<String>,
    /// Closed in the register (a commune merged into another, an office gone).
    pub closed: bool,
}

/// The directory could not answer (down, slow, an answer it should not give): the caller goes
/// on without it.
#[derive(Debug, thiserror::Error)]
#[error("the directory of establishments did not answer: {0}")]
pub struct DirectoryError(#[from] pub anyhow::Error);

/// The directory of French establishments, looked up by SIRET when an organisation the hub does
/// not know subscribes (onboarding through DataPass).
#[async_trait]
pub trait Directory: Send + Sync {
    /// The establishment with this SIRET, or `None` when the directory knows none.
    ///
    /// # Errors
    /// When the directory did not answer in time, or answered something unreadable.
    async fn establishment(&self, siret: &Siret) -> Result<Option<Establishment>, DirectoryError>;
}

// ---------------------------------------------------------------------------------------------
// Clock and ids
// ---------------------------------------------------------------------------------------------

pub trait Clock: Send + Sync {
    fn now(&self) -> DateTime<Utc>;
}

pub trait IdGenerator: Send + Sync {
    fn new_id(&self) -> Uuid;
}
