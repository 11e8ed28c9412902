//! The report: the units of work the measuring process divides by, the measures it shows, and
//! the Markdown tables it prints (docs/COST.md and docs/PERFORMANCE.md quote them).

use std::{collections::BTreeMap, time::Duration};

use crate::{
    driver::FOLDER_UNITS,
    meter::{
        Counts, FULL_VCPU_MB, LAT_DYNAMO, LAT_S3_GET, LAT_S3_PER_MIB, LAT_S3_PUT, LAT_S3_SMALL, LAT_SES, LAT_TRANSACT,
        Report,
    },
};

/// A column of the tables: a name, the phases it sums, what it divides by.
struct Unit {
    name: &'static str,
    phases: Vec<&'static str>,
    per: f64,
}

fn units(r: &Report) -> Vec<Unit> {
    let n = r.dossiers as f64;
    let repeats = r.repeats as f64;
    let mut units = vec![
        Unit { name: "API dossier", phases: vec!["api.deposit", "api.dispatch", "api.mairie", "api.operator"], per: n },
        Unit {
            name: "portal dossier",
            phases: vec!["portal.deposit", "portal.dispatch", "portal.agent", "portal.operator"],
            per: n,
        },
        Unit { name: "portal sign-in + sign-out", phases: vec!["portal.session"], per: n },
        Unit { name: "token", phases: vec!["token"], per: repeats },
        Unit { name: "idle poll", phases: vec!["poll.idle"], per: repeats },
        Unit { name: "idle scheduled run", phases: vec!["schedule.idle"], per: repeats },
        Unit { name: "cold front load", phases: vec!["front.cold"], per: 1.0 },
        Unit { name: "warm front load", phases: vec!["front.warm"], per: 1.0 },
    ];
    for f in &FOLDER_UNITS {
        units.push(Unit { name: f.name, phases: vec![f.deposit, f.dispatch], per: r.folder_repeats as f64 });
    }
    units
}

fn sum(r: &Report, unit: &Unit, logs: &BTreeMap<String, (f64, f64)>) -> Counts {
    let mut total = Counts::default();
    for row in r.rows.iter().filter(|row| unit.phases.contains(&row.phase.as_str())) {
        total.add(&row.counts);
    }
    for phase in &unit.phases {
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
        ("DynamoDB GetItem", |c| c.db_get, 1),
        ("DynamoDB BatchGetItem", |c| c.db_batch_get, 1),
        ("  keys read in them", |c| c.db_batch_get_keys, 1),
        ("  items missed (GetItem and BatchGetItem)", |c| c.db_get_missed, 1),
        ("DynamoDB PutItem", |c| c.db_put, 1),
        ("DynamoDB DeleteItem", |c| c.db_delete, 1),
        ("DynamoDB UpdateItem (ADD)", |c| c.db_add, 1),
        ("DynamoDB Query", |c| c.db_query, 1),
        ("  of which on an index", |c| c.db_query_gsi, 1),
        ("  items returned", |c| c.db_query_items, 1),
        ("DynamoDB TransactWriteItems", |c| c.db_transact, 1),
        ("  writes in them", |c| c.db_transact_writes, 1),
        ("  condition checks in them", |c| c.db_transact_checks, 1),
        ("DynamoDB sequential round trips", |c| c.db_round_trips, 1),
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

pub fn print_tables(r: &Report, logs: &BTreeMap<String, (f64, f64)>, elapsed: Duration) {
    let units = units(r);
    let totals: Vec<Counts> = units.iter().map(|u| sum(r, u, logs)).collect();
    println!(
        "Cost model run: {} dossiers per mode, {} tokens / idle polls / idle scheduled runs, {} API folders of each size; {:.0} s; CPU meter overhead {:.0} µs (subtracted).\n",
        r.dossiers,
        r.repeats,
        r.folder_repeats,
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
        "| unit | route | function (MB) | per unit | table round trips (mean / max) | wall ms | CPU ms | modelled ms | DynamoDB calls | RRU | WRU + GSI WRU | S3 calls | bytes out |"
    );
    println!("|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
    for unit in &units {
        // Per route: the counts, and the most sequential table round trips of one request.
        let mut by_route: BTreeMap<(String, String, u64), (Counts, f64)> = BTreeMap::new();
        for row in r.rows.iter().filter(|row| unit.phases.contains(&row.phase.as_str())) {
            let key = (row.route.clone(), row.function.clone(), row.memory_mb as u64);
            let (counts, max) = by_route.entry(key).or_default();
            counts.add(&row.counts);
            *max = max.max(row.round_trips_max);
        }
        for ((route, function, memory), (c, round_trips_max)) in by_route {
            let n = (c.http_requests + c.static_requests + c.s3_direct_gets).max(c.invocations).max(1.0);
            let calls = c.db_get + c.db_batch_get + c.db_put + c.db_delete + c.db_add + c.db_query + c.db_transact;
            let s3 = c.s3_put + c.s3_get + c.s3_head + c.s3_delete;
            let function = if memory > 0 { format!("{function} ({memory})") } else { function };
            println!(
                "| {} | {route} | {function} | {} | {:.1} / {round_trips_max:.0} | {:.1} | {:.1} | {:.0} | {:.1} | {:.1} | {:.1} | {:.1} | {} |",
                unit.name,
                fmt(n / unit.per, 2),
                c.db_round_trips / n,
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
    println!(
        "\nTable round trips: per request or invocation, the table calls that started while no other call of it was in flight \
         (calls made concurrently share one, as they would on DynamoDB); mean / most of one request."
    );
}
