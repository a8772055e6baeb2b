#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Hostile clients against `drdeskctl serve` on 127.0.0.1: forged and
truncated tokens, customer A's token on customer B's event (form and API),
oversized and endless bodies, slowloris (cut off while others are served
quickly), CR/LF injection, path traversal, SQL and HTML metacharacters in
every field. Afterwards: nothing in responses/audit_log changed (checksum
before/after), serve still answers /healthz, no response body carried
another customer's data, no injected header came back.

  tests/stress/hostile-client.py
  env: DRD_BUILD_DIR, DRD_STRESS_CUSTOMERS (40)"""

import hashlib
import http.client
import json
import socket
import threading
import time
import urllib.parse

import stresslib as S

N_CUSTOMERS = S.env_int('DRD_STRESS_CUSTOMERS', 40)
REQUEST_TIMEOUT = 2
XSS = '<script>alert(1)</script>'
SQLI = ["1 OR 1=1", "1; DROP TABLE responses; --", "' OR '1'='1", '"', "1' --", "0x1", "-1", "1e3",
        "99999999999999999999999", "1/*", "%00", "\\", XSS, '"><img src=x onerror=alert(1)>']


class Run:
    def __init__(self, host, port):
        self.host, self.port = host, port
        self.problems = []
        self.bodies = []      # (label, token owner or None, body text)
        self.n = 0

    def bad(self, msg):
        self.problems.append(msg)

    def req(self, label, method, path, body=None, headers=None, owner=None, expect=None):
        conn = http.client.HTTPConnection(self.host, self.port, timeout=10)
        try:
            conn.request(method, path, body, headers or {})
            r = conn.getresponse()
            data = r.read().decode('utf-8', errors='replace')
            hdrs = r.getheaders()
        finally:
            conn.close()
        self.n += 1
        self.bodies.append((label, owner, data))
        for k, v in hdrs:
            if k.lower() in ('set-cookie', 'injected', 'x-injected') or 'injected' in v.lower():
                self.bad(f'{label}: header {k}: {v}')
        if XSS in data:
            self.bad(f'{label}: unescaped script in the body')
        if expect is not None and r.status not in expect:
            self.bad(f'{label}: {method} {path[:80]} → {r.status}, expected {expect}')
        return r.status, data

    def raw(self, label, payload, read_timeout=5, owner=None):
        s = socket.create_connection((self.host, self.port), timeout=read_timeout)
        try:
            s.sendall(payload)
            chunks = []
            while True:
                try:
                    b = s.recv(65536)
                except socket.timeout:
                    break
                if not b:
                    break
                chunks.append(b)
        except (ConnectionResetError, BrokenPipeError):
            pass
        finally:
            s.close()
        out = b''.join(chunks).decode('utf-8', errors='replace')
        self.n += 1
        head = out.split('\r\n\r\n', 1)[0]
        for line in head.split('\r\n')[1:]:
            if line.lower().startswith(('injected', 'set-cookie', 'x-injected')):
                self.bad(f'{label}: injected header came back: {line}')
        self.bodies.append((label, owner, out))
        return out


BIG = 200 * 1000 * 1000


def rss_kb(pid):
    for line in open(f'/proc/{pid}/status'):
        if line.startswith('VmRSS:'):
            return int(line.split()[1])
    return -1


def checksum(db):
    h = hashlib.sha256()
    with S.ro(db) as c:
        for table in ('responses', 'audit_log', 'settlements', 'points_ledger', 'events', 'customers'):
            for row in c.execute(f'SELECT * FROM {table} ORDER BY 1, 2'):
                h.update(repr(row).encode())
    return h.hexdigest()


def main():
    tmp = S.Tmp('drd-hostile-')
    try:
        db = tmp.path('hostile.db')
        S.ctl(db, 'init')
        S.ctl(db, 'demo', '--customers', str(N_CUSTOMERS))
        custs = S.customers(db)
        by_res = {}
        for c in custs:
            by_res.setdefault(c['resource'], []).append(c)
        res = sorted(by_res, key=lambda r: -len(by_res[r]))[:2]
        start = S.next_slot(ahead=3600)
        ev_a = S.event_start(db, 'A only', start, start + 3600, start, resources=[res[0]])
        ev_b = S.event_start(db, 'B only', start, start + 3600, start, resources=[res[1]])
        tok_a = S.links(db, ev_a)
        tok_b = S.links(db, ev_b)
        a = by_res[res[0]][0]
        b = by_res[res[1]][0]
        ta, tb = tok_a[int(a['customer_id'])], tok_b[int(b['customer_id'])]
        # Every customer's identifying strings, to look for in bodies.
        secrets = {c['customer_id']: [c['name'], c['kepco_customer_no']] + [x for x in (c['phone'], c['email']) if x]
                   for c in custs}
        all_tokens = {**{str(k): v for k, v in tok_a.items()}, **{str(k): v for k, v in tok_b.items()}}

        serve, url = S.spawn_listening(tmp, [S.exe('drdeskctl'), '--db', db, 'serve', '--listen',
                                             '127.0.0.1:0', '--rate-limit', '0', '--no-notifier',
                                             '--request-timeout', str(REQUEST_TIMEOUT)], 'serve.err')
        u = urllib.parse.urlparse(url)
        run = Run(u.hostname, u.port)
        before = checksum(db)
        js = {'Content-Type': 'application/json'}
        form = {'Content-Type': 'application/x-www-form-urlencoded'}

        def api(label, token, body, owner=None, expect=None):
            h = dict(js)
            if token is not None:
                h['Authorization'] = f'Bearer {token}'
            return run.req(label, 'POST', '/api/v1/answers', body if isinstance(body, (str, bytes))
                           else json.dumps(body), h, owner, expect)

        # ---- forged and truncated tokens ----
        forged = ['A' * 43, ta[:-1], ta[:-8], ta + 'x', ta.upper(), tb[::-1], '', '.', '..', '%2e%2e',
                  ta[:22], ta + '%00', "' OR '1'='1", XSS, 'a' * 5000]
        for t in forged:
            q = urllib.parse.quote(t, safe='')
            run.req('forged page', 'GET', f'/r/{q}', expect={400, 404, 414, 431})
            run.req('forged form', 'POST', f'/r/{q}', f'event_id={ev_a}&answer=accept', form,
                    expect={400, 404, 405, 413, 414, 431})
            api('forged api', t, {'event_id': ev_a, 'answer': 'accept'}, expect={400, 401, 404, 413, 431})
            run.req('forged me', 'GET', '/api/v1/me', headers={'Authorization': f'Bearer {t}'},
                    expect={400, 401, 404, 431})
        api('no token', None, {'event_id': ev_a, 'answer': 'accept'}, expect={401})
        run.req('basic auth', 'GET', '/api/v1/me', headers={'Authorization': 'Basic ' + ta},
                expect={400, 401})

        # ---- A's token on B's event (API and form) ----
        api('A on B api', ta, {'event_id': ev_b, 'answer': 'accept'}, owner=a['customer_id'], expect={404})
        run.req('A on B form', 'POST', f'/r/{ta}', f'event_id={ev_b}&answer=accept', form,
                owner=a['customer_id'], expect={303, 400, 404})
        api('B on A api', tb, {'event_id': ev_a, 'answer': 'deny'}, owner=b['customer_id'], expect={404})
        run.req('A page', 'GET', f'/r/{ta}', owner=a['customer_id'], expect={200})
        run.req('A me', 'GET', '/api/v1/me', headers={'Authorization': f'Bearer {ta}'},
                owner=a['customer_id'], expect={200})
        # Duplicate fields: the second event_id must not sneak in.
        run.req('A dup field', 'POST', f'/r/{ta}', f'event_id={ev_a}&event_id={ev_b}&answer=maybe', form,
                owner=a['customer_id'], expect={303, 400, 404, 409})

        # ---- metacharacters in every field ----
        for v in SQLI:
            api('meta event_id', ta, json.dumps({'event_id': v, 'answer': 'accept'}),
                owner=a['customer_id'], expect={400, 404})
            api('meta answer', ta, {'event_id': ev_a, 'answer': v}, owner=a['customer_id'], expect={400})
            api('meta key', ta, {v: ev_a, 'answer': 'maybe'}, owner=a['customer_id'], expect={400})
            q = urllib.parse.quote(v, safe='')
            run.req('meta form', 'POST', f'/r/{ta}', f'event_id={q}&answer={q}', form,
                    owner=a['customer_id'], expect={303, 400, 404})
            run.req('meta query', 'GET', f'/r/{ta}?lang={q}&x={q}', owner=a['customer_id'], expect={200, 400})
            run.req('meta accept-language', 'GET', f'/r/{ta}', headers={'Accept-Language': v.replace('\\', '')},
                    owner=a['customer_id'], expect={200, 400})
        for body in ['', '{', '[]', 'null', '{"event_id":1e999,"answer":"accept"}', '\xff\xfe',
                     json.dumps({'event_id': ev_a, 'answer': 'accept', 'customer_id': b['customer_id']})[:-1],
                     '{"event_id":%d,"answer":"accept","answer":"deny"' % ev_a]:
            api('bad json', ta, body.encode('latin-1', errors='replace'), owner=a['customer_id'],
                expect={400})
        api('json wrong type', ta, {'event_id': str(ev_a), 'answer': ['accept']}, owner=a['customer_id'],
            expect={400})
        run.req('form wrong type', 'POST', f'/r/{ta}', json.dumps({'event_id': ev_a}), js,
                owner=a['customer_id'], expect={303, 400, 415})

        # ---- CR/LF injection ----
        for q in ['%0d%0aInjected:%20yes', '%0aSet-Cookie:%20x=1', '%E5%98%8A%E5%98%8DInjected:%20yes']:
            run.req('crlf query', 'GET', f'/r/{ta}?lang={q}', owner=a['customer_id'], expect={200, 400})
            run.req('crlf path', 'GET', f'/r/{ta}{q}', expect={400, 404})
            run.req('crlf static', 'GET', f'/static/portal.css{q}', expect={400, 404})
        run.raw('bare CR header', (f'GET /r/{ta} HTTP/1.1\r\nHost: x\r\nAccept-Language: ko\rInjected: yes\r\n'
                                   f'Connection: close\r\n\r\n').encode(), owner=a['customer_id'])
        run.raw('LF only', f'GET /healthz HTTP/1.1\nHost: x\nX-A: b\nInjected: yes\nConnection: close\n\n'.encode())
        run.raw('CRLF in form value', (f'POST /r/{ta} HTTP/1.1\r\nHost: x\r\nContent-Type: '
                                       f'application/x-www-form-urlencoded\r\nContent-Length: 40\r\n'
                                       f'Connection: close\r\n\r\nevent_id={ev_a}%0d%0aInjected:1&answer=accept'
                                       ).encode()[:400], owner=a['customer_id'])

        # ---- path traversal ----
        for p in ['/static/../../../../etc/passwd', '/static/%2e%2e/%2e%2e/etc/passwd',
                  '/static/..%2f..%2f..%2fetc%2fpasswd', '/static/%252e%252e/etc/passwd',
                  '/static/....//....//etc/passwd', '/static//etc/passwd', '/static/', '/static',
                  '/static/portal.css/../../../../etc/passwd', '/r/../static/portal.css',
                  '/r/%2e%2e/%2e%2e/etc/passwd', '//etc/passwd', '/api/v1/../../etc/passwd',
                  '/static/%c0%ae%c0%ae/etc/passwd', '/static/..\\..\\etc\\passwd',
                  '/static/kr/drdesk/portal/portal.css', '/static/.%2e/.%2e/etc/passwd']:
            st, body = run.req('traversal', 'GET', p, expect={200, 301, 308, 400, 404})
            if 'root:' in body or 'daemon:' in body:
                run.bad(f'traversal {p}: /etc/passwd served')
            if st == 200 and p not in ('/r/../static/portal.css',):
                run.bad(f'traversal {p}: 200')
        out = run.raw('raw traversal', b'GET /static/../../../etc/passwd HTTP/1.1\r\nHost: x\r\n'
                      b'Connection: close\r\n\r\n')
        if 'root:' in out:
            run.bad('raw traversal: /etc/passwd served')

        # ---- oversized bodies ----
        api('big json', ta, json.dumps({'event_id': ev_a, 'answer': 'accept', 'pad': 'x' * 40000}),
            owner=a['customer_id'], expect={413})
        # A huge announced body that never comes: no answer is possible
        # before the body; the request timeout cuts the connection.
        t0 = time.monotonic()
        out = run.raw('huge content-length, no body', (f'POST /api/v1/answers HTTP/1.1\r\nHost: x\r\n'
                                                       f'Authorization: Bearer {ta}\r\nContent-Type: '
                                                       f'application/json\r\nContent-Length: 1000000000'
                                                       f'\r\n\r\n').encode(), read_timeout=REQUEST_TIMEOUT + 5)
        if time.monotonic() - t0 > REQUEST_TIMEOUT + 3 or (out and ' 413 ' not in out.split('\r\n', 1)[0]):
            run.bad(f'huge content-length without body: {out[:60]!r} after {time.monotonic() - t0:.1f} s')
        # A big announced body that is sent: 413, and serve does not hold it.
        rss0 = rss_kb(serve.pid)
        s = socket.create_connection((run.host, run.port), timeout=10)
        s.sendall((f'POST /api/v1/answers HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {ta}\r\n'
                   f'Content-Type: application/json\r\nContent-Length: {BIG}\r\n\r\n').encode())
        sent = 0
        try:
            while sent < BIG:
                s.sendall(b'x' * 1000000)
                sent += 1000000
            status = s.recv(40).decode(errors='replace')
        except (BrokenPipeError, ConnectionResetError, socket.timeout) as e:
            status = str(e)
        s.close()
        rss1 = rss_kb(serve.pid)
        if ' 413 ' not in status or rss1 - rss0 > 50000:
            run.bad(f'{BIG} byte body: {status!r}, serve RSS {rss0} → {rss1} kB')
        big_rss = (rss0, rss1)
        # Endless chunked body: cut off (connection closed), well before 1 GB.
        s = socket.create_connection((run.host, run.port), timeout=10)
        s.sendall((f'POST /api/v1/answers HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {ta}\r\n'
                   f'Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n').encode())
        sent = 0
        chunk = b'4000\r\n' + b'x' * 0x4000 + b'\r\n'
        try:
            while sent < 64 * 1024 * 1024:
                s.sendall(chunk)
                sent += len(chunk)
        except (BrokenPipeError, ConnectionResetError, socket.timeout):
            pass
        s.close()
        if sent >= 64 * 1024 * 1024:
            run.bad('endless chunked body: 64 MiB accepted without a cut')

        # ---- slowloris: cut off, others served quickly meanwhile ----
        lat = []
        cut = {}

        def dribble():
            s = socket.create_connection((run.host, run.port), timeout=30)
            t0 = time.monotonic()
            try:
                s.sendall(b'POST /api/v1/answers HTTP/1.1\r\nHost: x\r\n')
                for i in range(60):
                    s.sendall(b'X-Slow-%d: a\r\n' % i)
                    s.settimeout(0.5)
                    try:
                        if s.recv(1) == b'':
                            break
                    except socket.timeout:
                        pass
                cut['after'] = time.monotonic() - t0
            except (BrokenPipeError, ConnectionResetError):
                cut['after'] = time.monotonic() - t0
            finally:
                s.close()

        slow = [threading.Thread(target=dribble) for _ in range(8)]
        for t in slow:
            t.start()
        time.sleep(0.3)
        while any(t.is_alive() for t in slow) and len(lat) < 200:
            t0 = time.monotonic()
            run.req('during slowloris', 'GET', f'/r/{ta}', owner=a['customer_id'], expect={200})
            run.req('health during slowloris', 'GET', '/healthz', expect={200})
            lat.append(time.monotonic() - t0)
            time.sleep(0.02)
        for t in slow:
            t.join(40)
        lat.sort()
        p50 = lat[len(lat) // 2] if lat else -1
        worst = lat[-1] if lat else -1
        if cut.get('after', 99) > REQUEST_TIMEOUT + 3:
            run.bad(f'slowloris connection not cut: {cut}')
        if worst > 1.0:
            run.bad(f'others served slowly during slowloris: worst {worst:.3f} s')

        # ---- after all that ----
        st, body = run.req('healthz', 'GET', '/healthz', expect={200})
        alive = serve.poll() is None and st == 200
        after = checksum(db)
        if before != after:
            run.bad('responses/audit_log/settlements/ledger/events/customers changed')
        # No response carried another customer's data (or anyone's token).
        for label, owner, text in run.bodies:
            for cid, strings in secrets.items():
                if cid == owner:
                    continue
                for sstr in strings:
                    if len(sstr) >= 4 and sstr in text:
                        run.bad(f'{label}: body contains customer {cid}\'s "{sstr}"')
                        break
            for cid, tok in all_tokens.items():
                if cid != owner and tok in text:
                    run.bad(f'{label}: body contains customer {cid}\'s token')
        S.kill9(serve)
        integ = S.integrity(db)
        for line in S.log_problems(tmp.path('serve.err')):
            run.bad(f'serve logged: {line}')
        seen = set()
        for m in run.problems:
            if m not in seen:
                S.log(f'# PROBLEM {m}')
                seen.add(m)
        S.finish(not run.problems and alive and integ == 'ok',
                 f'hostile-client: {run.n} hostile/probe requests, serve alive={alive}, '
                 f'db unchanged={before == after}, integrity {integ}, slowloris cut after '
                 f'{cut.get("after", -1):.1f} s (timeout {REQUEST_TIMEOUT} s), others served meanwhile: '
                 f'{len(lat)} rounds, p50 {p50 * 1000:.0f} ms, worst {worst * 1000:.0f} ms, '
                 f'serve RSS around a {BIG // 1000000} MB body {big_rss[0]} → {big_rss[1]} kB, '
                 f'problems {len(set(run.problems))}')
    finally:
        tmp.cleanup()


if __name__ == '__main__':
    main()
