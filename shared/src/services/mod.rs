//! The use cases, one module per capability. Handlers call exactly one of these.

pub mod folders;
pub mod token;
mod validate;

pub use validate::Checker;
