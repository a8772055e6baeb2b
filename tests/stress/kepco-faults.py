#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Settlement through a faulty KEPCO: `drdeskctl settle` against
drdesk-kepco-sim with --fail-rate 0.3 --timeout-rate 0.05
--malformed-rate 0.05 and an outage window that begins two seconds into
the run completes, by itself, with exactly the results (settlement rows
and credits) of a fault-free run on a copy of the same database.

  tests/stress/kepco-faults.py
  env: DRD_BUILD_DIR, DRD_STRESS_OUTAGE_S (default 5; full run 60),
       DRD_STRESS_FAULT_CUSTOMERS (default 4; full run 25), DRD_STRESS_HOLD_MS (1500)
The client timeout is 1 s and it tries each request up to 10 times (the
kepco-timeout and kepco-max-attempts settings, through a keyfile GSettings
backend in a temp dir); timed-out requests are held 1.5 s; so the run
stays bounded (with the defaults, 4 attempts, a 40 % fault rate makes many
jobs back off 30 s, 60 s, 120 s … and 25 customers took 400 s). The
client's circuit breaker opens only when 27 of the last 30 attempts fail
(not on the 40 % faults, only in the outage), and every opening parks the
jobs for its 30 s cooldown. Loopback only."""

import os
import subprocess
import time

import stresslib as S

OUTAGE = S.env_int('DRD_STRESS_OUTAGE_S', 5)
N_CUSTOMERS = S.env_int('DRD_STRESS_FAULT_CUSTOMERS', 4)
HOLD_MS = S.env_int('DRD_STRESS_HOLD_MS', 1500)
LIMIT_S = OUTAGE + 600


def main():
    tmp = S.Tmp('drd-kepco-faults-')
    try:
        db = tmp.path('faults.db')
        copy = tmp.path('clean.db')
        S.ctl(db, 'init')
        S.ctl(db, 'demo', '--customers', str(N_CUSTOMERS), '--seed', '3')
        # A past weekday afternoon, recorded after the fact.
        t = S.next_slot() - 8 * 86400
        while S.dt.datetime.fromtimestamp(t, S.KST).weekday() >= 5:
            t -= 86400
        day = S.dt.datetime.fromtimestamp(t, S.KST).replace(hour=15, minute=0, second=0, microsecond=0)
        start = int(day.timestamp())
        end = start + 5400
        ev = S.event_start(db, 'faults', start, end)
        for cid in range(1, N_CUSTOMERS + 1):
            if cid % 4 != 3:
                S.ctl(db, 'answer', str(ev), str(cid), 'deny' if cid % 4 == 2 else 'accept')
        S.ctl(db, 'event', 'end', str(ev))
        S.backup(db, copy)
        window = f'{S.iso(start)}/{S.iso(end)}'

        # Fault-free reference.
        sim, url = S.spawn_listening(tmp, [S.exe('drdesk-kepco-sim'), '--listen', '127.0.0.1:0',
                                           '--seed', '9', '--event', window], 'sim-clean.err')
        t0 = time.monotonic()
        S.ctl(copy, 'settle', str(ev), '--kepco-url', url, '--service-key', 'k')
        t_clean = time.monotonic() - t0
        S.kill9(sim)

        # Faults, and an outage from two seconds after the start.
        now = int(time.time())
        outage = f'{S.iso(now + 2)}/{S.iso(now + 2 + OUTAGE)}'
        sim, url = S.spawn_listening(
            tmp, [S.exe('drdesk-kepco-sim'), '--listen', '127.0.0.1:0', '--seed', '9', '--event', window,
                  '--fail-rate', '0.3', '--timeout-rate', '0.05', '--malformed-rate', '0.05',
                  '--hold-ms', str(HOLD_MS), '--outage', outage], 'sim-faults.err')
        conf = tmp.path('config')
        os.makedirs(os.path.join(conf, 'glib-2.0', 'settings'))
        with open(os.path.join(conf, 'glib-2.0', 'settings', 'keyfile'), 'w') as f:
            f.write('[kr/drdesk/DrDesk]\nkepco-timeout=uint32 1\nkepco-max-attempts=uint32 10\n')
        env = S.child_env()
        env['GSETTINGS_BACKEND'] = 'keyfile'
        env['XDG_CONFIG_HOME'] = conf
        t0 = time.monotonic()
        err = open(tmp.path('settle.err'), 'wb')
        p = subprocess.Popen([S.exe('drdeskctl'), '--db', db, 'settle', str(ev), '--kepco-url', url,
                              '--service-key', 'k'], stdout=subprocess.DEVNULL, stderr=err, env=env,
                             start_new_session=True)
        err.close()
        try:
            p.wait(LIMIT_S)
        except subprocess.TimeoutExpired:
            S.kill9(p)
        t_faults = time.monotonic() - t0
        S.kill9(sim)
        log = open(tmp.path('settle.err'), errors='replace').read()
        sim_log = open(tmp.path('sim-faults.err'), errors='replace').read()

        problems = []
        if p.returncode != 0:
            problems.append(f'settle exited {p.returncode}: {log[-1500:]}')
        a = S.settlement_dump(copy)
        b = S.settlement_dump(db)
        if a != b:
            problems.append('results differ from the fault-free run')
        if len(b[0]) != N_CUSTOMERS:
            problems.append(f'{len(b[0])} of {N_CUSTOMERS} customers settled')
        if t_faults < OUTAGE:
            problems.append(f'finished in {t_faults:.1f} s, before the {OUTAGE} s outage ended')
        waits = [line for line in log.splitlines() if 'waiting' in line]
        S.log('# settle progress with faults (last lines):')
        for line in log.splitlines()[-6:]:
            S.log(f'#   {line}')
        for line in sim_log.splitlines()[-3:]:
            S.log(f'# sim: {line}')
        for m in problems:
            S.log(f'# PROBLEM {m}')
        S.finish(not problems,
                 f'kepco-faults: {N_CUSTOMERS} customers, outage {OUTAGE} s, fault-free {t_clean:.1f} s, '
                 f'with faults {t_faults:.1f} s ({len(waits)} progress lines with waiting jobs), '
                 f'results equal: {a == b} ({len(b[0])} rows, {len(b[1])} credits, '
                 f'sum {sum(r[3] for r in b[1])})')
    finally:
        tmp.cleanup()


if __name__ == '__main__':
    main()
