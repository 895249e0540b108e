//! Syscall records to CamFlow relations, by relation class (see
//! `capture::ebpf::syscalls`). Data moving in is `X → task` plus `memory_write`
//! (task → process_memory); data moving out is `memory_read` (process_memory → task) plus
//! `task → X`; sockets' addresses and unix peers are in `sockets`. Calls CamFlow misses
//! (dup, pipe, symlink, mknod) are recorded too.

use super::Builder;
use super::element::{Section, quote_str};
use super::objects::ObjRef;
use crate::capture::ebpf::event::{Actor, FdObject, InodeKind, SyscallEvent};
use crate::capture::ebpf::probe::kernel_dev;
use crate::capture::ebpf::syscalls::{Class, by_nr};
use std::os::unix::fs::MetadataExt;

const O_CREAT: u64 = 0o100;
const PROT_WRITE: u64 = 2;
const MAP_SHARED: u64 = 1;

/// A file descriptor argument as the kernel reads it: an `int`, so only the register's
/// low 32 bits count (a caller may leave the upper half zero, making AT_FDCWD
/// 0xffffff9c rather than -100).
fn fd_arg(register: u64) -> i64 {
    i64::from(register as u32 as i32)
}

pub(super) fn handle(b: &mut Builder, e: &SyscallEvent) {
    let Some(spec) = by_nr(e.nr) else {
        b.stats.ignored += 1;
        return;
    };
    let actor = &e.actor;
    let task = b.task(actor);
    b.task_id = b.obj(task).id;
    let obj0 = &e.objects[0];
    for (i, object) in e.objects.iter().enumerate() {
        if e.object_path[i] {
            b.name_if_unnamed(object, e.strings[i].as_deref().unwrap_or_default());
        }
    }
    // A path the kernel side read for an object is no argument of the call.
    let arg = |i: usize| -> &[u8] {
        if e.object_path[i] {
            &[]
        } else {
            e.strings[i].as_deref().unwrap_or_default()
        }
    };
    let (str0, str1) = (arg(0), arg(1));
    // The directory fd of an `*at` call, resolved by the kernel side.
    let dir = Some(&e.objects[1]);
    match spec.class {
        Class::Read | Class::Receive if e.ret > 0 => {
            let kind = match (obj0.kind(), spec.name) {
                (_, "recvmsg" | "recvmmsg") => "receive_msg",
                (InodeKind::Socket, _) | (_, "recvfrom") => "receive",
                _ => "read",
            };
            let o = b.fd_object(obj0);
            b.unix_received(o, obj0);
            b.flow_in(actor, task, o, kind);
        }
        Class::Write | Class::Send if e.ret > 0 => {
            let kind = match (obj0.kind(), spec.name) {
                (_, "sendmsg" | "sendmmsg") => "send_msg",
                (InodeKind::Socket, _) | (_, "sendto") => "send",
                _ => "write",
            };
            let o = b.fd_object(obj0);
            if spec.name == "sendto" {
                b.address_of(actor.tgid, o, str1, obj0, false);
            }
            b.flow_out(actor, task, o, kind);
            b.unix_sent(o, obj0);
        }
        Class::Read | Class::Write | Class::Receive | Class::Send => b.stats.ignored += 1,
        Class::Open => {
            let o = b.fd_object(obj0);
            let dirfd = (spec.name.starts_with("openat")).then_some(fd_arg(e.args[0]));
            let path = b.resolve(actor.tgid, dirfd, dir, str0);
            let flags = if spec.name == "open" || spec.name == "openat" {
                e.args[if spec.name == "open" { 1 } else { 2 }]
            } else {
                0
            };
            let created = spec.name == "creat"
                || (flags & O_CREAT != 0 && b.obj(o).version == 0 && !b.named.contains_key(&path));
            if created {
                b.relate(Section::WasGeneratedBy, "inode_create", task, o);
            }
            b.name(o, &path);
            b.relate(Section::Used, "open", o, task);
        }
        Class::Connect | Class::Bind => {
            let o = b.fd_object(obj0);
            b.address_of(actor.tgid, o, str1, obj0, spec.class == Class::Bind);
            b.relate(Section::WasGeneratedBy, spec.name, task, o);
        }
        Class::Listen => {
            let o = b.fd_object(obj0);
            b.relate(Section::WasGeneratedBy, "listen", task, o);
        }
        Class::Accept => {
            let listening = b.fd_object(obj0);
            let new = b.fd_object(&e.objects[1]);
            b.relate(Section::WasDerivedFrom, "accept_socket", listening, new);
            // The peer's inet address; for a unix socket, the listening socket's name the
            // kernel side read (the peer is usually unnamed).
            b.address_of(actor.tgid, new, str0, &e.objects[1], false);
            b.relate(Section::Used, "accept", new, task);
        }
        Class::Socket => {
            if spec.name == "socketpair" {
                for o in &e.objects {
                    if o.ino != 0 {
                        let s = b.fd_object(o);
                        b.relate(Section::WasGeneratedBy, "socket_pair_create", task, s);
                    }
                }
            } else {
                let o = b.fd_object(obj0);
                b.relate(Section::WasGeneratedBy, "socket_create", task, o);
            }
        }
        Class::Pipe => {
            let mut seen = Vec::new();
            for o in &e.objects {
                if o.ino != 0 && !seen.contains(&o.ino) {
                    seen.push(o.ino);
                    let p = b.fd_object(o);
                    b.relate(Section::WasGeneratedBy, "inode_create", task, p);
                }
            }
        }
        Class::Dup => {
            let o = b.fd_object(obj0);
            b.relate(Section::Used, "dup", o, task);
        }
        Class::Unlink => {
            let dirfd = (spec.name == "unlinkat").then_some(fd_arg(e.args[0]));
            let path = b.resolve(actor.tgid, dirfd, dir, str0);
            let o = match b.named.remove(&path) {
                Some(o) => o,
                None => b.path_obj(&path),
            };
            b.relate(Section::WasGeneratedBy, "unlink", task, o);
        }
        Class::Rename | Class::Link => {
            let at = spec.name.ends_with("at") || spec.name == "renameat2";
            let old = b.resolve(actor.tgid, at.then_some(fd_arg(e.args[0])), dir, str0);
            let new = b.resolve(actor.tgid, at.then_some(fd_arg(e.args[2])), None, str1);
            let known = if spec.class == Class::Rename {
                b.named.remove(&old)
            } else {
                b.named.get(&old).copied()
            };
            let Some(o) = known.or_else(|| b.stat_object(&new)) else {
                b.stats.ignored += 1;
                return;
            };
            let kind = if spec.class == Class::Rename {
                "rename"
            } else {
                "link"
            };
            b.relate(Section::WasGeneratedBy, kind, task, o);
            b.name(o, &new);
        }
        Class::Symlink => {
            let dirfd = (spec.name == "symlinkat").then_some(fd_arg(e.args[1]));
            let link = b.resolve(actor.tgid, dirfd, dir, str1);
            if let Some(o) = b.stat_object(&link) {
                b.relate(Section::WasGeneratedBy, "symlink", task, o);
                b.name(o, &link);
            }
        }
        Class::Create => {
            let dirfd = spec.name.ends_with("at").then_some(fd_arg(e.args[0]));
            let path = b.resolve(actor.tgid, dirfd, dir, str0);
            if let Some(o) = b.stat_object(&path) {
                b.relate(Section::WasGeneratedBy, "inode_create", task, o);
                b.name(o, &path);
            }
        }
        Class::Setattr => {
            let o = if obj0.ino != 0 {
                Some(b.fd_object(obj0))
            } else {
                let dirfd = spec.name.ends_with("at").then_some(fd_arg(e.args[0]));
                let path = b.resolve(actor.tgid, dirfd, dir, str0);
                b.stat_object(&path)
            };
            if let Some(o) = o {
                b.setattr(actor, task, o, spec.name, &e.args);
            }
        }
        Class::Setid => {
            let memory = b.memory_of(actor);
            b.relate(Section::Used, "memory_read", memory, task);
            let m = b.obj_mut(memory);
            m.set_attr("cf:uid", actor.uid.to_string());
            m.set_attr("cf:gid", actor.gid.to_string());
            let kind = if spec.name.contains("gid") {
                "setgid"
            } else {
                "setuid"
            };
            // The new credentials are a new version of the process memory.
            if !b.obj(memory).has_outgoing {
                b.obj_mut(memory).has_outgoing = true;
            }
            b.relate(Section::WasGeneratedBy, kind, task, memory);
        }
        Class::Mmap => {
            let o = b.fd_object(obj0);
            if e.args[2] & PROT_WRITE != 0 && e.args[3] & MAP_SHARED != 0 {
                b.flow_out(actor, task, o, "mmap_write");
            } else {
                b.flow_in(actor, task, o, "mmap");
            }
        }
        Class::Transfer if e.ret > 0 => {
            let src = b.fd_object(obj0);
            let dst = b.fd_object(&e.objects[1]);
            b.unix_received(src, obj0);
            b.flow_in(actor, task, src, "read");
            b.flow_out(actor, task, dst, "write");
            b.unix_sent(dst, &e.objects[1]);
        }
        Class::Transfer => b.stats.ignored += 1,
        // No syscall is of this class (packets come as their own records).
        Class::Packet => b.stats.ignored += 1,
        Class::Chdir => {
            let dir = if spec.name == "fchdir" {
                std::fs::read_link(format!("/proc/{}/fd/{}", actor.tgid, fd_arg(e.args[0])))
                    .ok()
                    .map(|p| p.into_os_string().into_encoded_bytes())
            } else {
                Some(b.resolve(actor.tgid, None, None, str0))
            };
            if let Some(dir) = dir {
                b.set_cwd(actor.tgid, dir);
            }
        }
    }
}

impl Builder {
    /// Names an object that came by fd with the path the kernel side read for it, unless
    /// it already has a name (an open the capture recorded named it).
    fn name_if_unnamed(&mut self, o: &FdObject, path: &[u8]) {
        if o.ino == 0 || !path.starts_with(b"/") {
            return;
        }
        let r = self.fd_object(o);
        if !self.path_of.contains_key(&r) {
            self.name(r, path);
        }
    }

    fn fd_object(&mut self, o: &FdObject) -> ObjRef {
        self.inode(o.dev, o.ino, o.mode)
    }

    /// The inode a path names now (lstat), for calls whose record has no fd.
    pub(super) fn stat_object(&mut self, path: &[u8]) -> Option<ObjRef> {
        // A name seen before is surer than a stat now (the file may be renamed since).
        if let Some(&o) = self.named.get(path) {
            return Some(o);
        }
        let p = std::path::Path::new(std::ffi::OsStr::from_bytes(path));
        let md = std::fs::symlink_metadata(p).ok()?;
        let mode = u16::try_from(md.mode() & 0xffff).unwrap_or(0);
        Some(self.inode(kernel_dev(md.dev()), md.ino(), mode))
    }

    fn flow_in(&mut self, actor: &Actor, task: ObjRef, from: ObjRef, kind: &'static str) {
        let memory = self.memory_of(actor);
        self.relate(Section::Used, kind, from, task);
        self.relate(Section::WasGeneratedBy, "memory_write", task, memory);
    }

    fn flow_out(&mut self, actor: &Actor, task: ObjRef, to: ObjRef, kind: &'static str) {
        let memory = self.memory_of(actor);
        self.relate(Section::Used, "memory_read", memory, task);
        self.relate(Section::WasGeneratedBy, kind, task, to);
    }

    fn setattr(&mut self, actor: &Actor, task: ObjRef, inode: ObjRef, call: &str, args: &[u64; 6]) {
        let memory = self.memory_of(actor);
        self.relate(Section::Used, "memory_read", memory, task);
        let mut attrs = Vec::new();
        match call {
            "chmod" | "fchmod" => attrs.push(("cf:mode", quote_str(&format!("{:#x}", args[1])))),
            "fchmodat" | "fchmodat2" => {
                attrs.push(("cf:mode", quote_str(&format!("{:#x}", args[2]))))
            }
            "chown" | "fchown" | "lchown" => {
                attrs.push(("cf:uid", (args[1] as u32).to_string()));
                attrs.push(("cf:gid", (args[2] as u32).to_string()));
            }
            "fchownat" => {
                attrs.push(("cf:uid", (args[2] as u32).to_string()));
                attrs.push(("cf:gid", (args[3] as u32).to_string()));
            }
            _ => attrs.push(("cf:size", quote_str(&args[1].to_string()))),
        }
        self.next_node_id += 1;
        let id = self.next_node_id;
        let iattr = self.new_obj(
            "iattr",
            attrs,
            Some(format!("[iattr] {id}")),
            true,
            Some(id),
        );
        self.relate(Section::WasGeneratedBy, "setattr", task, iattr);
        self.relate(Section::WasDerivedFrom, "setattr_inode", iattr, inode);
    }
}

use std::os::unix::ffi::OsStrExt;
