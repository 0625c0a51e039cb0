//! `just bench`: runs the release handler under our own minimal Lambda Runtime API against the
//! in-process Bedrock emulator, and prints each figure next to its target (also written as JSON).
//! Progress goes to stderr, the table to stdout. See bench/README.md for what each figure means.

mod event;
mod function;
mod measure;
mod report;
mod stats;
mod stream;
mod zip;

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::Parser;
use measure::{Sending, Setup, Subject};
use report::{Labels, Machine, Measured, Zips};
use stream::Framing;

const COLD_STARTS: usize = 20;
const WARM_INVOCATIONS: usize = 200;
const RELAY_INVOCATIONS: usize = 20;
const CPU_STORIES: usize = 5;
const CONVERSATION_INVOCATIONS: usize = 100;

/// Benchmarks the release handler binary the way Lambda runs it, offline.
#[derive(Parser)]
#[command(name = "bedrock-bench")]
struct Args {
    /// The handler binary to measure (`target/release/bedrock-streamer`).
    #[arg(long, value_name = "PATH")]
    handler: PathBuf,
    /// Its release zip for arm64 (cargo lambda's `bootstrap.zip`); without the zips, no zip rows.
    #[arg(long, value_name = "PATH", requires = "zip_x86_64")]
    zip_arm64: Option<PathBuf>,
    /// Its release zip for x86_64.
    #[arg(long = "zip-x86-64", value_name = "PATH", requires = "zip_arm64")]
    zip_x86_64: Option<PathBuf>,
    /// Where `results.json` and `function.log` go.
    #[arg(long, value_name = "DIR")]
    out_dir: PathBuf,
    /// A second handler binary (e.g. built from another commit) measured side by side in the same
    /// run, taking turns with `--handler` invocation by invocation; its figures get a column.
    #[arg(long, value_name = "PATH")]
    compare: Option<PathBuf>,
    /// The `--compare` binary's arm64 zip, for its zip rows.
    #[arg(long, value_name = "PATH", requires_all = ["compare", "compare_zip_x86_64"])]
    compare_zip_arm64: Option<PathBuf>,
    /// The `--compare` binary's x86_64 zip.
    #[arg(long = "compare-zip-x86-64", value_name = "PATH", requires_all = ["compare", "compare_zip_arm64"])]
    compare_zip_x86_64: Option<PathBuf>,
    /// The column name of `--handler`.
    #[arg(long, value_name = "NAME", default_value = "this")]
    label: String,
    /// The column name of `--compare`.
    #[arg(long, value_name = "NAME", default_value = "compare")]
    compare_label: String,
    /// How the `--compare` binary frames its events after the 8 NULs: `lines` (NDJSON, as
    /// `--handler` does) or `concatenated` (JSON objects back to back with no newline, as the
    /// original CDK sample's handler writes them).
    #[arg(long, value_enum, value_name = "FRAMING", default_value_t = Framing::Lines, requires = "compare")]
    compare_framing: Framing,
    /// Milliseconds between the upstream's events in the paced CPU phase (each event its own
    /// TCP segment, as Bedrock sends tokens while the model generates them).
    #[arg(long, value_name = "MS", default_value_t = 2, value_parser = clap::value_parser!(u64).range(1..))]
    paced_ms: u64,
    /// Only the paced CPU phase (upstream Nagle off), this many stories per binary, its medians on
    /// stdout and nothing written: a quick comparison while changing the code, or a process to
    /// attach a profiler to.
    #[arg(long, value_name = "STORIES", value_parser = clap::value_parser!(u64).range(1..))]
    paced_only: Option<u64>,
}

#[tokio::main]
async fn main() -> ExitCode {
    let args = Args::parse();
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
    let mut subjects =
        vec![Subject { label: args.label.clone(), binary: args.handler.clone(), framing: Framing::Lines }];
    subjects.extend(args.compare.iter().map(|binary| Subject {
        label: args.compare_label.clone(),
        binary: binary.clone(),
        framing: args.compare_framing,
    }));
    let setup = Setup { subjects: &subjects, log: &log };
    let paced = Duration::from_millis(args.paced_ms);
    if let Some(stories) = args.paced_only {
        return paced_only(&setup, paced, stories as usize).await;
    }
    let mut machine = Machine::here();
    eprintln!(
        "bench: {} ({} cores), load average {}; the function logs to {}",
        machine.cpu,
        machine.cores,
        machine.load_at_start,
        log.display()
    );
    if let [this, other] = &subjects[..] {
        eprintln!(
            "bench: {} ({}) and {} ({}) take turns in every phase",
            this.label,
            this.binary.display(),
            other.label,
            other.binary.display()
        );
    }

    eprintln!("bench: {COLD_STARTS} cold starts per binary, one invocation each, and as many waiting for work");
    let cold = measure::cold_starts(&setup, COLD_STARTS).await?;
    eprintln!("bench: {WARM_INVOCATIONS} warm invocations on one process");
    let warm = measure::warm(&setup, WARM_INVOCATIONS, measure::short_story()).await?;
    eprintln!("bench: {WARM_INVOCATIONS} warm invocations against an upstream that leaves Nagle on");
    let warm_nagle = measure::warm(&setup, WARM_INVOCATIONS, measure::short_story_with_nagle()).await?;
    eprintln!("bench: {RELAY_INVOCATIONS} paced stories for the relay delay");
    let relay = measure::relay(&setup, RELAY_INVOCATIONS).await?;
    let mut cpu = Vec::new();
    for (sending, words) in
        [(Sending::BackToBack, measure::LONG_STORY_WORDS), (Sending::Paced(paced), measure::PACED_STORY_WORDS)]
    {
        for nagle in [false, true] {
            let upstream = if nagle { ", upstream with Nagle on" } else { "" };
            eprintln!("bench: {CPU_STORIES} stories of {words} words for CPU, {sending:?}{upstream}");
            cpu.push(measure::cpu(&setup, CPU_STORIES, measure::cpu_story(sending, nagle)).await?.into_iter());
        }
    }
    eprintln!(
        "bench: {CONVERSATION_INVOCATIONS} stories and conversations alternating, then {CPU_STORIES} long ones each"
    );
    let mut conversation = measure::conversation(&setup, CONVERSATION_INVOCATIONS, CPU_STORIES).await?.into_iter();
    machine.finish();

    let zips = [
        args.zip_arm64.clone().zip(args.zip_x86_64.clone()),
        args.compare_zip_arm64.clone().zip(args.compare_zip_x86_64.clone()),
    ];
    let (mut cold, mut warm, mut warm_nagle, mut relay) =
        (cold.into_iter(), warm.into_iter(), warm_nagle.into_iter(), relay.into_iter());
    let mut per_subject = Vec::new();
    for zips in zips.into_iter().take(subjects.len()) {
        let [b, bn, p, pn] = &mut cpu[..] else { unreachable!("four CPU phases") };
        let measured = Measured {
            cold: next(&mut cold)?,
            warm: next(&mut warm)?,
            warm_nagle: next(&mut warm_nagle)?,
            relay: next(&mut relay)?,
            cpu_back_to_back: next(b)?,
            cpu_back_to_back_nagle: next(bn)?,
            cpu_paced: next(p)?,
            cpu_paced_nagle: next(pn)?,
            conversation: next(&mut conversation)?,
            zips: match zips {
                Some((arm64, x86_64)) => Some(Zips { arm64: zip::sizes(&arm64)?, x86_64: zip::sizes(&x86_64)? }),
                None => None,
            },
        };
        per_subject.push(report::figures(&measured, paced)?);
    }
    let mut per_subject = per_subject.into_iter();
    let figures = report::compared(next(&mut per_subject)?, per_subject.next());

    let labels = Labels { this: &subjects[0].label, compare: subjects.get(1).map(|s| s.label.as_str()) };
    let command = std::env::args().collect::<Vec<_>>().join(" ");
    let json_path = args.out_dir.join("results.json");
    std::fs::write(&json_path, report::json(&command, &machine, &labels, &figures))
        .map_err(|e| format!("{}: {e}", json_path.display()))?;
    print!("{}", report::table(&machine, &labels, &figures));
    eprintln!("bench: results written to {}", json_path.display());
    Ok(())
}

/// `--paced-only`: the paced CPU phase alone, each binary's median CPU per 1,000 events on stdout.
async fn paced_only(setup: &Setup<'_>, paced: Duration, stories: usize) -> Result<(), String> {
    let mut machine = Machine::here();
    eprintln!("bench: {stories} stories of {} words for CPU, paced {paced:?}", measure::PACED_STORY_WORDS);
    let cpu = measure::cpu(setup, stories, measure::cpu_story(Sending::Paced(paced), false)).await?;
    for (subject, cpu) in setup.subjects.iter().zip(cpu) {
        let per_1000 = cpu.per_1000_events.iter().map(|d| d.as_secs_f64() * 1e3).collect::<Vec<_>>();
        let median = stats::Distribution::new(per_1000.clone()).map_or(f64::NAN, |d| d.median());
        println!("{}: CPU per 1,000 events, paced: median {median:.2} ms of {per_1000:.2?}", subject.label);
    }
    machine.finish();
    println!("load average: {} at the start, {} at the end", machine.load_at_start, machine.load_at_end);
    Ok(())
}

/// A phase's result for the next subject: every phase yields one per subject, in order.
fn next<T>(results: &mut impl Iterator<Item = T>) -> Result<T, String> {
    results.next().ok_or_else(|| "a phase measured fewer binaries than it was given".to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(line: &str) -> Result<Args, clap::Error> {
        Args::try_parse_from(["bedrock-bench"].into_iter().chain(line.split_whitespace()))
    }

    const REQUIRED: &str = "--handler h --zip-arm64 a --zip-x86-64 x --out-dir o";

    #[test]
    fn a_second_binary_and_the_pacing_are_optional() {
        let plain = args(REQUIRED).unwrap();
        assert_eq!((plain.compare, plain.paced_ms, plain.label.as_str()), (None, 2, "this"));
        let compared = args(&format!("{REQUIRED} --compare before --compare-label main --paced-ms 5")).unwrap();
        assert_eq!(compared.compare, Some(PathBuf::from("before")));
        assert_eq!(args("--handler h --out-dir o --paced-only 3").unwrap().paced_only, Some(3));
        assert_eq!(args("--handler h --out-dir o").unwrap().zip_arm64, None, "the zips are optional");
        assert_eq!((compared.compare_label.as_str(), compared.paced_ms), ("main", 5));
        assert_eq!(compared.compare_framing, Framing::Lines, "a second binary frames like the first by default");
        let sample = args(&format!("{REQUIRED} --compare sample --compare-framing concatenated")).unwrap();
        assert_eq!(sample.compare_framing, Framing::Concatenated);
    }

    #[test]
    fn bad_arguments_are_refused() {
        assert!(args("--handler h").is_err());
        assert!(args("--handler h --out-dir o --zip-arm64 a").is_err(), "both zips or neither");
        assert!(args("--handler h --out-dir o --paced-only 0").is_err());
        assert!(args(&format!("{REQUIRED} --paced-ms 0")).is_err());
        assert!(args(&format!("{REQUIRED} --compare-zip-arm64 z --compare-zip-x86-64 z")).is_err());
        assert!(args(&format!("{REQUIRED} --compare b --compare-zip-arm64 z")).is_err());
        assert!(args(&format!("{REQUIRED} --verbose")).is_err());
        assert!(args(&format!("{REQUIRED} --compare-framing concatenated")).is_err(), "framing of no binary");
        assert!(args(&format!("{REQUIRED} --compare b --compare-framing sse")).is_err());
    }
}
