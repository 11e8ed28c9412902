//! The statistics of the exchange (docs/STATISTICS.md): what one change of a case moves in the
//! counters of its transmission month, the delay histograms, and the percentiles read from them.
//!
//! Counters are kept per month (Europe/Paris): a dossier's figures under the month it was
//! transmitted (so that its status counter moves within that month as it progresses), an
//! e-mail's under the month it was sent. Delays are not kept one by one: each falls into a
//! bucket of a log-spaced histogram, and a median or 90th percentile is read back as the middle
//! of the bucket that holds it, within [`PRECISION`] of the exact value.

use std::{collections::BTreeMap, fmt};

use chrono::{DateTime, Datelike, Utc};
use chrono_tz::Europe::Paris;
use serde::{Deserialize, Serialize};

use super::{Case, CaseStatus, OrgRef, contract_time, is_closed};

/// A calendar month, in Paris time (`2025-03`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Month {
    year: i32,
    /// 1 to 12.
    month: u32,
}

impl Month {
    /// The month `t` falls in, in Paris.
    pub fn of(t: DateTime<Utc>) -> Self {
        let paris = t.with_timezone(&Paris);
        Self { year: paris.year(), month: paris.month() }
    }

    /// Reads `YYYY-MM` (years 2000 to 2999).
    pub fn parse(s: &str) -> Option<Self> {
        let (y, m) = s.split_once('-')?;
        if y.len() != 4 || m.len() != 2 || !y.bytes().chain(m.bytes()).all(|b| b.is_ascii_digit()) {
            return None;
        }
        let (year, month) = (y.parse().ok()?, m.parse().ok()?);
        ((2000..3000).contains(&year) && (1..=12).contains(&month)).then_some(Self { year, month })
    }

    pub fn next(self) -> Self {
        if self.month == 12 { Self { year: self.year + 1, month: 1 } } else { Self { month: self.month + 1, ..self } }
    }

    /// The month `n` months before this one.
    pub fn minus(self, n: u32) -> Self {
        let index = self.index() - i64::from(n);
        Self::from_index(index)
    }

    fn index(self) -> i64 {
        i64::from(self.year) * 12 + i64::from(self.month) - 1
    }

    fn from_index(index: i64) -> Self {
        Self {
            year: i32::try_from(index.div_euclid(12)).unwrap_or(i32::MAX),
            month: u32::try_from(index.rem_euclid(12)).unwrap_or(0) + 1,
        }
    }

    /// The months from `self` to `to`, both included (none when `to` comes first).
    pub fn through(self, to: Month) -> impl Iterator<Item = Month> {
        (self.index()..=to.index()).map(Self::from_index)
    }

    /// How many months from `self` to `to`, both included (0 when `to` comes first).
    pub fn count_through(self, to: Month) -> usize {
        usize::try_from(to.index() - self.index() + 1).unwrap_or(0)
    }
}

impl fmt::Display for Month {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}", self.year, self.month)
    }
}

// ---------------------------------------------------------------------------------------------
// Delay histograms
// ---------------------------------------------------------------------------------------------

/// The last bucket: every delay from about 515 days on.
pub const LAST_BUCKET: u8 = 40;

/// How far an estimated percentile may be from the exact one, relatively: a bucket spans a
/// factor √2 and the estimate is its geometric middle, so the exact value lies within a factor
/// 2^¼ (+18.9 %, −15.9 %) of it — except in the first bucket (under a minute) and the last.
pub const PRECISION: f64 = 0.19;

/// The bucket of a delay: 0 under a minute; bucket `b ≥ 1` holds the delays from
/// `60 × 2^((b−1)/2)` seconds up to `60 × 2^(b/2)` (a minute, 1 min 25, 2 min, 2 min 50, …,
/// an hour at `b` = 12 or 13, a day at 22, a month at 32); the last holds everything above.
pub fn bucket(delay_seconds: i64) -> u8 {
    if delay_seconds < 60 {
        return 0;
    }
    // 2^(b−1) ≤ (s/60)² < 2^b: b − 1 is the integer binary logarithm of s²/3600.
    let s = u128::from(delay_seconds.unsigned_abs());
    let b = (s * s / 3600).ilog2() + 1;
    u8::try_from(b).unwrap_or(LAST_BUCKET).min(LAST_BUCKET)
}

/// The lower bound of a bucket, in seconds.
pub fn bucket_floor(b: u8) -> f64 {
    if b == 0 { 0.0 } else { 60.0 * 2f64.powf(f64::from(b - 1) / 2.0) }
}

/// The value a percentile falling in bucket `b` is read as, in seconds: the bucket's geometric
/// middle (30 seconds for the first, the floor of the last).
pub fn bucket_estimate(b: u8) -> i64 {
    let seconds = match b {
        0 => 30.0,
        LAST_BUCKET => bucket_floor(b),
        _ => bucket_floor(b) * 2f64.powf(0.25),
    };
    // Rounded to the second; the largest is about 4.5e7, well inside an i64.
    #[allow(clippy::cast_possible_truncation)]
    let rounded = seconds.round() as i64;
    rounded
}

/// Delays counted per bucket.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Histogram(pub BTreeMap<u8, i64>);

impl Histogram {
    pub fn add(&mut self, bucket: u8, n: i64) {
        *self.0.entry(bucket).or_default() += n;
    }

    pub fn merge(&mut self, other: &Histogram) {
        for (b, n) in &other.0 {
            self.add(*b, *n);
        }
    }

    /// How many delays it holds.
    pub fn count(&self) -> i64 {
        self.0.values().map(|n| (*n).max(0)).sum()
    }

    /// The `q`-quantile (0 < q ≤ 1) by the nearest-rank method, as its bucket's estimate in
    /// seconds; `None` when empty.
    pub fn quantile(&self, q: f64) -> Option<i64> {
        let n = self.count();
        if n == 0 {
            return None;
        }
        // The rank of the q-quantile among n sorted values, from 1: ⌈q·n⌉, at least 1.
        #[allow(clippy::cast_possible_truncation, clippy::cast_precision_loss)]
        let rank = ((q * n as f64).ceil() as i64).clamp(1, n);
        let mut seen = 0;
        for (b, count) in &self.0 {
            seen += (*count).max(0);
            if seen >= rank {
                return Some(bucket_estimate(*b));
            }
        }
        None
    }
}

// ---------------------------------------------------------------------------------------------
// What a case change counts
// ---------------------------------------------------------------------------------------------

/// What the statistics keep on a case once it is counted: set at its transmission, so that
/// cases transmitted before the counters existed are left out (they never entered them).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CaseStatistics {
    /// The folder's operator, for the national figures per operator.
    pub operator: Option<OrgRef>,
    /// The first consultation by the instructing service (docs/STATISTICS.md): set once.
    #[serde(default, skip_serializing_if = "Option::is_none", with = "contract_time::option")]
    pub consulted: Option<DateTime<Utc>>,
    /// The first time the case reached a final status (`REFUSED`, `DONE`, `CLOSED`): set once.
    #[serde(default, skip_serializing_if = "Option::is_none", with = "contract_time::option")]
    pub finalised: Option<DateTime<Utc>>,
}

/// One counter of a month.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Figure {
    /// Cases transmitted in the month and now in this status.
    Status(CaseStatus),
    /// First consultations, by the bucket of their delay from the transmission.
    Consulted(u8),
    /// First final statuses, by the bucket of their delay from the transmission.
    Finalised(u8),
    /// E-mails sent, or failed for good, in the month.
    MailSent,
    MailFailed,
    /// Cases deleted at the end of their retention (they were `ARCHIVED`): out of the inbox's
    /// counts, still among the month's transmitted dossiers.
    Purged,
}

/// The seconds from `from` to `to`, never negative.
fn seconds(from: DateTime<Utc>, to: DateTime<Utc>) -> i64 {
    (to - from).num_seconds().max(0)
}

/// What a case going from `before` to `after` moves in the counters of its transmission month:
/// nothing for a case not counted (not transmitted, or transmitted before the counters).
/// Entering the counts adds its status; a status change moves it from one status to the other;
/// the first consultation and the first final status add their delay's bucket.
pub fn case_moves(before: &Case, after: &Case) -> Option<(Month, Vec<(Figure, i64)>)> {
    let (Some(stats), Some(sent)) = (&after.statistics, after.transmission_date_time) else { return None };
    let mut moves = Vec::new();
    match (&before.statistics, before.transmission_date_time) {
        (Some(_), Some(_)) if before.status != after.status => {
            moves.push((Figure::Status(before.status), -1));
            moves.push((Figure::Status(after.status), 1));
        }
        (Some(_), Some(_)) => {}
        _ => moves.push((Figure::Status(after.status), 1)),
    }
    let was = before.statistics.as_ref();
    if let Some(at) = stats.consulted.filter(|_| was.is_none_or(|w| w.consulted.is_none())) {
        moves.push((Figure::Consulted(bucket(seconds(sent, at))), 1));
    }
    if let Some(at) = stats.finalised.filter(|_| was.is_none_or(|w| w.finalised.is_none())) {
        moves.push((Figure::Finalised(bucket(seconds(sent, at))), 1));
    }
    (!moves.is_empty()).then(|| (Month::of(sent), moves))
}

/// Marks on `changed` (a counted case moving to `to` at `now`) its first final status and,
/// when `by_recipient`, its first consultation: each is kept once.
pub fn mark_progress(changed: &mut Case, to: CaseStatus, by_recipient: bool, now: DateTime<Utc>) {
    if let Some(stats) = &mut changed.statistics {
        if is_closed(to) && stats.finalised.is_none() {
            stats.finalised = Some(now);
        }
        if by_recipient && stats.consulted.is_none() {
            stats.consulted = Some(now);
        }
    }
}

/// The counters of one month (one scope: an organisation, a procedure nationally, an operator),
/// as read back.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct MonthFigures {
    pub statuses: BTreeMap<CaseStatus, i64>,
    pub consulted: Histogram,
    pub finalised: Histogram,
    pub mail_sent: i64,
    pub mail_failed: i64,
    pub purged: i64,
}

impl MonthFigures {
    pub fn add(&mut self, figure: Figure, n: i64) {
        match figure {
            Figure::Status(s) => *self.statuses.entry(s).or_default() += n,
            Figure::Consulted(b) => self.consulted.add(b, n),
            Figure::Finalised(b) => self.finalised.add(b, n),
            Figure::MailSent => self.mail_sent += n,
            Figure::MailFailed => self.mail_failed += n,
            Figure::Purged => self.purged += n,
        }
    }

    pub fn merge(&mut self, other: &MonthFigures) {
        for (s, n) in &other.statuses {
            *self.statuses.entry(*s).or_default() += n;
        }
        self.consulted.merge(&other.consulted);
        self.finalised.merge(&other.finalised);
        self.mail_sent += other.mail_sent;
        self.mail_failed += other.mail_failed;
        self.purged += other.purged;
    }

    /// The dossiers transmitted in the month: each is in exactly one status, or deleted.
    pub fn transmitted(&self) -> i64 {
        self.statuses.values().sum::<i64>() + self.purged
    }

    pub fn is_empty(&self) -> bool {
        self.statuses.values().all(|n| *n == 0)
            && self.consulted.count() == 0
            && self.finalised.count() == 0
            && self.mail_sent == 0
            && self.mail_failed == 0
            && self.purged == 0
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    #[test]
    fn months_are_paris_months() {
        // 31 January 23:30 UTC is already February in Paris (UTC+1).
        let t = Utc.with_ymd_and_hms(2025, 1, 31, 23, 30, 0).unwrap();
        assert_eq!(Month::of(t).to_string(), "2025-02");
        let t = Utc.with_ymd_and_hms(2025, 1, 31, 22, 59, 0).unwrap();
        assert_eq!(Month::of(t).to_string(), "2025-01");
        // Summer time: 31 July 22:00 UTC is midnight, 1 August, in Paris (UTC+2).
        let t = Utc.with_ymd_and_hms(2025, 7, 31, 22, 0, 0).unwrap();
        assert_eq!(Month::of(t).to_string(), "2025-08");
    }

    #[test]
    fn months_parse_count_and_step() {
        let m = Month::parse("2024-11").unwrap();
        assert_eq!(m.next().next().to_string(), "2025-01");
        assert_eq!(m.minus(11).to_string(), "2023-12");
        assert_eq!(
            m.through(Month::parse("2025-02").unwrap()).map(|m| m.to_string()).collect::<Vec<_>>(),
            ["2024-11", "2024-12", "2025-01", "2025-02"]
        );
        assert_eq!(m.count_through(m.minus(1)), 0);
        for wrong in ["2024-13", "2024-00", "24-11", "2024-1", "2024/11", "1999-12", "２０２４-11", ""] {
            assert_eq!(Month::parse(wrong), None, "{wrong}");
        }
    }

    #[test]
    fn buckets_are_half_octaves_from_a_minute() {
        assert_eq!(bucket(0), 0);
        assert_eq!(bucket(59), 0);
        assert_eq!(bucket(60), 1);
        assert_eq!(bucket(84), 1, "below 60·√2 = 84.85");
        assert_eq!(bucket(85), 2);
        assert_eq!(bucket(119), 2);
        assert_eq!(bucket(120), 3);
        assert_eq!(bucket(3600), 12, "bucket 12 holds 2715 s to 3840 s");
        assert_eq!(bucket(i64::MAX), LAST_BUCKET);
        assert_eq!(bucket(-5), 0, "a negative delay counts as none");
        // Every delay falls between its bucket's floor and the next one's.
        for s in (60..40_000_000).step_by(7919) {
            let b = bucket(s);
            #[allow(clippy::cast_precision_loss)]
            let s_f = s as f64;
            assert!(bucket_floor(b) <= s_f + 1e-6, "{s} in {b}");
            if b < LAST_BUCKET {
                assert!(s_f < bucket_floor(b + 1) + 1e-6, "{s} in {b}");
            }
        }
    }

    #[test]
    fn an_estimate_is_within_the_stated_precision_of_every_delay_of_its_bucket() {
        for s in (60..40_000_000_i64).step_by(4999) {
            let b = bucket(s);
            if b == LAST_BUCKET {
                continue;
            }
            #[allow(clippy::cast_precision_loss)]
            let error = (bucket_estimate(b) as f64 - s as f64).abs() / s as f64;
            assert!(error <= PRECISION, "{s} s estimated {} ({error})", bucket_estimate(b));
        }
    }

    #[test]
    fn quantiles_take_the_nearest_rank() {
        let mut h = Histogram::default();
        assert_eq!(h.quantile(0.5), None);
        // 10 delays: 6 in bucket 3, 3 in bucket 10, 1 in bucket 20.
        h.add(3, 6);
        h.add(10, 3);
        h.add(20, 1);
        assert_eq!(h.count(), 10);
        assert_eq!(h.quantile(0.5), Some(bucket_estimate(3)), "rank 5 of 10");
        assert_eq!(h.quantile(0.6), Some(bucket_estimate(3)), "rank 6");
        assert_eq!(h.quantile(0.61), Some(bucket_estimate(10)), "rank 7");
        assert_eq!(h.quantile(0.9), Some(bucket_estimate(10)), "rank 9");
        assert_eq!(h.quantile(0.95), Some(bucket_estimate(20)), "rank 10");
        let mut other = Histogram::default();
        other.add(20, 10);
        h.merge(&other);
        assert_eq!(h.quantile(0.5), Some(bucket_estimate(20)), "rank 10 of 20, after merging");
    }

    #[test]
    fn a_quantile_of_exact_delays_is_within_the_precision_of_the_exact_quantile() {
        // Delays from 1 minute to about a month, in a deterministic spread.
        let delays: Vec<i64> = (0..997_i64).map(|i| 60 + (i * i * 2_731) % 2_600_000).collect();
        let mut h = Histogram::default();
        for d in &delays {
            h.add(bucket(*d), 1);
        }
        let mut sorted = delays.clone();
        sorted.sort_unstable();
        for q in [0.5, 0.9] {
            #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss, clippy::cast_precision_loss)]
            let exact = sorted[((q * sorted.len() as f64).ceil() as usize) - 1];
            #[allow(clippy::cast_precision_loss)]
            let error = (h.quantile(q).unwrap() as f64 - exact as f64).abs() / exact as f64;
            assert!(error <= PRECISION, "q {q}: exact {exact}, estimated {:?}", h.quantile(q));
        }
    }
}
