//! Conformance suites for the ports, written once and run against every implementation
//! (feature `testkit`). Each panics with a message naming the broken rule.

#![allow(clippy::unwrap_used, clippy::expect_used)] // Test code: a failed step is a failed check.

pub mod mailer;
pub mod objects;
pub mod table;
