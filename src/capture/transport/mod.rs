//! Live sources: following growing files, pipes and stdin, and the feed thread that turns
//! what they deliver into batches of records. Never draws.

pub mod capture_feed;
pub mod feed;
pub mod follow;
