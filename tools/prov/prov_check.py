#!/usr/bin/env python3
"""Check a CamFlow W3C PROV-JSON Lines file against the reference `prov` package.

Every non-blank line (one PROV-JSON document, as camflowd writes it; an
optional UTF-8 BOM at the start of the file is skipped) is handed to
`prov.model.ProvDocument.deserialize(content=line, format="json")`.

Why nested objects are tolerated: camflowd writes an address node's
`cf:address` as a nested JSON object ({"type":"AF_INET","host":..,"service":..}).
PROV-JSON reads an object-valued attribute as a typed literal, so prov raises
`ProvJSONException: The typed-literal representation for attribute 'cf:address'
is missing its required "$" (value) key`.  That is the camflowd layout, not a
broken trace.  Method: when a line fails, every attribute value that is a JSON
object without a "$" key is replaced by its JSON text and the line is tried
again; if prov then accepts it, the line is a "nested-object line (camflowd
layout, tolerated)", otherwise it is a real failure (reported with the error of
the retry, i.e. the one that remains once nested objects are out of the way).

prov's own warnings (e.g. ProvFutureRejectionWarning) are counted and shown;
--warnings-as-errors makes a line with a warning a real failure.
Exit status: 1 if any line really failed or no line was accepted (passed or
tolerated), else 0.  Needs only the standard library and `prov`.
"""
import argparse
import json
import sys
import warnings

from prov.model import ProvDocument


def stringify_nested(doc):
    """Replace attribute values that are JSON objects without "$" by their JSON
    text; return how many were replaced."""
    n = 0
    for section, elements in doc.items():
        if section in ("prefix", "bundle") or not isinstance(elements, dict):
            continue
        for attrs in elements.values():
            for a in attrs if isinstance(attrs, list) else [attrs]:
                if not isinstance(a, dict):
                    continue
                for key, val in a.items():
                    vals = val if isinstance(val, list) else [val]
                    hits = [isinstance(v, dict) and "$" not in v for v in vals]
                    if any(hits):
                        n += sum(hits)
                        new = [json.dumps(v) if h else v for v, h in zip(vals, hits)]
                        a[key] = new if isinstance(val, list) else new[0]
    return n


def deserialize(text):
    """Return (exception or None, list of warning texts)."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            ProvDocument.deserialize(content=text, format="json")
            err = None
        except Exception as e:  # noqa: BLE001 - any prov/json error is a finding
            err = e
    return err, [f"{w.category.__name__}: {w.message}" for w in caught]


def unprefixed_hint(line):
    """prov's ProvElementIdentifierRequired names no record: list the element
    ids whose prefix is not declared (e.g. CamFlow v0.1.7's bare machine ids)."""
    try:
        doc = json.loads(line)
        pre = doc.get("prefix", {})
        bad = [k for s, els in doc.items() if s not in ("prefix", "bundle")
               for k in els if "default" not in pre and k.partition(":")[0] not in pre]
    except (ValueError, AttributeError, TypeError):
        return ""
    return f" [{len(bad)} element id(s) with no declared prefix, e.g. {bad[:3]}]" if bad else ""


def fmt(e):
    return f"{type(e).__module__}.{type(e).__name__}: {e}"


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("file")
    ap.add_argument("--no-tolerate-nested", action="store_true",
                    help="count nested-object lines as real failures")
    ap.add_argument("--warnings-as-errors", action="store_true",
                    help="a line on which prov warns is a real failure")
    args = ap.parse_args()

    raw = open(args.file, "rb").read()
    if raw.startswith(b"\xef\xbb\xbf"):
        raw = raw[3:]
    passed = tolerated = failed = nwarn = 0
    for no, bline in enumerate(raw.split(b"\n"), 1):
        if not bline.strip():
            continue
        try:
            line = bline.decode("utf-8")
            err, warns = deserialize(line)
        except UnicodeDecodeError as e:
            err, warns = e, []
        kind = "ok"
        if err is not None:
            kind, first = "fail", err
            try:
                doc = json.loads(line)
                n = stringify_nested(doc) if isinstance(doc, dict) else 0
            except ValueError:
                n = 0
            if n:
                err, warns = deserialize(json.dumps(doc))
                if err is None:
                    kind = "nested"
            if kind == "fail":
                print(f"line {no}: FAIL {fmt(err)}{unprefixed_hint(line)}")
            elif args.no_tolerate_nested:
                kind = "fail"
                print(f"line {no}: FAIL (nested objects, not tolerated) {fmt(first)}")
            else:
                print(f"line {no}: nested-object line (camflowd layout, tolerated): "
                      f"{n} nested value(s); prov said: {fmt(first)}")
        for w in warns:
            print(f"line {no}: warning {w}")
        nwarn += len(warns)
        if warns and args.warnings_as_errors and kind != "fail":
            kind = "fail"
            print(f"line {no}: FAIL (warnings as errors)")
        passed += kind == "ok"
        tolerated += kind == "nested"
        failed += kind == "fail"
    total = passed + tolerated + failed
    print(f"summary: {total} lines, {passed} passed, {tolerated} nested-object lines "
          f"(tolerated), {failed} real failures, {nwarn} prov warnings")
    return 1 if failed or passed + tolerated == 0 else 0


if __name__ == "__main__":
    sys.exit(main())
