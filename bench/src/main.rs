//! `just bench`: runs the release handler under our own minimal Lambda Runtime API against the
//! in-process Bedrock emulator, and prints each figure next to its target (also written as JSON).
//! Progress goes to stderr, the table to stdout. See bench/README.md for what each figure means.

mod event;
mod function;
mod measure;
mod report;
mod runtime_api;
mod stats;
mod stream;
mod zip;

use std::path::PathBuf;
use std::process::ExitCode;

use measure::Setup;
use report::{Machine, Measured};

const COLD_STARTS: usize = 20;
const WARM_INVOCATIONS: usize = 200;
const RELAY_INVOCATIONS: usize = 20;
const LONG_STORIES: usize = 5;
const CONVERSATION_INVOCATIONS: usize = 100;

const USAGE: &str = "usage: bedrock-bench --handler PATH --zip-arm64 PATH --zip-x86-64 PATH --out-dir DIR";

struct Args {
    handler: PathBuf,
    zip_arm64: PathBuf,
    zip_x86_64: PathBuf,
    out_dir: PathBuf,
}

fn parse_args(mut args: impl Iterator<Item = String>) -> Result<Args, String> {
    let (mut handler, mut zip_arm64, mut zip_x86_64, mut out_dir) = (None, None, None, None);
    while let Some(flag) = args.next() {
        let slot = match flag.as_str() {
            "--handler" => &mut handler,
            "--zip-arm64" => &mut zip_arm64,
            "--zip-x86-64" => &mut zip_x86_64,
            "--out-dir" => &mut out_dir,
            _ => return Err(format!("unknown argument {flag:?}")),
        };
        *slot = Some(PathBuf::from(args.next().ok_or_else(|| format!("{flag} needs a value"))?));
    }
    match (handler, zip_arm64, zip_x86_64, out_dir) {
        (Some(handler), Some(zip_arm64), Some(zip_x86_64), Some(out_dir)) => {
            Ok(Args { handler, zip_arm64, zip_x86_64, out_dir })
        }
        _ => Err("every argument is required".to_owned()),
    }
}

#[tokio::main]
async fn main() -> ExitCode {
    let args = match parse_args(std::env::args().skip(1)) {
        Ok(args) => args,
        Err(error) => {
            eprintln!("{error}\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    match run(&args).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("bench failed: {error}");
            ExitCode::FAILURE
        }
    }
}

async fn run(args: &Args) -> Result<(), String> {
    std::fs::create_dir_all(&args.out_dir).map_err(|e| format!("{}: {e}", args.out_dir.display()))?;
    let log = args.out_dir.join("function.log");
    // One log per run: the function's own lines, for when a phase fails.
    std::fs::write(&log, "").map_err(|e| format!("{}: {e}", log.display()))?;
    let setup = Setup { handler: &args.handler, log: &log };
    let mut machine = Machine::here();
    eprintln!(
        "bench: {} ({} cores), load average {}; the function logs to {}",
        machine.cpu,
        machine.cores,
        machine.load_at_start,
        log.display()
    );

    eprintln!("bench: {COLD_STARTS} cold starts, one invocation each");
    let cold = measure::cold_starts(&setup, COLD_STARTS).await?;
    eprintln!("bench: {WARM_INVOCATIONS} warm invocations on one process");
    let warm = measure::warm(&setup, WARM_INVOCATIONS, measure::short_story()).await?;
    eprintln!("bench: {WARM_INVOCATIONS} warm invocations against an upstream that leaves Nagle on");
    let warm_nagle = measure::warm(&setup, WARM_INVOCATIONS, measure::short_story_with_nagle()).await?;
    eprintln!("bench: {RELAY_INVOCATIONS} paced stories for the relay delay");
    let relay = measure::relay(&setup, RELAY_INVOCATIONS).await?;
    eprintln!("bench: {LONG_STORIES} stories of {} words for CPU and throughput", measure::long_story().story_words);
    let throughput = measure::throughput(&setup, LONG_STORIES).await?;
    eprintln!(
        "bench: {CONVERSATION_INVOCATIONS} stories and conversations alternating, then {LONG_STORIES} long ones each"
    );
    let conversation = measure::conversation(&setup, CONVERSATION_INVOCATIONS, LONG_STORIES).await?;
    let measured = Measured {
        cold,
        warm,
        warm_nagle,
        relay,
        throughput,
        conversation,
        zip_arm64: zip::sizes(&args.zip_arm64)?,
        zip_x86_64: zip::sizes(&args.zip_x86_64)?,
    };
    machine.finish();

    let figures = report::figures(&measured)?;
    let command = std::env::args().collect::<Vec<_>>().join(" ");
    let json_path = args.out_dir.join("results.json");
    std::fs::write(&json_path, report::json(&command, &machine, &figures))
        .map_err(|e| format!("{}: {e}", json_path.display()))?;
    print!("{}", report::table(&machine, &figures));
    eprintln!("bench: results written to {}", json_path.display());
    Ok(())
}
