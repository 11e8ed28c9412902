//! Zip archives of attachments, streamed: entries are stored as they are (attachments are
//! mostly PDFs, already compressed), written from the object store through a small pipe while
//! the client reads, so that memory does not grow with the archive. The first entry,
//! `manifest.csv`, lists every file with its size and SHA-256, its cells made safe for a
//! spreadsheet by [`csv::cell`].

use std::collections::HashSet;

use async_zip::{Compression, ZipEntryBuilder, tokio::write::ZipFileWriter};
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
    zip.write_entry_whole(
        ZipEntryBuilder::new(MANIFEST.to_owned().into(), Compression::Stored),
        manifest(entries).as_bytes(),
    )
    .await?;
    for e in entries {
        let mut object = state.objects.get(&e.key, None).await?.body;
        let mut entry =
            zip.write_entry_stream(ZipEntryBuilder::new(e.path.clone().into(), Compression::Stored)).await?;
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
        };
        let text = manifest(&[entry("=1+1.pdf"), entry("a;b.pdf")]);
        let hex = "07".repeat(32);
        assert_eq!(text, format!("fichier;taille;sha256\n'=1+1.pdf;3;{hex}\n\"a;b.pdf\";3;{hex}\n"));
    }
}
