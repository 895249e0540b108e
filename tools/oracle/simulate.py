#!/usr/bin/env python3
"""Independent what-if oracle for the tests: reads a CamFlow W3C trace with the standard
library only and applies a policy given as JSON, with CamFlow's rules:

- a node of a filtered type is dropped, and every relation touching it;
- a relation of a filtered type is dropped (its own type is checked before its ends);
- an opaque file (by path: the path entities and every version of the objects they
  `named`) is dropped with its relations;
- with all=false, relations are walked in relation cf:id order and kept only when one
  end's object is tracked at that moment; a propagating sender makes the receiver
  tracked and propagating unless the relation type or receiver type is in a propagate
  filter; nodes are kept when tracked or touched by a kept relation.

Each dropped element is charged to one cause, named as provscope names filters.

Usage: simulate.py TRACE POLICY_JSON, where POLICY_JSON has optional keys node_filter,
relation_filter, propagate_node_filter, propagate_relation_filter (lists), opaque,
track, propagate (lists of paths) and all (bool). Prints {"total", "kept", "dropped"
(cause -> elements)} as JSON.
"""
import json
import sys

sys.path.insert(0, __import__("os").path.dirname(__file__))
from lineage import ENDS, documents, strip  # noqa: E402

NODE_SECTIONS = ("entity", "activity", "agent")
NOT_TRACKED = "all=false (not tracked)"


def load(path):
    nodes, edges = {}, {}
    for doc in documents(path):
        for section in NODE_SECTIONS:
            for nid, attrs in (doc.get(section) or {}).items():
                nodes[strip(nid)] = attrs
        for section, (a, b) in ENDS.items():
            for rid, rel in (doc.get(section) or {}).items():
                if a in rel and b in rel:
                    edges[strip(rid)] = (rel, strip(rel[a]), strip(rel[b]))
    return nodes, edges


def kind(attrs):
    return strip(attrs.get("prov:type", ""))


def identity(key, attrs):
    return (kind(attrs), str(attrs.get("cf:id")), str(attrs.get("cf:boot_id")),
            str(attrs.get("cf:machine_id")))


def main():
    nodes, edges = load(sys.argv[1])
    policy = json.loads(sys.argv[2])
    cause = {}

    def drop(key, why):
        cause.setdefault(key, why)

    for t in sorted(policy.get("node_filter", [])):
        for k, attrs in nodes.items():
            if kind(attrs) == t:
                drop(k, "node_filter=" + t)
    for t in sorted(policy.get("relation_filter", [])):
        for k, (rel, _, _) in edges.items():
            if strip(rel.get("prov:type", "")) == t:
                drop(k, "relation_filter=" + t)
    objects = {}
    for k, attrs in nodes.items():
        objects.setdefault(identity(k, attrs), []).append(k)

    def named(path):
        paths = {k for k, a in nodes.items() if a.get("cf:pathname") == path}
        out = set(paths)
        for k, (rel, a, b) in edges.items():
            if a in paths and strip(rel.get("prov:type", "")) == "named" and b in nodes:
                out.update(objects[identity(b, nodes[b])])
        return out

    for p in policy.get("opaque", []):
        for k in named(p):
            drop(k, "file opaque=" + p)
    for k, (rel, a, b) in edges.items():
        for end in (a, b):
            if end in cause:
                drop(k, cause[end])
    if policy.get("all") is False:
        def obj(k):
            return identity(k, nodes[k]) if k in nodes else ("ref", k)
        tracked, propagating = set(), set()
        for setting in ("track", "propagate"):
            for p in policy.get(setting, []):
                for k in named(p):
                    tracked.add(obj(k))
                    if setting == "propagate":
                        propagating.add(obj(k))
        touched = set()
        order = sorted(edges, key=lambda k: int(edges[k][0].get("cf:id", 2**64)))
        for k in order:
            rel, a, b = edges[k]
            if k in cause:
                continue
            if obj(a) not in tracked and obj(b) not in tracked:
                drop(k, NOT_TRACKED)
                continue
            touched.update((a, b))
            receiver_type = kind(nodes[b]) if b in nodes else ""
            if (obj(a) in propagating
                    and strip(rel.get("prov:type", "")) not in policy.get("propagate_relation_filter", [])
                    and receiver_type not in policy.get("propagate_node_filter", [])):
                tracked.add(obj(b))
                propagating.add(obj(b))
        for k in nodes:
            if k not in touched and obj(k) not in tracked:
                drop(k, NOT_TRACKED)
    dropped = {}
    for k in list(nodes) + list(edges):
        if k in cause:
            dropped[cause[k]] = dropped.get(cause[k], 0) + 1
    total = len(nodes) + len(edges)
    print(json.dumps({"total": total, "kept": total - sum(dropped.values()), "dropped": dropped}))


if __name__ == "__main__":
    main()
