//! The local hub binary's maintenance commands, run on the hub's own storage (its data
//! directory, or the AWS resources with `HUBEE_BACKEND=aws`) with the hub's configuration:
//! `cargo run --release -- reindex` (docs/DEPLOY.md, "Upgrading"), `cargo run --release --
//! audit verify` (docs/AUDIT.md).

use std::sync::Arc;

use hubee_shared::{
    adapters::SystemClock, bootstrap, config::LocalConfig, services::audit, state::AppState, store::ReindexPage,
};

/// Items read per page of a re-indexing.
const PAGE: usize = 500;

/// The command the arguments name, if any (none: serve).
///
/// # Errors
/// For arguments that name no command, with the usage.
pub fn command(args: &[String]) -> anyhow::Result<Option<Command>> {
    match args {
        [] => Ok(None),
        [reindex] if reindex == "reindex" => Ok(Some(Command::Reindex)),
        [audit, verify] if audit == "audit" && verify == "verify" => Ok(Some(Command::AuditVerify)),
        _ => anyhow::bail!(
            "unknown arguments {args:?}\n\
             usage: hubee-local                 serve the hub\n       \
             hubee-local reindex         give items stored by an older version this version's index entries\n       \
             hubee-local audit verify    check the audit journal's chains against their entries and anchors"
        ),
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Command {
    Reindex,
    AuditVerify,
}

/// Runs a command on the hub's storage, printing what it does.
///
/// # Errors
/// When the storage cannot be opened or fails.
pub async fn run(command: Command, config: LocalConfig) -> anyhow::Result<()> {
    let common = config.common(config.addr);
    let (state, _) = bootstrap::local(&config, &common, Arc::new(SystemClock), std::convert::identity).await?;
    match command {
        Command::Reindex => reindex(&state).await,
        Command::AuditVerify => audit_verify(&state).await,
    }
}

/// Checks every chain and anchor; prints what it checked, or fails naming the first entry or
/// anchor that does not hold.
async fn audit_verify(state: &AppState) -> anyhow::Result<()> {
    match audit::verify(state).await {
        Ok(done) => {
            println!(
                "audit journal verified: {} anchors, {} days ({} not sealed yet), {} chains, {} entries",
                done.anchors,
                done.days,
                done.unsealed_days.len(),
                done.chains,
                done.entries
            );
            Ok(())
        }
        Err(e) => anyhow::bail!("audit journal verification FAILED: {e}"),
    }
}

/// Re-indexes every item, page by page, printing the totals as it goes.
async fn reindex(state: &AppState) -> anyhow::Result<()> {
    let mut total = ReindexPage::default();
    let mut pages = 0_usize;
    loop {
        let page = state.store.reindex_page(total.next.take(), PAGE).await?;
        for code in &page.code_conflicts {
            println!("operator code {code} is reserved by another organisation than the one holding it: left as it is");
        }
        total.absorb(page);
        pages += 1;
        if pages.is_multiple_of(100) {
            println!("{} items read, {} re-indexed so far", total.examined, total.reindexed);
        }
        if total.next.is_none() {
            break;
        }
    }
    println!(
        "re-indexing done: {} items read, {} re-indexed, {} operator codes reserved, {} changed meanwhile (already current), {} code conflicts",
        total.examined,
        total.reindexed,
        total.codes_reserved,
        total.changed_meanwhile,
        total.code_conflicts.len()
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(a: &[&str]) -> Vec<String> {
        a.iter().map(|s| (*s).to_owned()).collect()
    }

    #[test]
    fn no_argument_serves_and_reindex_is_the_one_command() {
        assert_eq!(command(&[]).unwrap(), None);
        assert_eq!(command(&args(&["reindex"])).unwrap(), Some(Command::Reindex));
        assert_eq!(command(&args(&["audit", "verify"])).unwrap(), Some(Command::AuditVerify));
        for wrong in [&["reindex", "now"][..], &["serve"], &["--reindex"], &["audit"], &["audit", "seal"]] {
            let e = command(&args(wrong)).unwrap_err().to_string();
            assert!(e.contains("usage: hubee-local"), "{e}");
        }
    }
}
