//! Live sources: following growing files, pipes and stdin, camflowd's unix socket, the
//! capture daemon's socket (both ends), and the feed thread that turns
//! what they deliver into batches of records. Never draws.

pub mod capture_feed;
pub mod daemon;
pub mod datagram;
pub mod feed;
pub mod follow;
