//! Records for the builder's unit tests, as the kernel side would send them: a machine, a
//! task, an exec of a program with its arguments, a syscall on an fd's object, and a
//! TCP packet over loopback.

use super::host::Host;
use crate::capture::ebpf::event::{Actor, Event, ExecEvent, FdObject, SyscallEvent};
use crate::capture::ebpf::packet::{Direction, IpHeader, PacketEvent};

/// A machine with fixed ids and no uname.
pub fn host() -> Host {
    Host {
        machine_id: 7,
        boot_id: 3,
        uname: Vec::new(),
    }
}

/// Thread `tid` of process `tgid`, user and group 1000.
pub fn actor(tgid: u32, tid: u32) -> Actor {
    Actor {
        ts: 1_000_000,
        tgid,
        tid,
        uid: 1000,
        gid: 1000,
        cgroup: 1,
    }
}

/// `actor` execs `filename` (a file with inode 42) with NUL-separated `argv` and `envp`.
pub fn exec(actor: Actor, filename: &[u8], argv: &[u8], envp: &[u8]) -> Event {
    Event::Exec(ExecEvent {
        actor,
        old_tid: actor.tid,
        filename: filename.to_vec(),
        file: FdObject {
            ino: 42,
            dev: 8,
            mode: 0o100755,
            ..FdObject::default()
        },
        script: false,
        argv: argv.to_vec(),
        argv_cut: false,
        envp: envp.to_vec(),
        envp_cut: false,
    })
}

/// Syscall `nr` of thread `tid` (its own process) at kernel time `ts`, on fd object `o`,
/// returning 5.
pub fn call(ts: u64, tid: u32, nr: u32, o: FdObject) -> Event {
    Event::Syscall(SyscallEvent {
        actor: Actor {
            ts,
            tgid: tid,
            tid,
            ..Actor::default()
        },
        nr,
        ret: 5,
        args: [0; 6],
        fd_pair: [0; 2],
        objects: [o, FdObject::default()],
        strings: [None, None],
        cut: [false; 2],
        object_path: [false; 2],
    })
}

/// A TCP packet 127.0.0.1:40000 → 127.0.0.1:8080 of socket `ino` (device 9), seen in
/// task `tid` (its own process), `owner_task` when that task uses the socket.
pub fn packet(ts: u64, tid: u32, ino: u64, direction: Direction, owner_task: bool) -> Event {
    let (saddr, daddr) = IpHeader::ipv4_addresses([127, 0, 0, 1], [127, 0, 0, 1]);
    Event::Packet(PacketEvent {
        ts,
        tgid: tid,
        tid,
        direction,
        owner_task,
        socket: (9, ino),
        socket_mode: 0o140777,
        header: IpHeader {
            version: 4,
            id: [1, 2],
            saddr,
            daddr,
            sport: 40000u16.to_be_bytes(),
            dport: 8080u16.to_be_bytes(),
            protocol: 6,
            ..IpHeader::default()
        },
        content: None,
    })
}
