//! What each use case's error answers: status, code and message, in the contract's words. The
//! use cases return typed errors and know no HTTP; every mapping to [`ApiError`] is here, so
//! that one place says what a client sees.

use axum::http::StatusCode;
use serde_json::{Value, json};

use super::ApiError;
use crate::services::{
    ExchangeError, UploadError,
    accounts::{self, AccountsError},
    portal_auth::{self, PortalAuthError},
    portal_cases::BulkOutcome,
};

/// When to try a download again whose antivirus verdict is awaited: GuardDuty answers within
/// seconds of the object landing.
const VERDICT_RETRY_SECONDS: u32 = 5;

impl From<ExchangeError> for ApiError {
    fn from(e: ExchangeError) -> Self {
        match e {
            ExchangeError::Forbidden => ApiError::forbidden(),
            ExchangeError::FolderNotFound => ApiError::not_found("Folder is not found"),
            ExchangeError::CaseNotFound => ApiError::not_found("Case is not found"),
            ExchangeError::EventNotFound => ApiError::not_found("Event is not found"),
            ExchangeError::NotificationNotFound => ApiError::not_found("Notification is not found"),
            ExchangeError::NotFound(message) => ApiError::not_found(message),
            ExchangeError::AttachmentNotFound => ApiError::not_found("Binary meta-data is not found"),
            ExchangeError::FileNotFound => ApiError::not_found("File is not found"),
            ExchangeError::Quarantined(id) => ApiError::not_found(format!(
                "File is not found: the binary of attachment {id} was rejected by the antivirus (CORRUPTED) and is \
                 never served"
            )),
            ExchangeError::VerdictAwaited(id) => ApiError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                format!("The antivirus is still scanning the binary of attachment {id}: retry in a few seconds"),
            )
            .retry_after(VERDICT_RETRY_SECONDS),
            ExchangeError::ScannerUnavailable(_) => ApiError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "The antivirus is unavailable: the binary was not stored, please retry later",
            ),
            ExchangeError::Invalid(problems) => ApiError::validation(&problems),
            ExchangeError::Refused(messages) => ApiError::bad_requests(messages),
            ExchangeError::Conflict(m) => ApiError::conflict(m),
            ExchangeError::Busy => ApiError::unavailable(),
            ExchangeError::Store(e) => ApiError::internal(e),
            ExchangeError::Objects(e) => ApiError::internal(e),
        }
    }
}

impl From<UploadError> for ApiError {
    fn from(e: UploadError) -> Self {
        match e {
            UploadError::TooLarge(message) => ApiError::payload_too_large(message),
            UploadError::Exchange(e) => e.into(),
        }
    }
}

impl From<AccountsError> for ApiError {
    fn from(e: AccountsError) -> Self {
        match e {
            AccountsError::Invalid(problems) => ApiError::validation(&problems),
            AccountsError::Forbidden => ApiError::forbidden(),
            AccountsError::NotHome => ApiError::new(StatusCode::FORBIDDEN, accounts::NOT_HOME),
            AccountsError::NotFound => ApiError::not_found(accounts::NOT_FOUND),
            AccountsError::NoInvitation => ApiError::not_found(accounts::NO_INVITATION),
            AccountsError::Taken => ApiError::conflict(accounts::TAKEN),
            AccountsError::Refused(message) => ApiError::bad_request(message),
            AccountsError::Busy => ApiError::unavailable(),
            AccountsError::Store(e) => ApiError::internal(e),
        }
    }
}

impl From<PortalAuthError> for ApiError {
    fn from(e: PortalAuthError) -> Self {
        match e {
            PortalAuthError::Invalid(problems) => ApiError::validation(&problems),
            PortalAuthError::InvalidCredentials => {
                ApiError::new(StatusCode::UNAUTHORIZED, portal_auth::INVALID_CREDENTIALS)
            }
            PortalAuthError::WrongCode { attempts_left } => {
                ApiError::bad_request(portal_auth::wrong_code_message(attempts_left))
            }
            PortalAuthError::SignInAgain => ApiError::bad_request(portal_auth::SIGN_IN_AGAIN),
            PortalAuthError::TooManyCodes => ApiError::new(StatusCode::TOO_MANY_REQUESTS, portal_auth::TOO_MANY_CODES),
            PortalAuthError::InvalidLink => ApiError::bad_request(portal_auth::INVALID_LINK),
            PortalAuthError::WeakPassword(problems) => ApiError::bad_requests(problems),
            PortalAuthError::NotSignedIn | PortalAuthError::SessionEnded => {
                ApiError::new(StatusCode::UNAUTHORIZED, portal_auth::NOT_SIGNED_IN)
            }
            PortalAuthError::Csrf => ApiError::new(StatusCode::FORBIDDEN, portal_auth::CSRF_REFUSED),
            PortalAuthError::PasswordSignInOff => {
                ApiError::new(StatusCode::FORBIDDEN, portal_auth::PASSWORD_SIGN_IN_OFF)
            }
            PortalAuthError::AccountNotFound => ApiError::not_found("Account is not found"),
            PortalAuthError::Mail(_) | PortalAuthError::Busy => ApiError::unavailable(),
            PortalAuthError::Store(e) => ApiError::internal(e),
            PortalAuthError::Internal(e) => ApiError::internal(e),
        }
    }
}

/// A bulk action's results as the portal shows them: per dossier, its new status, or the
/// message its error answers alone.
pub fn bulk_results(outcomes: Vec<BulkOutcome>) -> Vec<Value> {
    outcomes
        .into_iter()
        .map(|BulkOutcome { case_id, result }| match result {
            Ok(status) => json!({"caseId": case_id, "ok": true, "status": status}),
            Err(e) => {
                let error = ApiError::from(e);
                json!({"caseId": case_id, "ok": false, "error": error.errors.first().map(|(_, m)| m.clone())})
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use axum::response::IntoResponse;

    use super::*;

    #[test]
    fn a_binary_awaiting_its_verdict_answers_503_with_when_to_retry() {
        let id = uuid::Uuid::new_v4();
        let response = ApiError::from(ExchangeError::VerdictAwaited(id)).into_response();
        assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(response.headers()[axum::http::header::RETRY_AFTER], VERDICT_RETRY_SECONDS.to_string().as_str());
        let unavailable = ApiError::from(ExchangeError::ScannerUnavailable("down".into())).into_response();
        assert!(unavailable.headers().get(axum::http::header::RETRY_AFTER).is_none(), "nothing stored: no promise");
    }
}
