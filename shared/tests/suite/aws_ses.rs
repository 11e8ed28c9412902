//! `SesMailer` against a moto server (`scripts/test` starts one): the `Mailer` conformance
//! suite, the messages as moto recorded them, and a refused sender.

#![allow(clippy::unwrap_used, clippy::expect_used)] // Test code: a failed step is a failed check.

use std::sync::Arc;

use hubee_shared::{
    adapters::aws::SesMailer,
    config::DEFAULT_MAIL_FROM,
    ports::{Email, MailError, Mailer},
    testkit,
};
use serde_json::Value;

/// Verifies an identity (an address or a domain), as moto, like SES, refuses unverified senders.
async fn verify(mailer: &SesMailer, identity: &str) {
    let created = mailer.client().create_email_identity().email_identity(identity).send().await;
    if let Err(e) = created {
        assert!(e.as_service_error().is_some_and(|e| e.is_already_exists_exception()), "{e:?}");
    }
}

/// How many messages moto's SES backend (shared by its SESv2) counts as sent, through SES v1's
/// `GetSendQuota`. moto does not check signatures: the credential scope only selects the region.
async fn sent_count() -> f64 {
    let endpoint = std::env::var("AWS_ENDPOINT_URL").unwrap();
    let region = std::env::var("AWS_REGION").unwrap();
    let auth =
        format!("AWS4-HMAC-SHA256 Credential=moto/20260101/{region}/ses/aws4_request, SignedHeaders=host, Signature=0");
    let xml = reqwest::Client::new()
        .post(format!("{endpoint}/"))
        .header("content-type", "application/x-www-form-urlencoded")
        .header("authorization", auth)
        .body("Action=GetSendQuota&Version=2010-12-01")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let count = xml.split_once("<SentLast24Hours>").and_then(|(_, rest)| rest.split_once('<')).map(|(n, _)| n);
    count.and_then(|n| n.parse().ok()).unwrap_or_else(|| panic!("no count in {xml}"))
}

/// The messages moto recorded (`/moto-api/data.json`, under `ses` → `Message`), or `None` when
/// moto cannot list its state: once the server has seen an S3 multipart upload (as `aws_s3`'s
/// tests do, on the same server), its dump fails with a 500 (moto 5.2.5: the
/// `status` of a part's `FakeKey` raises `NoSuchBucket`).
async fn sent_messages() -> Option<Vec<Value>> {
    let endpoint = std::env::var("AWS_ENDPOINT_URL").unwrap();
    let response = reqwest::get(format!("{endpoint}/moto-api/data.json")).await.unwrap();
    if response.status() == 500 {
        return None;
    }
    let data: Value = response.json().await.unwrap();
    Some(data["ses"]["Message"].as_array().cloned().unwrap_or_default())
}

fn email(to: &str) -> Email {
    Email {
        to: vec![to.into()],
        subject: "Nouveau télédossier CERTDC".into(),
        text: "Bonjour,\nun nouveau télédossier est arrivé.".into(),
        html: "<p>Bonjour,</p><p>un nouveau télédossier est arrivé.</p>".into(),
        key: None,
    }
}

#[tokio::test]
async fn ses_passes_the_mailer_conformance_suite_and_moto_records_the_messages() {
    let Some(config) = testkit::aws::sdk_config().await else { return };
    let mailer = SesMailer::from_sdk_config(&config, DEFAULT_MAIL_FROM);
    verify(&mailer, "ne-pas-repondre@hubee.localhost").await;
    testkit::mailer::conformance(Arc::new(mailer.clone())).await;

    let to = format!("{}@mairie-b.example", testkit::aws::unique_name("etat-civil"));
    let before = sent_count().await;
    let id = mailer.send(&email(&format!("État civil <{to}>"))).await.unwrap();
    assert!(sent_count().await > before, "moto counts the message as sent");
    match sent_messages().await {
        Some(sent) => {
            let message = sent.iter().find(|m| m["id"] == id).unwrap_or_else(|| panic!("{id} not in {sent:#?}"));
            assert_eq!(message["destinations"]["ToAddresses"][0], format!("=?UTF-8?B?w4l0YXQgY2l2aWw=?= <{to}>"));
            assert_eq!(message["source"], "=?UTF-8?B?TCfDqXF1aXBlIEh1YkVF?= <ne-pas-repondre@hubee.localhost>");
            assert_eq!(message["subject"], "Nouveau télédossier CERTDC");
        }
        None => eprintln!("moto cannot dump its state (see sent_messages): the message's content is not checked"),
    }
}

#[tokio::test]
async fn a_sender_under_a_verified_domain_may_send_and_an_unverified_one_is_rejected() {
    let Some(config) = testkit::aws::sdk_config().await else { return };
    let domain = format!("{}.example", testkit::aws::unique_name("hubee"));
    let verified = SesMailer::from_sdk_config(&config, format!("L'équipe HubEE <notifications@{domain}>"));
    verify(&verified, &domain).await;
    verified.send(&email("etat-civil@mairie-a.example")).await.unwrap();

    let unverified = SesMailer::from_sdk_config(&config, "HubEE <ne-pas-repondre@unverified.example>");
    let r = unverified.send(&email("etat-civil@mairie-a.example")).await;
    assert!(matches!(r, Err(MailError::Rejected(_))), "{r:?}");

    // A sender that is no address is the configuration's fault, not the message's.
    let broken = SesMailer::from_sdk_config(&config, "not an address");
    assert!(matches!(broken.send(&email("etat-civil@mairie-a.example")).await, Err(MailError::Unavailable(_))));
}
