#!/usr/bin/env python3
"""Validate graft's ONNX exports with the ONNX project's own checker (Debian: python3-onnx).

  /usr/bin/python3 bench/onnx_check.py FILE.onnx [FILE.onnx ...]

For each file: onnx.checker.check_model with full_check (schema, types and shape inference),
then one JSON line with the IR version, operator set, node count and the operators used.
Exits 1 if any file fails.
"""
import collections
import json
import sys

import onnx


def check(path):
    model = onnx.load(path)
    onnx.checker.check_model(model, full_check=True)
    ops = collections.Counter(node.op_type for node in model.graph.node)
    return {"file": path, "ok": True, "ir_version": model.ir_version,
            "opset": [o.version for o in model.opset_import],
            "nodes": len(model.graph.node), "ops": dict(sorted(ops.items()))}


def main(paths):
    failed = 0
    for p in paths:
        try:
            print(json.dumps(check(p)))
        except Exception as e:  # noqa: BLE001 - report every file, then fail
            failed += 1
            print(json.dumps({"file": p, "ok": False, "error": str(e)}))
    return 1 if failed else 0


if __name__ == "__main__":
    if len(sys.argv) < 2:
        print(__doc__, file=sys.stderr)
        sys.exit(2)
    sys.exit(main(sys.argv[1:]))
