//! `gamarriando`: every service in one binary — a local server (with an embedded PostgreSQL when
//! no `DATABASE_URL` is set), the operator commands, and the AWS Lambda entry.

use clap::Parser;

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let cli = gamarriando_server::cli::Cli::parse();
    match gamarriando_server::cli::run(cli).await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}
