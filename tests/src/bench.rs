//! What the benchmarks that run the hub as its own process share: starting it, its memory
//! readings, and an operator token.

#![allow(clippy::unwrap_used, clippy::expect_used)] // Benchmark support: a failed step aborts the run.

use std::{
    io::{BufRead, BufReader},
    path::Path,
    process::{Child, Command, Stdio},
};

use base64::{Engine, engine::general_purpose::STANDARD};
use serde_json::Value;

/// The release hub, started on a free port with a data directory and a provisioning file,
/// without the demo referential; killed when dropped.
pub struct HubProcess {
    child: Child,
    pub pid: u32,
    /// `http://127.0.0.1:<port>`.
    pub base: String,
}

impl HubProcess {
    pub fn start(bin: &str, data_dir: &Path, seed: &Path) -> Self {
        let mut child = Command::new(bin)
            .env("HUBEE_ADDR", "127.0.0.1:0")
            .env("HUBEE_DATA_DIR", data_dir)
            .env("HUBEE_SEED", seed)
            .env("HUBEE_DEMO", "0")
            .env("RUST_LOG", "warn")
            .stdout(Stdio::piped())
            .spawn()
            .expect("starting the hub");
        let pid = child.id();
        let mut out = BufReader::new(child.stdout.take().unwrap());
        // The line naming the address; log lines (warnings at start-up) may come before it.
        let mut base = None;
        for _ in 0..100 {
            let mut line = String::new();
            if out.read_line(&mut line).unwrap() == 0 {
                break;
            }
            base = line.split_whitespace().find(|w| w.starts_with("http://")).map(str::to_owned);
            if base.is_some() {
                break;
            }
        }
        let base = base.expect("the hub prints its address");
        // Keep draining the hub's output so that its writes never block or fail; into the file
        // `BENCH_HUB_LOG` names, if any (appended to: a restarted hub's lines follow).
        let log = std::env::var_os("BENCH_HUB_LOG")
            .and_then(|path| std::fs::OpenOptions::new().create(true).append(true).open(path).ok());
        std::thread::spawn(move || match log {
            Some(mut file) => std::io::copy(&mut out, &mut file),
            None => std::io::copy(&mut out, &mut std::io::sink()),
        });
        Self { child, pid, base }
    }

    /// A field of `/proc/<pid>/status`, in KiB (`VmRSS:`, `VmHWM:`).
    pub fn status_kib(&self, field: &str) -> u64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.pid)).unwrap();
        status
            .lines()
            .find_map(|l| l.strip_prefix(field)?.trim().strip_suffix("kB")?.trim().parse().ok())
            .unwrap_or_else(|| panic!("{field} not in /proc/{}/status", self.pid))
    }

    /// The CPU time (user and system) the hub used so far, in seconds.
    pub fn cpu_seconds(&self) -> f64 {
        cpu_seconds(&self.pid.to_string())
    }

    /// Kills the hub with SIGKILL, as a crash would: no shutdown, no flush.
    pub fn kill9(mut self) {
        // `Child::kill` is SIGKILL on Unix.
        self.child.kill().expect("killing the hub");
        self.child.wait().expect("reaping the hub");
    }

    /// Resets the peak resident size to the current one (Linux: `clear_refs` 5) and returns the
    /// current resident size, in KiB.
    pub fn reset_peak(&self) -> u64 {
        std::fs::write(format!("/proc/{}/clear_refs", self.pid), "5").expect("resetting the hub's peak RSS");
        self.status_kib("VmRSS:")
    }
}

impl Drop for HubProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The CPU time (user and system) of a process so far, in seconds: `utime` and `stime` of
/// `/proc/<pid>/stat` (`self` for this process).
pub fn cpu_seconds(pid: &str) -> f64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).expect("reading /proc/<pid>/stat");
    // The fields after the command name, which is in parentheses and may hold spaces: the
    // state (field 3) first, utime and stime are fields 14 and 15.
    let fields: Vec<&str> = stat.rsplit_once(')').expect("a stat line").1.split_whitespace().collect();
    let ticks: u64 = fields[11].parse::<u64>().unwrap() + fields[12].parse::<u64>().unwrap();
    ticks as f64 / clock_ticks_per_second()
}

/// `getconf CLK_TCK` (100 on Linux unless it says otherwise).
fn clock_ticks_per_second() -> f64 {
    static TICKS: std::sync::OnceLock<f64> = std::sync::OnceLock::new();
    *TICKS.get_or_init(|| {
        Command::new("getconf")
            .arg("CLK_TCK")
            .output()
            .ok()
            .and_then(|o| String::from_utf8_lossy(&o.stdout).trim().parse().ok())
            .unwrap_or(100.0)
    })
}

/// A bearer token for an operator client (`POST /token`, scope OSL).
pub async fn operator_token(http: &reqwest::Client, base: &str, client: &str, secret: &str) -> String {
    client_token(http, base, client, secret, "OSL").await
}

/// A bearer token for an API client (`POST /token` with HTTP Basic) in `scope`.
pub async fn client_token(http: &reqwest::Client, base: &str, client: &str, secret: &str, scope: &str) -> String {
    let answer: Value = http
        .post(format!("{base}/token"))
        .header("authorization", format!("Basic {}", STANDARD.encode(format!("{client}:{secret}"))))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(format!("grant_type=client_credentials&scope={scope}"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    answer["access_token"].as_str().unwrap_or_else(|| panic!("a token for {client}: {answer}")).to_owned()
}
