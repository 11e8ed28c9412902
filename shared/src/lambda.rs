//! The error a Lambda function's event handler fails with, as the runtime reports it.

use std::fmt::Display;

use lambda_runtime::Diagnostic;

/// Why an event handler failed, and whether the same event may succeed on another delivery:
/// the runtime reports it as the invocation's `errorType`, `Retryable` or `NonRetryable`, which
/// the logs, the failure destinations and the tests read. Handlers return the runtime's
/// [`Diagnostic`]; `?` converts.
#[derive(Debug, thiserror::Error)]
pub enum LambdaError {
    /// The store, the object storage or the mailer failed: the next delivery (the schedule's or
    /// S3's retry) may succeed, and what was done stays done.
    #[error("{0}")]
    Retryable(String),
    /// The event itself is unusable (another shape, a record without its key): delivering it
    /// again fails the same way.
    #[error("{0}")]
    NonRetryable(String),
}

impl LambdaError {
    pub fn retryable(e: impl Display) -> Self {
        Self::Retryable(e.to_string())
    }

    pub fn non_retryable(e: impl Display) -> Self {
        Self::NonRetryable(e.to_string())
    }
}

impl From<LambdaError> for Diagnostic {
    fn from(e: LambdaError) -> Self {
        let error_type = match e {
            LambdaError::Retryable(_) => "Retryable",
            LambdaError::NonRetryable(_) => "NonRetryable",
        };
        Diagnostic { error_type: error_type.into(), error_message: e.to_string() }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_runtime_reports_the_kind_and_the_message() {
        let d = Diagnostic::from(LambdaError::retryable("table unavailable"));
        assert_eq!((d.error_type.as_str(), d.error_message.as_str()), ("Retryable", "table unavailable"));
        let d = Diagnostic::from(LambdaError::non_retryable("not a schedule"));
        assert_eq!((d.error_type.as_str(), d.error_message.as_str()), ("NonRetryable", "not a schedule"));
    }
}
