//! `dutyclock-central`: the central server and its command line.

use std::process::ExitCode;

use clap::Parser;

/// mimalloc, not glibc's malloc: a province's report allocates and frees
/// a few hundred thousand strings a request, and with glibc's the cost
/// of that grew faster than the people did (issue 25; see Cargo.toml).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    dutyclock::central::cli::run(dutyclock::central::cli::Cli::parse())
}
