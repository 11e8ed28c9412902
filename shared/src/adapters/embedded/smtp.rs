//! `SmtpMailer`: the `Mailer` port on an SMTP server (lettre), for people who run the local hub
//! with their own mail server (`HUBEE_SMTP_URL`).

use anyhow::Context;
use async_trait::async_trait;
use lettre::{AsyncSmtpTransport, AsyncTransport, Tokio1Executor, message::Mailbox};

use super::outbox::message;
use crate::ports::{Email, MailError, Mailer};

pub struct SmtpMailer {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
}

impl SmtpMailer {
    /// `url` as lettre reads it: `smtp://host:port` (plain), `smtp://host:587?tls=required`
    /// (STARTTLS), `smtps://user:password@host` (TLS).
    ///
    /// # Errors
    /// When the URL or the sender address is invalid.
    pub fn open(url: &str, from: &str) -> anyhow::Result<Self> {
        let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(url).context("invalid HUBEE_SMTP_URL")?.build();
        let from = from.parse().with_context(|| format!("invalid sender address {from:?}"))?;
        Ok(Self { transport, from })
    }
}

#[async_trait]
impl Mailer for SmtpMailer {
    async fn send(&self, email: &Email) -> Result<String, MailError> {
        let message = message(&self.from, email)?;
        match self.transport.send(message).await {
            Ok(response) => {
                let id = response.message().collect::<Vec<_>>().join(" ");
                tracing::info!(code = %response.code(), "e-mail handed to the SMTP server");
                Ok(id)
            }
            // 5xx: the server refuses this message for good (unknown mailbox, say).
            Err(e) if e.is_permanent() => Err(MailError::Rejected(e.to_string())),
            Err(e) => Err(MailError::Unavailable(anyhow::Error::new(e).context("SMTP"))),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use tokio::{
        io::{AsyncBufReadExt, AsyncWriteExt, BufReader},
        net::TcpListener,
    };

    use super::*;

    /// A one-connection SMTP server that refuses `refused@` recipients and returns the DATA.
    async fn fake_server() -> (u16, tokio::task::JoinHandle<String>) {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let task = tokio::spawn(async move {
            let (socket, _) = listener.accept().await.unwrap();
            let (read, mut write) = socket.into_split();
            let mut lines = BufReader::new(read).lines();
            write.write_all(b"220 fake ESMTP\r\n").await.unwrap();
            let mut data = String::new();
            let mut in_data = false;
            while let Ok(Some(line)) = lines.next_line().await {
                if in_data {
                    if line == "." {
                        in_data = false;
                        write.write_all(b"250 2.0.0 queued as FAKE1\r\n").await.unwrap();
                    } else {
                        data.push_str(&line);
                        data.push('\n');
                    }
                    continue;
                }
                let upper = line.to_ascii_uppercase();
                let reply: &[u8] = if upper.starts_with("EHLO") || upper.starts_with("HELO") {
                    b"250 fake\r\n"
                } else if upper.starts_with("RCPT") && upper.contains("REFUSED@") {
                    b"550 5.1.1 no such mailbox\r\n"
                } else if upper.starts_with("DATA") {
                    in_data = true;
                    b"354 go ahead\r\n"
                } else if upper.starts_with("QUIT") {
                    write.write_all(b"221 bye\r\n").await.unwrap();
                    break;
                } else {
                    b"250 ok\r\n"
                };
                write.write_all(reply).await.unwrap();
            }
            data
        });
        (port, task)
    }

    #[tokio::test]
    async fn a_message_reaches_the_smtp_server_and_a_refused_mailbox_is_a_rejection() {
        let (port, server) = fake_server().await;
        let mailer = SmtpMailer::open(&format!("smtp://127.0.0.1:{port}"), crate::config::DEFAULT_MAIL_FROM).unwrap();
        let email = Email {
            to: vec!["etat-civil@mairie-a.example".into()],
            subject: "Nouveau télédossier".into(),
            text: "Bonjour".into(),
            html: "<p>Bonjour</p>".into(),
            key: None,
        };
        let id = mailer.send(&email).await.unwrap();
        assert!(id.contains("FAKE1"), "{id}");
        drop(mailer);
        let data = server.await.unwrap();
        assert!(data.contains("To: etat-civil@mairie-a.example"), "{data}");

        let (port, _server) = fake_server().await;
        let mailer: Arc<dyn Mailer> =
            Arc::new(SmtpMailer::open(&format!("smtp://127.0.0.1:{port}"), crate::config::DEFAULT_MAIL_FROM).unwrap());
        let refused = Email { to: vec!["refused@mairie-a.example".into()], ..email };
        assert!(matches!(mailer.send(&refused).await, Err(MailError::Rejected(_))));
    }
}
