#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""`drdeskctl serve` under systemd's protocols, with this script standing
in for the service manager:

1. socket activation: `systemd-socket-activate -l 127.0.0.1:PORT drdeskctl
   serve` — serve uses the passed socket (LISTENING shows its port) and
   answers;
2. Type=notify: a fake NOTIFY_SOCKET (an abstract '@' name, then a path)
   receives READY=1, WATCHDOG=1 pings at half of WATCHDOG_USEC, and
   STOPPING=1 on SIGTERM;
3. restart on an inherited socket: the script keeps the listening socket
   and passes it as fd 3 (LISTEN_FDS=1); while connections post answers,
   serve is SIGKILLed and started again on the same socket, several
   times. No connection is refused, and every customer's stored answer
   is the latest one serve acknowledged (or one sent after it whose reply
   was lost in the kill);
4. TLS: `serve --tls-cert --tls-key` with a self-signed certificate made
   here (openssl) prints LISTENING https://…, answers over TLS with
   Strict-Transport-Security, and SIGHUP loads a replaced certificate.

  tests/stress/serve-systemd.py
  env: DRD_BUILD_DIR, DRD_STRESS_ROUNDS (kills, default 4),
       DRD_STRESS_CUSTOMERS (200), DRD_STRESS_CONNECTIONS (6)
Loopback only, bounded in time."""

import http.client
import json
import os
import random
import shutil
import signal
import socket
import ssl
import subprocess
import threading
import time
import urllib.parse

import stresslib as S

ROUNDS = S.env_int('DRD_STRESS_ROUNDS', 4)
N_CUSTOMERS = S.env_int('DRD_STRESS_CUSTOMERS', 200)
N_CONN = S.env_int('DRD_STRESS_CONNECTIONS', 6)
ANSWER = {'accept': 1, 'deny': 2}
SERVE_ARGS = ['serve', '--no-notifier', '--no-settler', '--rate-limit', '0']

problems = []


def problem(msg):
    S.log(f'# PROBLEM {msg}')
    problems.append(msg)


def get(host, port, path='/healthz', timeout=5):
    conn = http.client.HTTPConnection(host, port, timeout=timeout)
    try:
        conn.request('GET', path)
        r = conn.getresponse()
        return r.status, r.read()
    finally:
        conn.close()


def read_listening(p):
    line = p.stdout.readline().decode()
    if not line.startswith('LISTENING '):
        raise RuntimeError(f'serve did not start: {line!r}')
    return line.split(' ', 1)[1].strip()


# ---- 1. systemd-socket-activate ------------------------------------------

def free_port():
    s = socket.socket()
    s.bind(('127.0.0.1', 0))
    port = s.getsockname()[1]
    s.close()
    return port


def test_socket_activate(tmp, db):
    tool = shutil.which('systemd-socket-activate')
    if tool is None:
        S.log('# systemd-socket-activate is not installed: part 1 skipped')
        return
    port = free_port()
    err = open(tmp.path('activate.err'), 'ab')
    p = subprocess.Popen([tool, '-l', f'127.0.0.1:{port}', S.exe('drdeskctl'), '--db', db,
                          *SERVE_ARGS], stdout=subprocess.PIPE, stderr=err, env=S.child_env(),
                         start_new_session=True)
    err.close()
    tmp.procs.append(p)
    # systemd-socket-activate starts serve at the first connection.
    deadline = time.monotonic() + 10
    status = None
    while time.monotonic() < deadline:
        try:
            status, _ = get('127.0.0.1', port)
            break
        except OSError:
            time.sleep(0.1)
    url = read_listening(p)
    if url != f'http://127.0.0.1:{port}/':
        problem(f'socket activation: serve printed LISTENING {url}, the passed socket is port {port}')
    if status != 200:
        problem(f'socket activation: /healthz answered {status}')
    ok = sum(1 for _ in range(20) if get('127.0.0.1', port)[0] == 200)
    if ok != 20:
        problem(f'socket activation: {ok}/20 requests answered')
    S.kill9(p)
    S.log(f'# socket activation: LISTENING {url}, {ok + 1} requests answered')


# ---- 2. NOTIFY_SOCKET ----------------------------------------------------

def test_notify(tmp, db, name):
    rx = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    rx.bind('\0' + name[1:] if name.startswith('@') else name)
    rx.settimeout(0.2)
    env = S.child_env()
    env['NOTIFY_SOCKET'] = name
    env['WATCHDOG_USEC'] = '400000'
    serve, url = S.spawn_listening(tmp, [S.exe('drdeskctl'), '--db', db, *SERVE_ARGS,
                                         '--listen', '127.0.0.1:0'], 'notify.err', env=env)
    got = []
    t0 = time.monotonic()
    while time.monotonic() - t0 < 1.5:
        try:
            got.append((time.monotonic() - t0, rx.recv(4096).decode()))
        except socket.timeout:
            pass
    serve.send_signal(signal.SIGTERM)
    t1 = time.monotonic()
    while time.monotonic() - t1 < 5:
        try:
            got.append((time.monotonic() - t0, rx.recv(4096).decode()))
            if 'STOPPING=1' in got[-1][1]:
                break
        except socket.timeout:
            pass
    serve.wait(10)
    rx.close()
    states = [m for _, m in got]
    pings = [t for t, m in got if m == 'WATCHDOG=1']
    if not states or not states[0].startswith('READY=1'):
        problem(f'{name}: first notification {states[:1]}, wanted READY=1')
    elif url not in states[0]:
        problem(f'{name}: READY status {states[0]!r} does not name {url}')
    # 1.5 s at a 0.2 s interval: about 7 pings; fewer than 4 means the
    # interval is not half of WATCHDOG_USEC.
    if len(pings) < 4:
        problem(f'{name}: {len(pings)} watchdog pings in 1.5 s (interval 0.4 s)')
    if not states or states[-1] != 'STOPPING=1':
        problem(f'{name}: last notification {states[-1:]}, wanted STOPPING=1')
    if serve.returncode != 0:
        problem(f'{name}: serve exited {serve.returncode} on SIGTERM')
    S.log(f'# NOTIFY_SOCKET {name}: {len(states)} notifications, first {states[:1]}, '
          f'{len(pings)} watchdog pings, last {states[-1:]}')


# ---- 3. SIGKILL and restart on the inherited socket ----------------------

class Customer:
    def __init__(self, cid, token):
        self.id = cid
        self.token = token
        self.acked = None
        self.pending = set()


class Loader(threading.Thread):
    """Keep-alive connection posting answers for its own customers, one at
    a time; a lost connection is reopened. Counts refused connects."""

    def __init__(self, port, customers, rng):
        super().__init__(daemon=True)
        self.port = port
        self.customers = customers
        self.rng = rng
        self.stop = False
        self.n_ok = 0
        self.n_lost = 0
        self.n_refused = 0
        self.bad = []

    def run(self):
        conn = None
        while not self.stop:
            if conn is None:
                conn = http.client.HTTPConnection('127.0.0.1', self.port, timeout=10)
                try:
                    conn.connect()
                except ConnectionRefusedError:
                    self.n_refused += 1
                    conn = None
                    time.sleep(0.05)
                    continue
                except OSError:
                    self.n_lost += 1
                    conn = None
                    continue
            c = self.rng.choice(self.customers)
            answer = self.rng.choice(['accept', 'deny'])
            c.pending.add(ANSWER[answer])
            body = json.dumps({'event_id': EVENT, 'answer': answer})
            try:
                conn.request('POST', '/api/v1/answers', body,
                             {'Content-Type': 'application/json',
                              'Authorization': f'Bearer {c.token}'})
                r = conn.getresponse()
                data = r.read()
            except (OSError, http.client.HTTPException):
                self.n_lost += 1
                conn.close()
                conn = None
                continue
            if r.status == 200 and json.loads(data).get('answer') == answer:
                c.acked = ANSWER[answer]
                c.pending = set()
                self.n_ok += 1
            else:
                self.bad.append(f'customer {c.id}: status {r.status} {data[:100]!r}')
        if conn is not None:
            conn.close()


def spawn_on_socket(tmp, db, lsock):
    """serve with @lsock as fd 3, LISTEN_FDS=1 and LISTEN_PID = its own pid
    (set by the shell that execs it)."""
    env = S.child_env()
    env['LISTEN_FDS'] = '1'
    env.pop('LISTEN_PID', None)
    fd = lsock.fileno()
    move = '' if fd == 3 else f'exec 3<&{fd} {fd}<&-; '
    argv = ['/bin/sh', '-c', move + 'LISTEN_PID=$$ exec "$@"', 'sh',
            S.exe('drdeskctl'), '--db', db, *SERVE_ARGS]
    err = open(tmp.path('kill.err'), 'ab')
    p = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=err, env=env, pass_fds=(fd,),
                         start_new_session=True)
    err.close()
    tmp.procs.append(p)
    return p, read_listening(p)


def check_answers(db, custs):
    out = []
    with S.ro(db) as con:
        rows = dict(con.execute('SELECT customer_id, answer FROM responses WHERE event_id = ?',
                                (EVENT,)))
    for c in custs:
        allowed = set(c.pending) | {c.acked if c.acked is not None else 0}
        if rows.get(c.id) not in allowed:
            out.append(f'customer {c.id}: stored {rows.get(c.id)}, acknowledged {c.acked}, '
                       f'in flight {c.pending}')
    return out


def test_kill_restart(tmp, db):
    global EVENT
    start = S.next_slot(ahead=3600)
    EVENT = S.event_start(db, 'systemd restart test', start, start + 7200, start)
    tokens = S.links(db, EVENT)
    custs = [Customer(cid, tok) for cid, tok in sorted(tokens.items())]
    lsock = socket.socket()
    lsock.bind(('127.0.0.1', 0))
    lsock.listen(1024)
    port = lsock.getsockname()[1]
    rng = random.Random(S.env_int('DRD_STRESS_SEED', 1))
    serve, url = spawn_on_socket(tmp, db, lsock)
    if url != f'http://127.0.0.1:{port}/':
        problem(f'inherited socket: LISTENING {url}, the socket is port {port}')
    loaders = [Loader(port, custs[k::N_CONN], random.Random(rng.random())) for k in range(N_CONN)]
    for t in loaders:
        t.start()
    t0 = time.monotonic()
    for rnd in range(ROUNDS):
        time.sleep(rng.uniform(0.3, 1.0))
        S.kill9(serve)
        serve, _ = spawn_on_socket(tmp, db, lsock)
    time.sleep(0.5)
    for t in loaders:
        t.stop = True
    for t in loaders:
        t.join(15)
    elapsed = time.monotonic() - t0
    n_ok = sum(t.n_ok for t in loaders)
    n_lost = sum(t.n_lost for t in loaders)
    n_refused = sum(t.n_refused for t in loaders)
    for t in loaders:
        for b in t.bad:
            problem(b)
    if n_refused:
        problem(f'{n_refused} connections refused across the restarts')
    if S.integrity(db) != 'ok':
        problem('integrity_check failed')
    mism = check_answers(db, custs)
    for m in mism[:20]:
        problem(m)
    status, _ = get('127.0.0.1', port)
    if status != 200:
        problem(f'after the last restart /healthz answered {status}')
    S.kill9(serve)
    lsock.close()
    S.log(f'# inherited socket: {ROUNDS} SIGKILLs and restarts in {elapsed:.1f} s, {n_ok} answers '
          f'acknowledged, {n_lost} requests lost in kills (not acknowledged), {n_refused} '
          f'connections refused, {len(mism)} stored answers differing from the acknowledged ones')
    return n_ok


# ---- 4. TLS --------------------------------------------------------------

def make_cert(tmp, name, cn):
    cert, key = tmp.path(f'{name}.crt'), tmp.path(f'{name}.key')
    subprocess.run(['openssl', 'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key,
                    '-out', cert, '-days', '2', '-subj', f'/CN={cn}',
                    '-addext', 'subjectAltName=IP:127.0.0.1'],
                   check=True, capture_output=True)
    return cert, key


def tls_get(port, cafile):
    ctx = ssl.create_default_context(cafile=cafile)
    conn = http.client.HTTPSConnection('127.0.0.1', port, timeout=5, context=ctx)
    try:
        conn.request('GET', '/healthz')
        r = conn.getresponse()
        r.read()
        return r.status, r.getheader('Strict-Transport-Security'), \
            conn.sock.getpeercert()['subject']
    finally:
        conn.close()


def test_tls(tmp, db):
    if shutil.which('openssl') is None:
        S.log('# openssl is not installed: part 4 skipped')
        return
    cert_a, key_a = make_cert(tmp, 'a', 'first')
    cert_b, key_b = make_cert(tmp, 'b', 'second')
    live_cert, live_key = tmp.path('live.crt'), tmp.path('live.key')
    shutil.copy(cert_a, live_cert)
    shutil.copy(key_a, live_key)
    serve, url = S.spawn_listening(tmp, [S.exe('drdeskctl'), '--db', db, *SERVE_ARGS,
                                         '--listen', '127.0.0.1:0', '--tls-cert', live_cert,
                                         '--tls-key', live_key], 'tls.err')
    port = urllib.parse.urlparse(url).port
    if not url.startswith('https://127.0.0.1:'):
        problem(f'TLS: LISTENING {url}, wanted https://')
    status, hsts, subject = tls_get(port, cert_a)
    if status != 200 or not hsts or 'max-age=' not in hsts:
        problem(f'TLS: /healthz {status}, Strict-Transport-Security {hsts!r}')
    # Plain HTTP on the TLS port gets no answer (and does not hang serve).
    try:
        get('127.0.0.1', port, timeout=2)
        problem('TLS: a plain HTTP request was answered')
    except (OSError, http.client.HTTPException):
        pass
    # A renewed certificate: replace the files, SIGHUP.
    shutil.copy(cert_b, live_cert)
    shutil.copy(key_b, live_key)
    serve.send_signal(signal.SIGHUP)
    time.sleep(0.5)
    try:
        status_b, _, subject_b = tls_get(port, cert_b)
    except (OSError, ssl.SSLError) as e:
        status_b, subject_b = f'error {e}', None
    if status_b != 200 or 'second' not in str(subject_b):
        problem(f'TLS after SIGHUP: {status_b}, certificate subject {subject_b}')
    # A broken file on SIGHUP keeps the certificate in use.
    with open(live_cert, 'w') as f:
        f.write('not a certificate\n')
    serve.send_signal(signal.SIGHUP)
    time.sleep(0.5)
    status_c, _, subject_c = tls_get(port, cert_b)
    if status_c != 200 or 'second' not in str(subject_c):
        problem(f'TLS after a bad SIGHUP: {status_c}, {subject_c}')
    if serve.poll() is not None:
        problem(f'TLS: serve exited {serve.returncode}')
    S.kill9(serve)
    S.log(f'# TLS: LISTENING {url}, HSTS {hsts!r}, reloaded on SIGHUP ({subject} → {subject_b}), '
          f'a broken file kept the certificate in use')


def main():
    tmp = S.Tmp('drd-serve-systemd-')
    try:
        db = tmp.path('serve.db')
        S.ctl(db, 'init')
        S.ctl(db, 'demo', '--customers', str(N_CUSTOMERS))
        test_socket_activate(tmp, db)
        test_notify(tmp, db, f'@drd-notify-{os.getpid()}')
        test_notify(tmp, db, tmp.path('notify.sock'))
        n_ok = test_kill_restart(tmp, db)
        test_tls(tmp, db)
        for name in ('activate.err', 'notify.err', 'kill.err', 'tls.err'):
            for line in S.log_problems(tmp.path(name)):
                problem(f'{name}: {line}')
        S.finish(not problems and n_ok > 0,
                 f'serve-systemd: socket activation, notify, {ROUNDS} restarts on an inherited '
                 f'socket, TLS: {len(problems)} problems')
    finally:
        tmp.cleanup()


if __name__ == '__main__':
    main()
