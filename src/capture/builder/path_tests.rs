//! Relative names resolve against the working directory the builder followed, however
//! the caller filled the registers: an `int` fd such as AT_FDCWD may arrive with the
//! upper half of its register zero. A path the kernel side read for an fd's object names
//! it only when nothing else did.

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
        object_path: [false; 2],
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

#[test]
fn a_path_the_kernel_read_for_an_fd_names_the_object_once_and_only_if_unnamed() {
    let mut b = Builder::new(host());
    b.handle(&exec(actor(300, 300), b"/bin/cat", b"cat\0", b""));
    let file = |ino| FdObject {
        ino,
        dev: 8,
        mode: 0o100644,
        ..FdObject::default()
    };
    let write_with_path = |ino, path: &[u8]| match syscall(1, [1, 0, 0, 0, 0, 0], path, file(ino)) {
        Event::Syscall(mut e) => {
            e.object_path = [true, false];
            Event::Syscall(e)
        }
        other => other,
    };
    // An fd the capture never saw opened: named by the kernel side's path.
    b.handle(&write_with_path(50, b"/srv/out.log"));
    // A file the capture saw opened keeps the name of that open.
    b.handle(&syscall(2, [0; 6], b"/srv/in.txt", file(51)));
    b.handle(&write_with_path(51, b"/srv/elsewhere.txt"));
    let out: String = b.take_output().map(|e| e.text()).collect();
    assert!(out.contains("\"cf:pathname\":\"/srv/out.log\""), "{out}");
    assert!(out.contains("\"cf:pathname\":\"/srv/in.txt\""), "{out}");
    assert!(
        !out.contains("elsewhere"),
        "an object with a name is not renamed: {out}"
    );
}
