//! Reading what is left of a request's body once it is answered, so that the client reads the
//! answer.
//!
//! A handler may answer before it has read the body: an upload of an attachment already
//! received, a request without a valid token, a binary larger than declared. On HTTP/1.1, hyper
//! then closes the connection without reading the rest, and the kernel resets it: a client still
//! sending sees a broken pipe or a reset instead of the answer, and its next call on that
//! keep-alive connection fails too. This layer keeps hold of the body the handler got; once the
//! response is ready, it reads (and drops) what the handler left, up to [`DRAIN_LIMIT`] bytes
//! within [`DRAIN_TIME`], then answers. A larger or slower rest is left unread and the
//! connection closed, as before: an unread 200 MiB upload is not worth receiving. (Behind API
//! Gateway a Lambda gets the body whole: there is nothing to read from a socket, and the layer
//! only drops the rest of a buffer.)

use std::{
    pin::Pin,
    sync::{Arc, Mutex},
    task::{Context, Poll},
    time::Duration,
};

use axum::{
    body::{Body, Bytes},
    extract::Request,
    middleware::Next,
    response::Response,
};
use http_body::{Body as _, Frame, SizeHint};

use crate::lock;

/// The most of a body read after its answer.
const DRAIN_LIMIT: u64 = 1024 * 1024;

/// How long reading the rest of a body may delay its answer.
const DRAIN_TIME: Duration = Duration::from_secs(2);

/// The middleware (`axum::middleware::from_fn`).
pub async fn drain_unread(req: Request, next: Next) -> Response {
    let (parts, body) = req.into_parts();
    if body.is_end_stream() || body.size_hint().lower() > DRAIN_LIMIT {
        return next.run(Request::from_parts(parts, body)).await;
    }
    let body = Arc::new(Mutex::new(body));
    let response = next.run(Request::from_parts(parts, Body::new(Held(Arc::clone(&body))))).await;
    // The handler has answered: its share of the body is gone, unless it handed it to a task
    // that lives on (then that task reads it).
    if let Ok(rest) = Arc::try_unwrap(body) {
        let rest = rest.into_inner().unwrap_or_else(std::sync::PoisonError::into_inner);
        if !rest.is_end_stream() {
            let _ = tokio::time::timeout(DRAIN_TIME, drop_frames(rest)).await;
        }
    }
    response
}

/// Reads and drops frames until the body ends, fails, or passes the limit.
async fn drop_frames(mut body: Body) {
    let mut read = 0u64;
    while let Some(Ok(frame)) = std::future::poll_fn(|cx| Pin::new(&mut body).poll_frame(cx)).await {
        read += frame.data_ref().map_or(0, |d| d.len() as u64);
        if read > DRAIN_LIMIT {
            return;
        }
    }
}

/// The body as the handler sees it: the same frames, taken from the body this layer holds.
struct Held(Arc<Mutex<Body>>);

impl http_body::Body for Held {
    type Data = Bytes;
    type Error = axum::Error;

    fn poll_frame(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Result<Frame<Bytes>, axum::Error>>> {
        Pin::new(&mut *lock(&self.0)).poll_frame(cx)
    }

    fn is_end_stream(&self) -> bool {
        lock(&self.0).is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        lock(&self.0).size_hint()
    }
}
