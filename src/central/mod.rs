//! The central server (`dutyclock-central`): kiosks upload their closed
//! daily summaries (SPEC "Sync"); the organization bureau reads them
//! (summaries, the period report, a person's history, the kiosks' state).
//! It shares only `domain` with the kiosk (the summary wire types and the
//! report's columns and ranking).
//!
//! - `storage`: the one trait every backend implements, and the rows it
//!   hands out; `sqlite` (rusqlite, the embedded default) and `postgres`
//!   (tokio-postgres with a deadpool pool) implement it and run the same
//!   tests; `pgtls`: PostgreSQL over TLS (rustls) with libpq's sslmode.
//! - `ingest`: the pure decisions of an upload: what a body must be, and
//!   what a revision means against what is stored (201/200/409);
//!   `records`: a kiosk's record chain checked as it arrives (pure);
//!   `rejudging`: each received summary judged again from the kiosk's
//!   records with its declared rules, off the request path; `raw_days`:
//!   a person's days as the kiosk recorded them (pure).
//! - `auth`: random tokens (stored as SHA-256 digests) and argon2 passwords;
//!   `hasher`: password checks on two threads that reuse their memory,
//!   behind a bounded queue; `clients`: the client's address (behind a
//!   trusted proxy, the forwarded one) and its sign-in token bucket.
//! - `listener`: accepting connections: a cap, a header and idle timeout,
//!   the TLS handshake's timeout, the peer's address for each request.
//! - `api`: the axum routes, their errors and the `Date` header;
//!   `cases_api`: the findings' and cases' part of it.
//! - `cli`: the command line of SPEC's table; `admin`: the changes an
//!   admin makes (kiosks, accounts), checked and audited, for the command
//!   line and the admin pages alike.
//! - `cases`: 暗访 findings and the cases made of them, as events
//!   folded into what stands (pure).
//! - `overview`: the bureau's day by unit (pure); `pages`: the bureau's
//!   HTML pages and their exports, behind a login; `charts`: their SVG
//!   charts (plotters, pure); `bulletin`: the 通报 draft as .docx (pure).

pub mod admin;
pub mod api;
pub mod auth;
pub mod bulletin;
pub mod cases;
pub mod cases_api;
pub mod charts;
pub mod cli;
pub mod clients;
pub mod hasher;
pub mod ingest;
pub mod listener;
pub mod master;
pub mod overview;
pub mod pages;
pub mod pgtls;
pub mod postgres;
pub mod pull;
pub mod raw_days;
pub mod records;
pub mod rejudging;
pub mod sqlite;
pub mod storage;
pub mod sums;
pub mod units;
