//! The policy of a running capture, shared between whoever changes it (the filter panel)
//! and the capture thread that applies it. A change bumps a generation number; the
//! capture thread checks the number between steps (one atomic load) and applies the
//! difference, so a toggle takes effect within one capture step.

use crate::policy::Policy;
use crate::policy::simulate::Tally;
use std::collections::BTreeMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

/// A policy being applied.
#[derive(Debug, Default)]
pub struct PolicyControl {
    policy: Mutex<Policy>,
    generation: AtomicU64,
}

impl PolicyControl {
    /// Starts with `policy`.
    pub fn new(policy: Policy) -> PolicyControl {
        PolicyControl {
            policy: Mutex::new(policy),
            generation: AtomicU64::new(0),
        }
    }

    /// The number of the current policy: it changes with every [`PolicyControl::set`].
    pub fn generation(&self) -> u64 {
        self.generation.load(Ordering::Acquire)
    }

    /// The current policy and its number.
    pub fn get(&self) -> (u64, Policy) {
        let p = self.policy.lock().unwrap_or_else(|e| e.into_inner());
        (self.generation(), p.clone())
    }

    /// Replaces the policy.
    pub fn set(&self, policy: Policy) {
        let mut p = self.policy.lock().unwrap_or_else(|e| e.into_inner());
        *p = policy;
        self.generation.fetch_add(1, Ordering::AcqRel);
    }
}

/// What the filters of a running capture did so far (cumulative).
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct FilterReport {
    /// Elements written (after every filter).
    pub passed: Tally,
    /// Elements dropped in user space, by filter (`relation_filter=read`).
    pub dropped: BTreeMap<String, Tally>,
    /// Parts of the policy this capture cannot apply, said once each.
    pub notes: Vec<String>,
}
