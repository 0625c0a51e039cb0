//! The results: each figure next to its target and the original CDK sample's value for the same
//! figure, as a table for people and as JSON for tools.

use std::time::Duration;

use serde::Serialize;

use crate::measure::{ColdStarts, Conversation, Cpu, Relay, Warm};
use crate::stats::Distribution;
use crate::zip::ZipSizes;

/// Everything measured of one subject in one run.
pub struct Measured {
    pub cold: ColdStarts,
    pub warm: Warm,
    /// The warm phase against an upstream that leaves Nagle's algorithm on.
    pub warm_nagle: Warm,
    pub relay: Relay,
    /// CPU phases: back to back and paced, each with the upstream's Nagle off and on.
    pub cpu_back_to_back: Cpu,
    pub cpu_back_to_back_nagle: Cpu,
    pub cpu_paced: Cpu,
    pub cpu_paced_nagle: Cpu,
    /// Stories and OpenAI-shaped conversations alternating on one process, when the binary
    /// serves conversations.
    pub conversation: Option<Conversation>,
    /// The release zips, when given for this subject.
    pub zips: Option<Zips>,
}

pub struct Zips {
    pub arm64: ZipSizes,
    pub x86_64: ZipSizes,
}

#[derive(Serialize)]
pub struct Figure {
    pub key: &'static str,
    pub figure: String,
    pub value: f64,
    /// The same figure of the `--compare` binary, measured in the same run.
    pub compare: Option<f64>,
    pub unit: &'static str,
    /// Met when `value` is at most this.
    pub target: Option<f64>,
    /// The original CDK sample's handler, measured on the same kind of machine and harness.
    pub sample: Option<f64>,
    /// The sample's value is a lower bound (it was not measured as such).
    pub sample_at_least: bool,
    pub met: Option<bool>,
    /// How many measurements the value summarises.
    pub samples: usize,
}

impl Figure {
    fn new(key: &'static str, figure: impl Into<String>, value: f64, unit: &'static str) -> Figure {
        Figure {
            key,
            figure: figure.into(),
            value,
            compare: None,
            unit,
            target: None,
            sample: None,
            sample_at_least: false,
            met: None,
            samples: 1,
        }
    }

    fn target(mut self, target: f64) -> Figure {
        self.target = Some(target);
        self.met = Some(self.value <= target);
        self
    }

    fn sample(mut self, sample: f64) -> Figure {
        self.sample = Some(sample);
        self
    }

    fn samples(mut self, samples: usize) -> Figure {
        self.samples = samples;
        self
    }
}

/// The sample's cold path was not measured, but it is at least its exec → first `next` plus its
/// warm first text byte (its first request also pays for the AWS setup it deferred): ours beats
/// the sample's for sure when it beats that sum.
const SAMPLE_COLD_PATH_AT_LEAST: f64 = 2.3 + 43.6;

/// A conversation may cost at most this much more than a story in the same phase (issue 17).
const CONVERSATION_SLACK: f64 = 1.10;

/// The figures of the first subject, each with the second subject's value of the same figure
/// (from `compare`) beside it.
pub fn compared(mut figures: Vec<Figure>, compare: Option<Vec<Figure>>) -> Vec<Figure> {
    for other in compare.into_iter().flatten() {
        if let Some(figure) = figures.iter_mut().find(|f| f.key == other.key) {
            figure.compare = Some(other.value);
        }
    }
    figures
}

pub fn figures(m: &Measured, paced: Duration) -> Result<Vec<Figure>, String> {
    let cold_poll = distribution(&m.cold.to_first_poll)?;
    let cold_text = distribution(&m.cold.to_first_text)?;
    let cold_cpu = distribution(&m.cold.cpu_to_first_poll)?;
    let warm_text = distribution(&m.warm.to_first_text)?;
    let warm_whole = distribution(&m.warm.whole)?;
    let warm_nagle_text = distribution(&m.warm_nagle.to_first_text)?;
    let step = |i: usize| {
        let step: Vec<_> = m.warm.steps.iter().map(|s| s[i]).collect();
        distribution(&step).map(|d| d.median())
    };
    let relay = distribution(&m.relay.delays)?;
    let rate = Distribution::new(m.cpu_back_to_back.events_per_second.clone()).ok_or("no stories")?;
    let peak_rss = [
        m.warm.peak_rss,
        m.warm_nagle.peak_rss,
        m.relay.peak_rss,
        m.cpu_back_to_back.peak_rss,
        m.cpu_back_to_back_nagle.peak_rss,
        m.cpu_paced.peak_rss,
        m.cpu_paced_nagle.peak_rss,
    ]
    .into_iter()
    .max()
    .unwrap_or_default();
    let n = |d: &Distribution| d.len();
    let paced = format!("paced {} ms apart", paced.as_millis());
    let cpu = |key, how: &str, phase: &Cpu| -> Result<Figure, String> {
        let d = distribution(&phase.per_1000_events)?;
        let figure = format!("CPU (user+sys) per 1,000 events, {how}, median");
        Ok(Figure::new(key, figure, d.median(), "ms").samples(n(&d)))
    };

    let mut cold_path =
        Figure::new("cold_path_p50", "cold path: exec → first text byte, median", cold_text.median(), "ms")
            .target(SAMPLE_COLD_PATH_AT_LEAST)
            .sample(SAMPLE_COLD_PATH_AT_LEAST)
            .samples(n(&cold_text));
    cold_path.sample_at_least = true;

    let mut figures = vec![
        Figure::new("cold_first_next_p50", "cold start: exec → first `next`, median", cold_poll.median(), "ms")
            .sample(2.3)
            .samples(n(&cold_poll)),
        Figure::new(
            "cold_cpu_to_first_next_p50",
            "cold start: CPU (user+sys) exec → first `next`, median",
            cold_cpu.median(),
            "ms",
        )
        .samples(n(&cold_cpu)),
        cold_path,
        Figure::new("warm_first_text_p50", "warm: event delivered → first text byte, p50", warm_text.median(), "ms")
            .target(2.0)
            .sample(43.6)
            .samples(n(&warm_text)),
        Figure::new(
            "warm_first_text_p99",
            "warm: event delivered → first text byte, p99",
            warm_text.percentile(99.0),
            "ms",
        )
        .samples(n(&warm_text)),
        Figure::new(
            "warm_first_text_nagle_upstream_p50",
            "warm, upstream with Nagle on: event delivered → first text byte, p50",
            warm_nagle_text.median(),
            "ms",
        )
        .target(2.0)
        .samples(n(&warm_nagle_text)),
        Figure::new(
            "warm_step_delivered_to_response_p50",
            "  of which: delivered → response headers, p50",
            step(0)?,
            "ms",
        )
        .samples(n(&warm_text)),
        Figure::new("warm_step_headers_to_prelude_p50", "  of which: response headers → prelude, p50", step(1)?, "ms")
            .samples(n(&warm_text)),
        Figure::new("warm_step_prelude_to_separator_p50", "  of which: prelude → 8 NULs, p50", step(2)?, "ms")
            .samples(n(&warm_text)),
        Figure::new("warm_step_separator_to_first_text_p50", "  of which: 8 NULs → first text, p50", step(3)?, "ms")
            .samples(n(&warm_text)),
        Figure::new("warm_invocation_p50", "warm: event delivered → response ended, p50", warm_whole.median(), "ms")
            .samples(n(&warm_whole)),
        Figure::new("relay_delay_p50", "relay delay: emulator sends delta → event received, p50", relay.median(), "ms")
            .target(0.5)
            .samples(n(&relay)),
        Figure::new(
            "relay_delay_p99",
            "relay delay: emulator sends delta → event received, p99",
            relay.percentile(99.0),
            "ms",
        )
        .samples(n(&relay)),
        cpu("cpu_per_1000_events", "back to back", &m.cpu_back_to_back)?.target(2.0).sample(9.5),
        cpu("cpu_per_1000_events_nagle_upstream", "back to back, upstream with Nagle on", &m.cpu_back_to_back_nagle)?,
        cpu("cpu_per_1000_events_paced", &paced, &m.cpu_paced)?.target(6.0),
        cpu(
            "cpu_per_1000_events_paced_nagle_upstream",
            &format!("{paced}, upstream with Nagle on"),
            &m.cpu_paced_nagle,
        )?,
        Figure::new("events_per_second", "events/s on a long story, back to back, median", rate.median(), "events/s")
            .samples(rate.len()),
        Figure::new("peak_rss", "peak RSS (VmHWM) of the function", peak_rss as f64 / (1024.0 * 1024.0), "MiB")
            .target(9.0)
            .sample(9.2),
    ];
    if let Some(conversation) = &m.conversation {
        figures.extend(conversation_figures(conversation)?);
    }
    if let Some(zips) = &m.zips {
        figures.extend([
            Figure::new("zip_arm64", "release zip, arm64", megabytes(zips.arm64.file), "MB").target(2.5),
            Figure::new("zip_x86_64", "release zip, x86_64", megabytes(zips.x86_64.file), "MB"),
            Figure::new("bootstrap_arm64", "bootstrap binary in the zip, arm64", megabytes(zips.arm64.bootstrap), "MB"),
            Figure::new(
                "bootstrap_x86_64",
                "bootstrap binary in the zip, x86_64",
                megabytes(zips.x86_64.bootstrap),
                "MB",
            )
            .target(8.3)
            .sample(8.3),
        ]);
    }
    Ok(figures)
}

fn conversation_figures(c: &Conversation) -> Result<[Figure; 4], String> {
    let story_beside_chat = distribution(&c.story_first_text)?;
    let chat_text = distribution(&c.chat_first_text)?;
    let story_cpu_beside_chat = distribution(&c.story_cpu_per_1000_events)?;
    let chat_cpu = distribution(&c.chat_cpu_per_1000_events)?;
    Ok([
        Figure::new(
            "conversation_first_text_p50",
            "conversation (/v1/chat/completions, streamed): first text byte, p50",
            chat_text.median(),
            "ms",
        )
        .target(story_beside_chat.median() * CONVERSATION_SLACK)
        .samples(chat_text.len()),
        Figure::new(
            "conversation_story_first_text_p50",
            "  the story path, alternating in the same phase, p50",
            story_beside_chat.median(),
            "ms",
        )
        .samples(story_beside_chat.len()),
        Figure::new(
            "conversation_cpu_per_1000_events",
            "conversation: CPU (user+sys) per 1,000 chunks, median",
            chat_cpu.median(),
            "ms",
        )
        .target(story_cpu_beside_chat.median() * CONVERSATION_SLACK)
        .samples(chat_cpu.len()),
        Figure::new(
            "conversation_story_cpu_per_1000_events",
            "  the story path per 1,000 events, same phase, median",
            story_cpu_beside_chat.median(),
            "ms",
        )
        .samples(story_cpu_beside_chat.len()),
    ])
}

/// Where the figures came from: on a shared machine, the load matters as much as the CPU.
#[derive(Serialize)]
pub struct Machine {
    pub cpu: String,
    pub cores: usize,
    pub kernel: String,
    pub load_at_start: String,
    pub load_at_end: String,
}

impl Machine {
    /// Everything but the load at the end, which [`Machine::finish`] adds.
    pub fn here() -> Machine {
        let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
        let cpu = cpuinfo
            .lines()
            .find_map(|line| line.strip_prefix("model name"))
            .and_then(|rest| rest.split_once(':'))
            .map_or("unknown", |(_, name)| name.trim())
            .to_owned();
        Machine {
            cpu,
            cores: std::thread::available_parallelism().map_or(0, |n| n.get()),
            kernel: read_trimmed("/proc/sys/kernel/osrelease"),
            load_at_start: load(),
            load_at_end: String::new(),
        }
    }

    pub fn finish(&mut self) {
        self.load_at_end = load();
    }
}

/// The column names: the measured binary's and, with `--compare`, the other's.
#[derive(Serialize)]
pub struct Labels<'a> {
    pub this: &'a str,
    pub compare: Option<&'a str>,
}

#[derive(Serialize)]
struct Report<'a> {
    command: &'a str,
    machine: &'a Machine,
    labels: &'a Labels<'a>,
    figures: &'a [Figure],
}

pub fn json(command: &str, machine: &Machine, labels: &Labels<'_>, figures: &[Figure]) -> String {
    let report = Report { command, machine, labels, figures };
    serde_json::to_string_pretty(&report).expect("the report always serializes")
}

pub fn table(machine: &Machine, labels: &Labels<'_>, figures: &[Figure]) -> String {
    let with_compare = labels.compare.is_some();
    let rows: Vec<Vec<String>> = figures
        .iter()
        .map(|f| {
            let sample = f.sample.map_or_else(String::new, |s| {
                let at_least = if f.sample_at_least { "≥ " } else { "" };
                format!("{at_least}{}", amount(s, f.unit))
            });
            let mut row = vec![f.figure.clone(), amount(f.value, f.unit)];
            if with_compare {
                row.push(f.compare.map_or_else(String::new, |c| amount(c, f.unit)));
            }
            row.extend([
                f.target.map_or_else(String::new, |t| format!("≤ {}", amount(t, f.unit))),
                sample,
                match f.met {
                    Some(true) => "met".to_owned(),
                    Some(false) => "MISSED".to_owned(),
                    None => String::new(),
                },
            ]);
            row
        })
        .collect();
    let mut header = vec!["figure".to_owned(), labels.this.to_owned()];
    header.extend(labels.compare.map(str::to_owned));
    header.extend(["target".to_owned(), "CDK sample".to_owned(), String::new()]);
    let columns = header.len();
    let widths: Vec<usize> = (0..columns)
        .map(|c| std::iter::once(&header).chain(&rows).map(|r| r[c].chars().count()).max().unwrap_or(0))
        .collect();
    // Figures align right, everything else left.
    let numeric = |c: usize| c == 1 || (with_compare && c == 2);
    let mut out = format!(
        "bedrock-streamer benchmark: {} ({} cores), Linux {}, load average {} at start, {} at end\n\n",
        machine.cpu, machine.cores, machine.kernel, machine.load_at_start, machine.load_at_end
    );
    for row in std::iter::once(&header).chain(&rows) {
        let cells: Vec<String> = row
            .iter()
            .enumerate()
            .map(|(c, cell)| {
                let pad = widths[c].saturating_sub(cell.chars().count());
                if numeric(c) { format!("{}{cell}", " ".repeat(pad)) } else { format!("{cell}{}", " ".repeat(pad)) }
            })
            .collect();
        out.push_str(cells.join("  ").trim_end());
        out.push('\n');
    }
    out
}

fn amount(value: f64, unit: &str) -> String {
    match unit {
        "ms" if value < 10.0 => format!("{value:.2} ms"),
        "ms" => format!("{value:.1} ms"),
        "events/s" => format!("{value:.0} events/s"),
        _ => format!("{value:.2} {unit}"),
    }
}

fn distribution(durations: &[Duration]) -> Result<Distribution, String> {
    Distribution::new(durations.iter().map(|d| d.as_secs_f64() * 1e3).collect())
        .ok_or_else(|| "a phase produced no samples".to_owned())
}

/// Decimal megabytes, as the targets and download sizes are stated.
fn megabytes(bytes: u64) -> f64 {
    bytes as f64 / 1e6
}

fn load() -> String {
    read_trimmed("/proc/loadavg").split_whitespace().take(3).collect::<Vec<_>>().join(" ")
}

fn read_trimmed(path: &str) -> String {
    std::fs::read_to_string(path).map_or_else(|_| "unknown".to_owned(), |s| s.trim().to_owned())
}
