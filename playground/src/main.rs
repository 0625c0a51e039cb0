//! `bedrock-playground`: the story page on 127.0.0.1, with its requests forwarded to the stack and
//! authorized as its `authType` asks (SigV4, an API key, a Cognito ID token), so a stack can be
//! tried in a browser without making it public; and `bedrock-playground invoke`, one story request
//! from the command line, authorized the same way.

use std::io::{IsTerminal, Write};
use std::net::{Ipv4Addr, SocketAddr};
use std::process::ExitCode;
use std::sync::Arc;

use bedrock_playground::args::{Cli, Command, Invoke, Serve};
use bedrock_playground::auth::Auth;
use bedrock_playground::invoke::invoke;
use bedrock_playground::proxy::Playground;
use bedrock_playground::serve::serve;
use clap::Parser;
use tokio::net::TcpListener;
use tracing::Level;
use tracing_subscriber::filter::Targets;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;

fn main() -> ExitCode {
    let cli = Cli::parse();
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().expect("tokio runtime");
    match cli.command {
        Some(Command::Invoke(args)) => {
            // Only warnings: stdout is the story, stderr its status.
            init_logging(Level::WARN);
            runtime.block_on(run_invoke(args))
        }
        None => {
            init_logging(Level::INFO);
            match runtime.block_on(run(cli.serve)) {
                Ok(()) => ExitCode::SUCCESS,
                Err(error) => {
                    eprintln!("bedrock-playground: {error}");
                    ExitCode::FAILURE
                }
            }
        }
    }
}

/// Logs to stderr at `level`, coloured on a terminal. aws-config's region chain asks the EC2
/// instance metadata service last and warns, a screen wide, when it cannot be reached (on any
/// machine not in EC2); the playground's own message then says which region to set, so only IMDS
/// errors are shown.
fn init_logging(level: Level) {
    let filter = Targets::new().with_default(level).with_target("aws_config::imds", Level::ERROR);
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .finish()
        .with(filter)
        .init();
}

async fn run_invoke(args: Invoke) -> ExitCode {
    let target = args.upstream.target().to_string();
    let auth = match Auth::from_upstream(&args.upstream).await {
        Ok(auth) => auth,
        Err(error) => {
            eprintln!("error: {error}");
            return ExitCode::FAILURE;
        }
    };
    let (mut out, mut err) = (std::io::stdout().lock(), std::io::stderr());
    match invoke(&args, &auth, &mut out, &mut err).await {
        Ok(status) if status.is_client_error() || status.is_server_error() => {
            eprintln!("error: HTTP {} from {target}", status.as_u16());
            if let Some(advice) = auth.advice(status) {
                eprintln!("  {advice}");
            }
            ExitCode::FAILURE
        }
        Ok(_) => ExitCode::SUCCESS,
        Err(error) => {
            let _ = out.flush();
            eprintln!("error: {error}");
            ExitCode::FAILURE
        }
    }
}

async fn run(args: Serve) -> Result<(), Box<dyn std::error::Error>> {
    let upstream = &args.upstream;
    let auth = Auth::from_upstream(upstream).await?;
    let how = auth.describe();
    // Loopback only: whoever reaches this port calls the stack with the caller's AWS credentials.
    let listener = TcpListener::bind(SocketAddr::from((Ipv4Addr::LOCALHOST, args.port))).await?;
    let address = listener.local_addr()?;
    let playground = Arc::new(Playground::new(upstream.target().clone(), auth, address.port())?);
    let mut stdout = std::io::stdout().lock();
    // Scripts wait for this exact line, so it must not sit in a buffer.
    writeln!(stdout, "bedrock-playground listening on http://{address}/")?;
    stdout.flush()?;
    drop(stdout);
    tracing::info!(target = %upstream.target(), "forwarding to the stack, {how}");
    let interrupted = async {
        if let Err(error) = tokio::signal::ctrl_c().await {
            tracing::warn!(%error, "Ctrl-C cannot be caught; stop the playground with a signal");
            std::future::pending::<()>().await;
        }
    };
    serve(listener, playground, args.max_connections, interrupted).await;
    Ok(())
}
