//! Benchmark: a 100-dossier zip (200 files of 2 MiB) streamed by the local hub (release build,
//! its own process) to a signed-in agent. Prints the hub's peak memory growth during the
//! download and the throughput as a ratio of `zip -0` on the same files, in the same run.
//!
//! Run with `scripts/bench-zip` (builds the release binaries first).

#![allow(clippy::unwrap_used, clippy::expect_used)] // A benchmark: a failed step aborts it.

use std::{process::Command, time::Instant};

use futures::StreamExt;
use hubee_tests::bench::{HubProcess, operator_token};
use serde_json::{Value, json};

const DOSSIERS: usize = 100;
const FILE: usize = 2 * 1024 * 1024;

/// Incompressible, deterministic bytes.
fn bytes(seed: u64) -> Vec<u8> {
    let mut x = seed | 1;
    (0..FILE / 8)
        .flat_map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x.to_le_bytes()
        })
        .collect()
}

/// The six-digit code of the latest sign-in e-mail in the outbox folder.
fn sign_in_code(outbox: &std::path::Path) -> String {
    let mut files: Vec<_> = std::fs::read_dir(outbox).unwrap().flatten().map(|e| e.path()).collect();
    files.sort();
    let text = std::fs::read_to_string(files.last().unwrap()).unwrap().replace("=\r\n", "").replace("=\n", "");
    let after = &text[text.find("unique").expect("the code's sentence")..];
    after.split(|c: char| !c.is_ascii_digit()).find(|w| w.len() == 6).expect("a six-digit code").to_owned()
}

#[tokio::main]
async fn main() {
    let hub_bin = std::env::args().nth(1).expect("usage: bench-zip <path to the hubee-local binary>");
    let dir = tempfile::tempdir().unwrap();
    let secret = hubee_shared::auth::generate_secret();
    let mairie = (hubee_tests::fictional_siret(0), "10000");
    let seed = json!({
        "procedures": [{"code": "CERTDC", "title": "Certificat de décès électronique", "operator": "DGS"}],
        "organisations": [
            {"siret": mairie.0, "branchCode": mairie.1, "name": "Mairie", "type": "SI"},
            {"siret": "11000000000007", "branchCode": "00000", "name": "DGS", "type": "OSL", "code": "DGS"}
        ],
        "subscriptions": [{"siret": mairie.0, "branchCode": mairie.1, "processCode": "CERTDC", "status": "Actif",
                           "accessMode": "PORTAIL", "notificationFrequency": "aucune"}],
        "apiClients": [{"clientId": "bench", "clientSecret": secret, "scope": "OSL", "siret": "11000000000007", "branchCode": "00000"}],
        "accounts": [{"email": "agent@bench.example", "password": "Bench-Agent-2026!", "actorType": "AGENT", "habilitations": ["CERTDC"],
                      "siret": mairie.0, "branchCode": mairie.1, "firstName": "Bench", "lastName": "Agent"}]
    });
    std::fs::write(dir.path().join("seed.json"), seed.to_string()).unwrap();
    let data = dir.path().join("data");
    let hub = HubProcess::start(&hub_bin, &data, &dir.path().join("seed.json"));
    let base = hub.base.clone();
    let http = reqwest::Client::new();

    // 100 dossiers of two 2 MiB files, deposited and completed; the same files on disk.
    let token = operator_token(&http, &base, "bench", &secret).await;
    let files_dir = dir.path().join("files");
    let mut case_ids = Vec::new();
    for d in 0..DOSSIERS {
        let number = format!("ZIP-{d:03}");
        std::fs::create_dir_all(files_dir.join(&number)).unwrap();
        let attachments: Vec<Value> = (0..2)
            .map(|f| json!({"fileName": format!("piece-{f}.pdf"), "type": "PJ", "size": FILE, "mimeType": "application/pdf", "recipients": [number]}))
            .collect();
        let body = json!({"externalId": number, "processCode": "CERTDC", "applicant": {"firstName": "A", "lastName": "B"},
            "cases": [{"externalId": number, "recipient": {"type": "SI", "companyRegister": mairie.0, "branchCode": mairie.1}}],
            "attachments": attachments});
        let folder: Value = http
            .post(format!("{base}/teledossiers/v1/folders"))
            .bearer_auth(&token)
            .json(&body)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let id = folder["id"].as_str().unwrap();
        for f in 0..2 {
            let content = bytes((d * 2 + f) as u64 + 7);
            std::fs::write(files_dir.join(&number).join(format!("piece-{f}.pdf")), &content).unwrap();
            let att = folder["attachments"][f]["id"].as_str().unwrap();
            let r = http
                .put(format!("{base}/teledossiers/v1/folders/{id}/attachments/{att}"))
                .bearer_auth(&token)
                .body(content)
                .send()
                .await
                .unwrap();
            assert_eq!(r.status(), 204);
        }
        let r = http
            .patch(format!("{base}/teledossiers/v1/folders/{id}"))
            .bearer_auth(&token)
            .json(&json!({"globalStatus": "HUBEE_COMPLETED"}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 204);
        case_ids.push(folder["cases"][0]["id"].as_str().unwrap().to_owned());
    }

    // `zip -0` on the same files: the faster of two runs.
    let zip_seconds = (0..2)
        .map(|i| {
            let target = dir.path().join(format!("reference-{i}.zip"));
            let t = Instant::now();
            let status = Command::new("zip")
                .current_dir(&files_dir)
                .args(["-0", "-q", "-r"])
                .arg(&target)
                .arg(".")
                .status()
                .expect("zip");
            assert!(status.success());
            t.elapsed().as_secs_f64()
        })
        .fold(f64::MAX, f64::min);

    // Sign in as the agent, with the code from the outbox folder.
    let challenge: Value = http
        .post(format!("{base}/portail/v1/session"))
        .json(&json!({"email": "agent@bench.example", "password": "Bench-Agent-2026!"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let code = sign_in_code(&data.join("outbox"));
    let r = http
        .post(format!("{base}/portail/v1/session/otp"))
        .json(&json!({"challengeId": challenge["challengeId"], "code": code}))
        .send()
        .await
        .unwrap();
    let cookie = r.headers()["set-cookie"].to_str().unwrap().split(';').next().unwrap().to_owned();
    let me: Value = r.json().await.unwrap();
    let csrf = me["csrfToken"].as_str().unwrap().to_owned();

    // The download, its peak memory and its throughput.
    let rss_before = hub.reset_peak();
    let started = Instant::now();
    let r = http
        .post(format!("{base}/portail/v1/archives"))
        .header("cookie", &cookie)
        .header("x-csrf-token", &csrf)
        .json(&json!({"caseIds": case_ids}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let target = dir.path().join("hub.zip");
    let mut file = tokio::fs::File::create(&target).await.unwrap();
    let mut stream = r.bytes_stream();
    let mut size = 0u64;
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.unwrap();
        size += chunk.len() as u64;
        tokio::io::AsyncWriteExt::write_all(&mut file, &chunk).await.unwrap();
    }
    tokio::io::AsyncWriteExt::flush(&mut file).await.unwrap();
    let hub_seconds = started.elapsed().as_secs_f64();
    let peak = hub.status_kib("VmHWM:");
    drop(hub);
    let listing = Command::new("unzip").arg("-qq").arg("-l").arg(&target).output().unwrap();
    let entries = String::from_utf8_lossy(&listing.stdout).lines().count();
    let test = Command::new("unzip").arg("-qq").arg("-t").arg(&target).status().unwrap();
    assert!(test.success(), "the archive is valid");

    let growth = peak.saturating_sub(rss_before) as f64 / 1024.0;
    let mib = size as f64 / 1_048_576.0;
    let ratio = zip_seconds / hub_seconds;
    println!("| measure | value | target |");
    println!("|---|---|---|");
    println!("| archive | {DOSSIERS} dossiers, {entries} entries (manifest included), {mib:.0} MiB, `unzip -t` OK | |");
    println!("| zip -0 on the same files | {zip_seconds:.2} s | |");
    println!("| download from the hub | {hub_seconds:.2} s ({:.0} MiB/s) | |", mib / hub_seconds);
    println!("| throughput ratio hub / zip -0 | {ratio:.2} | |");
    println!("| hub RSS before the download | {:.1} MiB | |", rss_before as f64 / 1024.0);
    println!(
        "| hub peak RSS growth during the download | {growth:.1} MiB | < 64 MiB {} |",
        if growth < 64.0 { "met" } else { "MISSED" }
    );
}
