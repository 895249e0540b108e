//! Which CPUs the benchmark's two sides run on. The worker (and every child it forks)
//! keeps to one CPU and the capture to the others: a fork's child then runs where its
//! parent waits instead of waking an idle CPU, which on this VM halved a fork's cost and
//! took its batch-to-batch spread from ±40% to ±10%; and the capture's work stays off the
//! measured CPU, as it would on any machine with a core to spare. With one CPU, nothing
//! is pinned.

/// A set of CPUs below 64 (CPUs beyond are left out of the plan, never used wrongly).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CpuMask(pub u64);

impl CpuMask {
    fn cpus(self) -> impl Iterator<Item = usize> {
        (0..64).filter(move |c| self.0 & (1 << c) != 0)
    }

    /// "0", "0-3", "0,2,5".
    pub fn describe(self) -> String {
        let cpus: Vec<usize> = self.cpus().collect();
        match (cpus.first(), cpus.last()) {
            (Some(first), Some(last)) if last - first + 1 == cpus.len() && first != last => {
                format!("{first}-{last}")
            }
            _ => cpus
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join(","),
        }
    }

    /// Restricts the calling thread to these CPUs (its children inherit it).
    pub fn pin_current_thread(self) -> std::io::Result<()> {
        // SAFETY: cpu_set_t is plain data; CPU_SET writes inside it for CPUs below 64,
        // far below CPU_SETSIZE.
        let mut set: libc::cpu_set_t = unsafe { std::mem::zeroed() };
        for cpu in self.cpus() {
            // SAFETY: as above.
            unsafe { libc::CPU_SET(cpu, &mut set) };
        }
        // SAFETY: pid 0 is the calling thread; the set is valid for its size.
        if unsafe { libc::sched_setaffinity(0, std::mem::size_of_val(&set), &set) } != 0 {
            return Err(std::io::Error::last_os_error());
        }
        Ok(())
    }
}

/// The CPUs this process may run on (below 64).
fn allowed() -> CpuMask {
    // SAFETY: plain data, filled by sched_getaffinity.
    let mut set: libc::cpu_set_t = unsafe { std::mem::zeroed() };
    // SAFETY: pid 0 is the calling thread; the set is valid for its size.
    if unsafe { libc::sched_getaffinity(0, std::mem::size_of_val(&set), &mut set) } != 0 {
        return CpuMask::default();
    }
    // SAFETY: CPU_ISSET reads inside the set for CPUs below 64.
    CpuMask((0..64).fold(0, |m, c| {
        if unsafe { libc::CPU_ISSET(c, &set) } {
            m | 1 << c
        } else {
            m
        }
    }))
}

/// Where each side runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Pinning {
    /// The worker's CPU.
    pub worker: CpuMask,
    /// The capture's CPUs.
    pub capture: CpuMask,
}

impl Pinning {
    /// The worker on the highest allowed CPU, the capture on the rest; None with fewer
    /// than two CPUs.
    pub fn plan() -> Option<Pinning> {
        Pinning::split(allowed())
    }

    fn split(allowed: CpuMask) -> Option<Pinning> {
        if allowed.0.count_ones() < 2 {
            return None;
        }
        let worker = 1u64 << (63 - allowed.0.leading_zeros());
        Some(Pinning {
            worker: CpuMask(worker),
            capture: CpuMask(allowed.0 & !worker),
        })
    }

    /// For the report: "worker on CPU 1, capture on CPU 0".
    pub fn describe(plan: Option<Pinning>) -> String {
        plan.map_or_else(
            || String::from("nothing pinned (one CPU)"),
            |p| {
                format!(
                    "worker on CPU {}, capture on CPU {}",
                    p.worker.describe(),
                    p.capture.describe()
                )
            },
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_worker_takes_the_highest_cpu_and_the_capture_the_rest() {
        let p = Pinning::split(CpuMask(0b1011)).unwrap();
        assert_eq!(p.worker, CpuMask(0b1000));
        assert_eq!(p.capture, CpuMask(0b0011));
        assert_eq!(
            Pinning::describe(Some(p)),
            "worker on CPU 3, capture on CPU 0-1"
        );
        assert_eq!(Pinning::split(CpuMask(0b100)), None);
        assert_eq!(Pinning::describe(None), "nothing pinned (one CPU)");
        assert_eq!(CpuMask(0b100101).describe(), "0,2,5");
    }

    #[test]
    fn this_process_may_run_somewhere() {
        assert!(allowed().0 != 0);
    }
}
