#!/usr/bin/python3
"""test/check_readme.py: every SQL example of README.md and docs/*.md runs and prints what it shows.

Runs test/doctest_md.py (the convention is described at its top and in the
README's Development section) over README.md and every docs/*.md, each in a
fresh database of the server the PG* variables point at.  Exit status 0 when
every block matched; a drifted example prints a diff naming file and line.
"""

import glob
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import doctest_md  # noqa: E402

repo = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
files = [os.path.join(repo, "README.md")] + sorted(glob.glob(os.path.join(repo, "docs", "*.md")))
psql = doctest_md.psql_path()
failures = []
total = 0
for path in files:
    t = time.time()
    f, n = doctest_md.run_file(path, psql)
    total += n
    print("%s: %d sql blocks run, %d failed (%.1f s)" % (os.path.relpath(path, repo), n, len(f), time.time() - t))
    failures += f
for f in failures:
    print("\nFAILED " + f)
print("%d sql blocks, %d failed" % (total, len(failures)))
sys.exit(1 if failures else 0)
