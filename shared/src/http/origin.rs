//! On AWS, CloudFront is the only way to the API: its WAF web ACL (rate limits on sign-in and
//! tokens, AWS's common rules) filters every request there. The execute-api endpoint is
//! disabled, but the API's own domain — CloudFront's origin — answers anyone who calls it
//! directly; so CloudFront adds a secret header to what it forwards
//! ([`ORIGIN_VERIFY_HEADER`]), and a deployed function refuses every request without it
//! (docs/security/aws.md). The local hub has no CDN in front and no secret: no check.

use std::sync::Arc;

use axum::{
    extract::{Request, State},
    middleware::Next,
    response::{IntoResponse, Response},
};
use subtle::ConstantTimeEq;

use super::ApiError;
use crate::config::ORIGIN_VERIFY_HEADER;

/// The accepted values of the header: the current secret, and the previous one during a
/// rotation.
#[derive(Clone)]
pub(super) struct OriginSecrets(Arc<[String]>);

impl OriginSecrets {
    pub(super) fn new(secrets: &[String]) -> Self {
        Self(secrets.into())
    }

    fn accepts(&self, given: &[u8]) -> bool {
        // Every secret is compared, in constant time: how long the answer takes says nothing of
        // how close a guess came.
        self.0.iter().fold(false, |found, secret| found | bool::from(secret.as_bytes().ct_eq(given)))
    }
}

/// The layer's function: a request without a known secret is answered 403 in the contract's
/// shape before any handler runs.
pub(super) async fn require_cdn(State(secrets): State<OriginSecrets>, request: Request, next: Next) -> Response {
    let given = request.headers().get(ORIGIN_VERIFY_HEADER).map(axum::http::HeaderValue::as_bytes);
    if !given.is_some_and(|g| secrets.accepts(g)) {
        tracing::warn!(event = "origin_refused", "a request that did not come through CloudFront was refused");
        return ApiError::forbidden().into_response();
    }
    next.run(request).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_current_or_previous_secret_is_accepted() {
        let secrets = OriginSecrets::new(&["a".repeat(32), "b".repeat(32)]);
        assert!(secrets.accepts("a".repeat(32).as_bytes()));
        assert!(secrets.accepts("b".repeat(32).as_bytes()));
        assert!(!secrets.accepts("a".repeat(31).as_bytes()));
        assert!(!secrets.accepts(b""));
        assert!(!OriginSecrets::new(&[]).accepts(b""));
    }
}
