//! The command line (DESIGN §7): clap definitions and the dispatch to commands. Exit
//! status: 0 success, 2 bad input (unreadable file, no provenance, bad arguments),
//! 1 anything else (for instance a failed write).

use crate::app::commands;
use clap::{Parser, Subcommand, ValueEnum};
use std::process::ExitCode;

/// Whole-system provenance in CamFlow's model, explored from the terminal.
#[derive(Debug, Parser)]
#[command(name = "provscope", version, about, long_about = None)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Explore the bundled demo trace (an incident recorded in CamFlow's W3C layout).
    Demo,
    /// Explore traces in the terminal UI ('-' reads the trace from stdin, keys from the
    /// terminal).
    Open {
        /// Trace files (W3C PROV-JSON or SPADE JSON, plain/gzip/zstd); '-' is stdin.
        #[arg(required = true)]
        traces: Vec<String>,
    },
    /// Explore a live stream in the terminal UI: a growing file (followed through
    /// truncation and rotation), fifo:PATH, unix:PATH (camflowd's unix output),
    /// daemon:PATH (a `capture --serve` daemon), relay:DIR (a CamFlow kernel's relay
    /// channels), or '-' (stdin; keys from the terminal).
    Attach {
        /// The source: a file path, fifo:PATH, unix:PATH, daemon:PATH, relay:DIR or '-'.
        source: String,
    },
    /// Capture this machine (root) and explore it live in the terminal UI.
    Live {
        /// Also save everything captured to this file (W3C, camflowd's layout).
        #[arg(long, value_name = "F")]
        save: Option<String>,
        /// Start with this capture policy (camflow.ini); F4 changes it while it runs.
        #[arg(long, value_name = "F")]
        policy: Option<String>,
        /// Also record each exec's environment (envp entities); off by default because
        /// an environment holds secrets.
        #[arg(long)]
        env: bool,
    },
    /// Count a trace's elements by type, dangling edges and skipped lines.
    Stats {
        /// Trace files (W3C PROV-JSON or SPADE JSON, plain/gzip/zstd); '-' is stdin.
        #[arg(required = true)]
        traces: Vec<String>,
        /// Print the counts as one JSON object (a stable contract, see README).
        #[arg(long)]
        json: bool,
    },
    /// Rewrite a trace in CamFlow's W3C or SPADE layout.
    Convert {
        /// Trace file; '-' is stdin.
        trace: String,
        /// Output format.
        #[arg(long, value_enum)]
        to: OutputFormat,
        /// Output file; '-' is stdout.
        #[arg(short, long)]
        output: String,
    },
    /// Where the selected elements' information came from (backward) or went to
    /// (forward), through versions; budgets say where they cut the walk.
    Lineage {
        /// Trace files; '-' is stdin.
        #[arg(required = true)]
        traces: Vec<String>,
        /// Start: path:/etc/passwd, pid:1234, name:wget or id:<base64>.
        #[arg(long)]
        from: String,
        /// Where it came from (the default).
        #[arg(long, conflicts_with = "forward")]
        backward: bool,
        /// Where it went.
        #[arg(long)]
        forward: bool,
        /// At most this many steps.
        #[arg(long)]
        depth: Option<usize>,
        /// At most this many elements.
        #[arg(long)]
        max_nodes: Option<usize>,
        /// Print the JSON contract (see README).
        #[arg(long, conflicts_with = "dot")]
        json: bool,
        /// Print Graphviz DOT.
        #[arg(long)]
        dot: bool,
    },
    /// The shortest information-flow paths from one element to another.
    Path {
        /// Trace files; '-' is stdin.
        #[arg(required = true)]
        traces: Vec<String>,
        /// Where the information starts (a selector).
        #[arg(long)]
        from: String,
        /// Where it should arrive (a selector).
        #[arg(long)]
        to: String,
        /// At most this many steps.
        #[arg(long)]
        depth: Option<usize>,
        /// Print one JSON object.
        #[arg(long)]
        json: bool,
    },
    /// What-if on a recording: what a capture policy (camflow.ini) would have kept and
    /// dropped, per filter, and which lineage of a selection it cuts.
    Simulate {
        /// Trace files; '-' is stdin.
        #[arg(required = true)]
        traces: Vec<String>,
        /// The policy, in camflow.ini syntax.
        #[arg(long, value_name = "F")]
        policy: String,
        /// Compare this selection's lineage with and without the policy.
        #[arg(long)]
        from: Option<String>,
        /// Lineage hops compared.
        #[arg(long, default_value_t = commands::simulate::DEFAULT_DEPTH)]
        depth: usize,
        /// Print one JSON object (a contract, see README).
        #[arg(long)]
        json: bool,
    },
    /// Capture this machine's provenance with eBPF (root, or CAP_BPF + CAP_PERFMON), in
    /// CamFlow's graph model and camflowd's layout.
    Capture {
        /// Output file; '-' is stdout (the default, except with --serve: no file).
        #[arg(short, long)]
        output: Option<String>,
        /// Output format.
        #[arg(long, value_enum, default_value = "w3c")]
        format: OutputFormat,
        /// Stop after this many seconds.
        #[arg(long)]
        duration: Option<f64>,
        /// Only what CMD's process tree does and touches (needs CMD).
        #[arg(long, requires = "command")]
        track: bool,
        /// Capture under this policy (camflow.ini).
        #[arg(long, value_name = "F")]
        policy: Option<String>,
        /// Also record each exec's environment (envp entities); off by default because
        /// an environment holds secrets.
        #[arg(long)]
        env: bool,
        /// A command to run; the capture stops when it exits.
        #[arg(last = true)]
        command: Vec<String>,
        /// Keep running as a daemon serving this socket (owner-only): attach to it with
        /// `provscope attach daemon:PATH`, change its filters with `provscope filter PATH`.
        #[arg(long, value_name = "PATH")]
        serve: Option<std::path::PathBuf>,
    },
    /// Change the filters of a capture daemon (`capture --serve PATH`) and print its
    /// policy as camflow.ini; with no change, only print it.
    Filter {
        /// The daemon's socket.
        socket: std::path::PathBuf,
        /// Turn this filter on (camflow.ini words: relation_filter=read,
        /// "file opaque=/usr/bin/bash"); repeatable.
        #[arg(long, value_name = "FILTER")]
        on: Vec<String>,
        /// Turn this filter off; repeatable.
        #[arg(long, value_name = "FILTER")]
        off: Vec<String>,
        /// Put this whole policy (camflow.ini) in place, then apply --on/--off.
        #[arg(long, value_name = "F")]
        policy: Option<String>,
    },
    /// Measure provscope (see README: Benchmarks).
    Bench {
        /// Which benchmark.
        #[command(subcommand)]
        which: BenchCommand,
    },
}

/// Formats `convert` writes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum OutputFormat {
    /// W3C PROV-JSON, one document per line, as camflowd writes it.
    W3c,
    /// SPADE JSON, one element per line, as camflowd writes it.
    Spade,
    /// Graphviz DOT (convert only).
    Dot,
}

/// Benchmarks.
#[derive(Debug, Subcommand)]
pub enum BenchCommand {
    /// Load speed and memory: provscope's reader into the graph beside a bare serde_json
    /// parse of the same bytes.
    Load {
        /// Trace file (plain text; it is read into memory first).
        trace: String,
        /// Print one JSON object instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Key-to-frame latency of the terminal UI (move, search keystroke, follow) on a
    /// loaded trace, drawn on an 80x24 test backend.
    Ui {
        /// Trace file.
        trace: String,
    },
    /// Lineage and flow-path latency at depth 5 and 10 from 200 starting points, and
    /// the memory of the loaded graph.
    Lineage {
        /// Trace file.
        trace: String,
    },
    /// Live ingest: records/s a live session takes from a source faster than it, and
    /// the time of each update (to compare with one 16 ms frame).
    Live {
        /// Trace file, replayed as a fast live stream.
        #[arg(required_unless_present = "capture")]
        trace: Option<String>,
        /// Instead of a trace: this machine's real capture (root) for this many seconds,
        /// with a built-in workload of file-copy loops.
        #[arg(long, value_name = "SECONDS", conflicts_with = "trace")]
        capture: Option<u64>,
        /// With --capture: how many file-copy loops run as the workload.
        #[arg(long, default_value_t = 2, requires = "capture")]
        loops: usize,
    },
    /// Generate a large trace from a real sample by repeating it with rewritten
    /// identifiers, so that every copy's elements stay distinct.
    GenTrace {
        /// The sample to repeat.
        #[arg(long)]
        from: String,
        /// Target size, e.g. 200M or 1G.
        #[arg(long)]
        size: String,
        /// Output file.
        #[arg(short, long)]
        output: String,
    },
    /// LMbench-style overhead of the capture (root): null I/O, stat, open/close, fork,
    /// exec, sh, file create/delete with no probe, with the whole pipeline recording, and
    /// with the probe attached but the measured process filtered out; beside CamFlow's
    /// published overhead; and the events/s the pipeline sustains into a file.
    Overhead {
        /// Operations per timed batch of the null I/O rows (costlier rows run
        /// proportionally fewer).
        #[arg(long, default_value_t = 50_000, value_parser = clap::value_parser!(u64).range(1..))]
        iterations: u64,
        /// Rounds: in each, every workload runs 5 turns of one batch per mode.
        #[arg(long, default_value_t = 10, value_parser = clap::value_parser!(u32).range(1..))]
        rounds: u32,
        /// Run only these workloads (comma separated), for a quick look at a few rows.
        #[arg(long, value_delimiter = ',')]
        only: Vec<commands::bench_overhead::Workload>,
        /// Run the loops (the file rows above all) in this directory's file system
        /// instead of a journaled ext4 made for the run on a loop device.
        #[arg(long, value_name = "DIR")]
        dir: Option<std::path::PathBuf>,
        /// Print one JSON object instead of a table.
        #[arg(long)]
        json: bool,
    },
}

/// Parses arguments, runs the command, maps the outcome to an exit status.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Demo => commands::open::run_demo(),
        Command::Open { traces } => commands::open::run(traces),
        Command::Attach { source } => commands::live::attach(&source),
        Command::Live { save, policy, env } => commands::live::live(save, policy, env),
        Command::Stats { traces, json } => commands::stats::run(&traces, json),
        Command::Convert { trace, to, output } => commands::convert::run(&trace, to, &output),
        Command::Lineage {
            traces,
            from,
            backward: _,
            forward,
            depth,
            max_nodes,
            json,
            dot,
        } => commands::lineage::run(
            &traces,
            &from,
            if forward {
                crate::graph::lineage::Way::Forward
            } else {
                crate::graph::lineage::Way::Backward
            },
            crate::graph::lineage::Budget {
                max_depth: depth,
                max_nodes,
            },
            match (json, dot) {
                (true, _) => commands::lineage::Output::Json,
                (_, true) => commands::lineage::Output::Dot,
                _ => commands::lineage::Output::Text,
            },
        ),
        Command::Path {
            traces,
            from,
            to,
            depth,
            json,
        } => commands::flow_path::run(
            &traces,
            &from,
            &to,
            crate::graph::lineage::Budget {
                max_depth: depth,
                max_nodes: None,
            },
            json,
        ),
        Command::Simulate {
            traces,
            policy,
            from,
            depth,
            json,
        } => commands::simulate::run(&traces, &policy, from.as_deref(), depth, json),
        Command::Capture {
            output,
            format,
            duration,
            track,
            policy,
            env,
            command,
            serve,
        } => commands::capture::run(&commands::capture::CaptureOptions {
            output,
            format,
            duration: duration
                .filter(|d| d.is_finite() && *d >= 0.0)
                .map(std::time::Duration::from_secs_f64),
            track,
            policy,
            env,
            command,
            serve,
        }),
        Command::Filter {
            socket,
            on,
            off,
            policy,
        } => commands::filter::run(&socket, &commands::filter::FilterChange { on, off, policy }),
        Command::Bench { which } => match which {
            BenchCommand::Load { trace, json } => commands::bench_load::run(&trace, json),
            BenchCommand::Ui { trace } => commands::bench_ui::run(&trace),
            BenchCommand::Lineage { trace } => commands::bench_lineage::run(&trace),
            BenchCommand::Live {
                trace,
                capture,
                loops,
            } => match (trace, capture) {
                (_, Some(seconds)) => commands::bench_live_capture::run(seconds, loops),
                (Some(trace), None) => commands::bench_live::run(&trace),
                (None, None) => Err(Failure::input(anyhow::anyhow!(
                    "bench live needs a trace, or --capture SECONDS"
                ))),
            },
            BenchCommand::GenTrace { from, size, output } => {
                commands::gen_trace::run(&from, &size, &output)
            }
            BenchCommand::Overhead {
                iterations,
                rounds,
                only,
                dir,
                json,
            } => commands::bench_overhead::run(
                &commands::bench_overhead::Plan {
                    iterations,
                    rounds,
                    only: &only,
                    dir: dir.as_deref(),
                },
                json,
            ),
        },
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!(
                "provscope: {}",
                crate::text::sanitize(&error_chain(&e.error))
            );
            ExitCode::from(e.status)
        }
    }
}

/// The error and its causes, "outer: inner", leaving out a cause whose text the message
/// before it already quotes (our typed errors put their source in their own message).
fn error_chain(error: &anyhow::Error) -> String {
    let mut out = String::new();
    for cause in error.chain() {
        let text = cause.to_string();
        if !out.ends_with(&text) {
            if !out.is_empty() {
                out.push_str(": ");
            }
            out.push_str(&text);
        }
    }
    out
}

/// An error with the exit status it should produce.
#[derive(Debug)]
pub struct Failure {
    /// What went wrong.
    pub error: anyhow::Error,
    /// Process exit status.
    pub status: u8,
}

impl Failure {
    /// Bad input: status 2.
    pub fn input(error: impl Into<anyhow::Error>) -> Failure {
        Failure {
            error: error.into(),
            status: 2,
        }
    }

    /// Anything else: status 1.
    pub fn other(error: impl Into<anyhow::Error>) -> Failure {
        Failure {
            error: error.into(),
            status: 1,
        }
    }
}

/// Result of a command.
pub type CommandResult = Result<(), Failure>;
