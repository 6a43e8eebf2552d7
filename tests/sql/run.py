#!/usr/bin/python3
"""tests/sql/run.py -- the SQL logic-test runner.

Runs *.sql files statement by statement against a freshly started pgkv (or
PostgreSQL 15) over libpq (psycopg's pq wrapper, simple query protocol, one
statement per Query message) and renders every result as text:

    statement text
    -- columns: name:type, ...        (RowDescription: names and type names)
    row values separated by " | "      (text format, NULL printed as NULL)
    -- SELECT 3                        (command tag)
  or
    -- ERROR 42703: column "x" does not exist

The rendering is compared with tests/sql/expected/NAME.out, which is
produced by running the same file against PostgreSQL 15 (--regen), never
written by hand.

Test file syntax: statements end with ';' at the end of a line.  Lines
starting with '--' are comments, except directives for the next statement:
    -- @rowsort      sort the result rows before rendering (unordered results)

Usage:
    run.py [--bin build/pgkv] FILES...          check pgkv against expected/
    run.py --target postgres FILES...           check PostgreSQL 15 against expected/
    run.py --regen FILES...                     rewrite expected/ from PostgreSQL 15
Exit status 0 when everything matches.
"""
import argparse
import difflib
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time

try:
    from psycopg import pq
except ImportError:  # pragma: no cover
    print("run.py: python3-psycopg is required (scripts/install-deps.sh)", file=sys.stderr)
    sys.exit(2)

HERE = os.path.dirname(os.path.abspath(__file__))
SRC = os.path.abspath(os.path.join(HERE, "..", ".."))

TYPE_NAMES = {
    16: "bool", 17: "bytea", 18: "char", 19: "name", 20: "int8", 21: "int2", 23: "int4", 25: "text",
    26: "oid", 114: "json", 700: "float4", 701: "float8", 705: "unknown", 1042: "bpchar",
    1043: "varchar", 1082: "date", 1083: "time", 1114: "timestamp", 1184: "timestamptz",
    1186: "interval", 1700: "numeric", 2950: "uuid", 3802: "jsonb", 2206: "regtype",
    1000: "bool[]", 1005: "int2[]", 1007: "int4[]", 1009: "text[]", 1015: "varchar[]",
    1016: "int8[]", 1021: "float4[]", 1022: "float8[]", 1231: "numeric[]", 1182: "date[]",
    1115: "timestamp[]", 1185: "timestamptz[]", 1187: "interval[]", 1014: "bpchar[]",
}


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p


def split_statements(text):
    """Yield (directives, statement) pairs."""
    stmts = []
    cur = []
    directives = set()
    for line in text.splitlines():
        stripped = line.strip()
        if not cur and stripped.startswith("--"):
            d = stripped[2:].strip()
            if d.startswith("@"):
                directives.add(d[1:].strip())
            continue
        if not cur and not stripped:
            continue
        cur.append(line)
        if stripped.endswith(";"):
            stmts.append((directives, "\n".join(cur)))
            cur = []
            directives = set()
    if cur:
        stmts.append((directives, "\n".join(cur)))
    return stmts


def render(conn, directives, stmt):
    out = [stmt]
    res = conn.exec_(stmt.encode())
    st = res.status
    if st == pq.ExecStatus.FATAL_ERROR:
        code = (res.error_field(pq.DiagnosticField.SQLSTATE) or b"").decode()
        msg = (res.error_field(pq.DiagnosticField.MESSAGE_PRIMARY) or b"").decode()
        out.append("-- ERROR %s: %s" % (code, msg))
        return out
    if st == pq.ExecStatus.TUPLES_OK:
        cols = []
        for i in range(res.nfields):
            name = res.fname(i).decode()
            t = res.ftype(i)
            cols.append("%s:%s" % (name, TYPE_NAMES.get(t, str(t))))
        out.append("-- columns: " + ", ".join(cols))
        rows = []
        for r in range(res.ntuples):
            vals = []
            for c in range(res.nfields):
                v = res.get_value(r, c)
                vals.append("NULL" if v is None else v.decode())
            rows.append(" | ".join(vals))
        if "rowsort" in directives:
            rows.sort()
        out.extend(rows)
    out.append("-- " + (res.command_status or b"").decode())
    return out


def run_file(conninfo, path):
    conn = pq.PGconn.connect(conninfo.encode())
    if conn.status != pq.ConnStatus.OK:
        raise RuntimeError("cannot connect: %s" % conn.error_message.decode())
    try:
        with open(path) as f:
            stmts = split_statements(f.read())
        lines = []
        for directives, stmt in stmts:
            lines.extend(render(conn, directives, stmt))
            lines.append("")
        return "\n".join(lines)
    finally:
        conn.finish()


class Server:
    def __init__(self, target, binary):
        self.target = target
        self.binary = binary
        self.dir = tempfile.mkdtemp(prefix="pgkv-sqltest-")
        os.chmod(self.dir, 0o711)
        self.port = free_port()
        self.proc = None

    def start(self):
        if self.target == "postgres":
            pgdir = os.path.join(self.dir, "pg")
            os.mkdir(pgdir)
            subprocess.run(["bash", os.path.join(SRC, "scripts", "pg-ref.sh"), "start", pgdir, str(self.port)],
                           check=True, stdout=subprocess.DEVNULL)
        else:
            http = free_port()
            self.log = open(os.path.join(self.dir, "pgkv.log"), "w")
            self.proc = subprocess.Popen(
                [self.binary, "start", "--listen", "127.0.0.1:%d" % self.port, "--http", "127.0.0.1:%d" % http,
                 "--store", "embedded:" + os.path.join(self.dir, "store")],
                stdin=subprocess.DEVNULL, stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.time() + 20
        while time.time() < deadline:
            c = pq.PGconn.connect(self.conninfo().encode())
            ok = c.status == pq.ConnStatus.OK
            c.finish()
            if ok:
                return
            if self.proc and self.proc.poll() is not None:
                break
            time.sleep(0.1)
        raise RuntimeError("server did not start (see %s)" % self.dir)

    def conninfo(self):
        return "host=127.0.0.1 port=%d user=root dbname=postgres connect_timeout=5" % self.port

    def stop(self):
        if self.target == "postgres":
            subprocess.run(["bash", os.path.join(SRC, "scripts", "pg-ref.sh"), "stop", os.path.join(self.dir, "pg")],
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        elif self.proc:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        shutil.rmtree(self.dir, ignore_errors=True)


def main():
    ap = argparse.ArgumentParser(description="pgkv SQL logic tests")
    ap.add_argument("--bin", default=os.path.join(SRC, "build", "pgkv"))
    ap.add_argument("--target", choices=["pgkv", "postgres"], default="pgkv")
    ap.add_argument("--regen", action="store_true", help="rewrite expected outputs from PostgreSQL 15")
    ap.add_argument("--expected", default=os.path.join(HERE, "expected"))
    ap.add_argument("files", nargs="*")
    args = ap.parse_args()
    files = args.files or sorted(os.path.join(HERE, f) for f in os.listdir(HERE) if f.endswith(".sql"))
    target = "postgres" if args.regen else args.target
    for k in ("PGHOST", "PGPORT", "PGUSER", "PGDATABASE", "PGOPTIONS", "PGTZ", "PGDATESTYLE"):
        os.environ.pop(k, None)
    srv = Server(target, args.bin)
    failed = 0
    try:
        srv.start()
        for path in files:
            name = os.path.splitext(os.path.basename(path))[0]
            exp_path = os.path.join(args.expected, name + ".out")
            got = run_file(srv.conninfo(), path)
            if args.regen:
                with open(exp_path, "w") as f:
                    f.write(got)
                print("wrote %s" % exp_path)
                continue
            try:
                with open(exp_path) as f:
                    want = f.read()
            except FileNotFoundError:
                print("not ok - %s (no expected output; run --regen)" % name)
                failed += 1
                continue
            if got == want:
                print("ok - %s" % name)
            else:
                failed += 1
                print("not ok - %s" % name)
                for line in difflib.unified_diff(want.splitlines(), got.splitlines(), "expected/" + name + ".out",
                                                 target, lineterm="", n=2):
                    print("    " + line)
    finally:
        srv.stop()
    print("%d files, %d failed (target %s)" % (len(files), failed, target))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
