#!/usr/bin/env python3
"""Independent lineage oracle for the tests: reads a CamFlow W3C trace (JSON lines or one
multi-line document) with the standard library only, and prints, as JSON, the vertices
reached from one identifier walking relations backward or forward, with their depths.

Usage: lineage.py TRACE ID backward|forward [MAX_DEPTH]
Direction rules (information flows): used entity->activity, wasGeneratedBy
activity->entity, wasInformedBy informant->informed, wasDerivedFrom
usedEntity->generatedEntity, wasAssociatedWith agent->activity, wasInfluencedBy
influencer->influencee, wasAttributedTo entity->agent.
"""
import json
import sys
from collections import deque

ENDS = {
    "used": ("prov:entity", "prov:activity"),
    "wasGeneratedBy": ("prov:activity", "prov:entity"),
    "wasInformedBy": ("prov:informant", "prov:informed"),
    "wasDerivedFrom": ("prov:usedEntity", "prov:generatedEntity"),
    "wasAssociatedWith": ("prov:agent", "prov:activity"),
    "wasInfluencedBy": ("prov:influencer", "prov:influencee"),
    "wasAttributedTo": ("prov:entity", "prov:agent"),
}


def strip(i):
    return i[3:] if isinstance(i, str) and i.startswith("cf:") else i


def documents(path):
    text = open(path, encoding="utf-8-sig", errors="replace").read().replace("\0", "\n")
    try:
        yield json.loads(text)
        return
    except ValueError:
        pass
    for line in text.splitlines():
        line = line.strip()
        if line.startswith("{"):
            try:
                yield json.loads(line)
            except ValueError:
                pass


def main():
    path, root, way = sys.argv[1], strip(sys.argv[2]), sys.argv[3]
    max_depth = int(sys.argv[4]) if len(sys.argv) > 4 else None
    edges = {}
    for doc in documents(path):
        for section, (a, b) in ENDS.items():
            for rid, rel in (doc.get(section) or {}).items():
                if a in rel and b in rel:
                    edges[strip(rid)] = (strip(rel[a]), strip(rel[b]))
    nxt = {}
    for rid, (a, b) in edges.items():
        if way == "backward":
            nxt.setdefault(b, []).append(a)
        else:
            nxt.setdefault(a, []).append(b)
    depth = {root: 0}
    queue = deque([root])
    while queue:
        n = queue.popleft()
        if max_depth is not None and depth[n] >= max_depth:
            continue
        for m in nxt.get(n, []):
            if m not in depth:
                depth[m] = depth[n] + 1
                queue.append(m)
    print(json.dumps(depth, sort_keys=True))


if __name__ == "__main__":
    main()
