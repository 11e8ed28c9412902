//! `Clamd`: the [`Scanner`] on a ClamAV daemon over TCP (`HUBEE_CLAMD_ADDR=host:port`).
//!
//! One connection per binary, the `zINSTREAM` command of clamd(8): the bytes follow in chunks,
//! each prefixed by its length as a 4-byte big-endian integer, and a zero-length chunk ends the
//! stream. clamd answers one NUL-terminated line: `stream: OK`, `stream: <signature> FOUND`, or
//! an error (`INSTREAM size limit exceeded. ERROR` once the stream passes its `StreamMaxLength`,
//! after which it closes the connection). Only `OK` is clean: every other answer, and no answer,
//! is `Unavailable`.
//!
//! Chunks are written as the body yields them: memory holds one chunk, whatever the binary's
//! size (clamd spools the stream to its own temporary directory and scans it at the end).

use std::time::Duration;

use async_trait::async_trait;
use futures::StreamExt;
use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::TcpStream,
};

use crate::ports::{ByteStream, Scanner, Verdict};

/// How long to wait for clamd to accept the connection.
pub const CLAMD_CONNECT_TIMEOUT: Duration = Duration::from_secs(3);
/// How long to wait for the verdict once the stream is sent: clamd scans the spooled binary
/// then (seconds for hundreds of MiB with a full signature set).
pub const CLAMD_ANSWER_TIMEOUT: Duration = Duration::from_secs(300);
/// The largest chunk written at once (the body's chunks are cut to it).
const MAX_CHUNK: usize = 1 << 20;
/// The longest answer read (a signature name is short).
const MAX_ANSWER: usize = 4096;

/// Why a stream was not sent whole.
enum Unsent {
    /// clamd stopped reading (it answers why, a size limit say).
    Cut(String),
    /// The body itself failed: what was sent is not the binary.
    BodyFailed(String),
    /// clamd took nothing within the timeout (hung): no answer to wait for.
    Stalled(String),
}

/// A ClamAV daemon reached over TCP.
#[derive(Clone, Debug)]
pub struct Clamd {
    addr: String,
    connect_timeout: Duration,
    answer_timeout: Duration,
}

impl Clamd {
    /// The daemon at `addr` (`host:port`), with the default timeouts.
    pub fn new(addr: impl Into<String>) -> Self {
        Self::with_timeouts(addr, CLAMD_CONNECT_TIMEOUT, CLAMD_ANSWER_TIMEOUT)
    }

    pub fn with_timeouts(addr: impl Into<String>, connect_timeout: Duration, answer_timeout: Duration) -> Self {
        Self { addr: addr.into(), connect_timeout, answer_timeout }
    }

    pub fn addr(&self) -> &str {
        &self.addr
    }

    /// Sends the body and its end. Each write must go through within the answer timeout: a
    /// clamd that stops reading without closing does not hold the upload for ever.
    async fn send(&self, connection: &mut TcpStream, mut body: ByteStream) -> Result<(), Unsent> {
        self.write(connection, b"zINSTREAM\0").await?;
        while let Some(chunk) = body.next().await {
            let chunk = chunk.map_err(|e| Unsent::BodyFailed(format!("the binary's stream failed: {e}")))?;
            for piece in chunk.chunks(MAX_CHUNK) {
                // A piece is at most MAX_CHUNK long.
                let length = u32::try_from(piece.len()).unwrap_or(u32::MAX);
                self.write(connection, &length.to_be_bytes()).await?;
                self.write(connection, piece).await?;
            }
        }
        self.write(connection, &0u32.to_be_bytes()).await
    }

    async fn write(&self, connection: &mut TcpStream, bytes: &[u8]) -> Result<(), Unsent> {
        match tokio::time::timeout(self.answer_timeout, connection.write_all(bytes)).await {
            Ok(Ok(())) => Ok(()),
            Ok(Err(e)) => Err(Unsent::Cut(format!("clamd stopped reading the stream: {e}"))),
            Err(_) => Err(Unsent::Stalled(format!("clamd took nothing for {:?}", self.answer_timeout))),
        }
    }

    /// Reads clamd's NUL-terminated answer (or up to the connection's end).
    async fn answer(&self, connection: &mut TcpStream) -> Result<String, String> {
        let mut answer = Vec::new();
        let mut buffer = [0u8; 512];
        let read = async {
            loop {
                let n = connection.read(&mut buffer).await?;
                if n == 0 {
                    break;
                }
                answer.extend_from_slice(&buffer[..n]);
                if answer.contains(&0) || answer.len() > MAX_ANSWER {
                    break;
                }
            }
            Ok::<_, std::io::Error>(())
        };
        match tokio::time::timeout(self.answer_timeout, read).await {
            Err(_) => return Err(format!("clamd did not answer within {:?}", self.answer_timeout)),
            Ok(Err(e)) if answer.is_empty() => return Err(format!("reading clamd's answer failed: {e}")),
            Ok(_) => {}
        }
        let end = answer.iter().position(|b| *b == 0).unwrap_or(answer.len());
        Ok(String::from_utf8_lossy(&answer[..end]).trim().to_owned())
    }
}

/// What clamd's answer to an `INSTREAM` means: only `stream: OK` is clean.
pub fn verdict_of(answer: &str) -> Verdict {
    let answer = answer.trim_end_matches(['\0', '\n', '\r']).trim();
    let Some(result) = answer.strip_prefix("stream: ") else {
        return Verdict::Unavailable { reason: format!("clamd answered {answer:?}") };
    };
    if result == "OK" {
        return Verdict::Clean;
    }
    match result.strip_suffix(" FOUND") {
        Some(signature) if !signature.trim().is_empty() => Verdict::Infected { signature: signature.trim().to_owned() },
        _ => Verdict::Unavailable { reason: format!("clamd answered {answer:?}") },
    }
}

#[async_trait]
impl Scanner for Clamd {
    async fn scan(&self, body: ByteStream) -> Verdict {
        let connect = tokio::time::timeout(self.connect_timeout, TcpStream::connect(&self.addr)).await;
        let mut connection = match connect {
            Ok(Ok(c)) => c,
            Ok(Err(e)) => return unavailable(format!("clamd at {} cannot be reached: {e}", self.addr)),
            Err(_) => {
                return unavailable(format!("clamd at {} did not accept within {:?}", self.addr, self.connect_timeout));
            }
        };
        let sent = self.send(&mut connection, body).await;
        match sent {
            // Not the whole binary: no verdict to wait for (clamd would wait for the rest).
            Err(Unsent::BodyFailed(why)) => return Verdict::Unavailable { reason: why },
            Err(Unsent::Stalled(why)) => return unavailable(why),
            Ok(()) | Err(Unsent::Cut(_)) => {}
        }
        let answer = self.answer(&mut connection).await;
        match (sent, answer) {
            // Whole and answered: the answer decides.
            (Ok(()), Ok(answer)) => verdict_of(&answer),
            // Cut short by clamd: its error says why (a size limit), never a clean verdict.
            (Err(Unsent::Cut(why) | Unsent::BodyFailed(why) | Unsent::Stalled(why)), Ok(answer)) => {
                match verdict_of(&answer) {
                    Verdict::Infected { signature } => Verdict::Infected { signature },
                    _ if answer.is_empty() => unavailable(why),
                    _ => unavailable(format!("{why}; clamd answered {answer:?}")),
                }
            }
            (_, Err(why)) => unavailable(why),
        }
    }

    fn describe(&self) -> String {
        format!("clamd at {}", self.addr)
    }
}

fn unavailable(reason: String) -> Verdict {
    if reason.contains("size limit exceeded") {
        tracing::error!(
            reason,
            "clamd refused a binary above its StreamMaxLength: raise StreamMaxLength (and MaxFileSize, MaxScanSize) \
             to the largest upload the hub takes"
        );
    }
    Verdict::Unavailable { reason }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_ok_is_clean() {
        assert_eq!(verdict_of("stream: OK"), Verdict::Clean);
        assert_eq!(verdict_of("stream: OK\0"), Verdict::Clean);
        assert_eq!(
            verdict_of("stream: Eicar-Test-Signature FOUND"),
            Verdict::Infected { signature: "Eicar-Test-Signature".into() }
        );
        for other in ["INSTREAM size limit exceeded. ERROR", "stream: ERROR", "stream:  FOUND", "", "PONG", "stream: "]
        {
            assert!(matches!(verdict_of(other), Verdict::Unavailable { .. }), "{other:?}");
        }
    }

    #[tokio::test]
    async fn clamd_passes_the_scanner_conformance_suite() {
        let Some(addr) = crate::testkit::scanner::clamd_addr() else { return };
        crate::testkit::scanner::conformance(std::sync::Arc::new(Clamd::new(addr))).await;
    }

    /// A stand-in for clamd that reads the command and `limit` bytes of the stream, then
    /// answers as clamd does past its `StreamMaxLength` and closes the connection.
    async fn limited_clamd(limit: usize) -> std::net::SocketAddr {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move {
            let (mut connection, _) = listener.accept().await.unwrap();
            let mut taken = vec![0u8; b"zINSTREAM\0".len() + limit];
            connection.read_exact(&mut taken).await.unwrap();
            assert!(taken.starts_with(b"zINSTREAM\0"));
            connection.write_all(b"INSTREAM size limit exceeded. ERROR\0").await.unwrap();
        });
        addr
    }

    #[tokio::test]
    async fn a_binary_above_the_size_limit_is_never_clean() {
        let addr = limited_clamd(1024).await;
        let large = vec![7u8; 8 << 20];
        let verdict = Clamd::new(addr.to_string()).scan(crate::testkit::scanner::chunked(&large, 4096)).await;
        // clamd's answer, or (when the closed connection's reset overtakes it) the failed write.
        let Verdict::Unavailable { reason } = verdict else { panic!("{verdict:?}") };
        assert!(reason.contains("size limit exceeded") || reason.contains("stopped reading"), "{reason}");
    }

    #[tokio::test]
    async fn a_clamd_that_stops_reading_is_unavailable_once_the_timeout_passes() {
        // Accepts, then neither reads nor closes: the socket's buffers fill up.
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let held = tokio::spawn(async move {
            let (connection, _) = listener.accept().await.unwrap();
            tokio::time::sleep(Duration::from_secs(3600)).await;
            drop(connection);
        });
        let clamd = Clamd::with_timeouts(addr.to_string(), CLAMD_CONNECT_TIMEOUT, Duration::from_millis(200));
        let large = vec![1u8; 64 << 20];
        let verdict = clamd.scan(crate::testkit::scanner::chunked(&large, 1 << 20)).await;
        held.abort();
        let Verdict::Unavailable { reason } = verdict else { panic!("{verdict:?}") };
        assert!(reason.contains("took nothing"), "{reason}");
    }

    #[tokio::test]
    async fn a_closed_port_is_unavailable() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        drop(listener);
        let body: ByteStream = Box::pin(futures::stream::iter([Ok(bytes::Bytes::from_static(b"hello"))]));
        let verdict = Clamd::new(addr.to_string()).scan(body).await;
        assert!(matches!(verdict, Verdict::Unavailable { .. }), "{verdict:?}");
    }
}
