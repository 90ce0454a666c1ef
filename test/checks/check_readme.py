#!/usr/bin/python3
"""test/checks/check_readme.py: every SQL example of README.md and docs/*.md runs and prints what it shows.

Runs test/lib/doctest_md.py (the convention is described at its top and in the
README's Development section) over README.md and every docs/*.md, each in a
fresh database of the server the PG* variables point at.  Exit status 0 when
every block matched; a drifted example prints a diff naming file and line.
"""

import glob
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
import doctest_md  # noqa: E402



def reference_gaps(readme):
    """Functions of the installed extension missing from the README's Reference table.

    Every overload of every function and aggregate must have its own row
    ("| `name(...`"), except the support functions the table lists by name.
    """
    import re
    import psycopg2

    text = open(readme).read()
    ref = text[text.index("\n## Reference"):text.index("\n## Settings")]
    support = re.search(r"\*\*support functions\*\*.*", ref).group(0)
    conn = psycopg2.connect("")
    conn.autocommit = True
    cur = conn.cursor()
    cur.execute("CREATE EXTENSION IF NOT EXISTS gmm")
    cur.execute("""SELECT p.proname, count(*) FROM pg_depend d JOIN pg_proc p ON p.oid = d.objid
                   WHERE d.classid = 'pg_proc'::regclass AND d.deptype = 'e'
                     AND d.refobjid = (SELECT oid FROM pg_extension WHERE extname = 'gmm')
                   GROUP BY 1 ORDER BY 1""")
    gaps = []
    for name, n in cur.fetchall():
        if re.search(r"`%s`" % re.escape(name), support):
            continue
        rows = len(re.findall(r"^\| `%s\(" % re.escape(name), ref, re.M))
        if rows != n:
            gaps.append("README.md Reference: %s has %d overload(s) in the catalog but %d row(s) in the table"
                        % (name, n, rows))
    conn.close()
    return gaps


repo = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
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
failures += reference_gaps(os.path.join(repo, "README.md"))
for f in failures:
    print("\nFAILED " + f)
print("%d sql blocks, %d failed" % (total, len(failures)))
sys.exit(1 if failures else 0)
