#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""How many idle connections `drdeskctl serve` survives with its default
limits, and whether a normal client is still answered during and after
such a burst (issue 12, finding 1). A figure for the note, not a timed
test: serve runs on loopback with the soft open-file limit it would get
from a login shell (1,024 unless told otherwise; the hard limit stays),
floods open idle connections from one or many client addresses
(127.0.0.x), while a probe from another address opens a fresh connection
every 100 ms and asks /healthz.

  bench/bench-idle-flood.py [BUILD_DIR]
  env: FLOOD_SOFT_LIMIT (1024), FLOOD_HOLD_S (2)

Prints one line per scenario: connections the flood opened, how many serve
still held after the hold time and how many it closed (over a cap), the
probe's answers and latency during the flood, and its answers after the
flood went away."""

import os
import resource
import socket
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
BUILD = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else os.path.join(HERE, '..', 'build'))
SOFT = int(os.environ.get('FLOOD_SOFT_LIMIT', '1024'))
HOLD = float(os.environ.get('FLOOD_HOLD_S', '2'))
SCENARIOS = [  # (connections, client addresses)
    (1100, 1),   # the reproduction at 1,024 files
    (5000, 1),   # one client, far over its idle cap
    (6000, 100), # many clients, over the global cap
]


def env():
    e = dict(os.environ)
    e.setdefault('GSETTINGS_BACKEND', 'memory')
    e.setdefault('GSETTINGS_SCHEMA_DIR', os.path.join(BUILD, 'data'))
    e['G_DEBUG'] = 'gc-friendly'
    return e


def start_serve(db):
    hard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]

    def limit():
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(SOFT, hard), hard))

    p = subprocess.Popen([os.path.join(BUILD, 'src', 'drdeskctl'), '--db', db, 'serve',
                          '--listen', '127.0.0.1:0', '--no-notifier', '--no-settler'],
                         stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env(),
                         preexec_fn=limit)
    line = p.stdout.readline().decode()
    if not line.startswith('LISTENING '):
        raise SystemExit(f'serve did not start: {line!r}')
    return p, int(line.rsplit(':', 1)[1].strip('/\n'))


class Probe(threading.Thread):
    def __init__(self, port):
        super().__init__(daemon=True)
        self.port = port
        self.stop = False
        self.results = []   # (phase, ok, seconds)
        self.phase = 'flood'

    def run(self):
        while not self.stop:
            t0 = time.monotonic()
            ok = False
            try:
                s = socket.socket()
                s.settimeout(2)
                s.bind(('127.0.0.250', 0))
                s.connect(('127.0.0.1', self.port))
                s.sendall(b'GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n')
                ok = s.recv(64).startswith(b'HTTP/1.1 200')
                s.close()
            except OSError:
                pass
            self.results.append((self.phase, ok, time.monotonic() - t0))
            time.sleep(max(0, 0.1 - (time.monotonic() - t0)))


def classify(socks):
    """(still open, closed by serve, of those answered 503)."""
    held = closed = n_503 = 0
    for s in socks:
        s.setblocking(False)
        try:
            data = s.recv(12, socket.MSG_PEEK)
        except BlockingIOError:
            held += 1
            continue
        except OSError:
            closed += 1
            continue
        closed += 1
        n_503 += data.startswith(b'HTTP/1.1 503')
    return held, closed, n_503


def pct(values, q):
    if not values:
        return float('nan')
    v = sorted(values)
    return v[min(len(v) - 1, int(q * len(v)))]


def scenario(db, n_conns, n_addrs):
    serve, port = start_serve(db)
    probe = Probe(port)
    probe.start()
    socks, failed = [], 0
    t0 = time.monotonic()
    for i in range(n_conns):
        s = socket.socket()
        s.settimeout(1)
        try:
            s.bind((f'127.0.0.{1 + i % n_addrs}', 0))
            s.connect(('127.0.0.1', port))
            socks.append(s)
        except OSError:
            failed += 1
            s.close()
    opened = time.monotonic() - t0
    time.sleep(HOLD)
    held, closed, n_503 = classify(socks)
    probe.phase = 'after'
    for s in socks:
        s.close()
    time.sleep(1.5)
    probe.stop = True
    probe.join(5)
    alive = serve.poll() is None
    serve.kill()
    serve.wait()
    during = [r for r in probe.results if r[0] == 'flood']
    after = [r for r in probe.results if r[0] == 'after']
    lat = [r[2] * 1000 for r in during if r[1]]
    print(f'{n_conns} idle connections from {n_addrs} address(es) in {opened:.1f} s '
          f'(soft limit {SOFT}): serve held {held}, closed {closed} '
          f'({n_503} of them with a 503), {failed} connects failed; probe during the flood '
          f'{sum(r[1] for r in during)}/{len(during)} answered (p50 {pct(lat, 0.5):.1f} ms, '
          f'max {max(lat) if lat else float("nan"):.1f} ms), after it '
          f'{sum(r[1] for r in after)}/{len(after)}; serve {"running" if alive else "gone"}',
          flush=True)


def main():
    hard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    if hard < 7000:
        print(f'# the hard open-file limit is {hard}; the 6,000-connection scenario needs 7,000')
    with tempfile.TemporaryDirectory(prefix='drd-flood-') as tmp:
        db = os.path.join(tmp, 'flood.db')
        subprocess.run([os.path.join(BUILD, 'src', 'drdeskctl'), '--db', db, 'init'],
                       check=True, capture_output=True, env=env())
        print(f'# build {BUILD}, hard open-file limit {hard}', flush=True)
        for n_conns, n_addrs in SCENARIOS:
            if n_conns + 200 > hard:
                continue
            scenario(db, n_conns, n_addrs)


if __name__ == '__main__':
    main()
