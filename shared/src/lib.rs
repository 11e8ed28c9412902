//! The hub's library: everything the function crates share. Handlers in `functions/*` stay
//! thin; the rules live here.

pub mod adapters;
pub mod auth;
pub mod bootstrap;
pub mod config;
pub mod domain;
pub mod http;
#[cfg(feature = "aws")]
pub mod lambda;
pub mod ports;
pub mod seed;
pub mod services;
pub mod state;
pub mod store;
pub mod templates;
#[cfg(any(test, feature = "testkit"))]
pub mod testkit;

/// A mutex's guard, even when a holder panicked: the queues and caches behind the hub's mutexes
/// are whole between statements, so a panic elsewhere must not stop every later caller.
pub(crate) fn lock<T>(m: &std::sync::Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}
