//! The `Scanner` conformance suite, and the real clamd it runs on: `scripts/test` starts one
//! (Debian's `clamav-daemon`) with a local signature database holding the EICAR test file's
//! hash, and exports its address as `HUBEE_CLAMD_ADDR` and `HUBEE_REQUIRE_CLAMD=1`.

use std::{io::Write, sync::Arc};

use bytes::Bytes;

use crate::ports::{ByteStream, Scanner, Verdict};

/// The EICAR anti-malware test file: 68 bytes every antivirus reports, harmless. The test
/// clamd's database knows it by its MD5 (`44d88612fea8a8f36de82e1278abb02f:68:Eicar-Test-Signature`).
pub const EICAR: &[u8; 68] = b"X5O!P%@AP[4\\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*";

/// What a test prints when it is skipped for want of a clamd.
pub const SKIPPED: &str = "skipped: needs a clamd; set HUBEE_CLAMD_ADDR (scripts/test starts one)";

/// The test clamd's address (`HUBEE_CLAMD_ADDR`); `None` when it is not set, and the calling
/// test, then skipped, says so on the terminal.
///
/// # Panics
/// When it is not set under `scripts/test` (`HUBEE_REQUIRE_CLAMD=1`): there, a missing clamd
/// fails the tests rather than skipping them.
pub fn clamd_addr() -> Option<String> {
    if let Ok(addr) = std::env::var("HUBEE_CLAMD_ADDR")
        && !addr.is_empty()
    {
        return Some(addr);
    }
    assert!(
        std::env::var("HUBEE_REQUIRE_CLAMD").as_deref() != Ok("1"),
        "HUBEE_REQUIRE_CLAMD=1 but HUBEE_CLAMD_ADDR is not set: the antivirus tests need the clamd scripts/test starts"
    );
    let test = std::thread::current().name().unwrap_or("an antivirus test").to_owned();
    let _ = writeln!(std::io::stderr(), "{test}: {SKIPPED}");
    None
}

/// A body of these chunks, in order.
pub fn body_of(chunks: Vec<Bytes>) -> ByteStream {
    Box::pin(futures::stream::iter(chunks.into_iter().map(Ok)))
}

/// `bytes` cut into chunks of `size` bytes.
pub fn chunked(bytes: &[u8], size: usize) -> ByteStream {
    body_of(bytes.chunks(size).map(Bytes::copy_from_slice).collect())
}

pub async fn conformance(scanner: Arc<dyn Scanner>) {
    assert!(!scanner.describe().is_empty(), "a scanner says what it is");

    let infected = scanner.scan(chunked(EICAR, EICAR.len())).await;
    let Verdict::Infected { signature } = &infected else { panic!("the EICAR test file is infected: {infected:?}") };
    assert!(!signature.is_empty(), "an infection names its signature");

    assert_eq!(scanner.scan(chunked(EICAR, 1)).await, infected, "a binary is scanned whole, however its stream is cut");

    assert_eq!(scanner.scan(chunked(b"Bonjour, voici mon justificatif.", 7)).await, Verdict::Clean);
    assert_eq!(scanner.scan(body_of(Vec::new())).await, Verdict::Clean, "an empty binary is clean");

    // Larger than one chunk of any size a request body arrives in.
    let large: Vec<u8> = (0..(9u32 << 20)).map(|i| (i % 251) as u8).collect();
    assert_eq!(scanner.scan(chunked(&large, 64 << 10)).await, Verdict::Clean, "a large clean binary is clean");

    // Scans run side by side without mixing their streams.
    let (a, b, c) = tokio::join!(
        scanner.scan(chunked(EICAR, 5)),
        scanner.scan(chunked(&large[..(1 << 20)], 4096)),
        scanner.scan(chunked(EICAR, 68)),
    );
    assert_eq!((a, b, c), (infected.clone(), Verdict::Clean, infected), "concurrent scans keep their own verdicts");

    // A body that fails midway was not scanned whole: never clean.
    let failing: ByteStream = Box::pin(futures::stream::iter([
        Ok(Bytes::from_static(b"first part")),
        Err(std::io::Error::other("the client went away")),
    ]));
    assert!(
        matches!(scanner.scan(failing).await, Verdict::Unavailable { .. }),
        "a body that fails is not scanned whole: unavailable"
    );
}
