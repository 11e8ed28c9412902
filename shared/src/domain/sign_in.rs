//! The portal's sign-in rules: one-time code challenges, sessions and their expiry, the lockout
//! after repeated failures, activation and reset links, and the password rule. Pure: every
//! time comes from the caller (the injected clock). Decisions: docs/PORTAL-API.md.

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::{Email, contract_time};

/// A sign-in code is valid this long ...
pub const CODE_VALIDITY_MINUTES: i64 = 10;
/// ... and accepts this many wrong guesses, then a new sign-in is needed.
pub const CODE_ATTEMPTS: u32 = 5;
/// A challenge sends at most this many codes ("Renvoyer le code": the first and two more), then
/// a new sign-in is needed.
pub const CODES_PER_CHALLENGE: u32 = 3;
/// A session ends after this long without a request ...
pub const SESSION_IDLE_MINUTES: i64 = 30;
/// ... or this long for a national administrator, whose session reaches the whole platform.
pub const NATIONAL_SESSION_IDLE_MINUTES: i64 = 15;
/// ... and this long after it began, whatever happens.
pub const SESSION_ABSOLUTE_HOURS: i64 = 12;
/// The idle expiry is pushed back at most this often, to keep reads from writing.
pub const SESSION_REFRESH_SECONDS: i64 = 60;
/// This many failures within [`LOCKOUT_WINDOW_MINUTES`] lock the account ...
pub const LOCKOUT_FAILURES: u32 = 5;
pub const LOCKOUT_WINDOW_MINUTES: i64 = 15;
/// ... for this long.
pub const LOCKOUT_MINUTES: i64 = 15;
/// Activation and reset links are valid this long (PORTAL.md: 48 hours).
pub const LINK_VALIDITY_HOURS: i64 = 48;
/// "Forgotten password" is anonymous: an account gets at most this many reset e-mails within
/// [`RESET_WINDOW_MINUTES`], so that nobody can flood its mailbox.
pub const RESET_EMAILS_PER_WINDOW: u32 = 3;
pub const RESET_WINDOW_MINUTES: i64 = 60;

/// The special characters of the password rule.
pub const PASSWORD_SPECIALS: &str = "!@#$%&*()";
pub const PASSWORD_MIN_CHARS: usize = 8;
/// Long enough for any passphrase, short enough that hashing stays cheap.
pub const PASSWORD_MAX_CHARS: usize = 128;

/// What a password lacks under the portal's rule (8+ characters, a digit, an upper-case
/// letter, a special character among [`PASSWORD_SPECIALS`]); empty when it is acceptable.
pub fn password_problems(password: &str) -> Vec<String> {
    let mut problems = Vec::new();
    let length = password.chars().count();
    if length < PASSWORD_MIN_CHARS {
        problems.push(format!("The password must have at least {PASSWORD_MIN_CHARS} characters"));
    }
    if length > PASSWORD_MAX_CHARS {
        problems.push(format!("The password must have at most {PASSWORD_MAX_CHARS} characters"));
    }
    if !password.chars().any(|c| c.is_ascii_digit()) {
        problems.push("The password must contain a digit".to_owned());
    }
    if !password.chars().any(char::is_uppercase) {
        problems.push("The password must contain an upper-case letter".to_owned());
    }
    if !password.chars().any(|c| PASSWORD_SPECIALS.contains(c)) {
        problems.push(format!("The password must contain a special character among {PASSWORD_SPECIALS}"));
    }
    problems
}

/// The second step of a sign-in: the code e-mailed once the password was right. Only a salted
/// hash of the code is stored.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SignInChallenge {
    pub id: Uuid,
    pub email: Email,
    /// Hex SHA-256 of the salt and the code.
    pub code_hash: String,
    pub salt: String,
    /// When its current code was sent: each code is valid [`CODE_VALIDITY_MINUTES`] from then.
    #[serde(with = "contract_time")]
    pub created_at: DateTime<Utc>,
    /// Wrong guesses, over every code it sent: a new code buys no more guesses.
    pub wrong_attempts: u32,
    /// How many codes it sent (challenges stored before codes could be sent again: one).
    #[serde(default = "one")]
    pub codes_sent: u32,
}

fn one() -> u32 {
    1
}

impl SignInChallenge {
    pub fn new(id: Uuid, email: Email, salt: String, code_hash: String, now: DateTime<Utc>) -> Self {
        Self { id, email, code_hash, salt, created_at: now, wrong_attempts: 0, codes_sent: 1 }
    }

    /// The challenge with a new code sent at `now` (its salt and hash): the previous code is
    /// void, the wrong guesses are kept. `None` once [`CODES_PER_CHALLENGE`] codes were sent.
    pub fn with_new_code(&self, salt: String, code_hash: String, now: DateTime<Utc>) -> Option<Self> {
        (self.codes_sent < CODES_PER_CHALLENGE).then(|| Self {
            code_hash,
            salt,
            created_at: now,
            codes_sent: self.codes_sent + 1,
            ..self.clone()
        })
    }

    pub fn expires_at(&self) -> DateTime<Utc> {
        self.created_at + Duration::minutes(CODE_VALIDITY_MINUTES)
    }

    /// Expired, or out of attempts: a new sign-in is needed.
    pub fn is_spent(&self, now: DateTime<Utc>) -> bool {
        now >= self.expires_at() || self.attempts_left() == 0
    }

    pub fn attempts_left(&self) -> u32 {
        CODE_ATTEMPTS.saturating_sub(self.wrong_attempts)
    }
}

/// A signed-in browser. Stored under the hash of its cookie value, never the value itself.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Session {
    pub email: Email,
    /// Sent back by the front in `X-CSRF-Token` on every state change. Not a credential on its
    /// own: it is useless without the cookie.
    pub csrf_token: String,
    #[serde(with = "contract_time")]
    pub created_at: DateTime<Utc>,
    /// The last request that pushed the idle expiry back.
    #[serde(with = "contract_time")]
    pub last_seen_at: DateTime<Utc>,
    /// The account's `credentials_version` when the session began.
    pub credentials_version: u32,
    /// How long it may stay idle (sessions stored before this field: [`SESSION_IDLE_MINUTES`]).
    #[serde(default = "default_idle")]
    pub idle_minutes: i64,
    /// Opened by ProConnect: what it said of the authentication, so that the second-factor rule
    /// is checked again on every request, and the ID token its sign-out needs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub proconnect: Option<ProConnectSession>,
}

/// What a session opened by ProConnect keeps of its sign-in.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ProConnectSession {
    /// Whether a second factor was used (docs/PROCONNECT.md).
    pub second_factor: bool,
    /// ProConnect's ID token, sent back as `id_token_hint` when the person signs out.
    pub id_token: String,
}

fn default_idle() -> i64 {
    SESSION_IDLE_MINUTES
}

impl Session {
    pub fn new(email: Email, csrf_token: String, credentials_version: u32, now: DateTime<Utc>) -> Self {
        Self {
            email,
            csrf_token,
            created_at: now,
            last_seen_at: now,
            credentials_version,
            idle_minutes: default_idle(),
            proconnect: None,
        }
    }

    /// The session as ProConnect opened it.
    #[must_use]
    pub fn through_proconnect(self, proconnect: ProConnectSession) -> Self {
        Self { proconnect: Some(proconnect), ..self }
    }

    /// The session with a shorter (or longer) idle limit.
    #[must_use]
    pub fn idle_for(self, minutes: i64) -> Self {
        Self { idle_minutes: minutes, ..self }
    }

    pub fn expires_at(&self) -> DateTime<Utc> {
        let idle = self.last_seen_at + Duration::minutes(self.idle_minutes);
        let absolute = self.created_at + Duration::hours(SESSION_ABSOLUTE_HOURS);
        idle.min(absolute)
    }

    pub fn is_expired(&self, now: DateTime<Utc>) -> bool {
        now >= self.expires_at()
    }

    /// The session with its idle expiry pushed back, when the last push is old enough to be
    /// worth a write.
    pub fn refreshed(&self, now: DateTime<Utc>) -> Option<Session> {
        (now - self.last_seen_at >= Duration::seconds(SESSION_REFRESH_SECONDS))
            .then(|| Session { last_seen_at: now, ..self.clone() })
    }
}

/// An account's recent sign-in failures, and its lockout.
///
/// A failure is a wrong password, or five wrong codes (one exhausted challenge, or wrong
/// guesses spread over several challenges: asking for new codes does not buy more guesses).
/// [`LOCKOUT_FAILURES`] failures within [`LOCKOUT_WINDOW_MINUTES`] lock the account for
/// [`LOCKOUT_MINUTES`]; counting starts afresh when the lock ends.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SignInFailures {
    pub failures: u32,
    pub wrong_codes: u32,
    #[serde(with = "contract_time")]
    pub window_started_at: DateTime<Utc>,
    #[serde(default, with = "contract_time::option", skip_serializing_if = "Option::is_none")]
    pub locked_until: Option<DateTime<Utc>>,
}

impl SignInFailures {
    pub fn is_locked(&self, now: DateTime<Utc>) -> bool {
        self.locked_until.is_some_and(|until| now < until)
    }

    /// When the record stops mattering (its window closed, its lock ended).
    pub fn expires_at(&self) -> DateTime<Utc> {
        let window_end = self.window_started_at + Duration::minutes(LOCKOUT_WINDOW_MINUTES);
        self.locked_until.map_or(window_end, |until| until.max(window_end))
    }

    /// The counts that still matter at `now`: those of the current window, or a new window.
    fn current(previous: Option<&Self>, now: DateTime<Utc>) -> Self {
        match previous {
            Some(p)
                if now >= p.window_started_at
                    && now < p.window_started_at + Duration::minutes(LOCKOUT_WINDOW_MINUTES) =>
            {
                Self { locked_until: None, ..p.clone() }
            }
            _ => Self { failures: 0, wrong_codes: 0, window_started_at: now, locked_until: None },
        }
    }

    fn lock_if_due(mut self, now: DateTime<Utc>) -> (Self, bool) {
        if self.failures < LOCKOUT_FAILURES {
            return (self, false);
        }
        let until = now + Duration::minutes(LOCKOUT_MINUTES);
        self.failures = 0;
        self.wrong_codes = 0;
        self.window_started_at = until;
        self.locked_until = Some(until);
        (self, true)
    }

    /// The record after a wrong password, and whether it locked the account.
    pub fn after_wrong_password(previous: Option<&Self>, now: DateTime<Utc>) -> (Self, bool) {
        let mut next = Self::current(previous, now);
        next.failures += 1;
        next.lock_if_due(now)
    }

    /// The record after a wrong code, and whether it locked the account.
    pub fn after_wrong_code(previous: Option<&Self>, now: DateTime<Utc>) -> (Self, bool) {
        let mut next = Self::current(previous, now);
        next.wrong_codes += 1;
        if next.wrong_codes.is_multiple_of(CODE_ATTEMPTS) {
            next.failures += 1;
        }
        next.lock_if_due(now)
    }
}

/// The reset e-mails recently sent to an account: at most [`RESET_EMAILS_PER_WINDOW`] within a
/// window of [`RESET_WINDOW_MINUTES`] from the first one.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ResetRequests {
    pub sent: u32,
    #[serde(with = "contract_time")]
    pub window_started_at: DateTime<Utc>,
}

impl ResetRequests {
    /// When the record stops mattering (its window closed).
    pub fn expires_at(&self) -> DateTime<Utc> {
        self.window_started_at + Duration::minutes(RESET_WINDOW_MINUTES)
    }

    /// The record after one more e-mail sent at `now`, or `None` when the window's allowance is
    /// spent (no e-mail then).
    pub fn after_one_more(previous: Option<&Self>, now: DateTime<Utc>) -> Option<Self> {
        match previous {
            Some(p) if now >= p.window_started_at && now < p.expires_at() => {
                (p.sent < RESET_EMAILS_PER_WINDOW).then(|| Self { sent: p.sent + 1, ..p.clone() })
            }
            _ => Some(Self { sent: 1, window_started_at: now }),
        }
    }
}

/// What a link lets its holder do: both choose a password.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum LinkPurpose {
    /// A new account's first password.
    Activation,
    /// "Mot de passe oublié ?".
    Reset,
}

/// An activation or reset link's token, stored under its hash; single use.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LinkToken {
    pub email: Email,
    pub purpose: LinkPurpose,
    #[serde(with = "contract_time")]
    pub created_at: DateTime<Utc>,
    /// The account's `credentials_version` when issued: a password set since voids the link.
    pub credentials_version: u32,
}

impl LinkToken {
    pub fn expires_at(&self) -> DateTime<Utc> {
        self.created_at + Duration::hours(LINK_VALIDITY_HOURS)
    }

    pub fn is_expired(&self, now: DateTime<Utc>) -> bool {
        now >= self.expires_at()
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;
    use crate::domain::parse_time;

    fn t(s: &str) -> DateTime<Utc> {
        parse_time(s).unwrap()
    }

    #[test]
    fn a_challenge_sends_three_codes_at_most_and_each_new_one_restarts_the_validity() {
        let start = t("2026-03-02T09:00:00.000Z");
        let email = Email::parse("agent@mairie.example").unwrap();
        let mut c = SignInChallenge::new(Uuid::nil(), email, "s1".into(), "h1".into(), start);
        c.wrong_attempts = 2;
        let later = start + Duration::minutes(9);
        let second = c.with_new_code("s2".into(), "h2".into(), later).unwrap();
        assert_eq!((second.codes_sent, second.code_hash.as_str(), second.wrong_attempts), (2, "h2", 2));
        assert_eq!(second.id, c.id, "the same challenge");
        assert!(!second.is_spent(start + Duration::minutes(CODE_VALIDITY_MINUTES)), "valid from its own sending");
        let third = second.with_new_code("s3".into(), "h3".into(), later).unwrap();
        assert_eq!(third.codes_sent, CODES_PER_CHALLENGE);
        assert_eq!(third.with_new_code("s4".into(), "h4".into(), later), None, "a fourth is refused");
        let stored: SignInChallenge = serde_json::from_value(serde_json::json!({
            "id": Uuid::nil(), "email": "agent@mairie.example", "codeHash": "h", "salt": "s",
            "createdAt": "2026-03-02T09:00:00.000Z", "wrongAttempts": 0
        }))
        .unwrap();
        assert_eq!(stored.codes_sent, 1, "a challenge stored before resending sent one code");
    }

    #[test]
    fn reset_e_mails_are_capped_per_window_from_the_first_one() {
        let start = t("2026-03-02T09:00:00.000Z");
        let mut record = ResetRequests::after_one_more(None, start).unwrap();
        for n in 2..=RESET_EMAILS_PER_WINDOW {
            record = ResetRequests::after_one_more(Some(&record), start + Duration::minutes(10)).unwrap();
            assert_eq!(record.sent, n);
        }
        assert_eq!(record.window_started_at, start, "the window runs from the first e-mail");
        let last_minute = start + Duration::minutes(RESET_WINDOW_MINUTES) - Duration::seconds(1);
        assert_eq!(ResetRequests::after_one_more(Some(&record), last_minute), None, "spent");
        assert_eq!(record.expires_at(), start + Duration::minutes(RESET_WINDOW_MINUTES));
        let next = ResetRequests::after_one_more(Some(&record), record.expires_at()).unwrap();
        assert_eq!((next.sent, next.window_started_at), (1, record.expires_at()), "a new window");
        // A clock set back before the window (another machine's) starts a new one too.
        let earlier = ResetRequests::after_one_more(Some(&record), start - Duration::minutes(1)).unwrap();
        assert_eq!(earlier.sent, 1);
    }

    #[test]
    fn the_password_rule_lists_everything_missing() {
        assert!(password_problems("Valid-Pass1!").is_empty());
        assert!(password_problems("Abcdefg1(").is_empty());
        assert_eq!(
            password_problems("abc"),
            [
                "The password must have at least 8 characters",
                "The password must contain a digit",
                "The password must contain an upper-case letter",
                "The password must contain a special character among !@#$%&*()",
            ]
        );
        assert_eq!(password_problems("Abcdefgh1-"), ["The password must contain a special character among !@#$%&*()"]);
        assert_eq!(password_problems(&format!("A1!{}", "a".repeat(126))).len(), 1, "too long");
    }

    #[test]
    fn a_short_session_ends_after_its_own_idle_limit_and_a_stored_one_keeps_thirty_minutes() {
        let start = t("2026-03-01T08:00:00Z");
        let s = Session::new(crate::domain::Email::parse("a@b.fr").unwrap(), "csrf".into(), 0, start)
            .idle_for(NATIONAL_SESSION_IDLE_MINUTES);
        assert!(!s.is_expired(start + Duration::minutes(14)));
        assert!(s.is_expired(start + Duration::minutes(15)));
        let refreshed = s.refreshed(start + Duration::minutes(10)).unwrap();
        assert!(!refreshed.is_expired(start + Duration::minutes(24)));
        assert!(refreshed.is_expired(start + Duration::minutes(25)), "the limit survives a refresh");
        let mut stored = serde_json::to_value(&s).unwrap();
        stored.as_object_mut().unwrap().remove("idleMinutes");
        let old: Session = serde_json::from_value(stored).unwrap();
        assert_eq!(old.expires_at(), start + Duration::minutes(30));
    }

    #[test]
    fn a_session_ends_after_thirty_idle_minutes_or_twelve_hours() {
        let start = t("2026-03-01T08:00:00Z");
        let s = Session::new(crate::domain::Email::parse("a@b.fr").unwrap(), "csrf".into(), 0, start);
        assert!(!s.is_expired(start + Duration::minutes(29)));
        assert!(s.is_expired(start + Duration::minutes(30)));
        assert_eq!(s.refreshed(start + Duration::seconds(59)), None, "at most one write a minute");
        let mut s = s.refreshed(start + Duration::minutes(20)).unwrap();
        assert!(!s.is_expired(start + Duration::minutes(49)));
        // Kept busy, it still ends 12 hours after it began.
        let mut now = start;
        while now < start + Duration::hours(12) {
            now += Duration::minutes(20);
            if let Some(r) = s.refreshed(now) {
                s = r;
            }
        }
        assert!(s.is_expired(start + Duration::hours(12)));
        assert!(!s.is_expired(start + Duration::hours(12) - Duration::seconds(1)));
    }

    #[test]
    fn five_failures_within_fifteen_minutes_lock_the_account_for_fifteen_minutes() {
        let start = t("2026-03-01T08:00:00Z");
        let mut record = None;
        for i in 0..4 {
            let (next, locked) = SignInFailures::after_wrong_password(record.as_ref(), start + Duration::minutes(i));
            assert!(!locked);
            record = Some(next);
        }
        let (locked_record, locked) =
            SignInFailures::after_wrong_password(record.as_ref(), start + Duration::minutes(5));
        assert!(locked);
        assert!(locked_record.is_locked(start + Duration::minutes(19)));
        assert!(!locked_record.is_locked(start + Duration::minutes(20)));
        // After the lock, counting starts again.
        let (after, locked) = SignInFailures::after_wrong_password(Some(&locked_record), start + Duration::minutes(21));
        assert!(!locked);
        assert_eq!(after.failures, 1);
    }

    #[test]
    fn failures_older_than_the_window_are_forgotten() {
        let start = t("2026-03-01T08:00:00Z");
        let mut record = None;
        for i in 0..4 {
            record = Some(SignInFailures::after_wrong_password(record.as_ref(), start + Duration::minutes(i)).0);
        }
        let (next, locked) = SignInFailures::after_wrong_password(record.as_ref(), start + Duration::minutes(15));
        assert!(!locked);
        assert_eq!(next.failures, 1);
    }

    #[test]
    fn five_wrong_codes_count_as_one_failure_even_across_challenges() {
        let start = t("2026-03-01T08:00:00Z");
        let mut record = None;
        for _ in 0..4 {
            record = Some(SignInFailures::after_wrong_code(record.as_ref(), start).0);
        }
        assert_eq!(record.as_ref().unwrap().failures, 0);
        record = Some(SignInFailures::after_wrong_code(record.as_ref(), start).0);
        assert_eq!(record.as_ref().unwrap().failures, 1);
        let mut locked = false;
        for _ in 0..20 {
            let (next, l) = SignInFailures::after_wrong_code(record.as_ref(), start);
            record = Some(next);
            locked |= l;
        }
        assert!(locked, "25 wrong codes are five exhausted challenges");
    }

    #[test]
    fn a_challenge_is_spent_after_ten_minutes_or_five_wrong_codes() {
        let start = t("2026-03-01T08:00:00Z");
        let email = crate::domain::Email::parse("a@b.fr").unwrap();
        let mut c = SignInChallenge::new(Uuid::nil(), email, "salt".into(), "hash".into(), start);
        assert!(!c.is_spent(start + Duration::minutes(9)));
        assert!(c.is_spent(start + Duration::minutes(10)));
        c.wrong_attempts = 4;
        assert_eq!(c.attempts_left(), 1);
        c.wrong_attempts = 5;
        assert!(c.is_spent(start));
    }
}
