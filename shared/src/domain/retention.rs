//! Retention (CONTRACT.md, "Retention"): per procedure, when a case's attachment binaries are
//! purged, when a closed case is archived and when an archived folder is deleted; and the due
//! marker that starts each of these clocks. See docs/RETENTION.md.

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::{BranchCode, CaseStatus, OrgRef, OrgType, Siret, contract_time};

/// Without a rule of its procedure, binaries are purged once a case is finished (`DONE`, or
/// any status as far along: `REFUSED`, `CLOSED`, `ARCHIVED`)…
pub const DEFAULT_PURGE_AFTER: CaseStatus = CaseStatus::Done;
/// … 30 days later: the recipient has had a month to download them.
pub const DEFAULT_PURGE_DELAY_DAYS: u32 = 30;
/// A closed case leaves the inbox for the archive 90 days after it was closed.
pub const DEFAULT_ARCHIVE_DELAY_DAYS: u32 = 90;
/// An archived folder (every case archived) is deleted a year after its last case was archived.
pub const DEFAULT_DELETE_DELAY_DAYS: u32 = 365;
/// The longest delay a procedure may set (a century): beyond, a date would be meaningless.
pub const MAX_DELAY_DAYS: u32 = 36_525;

/// A procedure's retention rules, as the provisioning file sets them; what it leaves out takes
/// the defaults above.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Retention {
    /// The status (or any status as far along, see [`progress`]) that starts the purge clock.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub purge_after_status: Option<CaseStatus>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub purge_delay_days: Option<u32>,
    /// Days between a case's closing (see [`is_closed`]) and its archiving.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub archive_delay_days: Option<u32>,
    /// Days between the archiving of a folder's last case and the folder's deletion.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub delete_delay_days: Option<u32>,
}

impl Retention {
    pub fn is_default(&self) -> bool {
        *self == Self::default()
    }

    /// # Errors
    /// A sentence naming the wrong rule.
    pub fn check(&self) -> Result<(), String> {
        // Before SENT the recipient has not fetched the files; and a clock started by the
        // folder's completion would not fit its transaction (docs/ACCESS-PATTERNS.md).
        if self.purge_after_status.is_some_and(|s| progress(s) < progress(CaseStatus::Sent)) {
            return Err(
                "purgeAfterStatus must be SENT or a later status: the recipient has not fetched the files before"
                    .into(),
            );
        }
        for (name, days) in [
            ("purgeDelayDays", self.purge_delay_days),
            ("archiveDelayDays", self.archive_delay_days),
            ("deleteDelayDays", self.delete_delay_days),
        ] {
            if days.is_some_and(|d| d > MAX_DELAY_DAYS) {
                return Err(format!("{name} must be at most {MAX_DELAY_DAYS} days"));
            }
        }
        Ok(())
    }

    pub fn purge_after(&self) -> CaseStatus {
        self.purge_after_status.unwrap_or(DEFAULT_PURGE_AFTER)
    }

    /// Whether a case in `status` has its binaries' purge clock running.
    pub fn purges_in(&self, status: CaseStatus) -> bool {
        progress(status) >= progress(self.purge_after())
    }

    /// The delay of a stage, once its clock runs.
    pub fn delay(&self, stage: RetentionStage) -> Duration {
        let days = match stage {
            RetentionStage::Purge => self.purge_delay_days.unwrap_or(DEFAULT_PURGE_DELAY_DAYS),
            RetentionStage::Archive => self.archive_delay_days.unwrap_or(DEFAULT_ARCHIVE_DELAY_DAYS),
            RetentionStage::Delete => self.delete_delay_days.unwrap_or(DEFAULT_DELETE_DELAY_DAYS),
        };
        Duration::days(i64::from(days))
    }

    /// Whether a case in `status` has the clock of `stage` running (for `Delete`, the clock of
    /// its folder, which runs once every case is archived).
    pub fn runs_in(&self, stage: RetentionStage, status: CaseStatus) -> bool {
        match stage {
            RetentionStage::Purge => self.purges_in(status),
            RetentionStage::Archive => is_closed(status),
            RetentionStage::Delete => status == CaseStatus::Archived,
        }
    }
}

/// How far along a case is, for "this status or any later one". Statuses a case moves between
/// in either direction share a level (`SENT` / `SI_INTG_ERROR`, `IN_PROGRESS` / `ADD_AWAITING`),
/// and so do the final ones (`REFUSED`, `DONE`, `CLOSED`): a rule naming one of them is met by
/// the others.
pub fn progress(status: CaseStatus) -> u8 {
    match status {
        CaseStatus::HubeeReceived => 0,
        CaseStatus::HubeeNotified => 1,
        CaseStatus::Sent | CaseStatus::SiIntgError => 2,
        CaseStatus::SiReceived => 3,
        CaseStatus::InProgress | CaseStatus::AddAwaiting => 4,
        CaseStatus::Refused | CaseStatus::Done | CaseStatus::Closed => 5,
        CaseStatus::Archived => 6,
    }
}

/// A closed case, whose archive clock runs: a final status (`DONE`, `REFUSED`, or `CLOSED` by
/// the operator). A closed case can still be reopened; its clock then stops.
pub fn is_closed(status: CaseStatus) -> bool {
    matches!(status, CaseStatus::Refused | CaseStatus::Done | CaseStatus::Closed)
}

/// The three retention jobs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum RetentionStage {
    /// Delete a case's attachment binaries (the attachments become `DELETED`).
    Purge,
    /// Set a closed case `ARCHIVED`.
    Archive,
    /// Delete an archived folder: its metadata, history and binaries.
    Delete,
}

impl RetentionStage {
    pub fn as_str(self) -> &'static str {
        match self {
            RetentionStage::Purge => "PURGE",
            RetentionStage::Archive => "ARCHIVE",
            RetentionStage::Delete => "DELETE",
        }
    }
}

impl std::fmt::Display for RetentionStage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A running retention clock: written in the transaction that starts it (the status change),
/// removed by the one that stops it or once the job is done. One per case and stage (per folder
/// for `Delete`), so restarting a clock replaces it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RetentionDue {
    pub stage: RetentionStage,
    pub folder_id: Uuid,
    /// The case, for `Purge` and `Archive`.
    #[serde(default)]
    pub case_id: Option<Uuid>,
    /// When the clock started: the delay is counted from here with the procedure's current
    /// rule, so a changed rule applies to running clocks too.
    #[serde(with = "contract_time")]
    pub started: DateTime<Utc>,
    #[serde(with = "contract_time")]
    pub due: DateTime<Utc>,
}

/// The SIRET of the DINUM, which runs the hub: the actor of what retention records.
const HUB_SIRET: &str = "13002526500013";

/// The hub itself, as the actor of retention's status changes and history entries.
///
/// # Errors
/// Never in practice: the constants are valid.
pub fn hub_org() -> Result<OrgRef, String> {
    Ok(OrgRef {
        org_type: OrgType::Admin,
        company_register: Siret::parse(HUB_SIRET)?,
        branch_code: BranchCode::parse("00000")?,
    })
}

/// The actor id retention records with its changes.
pub const RETENTION_ACTOR_ID: &str = "retention";

#[cfg(test)]
mod tests {
    use super::*;
    use CaseStatus::*;

    #[test]
    fn a_status_or_any_later_one_starts_the_purge_clock() {
        let r = Retention { purge_after_status: Some(SiReceived), ..Retention::default() };
        assert!(!r.purges_in(HubeeNotified));
        assert!(!r.purges_in(Sent));
        assert!(!r.purges_in(SiIntgError));
        for s in [SiReceived, InProgress, AddAwaiting, Refused, Done, Closed, Archived] {
            assert!(r.purges_in(s), "{s}");
        }
        let d = Retention::default();
        assert!(d.purges_in(Refused) && d.purges_in(Closed) && d.purges_in(Archived));
        assert!(!d.purges_in(AddAwaiting));
    }

    #[test]
    fn defaults_apply_to_what_a_procedure_leaves_out() {
        let r = Retention { archive_delay_days: Some(7), ..Retention::default() };
        assert_eq!(r.delay(RetentionStage::Archive), Duration::days(7));
        assert_eq!(r.delay(RetentionStage::Purge), Duration::days(i64::from(DEFAULT_PURGE_DELAY_DAYS)));
        assert_eq!(r.delay(RetentionStage::Delete), Duration::days(i64::from(DEFAULT_DELETE_DELAY_DAYS)));
        assert_eq!(r.purge_after(), DEFAULT_PURGE_AFTER);
    }

    #[test]
    fn wrong_rules_are_refused_with_their_name() {
        for status in [HubeeReceived, HubeeNotified] {
            let early = Retention { purge_after_status: Some(status), ..Retention::default() };
            assert!(early.check().unwrap_err().contains("purgeAfterStatus"));
        }
        assert!(Retention { purge_after_status: Some(SiIntgError), ..Retention::default() }.check().is_ok());
        let long = Retention { delete_delay_days: Some(MAX_DELAY_DAYS + 1), ..Retention::default() };
        assert!(long.check().unwrap_err().contains("deleteDelayDays"));
        assert!(Retention::default().check().is_ok());
    }

    #[test]
    fn only_final_statuses_are_closed() {
        let closed: Vec<_> = CaseStatus::ALL.iter().copied().filter(|s| is_closed(*s)).collect();
        assert_eq!(closed, vec![Refused, Done, Closed]);
    }

    #[test]
    fn the_hub_is_a_valid_organisation() {
        assert_eq!(hub_org().unwrap().org_type, OrgType::Admin);
    }
}
