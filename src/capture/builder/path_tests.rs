//! Relative names resolve against the working directory the builder followed, however
//! the caller filled the registers: an `int` fd such as AT_FDCWD may arrive with the
//! upper half of its register zero.

use super::test_events::{actor, exec, host};
use super::*;
use crate::capture::ebpf::event::{Event, FdObject, SyscallEvent};

fn syscall(nr: u32, args: [u64; 6], s0: &[u8], obj: FdObject) -> Event {
    Event::Syscall(SyscallEvent {
        actor: actor(300, 300),
        nr,
        ret: 3,
        args,
        fd_pair: [-1, -1],
        objects: [obj, FdObject::default()],
        strings: [Some(s0.to_vec()), None],
        cut: [false, false],
    })
}

#[test]
fn openat_with_a_zero_extended_at_fdcwd_resolves_against_the_working_directory() {
    let mut b = Builder::new(host());
    b.handle(&exec(actor(300, 300), b"/bin/sh", b"sh\0", b""));
    // chdir("/srv/data"), then openat(AT_FDCWD as a zero-extended int, "x.txt").
    b.handle(&syscall(80, [0; 6], b"/srv/data", FdObject::default()));
    let file = FdObject {
        ino: 99,
        dev: 8,
        mode: 0o100644,
        ..FdObject::default()
    };
    b.handle(&syscall(257, [0xffff_ff9c, 0, 0, 0, 0, 0], b"x.txt", file));
    let out: String = b.take_output().map(|e| e.text()).collect();
    assert!(out.contains("\"cf:pathname\":\"/srv/data/x.txt\""), "{out}");
}
