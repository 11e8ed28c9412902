//! Benchmark: one 200 MiB attachment uploaded through the local hub (release build, its own
//! process). Prints the hub's peak memory growth during the upload and the upload throughput as
//! a ratio of `sha256sum` on the same file, measured in the same run. With `HUBEE_CLAMD_ADDR`
//! set, the hub (which inherits the environment) scans the upload with that clamd as it streams.
//!
//! Run with `scripts/bench-upload` (builds the release binaries first).

#![allow(clippy::unwrap_used, clippy::expect_used)] // A benchmark: a failed step aborts it.

use std::{io::Write, path::Path, process::Command, time::Instant};

use hubee_tests::bench::{HubProcess, operator_token};
use serde_json::{Value, json};

const SIZE: u64 = 200 * 1024 * 1024;

fn write_file(path: &Path) {
    // Incompressible, deterministic bytes (xorshift), written in 1 MiB blocks.
    let mut f = std::io::BufWriter::new(std::fs::File::create(path).unwrap());
    let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut block = vec![0u8; 1 << 20];
    for _ in 0..SIZE >> 20 {
        for chunk in block.chunks_mut(8) {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            chunk.copy_from_slice(&x.to_le_bytes());
        }
        f.write_all(&block).unwrap();
    }
    f.flush().unwrap();
}

fn sha256sum_seconds(path: &Path) -> f64 {
    // The faster of two runs, both on a warm page cache.
    (0..2)
        .map(|_| {
            let t = Instant::now();
            let out = Command::new("sha256sum").arg(path).output().expect("sha256sum");
            assert!(out.status.success());
            t.elapsed().as_secs_f64()
        })
        .fold(f64::MAX, f64::min)
}

#[tokio::main]
async fn main() {
    let hub_bin = std::env::args().nth(1).expect("usage: bench-upload <path to the hubee-local binary>");
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("attachment.bin");
    write_file(&file);
    let sha_seconds = sha256sum_seconds(&file);

    let secret = hubee_shared::auth::generate_secret();
    let seed = json!({
        "procedures": [{"code": "BENCH", "title": "Benchmark", "operator": "OPB"}],
        "organisations": [
            {"siret": "11001401600015", "branchCode": "75108", "name": "Mairie", "type": "SI"},
            {"siret": "11000000000007", "branchCode": "00000", "name": "Operator", "type": "OSL", "code": "OPB"}
        ],
        "subscriptions": [{"siret": "11001401600015", "branchCode": "75108", "processCode": "BENCH", "status": "Actif",
                           "accessMode": "API", "notificationFrequency": "aucune"}],
        "apiClients": [{"clientId": "bench", "clientSecret": secret, "scope": "OSL", "siret": "11000000000007", "branchCode": "00000"}]
    });
    std::fs::write(dir.path().join("seed.json"), seed.to_string()).unwrap();

    let hub = HubProcess::start(&hub_bin, &dir.path().join("data"), &dir.path().join("seed.json"));
    let base = hub.base.clone();

    let http = reqwest::Client::new();
    let token = operator_token(&http, &base, "bench", &secret).await;
    let folder: Value = http
        .post(format!("{base}/teledossiers/v1/folders"))
        .bearer_auth(&token)
        .json(&json!({
            "externalId": "BENCH-1", "processCode": "BENCH",
            "applicant": {"firstName": "A", "lastName": "B"},
            "cases": [{"externalId": "C1", "recipient": {"type": "SI", "companyRegister": "11001401600015", "branchCode": "75108"}}],
            "attachments": [{"fileName": "big.bin", "type": "T", "size": SIZE, "mimeType": "application/octet-stream", "recipients": ["C1"]}]
        }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let url = format!(
        "{base}/teledossiers/v1/folders/{}/attachments/{}",
        folder["id"].as_str().unwrap(),
        folder["attachments"][0]["id"].as_str().unwrap()
    );

    let rss_before = hub.reset_peak();
    let body = tokio_util::io::ReaderStream::with_capacity(tokio::fs::File::open(&file).await.unwrap(), 256 * 1024);
    let started = Instant::now();
    let r = http
        .put(&url)
        .bearer_auth(&token)
        .header("content-type", "application/octet-stream")
        .header("content-length", SIZE)
        .body(reqwest::Body::wrap_stream(body))
        .send()
        .await
        .unwrap();
    let upload_seconds = started.elapsed().as_secs_f64();
    assert_eq!(r.status(), 204, "upload: {}", r.text().await.unwrap_or_default());
    let peak = hub.status_kib("VmHWM:");
    let folder_id = folder["id"].as_str().unwrap();
    let seen: Value = http
        .get(format!("{base}/teledossiers/v1/folders/{folder_id}"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    drop(hub);
    let antivirus = match std::env::var("HUBEE_CLAMD_ADDR") {
        Ok(addr) if !addr.is_empty() => format!("clamd at {addr}"),
        _ => "off".to_owned(),
    };

    let growth_mib = peak.saturating_sub(rss_before) as f64 / 1024.0;
    let mib = (SIZE >> 20) as f64;
    let ratio = sha_seconds / upload_seconds;
    println!("| measure | value | target |");
    println!("|---|---|---|");
    println!("| antivirus | {antivirus} | |");
    println!(
        "| attachment status after the upload | {} | RECEIVED |",
        seen["attachments"][0]["status"].as_str().unwrap_or("none")
    );
    println!("| file size | {mib:.0} MiB | |");
    println!("| sha256sum | {sha_seconds:.2} s ({:.0} MiB/s) | |", mib / sha_seconds);
    println!("| upload through the hub | {upload_seconds:.2} s ({:.0} MiB/s) | |", mib / upload_seconds);
    println!(
        "| throughput ratio upload / sha256sum | {ratio:.2} | >= 0.5 {} |",
        if ratio >= 0.5 { "met" } else { "MISSED" }
    );
    println!("| hub RSS before upload | {:.1} MiB | |", rss_before as f64 / 1024.0);
    println!(
        "| hub peak RSS growth during upload | {growth_mib:.1} MiB | < 32 MiB {} |",
        if growth_mib < 32.0 { "met" } else { "MISSED" }
    );
}
