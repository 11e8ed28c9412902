//! Query strings: every parameter a route takes is named, anything else is refused (the
//! contract: unknown parameters are 400), repeated parameters are kept in order.

use axum::{extract::FromRequestParts, http::request::Parts};

use super::ApiError;

/// The query string's parameters, decoded, in order; `name[]` counts as `name`.
#[derive(Clone, Debug, Default)]
pub struct QueryParams {
    line: String,
    pairs: Vec<(String, String)>,
}

impl<S: Send + Sync> FromRequestParts<S> for QueryParams {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        let pairs = form_urlencoded::parse(parts.uri.query().unwrap_or_default().as_bytes())
            .map(|(k, v)| (k.trim_end_matches("[]").to_owned(), v.into_owned()))
            .collect();
        Ok(Self { line: format!("{} {}", parts.method, parts.uri.path()), pairs })
    }
}

impl QueryParams {
    fn problem(&self, name: &str, message: &str) -> String {
        format!("[ERROR][REQUEST][{} @query.{name}] {message}", self.line)
    }

    /// Refuses parameters outside `allowed`.
    ///
    /// # Errors
    /// 400 naming every unknown parameter.
    pub fn only(&self, allowed: &[&str]) -> Result<&Self, ApiError> {
        let problems: Vec<String> = self
            .pairs
            .iter()
            .filter(|(k, _)| !allowed.contains(&k.as_str()))
            .map(|(k, _)| self.problem(k, "Unknown query parameter"))
            .collect();
        if problems.is_empty() { Ok(self) } else { Err(ApiError::validation(&problems)) }
    }

    /// Every parameter, in order (for use cases that check a richer grammar themselves).
    pub fn pairs(&self) -> &[(String, String)] {
        &self.pairs
    }

    /// Every value of a parameter (repeated, or comma-separated).
    pub fn all(&self, name: &str) -> Vec<String> {
        self.pairs
            .iter()
            .filter(|(k, _)| k == name)
            .flat_map(|(_, v)| {
                v.split(',').map(str::trim).filter(|s| !s.is_empty()).map(str::to_owned).collect::<Vec<_>>()
            })
            .collect()
    }

    /// The last value of a parameter.
    pub fn one(&self, name: &str) -> Option<&str> {
        self.pairs.iter().rev().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
    }

    /// A non-negative integer parameter.
    ///
    /// # Errors
    /// 400 in the contract's words when it is not a number.
    pub fn number(&self, name: &str) -> Result<Option<usize>, ApiError> {
        match self.one(name) {
            None => Ok(None),
            Some(v) => match v.trim().parse::<f64>() {
                Ok(n) if n >= 0.0 && n.is_finite() => Ok(Some(n as usize)),
                _ => Err(ApiError::validation(&[self.problem(
                    name,
                    "Instance type (string) does not match any allowed primitive type (allowed: [\"integer\",\"number\"])",
                )])),
            },
        }
    }

    /// A date bound: an RFC 3339 date-time, or a day (`2026-03-02`, Paris time) taken from its
    /// start, or — with `end_of_day` — up to the start of the next day.
    ///
    /// # Errors
    /// 400 when it is neither.
    pub fn date(&self, name: &str, end_of_day: bool) -> Result<Option<chrono::DateTime<chrono::Utc>>, ApiError> {
        use chrono::TimeZone;
        let Some(v) = self.one(name).map(str::trim).filter(|v| !v.is_empty()) else { return Ok(None) };
        if let Some(t) = crate::domain::parse_time(v) {
            return Ok(Some(t));
        }
        let day = chrono::NaiveDate::parse_from_str(v, "%Y-%m-%d")
            .ok()
            .map(|d| if end_of_day { d.succ_opt().unwrap_or(d) } else { d })
            .and_then(|d| chrono_tz::Europe::Paris.from_local_datetime(&d.and_time(chrono::NaiveTime::MIN)).earliest());
        match day {
            Some(t) => Ok(Some(t.with_timezone(&chrono::Utc))),
            None => Err(ApiError::validation(&[
                self.problem(name, &format!("\"{v}\" is neither a date (YYYY-MM-DD) nor a date-time"))
            ])),
        }
    }

    /// A boolean parameter (`true` / `false`).
    ///
    /// # Errors
    /// 400 for any other value.
    pub fn boolean(&self, name: &str) -> Result<Option<bool>, ApiError> {
        match self.one(name).map(str::trim) {
            None => Ok(None),
            Some(v) if v.eq_ignore_ascii_case("true") => Ok(Some(true)),
            Some(v) if v.eq_ignore_ascii_case("false") => Ok(Some(false)),
            Some(v) => {
                Err(ApiError::validation(&[self.problem(name, &format!("\"{v}\" is not a boolean (true or false)"))]))
            }
        }
    }
}
