//! `Withheld`: the object store or mailer of a Lambda function that is not granted one. Each
//! function builds its state with the AWS adapters it uses (a `bootstrap::lambda_*` entry
//! point), as its policies in the SAM template grant it rights on the matching services only;
//! the others are `Withheld`, so that their SDK clients are not linked into its binary. Every call fails as the denied call to AWS
//! would, with the reason: a route that needs storage or e-mail was given to the wrong function.

use std::{ops::Range, time::Duration};

use async_trait::async_trait;

use crate::ports::{
    ByteStream, Email, MailError, Mailer, ObjectBody, ObjectError, ObjectInfo, ObjectKey, ObjectStore, PresignMethod,
    PutCheck,
};

#[derive(Clone, Copy, Debug, Default)]
pub struct Withheld;

impl Withheld {
    fn anchors(name: &str) -> crate::ports::AnchorError {
        crate::ports::AnchorError::Unavailable(anyhow::anyhow!(
            "this function seals no audit anchor (asked for {name})"
        ))
    }

    fn objects(key: &ObjectKey) -> ObjectError {
        ObjectError::Unavailable(anyhow::anyhow!("this function has no object storage (asked for {key})"))
    }
}

#[async_trait]
impl ObjectStore for Withheld {
    async fn put(&self, key: &ObjectKey, _: &str, _: ByteStream, _: PutCheck) -> Result<ObjectInfo, ObjectError> {
        Err(Self::objects(key))
    }

    async fn get(&self, key: &ObjectKey, _: Option<Range<u64>>) -> Result<ObjectBody, ObjectError> {
        Err(Self::objects(key))
    }

    async fn head(&self, key: &ObjectKey) -> Result<ObjectInfo, ObjectError> {
        Err(Self::objects(key))
    }

    async fn delete(&self, key: &ObjectKey) -> Result<(), ObjectError> {
        Err(Self::objects(key))
    }

    async fn seal(&self, key: &ObjectKey, _: &str, _: PutCheck) -> Result<ObjectInfo, ObjectError> {
        Err(Self::objects(key))
    }

    async fn presign(&self, key: &ObjectKey, _: PresignMethod, _: Duration) -> Result<String, ObjectError> {
        Err(Self::objects(key))
    }

    async fn presign_download(&self, key: &ObjectKey, _: &str, _: Duration) -> Result<String, ObjectError> {
        Err(Self::objects(key))
    }
}

#[async_trait]
impl Mailer for Withheld {
    async fn send(&self, email: &Email) -> Result<String, MailError> {
        Err(MailError::Unavailable(anyhow::anyhow!("this function sends no e-mail (asked to write to {:?})", email.to)))
    }
}

#[async_trait]
impl crate::ports::AnchorStore for Withheld {
    async fn put(&self, name: &str, _: bytes::Bytes) -> Result<(), crate::ports::AnchorError> {
        Err(Self::anchors(name))
    }

    async fn get(&self, name: &str) -> Result<Option<bytes::Bytes>, crate::ports::AnchorError> {
        Err(Self::anchors(name))
    }

    async fn list(&self) -> Result<Vec<String>, crate::ports::AnchorError> {
        Err(Self::anchors("(list)"))
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)] // Test code: a failed step is a failed test.

    use super::*;

    #[tokio::test]
    async fn every_call_fails_as_unavailable_with_the_reason() {
        let key = ObjectKey::parse("cases/a/b").unwrap();
        let store: &dyn ObjectStore = &Withheld;
        let refused = store.head(&key).await.unwrap_err();
        assert!(matches!(&refused, ObjectError::Unavailable(e) if e.to_string().contains("cases/a/b")), "{refused}");
        assert!(matches!(store.delete(&key).await, Err(ObjectError::Unavailable(_))));
        assert!(matches!(
            store.presign(&key, PresignMethod::Get, Duration::from_secs(60)).await,
            Err(ObjectError::Unavailable(_))
        ));
        assert!(matches!(store.seal(&key, "text/plain", PutCheck::default()).await, Err(ObjectError::Unavailable(_))));

        let email = Email {
            to: vec!["agent@mairie.example".into()],
            subject: "Objet".into(),
            text: "Texte".into(),
            html: "<p>Texte</p>".into(),
            key: None,
        };
        let refused = Withheld.send(&email).await.unwrap_err();
        assert!(matches!(&refused, MailError::Unavailable(e) if e.to_string().contains("agent@mairie.example")));
    }
}
