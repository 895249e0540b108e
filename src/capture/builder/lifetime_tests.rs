//! What the builder keeps over a long capture: processes that come and go (fork, exec
//! with arguments, exit) must not pile up objects, and what it still writes about them
//! (their terminations) must stay whole.

use super::test_events::{actor, exec, host};
use super::*;

/// A shell (pid 100) runs `pid`: fork, exec with two arguments, exit.
fn run_one(b: &mut Builder, pid: u32) {
    let shell = actor(100, 100);
    b.handle(&Event::Fork {
        actor: shell,
        child_tid: pid,
        child_tgid: pid,
    });
    b.handle(&exec(
        actor(pid, pid),
        b"/usr/bin/true",
        b"true\0--version\0",
        b"HOME=/root\0",
    ));
    b.handle(&Event::Exit {
        actor: actor(pid, pid),
        process_ended: true,
    });
}

#[test]
fn processes_that_end_leave_nothing_behind() {
    let mut b = Builder::new(host());
    run_one(&mut b, 1000);
    let after_one = b.live_objects();
    const MORE: u32 = 2000;
    for pid in 1001..1001 + MORE {
        run_one(&mut b, pid);
    }
    assert_eq!(
        b.live_objects(),
        after_one,
        "{MORE} more short-lived processes kept objects"
    );
    assert_eq!(b.stale_refs(), 0);
    let out: Vec<Element> = b.take_output().collect();
    let count = |kind: &str| {
        out.iter()
            .filter(|e| e.text().contains(&format!("\"prov:type\":\"{kind}\"")))
            .count()
    };
    let runs = MORE as usize + 1;
    assert_eq!(count("terminate_proc"), runs);
    assert_eq!(count("terminate_task"), runs);
    assert_eq!(count("arg"), 2 * runs);
    assert_eq!(count("env"), runs);
}
