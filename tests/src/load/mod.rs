//! The load benchmark (`scripts/bench-load`, `bin/bench-load.rs`): concurrent operators and a
//! polling instructing service against the release hub as its own process, the disk's fsync
//! rate as the physical reference, then a SIGKILL under load and the checks after the restart.

#![allow(clippy::unwrap_used, clippy::expect_used)] // Benchmark support: a failed step aborts the run.

pub mod api;
pub mod crash;
pub mod fixture;
pub mod fsync;
pub mod instructing;
pub mod operator;
pub mod outbox;
pub mod stats;
pub mod verify;

use std::{
    path::PathBuf,
    sync::Arc,
    time::{Duration, Instant},
};

use crate::bench::HubProcess;
use fixture::Secrets;
use instructing::Inbox;
use operator::{Ctx, Deposit, Run};
use outbox::Outbox;

/// What the phases of a run share.
pub struct Bench {
    pub hub_bin: String,
    pub data: PathBuf,
    pub seed: PathBuf,
    pub secrets: Secrets,
    pub operators: usize,
    pub ctx: Arc<Ctx>,
    pub inbox: Arc<Inbox>,
    pub outbox: Outbox,
}

impl Bench {
    /// Starts the hub on the data directory (a restart when it holds data already).
    pub async fn start_hub(&self) -> HubProcess {
        let (bin, data, seed) = (self.hub_bin.clone(), self.data.clone(), self.seed.clone());
        tokio::task::spawn_blocking(move || HubProcess::start(&bin, &data, &seed)).await.unwrap()
    }

    /// Whether every completed folder's case was listed to the instructing service.
    pub fn all_seen(&self) -> bool {
        let completed = self.ctx.ledger.completed_at.lock().unwrap();
        let seen = self.inbox.seen.lock().unwrap();
        completed.keys().all(|c| seen.cases.contains_key(c))
    }

    /// Waits until the completed folders' e-mails are all written, and until their cases were
    /// all listed to the instructing service and its inbox is empty: how long each took (`None`
    /// when not by `deadline`).
    pub async fn drain(&mut self, deposits: &[Deposit], deadline: Instant) -> (Option<Duration>, Option<Duration>) {
        let started = Instant::now();
        let expected = verify::expected_emails(deposits);
        let (mut emails, mut notifications) = (None, None);
        while Instant::now() < deadline {
            if emails.is_none() && verify::compare(&self.outbox.scan(), &expected).missing == 0 {
                emails = Some(started.elapsed());
            }
            if notifications.is_none() && self.all_seen() && self.inbox.drained() {
                notifications = Some(started.elapsed());
            }
            if emails.is_some() && notifications.is_some() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        (emails, notifications)
    }
}

/// Runs `n` operators, each depositing folders `<prefix>-<i>-<n>` until the deadline (none:
/// until the hub stops answering).
pub async fn operate(ctx: Arc<Ctx>, n: usize, prefix: &'static str, deadline: Option<Instant>) -> Vec<Run> {
    let tasks: Vec<_> =
        (0..n).map(|i| tokio::spawn(operator::run(ctx.clone(), format!("{prefix}-{i:02}"), deadline))).collect();
    let mut runs = Vec::new();
    for t in tasks {
        runs.push(t.await.unwrap());
    }
    runs
}
