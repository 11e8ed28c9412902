//! What the load benchmark measures per call: latencies of the answered calls, and the calls
//! that were refused or never answered, by kind.

use std::{
    collections::{BTreeMap, HashMap},
    sync::Mutex,
    time::Duration,
};

/// The calls the benchmark times.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Kind {
    Create,
    Upload,
    Complete,
    Poll,
    CaseRead,
    Download,
    Ack,
}

impl Kind {
    pub const ALL: [Self; 7] =
        [Self::Create, Self::Upload, Self::Complete, Self::Poll, Self::CaseRead, Self::Download, Self::Ack];

    /// The call as the results table names it.
    pub fn label(self) -> &'static str {
        match self {
            Self::Create => "create (`POST /folders`)",
            Self::Upload => "upload 48 KiB with digest (`PUT …/attachments/{a}`)",
            Self::Complete => "complete (`PATCH /folders/{f}` HUBEE_COMPLETED)",
            Self::Poll => "poll (`GET /notifications`)",
            Self::CaseRead => "case read (`GET /cases/{c}`)",
            Self::Download => "download (`GET /cases/{c}/attachments/{a}`)",
            Self::Ack => "acknowledge (`DELETE /notifications/{n}`)",
        }
    }
}

/// Latency figures of one kind of call, over its successful answers.
pub struct Summary {
    pub count: usize,
    pub p50: Duration,
    pub p99: Duration,
    pub max: Duration,
}

/// A kind of failure: the HTTP status, or none when the call got no answer at all.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Failure {
    pub kind: Kind,
    pub status: Option<u16>,
}

#[derive(Default)]
struct Inner {
    latencies: HashMap<Kind, Vec<Duration>>,
    /// Count and one example message per failure.
    failures: BTreeMap<Failure, (usize, String)>,
}

/// The figures of one phase of the run; shared by every task of the client.
#[derive(Default)]
pub struct Stats {
    inner: Mutex<Inner>,
}

impl Stats {
    pub fn success(&self, kind: Kind, elapsed: Duration) {
        self.inner.lock().unwrap().latencies.entry(kind).or_default().push(elapsed);
    }

    pub fn failure(&self, kind: Kind, status: Option<u16>, message: &str) {
        let mut inner = self.inner.lock().unwrap();
        let entry = inner.failures.entry(Failure { kind, status }).or_insert_with(|| (0, message.to_owned()));
        entry.0 += 1;
    }

    pub fn summary(&self, kind: Kind) -> Option<Summary> {
        let mut sorted = self.inner.lock().unwrap().latencies.get(&kind)?.clone();
        sorted.sort_unstable();
        Some(Summary {
            count: sorted.len(),
            p50: percentile(&sorted, 0.50),
            p99: percentile(&sorted, 0.99),
            max: *sorted.last()?,
        })
    }

    /// Every failure seen: its kind, count and an example message.
    pub fn failures(&self) -> Vec<(Failure, usize, String)> {
        self.inner.lock().unwrap().failures.iter().map(|(f, (n, m))| (*f, *n, m.clone())).collect()
    }
}

/// The nearest-rank percentile of sorted values (zero when there are none).
pub fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let rank = (p * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

/// Milliseconds with one decimal.
pub fn ms(d: Duration) -> String {
    format!("{:.1}", d.as_secs_f64() * 1000.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_are_nearest_rank() {
        let values: Vec<_> = (1..=100).map(Duration::from_millis).collect();
        assert_eq!(percentile(&values, 0.50), Duration::from_millis(50));
        assert_eq!(percentile(&values, 0.99), Duration::from_millis(99));
        assert_eq!(percentile(&values[..1], 0.99), Duration::from_millis(1));
        assert_eq!(percentile(&[], 0.5), Duration::ZERO);
    }
}
