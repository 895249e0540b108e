#!/usr/bin/env python3
"""Independent oracle for provscope's test expectations on CamFlow traces.

This script does NOT share code or logic with the Rust crate. It reads a CamFlow
W3C PROV-JSON or SPADE JSON trace with the Python standard library only and
prints, per input file, one JSON object (sorted keys) with the statistics of
the test contract:

  nodes, edges, node_types, edge_types, dangling_edges, skipped_lines,
  derived_agents, format

How the rules follow the contract:

* Input: a leading UTF-8 BOM is stripped; the text is split on '\\n' and on
  NUL bytes; each non-blank line may hold one JSON value. A line that is not
  JSON, or is JSON but not a W3C document / SPADE element (or an old-style
  SPADE array of them), counts as a skipped line. If some line fails to parse
  and the whole text parses as one JSON value, that value is used as the only
  document instead (skipped_lines = 0).
* W3C document: an object with "prefix" and/or a section key. Node sections:
  activity, entity, agent, message. Relation sections: used, wasGeneratedBy,
  wasInformedBy, wasDerivedFrom, wasAssociatedWith, wasInfluencedBy,
  wasAttributedTo. Each section maps element key -> attribute object.
  JSON objects are read with all duplicate keys kept, so an element written
  twice inside one object is still seen.
* SPADE: an object whose "type" is Entity/Activity/Agent (node: "id",
  "annotations") or a relation type (edge: "from", "to", annotations.id).
* Identifiers: an optional leading "cf:" is stripped from every element key
  and every endpoint reference.
* nodes / edges: numbers of DISTINCT node keys / relation keys. When a key is
  defined more than once, the first definition gives its attributes.
* node type: prov:type / object_type string (minus "cf:"); else a non-numeric
  string cf:type; else "[name]" at the start of prov:label; else a numeric
  cf:type mapped through the table learnt from the same file (numeric cf:type
  seen together with a name from the rules above); else "unknown".
* edge type: prov:type (minus "cf:"), else string cf:type, else prov:label;
  SPADE: annotations.relation_type; else "unknown".
* dangling_edges: distinct edges with an endpoint (the section's two endpoint
  keys; SPADE from/to) that is missing or is not a node key of the file.
* derived_agents: distinct (machine_id, uid) plus distinct (machine_id, gid)
  over nodes of type task or process_memory that carry cf:uid/cf:gid (SPADE:
  uid/gid). machine_id comes from cf:machine_id (number or "cf:N"), else from
  the u32 at byte offset 20 of the base64-decoded 32-byte key.
* format: "w3c", "spade", "mixed" (both seen) or "none" (nothing parsed).

Usage:
  python3 tools/oracle/camflow_counts.py FILE...            # contract stats
  python3 tools/oracle/camflow_counts.py --details FILE...  # + diagnostics
"""

import base64
import json
import struct
import sys
from collections import Counter, OrderedDict, defaultdict

NODE_SECTIONS = ("activity", "entity", "agent", "message")
REL_SECTIONS = OrderedDict([
    ("used", ("prov:entity", "prov:activity")),
    ("wasGeneratedBy", ("prov:activity", "prov:entity")),
    ("wasInformedBy", ("prov:informant", "prov:informed")),
    ("wasDerivedFrom", ("prov:usedEntity", "prov:generatedEntity")),
    ("wasAssociatedWith", ("prov:agent", "prov:activity")),
    ("wasInfluencedBy", ("prov:influencer", "prov:influencee")),
    ("wasAttributedTo", ("prov:entity", "prov:agent")),
])
SPADE_NODE_TYPES = {"Entity", "Activity", "Agent"}
SPADE_EDGE_TYPES = {
    "Used": "used", "WasGeneratedBy": "wasGeneratedBy",
    "WasInformedBy": "wasInformedBy", "WasDerivedFrom": "wasDerivedFrom",
    "WasAssociatedWith": "wasAssociatedWith",
    "WasInfluencedBy": "wasInfluencedBy", "WasAttributedTo": "wasAttributedTo",
}


class PairsDict(dict):
    """dict that also remembers every (key, value) pair, duplicates included."""
    pairs = ()


def _hook(pairs):
    d = PairsDict(pairs)
    d.pairs = list(pairs)
    return d


def loads(text):
    return json.loads(text, object_pairs_hook=_hook)


def items(obj):
    """All (key, value) pairs of a JSON object, duplicates included."""
    if isinstance(obj, PairsDict):
        return obj.pairs
    if isinstance(obj, dict):
        return list(obj.items())
    return []


def strip_cf(s):
    if isinstance(s, str) and s.startswith("cf:"):
        return s[3:]
    return s


def is_numeric(v):
    if isinstance(v, bool):
        return False
    if isinstance(v, (int, float)):
        return True
    if isinstance(v, str):
        try:
            int(v.strip())
            return True
        except ValueError:
            return False
    return False


def is_w3c(v):
    return isinstance(v, dict) and (
        "prefix" in v or any(s in v for s in NODE_SECTIONS)
        or any(s in v for s in REL_SECTIONS))


def is_spade(v):
    return isinstance(v, dict) and (
        v.get("type") in SPADE_NODE_TYPES or v.get("type") in SPADE_EDGE_TYPES)


def decode_key(key):
    """Return (type, id, boot_id, machine_id, version) from a base64 key, or None."""
    try:
        raw = base64.b64decode(key, validate=True)
    except Exception:
        return None
    if len(raw) != 32:
        return None
    return struct.unpack_from("<QQIII", raw, 0)


def as_int(v):
    if isinstance(v, bool):
        return v
    if isinstance(v, int):
        return v
    if isinstance(v, float) and v.is_integer():
        return int(v)
    if isinstance(v, str):
        s = strip_cf(v).strip()
        try:
            return int(s)
        except ValueError:
            return v
    return v


class Trace:
    def __init__(self):
        self.nodes = OrderedDict()     # key -> (attrs, section/kind, flavour)
        self.node_defs = defaultdict(list)  # key -> [json of each definition]
        self.node_secs = defaultdict(set)
        self.edges = OrderedDict()     # key -> (section, snd, rcv, type, attrs)
        self.edge_defs = defaultdict(list)
        self.skipped = 0
        self.w3c_docs = 0
        self.w3c_lines = 0
        self.spade_elems = 0
        self.spade_lines = 0
        self.whole_file = False
        self.lines_total = 0

    # ---- W3C --------------------------------------------------------------
    def add_w3c(self, doc):
        self.w3c_docs += 1
        for sec, body in items(doc):
            if sec in NODE_SECTIONS:
                for k, attrs in items(body):
                    self._add_node(strip_cf(k), attrs if isinstance(attrs, dict) else {},
                                   sec, "w3c")
            elif sec in REL_SECTIONS:
                snd_k, rcv_k = REL_SECTIONS[sec]
                for k, attrs in items(body):
                    a = attrs if isinstance(attrs, dict) else {}
                    snd = a.get(snd_k)
                    rcv = a.get(rcv_k)
                    self._add_edge(strip_cf(k), sec, strip_cf(snd), strip_cf(rcv),
                                   w3c_edge_type(a), a)

    # ---- SPADE ------------------------------------------------------------
    def add_spade(self, obj):
        self.spade_elems += 1
        t = obj.get("type")
        ann = obj.get("annotations")
        ann = ann if isinstance(ann, dict) else {}
        if t in SPADE_NODE_TYPES:
            self._add_node(strip_cf(obj.get("id")), ann, t, "spade")
        else:
            key = ann.get("id")
            if key is None:  # no identifier: fall back to a synthetic key
                key = "<noid>%s|%s|%s|%s" % (t, obj.get("from"), obj.get("to"),
                                            ann.get("relation_type"))
            rt = ann.get("relation_type")
            # SPADE: "from" is the effect (receiver), "to" the cause (sender).
            self._add_edge(strip_cf(key), SPADE_EDGE_TYPES[t],
                           strip_cf(obj.get("to")), strip_cf(obj.get("from")),
                           rt if isinstance(rt, str) else "unknown", ann)

    def _add_node(self, key, attrs, sec, flavour):
        self.node_defs[key].append(json.dumps(attrs, sort_keys=True))
        self.node_secs[key].add(sec)
        if key not in self.nodes:
            self.nodes[key] = (attrs, sec, flavour)

    def _add_edge(self, key, sec, snd, rcv, etype, attrs):
        self.edge_defs[key].append(json.dumps([sec, snd, rcv, attrs], sort_keys=True))
        if key not in self.edges:
            self.edges[key] = (sec, snd, rcv, etype, attrs)

    # ---- one parsed JSON line ---------------------------------------------
    def add_value(self, v):
        """Return True if the value held provenance."""
        if is_w3c(v):
            self.add_w3c(v)
            return "w3c"
        if is_spade(v):
            self.add_spade(v)
            return "spade"
        if isinstance(v, list):
            got = None
            for e in v:
                if is_spade(e):
                    self.add_spade(e)
                    got = "spade"
                elif is_w3c(e):
                    self.add_w3c(e)
                    got = got or "w3c"
            return got
        return None


def w3c_edge_type(a):
    pt = a.get("prov:type")
    if isinstance(pt, str):
        return strip_cf(pt)
    ct = a.get("cf:type")
    if isinstance(ct, str):
        return ct
    lb = a.get("prov:label")
    if isinstance(lb, str):
        return lb
    return "unknown"


def name_without_table(attrs):
    """Node type by the string rules; None if only a numeric cf:type is left."""
    for k in ("prov:type", "object_type"):
        v = attrs.get(k)
        if isinstance(v, str):
            return strip_cf(v)
    ct = attrs.get("cf:type")
    if isinstance(ct, str) and not is_numeric(ct):
        return ct
    lb = attrs.get("prov:label")
    if isinstance(lb, str) and lb.startswith("["):
        end = lb.find("]")
        if end > 1:
            return lb[1:end]
    return None


def parse_file(path):
    raw = open(path, "rb").read()
    text = raw.decode("utf-8", errors="surrogateescape")
    if text.startswith("\ufeff"):
        text = text[1:]
    t = Trace()
    parsed = []   # (kind, value)
    failed = 0
    for line in text.replace("\0", "\n").split("\n"):
        if not line.strip():
            continue
        t.lines_total += 1
        try:
            v = loads(line)
        except ValueError:
            failed += 1
            parsed.append((None, None))
            continue
        parsed.append(("json", v))
    if failed:
        try:
            whole = loads(text.replace("\0", "\n"))
        except ValueError:
            whole = None
        if whole is not None:
            t.whole_file = True
            kind = t.add_value(whole)
            if kind is None:
                t.skipped = t.lines_total
            elif kind == "w3c":
                t.w3c_lines = t.lines_total
            else:
                t.spade_lines = t.lines_total
            return t
    for k, v in parsed:
        if k is None:
            t.skipped += 1
            continue
        kind = t.add_value(v)
        if kind is None:
            t.skipped += 1
        elif kind == "w3c":
            t.w3c_lines += 1
        else:
            t.spade_lines += 1
    return t


def numeric_table(t):
    table = defaultdict(Counter)
    for attrs, _, _ in t.nodes.values():
        ct = attrs.get("cf:type")
        if is_numeric(ct):
            name = name_without_table(attrs)
            if name is not None:
                table[int(ct)][name] += 1
    # keep only unambiguous numbers
    return {n: next(iter(c)) for n, c in table.items() if len(c) == 1}, table


def node_type(attrs, table):
    name = name_without_table(attrs)
    if name is not None:
        return name
    ct = attrs.get("cf:type")
    if is_numeric(ct) and int(ct) in table:
        return table[int(ct)]
    return "unknown"


def machine_id_of(key, attrs):
    mid = attrs.get("cf:machine_id")
    if mid is not None:
        return as_int(mid)
    d = decode_key(key)
    return d[3] if d else None


def stats(t):
    table, _ = numeric_table(t)
    ntypes = Counter()
    users, groups = set(), set()
    for key, (attrs, _, flavour) in t.nodes.items():
        ty = node_type(attrs, table)
        ntypes[ty] += 1
        if ty in ("task", "process_memory"):
            uk, gk = ("cf:uid", "cf:gid") if flavour == "w3c" else ("uid", "gid")
            if uk in attrs or gk in attrs:
                mid = machine_id_of(key, attrs)
                if uk in attrs:
                    users.add((mid, as_int(attrs[uk])))
                if gk in attrs:
                    groups.add((mid, as_int(attrs[gk])))
    etypes = Counter()
    dangling = 0
    for key, (sec, snd, rcv, ety, _) in t.edges.items():
        etypes[ety] += 1
        if snd not in t.nodes or rcv not in t.nodes:
            dangling += 1
    if t.w3c_docs and t.spade_elems:
        fmt = "mixed"
    elif t.w3c_docs:
        fmt = "w3c"
    elif t.spade_elems:
        fmt = "spade"
    else:
        fmt = "none"
    return {
        "nodes": len(t.nodes),
        "edges": len(t.edges),
        "node_types": dict(sorted(ntypes.items())),
        "edge_types": dict(sorted(etypes.items())),
        "dangling_edges": dangling,
        "skipped_lines": t.skipped,
        "derived_agents": len(users) + len(groups),
        "format": fmt,
    }


def details(t):
    """Diagnostics beyond the contract (for humans; not test expectations)."""
    table, raw_table = numeric_table(t)
    dup_nodes = {k: {"copies": len(v), "identical": len(set(v)) == 1,
                     "sections": sorted(t.node_secs[k])}
                 for k, v in t.node_defs.items() if len(v) > 1}
    dup_edges = {k: {"copies": len(v), "identical": len(set(v)) == 1}
                 for k, v in t.edge_defs.items() if len(v) > 1}
    # objects: (type, cf:id, boot_id, machine_id); versions = distinct keys
    objects = defaultdict(list)
    for key, (attrs, _, flavour) in t.nodes.items():
        ty = node_type(attrs, table)
        if flavour == "w3c":
            oid, boot = attrs.get("cf:id"), attrs.get("cf:boot_id")
        else:
            oid = attrs.get("object_id", attrs.get("packet_id"))
            boot = attrs.get("boot_id")
        if oid is None:
            ident = (ty, "key:" + key, None, None)
        else:
            ident = (ty, str(as_int(oid)), as_int(boot),
                     as_int(attrs.get("cf:machine_id")))
        objects[ident].append(key)
    chains = {repr(k): len(v) for k, v in objects.items() if len(v) > 1}
    users, groups = set(), set()
    for key, (attrs, _, flavour) in t.nodes.items():
        if node_type(attrs, table) in ("task", "process_memory"):
            uk, gk = ("cf:uid", "cf:gid") if flavour == "w3c" else ("uid", "gid")
            mid = machine_id_of(key, attrs)
            if uk in attrs:
                users.add((mid, as_int(attrs[uk])))
            if gk in attrs:
                groups.add((mid, as_int(attrs[gk])))
    return {
        "w3c_documents": t.w3c_docs,
        "w3c_lines": t.w3c_lines,
        "spade_elements": t.spade_elems,
        "spade_lines": t.spade_lines,
        "nonblank_lines": t.lines_total,
        "parsed_as_whole_file": t.whole_file,
        "numeric_cf_type_table": {str(n): dict(c) for n, c in sorted(raw_table.items())},
        "duplicate_node_keys": dup_nodes,
        "duplicate_edge_keys": dup_edges,
        "distinct_objects": len(objects),
        "version_chains": len(chains),
        "version_chain_sizes": chains,
        "edges_per_section": dict(sorted(Counter(e[0] for e in t.edges.values()).items())),
        "user_agents": sorted(map(list, users)),
        "group_agents": sorted(map(list, groups)),
    }


def main(argv):
    want_details = "--details" in argv
    files = [a for a in argv if a != "--details"]
    if not files:
        print(__doc__)
        return 2
    for f in files:
        t = parse_file(f)
        out = {"file": f.rsplit("/", 1)[-1], "stats": stats(t)}
        if want_details:
            out["details"] = details(t)
        print(json.dumps(out, sort_keys=True))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
