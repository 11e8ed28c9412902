//! The physical reference of the load benchmark: how many 4 KiB appends, each made durable
//! with `fdatasync`, the file system of the hub's data directory takes per second.

use std::{
    io::Write,
    path::Path,
    process::Command,
    time::{Duration, Instant},
};

pub struct FsyncReference {
    pub per_second: f64,
    /// The file system's type (`stat -f`), e.g. `ext2/ext3` for ext4.
    pub fs_type: String,
}

/// Appends 4 KiB and `fdatasync`s, in a loop for `duration`, in a scratch file of `dir`.
pub fn measure(dir: &Path, duration: Duration) -> std::io::Result<FsyncReference> {
    let path = dir.join("fsync-reference.bin");
    let mut file = std::fs::OpenOptions::new().create(true).append(true).open(&path)?;
    let block = [0x5Au8; 4096];
    let started = Instant::now();
    let mut appends = 0u64;
    while started.elapsed() < duration {
        file.write_all(&block)?;
        file.sync_data()?;
        appends += 1;
    }
    let per_second = appends as f64 / started.elapsed().as_secs_f64();
    drop(file);
    std::fs::remove_file(&path)?;
    let fs_type = Command::new("stat")
        .args(["-f", "-c", "%T"])
        .arg(dir)
        .output()
        .ok()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
        .filter(|t| !t.is_empty())
        .unwrap_or_else(|| "unknown".into());
    Ok(FsyncReference { per_second, fs_type })
}
