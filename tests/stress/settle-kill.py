#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Crash safety of settlement: `drdeskctl settle` is SIGKILLed at random
moments (while it fetches, computes and commits), resumed, killed again …
until every event is settled; the settlement rows and the points ledger
then equal, credit for credit, those of an uninterrupted run on a copy of
the same database against the same (deterministic) KEPCO simulator.

  tests/stress/settle-kill.py
  env: DRD_BUILD_DIR, DRD_STRESS_ROUNDS (kills, default 4; full run 20),
       DRD_STRESS_CUSTOMERS (120), DRD_STRESS_LATENCY_MS (simulator, 8)
Loopback only; each kill comes 0.15-0.9 s after a start."""

import random
import subprocess
import time

import stresslib as S

ROUNDS = S.env_int('DRD_STRESS_ROUNDS', 4)
N_CUSTOMERS = S.env_int('DRD_STRESS_CUSTOMERS', 120)
LATENCY = S.env_int('DRD_STRESS_LATENCY_MS', 8)
# Enough work that every kill lands mid-way: one event per kill.
N_EVENTS = max(2, ROUNDS)


def weekdays_before(n, first_day_ago=14):
    """n past weekdays (14:00-16:00 KST windows), a week apart."""
    out = []
    t = S.next_slot() - first_day_ago * 86400
    while len(out) < n:
        d = S.dt.datetime.fromtimestamp(t, S.KST)
        if d.weekday() < 5:
            day = d.replace(hour=14, minute=0, second=0, microsecond=0)
            s = int(day.timestamp())
            out.append((s, s + 7200))
            t -= 7 * 86400
        else:
            t -= 86400
    return out


def main():
    tmp = S.Tmp('drd-settle-kill-')
    try:
        db = tmp.path('settle.db')
        copy = tmp.path('copy.db')
        S.ctl(db, 'init')
        S.ctl(db, 'demo', '--customers', str(N_CUSTOMERS), '--seed', '7')
        rng = random.Random(S.env_int('DRD_STRESS_SEED', 2))
        windows = weekdays_before(N_EVENTS)
        events = []
        for i, (s, e) in enumerate(windows):
            ev = S.event_start(db, f'kill {i}', s, e)
            # Answers on the customers' behalf (recorded after the fact).
            for cid in range(1, N_CUSTOMERS + 1, 5):
                S.ctl(db, 'answer', str(ev), str(cid), 'accept' if cid % 2 else 'deny')
            S.ctl(db, 'event', 'end', str(ev))
            events.append(ev)
        S.backup(db, copy)

        sim_args = [S.exe('drdesk-kepco-sim'), '--listen', '127.0.0.1:0', '--seed', '5',
                    '--latency-ms', str(LATENCY)]
        for s, e in windows:
            sim_args += ['--event', f'{S.iso(s)}/{S.iso(e)}']
        sim, url = S.spawn_listening(tmp, sim_args, 'sim.err')

        t0 = time.monotonic()
        for ev in events:
            S.ctl(copy, 'settle', str(ev), '--kepco-url', url, '--service-key', 'k')
        t_clean = time.monotonic() - t0

        kills = mid_kills = runs = 0
        problems = []
        t0 = time.monotonic()
        for ev in events:
            while True:
                runs += 1
                err = open(tmp.path('settle.err'), 'ab')
                p = subprocess.Popen([S.exe('drdeskctl'), '--db', db, 'settle', str(ev), '--kepco-url',
                                      url, '--service-key', 'k'], stdout=subprocess.DEVNULL,
                                     stderr=err, env=S.child_env(), start_new_session=True)
                err.close()
                if kills < ROUNDS:
                    try:
                        p.wait(rng.uniform(0.15, 0.9))
                    except subprocess.TimeoutExpired:
                        S.kill9(p)
                        kills += 1
                        with S.ro(db) as c:
                            n_set, status = c.execute(
                                'SELECT (SELECT count(*) FROM settlements WHERE event_id = ?1), '
                                'status FROM events WHERE id = ?1', (ev,)).fetchone()
                        mid_kills += status != 4
                        integ = S.integrity(db)
                        if integ != 'ok':
                            problems.append(f'kill {kills}: integrity_check {integ}')
                        S.log(f'# kill {kills}: event {ev} at {n_set}/{N_CUSTOMERS} settled, '
                              f'status {status}, integrity {integ}')
                        continue
                else:
                    p.wait(600)
                if p.returncode != 0:
                    problems.append(f'event {ev}: settle exited {p.returncode}')
                break
        t_killed = time.monotonic() - t0
        S.kill9(sim)

        a = S.settlement_dump(copy)
        b = S.settlement_dump(db)
        if a != b:
            problems.append('settlements or ledger differ from the uninterrupted run')
            for x, y in zip(a[0], b[0]):
                if x != y:
                    problems.append(f'first difference: {x} vs {y}')
                    break
        with S.ro(db) as c:
            dup = c.execute('SELECT count(*) FROM (SELECT 1 FROM points_ledger GROUP BY event_id, '
                            'customer_id, reason HAVING count(*) > 1)').fetchone()[0]
            unsettled = c.execute('SELECT count(*) FROM events WHERE status <> 4').fetchone()[0]
        if dup or unsettled:
            problems.append(f'{dup} double credits, {unsettled} events not settled')
        problems += [f'settle logged: {line}' for line in S.log_problems(tmp.path('settle.err'))]
        if mid_kills < ROUNDS:
            problems.append(f'only {mid_kills} of {ROUNDS} kills landed before the end (more work needed)')
        for m in problems[:20]:
            S.log(f'# PROBLEM {m}')
        S.finish(not problems,
                 f'settle-kill: {kills} kills ({mid_kills} mid-settlement) over {runs} runs, '
                 f'{len(events)} events x {N_CUSTOMERS} customers, {len(b[0])} settlement rows, '
                 f'{len(b[1])} credits (sum {sum(r[3] for r in b[1])}), ledger equal to the uninterrupted '
                 f'run: {a == b}; uninterrupted {t_clean:.1f} s, killed+resumed {t_killed:.1f} s')
    finally:
        tmp.cleanup()


if __name__ == '__main__':
    main()
