//! The meter: what every decorator and the HTTP layer report to, per phase and per route.
//!
//! Requests run one at a time (the driver awaits each answer before the next request), so
//! whatever the ports do between a request's start and end is that request's: the meter keeps
//! the counts of the request under way and files them under its route when it ends. The same
//! holds for the sequential table round trips: see [`Meter::table_call`].

use std::{
    collections::{BTreeMap, HashMap},
    path::PathBuf,
    sync::{Mutex, MutexGuard},
    time::Instant,
};

use hubee_shared::ports::{Index, Item, Key};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use uuid::Uuid;

use crate::{
    FOLDER_REPEATS, REPEATS,
    dynamo::{in_index, item_size},
};

/// The memory of a Lambda function at which it gets one full vCPU (AWS documentation).
pub const FULL_VCPU_MB: f64 = 1769.0;
/// Assumed latencies on AWS, in ms, for the modelled Lambda duration (docs/COST.md).
pub const LAT_DYNAMO: f64 = 5.0;
pub const LAT_TRANSACT: f64 = 10.0;
pub const LAT_S3_PUT: f64 = 25.0;
pub const LAT_S3_GET: f64 = 15.0;
pub const LAT_S3_SMALL: f64 = 10.0;
pub const LAT_S3_PER_MIB: f64 = 10.0;
pub const LAT_SES: f64 = 25.0;

/// The label of requests the router answers with the web front (CloudFront and S3 on AWS).
pub const STATIC: &str = "GET (web front)";

macro_rules! counts {
    ($($field:ident),* $(,)?) => {
        /// What one unit of work (a request, an invocation, a phase) made the services do.
        #[derive(Clone, Debug, Default, Serialize, Deserialize)]
        pub struct Counts { $(pub $field: f64),* }
        impl Counts {
            pub fn add(&mut self, o: &Counts) { $(self.$field += o.$field;)* }
            pub fn scaled(&self, k: f64) -> Counts { Counts { $($field: self.$field * k),* } }
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
    // BatchGetItem requests (one per 100 distinct keys) and the keys they read.
    db_batch_get,
    db_batch_get_keys,
    db_put,
    db_delete,
    db_add,
    db_query,
    db_query_gsi,
    db_query_items,
    db_transact,
    db_transact_writes,
    db_transact_checks,
    // Sequential round trips to the table: a call that starts while no other table call of
    // the same request is in flight (concurrent calls share one; see `Meter::table_call`).
    db_round_trips,
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
pub struct Storage {
    /// Per `entity`: items, bytes (DynamoDB size + 100 B overhead), index entries, their bytes.
    pub entities: BTreeMap<String, [f64; 4]>,
    /// Per key prefix (`folders`, `cases`, `archives`): objects, bytes.
    pub objects: BTreeMap<String, [f64; 2]>,
}

impl Storage {
    pub fn minus(&self, before: &Storage, per: f64) -> Storage {
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
pub struct RouteRow {
    pub phase: String,
    pub route: String,
    pub function: String,
    pub memory_mb: f64,
    pub counts: Counts,
    /// The most sequential table round trips one request or invocation of the row made (a
    /// maximum, which does not add up as the counts do).
    #[serde(default)]
    pub round_trips_max: f64,
}

/// What the child process hands back.
#[derive(Serialize, Deserialize)]
pub struct Report {
    pub dossiers: usize,
    pub repeats: usize,
    pub folder_repeats: usize,
    pub cpu_overhead_us: f64,
    pub rows: Vec<RouteRow>,
    pub storage: BTreeMap<String, Storage>,
}

pub struct InFlight {
    route: String,
    started: Instant,
    cpu_ns: u64,
}

#[derive(Default)]
pub struct MeterState {
    phase: String,
    /// The counts of the request or invocation under way (requests run one at a time).
    current: Option<Counts>,
    by_route: BTreeMap<(String, String), Counts>,
    /// Per (phase, route): the most sequential table round trips one request made.
    round_trips_max: BTreeMap<(String, String), f64>,
    /// Table calls in flight, of the request (or stretch outside a request) numbered
    /// `request_seq`: a call starting while this is zero opens a round trip.
    table_in_flight: usize,
    /// Bumped when a request begins and ends, so that a call left in flight by a previous
    /// request (a task it spawned) does not hide the current request's first round trip.
    request_seq: u64,
    /// The table as the decorator saw it written (sizes, index membership, expiry).
    pub shadow: HashMap<Key, Item>,
    /// Stored objects and their sizes.
    pub objects: HashMap<String, u64>,
    /// Outbox items written, as the table's stream (filtered on outbox keys) hands them over.
    pub outbox_records: Vec<Uuid>,
}

/// One table call in flight; dropping it (the call answered, failed or was cancelled) ends it.
pub struct TableCall<'a> {
    meter: &'a Meter,
    seq: u64,
}

impl Drop for TableCall<'_> {
    fn drop(&mut self) {
        let mut st = self.meter.lock();
        if st.request_seq == self.seq {
            st.table_in_flight = st.table_in_flight.saturating_sub(1);
        }
    }
}

pub struct Meter {
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
    pub fn new() -> Self {
        let (functions, notify_memory, default_memory) = template_functions();
        Self {
            state: Mutex::new(MeterState { phase: "setup".into(), ..MeterState::default() }),
            functions,
            notify_memory,
            default_memory,
            cpu_overhead_ns: calibrate_cpu_overhead(),
        }
    }

    fn lock(&self) -> MutexGuard<'_, MeterState> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub fn phase(&self, name: &str) {
        self.lock().phase = name.to_owned();
        // The measuring process attributes the log lines that follow to this phase.
        println!("@@phase {name}");
    }

    /// Adds to the request under way, or to the phase when none is.
    pub fn record(&self, f: impl FnOnce(&mut Counts, &mut MeterState)) {
        record_in(&mut self.lock(), f);
    }

    /// A table call starts. It opens a new sequential round trip unless another table call of
    /// the same request is still in flight: calls made concurrently (`join_all`, `try_join`)
    /// share one round trip, as they would on DynamoDB. The embedded table answers from a
    /// blocking thread (`spawn_blocking`), so concurrent calls do overlap here: each is polled,
    /// and so started, before any answers. Keep the guard until the call has answered.
    pub fn table_call(&self) -> TableCall<'_> {
        let mut st = self.lock();
        if st.table_in_flight == 0 {
            record_in(&mut st, |c, _| c.db_round_trips += 1.0);
        }
        st.table_in_flight += 1;
        TableCall { meter: self, seq: st.request_seq }
    }

    pub fn begin(&self, route: &str) -> InFlight {
        let mut st = self.lock();
        st.current = Some(Counts::default());
        st.request_seq += 1;
        st.table_in_flight = 0;
        drop(st);
        InFlight { route: route.to_owned(), started: Instant::now(), cpu_ns: cpu_ns() }
    }

    pub fn function_of(&self, route: &str) -> (String, f64) {
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
    pub fn end(&self, f: InFlight, http: Option<(u16, u64, u64)>) {
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
            let calls = c.db_get + c.db_batch_get + c.db_put + c.db_delete + c.db_add + c.db_query;
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
        st.request_seq += 1;
        st.table_in_flight = 0;
        let key = (st.phase.clone(), f.route);
        let max = st.round_trips_max.entry(key.clone()).or_default();
        *max = max.max(c.db_round_trips);
        st.by_route.entry(key).or_default().add(&c);
    }

    pub fn take_outbox_records(&self) -> Vec<Uuid> {
        std::mem::take(&mut self.lock().outbox_records)
    }

    pub fn storage(&self) -> Storage {
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

    pub fn report(&self, dossiers: usize, storage: BTreeMap<String, Storage>) -> Report {
        let st = self.lock();
        let rows = st
            .by_route
            .iter()
            .map(|(key, counts)| {
                let (phase, route) = key;
                let (function, memory_mb) = self.function_of(route);
                let round_trips_max = st.round_trips_max.get(key).copied().unwrap_or_default();
                RouteRow {
                    phase: phase.clone(),
                    route: route.clone(),
                    function,
                    memory_mb,
                    counts: counts.clone(),
                    round_trips_max,
                }
            })
            .collect();
        Report {
            dossiers,
            repeats: REPEATS,
            folder_repeats: FOLDER_REPEATS,
            cpu_overhead_us: self.cpu_overhead_ns as f64 / 1000.0,
            rows,
            storage,
        }
    }
}

/// Adds to the request under way in `st`, or to its phase when none is.
fn record_in(st: &mut MeterState, f: impl FnOnce(&mut Counts, &mut MeterState)) {
    let mut current = st.current.take();
    match current.as_mut() {
        Some(c) => f(c, st),
        None => {
            let mut c = Counts::default();
            f(&mut c, st);
            let key = (st.phase.clone(), "(outside a request)".to_owned());
            st.by_route.entry(key).or_default().add(&c);
        }
    }
    st.current = current;
}
