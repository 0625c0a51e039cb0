//! The function under test: the release handler binary started the way Lambda starts it (a clean
//! environment with Lambda's variables), and what the kernel knows about its resource use.

use std::fs::{File, OpenOptions};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use tokio::process::{Child, Command};

use runtime_api_standin::RuntimeApi;

/// Where the function runs: its binary, its Runtime API, its Bedrock, and where its logs go.
pub struct Launch<'a> {
    pub binary: &'a Path,
    pub runtime_api: SocketAddr,
    pub bedrock_endpoint: &'a str,
    /// `STREAMER_MAX_TOKENS` and its cap: at least the emulator's story length, so that every
    /// story is told in full.
    pub max_tokens: usize,
    pub log: &'a Path,
}

pub struct Function {
    child: Child,
    pid: u32,
    binary: PathBuf,
    /// Just before the `exec`.
    pub started: Instant,
}

impl Function {
    pub fn spawn(launch: &Launch<'_>) -> Result<Function, String> {
        let log = append(launch.log)?;
        let stderr = log.try_clone().map_err(|e| e.to_string())?;
        let max_tokens = launch.max_tokens.to_string();
        let mut command = Command::new(launch.binary);
        command
            .env_clear()
            .envs([
                ("AWS_LAMBDA_RUNTIME_API", launch.runtime_api.to_string().as_str()),
                ("AWS_LAMBDA_FUNCTION_NAME", "bedrock-streamer"),
                ("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST"),
                ("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "256"),
                ("AWS_REGION", "us-east-1"),
                // Static, fake credentials: the emulator checks that requests are signed, not by whom.
                ("AWS_ACCESS_KEY_ID", "AKIDBEDROCKBENCH"),
                ("AWS_SECRET_ACCESS_KEY", "bedrock-bench-secret"),
                ("AWS_ENDPOINT_URL_BEDROCK_RUNTIME", launch.bedrock_endpoint),
                ("STREAMER_MAX_TOKENS", max_tokens.as_str()),
                ("STREAMER_MAX_TOKENS_CAP", max_tokens.as_str()),
                // A model that does not think first, as the handler's default did until 2026-12-07
                // (Claude 3 Haiku): the first token is the story's, so the figures stay comparable.
                ("STREAMER_MODEL_ID", "us.anthropic.claude-haiku-4-5-20251001-v1:0"),
            ])
            .stdin(Stdio::null())
            .stdout(log)
            .stderr(stderr)
            .kill_on_drop(true);
        let started = Instant::now();
        let child = command.spawn().map_err(|e| format!("cannot start {}: {e}", launch.binary.display()))?;
        let pid = child.id().ok_or("the function exited at once")?;
        Ok(Function { child, pid, binary: launch.binary.to_owned(), started })
    }

    /// The binary this process runs.
    pub fn binary(&self) -> &Path {
        &self.binary
    }

    /// Waits for the function's first `next` poll: the end of its init phase.
    pub async fn ready(&mut self, api: &RuntimeApi, timeout: Duration) -> Result<Instant, String> {
        tokio::select! {
            polled = api.first_poll() => polled,
            exited = self.child.wait() => Err(format!("the function exited during init ({exited:?}); see its log")),
            () = tokio::time::sleep(timeout) => Err(format!("the function did not poll within {timeout:?}")),
        }
    }

    /// On-CPU time (user + system) of all the process's threads so far, from the scheduler's
    /// nanosecond accounting (`/proc/PID/stat` counts in 10 ms ticks: too coarse here). Threads
    /// that have exited are not counted, so take the difference across a span where none do.
    pub fn cpu_time(&self) -> Result<Duration, String> {
        let tasks = format!("/proc/{}/task", self.pid);
        let mut total = 0;
        for task in std::fs::read_dir(&tasks).map_err(|e| format!("{tasks}: {e}"))? {
            let schedstat = task.map_err(|e| e.to_string())?.path().join("schedstat");
            // A thread may exit between listing and reading; it then no longer counts.
            let Ok(line) = std::fs::read_to_string(&schedstat) else {
                continue;
            };
            let on_cpu: u64 = line
                .split_whitespace()
                .next()
                .and_then(|ns| ns.parse().ok())
                .ok_or_else(|| format!("{}: unexpected {line:?}", schedstat.display()))?;
            total += on_cpu;
        }
        Ok(Duration::from_nanos(total))
    }

    /// Peak resident set size in bytes (`VmHWM`): the function's own, whatever the harness uses.
    pub fn peak_rss(&self) -> Result<u64, String> {
        let path = format!("/proc/{}/status", self.pid);
        let status = std::fs::read_to_string(&path).map_err(|e| format!("{path}: {e}"))?;
        status
            .lines()
            .find_map(|line| line.strip_prefix("VmHWM:"))
            .and_then(|kb| kb.trim().strip_suffix("kB"))
            .and_then(|kb| kb.trim().parse::<u64>().ok())
            .map(|kb| kb * 1024)
            .ok_or_else(|| format!("{path}: no VmHWM"))
    }

    pub async fn stop(mut self) -> Result<(), String> {
        // Already exited is fine: then there is nothing to kill.
        let _ = self.child.start_kill();
        self.child.wait().await.map_err(|e| e.to_string())?;
        Ok(())
    }
}

fn append(path: &Path) -> Result<File, String> {
    OpenOptions::new().create(true).append(true).open(path).map_err(|e| format!("{}: {e}", path.display()))
}
