//! Tasks and processes in the builder: a task (activity) per thread and a
//! process_memory per process, made on first sight, cloned on fork (`clone`, and
//! `clone_mem` for a new process), a new process_memory on exec (with the program, its
//! path, its argv and, when the capture asked for it, its envp), and terminate_task /
//! terminate_proc on exit, after which the builder forgets them.

use super::element::{self, Section};
use super::name_bytes;
use super::objects::ObjRef;
use super::{Builder, Process, Task};
use crate::capture::ebpf::event::{Actor, ExecEvent};

impl Builder {
    /// The task object of a thread, made (with its process) on first sight.
    pub(super) fn task(&mut self, actor: &Actor) -> ObjRef {
        if let Some(t) = self.tasks.get(&actor.tid) {
            return t.obj;
        }
        self.task_id = 0;
        let memory = self.process(actor.tgid, actor);
        let task = self.new_task(actor.tid);
        self.relate(Section::Used, "memory_read", memory, task);
        self.tasks.insert(
            actor.tid,
            Task {
                obj: task,
                tgid: actor.tgid,
            },
        );
        task
    }

    pub(super) fn new_task(&mut self, tid: u32) -> ObjRef {
        let attrs = vec![("cf:pid", tid.to_string()), ("cf:vpid", tid.to_string())];
        let task = self.new_obj("task", attrs, None, false, None);
        self.relate(Section::WasAssociatedWith, "ran_on", self.machine, task);
        task
    }

    pub(super) fn new_memory(&mut self, tgid: u32, uid: u32, gid: u32) -> ObjRef {
        let attrs = vec![
            ("cf:uid", uid.to_string()),
            ("cf:gid", gid.to_string()),
            ("cf:tgid", tgid.to_string()),
        ];
        self.new_obj("process_memory", attrs, None, false, None)
    }

    /// The process_memory of a process; a process already running when the capture
    /// started is named from /proc (its executable and argv), once.
    pub(super) fn process(&mut self, tgid: u32, actor: &Actor) -> ObjRef {
        if let Some(p) = self.procs.get(&tgid) {
            return p.memory;
        }
        let memory = self.new_memory(tgid, actor.uid, actor.gid);
        if let Ok(exe) = std::fs::read_link(format!("/proc/{tgid}/exe")) {
            let path = self.path_obj(exe.as_os_str().as_encoded_bytes());
            self.relate(Section::WasDerivedFrom, "named", path, memory);
        }
        if let Ok(cmdline) = std::fs::read(format!("/proc/{tgid}/cmdline")) {
            self.args(memory, &cmdline, false);
        }
        let cwd = std::fs::read_link(format!("/proc/{tgid}/cwd"))
            .ok()
            .map(|p| p.into_os_string().into_encoded_bytes());
        self.procs.insert(tgid, Process { memory, cwd });
        memory
    }

    pub(super) fn memory_of(&mut self, actor: &Actor) -> ObjRef {
        self.task(actor);
        self.process(actor.tgid, actor)
    }

    /// argv entities (NUL separated) linked to a process by `arg`.
    pub(super) fn args(&mut self, memory: ObjRef, argv: &[u8], cut: bool) {
        self.exec_strings(Strings::ARGV, memory, argv, cut);
    }

    /// One entity per NUL-separated string of `area` (argv or envp, CamFlow's `cf:value`
    /// and `cf:truncated`), each linked to the process by `what.relation`. Every one: the
    /// kernel side sends at most PS_EXEC_AREA bytes of each area.
    fn exec_strings(&mut self, what: Strings, memory: ObjRef, area: &[u8], cut: bool) {
        let parts: Vec<&[u8]> = area.split(|&b| b == 0).filter(|a| !a.is_empty()).collect();
        let last = parts.len().saturating_sub(1);
        for (i, a) in parts.into_iter().enumerate() {
            let text = name_bytes::escape(a).into_owned();
            let truncated = if cut && i == last { "true" } else { "false" };
            let attrs = vec![
                ("cf:value", element::quote_str(&text)),
                ("cf:truncated", element::quote_str(truncated)),
            ];
            let label = format!("[{}] {text}", what.kind);
            let node = self.new_obj(what.kind, attrs, Some(label), true, None);
            self.relate(Section::WasDerivedFrom, what.relation, node, memory);
            self.forget(node);
        }
    }

    pub(super) fn fork(&mut self, actor: &Actor, child_tid: u32, child_tgid: u32) {
        let parent = self.task(actor);
        self.task_id = self.obj(parent).id;
        if self.tasks.contains_key(&child_tid) {
            return;
        }
        let child = if child_tgid == actor.tgid {
            let memory = self.process(actor.tgid, actor);
            let child = self.new_task(child_tid);
            self.relate(Section::WasInformedBy, "clone", parent, child);
            self.relate(Section::Used, "memory_read", memory, child);
            child
        } else {
            let parent_memory = self.process(actor.tgid, actor);
            self.relate(Section::Used, "memory_read", parent_memory, parent);
            let memory = self.new_memory(child_tgid, actor.uid, actor.gid);
            let cwd = self.procs.get(&actor.tgid).and_then(|p| p.cwd.clone());
            self.procs.insert(child_tgid, Process { memory, cwd });
            self.relate(Section::WasGeneratedBy, "clone_mem", parent, memory);
            let child = self.new_task(child_tid);
            self.relate(Section::WasInformedBy, "clone", parent, child);
            self.relate(Section::Used, "memory_read", memory, child);
            child
        };
        self.tasks.insert(
            child_tid,
            Task {
                obj: child,
                tgid: child_tgid,
            },
        );
    }

    pub(super) fn exec(&mut self, e: &ExecEvent) {
        let (actor, file) = (&e.actor, &e.file);
        let task = self.task(actor);
        self.task_id = self.obj(task).id;
        let path = self.resolve(actor.tgid, None, None, &e.filename);
        let loaded = (file.ino != 0).then(|| self.inode(file.dev, file.ino, file.mode));
        // A script names its own file; the loaded file is then its interpreter.
        let (binary, interpreter) = if e.script {
            (self.stat_object(&path), loaded)
        } else {
            (loaded, None)
        };
        if let Some(binary) = binary {
            self.name(binary, &path);
            self.relate(Section::Used, "open", binary, task);
        }
        let memory = self.new_memory(actor.tgid, actor.uid, actor.gid);
        self.relate(Section::WasGeneratedBy, "exec_task", task, memory);
        if let Some(binary) = binary {
            self.relate(Section::WasDerivedFrom, "exec", binary, memory);
        }
        if let Some(i) = interpreter {
            // The interpreter's code runs too.
            self.relate(Section::WasDerivedFrom, "exec", i, memory);
        }
        let path_obj = self.path_obj(&path);
        self.relate(Section::WasDerivedFrom, "named", path_obj, memory);
        self.args(memory, &e.argv, e.argv_cut);
        // Empty unless the capture was asked for it (`--env`): it holds secrets.
        self.exec_strings(Strings::ENVP, memory, &e.envp, e.envp_cut);
        self.relate(Section::Used, "memory_read", memory, task);
        match self.procs.get_mut(&actor.tgid) {
            Some(p) => {
                // The old image is gone with exec: nothing can flow through it again.
                let old = std::mem::replace(&mut p.memory, memory);
                self.forget(old);
            }
            None => {
                self.procs.insert(actor.tgid, Process { memory, cwd: None });
            }
        }
    }

    pub(super) fn exit(&mut self, actor: &Actor, process_ended: bool) {
        if let Some(t) = self.tasks.remove(&actor.tid) {
            self.task_id = self.obj(t.obj).id;
            self.terminate(t.obj, Section::WasInformedBy, "terminate_task");
            debug_assert_eq!(t.tgid, actor.tgid);
            self.forget(t.obj);
        }
        if process_ended && let Some(p) = self.procs.remove(&actor.tgid) {
            self.terminate(p.memory, Section::WasDerivedFrom, "terminate_proc");
            self.forget(p.memory);
        }
    }

    /// The last version of an ended task or process, linked from the one before by
    /// `kind`. Made whatever the versioning switches say: CamFlow's `record_terminate`
    /// versions outside `__update_version`, and without a new version the relation would
    /// be a loop.
    fn terminate(&mut self, r: ObjRef, section: Section, kind: &'static str) {
        let old = self.obj(r).version;
        let o = self.obj_mut(r);
        o.version += 1;
        let new = o.version;
        self.emit_node(r);
        self.emit_relation(section, kind, (r, old), (r, new));
    }
}

/// The strings exec hands a program: CamFlow's node type and relation for each.
#[derive(Clone, Copy)]
struct Strings {
    kind: &'static str,
    relation: &'static str,
}

impl Strings {
    /// Arguments: `argv` entities, `arg` relations.
    const ARGV: Strings = Strings {
        kind: "argv",
        relation: "arg",
    };
    /// Environment: `envp` entities, `env` relations.
    const ENVP: Strings = Strings {
        kind: "envp",
        relation: "env",
    };
}
