//! `RecentMail`: any mailer, keeping the last messages it sent readable in memory — what the
//! local hub's tests and benchmarks read the sign-in codes and links from, whatever the
//! adapter behind it (outbox folder, SMTP server, SESv2).

use std::{
    collections::VecDeque,
    sync::{Arc, Mutex},
};

use async_trait::async_trait;

use crate::ports::{Email, MailError, Mailer};

const KEPT: usize = 200;

#[derive(Clone)]
pub struct RecentMail {
    inner: Arc<dyn Mailer>,
    recent: Arc<Mutex<VecDeque<Email>>>,
}

impl RecentMail {
    pub fn new(inner: Arc<dyn Mailer>) -> Self {
        Self { inner, recent: Arc::default() }
    }

    /// The last messages sent (at most 200), oldest first.
    pub fn recent(&self) -> Vec<Email> {
        self.recent.lock().unwrap_or_else(|e| e.into_inner()).iter().cloned().collect()
    }
}

#[async_trait]
impl Mailer for RecentMail {
    async fn send(&self, email: &Email) -> Result<String, MailError> {
        let id = self.inner.send(email).await?;
        let mut recent = self.recent.lock().unwrap_or_else(|e| e.into_inner());
        if recent.len() == KEPT {
            recent.pop_front();
        }
        recent.push_back(email.clone());
        Ok(id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn only_sent_messages_are_kept_and_only_the_last_200() {
        let mail = RecentMail::new(Arc::new(crate::testkit::RecordingMailer::failing(1)));
        let email = |n: usize| Email {
            to: vec![format!("a{n}@b.example")],
            subject: n.to_string(),
            text: String::new(),
            html: String::new(),
            key: None,
        };
        assert!(mail.send(&email(0)).await.is_err());
        for n in 1..=201 {
            mail.send(&email(n)).await.unwrap();
        }
        let recent = mail.recent();
        assert_eq!((recent.len(), recent[0].subject.as_str(), recent[199].subject.as_str()), (200, "2", "201"));
    }
}
