//! Builds the web front (`web/dist`) when its sources or lockfile change, so that
//! `cargo run --release` serves a styled portal from a fresh clone (docs/WEB.md). It never fails
//! the Rust build: without npm, or offline, it prints a cargo warning and the hub serves a page
//! saying how to build the front. It writes only to `web/node_modules` and `web/dist`
//! (gitignored). `HUBEE_SKIP_WEB_BUILD=1` skips it.

use std::{
    path::{Path, PathBuf},
    process::Command,
    time::SystemTime,
};

fn main() {
    let Some(web) = std::env::var_os("CARGO_MANIFEST_DIR").map(|d| PathBuf::from(d).join("../../web")) else {
        return;
    };
    for input in ["src", "build.mjs", "package.json", "package-lock.json"] {
        println!("cargo:rerun-if-changed={}", web.join(input).display());
    }
    println!("cargo:rerun-if-env-changed=HUBEE_SKIP_WEB_BUILD");
    if std::env::var_os("HUBEE_SKIP_WEB_BUILD").is_some_and(|v| v != "0") || !web.join("package.json").is_file() {
        return;
    }
    if let Err(problem) = build(&web) {
        println!("cargo:warning=the web front was not built ({problem}); run `cd web && npm ci && npm run build`");
    }
}

fn build(web: &Path) -> Result<(), String> {
    if installed_is_stale(web) {
        npm(web, &["ci", "--no-audit", "--no-fund"])?;
    }
    npm(web, &["run", "build"])
}

/// Whether `node_modules` is missing or older than the lockfile.
fn installed_is_stale(web: &Path) -> bool {
    let modified = |p: PathBuf| std::fs::metadata(p).and_then(|m| m.modified()).ok();
    match (modified(web.join("node_modules/.package-lock.json")), modified(web.join("package-lock.json"))) {
        (Some(installed), Some(lock)) => installed < lock,
        (None, _) => true,
        (Some(_), None) => false,
    }
}

fn npm(web: &Path, args: &[&str]) -> Result<(), String> {
    let started = SystemTime::now();
    // npm's output goes to stderr: cargo reads a build script's stdout for its instructions.
    let output = Command::new("npm")
        .args(args)
        .current_dir(web)
        .output()
        .map_err(|e| format!("npm could not be started: {e}"))?;
    if output.status.success() {
        let took = started.elapsed().map(|d| d.as_secs()).unwrap_or_default();
        eprintln!("npm {} done in {took} s", args.join(" "));
        return Ok(());
    }
    let log = String::from_utf8_lossy(&output.stderr);
    let tail: Vec<_> = log.lines().rev().take(5).collect();
    eprintln!("{}{log}", String::from_utf8_lossy(&output.stdout));
    Err(format!("`npm {}` failed: {}", args.join(" "), tail.into_iter().rev().collect::<Vec<_>>().join(" / ")))
}
