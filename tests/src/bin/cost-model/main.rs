//! Cost model: what one dossier costs in requests to each AWS service, measured on the local
//! hub with counting decorators around its ports (docs/COST.md turns the counts into money).
//!
//! The hub's `AppState` is built around decorators of the embedded `Table`, `ObjectStore` and
//! `Mailer` that count every call (and the DynamoDB request units it would consume, from the
//! items' sizes); a layer on the router counts the HTTP requests per route (one API Gateway
//! request and one Lambda invocation each), their time and their bytes. The driver replays
//! realistic lifecycles over HTTP:
//!
//! - API mode: the operator deposits a folder (one case, two PDFs of 219,619 bytes: the CERTDC
//!   kit's death certificate, twice), the dispatcher sends the e-mail (as the table's stream
//!   triggers it on AWS), the mairie's software lists its notifications, reads the case,
//!   downloads both files, posts two
//!   STATUS_UPDATE events and deletes its notification; the operator then reads and deletes the
//!   notifications of those events;
//! - portal mode: the same deposit, then an agent signs in (password, then the e-mailed code),
//!   and does what the web front (web/src/js) requests: the inbox, the dossier page, confirming
//!   the reception, the zip, a comment, finishing, the history after each change; signs out;
//! - tokens, idle polls, an idle scheduled run, cold and warm loads of the web front, apart.
//!
//! The measuring process runs the hub in a child process of itself, whose JSON logs (as
//! `RUST_LOG=info` writes them on Lambda) it counts per phase.
//!
//! Run with `scripts/cost-model` (a release build); `--dossiers N` (default 50) per mode.

#![allow(clippy::unwrap_used, clippy::expect_used)] // A benchmark: a failed step aborts it.

use std::{
    collections::{BTreeMap, HashMap},
    future::Future,
    io::{BufRead, BufReader},
    ops::Range,
    path::PathBuf,
    pin::Pin,
    process::{Command, Stdio},
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

use axum::{
    body::Body,
    extract::{MatchedPath, Request, State},
    middleware::{Next, from_fn_with_state},
    response::Response,
};
use bytes::Bytes;
use hubee_shared::{
    adapters::{
        RandomIds, RecentMail, SystemClock,
        embedded::{FsObjects, OutboxMailer, SqliteTable},
    },
    auth::{SigningKey, TokenKeys, generate_secret},
    bootstrap::LocalAdapters,
    config::{Backend, DEFAULT_INLINE_LIMIT, DEFAULT_MAIL_FROM, DeliveryPolicy, LocalConfig},
    ports::{
        ByteStream, Clock, Condition, Email, Index, Item, Key, MailError, Mailer, ObjectBody, ObjectError, ObjectInfo,
        ObjectKey, ObjectStore, Page, PresignMethod, PutCheck, Query, Table, TableError, Write, item_key,
    },
    services::{notify, subscriptions},
    state::AppState,
};
use hubee_tests::{MAIRIE_A, MAIRIE_B, SIGN_IN_SUBJECT, Secrets, code_in, recipient, sample, session_cookie_of};
use reqwest::{Method, header::HeaderMap};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use uuid::Uuid;

const DEFAULT_DOSSIERS: usize = 50;
/// Token requests, idle polls and idle scheduled runs measured (each averaged).
const REPEATS: usize = 20;
const AGENT: (&str, &str) = ("agent@mairie-b.example", "AgentB-Test-2026!");

/// The memory of a Lambda function at which it gets one full vCPU (AWS documentation).
const FULL_VCPU_MB: f64 = 1769.0;
/// Assumed latencies on AWS, in ms, for the modelled Lambda duration (docs/COST.md).
const LAT_DYNAMO: f64 = 5.0;
const LAT_TRANSACT: f64 = 10.0;
const LAT_S3_PUT: f64 = 25.0;
const LAT_S3_GET: f64 = 15.0;
const LAT_S3_SMALL: f64 = 10.0;
const LAT_S3_PER_MIB: f64 = 10.0;
const LAT_SES: f64 = 25.0;

/// The label of requests the router answers with the web front (CloudFront and S3 on AWS).
const STATIC: &str = "GET (web front)";

type Fut<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

// ---------------------------------------------------------------------------------------------
// Counts
// ---------------------------------------------------------------------------------------------

macro_rules! counts {
    ($($field:ident),* $(,)?) => {
        /// What one unit of work (a request, an invocation, a phase) made the services do.
        #[derive(Clone, Debug, Default, Serialize, Deserialize)]
        struct Counts { $($field: f64),* }
        impl Counts {
            fn add(&mut self, o: &Counts) { $(self.$field += o.$field;)* }
            fn scaled(&self, k: f64) -> Counts { Counts { $($field: self.$field * k),* } }
        }
    };
}

counts!(
    // HTTP: API Gateway requests (= Lambda invocations), the web front, presigned S3 URLs.
    http_requests,
    http_errors,
    req_bytes,
    resp_bytes,
    static_requests,
    static_bytes,
    s3_direct_gets,
    s3_direct_bytes,
    access_log_bytes,
    // Lambda: HTTP invocations and the notify function's.
    invocations,
    wall_ms,
    cpu_ms,
    model_ms,
    gbs_local,
    gbs_model,
    // DynamoDB.
    db_get,
    db_get_missed,
    db_put,
    db_delete,
    db_add,
    db_query,
    db_query_gsi,
    db_query_items,
    db_transact,
    db_transact_writes,
    db_transact_checks,
    read_json_bytes,
    read_item_bytes,
    write_json_bytes,
    write_item_bytes,
    rru,
    wru,
    wru_transact,
    gsi_writes,
    gsi_wru,
    stream_records,
    // S3 through the port.
    s3_put,
    s3_put_bytes,
    s3_get,
    s3_get_bytes,
    s3_head,
    s3_delete,
    s3_presign,
    // SES.
    mails,
    mail_bytes,
    // Application logs (counted by the measuring process).
    log_lines,
    log_bytes,
);

/// What the table and the bucket hold, for the storage estimate.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
struct Storage {
    /// Per `entity`: items, bytes (DynamoDB size + 100 B overhead), index entries, their bytes.
    entities: BTreeMap<String, [f64; 4]>,
    /// Per key prefix (`folders`, `cases`, `archives`): objects, bytes.
    objects: BTreeMap<String, [f64; 2]>,
}

impl Storage {
    fn minus(&self, before: &Storage, per: f64) -> Storage {
        let mut out = Storage::default();
        for (k, v) in &self.entities {
            let b = before.entities.get(k).copied().unwrap_or_default();
            let d: [f64; 4] = std::array::from_fn(|i| (v[i] - b[i]) / per);
            if d.iter().any(|x| *x != 0.0) {
                out.entities.insert(k.clone(), d);
            }
        }
        for (k, v) in &self.objects {
            let b = before.objects.get(k).copied().unwrap_or_default();
            let d: [f64; 2] = std::array::from_fn(|i| (v[i] - b[i]) / per);
            if d.iter().any(|x| *x != 0.0) {
                out.objects.insert(k.clone(), d);
            }
        }
        out
    }
}

#[derive(Serialize, Deserialize)]
struct RouteRow {
    phase: String,
    route: String,
    function: String,
    memory_mb: f64,
    counts: Counts,
}

/// What the child process hands back.
#[derive(Serialize, Deserialize)]
struct Report {
    dossiers: usize,
    repeats: usize,
    cpu_overhead_us: f64,
    rows: Vec<RouteRow>,
    storage: BTreeMap<String, Storage>,
}

// ---------------------------------------------------------------------------------------------
// The meter: every decorator and the HTTP layer report here
// ---------------------------------------------------------------------------------------------

struct InFlight {
    route: String,
    started: Instant,
    cpu_ns: u64,
}

#[derive(Default)]
struct MeterState {
    phase: String,
    /// The counts of the request or invocation under way (requests run one at a time).
    current: Option<Counts>,
    by_route: BTreeMap<(String, String), Counts>,
    /// The table as the decorator saw it written (sizes, index membership, expiry).
    shadow: HashMap<Key, Item>,
    /// Stored objects and their sizes.
    objects: HashMap<String, u64>,
    /// Outbox items written, as the table's stream (filtered on outbox keys) hands them over.
    outbox_records: Vec<Uuid>,
}

struct Meter {
    state: Mutex<MeterState>,
    /// `METHOD /path/{}` → (function, memory), from infra/template.yaml.
    functions: HashMap<String, (String, f64)>,
    notify_memory: f64,
    /// The template's default memory size (`Globals`).
    default_memory: f64,
    cpu_overhead_ns: u64,
}

/// `{anything}` → `{}`, so that the router's and the template's parameter names compare.
fn normalise(route: &str) -> String {
    let mut out = String::with_capacity(route.len());
    let mut depth = 0;
    for c in route.chars() {
        match c {
            '{' => {
                depth += 1;
                if depth == 1 {
                    out.push_str("{}");
                }
            }
            '}' => depth -= 1,
            _ if depth > 0 => {}
            _ => out.push(c),
        }
    }
    out
}

/// The functions of infra/template.yaml: each route's function and memory size.
fn template_functions() -> (HashMap<String, (String, f64)>, f64, f64) {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../infra/template.yaml");
    let template: serde_norway::Value = serde_norway::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let default_memory = template["Globals"]["Function"]["MemorySize"].as_f64().unwrap_or(128.0);
    let mut routes = HashMap::new();
    let mut notify_memory = default_memory;
    for (_, resource) in template["Resources"].as_mapping().unwrap() {
        if resource["Type"].as_str() != Some("AWS::Serverless::Function") {
            continue;
        }
        let binary = resource["Metadata"]["BuildProperties"]["Binary"].as_str().unwrap_or("?").to_owned();
        let memory = resource["Properties"]["MemorySize"].as_f64().unwrap_or(default_memory);
        if binary == "notify" {
            notify_memory = memory;
        }
        let Some(events) = resource["Properties"]["Events"].as_mapping() else { continue };
        for event in events.values().filter(|e| e["Type"].as_str() == Some("HttpApi")) {
            let method = event["Properties"]["Method"].as_str().unwrap_or("?");
            let path = event["Properties"]["Path"].as_str().unwrap_or("?");
            routes.insert(normalise(&format!("{method} {path}")), (binary.clone(), memory));
        }
    }
    (routes, notify_memory, default_memory)
}

/// CPU time of every thread of this process, in ns (`/proc/self/task/*/schedstat`).
fn cpu_ns() -> u64 {
    let Ok(tasks) = std::fs::read_dir("/proc/self/task") else { return 0 };
    tasks
        .flatten()
        .filter_map(|t| std::fs::read_to_string(t.path().join("schedstat")).ok())
        .filter_map(|s| s.split_whitespace().next()?.parse::<u64>().ok())
        .sum()
}

fn calibrate_cpu_overhead() -> u64 {
    let rounds = 200;
    let mut total = 0;
    for _ in 0..rounds {
        let a = cpu_ns();
        total += cpu_ns().saturating_sub(a);
    }
    total / rounds
}

impl Meter {
    fn new() -> Self {
        let (functions, notify_memory, default_memory) = template_functions();
        Self {
            state: Mutex::new(MeterState { phase: "setup".into(), ..MeterState::default() }),
            functions,
            notify_memory,
            default_memory,
            cpu_overhead_ns: calibrate_cpu_overhead(),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, MeterState> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn phase(&self, name: &str) {
        self.lock().phase = name.to_owned();
        // The measuring process attributes the log lines that follow to this phase.
        println!("@@phase {name}");
    }

    /// Adds to the request under way, or to the phase when none is.
    fn record(&self, f: impl FnOnce(&mut Counts, &mut MeterState)) {
        let mut st = self.lock();
        let mut current = st.current.take();
        match current.as_mut() {
            Some(c) => f(c, &mut st),
            None => {
                let mut c = Counts::default();
                f(&mut c, &mut st);
                let key = (st.phase.clone(), "(outside a request)".to_owned());
                st.by_route.entry(key).or_default().add(&c);
            }
        }
        st.current = current;
    }

    fn begin(&self, route: &str) -> InFlight {
        self.lock().current = Some(Counts::default());
        InFlight { route: route.to_owned(), started: Instant::now(), cpu_ns: cpu_ns() }
    }

    fn function_of(&self, route: &str) -> (String, f64) {
        if route.starts_with("notify") {
            return ("notify".into(), self.notify_memory);
        }
        if route == STATIC {
            return ("(CloudFront + S3)".into(), 0.0);
        }
        if route.contains(" /objects/") {
            return ("(S3 presigned URL)".into(), 0.0);
        }
        // A route the template does not route would answer 404 on AWS: counted as a Lambda
        // request all the same, so that it shows.
        self.functions
            .get(&normalise(route))
            .cloned()
            .unwrap_or_else(|| ("(not in the template)".into(), self.default_memory))
    }

    /// Ends the request (`http` = status, request and response bytes) or invocation begun.
    fn end(&self, f: InFlight, http: Option<(u16, u64, u64)>) {
        let wall_ms = f.started.elapsed().as_secs_f64() * 1000.0;
        let cpu_ms = cpu_ns().saturating_sub(f.cpu_ns).saturating_sub(self.cpu_overhead_ns) as f64 / 1e6;
        let (_, memory) = self.function_of(&f.route);
        let mut st = self.lock();
        let mut c = st.current.take().unwrap_or_default();
        let lambda = memory > 0.0;
        if let Some((status, req_bytes, resp_bytes)) = http {
            c.http_errors += f64::from(u8::from(status >= 400));
            if f.route == STATIC {
                c.static_requests += 1.0;
                c.static_bytes += resp_bytes as f64;
            } else if !lambda {
                c.s3_direct_gets += 1.0;
                c.s3_direct_bytes += resp_bytes as f64;
            } else {
                c.http_requests += 1.0;
                c.req_bytes += req_bytes as f64;
                c.resp_bytes += resp_bytes as f64;
                // The API's access log line (infra/template.yaml, AccessLogSettings.Format).
                let line = format!(
                    r#"{{"requestId":"Jm8bKiFmiGYEJeA=","routeKey":"{}","status":"{status}","latency":"{:.0}","integrationError":"-"}}"#,
                    f.route,
                    wall_ms.ceil()
                );
                c.access_log_bytes += (line.len() + 1) as f64;
            }
        }
        if lambda {
            c.invocations += 1.0;
            c.wall_ms += wall_ms;
            c.cpu_ms += cpu_ms;
            let calls = c.db_get + c.db_put + c.db_delete + c.db_add + c.db_query;
            let mib = (c.s3_put_bytes + c.s3_get_bytes) / f64::from(1 << 20);
            let model = cpu_ms * (FULL_VCPU_MB / memory).max(1.0)
                + LAT_DYNAMO * calls
                + LAT_TRANSACT * c.db_transact
                + LAT_S3_PUT * c.s3_put
                + LAT_S3_GET * c.s3_get
                + LAT_S3_SMALL * (c.s3_head + c.s3_delete)
                + LAT_S3_PER_MIB * mib
                + LAT_SES * c.mails;
            c.model_ms += model;
            // Lambda bills every started millisecond, at least one.
            c.gbs_local += wall_ms.ceil().max(1.0) / 1000.0 * memory / 1024.0;
            c.gbs_model += model.ceil().max(1.0) / 1000.0 * memory / 1024.0;
        }
        let key = (st.phase.clone(), f.route);
        st.by_route.entry(key).or_default().add(&c);
    }

    fn take_outbox_records(&self) -> Vec<Uuid> {
        std::mem::take(&mut self.lock().outbox_records)
    }

    fn storage(&self) -> Storage {
        let st = self.lock();
        let mut out = Storage::default();
        for item in st.shadow.values() {
            // Expiring items (sessions, challenges, sign-in failures) leave with the table's TTL.
            if item.contains_key("ttl") {
                continue;
            }
            // Items without an entity (claims, counters) by their partition key's prefix.
            let entity = match item.get("entity").and_then(Value::as_str) {
                Some(e) => e.to_owned(),
                None => {
                    let pk = item.get("PK").and_then(Value::as_str).unwrap_or_default();
                    format!("{}#…", pk.split('#').next().unwrap_or_default())
                }
            };
            let size = item_size(item) as f64 + 100.0;
            let indexes = Index::ALL.iter().filter(|i| in_index(item, **i)).count() as f64;
            let e = out.entities.entry(entity).or_default();
            e[0] += 1.0;
            e[1] += size;
            e[2] += indexes;
            e[3] += indexes * size;
        }
        for (key, size) in &st.objects {
            let prefix = key.split('/').next().unwrap_or_default().to_owned();
            let o = out.objects.entry(prefix).or_default();
            o[0] += 1.0;
            o[1] += *size as f64;
        }
        out
    }

    fn report(&self, dossiers: usize, storage: BTreeMap<String, Storage>) -> Report {
        let st = self.lock();
        let rows = st
            .by_route
            .iter()
            .map(|((phase, route), counts)| {
                let (function, memory_mb) = self.function_of(route);
                RouteRow { phase: phase.clone(), route: route.clone(), function, memory_mb, counts: counts.clone() }
            })
            .collect();
        Report { dossiers, repeats: REPEATS, cpu_overhead_us: self.cpu_overhead_ns as f64 / 1000.0, rows, storage }
    }
}

// ---------------------------------------------------------------------------------------------
// Item sizes, as DynamoDB counts them
// ---------------------------------------------------------------------------------------------

/// DynamoDB's size of a value: strings in UTF-8 bytes, numbers about one byte per two digits
/// plus one, booleans and null one byte, lists and maps 3 bytes plus one per element.
fn value_size(v: &Value) -> usize {
    match v {
        Value::Null | Value::Bool(_) => 1,
        Value::Number(n) => n.to_string().bytes().filter(u8::is_ascii_digit).count().div_ceil(2) + 1,
        Value::String(s) => s.len(),
        Value::Array(a) => 3 + a.iter().map(|x| value_size(x) + 1).sum::<usize>(),
        Value::Object(m) => 3 + m.iter().map(|(k, x)| k.len() + value_size(x) + 1).sum::<usize>(),
    }
}

fn item_size(item: &Item) -> usize {
    item.iter().map(|(k, v)| k.len() + value_size(v)).sum()
}

fn json_size(item: &Item) -> usize {
    serde_json::to_string(item).map_or(0, |s| s.len())
}

/// An item is in a (sparse) index when it carries both of the index's key attributes.
fn in_index(item: &Item, index: Index) -> bool {
    item.get(index.pk_attr()).is_some_and(Value::is_string) && item.get(index.sk_attr()).is_some_and(Value::is_string)
}

fn index_key(item: &Item, index: Index) -> (Option<&Value>, Option<&Value>) {
    (item.get(index.pk_attr()), item.get(index.sk_attr()))
}

fn kb_units(bytes: usize) -> f64 {
    bytes.div_ceil(1024).max(1) as f64
}

fn outbox_id(key: &Key) -> Option<Uuid> {
    if key.sk != "OUTBOX" {
        return None;
    }
    key.pk.strip_prefix("OUTBOX#")?.parse().ok()
}

/// Counts one write (standard or transactional) against the table as the decorator saw it, and
/// applies it when it succeeded.
fn account_write(c: &mut Counts, st: &mut MeterState, write: &Write, transactional: bool, applied: bool) {
    let factor = if transactional { 2.0 } else { 1.0 };
    let (key, new) = match write {
        Write::Put { item, .. } => {
            let Some(key) = item_key(item) else { return };
            (key, Some(item.clone()))
        }
        Write::Delete { key, .. } => (key.clone(), None),
        Write::Add { key, attr, delta } => {
            let mut item = st.shadow.get(key).cloned().unwrap_or_else(|| {
                let mut i = Item::new();
                i.insert("PK".into(), json!(key.pk));
                i.insert("SK".into(), json!(key.sk));
                i
            });
            let now = item.get(attr).and_then(Value::as_i64).unwrap_or(0) + delta;
            item.insert(attr.clone(), json!(now));
            (key.clone(), Some(item))
        }
        Write::Check { key, .. } => {
            let size = st.shadow.get(key).map_or(0, item_size);
            c.db_transact_checks += 1.0;
            // Assumed: a condition check in a transaction is billed as a transactional write.
            c.wru += 2.0 * kb_units(size);
            c.wru_transact += 2.0 * kb_units(size);
            return;
        }
    };
    let old = st.shadow.get(&key);
    let old_size = old.map_or(0, item_size);
    let new_size = new.as_ref().map_or(0, item_size);
    let units = factor * kb_units(old_size.max(new_size));
    c.wru += units;
    if transactional {
        c.wru_transact += units;
    }
    if let Some(n) = &new {
        c.write_item_bytes += new_size as f64;
        c.write_json_bytes += json_size(n) as f64;
    }
    // Every index the item was or is in is written too (a key change there: delete + put).
    for index in Index::ALL {
        let was = old.is_some_and(|o| in_index(o, index));
        let is = new.as_ref().is_some_and(|n| in_index(n, index));
        let moved = was && is && old.map(|o| index_key(o, index)) != new.as_ref().map(|n| index_key(n, index));
        if moved {
            c.gsi_writes += 2.0;
            c.gsi_wru += kb_units(old_size) + kb_units(new_size);
        } else if was || is {
            c.gsi_writes += 1.0;
            c.gsi_wru += kb_units(if is { old_size.max(new_size) } else { old_size });
        }
    }
    if let Some(id) = outbox_id(&key)
        && new.is_some()
    {
        // An INSERT or MODIFY record the stream's filter lets through to `notify`.
        c.stream_records += 1.0;
        if applied {
            st.outbox_records.push(id);
        }
    }
    if applied {
        match new {
            Some(item) => st.shadow.insert(key, item),
            None => st.shadow.remove(&key),
        };
    }
}

// ---------------------------------------------------------------------------------------------
// The decorators
// ---------------------------------------------------------------------------------------------

struct MeteredTable {
    inner: Arc<dyn Table>,
    meter: Arc<Meter>,
}

impl Table for MeteredTable {
    fn get<'a, 'b, 'f>(&'a self, key: &'b Key) -> Fut<'f, Result<Option<Item>, TableError>>
    where
        'a: 'f,
        'b: 'f,
        Self: 'f,
    {
        Box::pin(async move {
            let r = self.inner.get(key).await;
            if let Ok(found) = &r {
                self.meter.record(|c, _| {
                    c.db_get += 1.0;
                    match found {
                        Some(item) => {
                            let size = item_size(item);
                            c.read_item_bytes += size as f64;
                            c.read_json_bytes += json_size(item) as f64;
                            // Strongly consistent: 1 RRU per 4 KB.
                            c.rru += size.div_ceil(4096).max(1) as f64;
                        }
                        None => {
                            c.db_get_missed += 1.0;
                            c.rru += 1.0;
                        }
                    }
                });
            }
            r
        })
    }

    fn put<'a, 'f>(&'a self, item: Item, condition: Condition) -> Fut<'f, Result<(), TableError>>
    where
        'a: 'f,
        Self: 'f,
    {
        Box::pin(async move {
            let write = Write::Put { item: item.clone(), condition: condition.clone() };
            let r = self.inner.put(item, condition).await;
            self.meter.record(|c, st| {
                c.db_put += 1.0;
                account_write(c, st, &write, false, r.is_ok());
            });
            r
        })
    }

    fn delete<'a, 'b, 'f>(&'a self, key: &'b Key, condition: Condition) -> Fut<'f, Result<(), TableError>>
    where
        'a: 'f,
        'b: 'f,
        Self: 'f,
    {
        Box::pin(async move {
            let write = Write::Delete { key: key.clone(), condition: condition.clone() };
            let r = self.inner.delete(key, condition).await;
            self.meter.record(|c, st| {
                c.db_delete += 1.0;
                account_write(c, st, &write, false, r.is_ok());
            });
            r
        })
    }

    fn add<'a, 'b, 'c, 'f>(&'a self, key: &'b Key, attr: &'c str, delta: i64) -> Fut<'f, Result<i64, TableError>>
    where
        'a: 'f,
        'b: 'f,
        'c: 'f,
        Self: 'f,
    {
        Box::pin(async move {
            let r = self.inner.add(key, attr, delta).await;
            let write = Write::Add { key: key.clone(), attr: attr.to_owned(), delta };
            self.meter.record(|c, st| {
                c.db_add += 1.0;
                account_write(c, st, &write, false, r.is_ok());
            });
            r
        })
    }

    fn query<'a, 'f>(&'a self, query: Query) -> Fut<'f, Result<Page, TableError>>
    where
        'a: 'f,
        Self: 'f,
    {
        Box::pin(async move {
            let index = query.index;
            let r = self.inner.query(query).await;
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
        })
    }

    fn transact_write<'a, 'f>(&'a self, writes: Vec<Write>) -> Fut<'f, Result<(), TableError>>
    where
        'a: 'f,
        Self: 'f,
    {
        Box::pin(async move {
            let copy = writes.clone();
            let r = self.inner.transact_write(writes).await;
            self.meter.record(|c, st| {
                c.db_transact += 1.0;
                c.db_transact_writes += copy.iter().filter(|w| !matches!(w, Write::Check { .. })).count() as f64;
                for w in &copy {
                    account_write(c, st, w, true, r.is_ok());
                }
            });
            r
        })
    }
}

struct MeteredObjects {
    inner: Arc<dyn ObjectStore>,
    meter: Arc<Meter>,
}

impl ObjectStore for MeteredObjects {
    fn put<'a, 'b, 'c, 'f>(
        &'a self,
        key: &'b ObjectKey,
        content_type: &'c str,
        body: ByteStream,
        check: PutCheck,
    ) -> Fut<'f, Result<ObjectInfo, ObjectError>>
    where
        'a: 'f,
        'b: 'f,
        'c: 'f,
        Self: 'f,
    {
        Box::pin(async move {
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
        })
    }

    fn get<'a, 'b, 'f>(
        &'a self,
        key: &'b ObjectKey,
        range: Option<Range<u64>>,
    ) -> Fut<'f, Result<ObjectBody, ObjectError>>
    where
        'a: 'f,
        'b: 'f,
        Self: 'f,
    {
        Box::pin(async move {
            let r = self.inner.get(key, range).await;
            self.meter.record(|c, _| {
                c.s3_get += 1.0;
                if let Ok(body) = &r {
                    c.s3_get_bytes += (body.range.end - body.range.start) as f64;
                }
            });
            r
        })
    }

    fn head<'a, 'b, 'f>(&'a self, key: &'b ObjectKey) -> Fut<'f, Result<ObjectInfo, ObjectError>>
    where
        'a: 'f,
        'b: 'f,
        Self: 'f,
    {
        Box::pin(async move {
            let r = self.inner.head(key).await;
            self.meter.record(|c, _| c.s3_head += 1.0);
            r
        })
    }

    fn delete<'a, 'b, 'f>(&'a self, key: &'b ObjectKey) -> Fut<'f, Result<(), ObjectError>>
    where
        'a: 'f,
        'b: 'f,
        Self: 'f,
    {
        Box::pin(async move {
            let r = self.inner.delete(key).await;
            self.meter.record(|c, st| {
                c.s3_delete += 1.0;
                st.objects.remove(key.as_str());
            });
            r
        })
    }

    fn presign<'a, 'b, 'f>(
        &'a self,
        key: &'b ObjectKey,
        method: PresignMethod,
        expires_in: Duration,
    ) -> Fut<'f, Result<String, ObjectError>>
    where
        'a: 'f,
        'b: 'f,
        Self: 'f,
    {
        Box::pin(async move {
            let r = self.inner.presign(key, method, expires_in).await;
            self.meter.record(|c, _| c.s3_presign += 1.0);
            r
        })
    }

    fn presign_download<'a, 'b, 'c, 'f>(
        &'a self,
        key: &'b ObjectKey,
        content_disposition: &'c str,
        expires_in: Duration,
    ) -> Fut<'f, Result<String, ObjectError>>
    where
        'a: 'f,
        'b: 'f,
        'c: 'f,
        Self: 'f,
    {
        Box::pin(async move {
            let r = self.inner.presign_download(key, content_disposition, expires_in).await;
            self.meter.record(|c, _| c.s3_presign += 1.0);
            r
        })
    }
}

struct MeteredMailer {
    inner: Arc<dyn Mailer>,
    meter: Arc<Meter>,
}

impl Mailer for MeteredMailer {
    fn send<'a, 'b, 'f>(&'a self, email: &'b Email) -> Fut<'f, Result<String, MailError>>
    where
        'a: 'f,
        'b: 'f,
        Self: 'f,
    {
        Box::pin(async move {
            let r = self.inner.send(email).await;
            self.meter.record(|c, _| {
                c.mails += 1.0;
                c.mail_bytes += (email.subject.len() + email.text.len() + email.html.len()) as f64;
            });
            r
        })
    }
}

/// The router's layer: one API Gateway request and one Lambda invocation per routed request.
/// The response is read whole here, so that its time and size are the handler's.
async fn metered(State(meter): State<Arc<Meter>>, request: Request, next: Next) -> Response {
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

// ---------------------------------------------------------------------------------------------
// The hub and its client
// ---------------------------------------------------------------------------------------------

struct Hub {
    state: AppState,
    meter: Arc<Meter>,
    mail: RecentMail,
    http: reqwest::Client,
    base: String,
    secrets: Secrets,
    files: Vec<(String, String, Vec<u8>)>,
    web_dir: PathBuf,
    _dir: tempfile::TempDir,
}

/// An answer: status, headers, body.
struct Answer {
    status: u16,
    headers: HeaderMap,
    body: Bytes,
}

impl Answer {
    fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or(Value::Null)
    }

    fn expect(self, status: u16, what: &str) -> Self {
        assert_eq!(self.status, status, "{what}: {}", String::from_utf8_lossy(&self.body));
        self
    }
}

async fn answer(rb: reqwest::RequestBuilder) -> Answer {
    let r = rb.send().await.unwrap();
    let status = r.status().as_u16();
    let headers = r.headers().clone();
    let body = r.bytes().await.unwrap();
    Answer { status, headers, body }
}

fn secrets() -> Secrets {
    Secrets {
        operator: generate_secret(),
        other_operator: generate_secret(),
        si: generate_secret(),
        si_b: generate_secret(),
        si_other_procedure: generate_secret(),
        si_strict: generate_secret(),
        admin: generate_secret(),
        datapass: generate_secret(),
    }
}

/// A portal session: the cookie and its CSRF token.
struct Session {
    cookie: String,
    csrf: String,
}

impl Hub {
    async fn start(meter: Arc<Meter>) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().join("data");
        std::fs::create_dir_all(&data).unwrap();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let web_dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../web/dist");
        let local = LocalConfig {
            addr,
            data_dir: data.clone(),
            seed: None,
            web_dir: web_dir.clone(),
            demo: false,
            public_url: None,
            mail_from: DEFAULT_MAIL_FROM.into(),
            delivery: DeliveryPolicy::default(),
            smtp_url: None,
            backend: Backend::Embedded,
            inline_limit: None,
        };
        let mut config = local.common(addr);
        // As a Lambda function: binaries above the inline limit (and every zip) go through S3
        // presigned URLs.
        config.inline_limit = Some(DEFAULT_INLINE_LIMIT);
        let clock: Arc<dyn Clock> = Arc::new(SystemClock);
        let fs = Arc::new(
            FsObjects::open(&data.join("objects"), &config.public_url, generate_secret().into_bytes(), clock.clone())
                .unwrap(),
        );
        let outbox: Arc<dyn Mailer> = Arc::new(OutboxMailer::open(&data.join("outbox"), &config.mail_from).unwrap());
        let mail = RecentMail::new(Arc::new(MeteredMailer { inner: outbox, meter: meter.clone() }));
        let table: Arc<dyn Table> = Arc::new(SqliteTable::open(&data.join("hub.sqlite")).unwrap());
        let state = AppState::new(
            Arc::new(MeteredTable { inner: table, meter: meter.clone() }),
            Arc::new(MeteredObjects { inner: fs.clone(), meter: meter.clone() }),
            Arc::new(mail.clone()),
            clock,
            Arc::new(RandomIds),
            TokenKeys::single(&SigningKey::generate()).unwrap(),
            config,
        );
        let adapters = LocalAdapters { objects: Some(fs), mail: mail.clone() };
        let router =
            hubee_local::app(state.clone(), &adapters, &web_dir).layer(from_fn_with_state(meter.clone(), metered));
        tokio::spawn(async move { axum::serve(listener, router).await });

        let secrets = secrets();
        let seed = hubee_tests::provisioning(&secrets).to_string();
        hubee_shared::seed::Provisioning::parse(&seed).unwrap().load(&state.store).await.unwrap();
        // Two PDFs of the CERTDC kit's size class: the death certificate, twice.
        let (name, mime, bytes) = sample("CERTDC", "ER20190860001_20190517_1512_VA.pdf");
        let files = vec![(name.clone(), mime.clone(), bytes.clone()), (name.replace("_VA", "_VA2"), mime, bytes)];
        Self {
            state,
            meter,
            mail,
            http: reqwest::Client::new(),
            base: format!("http://{addr}"),
            secrets,
            files,
            web_dir,
            _dir: dir,
        }
    }

    fn req(&self, method: Method, path: &str) -> reqwest::RequestBuilder {
        self.http.request(method, format!("{}{path}", self.base))
    }

    fn api(&self, token: &str, method: Method, path: &str) -> reqwest::RequestBuilder {
        self.req(method, &format!("/teledossiers/v1{path}")).bearer_auth(token)
    }

    fn portal(&self, s: &Session, method: Method, path: &str) -> reqwest::RequestBuilder {
        self.req(method, &format!("/portail/v1{path}"))
            .header("cookie", format!("__Host-hubee_session={}", s.cookie))
            .header("x-csrf-token", &s.csrf)
    }

    async fn token(&self, client: &str, secret: &str, scope: &str) -> String {
        use base64::{Engine, engine::general_purpose::STANDARD};
        let a = answer(
            self.req(Method::POST, "/token")
                .header("authorization", format!("Basic {}", STANDARD.encode(format!("{client}:{secret}"))))
                .header("content-type", "application/x-www-form-urlencoded")
                .body(format!("grant_type=client_credentials&scope={scope}")),
        )
        .await
        .expect(200, "a token");
        a.json()["access_token"].as_str().unwrap().to_owned()
    }

    async fn operator_token(&self) -> String {
        self.token("dgs-osl", &self.secrets.operator, "OSL").await
    }

    async fn mairie_token(&self) -> String {
        self.token("mairie-a-certdc", &self.secrets.si, "SI").await
    }

    /// Creates a folder of one case for the mairie, uploads its two files, completes it;
    /// returns the case id.
    async fn deposit(&self, op: &str, external_id: &str, mairie: (&str, &str)) -> String {
        let attachments: Vec<Value> = self
            .files
            .iter()
            .map(|(name, mime, bytes)| {
                json!({"fileName": name, "type": "VA_CertificatdeDeces", "size": bytes.len(), "mimeType": mime,
                       "recipients": ["C-1"]})
            })
            .collect();
        let body = json!({
            "externalId": external_id,
            "processCode": "CERTDC",
            "applicant": {"firstName": "Camille", "lastName": "TESTEUR", "email": null},
            "cases": [{"externalId": "C-1", "recipient": recipient(mairie)}],
            "attachments": attachments,
        });
        let folder = answer(self.api(op, Method::POST, "/folders").json(&body)).await.expect(201, "folder").json();
        let id = folder["id"].as_str().unwrap();
        for (i, (_, _, bytes)) in self.files.iter().enumerate() {
            let path = format!("/folders/{id}/attachments/{}", folder["attachments"][i]["id"].as_str().unwrap());
            let req = self
                .api(op, Method::PUT, &path)
                .header("content-type", "application/octet-stream")
                .header("digest", hubee_tests::sha256_base64(bytes))
                .body(bytes.clone());
            answer(req).await.expect(204, "upload");
        }
        let complete = json!({"globalStatus": "HUBEE_COMPLETED"});
        answer(self.api(op, Method::PATCH, &format!("/folders/{id}")).json(&complete)).await.expect(204, "complete");
        folder["cases"][0]["id"].as_str().unwrap().to_owned()
    }

    /// What the table's stream triggers: `notify` with the outbox records of a batch, until
    /// no record is left (the claim and the mark of an item come back as one more batch).
    async fn dispatch(&self) {
        loop {
            let ids = self.meter.take_outbox_records();
            if ids.is_empty() {
                break;
            }
            let flight = self.meter.begin("notify (table stream batch)");
            let failed = notify::handle(&self.state, ids).await;
            self.meter.end(flight, None);
            assert!(failed.is_empty(), "every outbox item is processed");
        }
    }

    /// The operator's software reads the notifications of the mairie's events and deletes them.
    async fn operator_acknowledges(&self, op: &str) {
        let list = answer(self.api(op, Method::GET, "/notifications")).await.expect(200, "operator notifications");
        for n in list.json().as_array().unwrap() {
            let id = n["id"].as_str().unwrap();
            answer(self.api(op, Method::DELETE, &format!("/notifications/{id}"))).await.expect(204, "deletion");
        }
    }

    async fn api_dossier(&self, i: usize, op: &str, si: &str) {
        self.meter.phase("api.deposit");
        let case = self.deposit(op, &format!("COST-API-{i:05}"), MAIRIE_A).await;
        self.meter.phase("api.dispatch");
        self.dispatch().await;

        self.meter.phase("api.mairie");
        let list = answer(self.api(si, Method::GET, "/notifications")).await.expect(200, "notifications").json();
        let notification = list
            .as_array()
            .unwrap()
            .iter()
            .find(|n| n["caseId"] == case.as_str())
            .expect("a notification for the case")["id"]
            .as_str()
            .unwrap()
            .to_owned();
        let read = answer(self.api(si, Method::GET, &format!("/cases/{case}"))).await.expect(200, "case").json();
        for a in read["attachments"].as_array().unwrap() {
            let path = format!("/cases/{case}/attachments/{}", a["id"].as_str().unwrap());
            let file = answer(self.api(si, Method::GET, &path)).await.expect(200, "download");
            assert_eq!(file.body.len(), self.files[0].2.len());
        }
        for (current, new) in [("HUBEE_NOTIFIED", "IN_PROGRESS"), ("IN_PROGRESS", "DONE")] {
            let event = json!({
                "actionType": "STATUS_UPDATE", "notification": true, "caseCurrentStatus": current, "caseNewStatus": new,
                "message": format!("Passage en {new}"), "author": "Logiciel d'état civil"
            });
            answer(self.api(si, Method::POST, &format!("/cases/{case}/events")).json(&event))
                .await
                .expect(201, "event");
        }
        answer(self.api(si, Method::DELETE, &format!("/notifications/{notification}"))).await.expect(204, "deletion");

        self.meter.phase("api.operator");
        self.operator_acknowledges(op).await;
    }

    async fn sign_in(&self) -> Session {
        let (email, password) = AGENT;
        let codes_before = self.codes_sent();
        // Opening the portal: the front asks who is signed in (nobody yet).
        answer(self.req(Method::GET, "/portail/v1/me")).await.expect(401, "anonymous /me");
        let challenge =
            answer(self.req(Method::POST, "/portail/v1/session").json(&json!({"email": email, "password": password})))
                .await
                .expect(200, "password")
                .json();
        let sent = self.mail.recent().into_iter().filter(|e| is_code_for(e, email)).collect::<Vec<_>>();
        assert_eq!(sent.len(), codes_before + 1, "one code e-mailed");
        let code = code_in(sent.last().unwrap()).unwrap();
        let body = json!({"challengeId": challenge["challengeId"], "code": code});
        let r = self.req(Method::POST, "/portail/v1/session/otp").json(&body).send().await.unwrap();
        let cookie = session_cookie_of(&r).expect("a session cookie");
        assert_eq!(r.status(), 200);
        let me: Value = r.json().await.unwrap();
        Session { cookie, csrf: me["csrfToken"].as_str().unwrap().to_owned() }
    }

    fn codes_sent(&self) -> usize {
        self.mail.recent().iter().filter(|e| is_code_for(e, AGENT.0)).count()
    }

    async fn portal_dossier(&self, i: usize, op: &str) {
        self.meter.phase("portal.deposit");
        let case = self.deposit(op, &format!("COST-PORTAL-{i:05}"), MAIRIE_B).await;
        self.meter.phase("portal.dispatch");
        self.dispatch().await;

        self.meter.phase("portal.session");
        let s = self.sign_in().await;

        // What the web front requests (web/src/js/pages/inbox.js and dossier.js).
        self.meter.phase("portal.agent");
        let inbox = answer(self.portal(&s, Method::GET, "/cases?limit=25")).await.expect(200, "inbox").json();
        assert!(inbox["items"].as_array().unwrap().iter().any(|d| d["id"] == case.as_str()), "in the inbox");
        let page = answer(self.portal(&s, Method::GET, &format!("/cases/{case}"))).await.expect(200, "dossier").json();
        assert_eq!(page["receptionToConfirm"], true);
        let act = |action: &str| json!({"action": action});
        answer(self.portal(&s, Method::POST, &format!("/cases/{case}/status")).json(&act("CONFIRM_RECEPTION")))
            .await
            .expect(200, "reception");
        self.refresh(&s, &case).await;
        // The zip: on Lambda, written to S3 and fetched from a presigned URL (a 303 followed).
        let zip = answer(self.portal(&s, Method::POST, &format!("/cases/{case}/archive"))).await.expect(200, "zip");
        assert!(zip.body.len() > self.files[0].2.len(), "{:?}", zip.headers);
        self.refresh(&s, &case).await;
        let comment = json!({"text": "Vu avec le service"});
        answer(self.portal(&s, Method::POST, &format!("/cases/{case}/comments")).json(&comment))
            .await
            .expect(201, "comment");
        answer(self.portal(&s, Method::GET, &format!("/cases/{case}/history"))).await.expect(200, "history");
        answer(self.portal(&s, Method::POST, &format!("/cases/{case}/status")).json(&act("FINISH")))
            .await
            .expect(200, "finish");
        self.refresh(&s, &case).await;

        self.meter.phase("portal.session");
        answer(self.portal(&s, Method::DELETE, "/session")).await.expect(204, "sign-out");

        self.meter.phase("portal.operator");
        self.operator_acknowledges(op).await;
    }

    /// The dossier page after a change: the dossier again, then its history.
    async fn refresh(&self, s: &Session, case: &str) {
        answer(self.portal(s, Method::GET, &format!("/cases/{case}"))).await.expect(200, "dossier");
        answer(self.portal(s, Method::GET, &format!("/cases/{case}/history"))).await.expect(200, "history");
    }

    /// A browser with an empty cache opening the portal: index.html, its style sheets, the
    /// app's modules (followed through their imports), the favicon; compressed (brotli) as
    /// CloudFront serves them. Fonts and icons the style sheets name are not followed.
    async fn cold_front(&self) {
        let Ok(index) = std::fs::read_to_string(self.web_dir.join("index.html")) else {
            eprintln!("web/dist is not built (docs/WEB.md): the cold front load is not measured");
            return;
        };
        let mut queue: Vec<String> = attributes(&index)
            .into_iter()
            .filter(|p| p.starts_with('/') && p.len() > 1)
            .filter(|p| !p.contains("apple-touch-icon") && !p.ends_with(".ico") && !p.contains("nomodule"))
            .collect();
        queue.insert(0, "/".into());
        let mut seen = std::collections::BTreeSet::new();
        while let Some(path) = queue.pop() {
            if !seen.insert(path.clone()) {
                continue;
            }
            let r = self.req(Method::GET, &path).header("accept-encoding", "br");
            answer(r).await.expect(200, &path);
            if path.ends_with(".js") {
                let text = std::fs::read_to_string(self.web_dir.join(path.trim_start_matches('/'))).unwrap();
                for import in imports(&text) {
                    queue.push(resolve(&path, &import));
                }
            }
        }
    }
}

fn is_code_for(e: &Email, address: &str) -> bool {
    e.subject == SIGN_IN_SUBJECT && e.to.iter().any(|t| t == address)
}

/// The `href="…"` and `src="…"` values of an HTML page.
fn attributes(html: &str) -> Vec<String> {
    let mut out = Vec::new();
    for marker in ["href=\"", "src=\""] {
        for part in html.split(marker).skip(1) {
            if let Some(end) = part.find('"') {
                out.push(part[..end].to_owned());
            }
        }
    }
    out
}

/// The relative module specifiers of an ES module (`from './x.js'`, `import './x.js'`).
fn imports(js: &str) -> Vec<String> {
    let mut out = Vec::new();
    for marker in ["from '", "from \"", "import '", "import \"", "import('", "import(\""] {
        for part in js.split(marker).skip(1) {
            if let Some(end) = part.find(['\'', '"']) {
                let spec = &part[..end];
                if spec.starts_with("./") || spec.starts_with("../") {
                    out.push(spec.to_owned());
                }
            }
        }
    }
    out
}

fn resolve(from: &str, spec: &str) -> String {
    let mut parts: Vec<&str> = from.split('/').collect();
    parts.pop();
    for seg in spec.split('/') {
        match seg {
            "." => {}
            ".." => {
                parts.pop();
            }
            s => parts.push(s),
        }
    }
    parts.join("/")
}

// ---------------------------------------------------------------------------------------------
// The measured run (child process)
// ---------------------------------------------------------------------------------------------

async fn worker(dossiers: usize) {
    hubee_shared::bootstrap::init_tracing();
    let meter = Arc::new(Meter::new());
    let hub = Hub::start(meter.clone()).await;
    let mut storage = BTreeMap::new();

    // Tokens: real clients keep one an hour; measured apart.
    meter.phase("token");
    let mut op = String::new();
    let mut si = String::new();
    for _ in 0..REPEATS / 2 {
        op = hub.operator_token().await;
        si = hub.mairie_token().await;
    }

    let before = meter.storage();
    for i in 0..dossiers {
        hub.api_dossier(i, &op, &si).await;
    }
    let after_api = meter.storage();
    storage.insert("api".to_owned(), after_api.minus(&before, dossiers as f64));
    for i in 0..dossiers {
        hub.portal_dossier(i, &op).await;
    }
    storage.insert("portal".to_owned(), meter.storage().minus(&after_api, dossiers as f64));

    // A mairie's software polling with nothing new.
    meter.phase("poll.idle");
    for _ in 0..REPEATS {
        let list = answer(hub.api(&si, Method::GET, "/notifications")).await.expect(200, "idle poll").json();
        assert_eq!(list, json!([]), "nothing left to read");
    }

    // The scheduled run (every 5 minutes) with nothing due.
    meter.phase("schedule.idle");
    for _ in 0..REPEATS {
        let flight = meter.begin("notify (schedule, idle)");
        subscriptions::activate_due(&hub.state).await.unwrap();
        notify::send_digests(&hub.state).await.unwrap();
        notify::sweep(&hub.state).await.unwrap();
        meter.end(flight, None);
    }

    meter.phase("front.cold");
    hub.cold_front().await;
    // A browser that has the front's files cached (immutable, a year) fetches the page only.
    meter.phase("front.warm");
    answer(hub.req(Method::GET, "/").header("accept-encoding", "br")).await.expect(200, "index.html");

    meter.phase("end");
    let report = meter.report(dossiers, storage);
    println!("@@result {}", serde_json::to_string(&report).unwrap());
}

// ---------------------------------------------------------------------------------------------
// The measuring process: runs the child, counts its logs, prints the tables
// ---------------------------------------------------------------------------------------------

/// A column of the tables: a name, the phases it sums, what it divides by.
struct Unit {
    name: &'static str,
    phases: &'static [&'static str],
    per: f64,
}

fn units(r: &Report) -> Vec<Unit> {
    let n = r.dossiers as f64;
    let repeats = r.repeats as f64;
    vec![
        Unit { name: "API dossier", phases: &["api.deposit", "api.dispatch", "api.mairie", "api.operator"], per: n },
        Unit {
            name: "portal dossier",
            phases: &["portal.deposit", "portal.dispatch", "portal.agent", "portal.operator"],
            per: n,
        },
        Unit { name: "portal sign-in + sign-out", phases: &["portal.session"], per: n },
        Unit { name: "token", phases: &["token"], per: repeats },
        Unit { name: "idle poll", phases: &["poll.idle"], per: repeats },
        Unit { name: "idle scheduled run", phases: &["schedule.idle"], per: repeats },
        Unit { name: "cold front load", phases: &["front.cold"], per: 1.0 },
        Unit { name: "warm front load", phases: &["front.warm"], per: 1.0 },
    ]
}

fn sum(r: &Report, unit: &Unit, logs: &BTreeMap<String, (f64, f64)>) -> Counts {
    let mut total = Counts::default();
    for row in r.rows.iter().filter(|row| unit.phases.contains(&row.phase.as_str())) {
        total.add(&row.counts);
    }
    for phase in unit.phases {
        if let Some((lines, bytes)) = logs.get(*phase) {
            total.log_lines += lines;
            total.log_bytes += bytes;
        }
    }
    total.scaled(1.0 / unit.per)
}

type Metric = (&'static str, fn(&Counts) -> f64, usize);

fn metrics() -> Vec<Metric> {
    vec![
        ("API Gateway requests (HTTP API)", |c| c.http_requests, 1),
        ("Lambda invocations (HTTP + notify)", |c| c.invocations, 1),
        ("answers >= 400 (expected: anonymous /me)", |c| c.http_errors, 1),
        ("request bytes in (API)", |c| c.req_bytes, 0),
        ("response bytes out (API)", |c| c.resp_bytes, 0),
        ("web front requests (CloudFront + S3)", |c| c.static_requests, 1),
        ("web front bytes out", |c| c.static_bytes, 0),
        ("S3 presigned GETs (from the internet)", |c| c.s3_direct_gets, 1),
        ("S3 presigned bytes out", |c| c.s3_direct_bytes, 0),
        ("DynamoDB GetItem (of which missed)", |c| c.db_get, 1),
        ("  GetItem missed", |c| c.db_get_missed, 1),
        ("DynamoDB PutItem", |c| c.db_put, 1),
        ("DynamoDB DeleteItem", |c| c.db_delete, 1),
        ("DynamoDB UpdateItem (ADD)", |c| c.db_add, 1),
        ("DynamoDB Query", |c| c.db_query, 1),
        ("  of which on an index", |c| c.db_query_gsi, 1),
        ("  items returned", |c| c.db_query_items, 1),
        ("DynamoDB TransactWriteItems", |c| c.db_transact, 1),
        ("  writes in them", |c| c.db_transact_writes, 1),
        ("  condition checks in them", |c| c.db_transact_checks, 1),
        ("bytes read (JSON)", |c| c.read_json_bytes, 0),
        ("bytes read (DynamoDB item size)", |c| c.read_item_bytes, 0),
        ("bytes written (JSON)", |c| c.write_json_bytes, 0),
        ("bytes written (DynamoDB item size)", |c| c.write_item_bytes, 0),
        ("read request units (RRU)", |c| c.rru, 1),
        ("write request units, table (WRU)", |c| c.wru, 1),
        ("  of which transactional (2 per KB)", |c| c.wru_transact, 1),
        ("index writes (GSI)", |c| c.gsi_writes, 1),
        ("write request units, indexes", |c| c.gsi_wru, 1),
        ("outbox stream records (to notify)", |c| c.stream_records, 1),
        ("S3 PutObject", |c| c.s3_put, 1),
        ("  bytes", |c| c.s3_put_bytes, 0),
        ("S3 GetObject", |c| c.s3_get, 1),
        ("  bytes", |c| c.s3_get_bytes, 0),
        ("S3 HeadObject", |c| c.s3_head, 1),
        ("S3 DeleteObject", |c| c.s3_delete, 1),
        ("S3 presigned URLs issued", |c| c.s3_presign, 1),
        ("SES e-mails", |c| c.mails, 1),
        ("  bytes (subject + text + HTML)", |c| c.mail_bytes, 0),
        ("application log lines (RUST_LOG=info)", |c| c.log_lines, 1),
        ("  bytes", |c| c.log_bytes, 0),
        ("API access log bytes", |c| c.access_log_bytes, 0),
        ("Lambda wall time, local (ms)", |c| c.wall_ms, 1),
        ("Lambda CPU time, local (ms)", |c| c.cpu_ms, 1),
        ("Lambda duration, modelled (ms)", |c| c.model_ms, 1),
        ("Lambda GB-s, local wall time", |c| c.gbs_local, 4),
        ("Lambda GB-s, modelled", |c| c.gbs_model, 4),
    ]
}

fn fmt(v: f64, decimals: usize) -> String {
    if v == 0.0 {
        return "0".into();
    }
    let s = format!("{v:.decimals$}");
    if decimals == 0 {
        // Thousands separators for byte counts.
        let digits: Vec<char> = s.chars().collect();
        let mut out = String::new();
        for (i, ch) in digits.iter().enumerate() {
            if i > 0 && (digits.len() - i).is_multiple_of(3) && ch.is_ascii_digit() && digits[i - 1].is_ascii_digit() {
                out.push(',');
            }
            out.push(*ch);
        }
        return out;
    }
    s
}

fn print_tables(r: &Report, logs: &BTreeMap<String, (f64, f64)>, elapsed: Duration) {
    let units = units(r);
    let totals: Vec<Counts> = units.iter().map(|u| sum(r, u, logs)).collect();
    println!(
        "Cost model run: {} dossiers per mode, {} tokens / idle polls / idle scheduled runs; {:.0} s; CPU meter overhead {:.0} µs (subtracted).\n",
        r.dossiers,
        r.repeats,
        elapsed.as_secs_f64(),
        r.cpu_overhead_us
    );
    println!("## Per unit of work\n");
    let header: Vec<&str> = units.iter().map(|u| u.name).collect();
    println!("| measure | {} |", header.join(" | "));
    println!("|---|{}", "---:|".repeat(units.len()));
    for (label, f, decimals) in metrics() {
        let cells: Vec<String> = totals.iter().map(|c| fmt(f(c), decimals)).collect();
        println!("| {label} | {} |", cells.join(" | "));
    }

    println!("\n## Per route, per unit of work\n");
    println!(
        "| unit | route | function (MB) | per unit | wall ms | CPU ms | modelled ms | DynamoDB calls | RRU | WRU + GSI WRU | S3 calls | bytes out |"
    );
    println!("|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
    for unit in &units {
        let mut by_route: BTreeMap<(String, String, u64), Counts> = BTreeMap::new();
        for row in r.rows.iter().filter(|row| unit.phases.contains(&row.phase.as_str())) {
            let key = (row.route.clone(), row.function.clone(), row.memory_mb as u64);
            by_route.entry(key).or_default().add(&row.counts);
        }
        for ((route, function, memory), c) in by_route {
            let n = (c.http_requests + c.static_requests + c.s3_direct_gets).max(c.invocations).max(1.0);
            let calls = c.db_get + c.db_put + c.db_delete + c.db_add + c.db_query + c.db_transact;
            let s3 = c.s3_put + c.s3_get + c.s3_head + c.s3_delete;
            let function = if memory > 0 { format!("{function} ({memory})") } else { function };
            println!(
                "| {} | {route} | {function} | {} | {:.1} | {:.1} | {:.0} | {:.1} | {:.1} | {:.1} | {:.1} | {} |",
                unit.name,
                fmt(n / unit.per, 2),
                c.wall_ms / n,
                c.cpu_ms / n,
                c.model_ms / n,
                calls / n,
                c.rru / n,
                (c.wru + c.gsi_wru) / n,
                s3 / n,
                fmt((c.resp_bytes + c.static_bytes + c.s3_direct_bytes) / n, 0),
            );
        }
    }

    println!("\n## Stored per dossier (items with a TTL left out)\n");
    println!("| mode | entity or prefix | items | bytes (item size + 100) | index entries | index bytes |");
    println!("|---|---|---:|---:|---:|---:|");
    for (mode, s) in &r.storage {
        let mut total = [0.0; 4];
        for (entity, v) in &s.entities {
            println!("| {mode} | {entity} | {:.2} | {} | {:.2} | {} |", v[0], fmt(v[1], 0), v[2], fmt(v[3], 0));
            for i in 0..4 {
                total[i] += v[i];
            }
        }
        println!(
            "| {mode} | **table total** | {:.2} | {} | {:.2} | {} |",
            total[0],
            fmt(total[1], 0),
            total[2],
            fmt(total[3], 0)
        );
        for (prefix, v) in &s.objects {
            println!("| {mode} | S3 `{prefix}/` | {:.2} | {} | | |", v[0], fmt(v[1], 0));
        }
    }
    println!(
        "\nModelled Lambda duration = local CPU time × {FULL_VCPU_MB:.0} / memory (MB) + {LAT_DYNAMO} ms per DynamoDB call, {LAT_TRANSACT} ms per transaction, \
         {LAT_S3_PUT} ms per S3 PUT, {LAT_S3_GET} ms per GET, {LAT_S3_SMALL} ms per HEAD or DELETE, {LAT_S3_PER_MIB} ms per MiB moved, {LAT_SES} ms per e-mail; \
         billed per started ms."
    );
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let dossiers = args
        .iter()
        .position(|a| a == "--dossiers")
        .and_then(|i| args.get(i + 1))
        .map_or(DEFAULT_DOSSIERS, |n| n.parse().expect("--dossiers N"));
    if args.iter().any(|a| a == "--worker") {
        let runtime = tokio::runtime::Runtime::new().unwrap();
        runtime.block_on(worker(dossiers));
        return;
    }

    let started = Instant::now();
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args(["--worker", "--dossiers", &dossiers.to_string()])
        .env("RUST_LOG", std::env::var("RUST_LOG").unwrap_or_else(|_| "info".into()))
        .stdout(Stdio::piped())
        .spawn()
        .expect("starting the measured run");
    let out = BufReader::new(child.stdout.take().unwrap());
    let mut phase = "setup".to_owned();
    let mut logs: BTreeMap<String, (f64, f64)> = BTreeMap::new();
    let mut report = None;
    for line in out.lines() {
        let line = line.unwrap();
        if let Some(p) = line.strip_prefix("@@phase ") {
            p.clone_into(&mut phase);
        } else if let Some(json) = line.strip_prefix("@@result ") {
            report = Some(serde_json::from_str::<Report>(json).unwrap());
        } else {
            let l = logs.entry(phase.clone()).or_default();
            l.0 += 1.0;
            l.1 += (line.len() + 1) as f64;
        }
    }
    assert!(child.wait().unwrap().success(), "the measured run failed");
    print_tables(&report.expect("the measured run's report"), &logs, started.elapsed());
}
