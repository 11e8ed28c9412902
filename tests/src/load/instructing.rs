//! The instructing service of the load benchmark (Mairie A's API client): polls its
//! notifications, and for each new one reads the case, downloads an attachment and
//! acknowledges it (`DELETE /notifications/{id}`), several at a time, while polling goes on.

use std::{
    collections::{HashMap, HashSet},
    sync::{
        Arc, Mutex,
        atomic::{AtomicBool, Ordering},
    },
    time::{Duration, Instant},
};

use reqwest::Method;
use serde_json::Value;
use tokio::sync::Semaphore;

use super::{
    api::{Api, As, json},
    fixture::ATTACHMENT_SIZE,
    stats::Kind,
};

const POLL_EVERY: Duration = Duration::from_millis(50);
/// The contract's cap on `maxResult`.
const PAGE: usize = 500;

/// What the instructing service saw.
#[derive(Default)]
pub struct Seen {
    /// When a poll first listed each case's notification, by case id.
    pub cases: HashMap<String, Instant>,
    /// Notifications whose acknowledgement was answered (204, or 404 when an acknowledgement
    /// whose answer was lost had deleted it), and when.
    pub acked: HashMap<String, Instant>,
    /// Acknowledged notifications listed again by a poll sent after the acknowledgement's answer.
    pub resurfaced: HashSet<String>,
    /// Notifications being processed.
    in_flight: HashSet<String>,
    /// Whether the last answered poll listed nothing.
    pub empty: bool,
    /// Processing that stopped on an unexpected answer (the notification is taken up again).
    pub failures: Vec<String>,
}

#[derive(Default)]
pub struct Inbox {
    pub seen: Mutex<Seen>,
    pub stop: AtomicBool,
}

impl Inbox {
    /// Whether nothing is waiting: the last poll listed nothing and nothing is being processed.
    pub fn drained(&self) -> bool {
        let seen = self.seen.lock().unwrap();
        seen.empty && seen.in_flight.is_empty()
    }
}

/// Polls until told to stop, processing up to `workers` notifications at the same time: the
/// instructing service stands for all the hub's instructing services, as many as the operators.
pub async fn run(api: Arc<Api>, inbox: Arc<Inbox>, workers: usize) {
    let workers = Arc::new(Semaphore::new(workers));
    while !inbox.stop.load(Ordering::Relaxed) {
        let sent = Instant::now();
        let request = api.request(As::Instructing, Method::GET, &format!("/notifications?maxResult={PAGE}"));
        if let Some((200, body)) = api.timed(Kind::Poll, request).await {
            let listed = json(&body);
            let listed = listed.as_array().map(Vec::as_slice).unwrap_or_default();
            let now = Instant::now();
            let mut fresh = Vec::new();
            {
                let mut seen = inbox.seen.lock().unwrap();
                seen.empty = listed.is_empty();
                for n in listed {
                    let (Some(id), Some(case)) = (n["id"].as_str(), n["caseId"].as_str()) else { continue };
                    seen.cases.entry(case.to_owned()).or_insert(now);
                    match seen.acked.get(id) {
                        Some(&at) if at < sent => {
                            seen.resurfaced.insert(id.to_owned());
                        }
                        // Listed by a poll sent before its acknowledgement was answered.
                        Some(_) => continue,
                        None => {}
                    }
                    if seen.in_flight.insert(id.to_owned()) {
                        fresh.push((id.to_owned(), case.to_owned()));
                    }
                }
            }
            for (id, case) in fresh {
                let (api, inbox, workers) = (api.clone(), inbox.clone(), workers.clone());
                tokio::spawn(async move {
                    let Ok(_permit) = workers.acquire().await else { return };
                    let outcome = process(&api, &id, &case).await;
                    let mut seen = inbox.seen.lock().unwrap();
                    seen.in_flight.remove(&id);
                    match outcome {
                        Ok(at) => {
                            seen.acked.insert(id, at);
                        }
                        Err(why) => seen.failures.push(why),
                    }
                });
            }
        }
        tokio::time::sleep(POLL_EVERY).await;
    }
}

/// Reads the case, downloads its first attachment, acknowledges the notification: when the
/// acknowledgement was answered (204, or 404 when it was gone already: a deletion answered to
/// nobody before a crash).
async fn process(api: &Api, id: &str, case: &str) -> Result<Instant, String> {
    let read = api.timed(Kind::CaseRead, api.request(As::Instructing, Method::GET, &format!("/cases/{case}"))).await;
    let Some((200, body)) = read else { return Err(format!("case {case}: {:?}", read.map(|r| r.0))) };
    let case_json: Value = json(&body);
    let Some(attachment) = case_json["attachments"][0]["id"].as_str() else {
        return Err(format!("case {case} lists no attachment"));
    };
    let path = format!("/cases/{case}/attachments/{attachment}");
    match api.timed(Kind::Download, api.request(As::Instructing, Method::GET, &path)).await {
        Some((200, bytes)) if bytes.len() == ATTACHMENT_SIZE => {}
        Some((200, bytes)) => return Err(format!("{path}: {} bytes", bytes.len())),
        other => return Err(format!("{path}: {:?}", other.map(|r| r.0))),
    }
    match api.timed(Kind::Ack, api.request(As::Instructing, Method::DELETE, &format!("/notifications/{id}"))).await {
        Some((204 | 404, _)) => Ok(Instant::now()),
        other => Err(format!("acknowledging {id}: {:?}", other.map(|r| r.0))),
    }
}
