//! The `bordin` command line: parses arguments and delegates to the library.

use std::process::ExitCode;

use clap::Parser;

mod cli;

use cli::{Cli, Command};

fn main() -> ExitCode {
    let cli = Cli::parse();
    let done = match cli.command {
        Command::Run(a) => a.execute(),
        Command::Report(a) => a.execute(),
        Command::Validate(a) => a.execute(),
        Command::DefaultScenario => Ok(cli::run::default_scenario()),
        Command::Experiment(a) => a.execute(),
        Command::Calibrate(a) => a.execute(),
        Command::Trace(a) => a.execute(),
        Command::Power(a) => a.execute(),
        Command::Sensitivity(a) => a.execute(),
        Command::Sweep(a) => a.execute(),
        Command::Merge(a) => a.execute(),
        Command::Slurm(a) => a.execute(),
    };
    match done {
        Ok(code) => code,
        Err(e) => {
            let text = e.to_string();
            eprint!("error: {}", bordin::error::printable(&text, true));
            if !text.ends_with('\n') {
                eprintln!();
            }
            if e.is_usage() {
                ExitCode::from(2)
            } else {
                ExitCode::from(1)
            }
        }
    }
}
