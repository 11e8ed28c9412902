//! The `Mailer` conformance suite.

use std::sync::Arc;

use crate::ports::{Email, MailError, Mailer};

pub async fn conformance(mailer: Arc<dyn Mailer>) {
    let email = Email {
        to: vec!["etat-civil@mairie-a.example".into()],
        subject: "Nouveau télédossier CERTDC".into(),
        text: "Bonjour,\nun nouveau télédossier est arrivé.".into(),
        html: "<p>Bonjour,</p><p>un nouveau télédossier est arrivé.</p>".into(),
        key: None,
    };
    let a = mailer.send(&email).await.unwrap();
    let b = mailer.send(&email).await.unwrap();
    assert_ne!(a, b, "each message gets its own id");
    let bad = Email { to: vec!["not an address".into()], ..email.clone() };
    assert!(matches!(mailer.send(&bad).await, Err(MailError::Rejected(_))), "an invalid address is rejected");
    let nobody = Email { to: vec![], ..email };
    assert!(
        matches!(mailer.send(&nobody).await, Err(MailError::Rejected(_))),
        "a message without recipient is rejected"
    );
}
