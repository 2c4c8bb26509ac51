//! `dutyclock-central`: the central server and its command line.

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    dutyclock::central::cli::run(dutyclock::central::cli::Cli::parse())
}
