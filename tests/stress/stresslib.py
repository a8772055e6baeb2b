# SPDX-License-Identifier: GPL-3.0-or-later
"""Shared helpers of the tests/stress/ scripts: the built binaries, temp
databases prepared through drdeskctl, processes that print LISTENING, and
read-only SQLite checks. Standard library only (Debian's python3)."""

import csv
import datetime as dt
import io
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time

KST = dt.timezone(dt.timedelta(hours=9))


def build_dir():
    here = os.path.dirname(os.path.abspath(__file__))
    return os.environ.get('DRD_BUILD_DIR') or os.path.join(here, '..', '..', 'build')


def exe(name):
    path = os.path.join(build_dir(), 'src', name)
    if not os.access(path, os.X_OK):
        print(f'# {path} is not built', file=sys.stderr)
        sys.exit(77)
    return path


def env_int(name, default):
    v = os.environ.get(name)
    return int(v) if v else default


def log(msg):
    print(msg, flush=True)


def child_env():
    env = dict(os.environ)
    # Children run without fatal-warnings: libsoup 3.2.3 itself warns
    # ("could not get remote address") when a client is gone before its
    # connection is set up, which hostile clients do on purpose. Their
    # stderr is scanned instead (log_problems). The rest of the test
    # environment (TZ, schema dir, memory backend) stays.
    env['G_DEBUG'] = 'gc-friendly'
    env.setdefault('GSETTINGS_BACKEND', 'memory')
    schema_dir = os.path.join(build_dir(), 'data')
    env.setdefault('GSETTINGS_SCHEMA_DIR', schema_dir)
    return env


class Tmp:
    def __init__(self, prefix):
        self.dir = tempfile.mkdtemp(prefix=prefix)
        self.procs = []

    def path(self, name):
        return os.path.join(self.dir, name)

    def cleanup(self):
        for p in self.procs:
            if p.poll() is None:
                p.kill()
                p.wait()
        if not os.environ.get('DRD_STRESS_KEEP'):
            shutil.rmtree(self.dir, ignore_errors=True)
        else:
            log(f'# kept {self.dir}')


def ctl(db, *args, check=True, env=None, timeout=300):
    r = subprocess.run([exe('drdeskctl'), '--db', db, *args], capture_output=True, text=True,
                       env=env or child_env(), timeout=timeout)
    if check and r.returncode != 0:
        raise RuntimeError(f'drdeskctl {" ".join(args)}: exit {r.returncode}: {r.stderr.strip()}')
    return r


def spawn_listening(tmp, argv, err_name, env=None):
    """Starts argv; returns (Popen, url) once it printed LISTENING URL."""
    err = open(tmp.path(err_name), 'ab')
    p = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=err, env=env or child_env(),
                         start_new_session=True)
    err.close()
    tmp.procs.append(p)
    line = p.stdout.readline().decode()
    if not line.startswith('LISTENING '):
        p.kill()
        p.wait()
        raise RuntimeError(f'{argv[0]} did not start: {line!r}; see {tmp.path(err_name)}: '
                           + open(tmp.path(err_name), errors='replace').read()[-2000:])
    return p, line.split(' ', 1)[1].strip().rstrip('/')


def iso(t):
    return dt.datetime.fromtimestamp(t, KST).isoformat()


def next_slot(t=None, ahead=0):
    t = int(time.time() if t is None else t) + ahead
    return (t // 900 + 1) * 900


def event_start(db, name, start, end, deadline=None, resources=()):
    args = ['event', 'start', '--name', name, '--kind', 'reliability', '--start', iso(start),
            '--end', iso(end), '--target-kw', '500']
    if deadline:
        args += ['--answer-deadline', iso(deadline)]
    for r in resources:
        args += ['--resource', r]
    return int(ctl(db, *args).stdout.strip())


def links(db, event):
    rows = list(csv.DictReader(io.StringIO(ctl(db, 'links', str(event)).stdout)))
    return {int(r['customer_id']): r['link'].rsplit('/r/', 1)[1] for r in rows}


def customers(db):
    return list(csv.DictReader(io.StringIO(ctl(db, 'customers', 'list', '--format', 'csv').stdout)))


def ro(db):
    c = sqlite3.connect(f'file:{db}?mode=ro', uri=True, timeout=10)
    return c


def integrity(db):
    with ro(db) as c:
        return c.execute('PRAGMA integrity_check').fetchone()[0]


def backup(src, dst):
    """A consistent copy (SQLite's online backup)."""
    s = sqlite3.connect(src, timeout=10)
    d = sqlite3.connect(dst)
    s.backup(d)
    d.close()
    s.close()


def settlement_dump(db, events=None):
    """What settlement decided (not when): rows and credits, sorted."""
    with ro(db) as c:
        q = ('SELECT event_id, customer_id, answer, coalesce(answered_at, 0), baseline_wh, actual_wh, '
             'reduction_wh, outcome, points, note FROM settlements ORDER BY event_id, customer_id')
        rows = c.execute(q).fetchall()
        ledger = c.execute('SELECT event_id, customer_id, reason, points FROM points_ledger '
                           'ORDER BY event_id, customer_id, reason').fetchall()
    if events is not None:
        rows = [r for r in rows if r[0] in events]
        ledger = [r for r in ledger if r[0] in events]
    return rows, ledger


def kill9(p):
    if p.poll() is None:
        os.killpg(p.pid, signal.SIGKILL)
    p.wait()


KNOWN_WARNINGS = ('could not get remote address',)


def log_problems(path):
    """CRITICAL/WARNING lines of a child's stderr, known libsoup ones aside."""
    out = []
    try:
        text = open(path, errors='replace').read()
    except FileNotFoundError:
        return out
    for line in text.splitlines():
        if ('CRITICAL' in line or 'WARNING' in line or 'ERROR' in line) \
                and not any(k in line for k in KNOWN_WARNINGS):
            out.append(line.strip())
    return out


def finish(ok, summary):
    log(summary)
    sys.exit(0 if ok else 1)
