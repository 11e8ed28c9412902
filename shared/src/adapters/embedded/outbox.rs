//! `OutboxMailer`: the `Mailer` port as a folder of `.eml` files, for the local hub and tests.
//! One log line per message. A message with a key (an outbox item's) is `<key>.eml`, written
//! once whatever the number of sends; the others `<UTC time>-<id>.eml`.

use std::{
    path::{Path, PathBuf},
    sync::Arc,
};

use anyhow::Context;
use async_trait::async_trait;
use lettre::{
    Message,
    message::{Mailbox, MultiPart},
};

use crate::ports::{Email, MailError, Mailer};

#[derive(Clone)]
pub struct OutboxMailer {
    dir: PathBuf,
    from: Mailbox,
    /// Files are written into the folder one at a time: creating and renaming a file hold the
    /// folder's lock in the kernel, and concurrent writers spin on it (about a tenth of the
    /// dispatch benchmark's CPU) without writing any faster.
    one_at_a_time: Arc<tokio::sync::Mutex<()>>,
}

impl OutboxMailer {
    /// # Errors
    /// When the folder cannot be created or the sender address is invalid.
    pub fn open(dir: &Path, from: &str) -> anyhow::Result<Self> {
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
        let from = from.parse().with_context(|| format!("invalid sender address {from:?}"))?;
        Ok(Self { dir: dir.to_owned(), from, one_at_a_time: Arc::default() })
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }
}

/// The MIME message for an e-mail: multipart text and HTML.
///
/// # Errors
/// `Rejected` when there is no recipient or an address is invalid.
pub(super) fn message(from: &Mailbox, email: &Email) -> Result<Message, MailError> {
    if email.to.is_empty() {
        return Err(MailError::Rejected("no recipient".into()));
    }
    let mut builder = Message::builder().from(from.clone()).subject(&email.subject);
    for to in &email.to {
        let mailbox: Mailbox = to.parse().map_err(|_| MailError::Rejected("invalid recipient address".into()))?;
        builder = builder.to(mailbox);
    }
    builder
        .multipart(MultiPart::alternative_plain_html(email.text.clone(), email.html.clone()))
        .map_err(|e| MailError::Rejected(e.to_string()))
}

#[async_trait]
impl Mailer for OutboxMailer {
    async fn send(&self, email: &Email) -> Result<String, MailError> {
        let message = message(&self.from, email)?;
        // An outbox item's message is the file named by the item: sent again (after a crash
        // that lost its mark), it replaces the first, atomically; the outbox holds it once.
        let (id, name) = match email.key {
            Some(key) => (key.to_string(), format!("{key}.eml")),
            None => {
                let id = uuid::Uuid::new_v4().to_string();
                let name = format!("{}-{id}.eml", chrono::Utc::now().format("%Y%m%dT%H%M%S%.3fZ"));
                (id, name)
            }
        };
        let (tmp, path) = (self.dir.join(format!(".{name}.tmp")), self.dir.join(&name));
        let bytes = message.formatted();
        let _turn = self.one_at_a_time.lock().await;
        // One blocking task for the file and its move into place.
        tokio::task::spawn_blocking(move || {
            std::fs::write(&tmp, &bytes)?;
            std::fs::rename(&tmp, &path)
        })
        .await
        .context("writing to the outbox")?
        .context("writing to the outbox")?;
        tracing::info!(message_id = %id, file = %name, "e-mail written to the outbox");
        Ok(id)
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;

    #[tokio::test]
    async fn the_outbox_passes_the_mailer_conformance_suite() {
        let dir = tempfile::tempdir().unwrap();
        let mailer = OutboxMailer::open(dir.path(), "L'équipe HubEE <ne-pas-repondre@hubee.example>").unwrap();
        crate::testkit::mailer::conformance(Arc::new(mailer)).await;
        let files: Vec<_> = std::fs::read_dir(dir.path()).unwrap().flatten().collect();
        assert_eq!(files.len(), 2, "one file per accepted message, none for the refused ones");
        let eml = std::fs::read_to_string(files[0].path()).unwrap();
        assert!(eml.contains("multipart/alternative"), "{eml}");
    }

    #[tokio::test]
    async fn a_message_sent_again_under_its_key_replaces_the_first() {
        let dir = tempfile::tempdir().unwrap();
        let mailer = OutboxMailer::open(dir.path(), "ne-pas-repondre@hubee.example").unwrap();
        let key = uuid::Uuid::new_v4();
        let email = |subject: &str| Email {
            to: vec!["etat-civil@mairie-a.example".into()],
            subject: subject.into(),
            text: "texte".into(),
            html: "<p>texte</p>".into(),
            key: Some(key),
        };
        let first = mailer.send(&email("Premier envoi")).await.unwrap();
        let again = mailer.send(&email("Second envoi")).await.unwrap();
        assert_eq!(first, again, "one message id per key");
        let files: Vec<_> = std::fs::read_dir(dir.path()).unwrap().flatten().map(|e| e.file_name()).collect();
        assert_eq!(files, [std::ffi::OsString::from(format!("{key}.eml"))], "one file, named by the key");
        let eml = std::fs::read_to_string(dir.path().join(format!("{key}.eml"))).unwrap();
        assert!(eml.contains("Second envoi"), "the last send is what the file holds");
    }
}
