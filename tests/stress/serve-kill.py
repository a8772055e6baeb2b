#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Crash safety of the portal: while several connections post answers to
`drdeskctl serve` (distinct customers, answers changing all the time, JSON
API and the HTML form), serve is SIGKILLed at a random moment, restarted,
and the database is checked: every customer's stored answer is the latest
one serve acknowledged (2xx/303) — or an answer sent after it whose reply
was lost in the kill — and PRAGMA integrity_check is ok.

  tests/stress/serve-kill.py
  env: DRD_BUILD_DIR, DRD_STRESS_ROUNDS (default 4; full run 20),
       DRD_STRESS_CUSTOMERS (300), DRD_STRESS_CONNECTIONS (6)
Loopback only; every round is bounded (a kill within 0.3-2 s of load)."""

import http.client
import json
import random
import threading
import time
import urllib.parse

import stresslib as S

ROUNDS = S.env_int('DRD_STRESS_ROUNDS', 4)
N_CUSTOMERS = S.env_int('DRD_STRESS_CUSTOMERS', 300)
N_CONN = S.env_int('DRD_STRESS_CONNECTIONS', 6)
ANSWER = {'accept': 1, 'deny': 2}


class Customer:
    def __init__(self, cid, token):
        self.id = cid
        self.token = token
        self.acked = None        # last acknowledged answer (1/2), None = never
        self.pending = set()     # answers sent after it whose reply was lost
        self.n_acked = 0


class Loader(threading.Thread):
    """One keep-alive connection posting answers for its own customers,
    one request at a time (so each customer's requests are ordered)."""

    def __init__(self, url, customers, rng):
        super().__init__(daemon=True)
        u = urllib.parse.urlparse(url)
        self.host, self.port = u.hostname, u.port
        self.customers = customers
        self.rng = rng
        self.stop = False
        self.n_ok = 0
        self.n_err = 0
        self.bad = []

    def request(self, conn, c, event, answer):
        if self.rng.random() < 0.25:
            body = urllib.parse.urlencode({'event_id': event, 'answer': answer})
            conn.request('POST', f'/r/{c.token}', body,
                         {'Content-Type': 'application/x-www-form-urlencoded'})
            r = conn.getresponse()
            r.read()
            return r.status == 303, r.status
        body = json.dumps({'event_id': event, 'answer': answer})
        conn.request('POST', '/api/v1/answers', body,
                     {'Content-Type': 'application/json', 'Authorization': f'Bearer {c.token}'})
        r = conn.getresponse()
        data = r.read()
        if r.status == 200:
            stored = json.loads(data)
            if stored.get('answer') != answer:
                self.bad.append(f'customer {c.id}: sent {answer}, acknowledged {data!r}')
        return r.status == 200, r.status

    def run(self):
        conn = None
        while not self.stop:
            if conn is None:
                conn = http.client.HTTPConnection(self.host, self.port, timeout=5)
            c = self.rng.choice(self.customers)
            answer = self.rng.choice(['accept', 'deny'])
            c.pending.add(ANSWER[answer])
            try:
                ok, status = self.request(conn, c, EVENT, answer)
            except (OSError, http.client.HTTPException):
                self.n_err += 1
                conn.close()
                conn = None
                if self.stop:
                    break
                time.sleep(0.05)
                continue
            if ok:
                c.acked = ANSWER[answer]
                c.pending = set()
                c.n_acked += 1
                self.n_ok += 1
            else:
                # Never expected here (open event, own token, no rate limit).
                self.bad.append(f'customer {c.id}: status {status}')
        if conn is not None:
            conn.close()


def check(db, custs):
    problems = []
    with S.ro(db) as con:
        rows = dict(con.execute('SELECT customer_id, answer FROM responses WHERE event_id = ?', (EVENT,)))
        # The audit trail agrees with the table (same transaction).
        last_audit = dict(con.execute(
            "SELECT customer_id, json_extract(detail, '$.new') FROM audit_log "
            "WHERE id IN (SELECT max(id) FROM audit_log WHERE action = 'answer' AND event_id = ? "
            "GROUP BY customer_id)", (EVENT,)))
    n_exact = 0   # stored = latest acknowledged
    for c in custs:
        got = rows.get(c.id)
        allowed = set(c.pending)
        allowed.add(c.acked if c.acked is not None else 0)
        if got not in allowed:
            problems.append(f'customer {c.id}: stored {got}, acknowledged {c.acked}, in flight {c.pending}')
        if c.acked is not None and got == c.acked:
            n_exact += 1
        if got and {'accept': 1, 'deny': 2}.get(last_audit.get(c.id)) != got:
            problems.append(f'customer {c.id}: stored {got}, last audit row {last_audit.get(c.id)}')
    return problems, n_exact


def main():
    global EVENT
    tmp = S.Tmp('drd-serve-kill-')
    try:
        db = tmp.path('serve.db')
        S.ctl(db, 'init')
        S.ctl(db, 'demo', '--customers', str(N_CUSTOMERS))
        start = S.next_slot(ahead=3600)
        EVENT = S.event_start(db, 'kill test', start, start + 7200, start)
        tokens = S.links(db, EVENT)
        custs = [Customer(cid, tok) for cid, tok in sorted(tokens.items())]
        rng = random.Random(S.env_int('DRD_STRESS_SEED', 1))
        groups = [custs[k::N_CONN] for k in range(N_CONN)]
        total_ok = total_err = 0
        mid_kills = 0
        problems = []
        t0 = time.monotonic()
        for rnd in range(1, ROUNDS + 1):
            serve, url = S.spawn_listening(
                tmp, [S.exe('drdeskctl'), '--db', db, 'serve', '--listen', '127.0.0.1:0',
                      '--rate-limit', '0', '--no-notifier'], 'serve.err')
            loaders = [Loader(url, g, random.Random(rng.random())) for g in groups]
            for t in loaders:
                t.start()
            time.sleep(rng.uniform(0.3, 2.0))
            ok_before = sum(t.n_ok for t in loaders)
            S.kill9(serve)
            time.sleep(0.2)
            for t in loaders:
                t.stop = True
            for t in loaders:
                t.join(10)
            n_ok = sum(t.n_ok for t in loaders)
            n_err = sum(t.n_err for t in loaders)
            in_flight = sum(1 for c in custs if c.pending)
            mid_kills += in_flight > 0
            total_ok += n_ok
            total_err += n_err
            for t in loaders:
                problems += t.bad
            integ = S.integrity(db)
            if integ != 'ok':
                problems.append(f'round {rnd}: integrity_check: {integ}')
            p, n_checked = check(db, custs)
            problems += p
            S.log(f'# round {rnd}: {n_ok} answers acknowledged ({ok_before} before the kill), '
                  f'{n_err} connection errors, {in_flight} customers with an unanswered request, '
                  f'integrity {integ}, {len(p)} mismatches')
            if problems:
                break
        # A last restart: serve comes up on the killed database and answers.
        serve, url = S.spawn_listening(tmp, [S.exe('drdeskctl'), '--db', db, 'serve', '--listen',
                                             '127.0.0.1:0', '--no-notifier'], 'serve.err')
        u = urllib.parse.urlparse(url)
        conn = http.client.HTTPConnection(u.hostname, u.port, timeout=5)
        conn.request('GET', '/healthz')
        healthy = conn.getresponse().status == 200
        S.kill9(serve)
        acked_customers = sum(1 for c in custs if c.acked is not None)
        _, n_checked = check(db, custs)
        problems += [f'serve logged: {line}' for line in S.log_problems(tmp.path('serve.err'))]
        for m in problems[:20]:
            S.log(f'# PROBLEM {m}')
        S.finish(not problems and healthy and ROUNDS > 0,
                 f'serve-kill: {ROUNDS} rounds in {time.monotonic() - t0:.1f} s, '
                 f'{total_ok} answers acknowledged, {acked_customers} customers with an acknowledged '
                 f'answer, {n_checked} found with their latest acknowledged value, '
                 f'{mid_kills} kills with requests in flight, {total_err} connection errors, '
                 f'restart healthy={healthy}, problems {len(problems)}')
    finally:
        tmp.cleanup()


if __name__ == '__main__':
    main()
