//! The e-mails the hub's outbox mailer wrote (`<data dir>/outbox/*.eml`), counted per
//! (recipient, dossier). The dossier is read from the message itself, not from the file's
//! name, which the mailer is free to change: see [`email_key`].

use std::{
    collections::HashMap,
    ffi::OsString,
    path::{Path, PathBuf},
    time::SystemTime,
};

use base64::{Engine, engine::general_purpose::STANDARD};

/// What an e-mail is about: its recipients (`To:`) and the dossier its link names (the case id).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct EmailKey {
    pub to: String,
    pub case: String,
}

/// The recipient and dossier of a new-dossier e-mail: the `To:` header (its addresses, sorted,
/// comma-separated), and the case id in the dossier link (`…/dossiers/<case id>`) of its body,
/// whichever transfer encoding the body has. `None` for any other message.
pub fn email_key(eml: &str) -> Option<EmailKey> {
    let to = header(eml, "to")?;
    let mut addresses: Vec<String> = to
        .split(',')
        .map(|a| {
            let a = a.trim();
            a.rsplit_once('<').and_then(|(_, rest)| rest.split_once('>')).map_or(a, |(inner, _)| inner).to_lowercase()
        })
        .collect();
    addresses.sort();
    let case =
        dossier_id(&quoted_printable_decoded(eml)).or_else(|| base64_blocks(eml).find_map(|t| dossier_id(&t)))?;
    Some(EmailKey { to: addresses.join(", "), case })
}

/// A header of the message (unfolded), by case-insensitive name.
fn header(eml: &str, name: &str) -> Option<String> {
    let mut value: Option<String> = None;
    for line in eml.lines() {
        if line.is_empty() {
            break;
        }
        match &mut value {
            Some(v) if line.starts_with([' ', '\t']) => v.push_str(line),
            Some(_) => break,
            None => {
                if let Some((n, v)) = line.split_once(':')
                    && n.eq_ignore_ascii_case(name)
                {
                    value = Some(v.trim().to_owned());
                }
            }
        }
    }
    value
}

fn dossier_id(text: &str) -> Option<String> {
    text.match_indices("/dossiers/").find_map(|(i, m)| {
        let candidate = text.get(i + m.len()..i + m.len() + 36)?;
        uuid::Uuid::parse_str(candidate).ok().map(|u| u.to_string())
    })
}

/// The whole message with quoted-printable decoding applied (soft line breaks removed, `=XX`
/// turned into its byte); harmless on parts in other encodings.
fn quoted_printable_decoded(eml: &str) -> String {
    let joined = eml.replace("=\r\n", "").replace("=\n", "");
    let bytes = joined.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = bytes.get(i + 1..i + 3).and_then(|h| u8::from_str_radix(std::str::from_utf8(h).ok()?, 16).ok());
        match (bytes[i], hex) {
            (b'=', Some(b)) => {
                out.push(b);
                i += 3;
            }
            (b, _) => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The decoded text of each run of base64-looking lines.
fn base64_blocks(eml: &str) -> impl Iterator<Item = String> + '_ {
    let is_b64 = |l: &str| !l.is_empty() && l.bytes().all(|b| b.is_ascii_alphanumeric() || b"+/=".contains(&b));
    let lines: Vec<&str> = eml.lines().collect();
    let mut blocks = Vec::new();
    let mut current = String::new();
    for line in lines {
        if is_b64(line) {
            current.push_str(line);
        } else if !current.is_empty() {
            blocks.push(std::mem::take(&mut current));
        }
    }
    blocks.push(current);
    blocks.into_iter().filter_map(|b| STANDARD.decode(b).ok()).map(|b| String::from_utf8_lossy(&b).into_owned())
}

/// The outbox folder, each file read once.
pub struct Outbox {
    dir: PathBuf,
    parsed: HashMap<OsString, Option<EmailKey>>,
}

/// What the outbox holds.
#[derive(Default)]
pub struct Tally {
    pub per_key: HashMap<EmailKey, usize>,
    pub files: usize,
    /// Messages that are not new-dossier e-mails (or could not be read).
    pub other: usize,
    /// When each file was last written: an outbox item's e-mail sent again is written over.
    pub written: HashMap<OsString, SystemTime>,
}

impl Tally {
    /// How many of the files `earlier` saw were written again since: e-mails sent a second time,
    /// which the outbox folder keeps once but SES or SMTP would deliver twice.
    pub fn rewritten_since(&self, earlier: &Tally) -> usize {
        earlier.written.iter().filter(|(name, at)| self.written.get(*name).is_some_and(|now| now != *at)).count()
    }
}

impl Outbox {
    pub fn new(data_dir: &Path) -> Self {
        Self { dir: data_dir.join("outbox"), parsed: HashMap::new() }
    }

    pub fn scan(&mut self) -> Tally {
        let mut tally = Tally::default();
        let Ok(entries) = std::fs::read_dir(&self.dir) else { return tally };
        for entry in entries.flatten() {
            let name = entry.file_name();
            let s = name.to_string_lossy();
            if s.starts_with('.') || !s.ends_with(".eml") {
                continue;
            }
            if let Ok(at) = entry.metadata().and_then(|m| m.modified()) {
                tally.written.insert(name.clone(), at);
            }
            let key = self
                .parsed
                .entry(name)
                .or_insert_with(|| std::fs::read_to_string(entry.path()).ok().as_deref().and_then(email_key));
            tally.files += 1;
            match key {
                Some(k) => *tally.per_key.entry(k.clone()).or_default() += 1,
                None => tally.other += 1,
            }
        }
        tally
    }
}

#[cfg(test)]
mod tests {
    use hubee_shared::{adapters::embedded::OutboxMailer, ports::Mailer, templates};

    use super::*;

    #[tokio::test]
    async fn the_recipient_and_dossier_are_read_from_what_the_outbox_mailer_writes() {
        let dir = tempfile::tempdir().unwrap();
        let mailer = OutboxMailer::open(dir.path(), hubee_shared::config::DEFAULT_MAIL_FROM).unwrap();
        let case = uuid::Uuid::new_v4();
        let notice = templates::DossierNotice {
            procedure_title: "Certificat de décès électronique".into(),
            number: "LOAD-00-000001-A".into(),
            transmitted: chrono::Utc::now(),
            link: templates::dossier_link("http://127.0.0.1:41234", case),
        };
        mailer.send(&templates::new_dossier("Etat-Civil@mairie-a.example", &notice)).await.unwrap();
        let mut outbox = Outbox { dir: dir.path().into(), parsed: HashMap::new() };
        let tally = outbox.scan();
        let key = EmailKey { to: "etat-civil@mairie-a.example".into(), case: case.to_string() };
        assert_eq!((tally.files, tally.other, tally.per_key.get(&key)), (1, 0, Some(&1)), "{:?}", tally.per_key);
    }

    #[test]
    fn a_link_cut_by_soft_line_breaks_or_in_base64_is_found() {
        let id = "0b8d3c52-7a41-4bd4-9c1e-3f5e2a7d9b10";
        let qp = "To: a@b.example\r\n\r\nConsulter : http://h/dossiers/0b8d3c52-7a41-4bd4-=\r\n9c1e-3f5e2a7d9b10\r\n";
        assert_eq!(email_key(qp).map(|k| k.case), Some(id.to_owned()));
        let b64 = format!("To: X <a@b.example>\r\n\r\n{}\r\n", STANDARD.encode(format!("voir http://h/dossiers/{id}")));
        assert_eq!(email_key(&b64), Some(EmailKey { to: "a@b.example".into(), case: id.into() }));
        assert_eq!(email_key("To: a@b.example\r\n\r\nno link"), None);
    }
}
