#!/usr/bin/python3
"""test/lib/doctest_md.py: run the SQL examples of Markdown files and compare their output.

    /usr/bin/python3 test/lib/doctest_md.py [--update] [--keep] FILE.md ...

The convention (also described in README.md, section Development):

* A fenced block whose info string starts with ``sql`` is run.  Every such
  block of a file runs, in the order of the file, in ONE psql session
  (``psql -X -q --no-psqlrc -v ON_ERROR_STOP=1 -P pager=off``, statements read
  from stdin and not echoed) connected to a FRESH database created for that
  file and dropped afterwards.  So tables, SET commands and psql variables
  (``\\set m ...`` then ``:'m'``) carry from one block to the next, and each
  file starts from nothing.  If no block of the file runs ``CREATE EXTENSION
  gmm`` itself, the runner creates the extension before the first block.
* The expected output is the ``text`` block that follows the ``sql`` block
  (only blank lines may stand between them): exactly what psql prints for the
  block's statements, in order, including NOTICE, ERROR, DETAIL and HINT lines
  (without psql's "psql:<file>:<line>:" prefix).  Trailing spaces of every line
  and leading and trailing blank lines of the block are ignored; nothing else
  is.  A ``sql`` block without a ``text`` block after it must print nothing
  (with -q, CREATE TABLE, INSERT, SET and \\set print nothing).
* ``sql norun ...`` marks a block that is shown but never run (placeholders,
  other servers, Citus); write the reason after the marker, e.g.
  ```` ```sql norun: needs two servers ````.  A ``text`` block after it is not
  checked.
* ``sql error`` marks a block expected to fail: it runs with ON_ERROR_STOP
  off, must print at least one ERROR, and its output (the error messages) is
  compared like any other.
* Blocks of any other language (sh, json, python, text not after sql) are not
  run.
* Outputs must be deterministic: fixed seeds (gmm_fit's "seed" option,
  gmm_sample's seed argument), round() or ::numeric(p,s) casts, ORDER BY.
  Each example uses its own table names.

A drifted example fails with a unified diff naming the file and the line of
the block.  --update rewrites the text blocks (inserting missing ones) with
what psql printed instead: review the diff before committing it.  The server
is the one the PG* environment variables point at; psql is $PGBIN/psql when
PGBIN is set.  Exit status 0 when every block matched.
"""

import argparse
import difflib
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

MARK = "@@gmm-doctest-block-%d@@"
PREFIX = re.compile(r"^psql:[^:\n]*:\d+: ", re.M)
FENCE = re.compile(r"^(\s*)(```+|~~~+)\s*([^`\s]*)(.*)$")
CREATE_EXT = re.compile(r"^\s*CREATE\s+EXTENSION\s+(IF\s+NOT\s+EXISTS\s+)?gmm\b", re.I | re.M)


class Block:
    """One fenced code block: language, flags, body and its line range."""

    def __init__(self, lang, flags, body, start, end, indent):
        self.lang = lang
        self.flags = flags
        self.body = body
        self.start = start  # index of the opening fence line
        self.end = end  # index of the closing fence line
        self.indent = indent
        self.expected = None  # the text Block after an sql block


def parse(lines):
    """Return the fenced blocks of a Markdown file, sql blocks linked to their output."""
    blocks = []
    i = 0
    while i < len(lines):
        m = FENCE.match(lines[i])
        if not m:
            i += 1
            continue
        indent, fence, lang, rest = m.group(1), m.group(2), m.group(3), m.group(4)
        j = i + 1
        while j < len(lines):
            c = lines[j].strip()
            if c.startswith(fence[0] * len(fence)) and c.strip(fence[0]) == "":
                break
            j += 1
        body = [l[len(indent):] if l.startswith(indent) else l.lstrip() for l in lines[i + 1:j]]
        flags = re.split(r"[\s:,]+", rest.strip()) if rest.strip() else []
        blocks.append(Block(lang.lower(), [f.lower() for f in flags], body, i, j, indent))
        i = j + 1
    for a, b in zip(blocks, blocks[1:]):
        if a.lang == "sql" and b.lang == "text" and all(not lines[k].strip() for k in range(a.end + 1, b.start)):
            a.expected = b
    return blocks


def normalise(text):
    """Drop psql's location prefix, trailing spaces and surrounding blank lines."""
    text = PREFIX.sub("", text)
    out = [l.rstrip() for l in text.split("\n")]
    while out and not out[0]:
        out.pop(0)
    while out and not out[-1]:
        out.pop()
    return out


def psql_path():
    """psql of $PGBIN, else of the system PostgreSQL 15, else from PATH."""
    for d in (os.environ.get("PGBIN"), "/usr/lib/postgresql/15/bin"):
        if d and os.access(os.path.join(d, "psql"), os.X_OK):
            return os.path.join(d, "psql")
    return shutil.which("psql") or "psql"


def run_file(path, psql, update=False, keep=False, timeout=900):
    """Run the sql blocks of one Markdown file; return a list of failure messages."""
    with open(path, encoding="utf-8") as f:
        lines = f.read().split("\n")
    blocks = [b for b in parse(lines) if b.lang == "sql" and "norun" not in b.flags]
    if not blocks:
        return [], 0
    for b in blocks:
        last = [re.sub(r"--.*$", "", l).strip() for l in b.body]
        last = [l for l in last if l]
        if last and not (last[-1].endswith(";") or last[-1].startswith("\\") or last[-1].endswith(("\\gset", "\\g"))):
            return ["%s:%d: the block ends inside a statement (no ';')" % (path, b.start + 1)], len(blocks)
    db = "gmm_doctest_%s_%d" % (re.sub(r"\W", "_", os.path.basename(path).lower()), os.getpid())
    admin = [psql, "-X", "-q", "--no-psqlrc", "-v", "ON_ERROR_STOP=1", "-d", os.environ.get("PGDATABASE", "postgres")]
    subprocess.run(admin + ["-c", 'DROP DATABASE IF EXISTS "%s"' % db], check=True, capture_output=True)
    subprocess.run(admin + ["-c", 'CREATE DATABASE "%s"' % db], check=True)
    script = []
    if not any(CREATE_EXT.search("\n".join(b.body)) for b in blocks):
        script.append("CREATE EXTENSION gmm;")
    for n, b in enumerate(blocks):
        script.append("\\echo " + MARK % n)
        if "error" in b.flags:
            script.append("\\set ON_ERROR_STOP 0")
        script.extend(b.body)
        if "error" in b.flags:
            script.append("\\set ON_ERROR_STOP 1")
    script.append("\\echo " + MARK % len(blocks))
    workdir = tempfile.mkdtemp(prefix="gmm-doctest.")
    try:
        p = subprocess.run([psql, "-X", "-q", "--no-psqlrc", "-v", "ON_ERROR_STOP=1", "-P", "pager=off", "-d", db],
                           input="\n".join(script) + "\n", stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                           text=True, cwd=workdir, timeout=timeout)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
        if not keep:
            subprocess.run(admin + ["-c", 'DROP DATABASE IF EXISTS "%s" WITH (FORCE)' % db], capture_output=True)
    # split the output at the markers
    outputs = {}
    parts = re.split(r"^@@gmm-doctest-block-(\d+)@@\n?", p.stdout, flags=re.M)
    preamble = parts[0]
    for k in range(1, len(parts) - 1, 2):
        outputs[int(parts[k])] = parts[k + 1]
    failures = []
    if normalise(preamble):
        failures.append("%s: output before the first block:\n%s" % (path, preamble))
    edits = []
    for n, b in enumerate(blocks):
        where = "%s:%d" % (path, b.start + 1)
        if n not in outputs:
            failures.append("%s: block did not run (psql stopped earlier)" % where)
            continue
        got = normalise(outputs[n])
        if n + 1 not in outputs:
            failures.append("%s: psql stopped in this block (exit status %d):\n%s"
                            % (where, p.returncode, "\n".join(got)))
            continue
        if "error" in b.flags and not any(l.startswith("ERROR:") for l in got):
            failures.append("%s: block marked 'error' raised no error" % where)
        want = normalise("\n".join(b.expected.body)) if b.expected else []
        if got != want:
            diff = difflib.unified_diff(want, got, "expected (%s)" % where, "actual", lineterm="")
            failures.append("%s: output differs:\n%s" % (where, "\n".join(diff)))
            edits.append((b, got))
    if update and edits:
        for b, got in sorted(edits, key=lambda e: -e[0].start):
            new = [b.indent + "```text"] + [b.indent + l if l else l for l in got] + [b.indent + "```"]
            if b.expected:
                lines[b.expected.start:b.expected.end + 1] = new
            elif got:
                lines[b.end + 1:b.end + 1] = new
        with open(path, "w", encoding="utf-8") as f:
            f.write("\n".join(lines))
        print("%s: rewrote %d output block(s)" % (path, len(edits)))
    return failures, len(blocks)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("files", nargs="+")
    ap.add_argument("--update", action="store_true", help="rewrite the text blocks with the actual output")
    ap.add_argument("--keep", action="store_true", help="keep the databases (gmm_doctest_*)")
    args = ap.parse_args()
    psql = psql_path()
    failures = []
    for path in args.files:
        t = time.time()
        f, n = run_file(path, psql, update=args.update, keep=args.keep)
        print("%s: %d sql blocks run, %d failed (%.1f s)" % (path, n, len(f), time.time() - t))
        failures += f
    for f in failures:
        print("\nFAILED " + f)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
