//! Zip archives of attachments, streamed: entries are stored as they are (attachments are
//! mostly PDFs, already compressed), written from the object store through a small pipe while
//! the client reads, so that memory does not grow with the archive. The first entry,
//! `manifest.csv`, lists every file with its size and SHA-256, its cells made safe for a
//! spreadsheet by [`csv::cell`]. Each file is dated when the hub received it (Paris time, as
//! zip dates have no zone), the manifest when the archive is written.

use std::collections::HashSet;

use async_zip::{Compression, ZipDateTime, ZipDateTimeBuilder, ZipEntryBuilder, tokio::write::ZipFileWriter};
use chrono::{DateTime, Datelike, Timelike, Utc};
use chrono_tz::Europe::Paris;
use futures::{AsyncWriteExt, StreamExt};
use tokio_util::io::ReaderStream;

use super::csv;
use crate::{
    domain::Sha256Digest,
    ports::{ByteStream, ObjectKey},
    state::AppState,
};

/// The pipe between the zip writer and the response.
const PIPE: usize = 256 * 1024;
pub const MANIFEST: &str = "manifest.csv";

/// One file of an archive.
#[derive(Clone, Debug)]
pub struct ArchiveEntry {
    /// Its path in the archive (see [`entry_path`]).
    pub path: String,
    pub key: ObjectKey,
    pub size: u64,
    pub sha256: Sha256Digest,
    /// When the hub received the file (its upload): its date in the archive. Unknown, it gets
    /// the archive's own date rather than the format's zero (1980).
    pub received: Option<DateTime<Utc>>,
}

/// A zip entry's date: the local time in Paris, two-second precision, within the years the
/// format holds (1980 to 2107).
fn zip_time(at: DateTime<Utc>) -> ZipDateTime {
    let local = at.with_timezone(&Paris);
    ZipDateTimeBuilder::new()
        .year(local.year().clamp(1980, 2107))
        .month(local.month())
        .day(local.day())
        .hour(local.hour())
        .minute(local.minute())
        .second(local.second())
        .build()
}

/// A path segment safe in any archive: no separators, control characters or leading dots.
pub fn safe_name(name: &str) -> String {
    let cleaned: String =
        name.chars().map(|c| if c.is_control() || matches!(c, '/' | '\\' | ':') { '_' } else { c }).collect();
    let trimmed = cleaned.trim().trim_start_matches('.');
    if trimmed.is_empty() { "fichier".to_owned() } else { trimmed.to_owned() }
}

/// `dir/name`, renamed `name (2)` etc. when the path is already taken in the archive.
pub fn entry_path(taken: &mut HashSet<String>, dir: Option<&str>, name: &str) -> String {
    let base = match dir {
        Some(d) => format!("{}/{}", safe_name(d), safe_name(name)),
        None => safe_name(name),
    };
    let (stem, ext) = match base.rfind('.') {
        Some(i) if i > base.rfind('/').map_or(0, |s| s + 1) => (base[..i].to_owned(), base[i..].to_owned()),
        _ => (base.clone(), String::new()),
    };
    let mut path = base;
    let mut n = 2;
    while !taken.insert(path.clone()) || path == MANIFEST {
        path = format!("{stem} ({n}){ext}");
        n += 1;
    }
    path
}

fn manifest(entries: &[ArchiveEntry]) -> String {
    let mut out = String::from("fichier;taille;sha256\n");
    for e in entries {
        out.push_str(&format!("{};{};{}\n", csv::cell(&e.path), e.size, e.sha256.to_hex()));
    }
    out
}

/// The archive as a byte stream. It is written in the background while the stream is read; a
/// failure midway is logged and ends the stream with an error after the bytes written so far,
/// so that neither a client nor the object store takes a truncated archive for a whole one.
pub fn stream(state: AppState, entries: Vec<ArchiveEntry>) -> ByteStream {
    let (writer, reader) = tokio::io::duplex(PIPE);
    let writing = tokio::spawn(async move { write(&state, writer, &entries).await });
    // Once the pipe is drained (the writer done or dropped): its outcome.
    let outcome = futures::stream::once(async move {
        let failure = match writing.await {
            Ok(Ok(())) => return None,
            Ok(Err(e)) => e.to_string(),
            Err(e) => e.to_string(),
        };
        tracing::error!(error = %failure, "writing a zip archive failed");
        Some(Err(std::io::Error::other(format!("writing the zip archive failed: {failure}"))))
    })
    .filter_map(futures::future::ready);
    Box::pin(ReaderStream::with_capacity(reader, 64 * 1024).chain(outcome))
}

async fn write(state: &AppState, out: tokio::io::DuplexStream, entries: &[ArchiveEntry]) -> anyhow::Result<()> {
    let mut zip = ZipFileWriter::with_tokio(out);
    let now = zip_time(state.clock.now());
    zip.write_entry_whole(
        ZipEntryBuilder::new(MANIFEST.to_owned().into(), Compression::Stored).last_modification_date(now),
        manifest(entries).as_bytes(),
    )
    .await?;
    for e in entries {
        let mut object = state.objects.get(&e.key, None).await?.body;
        let date = e.received.map_or(now, zip_time);
        let builder = ZipEntryBuilder::new(e.path.clone().into(), Compression::Stored).last_modification_date(date);
        let mut entry = zip.write_entry_stream(builder).await?;
        while let Some(chunk) = object.next().await {
            entry.write_all(&chunk?).await?;
        }
        entry.close().await?;
    }
    zip.close().await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn archive_paths_are_safe_and_unique() {
        let mut taken = HashSet::new();
        assert_eq!(entry_path(&mut taken, None, "a.pdf"), "a.pdf");
        assert_eq!(entry_path(&mut taken, None, "a.pdf"), "a (2).pdf");
        assert_eq!(entry_path(&mut taken, None, "a.pdf"), "a (3).pdf");
        assert_eq!(entry_path(&mut taken, Some("DGS/1"), "../../etc/passwd"), "DGS_1/_.._etc_passwd");
        assert_eq!(entry_path(&mut taken, None, "manifest.csv"), "manifest (2).csv");
        assert_eq!(entry_path(&mut taken, None, "\u{0}"), "_");
        assert_eq!(entry_path(&mut taken, None, "..."), "fichier");
    }

    #[test]
    fn the_manifest_neutralises_a_formula_in_a_file_name() {
        let entry = |path: &str| ArchiveEntry {
            path: path.to_owned(),
            key: ObjectKey::new(["folders".to_owned(), "f".to_owned()]).unwrap(),
            size: 3,
            sha256: Sha256Digest([7; 32]),
            received: None,
        };
        let text = manifest(&[entry("=1+1.pdf"), entry("a;b.pdf")]);
        let hex = "07".repeat(32);
        assert_eq!(text, format!("fichier;taille;sha256\n'=1+1.pdf;3;{hex}\n\"a;b.pdf\";3;{hex}\n"));
    }

    #[tokio::test]
    async fn each_file_is_dated_when_it_was_received_and_the_manifest_when_the_archive_is_written() {
        #![allow(clippy::unwrap_used)] // Test code: a failed step is a failed test.
        let dir = tempfile::tempdir().unwrap();
        let state = crate::testkit::state(dir.path());
        let key = ObjectKey::new(["archive".to_owned(), "a".to_owned()]).unwrap();
        let body = crate::testkit::objects::body_of(vec![b"%PDF".to_vec()]);
        let info = state.objects.put(&key, "application/pdf", body, Default::default()).await.unwrap();
        // 14:31:08 in Paris (summer time), 12:31:08 UTC.
        let received = crate::domain::parse_time("2026-06-15T12:31:08Z").unwrap();
        let entry = |path: &str, received| ArchiveEntry {
            path: path.to_owned(),
            key: key.clone(),
            size: info.size,
            sha256: info.sha256,
            received,
        };
        let mut bytes = Vec::new();
        let mut zip = stream(state.clone(), vec![entry("a.pdf", Some(received)), entry("b.pdf", None)]);
        while let Some(chunk) = zip.next().await {
            bytes.extend_from_slice(&chunk.unwrap());
        }
        let reader = async_zip::base::read::mem::ZipFileReader::new(bytes).await.unwrap();
        let dates: Vec<_> = reader
            .file()
            .entries()
            .iter()
            .map(|e| {
                let d = e.last_modification_date();
                (d.year(), d.month(), d.day(), d.hour(), d.minute(), d.second())
            })
            .collect();
        assert_eq!(dates[1], (2026, 6, 15, 14, 31, 8), "the upload time, in Paris");
        let today = state.clock.now().with_timezone(&Paris);
        for (i, d) in [(0, dates[0]), (2, dates[2])] {
            assert_eq!((d.0, d.1, d.2), (today.year(), today.month(), today.day()), "entry {i}: not 1980");
        }
    }
}
