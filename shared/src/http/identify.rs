//! What the extractors need of the hub to know who calls: [`Identify`]. The state implements it
//! where the use cases are wired (`state.rs`), so that this layer reads the request and calls
//! no use case itself.

use std::future::Future;

use crate::{
    auth::Claims,
    services::portal_auth::{Authenticated, PortalAuthError},
    store::StoreError,
};

pub trait Identify: Send + Sync {
    /// The claims behind a bearer token when its signature and expiry hold and its client is
    /// still accepted (it may have been disabled, or its tokens revoked, since it was issued);
    /// `None` refuses the token.
    fn api_client(&self, token: &str) -> impl Future<Output = Result<Option<Claims>, StoreError>> + Send;

    /// The portal session a cookie opens, checking the CSRF token of a state-changing request
    /// (see `services::portal_auth::authenticate`).
    fn portal_session(
        &self,
        cookie: Option<&str>,
        csrf: Option<&str>,
        changes_state: bool,
    ) -> impl Future<Output = Result<Authenticated, PortalAuthError>> + Send;
}
