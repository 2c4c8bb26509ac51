//! `dutyclock`: the kiosk terminal and its admin command line.

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    dutyclock::cli::run(dutyclock::cli::Cli::parse())
}
