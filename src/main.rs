//! The `provscope` command: parses the command line and runs the chosen command.

fn main() -> std::process::ExitCode {
    provscope::app::cli::main()
}
