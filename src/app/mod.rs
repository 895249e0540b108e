//! The application layer: command line and commands, and the TUI's state, actions,
//! keymap, pure update and run loop (the only place that touches the terminal). The only layer that sees capture, graph and views together.

pub mod action;
pub mod cli;
pub mod commands;
pub mod effect;
pub mod filter_panel;
pub mod history;
pub mod keymap;
pub mod lineage_view;
pub mod list_cursor;
pub mod live;
pub mod loader;
pub mod navigator;
pub mod path_view;
pub mod prompt;
pub mod relations;
pub mod run;
pub mod search;
pub mod state;
pub mod summary;
pub mod time_travel;
pub mod tree;
pub mod update;
pub mod update_export;
pub mod update_filters;
pub mod update_lineage;
pub mod update_live;
pub mod update_navigator;
pub mod update_path;
pub mod update_time;
pub mod update_time_screens;
