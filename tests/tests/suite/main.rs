//! The black-box suites, linked into one test binary: each module is one suite, run against
//! local hubs it spawns (one per test, on port 0). One binary links once, where a binary per
//! suite linked the whole hub eleven times.

mod antivirus;
mod audit;
mod cloudfront_front;
mod credentials;
mod csv_exports;
mod enumeration;
mod exchange;
mod http_edge;
mod intake;
mod national;
mod portal_accounts;
mod portal_auth;
mod portal_authorization;
mod portal_delegates;
mod portal_dossiers;
mod portal_openapi;
mod portal_subscriptions;
mod portal_work;
mod proconnect;
mod sam_template;
mod statistics;
mod subscriptions;
mod tokens;
mod web;
