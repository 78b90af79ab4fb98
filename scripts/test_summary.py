#!/usr/bin/env python3
"""Prints one 'N passed, N failed, N skipped' line over meson test logs.

GoogleTest executables report their individual cases in the log; those are
counted one by one, other tests (the end-to-end scripts) count once each.
"""
import json
import re
import sys

passed = failed = skipped = 0
for path in sys.argv[1:]:
    with open(path) as f:
        for line in f:
            t = json.loads(line)
            result = t["result"]
            out = t.get("stdout", "") or ""
            if result == "SKIP":
                skipped += 1
                continue
            cases_ok = len(re.findall(r"^\[       OK \]", out, re.M))
            cases_bad = len(re.findall(r"^\[  FAILED  \] \S+\.\S+ \(", out, re.M))
            cases_skip = len(re.findall(r"^\[  SKIPPED \] \S+\.\S+", out, re.M))
            if cases_ok or cases_bad or cases_skip:
                passed += cases_ok
                failed += cases_bad
                skipped += cases_skip
                if result != "OK" and not cases_bad:
                    failed += 1  # crashed or timed out outside any case
            elif result == "OK":
                passed += 1
            else:
                failed += 1
print(f"{passed} passed, {failed} failed, {skipped} skipped")
