//! An operator of the load benchmark: deposits folders in a loop (create, two uploads with their
//! digest, complete), remembering which calls the hub answered; after a crash, takes its cut
//! deposit up again as a real operator retries.

use std::{
    collections::HashMap,
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

use reqwest::Method;
use serde_json::{Value, json};

use super::{
    api::{Answer, Api, As, error_message, json},
    fixture::{Blobs, case_external_ids, folder_body},
    stats::Kind,
};

/// A 5xx answer is retried this many times (after a short pause) before the folder is given up.
const ATTEMPTS: usize = 4;

/// The ids the hub gave a folder.
#[derive(Clone, Debug)]
pub struct FolderIds {
    pub id: String,
    pub attachments: [String; 2],
    /// Mairie A's case, then Mairie B's.
    pub cases: [String; 2],
}

/// One folder as its operator knows it: what the hub answered 2xx so far.
#[derive(Clone, Debug)]
pub struct Deposit {
    pub external_id: String,
    pub folder: Option<FolderIds>,
    pub uploaded: [bool; 2],
    pub completed: bool,
}

impl Deposit {
    fn new(external_id: String) -> Self {
        Self { external_id, folder: None, uploaded: [false; 2], completed: false }
    }
}

/// Why an operator stopped a deposit before its completion.
#[derive(Debug)]
pub enum Halt {
    /// The hub stopped answering.
    Cut,
    /// The hub refused a call (a 4xx, or 5xx answers to every attempt).
    Refused(String),
}

/// When each folder's completion was answered, by Mairie A's case id: where the instructing
/// service's delay is measured from.
#[derive(Default)]
pub struct Ledger {
    pub completed_at: Mutex<HashMap<String, Instant>>,
}

/// What the operators share.
pub struct Ctx {
    pub api: Arc<Api>,
    pub blobs: Blobs,
    pub ledger: Ledger,
}

/// What an operator did: its deposits in order (the last one possibly cut) and the refused ones.
#[derive(Debug, Default)]
pub struct Run {
    pub deposits: Vec<Deposit>,
    pub refused: Vec<String>,
    pub cut: bool,
}

/// Deposits folders `<prefix>-<n>` until `deadline` (none: until the hub stops answering).
pub async fn run(ctx: Arc<Ctx>, prefix: String, deadline: Option<Instant>) -> Run {
    let mut out = Run::default();
    for n in 0.. {
        if deadline.is_some_and(|d| Instant::now() >= d) {
            break;
        }
        let mut deposit = Deposit::new(format!("{prefix}-{n:06}"));
        let halt = advance(&ctx, &mut deposit).await.err();
        out.deposits.push(deposit);
        match halt {
            None => {}
            Some(Halt::Refused(why)) => out.refused.push(why),
            Some(Halt::Cut) => {
                out.cut = true;
                break;
            }
        }
    }
    out
}

/// Takes the deposit from where the hub's answers left it to its completion.
async fn advance(ctx: &Ctx, d: &mut Deposit) -> Result<(), Halt> {
    let api = &ctx.api;
    if d.folder.is_none() {
        let body = folder_body(&d.external_id);
        let (_, answer) = with_retries(|| api.timed(Kind::Create, create(api, &body))).await?;
        d.folder = Some(folder_ids(&json(&answer), &d.external_id).ok_or_else(|| refused_body(&answer))?);
    }
    let ids = d.folder.clone().ok_or(Halt::Cut)?;
    for i in 0..2 {
        if !d.uploaded[i] {
            with_retries(|| api.timed(Kind::Upload, upload(ctx, &ids, i))).await?;
            d.uploaded[i] = true;
        }
    }
    with_retries(|| api.timed(Kind::Complete, complete(api, &ids.id))).await?;
    d.completed = true;
    ctx.ledger.completed_at.lock().unwrap().insert(ids.cases[0].clone(), Instant::now());
    Ok(())
}

/// What a cut deposit's retries were answered, for the report (`"upload: 204"`), or why it did
/// not converge.
pub async fn converge(ctx: &Ctx, d: &mut Deposit) -> Result<Vec<String>, String> {
    let api = &ctx.api;
    let mut answers = Vec::new();
    let ext = d.external_id.clone();
    let fail = |step: &str, answer: &Answer| match answer {
        Some((status, body)) => format!("{ext} {step}: {status} {}", error_message(body)),
        None => format!("{ext} {step}: no answer"),
    };
    if d.folder.is_none() {
        // Same externalId and body: the existing folder when the cut POST had been committed.
        let answer = answered(api, Kind::Create, || create(api, &folder_body(&d.external_id))).await;
        match &answer {
            Some((201, body)) => d.folder = folder_ids(&json(body), &d.external_id),
            _ => return Err(fail("create", &answer)),
        }
        answers.push("create: 201".to_owned());
    }
    let ids = d.folder.clone().ok_or_else(|| format!("{}: the folder's ids are missing", d.external_id))?;
    for i in 0..2 {
        if d.uploaded[i] {
            continue;
        }
        let answer = answered(api, Kind::Upload, || upload(ctx, &ids, i)).await;
        match &answer {
            Some((204, _)) => answers.push("upload: 204".to_owned()),
            // The cut upload had been stored: the contract refuses a second one.
            Some((400, body)) if error_message(body).contains("cannot be uploaded again") => {
                answers.push("upload: 400 already RECEIVED".to_owned());
            }
            _ => return Err(fail("upload", &answer)),
        }
        d.uploaded[i] = true;
    }
    let answer = answered(api, Kind::Complete, || complete(api, &ids.id)).await;
    match &answer {
        Some((204, _)) => answers.push("complete: 204".to_owned()),
        _ => return Err(fail("complete", &answer)),
    }
    d.completed = true;
    ctx.ledger.completed_at.lock().unwrap().insert(ids.cases[0].clone(), Instant::now());
    Ok(answers)
}

/// A retry's call, sent again (three times at most) when the connection broke before an answer
/// came, as an operator's software would: a pooled connection to the killed hub fails on its
/// first use. (Before the hub read refused bodies, `http::drain`, an upload refused as already
/// received broke its connection too.)
async fn answered(api: &Api, kind: Kind, request: impl Fn() -> reqwest::RequestBuilder) -> Answer {
    for _ in 0..3 {
        if let Some(answer) = api.timed(kind, request()).await {
            return Some(answer);
        }
    }
    None
}

fn create(api: &Api, body: &Value) -> reqwest::RequestBuilder {
    api.request(As::Operator, Method::POST, "/folders").json(body)
}

fn upload(ctx: &Ctx, ids: &FolderIds, i: usize) -> reqwest::RequestBuilder {
    ctx.api
        .request(As::Operator, Method::PUT, &format!("/folders/{}/attachments/{}", ids.id, ids.attachments[i]))
        .header("content-type", "application/octet-stream")
        .header("digest", &ctx.blobs.digests[i])
        .body(ctx.blobs.bytes[i].clone())
}

fn complete(api: &Api, folder: &str) -> reqwest::RequestBuilder {
    api.request(As::Operator, Method::PATCH, &format!("/folders/{folder}"))
        .json(&json!({"globalStatus": "HUBEE_COMPLETED"}))
}

/// A call until it is answered 2xx: a 5xx is tried again, a 4xx refuses the folder, no answer
/// cuts it.
async fn with_retries<F, Fut>(mut call: F) -> Result<(u16, bytes::Bytes), Halt>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Answer>,
{
    let mut last = String::new();
    for _ in 0..ATTEMPTS {
        match call().await {
            None => return Err(Halt::Cut),
            Some((status, body)) if (200..300).contains(&status) => return Ok((status, body)),
            Some((status, body)) if status < 500 => {
                return Err(Halt::Refused(format!("{status} {}", error_message(&body))));
            }
            Some((status, body)) => last = format!("{status} {}", error_message(&body)),
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    Err(Halt::Refused(last))
}

fn refused_body(body: &[u8]) -> Halt {
    Halt::Refused(format!("an unexpected folder: {}", String::from_utf8_lossy(body)))
}

/// The ids in a `POST /folders` answer: attachments in request order, cases by external id.
pub fn folder_ids(folder: &Value, external_id: &str) -> Option<FolderIds> {
    let id = |v: &Value| v["id"].as_str().map(str::to_owned);
    let attachments = folder["attachments"].as_array()?;
    let cases = folder["cases"].as_array()?;
    let case = |ext: &str| cases.iter().find(|c| c["externalId"] == ext).and_then(id);
    let [a, b] = case_external_ids(external_id);
    Some(FolderIds {
        id: id(folder)?,
        attachments: [id(attachments.first()?)?, id(attachments.get(1)?)?],
        cases: [case(&a)?, case(&b)?],
    })
}
