//! `dutyclock`: the kiosk terminal and its admin command line.

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    dutyclock::kiosk::cli::run(dutyclock::kiosk::cli::Cli::parse())
}
