//! The counting decorators around the hub's ports (`Table`, `ObjectStore`, `Mailer`), and the
//! router's layer that counts HTTP requests per route. Each forwards to the embedded adapter
//! and reports what the call would cost on AWS to the meter.

use std::{ops::Range, sync::Arc, time::Duration};

use async_trait::async_trait;
use axum::{
    body::Body,
    extract::{MatchedPath, Request, State},
    middleware::Next,
    response::Response,
};
use hubee_shared::ports::{
    ByteStream, Condition, Cursor, Email, Item, Key, MailError, Mailer, ObjectBody, ObjectError, ObjectInfo, ObjectKey,
    ObjectStore, Page, PresignMethod, PutCheck, Query, Table, TableError, Write,
};

use crate::{
    dynamo::{account_write, item_size, json_size},
    meter::{Counts, Meter, STATIC},
};

/// Lets the other table calls of a request that were issued together with this one start
/// before it can answer: the embedded table may answer a call before the next one of a
/// `join` is polled, which would count two round trips where DynamoDB takes one.
async fn started() {
    tokio::task::yield_now().await;
}

/// What a strongly consistent read of one item costs: 1 RRU per 4 KB, 1 for a missing item.
fn account_read(c: &mut Counts, item: Option<&Item>) {
    match item {
        Some(item) => {
            let size = item_size(item);
            c.read_item_bytes += size as f64;
            c.read_json_bytes += json_size(item) as f64;
            c.rru += size.div_ceil(4096).max(1) as f64;
        }
        None => {
            c.db_get_missed += 1.0;
            c.rru += 1.0;
        }
    }
}

pub struct MeteredTable {
    pub inner: Arc<dyn Table>,
    pub meter: Arc<Meter>,
}

#[async_trait]
impl Table for MeteredTable {
    async fn get(&self, key: &Key) -> Result<Option<Item>, TableError> {
        let call = self.meter.table_call();
        started().await;
        let r = self.inner.get(key).await;
        drop(call);
        if let Ok(found) = &r {
            self.meter.record(|c, _| {
                c.db_get += 1.0;
                account_read(c, found.as_ref());
            });
        }
        r
    }

    async fn get_many(&self, keys: &[Key]) -> Result<Vec<Option<Item>>, TableError> {
        let call = self.meter.table_call();
        started().await;
        let r = self.inner.get_many(keys).await;
        drop(call);
        if let Ok(found) = &r {
            self.meter.record(|c, _| {
                // One BatchGetItem per 100 distinct keys, sent together; each item read costs
                // as a GetItem of it would.
                let distinct: std::collections::HashSet<&Key> = keys.iter().collect();
                c.db_batch_get += distinct.len().div_ceil(100) as f64;
                c.db_batch_get_keys += distinct.len() as f64;
                let mut counted = std::collections::HashSet::new();
                for (key, item) in keys.iter().zip(found) {
                    if counted.insert(key) {
                        account_read(c, item.as_ref());
                    }
                }
            });
        }
        r
    }

    async fn put(&self, item: Item, condition: Condition) -> Result<(), TableError> {
        let write = Write::Put { item: item.clone(), condition: condition.clone() };
        let call = self.meter.table_call();
        started().await;
        let r = self.inner.put(item, condition).await;
        drop(call);
        self.meter.record(|c, st| {
            c.db_put += 1.0;
            account_write(c, st, &write, false, r.is_ok());
        });
        r
    }

    async fn delete(&self, key: &Key, condition: Condition) -> Result<(), TableError> {
        let write = Write::Delete { key: key.clone(), condition: condition.clone() };
        let call = self.meter.table_call();
        started().await;
        let r = self.inner.delete(key, condition).await;
        drop(call);
        self.meter.record(|c, st| {
            c.db_delete += 1.0;
            account_write(c, st, &write, false, r.is_ok());
        });
        r
    }

    async fn add(&self, key: &Key, attr: &str, delta: i64) -> Result<i64, TableError> {
        let call = self.meter.table_call();
        started().await;
        let r = self.inner.add(key, attr, delta).await;
        drop(call);
        let write = Write::Add { key: key.clone(), attr: attr.to_owned(), delta };
        self.meter.record(|c, st| {
            c.db_add += 1.0;
            account_write(c, st, &write, false, r.is_ok());
        });
        r
    }

    /// Not metered: a maintenance read, which no route the model drives makes.
    async fn scan(&self, cursor: Option<Cursor>, limit: usize) -> Result<Page, TableError> {
        self.inner.scan(cursor, limit).await
    }

    async fn query(&self, query: Query) -> Result<Page, TableError> {
        let index = query.index;
        let call = self.meter.table_call();
        started().await;
        let r = self.inner.query(query).await;
        drop(call);
        if let Ok(page) = &r {
            self.meter.record(|c, _| {
                c.db_query += 1.0;
                c.db_query_items += page.items.len() as f64;
                let sizes: Vec<usize> = page.items.iter().map(item_size).collect();
                let mut read: usize = sizes.iter().sum();
                // The adapter reads one item past a full page to know whether one follows.
                if page.cursor.is_some() && !sizes.is_empty() {
                    read += read / sizes.len();
                }
                c.read_item_bytes += read as f64;
                c.read_json_bytes += page.items.iter().map(json_size).sum::<usize>() as f64;
                let units = read.div_ceil(4096).max(1) as f64;
                if index.is_some() {
                    // Indexes are read eventually consistent: half a unit per 4 KB.
                    c.db_query_gsi += 1.0;
                    c.rru += units / 2.0;
                } else {
                    c.rru += units;
                }
            });
        }
        r
    }

    async fn transact_write(&self, writes: Vec<Write>) -> Result<(), TableError> {
        let copy = writes.clone();
        let call = self.meter.table_call();
        started().await;
        let r = self.inner.transact_write(writes).await;
        drop(call);
        self.meter.record(|c, st| {
            c.db_transact += 1.0;
            c.db_transact_writes += copy.iter().filter(|w| !matches!(w, Write::Check { .. })).count() as f64;
            for w in &copy {
                account_write(c, st, w, true, r.is_ok());
            }
        });
        r
    }
}

pub struct MeteredObjects {
    pub inner: Arc<dyn ObjectStore>,
    pub meter: Arc<Meter>,
}

/// `seal` is left to the port's default (a `get` and a `put`, both counted): the embedded
/// store does not override it either.
#[async_trait]
impl ObjectStore for MeteredObjects {
    async fn put(
        &self,
        key: &ObjectKey,
        content_type: &str,
        body: ByteStream,
        check: PutCheck,
    ) -> Result<ObjectInfo, ObjectError> {
        let r = self.inner.put(key, content_type, body, check).await;
        self.meter.record(|c, st| {
            // One PutObject up to the adapter's 8 MiB part size (a multipart upload above).
            c.s3_put += 1.0;
            if let Ok(info) = &r {
                c.s3_put_bytes += info.size as f64;
                st.objects.insert(key.as_str().to_owned(), info.size);
            }
        });
        r
    }

    async fn get(&self, key: &ObjectKey, range: Option<Range<u64>>) -> Result<ObjectBody, ObjectError> {
        let r = self.inner.get(key, range).await;
        self.meter.record(|c, _| {
            c.s3_get += 1.0;
            if let Ok(body) = &r {
                c.s3_get_bytes += (body.range.end - body.range.start) as f64;
            }
        });
        r
    }

    async fn head(&self, key: &ObjectKey) -> Result<ObjectInfo, ObjectError> {
        let r = self.inner.head(key).await;
        self.meter.record(|c, _| c.s3_head += 1.0);
        r
    }

    async fn delete(&self, key: &ObjectKey) -> Result<(), ObjectError> {
        let r = self.inner.delete(key).await;
        self.meter.record(|c, st| {
            c.s3_delete += 1.0;
            st.objects.remove(key.as_str());
        });
        r
    }

    async fn presign(
        &self,
        key: &ObjectKey,
        method: PresignMethod,
        expires_in: Duration,
    ) -> Result<String, ObjectError> {
        let r = self.inner.presign(key, method, expires_in).await;
        self.meter.record(|c, _| c.s3_presign += 1.0);
        r
    }

    async fn presign_download(
        &self,
        key: &ObjectKey,
        content_disposition: &str,
        expires_in: Duration,
    ) -> Result<String, ObjectError> {
        let r = self.inner.presign_download(key, content_disposition, expires_in).await;
        self.meter.record(|c, _| c.s3_presign += 1.0);
        r
    }
}

pub struct MeteredMailer {
    pub inner: Arc<dyn Mailer>,
    pub meter: Arc<Meter>,
}

#[async_trait]
impl Mailer for MeteredMailer {
    async fn send(&self, email: &Email) -> Result<String, MailError> {
        let r = self.inner.send(email).await;
        self.meter.record(|c, _| {
            c.mails += 1.0;
            c.mail_bytes += (email.subject.len() + email.text.len() + email.html.len()) as f64;
        });
        r
    }
}

/// The router's layer: one API Gateway request and one Lambda invocation per routed request.
/// The response is read whole here, so that its time and size are the handler's.
pub async fn metered(State(meter): State<Arc<Meter>>, request: Request, next: Next) -> Response {
    let route = match request.extensions().get::<MatchedPath>() {
        Some(path) => format!("{} {}", request.method(), path.as_str()),
        None => STATIC.to_owned(),
    };
    let req_bytes = request.headers().get("content-length").and_then(|v| v.to_str().ok()?.parse().ok()).unwrap_or(0);
    let flight = meter.begin(&route);
    let response = next.run(request).await;
    let (parts, body) = response.into_parts();
    let bytes = axum::body::to_bytes(body, usize::MAX).await.unwrap_or_default();
    meter.end(flight, Some((parts.status.as_u16(), req_bytes, bytes.len() as u64)));
    Response::from_parts(parts, Body::from(bytes))
}
