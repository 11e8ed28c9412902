//! `SesMailer`: the `Mailer` port on Amazon SES (API v2, `SendEmail` with a simple message:
//! subject, text and HTML bodies in UTF-8; SES builds the MIME message).
//!
//! SES takes addresses as 7-bit ASCII: a display name with other characters (the default sender
//! is `L'équipe HubEE <…>`) goes as MIME encoded-words (RFC 2047), as SES documents. Addresses
//! are checked here as the outbox checks them, so a bad one is `Rejected` before any request.

use std::time::Duration;

use anyhow::anyhow;
use async_trait::async_trait;
use aws_sdk_sesv2::{
    Client,
    config::http::HttpResponse,
    error::{DisplayErrorContext, ProvideErrorMetadata, SdkError},
    operation::send_email::SendEmailError,
    types::{Body, Content, Destination, EmailContent, Message},
};
use aws_smithy_types::retry::RetryConfig;
use base64::{Engine, engine::general_purpose::STANDARD};
use lettre::message::Mailbox;

use crate::ports::{Email, MailError, Mailer};

const ATTEMPTS: u32 = 4;
const CHARSET: &str = "UTF-8";
/// The most bytes of a name one encoded-word carries: 45 bytes are 60 base64 characters, and
/// `=?UTF-8?B?…?=` stays within RFC 2047's 75.
const ENCODED_WORD_BYTES: usize = 45;

#[derive(Clone)]
pub struct SesMailer {
    client: Client,
    /// The sender as configured, for error messages.
    from: String,
    /// The sender as SES takes it, or why it cannot be used.
    sender: Result<String, String>,
}

impl SesMailer {
    /// A mailer sending as `from` (`Name <address>` or a bare address; the address or its
    /// domain must be a verified SES identity).
    pub fn from_sdk_config(config: &aws_config::SdkConfig, from: impl Into<String>) -> Self {
        let ses_config = aws_sdk_sesv2::config::Builder::from(config)
            .retry_config(
                RetryConfig::standard().with_max_attempts(ATTEMPTS).with_initial_backoff(Duration::from_millis(200)),
            )
            .build();
        let from = from.into();
        let sender = from
            .parse::<Mailbox>()
            .map_err(|e| e.to_string())
            .and_then(|m| ses_mailbox(&m).ok_or_else(|| "the address is not 7-bit ASCII".to_owned()));
        Self { client: Client::from_conf(ses_config), from, sender }
    }

    /// The SDK client, for tests and tools.
    pub fn client(&self) -> &Client {
        &self.client
    }
}

/// A mailbox as SES takes it: the address as is (it must be ASCII: SES does not support
/// SMTPUTF8, and wants a Unicode domain in Punycode), the display name quoted, or as
/// encoded-words when it is not printable ASCII.
fn ses_mailbox(mailbox: &Mailbox) -> Option<String> {
    let address: &str = mailbox.email.as_ref();
    if !address.is_ascii() {
        return None;
    }
    let name = mailbox.name.as_deref().map(str::trim).filter(|n| !n.is_empty());
    Some(match name {
        None => address.to_owned(),
        Some(name) if name.bytes().all(|b| (b' '..=b'~').contains(&b)) => {
            format!("\"{}\" <{address}>", name.replace('\\', "\\\\").replace('"', "\\\""))
        }
        Some(name) => format!("{} <{address}>", encoded_words(name)),
    })
}

/// `text` as RFC 2047 `B` encoded-words, split on character boundaries.
fn encoded_words(text: &str) -> String {
    let mut words = Vec::new();
    let mut start = 0;
    while start < text.len() {
        let mut end = (start + ENCODED_WORD_BYTES).min(text.len());
        while !text.is_char_boundary(end) {
            end -= 1;
        }
        words.push(format!("=?{CHARSET}?B?{}?=", STANDARD.encode(&text.as_bytes()[start..end])));
        start = end;
    }
    words.join(" ")
}

fn content(data: &str) -> Result<Content, MailError> {
    Content::builder()
        .data(data)
        .charset(CHARSET)
        .build()
        .map_err(|e| MailError::Unavailable(anyhow::Error::new(e).context("building the message")))
}

/// Refusals of this message (retrying it will not help) against failures of the service or of
/// the account (which may pass, and are no reason to drop the message).
fn classify(error: SdkError<SendEmailError, HttpResponse>) -> MailError {
    let rejected = match error.as_service_error() {
        Some(
            SendEmailError::MessageRejected(_)
            | SendEmailError::MailFromDomainNotVerifiedException(_)
            | SendEmailError::BadRequestException(_),
        ) => true,
        // Codes of SES's v1 API, which an emulator may answer (moto does, for a bad address).
        Some(e) => matches!(e.code(), Some("InvalidParameterValue" | "ValidationError")),
        None => false,
    };
    let code = error.code().unwrap_or("no error code").to_owned();
    if rejected {
        let message = error.message().map(redact_addresses).unwrap_or_default();
        MailError::Rejected(format!("{code}: {message}"))
    } else {
        // The detail goes to logs: SES's messages may name recipients, which are not logged.
        let detail = redact_addresses(&DisplayErrorContext(&error).to_string());
        MailError::Unavailable(anyhow!("sending through SES: {detail}"))
    }
}

/// The text with every word holding an `@` replaced (SES names the addresses it refuses).
fn redact_addresses(text: &str) -> String {
    text.split(' ').map(|w| if w.contains('@') { "<address>" } else { w }).collect::<Vec<_>>().join(" ")
}

#[async_trait]
impl Mailer for SesMailer {
    async fn send(&self, email: &Email) -> Result<String, MailError> {
        let sender = self
            .sender
            .as_ref()
            .map_err(|e| MailError::Unavailable(anyhow!("invalid sender address {:?}: {e}", self.from)))?;
        if email.to.is_empty() {
            return Err(MailError::Rejected("no recipient".into()));
        }
        let to = email
            .to
            .iter()
            .map(|to| to.parse::<Mailbox>().ok().as_ref().and_then(ses_mailbox))
            .collect::<Option<Vec<_>>>()
            .ok_or_else(|| MailError::Rejected("invalid recipient address".into()))?;
        let message = Message::builder()
            .subject(content(&email.subject)?)
            .body(Body::builder().text(content(&email.text)?).html(content(&email.html)?).build())
            .build();
        let out = self
            .client
            .send_email()
            .from_email_address(sender)
            .destination(Destination::builder().set_to_addresses(Some(to)).build())
            .content(EmailContent::builder().simple(message).build())
            .send()
            .await
            .map_err(classify)?;
        let id = out
            .message_id()
            .ok_or_else(|| MailError::Unavailable(anyhow!("SES accepted the message without a message id")))?
            .to_owned();
        tracing::info!(message_id = %id, "e-mail handed to SES");
        Ok(id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decode(words: &str) -> String {
        let bytes: Vec<u8> = words
            .split(' ')
            .flat_map(|w| STANDARD.decode(w.strip_prefix("=?UTF-8?B?").unwrap().strip_suffix("?=").unwrap()).unwrap())
            .collect();
        String::from_utf8(bytes).unwrap()
    }

    #[test]
    fn a_display_name_with_accents_goes_as_encoded_words() {
        let m: Mailbox = crate::config::DEFAULT_MAIL_FROM.parse().unwrap();
        let s = ses_mailbox(&m).unwrap();
        assert!(s.is_ascii() && s.ends_with(" <ne-pas-repondre@hubee.localhost>"), "{s}");
        assert_eq!(decode(s.strip_suffix(" <ne-pas-repondre@hubee.localhost>").unwrap()), "L'équipe HubEE");

        let long = "Délégation interministérielle à l'accompagnement des télédossiers électroniques";
        let words = encoded_words(long);
        assert!(words.split(' ').all(|w| w.len() <= 75), "{words}");
        assert_eq!(decode(&words), long);
    }

    #[test]
    fn addresses_are_kept_out_of_error_messages() {
        assert_eq!(
            redact_addresses("Email address is not verified: etat-civil@mairie-a.example, x@y."),
            "Email address is not verified: <address> <address>"
        );
    }

    #[test]
    fn ascii_names_are_quoted_and_bare_addresses_stay_bare() {
        let m = Mailbox::new(Some("Mairie \"A\"".into()), "etat-civil@mairie-a.example".parse().unwrap());
        assert_eq!(ses_mailbox(&m).unwrap(), "\"Mairie \\\"A\\\"\" <etat-civil@mairie-a.example>");
        let m: Mailbox = "etat-civil@mairie-a.example".parse().unwrap();
        assert_eq!(ses_mailbox(&m).unwrap(), "etat-civil@mairie-a.example");
    }
}
