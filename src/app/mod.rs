//! The application layer: command line, commands, and (in time) the TUI state, actions
//! and effects. The only layer that sees capture, graph and views together.

pub mod cli;
pub mod commands;
