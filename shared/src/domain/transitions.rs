//! Which case status changes are accepted (CONTRACT.md, "Cases"): by default any documented
//! status from either party, as deployed clients expect; for a `strict` procedure, the
//! functional transition table.

use super::{CaseStatus, StatusPolicy};

/// Who asks for a change, relative to the case.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Party {
    /// The folder's operator.
    Operator,
    /// The case's recipient (the instructing service).
    Recipient,
    /// The platform itself (ADMIN scope).
    Platform,
}

/// # Errors
/// A sentence saying why the change is refused.
pub fn check_transition(policy: StatusPolicy, from: CaseStatus, to: CaseStatus, party: Party) -> Result<(), String> {
    use CaseStatus::*;
    if matches!(to, HubeeReceived | Archived) {
        return Err(format!("Case status {to} cannot be set: it is managed by the hub"));
    }
    if matches!(from, HubeeReceived) {
        return Err("The case is not transmitted yet: its folder must be completed first".into());
    }
    if matches!(from, Archived) {
        return Err("The case is archived".into());
    }
    if from == to || policy == StatusPolicy::Compatible || party == Party::Platform {
        return Ok(());
    }
    let allowed = match (party, to) {
        // The operator closes a case, and reopens it.
        (Party::Operator, Closed | HubeeNotified) => true,
        (Party::Recipient, Sent) => from == HubeeNotified,
        // The portal acknowledges a new case directly; software fetches it (SENT) first.
        (Party::Recipient, SiReceived) => matches!(from, HubeeNotified | Sent),
        (Party::Recipient, InProgress) => matches!(from, SiReceived | AddAwaiting),
        (Party::Recipient, AddAwaiting | Refused | Done) => matches!(from, InProgress | AddAwaiting),
        (Party::Recipient, SiIntgError) => matches!(from, Sent | SiReceived | InProgress),
        _ => false,
    };
    if allowed {
        Ok(())
    } else {
        let who = match party {
            Party::Operator => "the operator",
            Party::Recipient => "the instructing service",
            Party::Platform => "the platform",
        };
        Err(format!("Case status cannot change from {from} to {to} by {who} (strict procedure)"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use CaseStatus::*;

    #[test]
    fn compatible_procedures_accept_any_documented_status_from_either_party() {
        let c = StatusPolicy::Compatible;
        assert!(check_transition(c, HubeeNotified, SiIntgError, Party::Recipient).is_ok());
        assert!(check_transition(c, Sent, InProgress, Party::Operator).is_ok());
        assert!(check_transition(c, Done, HubeeNotified, Party::Recipient).is_ok());
        assert!(check_transition(c, Sent, HubeeReceived, Party::Operator).is_err());
        assert!(check_transition(c, Sent, Archived, Party::Platform).is_err());
        assert!(check_transition(c, HubeeReceived, Sent, Party::Recipient).is_err());
    }

    #[test]
    fn strict_procedures_follow_the_functional_table() {
        let s = StatusPolicy::Strict;
        let path = [HubeeNotified, Sent, SiReceived, InProgress, Done];
        for w in path.windows(2) {
            assert!(check_transition(s, w[0], w[1], Party::Recipient).is_ok(), "{} -> {}", w[0], w[1]);
        }
        assert!(check_transition(s, HubeeNotified, SiIntgError, Party::Recipient).is_err());
        assert!(check_transition(s, Sent, SiIntgError, Party::Recipient).is_ok());
        assert!(check_transition(s, HubeeNotified, InProgress, Party::Recipient).is_err());
        assert!(check_transition(s, Sent, InProgress, Party::Operator).is_err());
        assert!(check_transition(s, InProgress, Closed, Party::Operator).is_ok());
        assert!(check_transition(s, InProgress, Closed, Party::Recipient).is_err());
        assert!(check_transition(s, Closed, HubeeNotified, Party::Operator).is_ok());
        assert!(check_transition(s, InProgress, AddAwaiting, Party::Recipient).is_ok());
        assert!(check_transition(s, AddAwaiting, InProgress, Party::Recipient).is_ok());
        assert!(check_transition(s, Done, Done, Party::Recipient).is_ok(), "no change is always accepted");
    }
}
