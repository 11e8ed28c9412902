//! `DynamoTable`: the `Table` port on one DynamoDB table, behaving like the embedded
//! `SqliteTable` so that the conformance suite holds for both.
//!
//! # The table
//!
//! String keys `PK` (hash) and `SK` (range), on-demand billing, four global secondary indexes
//! `GSI1`..`GSI5` keyed by the string attributes `GSInPK` / `GSInSK` and projecting every
//! attribute, a stream of new and old images, and expiry on the `ttl` attribute. The SAM
//! template creates it on AWS; [`DynamoTable::create_table`] does it for an emulator and tests.
//!
//! # Items
//!
//! A JSON value maps to an attribute value by type: string `S`, number `N` (its decimal text),
//! boolean `BOOL`, null `NULL`, array `L`, object `M`. Numbers read back as `i64`, else `u64`,
//! else `f64`, so integers stay integers as in the SQLite adapter. DynamoDB normalises numbers,
//! so a float holding an integer (`1.0`) reads back as the integer `1`; the hub stores integers
//! only. Binary and set attributes are not used by the port and read as an error.
//!
//! # Requests
//!
//! Every attribute name and value goes through expression placeholders (`#n0`, `:v0`), never
//! inline. [`Condition`]s become condition expressions: `attribute_not_exists(PK)`,
//! `attribute_exists(PK)`, `attr = value`. `add` is `ADD attr delta`. Reads of the table are
//! consistent; reads of an index cannot be. `get_many` is one `BatchGetItem` per 100 distinct
//! keys, sent together; keys it leaves unprocessed are asked again a few times.
//!
//! A query reads until it holds one item more than the page's limit, or the partition ends:
//! DynamoDB stops a response at 1 MB, and a page has a cursor only when an item follows it, as in
//! the SQLite adapter. The cursor is base64url of a JSON object naming the index and the key of
//! the page's last item (DynamoDB's `ExclusiveStartKey`).
//!
//! A transaction is one `TransactWriteItems`: puts, deletes and checks with their conditions
//! (a check without one gets a condition that always holds, so every write keeps its index), and
//! `ADD` updates. Its cancellation reasons name the writes whose condition failed
//! ([`TableError::TransactionCancelled`]); a cancellation for a conflict with another
//! transaction or for throttling is tried again a few times, with a jittered backoff, then is
//! [`TableError::Unavailable`]. Each attempt carries a client request token, so that the SDK's
//! own retries of it do not apply it twice.
//!
//! A `ValidationException` (a request DynamoDB refuses as malformed, such as adding to a string
//! or an item over 400 KB), or a transaction cancelled with a `ValidationError`, is
//! [`TableError::Invalid`]. Where SQLite refuses to add to a float or to overflow an `i64`,
//! DynamoDB adds (on 38 digits) and the result, which does not fit the port, is `Invalid`.
//! Failures to reach DynamoDB, after the SDK's retries ([`DynamoTable::from_sdk_config`]), are
//! [`TableError::Unavailable`].
//!
//! # Emulator
//!
//! The tests run on moto, which differs from DynamoDB where this adapter does not rely on it: it
//! keeps numbers as written (`1.0` stays `1.0`), and answers a malformed write in a transaction
//! with a `ValidationException` where DynamoDB cancels it with a `ValidationError` reason (both
//! are `Invalid` here).

use std::{
    collections::{BTreeMap, HashMap, HashSet},
    time::Duration,
};

use anyhow::Context;
use async_trait::async_trait;
use aws_sdk_dynamodb::{
    Client,
    client::Waiters,
    config::retry::RetryConfig,
    error::{BuildError, ProvideErrorMetadata, SdkError},
    operation::{create_table::CreateTableError, transact_write_items::TransactWriteItemsError},
    types::{
        AttributeDefinition, AttributeValue, BillingMode, ConditionCheck, Delete, GlobalSecondaryIndex,
        KeySchemaElement, KeyType, KeysAndAttributes, Projection, ProjectionType, Put, ReturnValue,
        ScalarAttributeType, StreamSpecification, StreamViewType, TimeToLiveSpecification, TimeToLiveStatus,
        TransactWriteItem, Update,
    },
};
use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use serde::{Deserialize, Serialize};
use serde_json::{Number, Value};

use crate::ports::{
    Condition, Cursor, Index, Item, Key, MAX_TRANSACTION_WRITES, PK, Page, Query, SK, SortKey, TTL_ATTR, Table,
    TableError, Write, check_deltas, item_key,
};

/// An item as the SDK holds it.
type Attributes = HashMap<String, AttributeValue>;

/// Attempts of the SDK for one request (the first and its retries on throttling or errors).
const SDK_MAX_ATTEMPTS: u32 = 5;

/// Retries of a transaction cancelled for a conflict or throttling, not for a condition.
const TRANSACTION_RETRIES: u32 = 4;
/// The most keys one `BatchGetItem` takes, and how many times the keys it leaves unprocessed
/// are asked again.
const BATCH_GET_KEYS: usize = 100;
const BATCH_GET_RETRIES: u32 = 4;

/// The first backoff before retrying a cancelled transaction; it doubles on every retry.
const TRANSACTION_BACKOFF: Duration = Duration::from_millis(50);

/// How long [`DynamoTable::create_table`] waits for the table to become active.
const CREATE_TIMEOUT: Duration = Duration::from_secs(300);

/// The `Table` port on a DynamoDB table (see the module documentation for the mapping).
#[derive(Clone, Debug)]
pub struct DynamoTable {
    client: Client,
    table: String,
}

impl DynamoTable {
    /// A table on an existing client, used as it is configured. Prefer
    /// [`DynamoTable::from_sdk_config`], which sets the retries up for throttling.
    pub fn new(client: Client, table_name: impl Into<String>) -> Self {
        Self { client, table: table_name.into() }
    }

    /// A table on a client built from the SDK configuration, retrying throttled and failed
    /// requests with the standard exponential backoff, up to 5 attempts per request.
    pub fn from_sdk_config(config: &aws_config::SdkConfig, table_name: impl Into<String>) -> Self {
        let conf = aws_sdk_dynamodb::config::Builder::from(config)
            .retry_config(RetryConfig::standard().with_max_attempts(SDK_MAX_ATTEMPTS))
            .build();
        Self::new(Client::from_conf(conf), table_name)
    }

    /// Creates the table with its indexes, stream and expiry unless it exists, and waits until it
    /// is active. On AWS the SAM template creates it; this is for an emulator and tests.
    ///
    /// Expiry is skipped, with a warning, when the service says it does not support it.
    ///
    /// # Errors
    /// When DynamoDB refuses or cannot be reached, or the table does not become active in time.
    pub async fn create_table(client: &Client, table_name: &str) -> anyhow::Result<()> {
        let mut request = client
            .create_table()
            .table_name(table_name)
            .billing_mode(BillingMode::PayPerRequest)
            .attribute_definitions(string_attribute(PK)?)
            .attribute_definitions(string_attribute(SK)?)
            .key_schema(key_element(PK, KeyType::Hash)?)
            .key_schema(key_element(SK, KeyType::Range)?)
            .stream_specification(
                StreamSpecification::builder()
                    .stream_enabled(true)
                    .stream_view_type(StreamViewType::NewAndOldImages)
                    .build()?,
            );
        for index in Index::ALL {
            request = request
                .attribute_definitions(string_attribute(index.pk_attr())?)
                .attribute_definitions(string_attribute(index.sk_attr())?)
                .global_secondary_indexes(
                    GlobalSecondaryIndex::builder()
                        .index_name(index.name())
                        .key_schema(key_element(index.pk_attr(), KeyType::Hash)?)
                        .key_schema(key_element(index.sk_attr(), KeyType::Range)?)
                        .projection(Projection::builder().projection_type(ProjectionType::All).build())
                        .build()?,
                );
        }
        match request.send().await {
            Ok(_) => {}
            // The table exists (or is being created): wait for it as for a new one.
            Err(e) if e.as_service_error().is_some_and(CreateTableError::is_resource_in_use_exception) => {}
            Err(e) => return Err(anyhow::Error::new(e).context(format!("creating the DynamoDB table {table_name}"))),
        }
        client
            .wait_until_table_exists()
            .table_name(table_name)
            .wait(CREATE_TIMEOUT)
            .await
            .with_context(|| format!("waiting for the DynamoDB table {table_name} to become active"))?;
        enable_ttl(client, table_name).await
    }

    /// Maps an SDK error: a failed condition, a refused request, or an unavailable service.
    fn error<E>(&self, operation: &str, err: SdkError<E>) -> TableError
    where
        E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    {
        match err.code() {
            Some("ConditionalCheckFailedException") => TableError::ConditionFailed,
            Some("ValidationException") => TableError::Invalid(format!(
                "DynamoDB refused {operation}: {}",
                err.message().unwrap_or("validation error")
            )),
            _ => TableError::Unavailable(
                anyhow::Error::new(err).context(format!("DynamoDB {operation} on table {}", self.table)),
            ),
        }
    }

    /// The items found under at most [`BATCH_GET_KEYS`] distinct keys, in any order: one
    /// `BatchGetItem`, and again for the keys it left unprocessed (throttling, an answer over
    /// 16 MB), with a jittered backoff, a few times.
    async fn batch_get(&self, keys: &[&Key]) -> Result<Vec<Item>, TableError> {
        let mut pending: Vec<Attributes> = keys.iter().map(|k| key_attributes(k)).collect();
        let mut items = Vec::with_capacity(pending.len());
        let mut retry = 0;
        loop {
            let request = KeysAndAttributes::builder()
                .set_keys(Some(pending))
                .consistent_read(true)
                .build()
                .map_err(build_error)?;
            let output = self
                .client
                .batch_get_item()
                .request_items(&self.table, request)
                .send()
                .await
                .map_err(|e| self.error("BatchGetItem", e))?;
            for attributes in output.responses.and_then(|mut r| r.remove(&self.table)).unwrap_or_default() {
                items.push(from_attributes(attributes)?);
            }
            pending =
                output.unprocessed_keys.and_then(|mut u| u.remove(&self.table)).map(|k| k.keys).unwrap_or_default();
            if pending.is_empty() {
                return Ok(items);
            }
            if retry == BATCH_GET_RETRIES {
                return Err(TableError::Unavailable(anyhow::anyhow!(
                    "DynamoDB left {} keys of a BatchGetItem on table {} unprocessed after {retry} retries",
                    pending.len(),
                    self.table
                )));
            }
            tokio::time::sleep(backoff(retry)).await;
            retry += 1;
        }
    }

    /// One write of a transaction as the SDK takes it.
    /// The `Update` of a transaction adding to counters (`Write::Add`, `Write::AddAll`).
    fn counter_update(&self, key: &Key, u: Expression) -> Result<Update, TableError> {
        Update::builder()
            .table_name(&self.table)
            .set_key(Some(key_attributes(key)))
            .set_update_expression(u.text)
            .set_expression_attribute_names(u.names)
            .set_expression_attribute_values(u.values)
            .build()
            .map_err(build_error)
    }

    fn transact_item(&self, write: Write) -> Result<TransactWriteItem, TableError> {
        let item = TransactWriteItem::builder();
        let item = match write {
            Write::Put { item: attributes, condition } => {
                let c = Expression::condition(&condition);
                item.put(
                    Put::builder()
                        .table_name(&self.table)
                        .set_item(Some(to_attributes(attributes)))
                        .set_condition_expression(c.text)
                        .set_expression_attribute_names(c.names)
                        .set_expression_attribute_values(c.values)
                        .build()
                        .map_err(build_error)?,
                )
            }
            Write::Delete { key, condition } => {
                let c = Expression::condition(&condition);
                item.delete(
                    Delete::builder()
                        .table_name(&self.table)
                        .set_key(Some(key_attributes(&key)))
                        .set_condition_expression(c.text)
                        .set_expression_attribute_names(c.names)
                        .set_expression_attribute_values(c.values)
                        .build()
                        .map_err(build_error)?,
                )
            }
            Write::Add { key, attr, delta } => item.update(self.counter_update(&key, Expression::add(&attr, delta))?),
            Write::AddAll { key, deltas } => {
                check_deltas(&deltas)?;
                item.update(self.counter_update(&key, Expression::add_all(&deltas))?)
            }
            Write::Check { key, condition } => {
                let c = Expression::check(&condition);
                item.condition_check(
                    ConditionCheck::builder()
                        .table_name(&self.table)
                        .set_key(Some(key_attributes(&key)))
                        .set_condition_expression(c.text)
                        .set_expression_attribute_names(c.names)
                        .set_expression_attribute_values(c.values)
                        .build()
                        .map_err(build_error)?,
                )
            }
        };
        Ok(item.build())
    }
}

#[async_trait]
impl Table for DynamoTable {
    async fn get(&self, key: &Key) -> Result<Option<Item>, TableError> {
        let output = self
            .client
            .get_item()
            .table_name(&self.table)
            .set_key(Some(key_attributes(key)))
            .consistent_read(true)
            .send()
            .await
            .map_err(|e| self.error("GetItem", e))?;
        output.item.map(from_attributes).transpose()
    }

    async fn get_many(&self, keys: &[Key]) -> Result<Vec<Option<Item>>, TableError> {
        // DynamoDB refuses a key twice in one request; the requests of 100 keys go together.
        let mut seen = HashSet::new();
        let distinct: Vec<&Key> = keys.iter().filter(|k| seen.insert(*k)).collect();
        let batches = distinct.chunks(BATCH_GET_KEYS).map(|batch| self.batch_get(batch));
        let mut found = HashMap::new();
        for item in futures::future::try_join_all(batches).await?.into_iter().flatten() {
            found.insert(key_of(&item)?, item);
        }
        Ok(keys.iter().map(|k| found.get(k).cloned()).collect())
    }

    async fn put(&self, item: Item, condition: Condition) -> Result<(), TableError> {
        key_of(&item)?;
        let c = Expression::condition(&condition);
        self.client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(to_attributes(item)))
            .set_condition_expression(c.text)
            .set_expression_attribute_names(c.names)
            .set_expression_attribute_values(c.values)
            .send()
            .await
            .map_err(|e| self.error("PutItem", e))?;
        Ok(())
    }

    async fn delete(&self, key: &Key, condition: Condition) -> Result<(), TableError> {
        let c = Expression::condition(&condition);
        self.client
            .delete_item()
            .table_name(&self.table)
            .set_key(Some(key_attributes(key)))
            .set_condition_expression(c.text)
            .set_expression_attribute_names(c.names)
            .set_expression_attribute_values(c.values)
            .send()
            .await
            .map_err(|e| self.error("DeleteItem", e))?;
        Ok(())
    }

    async fn add(&self, key: &Key, attr: &str, delta: i64) -> Result<i64, TableError> {
        let u = Expression::add(attr, delta);
        let output = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(key_attributes(key)))
            .set_update_expression(u.text)
            .set_expression_attribute_names(u.names)
            .set_expression_attribute_values(u.values)
            .return_values(ReturnValue::UpdatedNew)
            .send()
            .await
            .map_err(|e| self.error("UpdateItem", e))?;
        // DynamoDB counts on 38 digits: a counter past the i64 range (or a float one) has been
        // updated, but cannot be returned.
        match output.attributes.as_ref().and_then(|a| a.get(attr)) {
            Some(AttributeValue::N(n)) => {
                n.parse().map_err(|_| TableError::Invalid(format!("attribute {attr} is not an i64 (it is {n})")))
            }
            _ => Err(corrupt(format!("UpdateItem did not return the new value of {attr}"))),
        }
    }

    async fn query(&self, query: Query) -> Result<Page, TableError> {
        let limit = query.limit.max(1);
        let mut start = query.cursor.as_ref().map(|c| decode_cursor(&query, c)).transpose()?;
        let Some(condition) = Expression::key_condition(&query) else {
            return Ok(Page::default());
        };
        let mut items = Vec::new();
        loop {
            // One item more than the page holds: the page has a cursor only when an item follows.
            let wanted = (limit - items.len()).saturating_add(1);
            let output = self
                .client
                .query()
                .table_name(&self.table)
                .set_index_name(query.index.map(|i| i.name().to_owned()))
                .set_consistent_read(query.index.is_none().then_some(true))
                .set_key_condition_expression(condition.text.clone())
                .set_expression_attribute_names(condition.names.clone())
                .set_expression_attribute_values(condition.values.clone())
                .scan_index_forward(query.forward)
                .limit(i32::try_from(wanted).unwrap_or(i32::MAX))
                .set_exclusive_start_key(start.take())
                .send()
                .await
                .map_err(|e| self.error("Query", e))?;
            for item in output.items.unwrap_or_default() {
                items.push(from_attributes(item)?);
            }
            // DynamoDB may stop a response before the limit (at 1 MB): read on from there.
            start = output.last_evaluated_key;
            if items.len() > limit || start.is_none() {
                break;
            }
        }
        let cursor = if items.len() > limit {
            items.truncate(limit);
            items.last().map(|last| encode_cursor(query.index, last)).transpose()?
        } else {
            None
        };
        Ok(Page { items, cursor })
    }

    async fn scan(&self, cursor: Option<Cursor>, limit: usize) -> Result<Page, TableError> {
        let start = cursor.as_ref().map(decode_scan_cursor).transpose()?;
        let output = self
            .client
            .scan()
            .table_name(&self.table)
            .consistent_read(true)
            .limit(i32::try_from(limit.max(1)).unwrap_or(i32::MAX))
            .set_exclusive_start_key(start)
            .send()
            .await
            .map_err(|e| self.error("Scan", e))?;
        let items = output.items.unwrap_or_default().into_iter().map(from_attributes).collect::<Result<Vec<_>, _>>()?;
        // DynamoDB says where it stopped (at the limit or at 1 MB); the next page starts there.
        let cursor = match output.last_evaluated_key {
            Some(key) => {
                let key = key_attrs(None)
                    .into_iter()
                    .map(|attr| match key.get(attr) {
                        Some(AttributeValue::S(v)) => Ok((attr.to_owned(), v.clone())),
                        _ => Err(corrupt(format!("a scan stopped at a key with no string {attr}"))),
                    })
                    .collect::<Result<_, _>>()?;
                Some(cursor_of(&CursorData { index: Some(SCAN.to_owned()), key })?)
            }
            None => None,
        };
        Ok(Page { items, cursor })
    }

    async fn transact_write(&self, writes: Vec<Write>) -> Result<(), TableError> {
        if writes.is_empty() {
            return Ok(());
        }
        if writes.len() > MAX_TRANSACTION_WRITES {
            return Err(TableError::Invalid(format!(
                "{} writes in one transaction (at most {MAX_TRANSACTION_WRITES})",
                writes.len()
            )));
        }
        let mut seen = HashSet::new();
        for write in &writes {
            let key = write.key().ok_or_else(missing_key)?;
            if !seen.insert(key) {
                return Err(TableError::Invalid("two writes on the same item in one transaction".into()));
            }
        }
        let items = writes.into_iter().map(|w| self.transact_item(w)).collect::<Result<Vec<_>, _>>()?;
        let mut retry = 0;
        loop {
            let result = self
                .client
                .transact_write_items()
                .set_transact_items(Some(items.clone()))
                // Makes the SDK's own retries of this attempt idempotent (an `ADD` counts once).
                .client_request_token(uuid::Uuid::new_v4().to_string())
                .send()
                .await;
            let err = match result {
                Ok(_) => return Ok(()),
                Err(err) => err,
            };
            let Some(TransactWriteItemsError::TransactionCanceledException(cancelled)) = err.as_service_error() else {
                return Err(self.error("TransactWriteItems", err));
            };
            let codes: Vec<&str> =
                cancelled.cancellation_reasons().iter().map(|r| r.code().unwrap_or("None")).collect();
            let (cancellation, reasons) = (Cancellation::of(&codes), codes.join(", "));
            match cancellation {
                Cancellation::Conditions(failed) => return Err(TableError::TransactionCancelled { failed }),
                Cancellation::Invalid => {
                    return Err(TableError::Invalid(format!("DynamoDB refused the transaction ({reasons})")));
                }
                Cancellation::Transient if retry < TRANSACTION_RETRIES => {}
                Cancellation::Transient | Cancellation::Other => {
                    return Err(TableError::Unavailable(
                        anyhow::Error::new(err)
                            .context(format!("DynamoDB cancelled the transaction on table {} ({reasons})", self.table)),
                    ));
                }
            }
            tokio::time::sleep(backoff(retry)).await;
            retry += 1;
        }
    }
}

/// What the reasons of a cancelled transaction (one code per write, in order, `None` for the
/// writes not at fault) call for.
#[derive(Debug, PartialEq)]
enum Cancellation {
    /// The conditions of these writes failed.
    Conditions(Vec<usize>),
    /// A write is malformed (adding to a string, an item too large).
    Invalid,
    /// A conflict with another transaction, or throttling: trying again may succeed.
    Transient,
    /// Anything else.
    Other,
}

impl Cancellation {
    fn of(codes: &[&str]) -> Self {
        let failed: Vec<usize> = (0..codes.len()).filter(|&i| codes[i] == "ConditionalCheckFailed").collect();
        if !failed.is_empty() {
            Cancellation::Conditions(failed)
        } else if codes.contains(&"ValidationError") {
            Cancellation::Invalid
        } else if codes
            .iter()
            .any(|c| matches!(*c, "TransactionConflict" | "ThrottlingError" | "ProvisionedThroughputExceeded"))
        {
            Cancellation::Transient
        } else {
            Cancellation::Other
        }
    }
}

/// The pause before retry `retry` (from 0) of a cancelled transaction: exponential, jittered so
/// that conflicting writers do not meet again.
fn backoff(retry: u32) -> Duration {
    let ceiling = TRANSACTION_BACKOFF.saturating_mul(2u32.saturating_pow(retry));
    ceiling.mul_f64(rand::random_range(0.5..=1.0))
}

// ---------------------------------------------------------------------------------------------
// Expressions
// ---------------------------------------------------------------------------------------------

/// The attribute name and value placeholders of a request's expressions.
#[derive(Default)]
struct Placeholders {
    names: HashMap<String, String>,
    values: Attributes,
}

impl Placeholders {
    /// A placeholder for the attribute name (one per name, reused).
    fn name(&mut self, attr: &str) -> String {
        if let Some((placeholder, _)) = self.names.iter().find(|(_, a)| *a == attr) {
            return placeholder.clone();
        }
        let placeholder = format!("#n{}", self.names.len());
        self.names.insert(placeholder.clone(), attr.to_owned());
        placeholder
    }

    /// A placeholder for the value.
    fn value(&mut self, value: AttributeValue) -> String {
        let placeholder = format!(":v{}", self.values.len());
        self.values.insert(placeholder.clone(), value);
        placeholder
    }

    fn string(&mut self, value: &str) -> String {
        self.value(AttributeValue::S(value.to_owned()))
    }
}

/// An expression with its placeholders, as a request takes them.
struct Expression {
    /// `None` for an unconditional write.
    text: Option<String>,
    /// Absent when empty, as DynamoDB refuses empty maps.
    names: Option<HashMap<String, String>>,
    values: Option<Attributes>,
}

impl Expression {
    fn new(text: Option<String>, placeholders: Placeholders) -> Self {
        let Placeholders { names, values } = placeholders;
        Self { text, names: (!names.is_empty()).then_some(names), values: (!values.is_empty()).then_some(values) }
    }

    /// The condition of a put or a delete.
    fn condition(condition: &Condition) -> Self {
        let mut placeholders = Placeholders::default();
        let text = condition_text(condition, &mut placeholders);
        Self::new(text, placeholders)
    }

    /// The condition of a transaction's check, which needs one: without a condition, one that
    /// always holds, so that the check keeps its place (and the writes their indexes).
    fn check(condition: &Condition) -> Self {
        let mut placeholders = Placeholders::default();
        let text = condition_text(condition, &mut placeholders).unwrap_or_else(|| {
            let pk = placeholders.name(PK);
            format!("attribute_exists({pk}) OR attribute_not_exists({pk})")
        });
        Self::new(Some(text), placeholders)
    }

    /// The update adding `delta` to `attr` (from 0 when absent, creating the item if needed).
    fn add(attr: &str, delta: i64) -> Self {
        Self::add_all(&[(attr.to_owned(), delta)])
    }

    /// `ADD #a :x, #b :y`: every counter of one item in one update.
    fn add_all(deltas: &[(String, i64)]) -> Self {
        let mut placeholders = Placeholders::default();
        let clauses: Vec<String> = deltas
            .iter()
            .map(|(attr, delta)| {
                let name = placeholders.name(attr);
                format!("{name} {}", placeholders.value(AttributeValue::N(delta.to_string())))
            })
            .collect();
        Self::new(Some(format!("ADD {}", clauses.join(", "))), placeholders)
    }

    /// The key condition of a query, or `None` when no item can match. DynamoDB refuses empty
    /// key values and a `BETWEEN` with reversed bounds, where SQLite finds nothing (or, for an
    /// empty prefix, every item): those cases are settled here.
    fn key_condition(query: &Query) -> Option<Self> {
        let (pk_attr, sk_attr) = match query.index {
            None => (PK, SK),
            Some(index) => (index.pk_attr(), index.sk_attr()),
        };
        if query.pk.is_empty() {
            return None;
        }
        let mut p = Placeholders::default();
        let mut text = format!("{} = {}", p.name(pk_attr), p.string(&query.pk));
        match &query.sk {
            None => {}
            Some(SortKey::Eq(v)) if v.is_empty() => return None,
            Some(SortKey::Eq(v)) => text += &format!(" AND {} = {}", p.name(sk_attr), p.string(v)),
            Some(SortKey::BeginsWith(prefix)) if prefix.is_empty() => {}
            Some(SortKey::BeginsWith(prefix)) => {
                text += &format!(" AND begins_with({}, {})", p.name(sk_attr), p.string(prefix));
            }
            Some(SortKey::Between(low, high)) if low > high || high.is_empty() => return None,
            Some(SortKey::Between(low, high)) if low.is_empty() => {
                text += &format!(" AND {} <= {}", p.name(sk_attr), p.string(high));
            }
            Some(SortKey::Between(low, high)) => {
                let sk = p.name(sk_attr);
                text += &format!(" AND {sk} BETWEEN {} AND {}", p.string(low), p.string(high));
            }
        }
        Some(Self::new(Some(text), p))
    }
}

/// The condition expression of a write, or `None` for an unconditional one: the only place a
/// [`Condition`] becomes an expression.
fn condition_text(condition: &Condition, placeholders: &mut Placeholders) -> Option<String> {
    match condition {
        Condition::None => None,
        Condition::NotExists => Some(format!("attribute_not_exists({})", placeholders.name(PK))),
        Condition::Exists => Some(format!("attribute_exists({})", placeholders.name(PK))),
        Condition::Equals(attr, value) => {
            let name = placeholders.name(attr);
            Some(format!("{name} = {}", placeholders.value(to_attribute(value.clone()))))
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Cursors
// ---------------------------------------------------------------------------------------------

/// What a cursor holds: the queried index, and the key of the page's last item in the table and
/// in that index (DynamoDB's `ExclusiveStartKey`).
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct CursorData {
    index: Option<String>,
    key: BTreeMap<String, String>,
}

/// The attributes of an item's key in the table and, for a query of an index, in the index.
fn key_attrs(index: Option<Index>) -> Vec<&'static str> {
    let mut attrs = vec![PK, SK];
    if let Some(index) = index {
        attrs.extend([index.pk_attr(), index.sk_attr()]);
    }
    attrs
}

fn encode_cursor(index: Option<Index>, last: &Item) -> Result<Cursor, TableError> {
    let key = key_attrs(index)
        .into_iter()
        .map(|attr| match last.get(attr) {
            Some(Value::String(v)) => Ok((attr.to_owned(), v.clone())),
            _ => Err(corrupt(format!("a queried item has no string {attr}"))),
        })
        .collect::<Result<_, _>>()?;
    cursor_of(&CursorData { index: index.map(|i| i.name().to_owned()), key })
}

/// The `index` a scan's cursor names, so that no query takes it (and no scan a query's).
const SCAN: &str = "(scan)";

fn cursor_of(data: &CursorData) -> Result<Cursor, TableError> {
    let json = serde_json::to_vec(data).map_err(|e| corrupt(format!("encoding a cursor: {e}")))?;
    Ok(Cursor(URL_SAFE_NO_PAD.encode(json)))
}

/// The start key a scan's cursor holds.
fn decode_scan_cursor(cursor: &Cursor) -> Result<Attributes, TableError> {
    let invalid = || TableError::Invalid("invalid cursor".into());
    let json = URL_SAFE_NO_PAD.decode(&cursor.0).map_err(|_| invalid())?;
    let data: CursorData = serde_json::from_slice(&json).map_err(|_| invalid())?;
    let attrs = key_attrs(None);
    if data.index.as_deref() != Some(SCAN)
        || data.key.len() != attrs.len()
        || !attrs.iter().all(|a| data.key.get(*a).is_some_and(|v| !v.is_empty()))
    {
        return Err(invalid());
    }
    Ok(data.key.into_iter().map(|(attr, v)| (attr, AttributeValue::S(v))).collect())
}

/// The start key a cursor holds, if this adapter issued it for a query of the same index and
/// partition.
fn decode_cursor(query: &Query, cursor: &Cursor) -> Result<Attributes, TableError> {
    let invalid = || TableError::Invalid("invalid cursor".into());
    let json = URL_SAFE_NO_PAD.decode(&cursor.0).map_err(|_| invalid())?;
    let data: CursorData = serde_json::from_slice(&json).map_err(|_| invalid())?;
    let attrs = key_attrs(query.index);
    let partition = query.index.map_or(PK, Index::pk_attr);
    if data.index.as_deref() != query.index.map(Index::name)
        || data.key.len() != attrs.len()
        || !attrs.iter().all(|a| data.key.get(*a).is_some_and(|v| !v.is_empty()))
        || data.key.get(partition) != Some(&query.pk)
    {
        return Err(invalid());
    }
    Ok(data.key.into_iter().map(|(attr, v)| (attr, AttributeValue::S(v))).collect())
}

// ---------------------------------------------------------------------------------------------
// Items
// ---------------------------------------------------------------------------------------------

fn to_attribute(value: Value) -> AttributeValue {
    match value {
        Value::Null => AttributeValue::Null(true),
        Value::Bool(b) => AttributeValue::Bool(b),
        Value::Number(n) => AttributeValue::N(n.to_string()),
        Value::String(s) => AttributeValue::S(s),
        Value::Array(values) => AttributeValue::L(values.into_iter().map(to_attribute).collect()),
        Value::Object(map) => AttributeValue::M(to_attributes(map)),
    }
}

fn to_attributes(item: Item) -> Attributes {
    item.into_iter().map(|(name, value)| (name, to_attribute(value))).collect()
}

fn from_attribute(value: AttributeValue) -> Result<Value, TableError> {
    Ok(match value {
        AttributeValue::S(s) => Value::String(s),
        AttributeValue::N(n) => Value::Number(parse_number(&n)?),
        AttributeValue::Bool(b) => Value::Bool(b),
        AttributeValue::Null(_) => Value::Null,
        AttributeValue::L(values) => Value::Array(values.into_iter().map(from_attribute).collect::<Result<_, _>>()?),
        AttributeValue::M(map) => Value::Object(from_attributes(map)?),
        _ => return Err(corrupt("an attribute is binary or a set, which the table does not store".into())),
    })
}

fn from_attributes(attributes: Attributes) -> Result<Item, TableError> {
    attributes.into_iter().map(|(name, value)| Ok((name, from_attribute(value)?))).collect()
}

/// A DynamoDB number as JSON: an `i64`, else a `u64`, else an `f64`.
fn parse_number(n: &str) -> Result<Number, TableError> {
    if let Ok(i) = n.parse::<i64>() {
        return Ok(i.into());
    }
    if let Ok(u) = n.parse::<u64>() {
        return Ok(u.into());
    }
    n.parse::<f64>().ok().and_then(Number::from_f64).ok_or_else(|| corrupt(format!("number {n} out of range")))
}

fn key_attributes(key: &Key) -> Attributes {
    HashMap::from([
        (PK.to_owned(), AttributeValue::S(key.pk.clone())),
        (SK.to_owned(), AttributeValue::S(key.sk.clone())),
    ])
}

fn key_of(item: &Item) -> Result<Key, TableError> {
    item_key(item).ok_or_else(missing_key)
}

fn missing_key() -> TableError {
    TableError::Invalid("an item needs string PK and SK attributes".into())
}

/// An answer of DynamoDB the adapter cannot read.
fn corrupt(message: String) -> TableError {
    TableError::Unavailable(anyhow::anyhow!("unexpected DynamoDB data: {message}"))
}

fn build_error(e: BuildError) -> TableError {
    TableError::Unavailable(anyhow::Error::new(e).context("building a DynamoDB request"))
}

// ---------------------------------------------------------------------------------------------
// Table creation
// ---------------------------------------------------------------------------------------------

fn string_attribute(name: &str) -> Result<AttributeDefinition, BuildError> {
    AttributeDefinition::builder().attribute_name(name).attribute_type(ScalarAttributeType::S).build()
}

fn key_element(name: &str, key_type: KeyType) -> Result<KeySchemaElement, BuildError> {
    KeySchemaElement::builder().attribute_name(name).key_type(key_type).build()
}

/// Turns expiry on for the `ttl` attribute unless it is on; warns and goes on when the service
/// (an emulator) does not support it.
async fn enable_ttl(client: &Client, table_name: &str) -> anyhow::Result<()> {
    let current = match client.describe_time_to_live().table_name(table_name).send().await {
        Ok(output) => output.time_to_live_description,
        Err(e) if unsupported(&e) => return skip_ttl(table_name, &e),
        Err(e) => return Err(anyhow::Error::new(e).context(format!("reading the expiry of {table_name}"))),
    };
    let enabled = current.is_some_and(|d| {
        d.attribute_name.as_deref() == Some(TTL_ATTR)
            && matches!(d.time_to_live_status, Some(TimeToLiveStatus::Enabled | TimeToLiveStatus::Enabling))
    });
    if enabled {
        return Ok(());
    }
    let specification = TimeToLiveSpecification::builder().enabled(true).attribute_name(TTL_ATTR).build()?;
    match client.update_time_to_live().table_name(table_name).time_to_live_specification(specification).send().await {
        Ok(_) => Ok(()),
        Err(e) if unsupported(&e) => skip_ttl(table_name, &e),
        Err(e) => Err(anyhow::Error::new(e).context(format!("enabling expiry on {table_name}"))),
    }
}

/// Whether an error says the operation is not supported (by an emulator).
fn unsupported(err: &impl ProvideErrorMetadata) -> bool {
    let message = err.message().unwrap_or_default().to_ascii_lowercase();
    matches!(err.code(), Some("UnknownOperationException" | "NotImplemented" | "NotImplementedException"))
        || message.contains("not supported")
        || message.contains("not implemented")
}

/// Goes on without expiry, which the service does not support, with a warning.
fn skip_ttl(table_name: &str, err: &impl ProvideErrorMetadata) -> anyhow::Result<()> {
    tracing::warn!(table = table_name, error = ?err.message(), "the DynamoDB service does not support expiry (TTL)");
    Ok(())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)] // Test code: a failed step is a failed check.

    use super::*;

    #[test]
    fn cancellation_reasons_name_failed_conditions_first_then_refusals_then_transient_causes() {
        let of = |codes: &[&str]| Cancellation::of(codes);
        assert_eq!(
            of(&["None", "ConditionalCheckFailed", "TransactionConflict", "ConditionalCheckFailed"]),
            Cancellation::Conditions(vec![1, 3])
        );
        assert_eq!(of(&["ValidationError", "None"]), Cancellation::Invalid);
        assert_eq!(of(&["None", "TransactionConflict"]), Cancellation::Transient);
        assert_eq!(of(&["ThrottlingError"]), Cancellation::Transient);
        assert_eq!(of(&["ItemCollectionSizeLimitExceeded"]), Cancellation::Other);
        assert_eq!(of(&[]), Cancellation::Other);
    }

    #[test]
    fn conditions_and_key_conditions_use_placeholders_only() {
        let equals = Expression::condition(&Condition::equals("state", "open"));
        assert_eq!(equals.text.as_deref(), Some("#n0 = :v0"));
        assert_eq!(equals.names, Some(HashMap::from([("#n0".into(), "state".into())])));
        assert_eq!(equals.values, Some(HashMap::from([(":v0".into(), AttributeValue::S("open".into()))])));
        let none = Expression::condition(&Condition::None);
        assert!(none.text.is_none() && none.names.is_none() && none.values.is_none(), "no empty maps");
        let check = Expression::check(&Condition::None);
        assert_eq!(check.text.as_deref(), Some("attribute_exists(#n0) OR attribute_not_exists(#n0)"));
        assert!(check.values.is_none());

        let between = Query::index(Index::Gsi2, "P").sk(SortKey::Between("a".into(), "b".into()));
        let between = Expression::key_condition(&between).unwrap();
        assert_eq!(between.text.as_deref(), Some("#n0 = :v0 AND #n1 BETWEEN :v1 AND :v2"));
        assert_eq!(between.names.unwrap()["#n1"], "GSI2SK");
        assert!(Expression::key_condition(&Query::table("P").sk(SortKey::Between("b".into(), "a".into()))).is_none());
    }

    #[test]
    fn numbers_parse_as_integers_before_floats() {
        assert_eq!(parse_number("-3").unwrap(), Number::from(-3));
        assert_eq!(parse_number("18446744073709551615").unwrap(), Number::from(u64::MAX));
        assert_eq!(parse_number("1.5").unwrap(), Number::from_f64(1.5).unwrap());
        assert_eq!(parse_number("1E+20").unwrap(), Number::from_f64(1e20).unwrap());
        assert!(parse_number("not a number").is_err());
    }
}
