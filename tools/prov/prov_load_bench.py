#!/usr/bin/env python3
"""Time the python `prov` package deserializing a CamFlow W3C PROV-JSON Lines file.

Usage: prov_load_bench.py FILE [--runs N]

Every non-blank line (an optional leading UTF-8 BOM is skipped) is parsed with
`prov.model.ProvDocument.deserialize(content=line, format="json")`.
Nested objects: camflowd writes `cf:address` as a nested JSON object, which prov
rejects (a JSON object is read as a typed literal and lacks "$"); see
prov_check.py.  For a fair comparison, such values (objects without "$") are
replaced by their JSON text BEFORE timing; that preparation is timed separately
("prep_seconds") and is not part of "seconds".

Prints one JSON line: tool, bytes (file size), seconds (best of --runs passes
over all lines), mb_per_s (10^6 bytes/s), elements_per_s, elements (records,
i.e. nodes + relations, across all documents), lines; then prep_seconds,
nested_replaced, skipped_invalid_json, runs.  Stdlib + prov only.
"""
import argparse
import json
import os
import sys
import time
import warnings

from prov.model import ProvDocument

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from prov_check import stringify_nested  # noqa: E402


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("file")
    ap.add_argument("--runs", type=int, default=5, help="passes; the fastest is reported")
    args = ap.parse_args()

    raw = open(args.file, "rb").read()
    text = raw.decode("utf-8-sig")
    t0 = time.perf_counter()
    docs, elements, nested, skipped = [], 0, 0, 0
    for line in text.split("\n"):
        if not line.strip():
            continue
        try:
            doc = json.loads(line)
        except ValueError:
            skipped += 1  # not JSON at all: prov_check.py reports it
            continue
        elements += sum(len(v) for k, v in doc.items() if k not in ("prefix", "bundle"))
        n = stringify_nested(doc)
        nested += n
        docs.append(json.dumps(doc) if n else line)
    prep = time.perf_counter() - t0

    warnings.simplefilter("ignore")  # prov_check.py reports warnings; keep them out of timing
    best = None
    for _ in range(max(1, args.runs)):
        records = 0
        t0 = time.perf_counter()
        for d in docs:
            try:
                records += len(ProvDocument.deserialize(content=d, format="json").records)
            except Exception as e:  # noqa: BLE001
                sys.exit(f"prov rejected a document ({type(e).__name__}: {e}); "
                         "run prov_check.py on the file")
        dt = time.perf_counter() - t0
        best = dt if best is None else min(best, dt)
    if records != elements:
        print(f"warning: prov built {records} records, JSON has {elements}", file=sys.stderr)

    print(json.dumps({
        "tool": "python-prov", "bytes": len(raw), "seconds": round(best, 6),
        "mb_per_s": round(len(raw) / 1e6 / best, 3),
        "elements_per_s": round(elements / best, 1), "elements": elements,
        "lines": len(docs), "prep_seconds": round(prep, 6),
        "nested_replaced": nested, "skipped_invalid_json": skipped,
        "runs": max(1, args.runs)}))


if __name__ == "__main__":
    main()
