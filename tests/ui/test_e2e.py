#!/usr/bin/python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""End-to-end test of the real drdesk window through AT-SPI, like a person.

Starts drdesk on a temp database made with `drdeskctl demo`, opens Start
Event, fills it in and starts it; checks the overview shows N "no
response"; answers for two customers with `drdeskctl answer` from outside
and checks the overview and the responses table within a second; ends the
event and checks the timeline shows it ended. Prints TAP.

Needs a display and a session bus (build-aux/dev provides both); run
with Debian's /usr/bin/python3 (pyatspi).  DRDESK and DRDESKCTL name the
executables.
"""
import csv
import io
import os
import subprocess
import sys
import tempfile
import time

N_CUSTOMERS = 120
EVENT_NAME = "Heat wave e2e"

results = []


def tap(ok, what, detail=""):
    results.append(ok)
    print(("ok" if ok else "not ok") + " %d - %s%s" % (len(results), what,
                                                      (" # " + detail) if detail else ""))
    sys.stdout.flush()


def bail(msg):
    print("Bail out! " + msg)
    sys.stdout.flush()
    sys.exit(1)


try:
    import pyatspi
except ImportError as e:
    print("1..0 # SKIP pyatspi not available: %s" % e)
    sys.exit(0)

if not os.environ.get("DISPLAY"):
    print("1..0 # SKIP no display (run through build-aux/dev test)")
    sys.exit(0)

DRDESK = os.environ["DRDESK"]
DRDESKCTL = os.environ["DRDESKCTL"]
tmp = tempfile.mkdtemp(prefix="drdesk-e2e-")
db = os.path.join(tmp, "drdesk.db")


def ctl(*args):
    return subprocess.run([DRDESKCTL, "--db", db] + list(args), check=True,
                          capture_output=True, text=True).stdout


# Never descend into the big lists unless asked: every node is a D-Bus call.
LIST_ROLES = {"table", "tree table", "list", "list box", "tree"}


def walk(node, into_lists=False, depth=0):
    if node is None or depth > 40:
        return
    yield node
    try:
        role = node.getRoleName()
        n = node.childCount
    except Exception:
        return
    if role in LIST_ROLES and not into_lists:
        return
    for i in range(n):
        try:
            child = node.getChildAtIndex(i)
        except Exception:
            continue
        yield from walk(child, into_lists, depth + 1)


def find(root, name=None, role=None, description=None, into_lists=False, timeout=10.0,
         contains=None):
    deadline = time.monotonic() + timeout
    while True:
        for node in walk(root, into_lists):
            try:
                if name is not None and node.name != name:
                    continue
                # GTK 4.8 names a button with a mnemonic "_Label… Label…"
                if contains is not None and contains not in (node.name or ""):
                    continue
                if role is not None and node.getRoleName() != role:
                    continue
                if description is not None and node.description != description:
                    continue
                return node
            except Exception:
                continue
        if time.monotonic() > deadline:
            return None
        time.sleep(0.1)


def click(node):
    action = node.queryAction()
    for i in range(action.nActions):
        if action.getName(i) in ("click", "press", "activate"):
            action.doAction(i)
            return
    action.doAction(0)


def show_page(title):
    tab = find(app, name=title, role="page tab")
    tabs = tab.parent
    for i in range(tabs.childCount):
        if tabs.getChildAtIndex(i).name == title:
            try:
                tabs.querySelection().selectChild(i)
                return
            except NotImplementedError:
                break
    click(tab)


def wait_for(pred, timeout):
    deadline = time.monotonic() + timeout
    while True:
        try:
            v = pred()
        except Exception:
            v = None
        if v:
            return v
        if time.monotonic() > deadline:
            return None
        time.sleep(0.05)


def find_app(timeout=20.0):
    def look():
        desktop = pyatspi.Registry.getDesktop(0)
        for i in range(desktop.childCount):
            app = desktop.getChildAtIndex(i)
            if app is not None and app.name == "drdesk":
                return app
        return None
    return wait_for(look, timeout)


print("1..9")
ctl("init")
ctl("demo", "--customers", str(N_CUSTOMERS), "--seed", "7")

env = dict(os.environ)
env.pop("NO_AT_BRIDGE", None)
env.setdefault("GDK_BACKEND", "x11")
env.setdefault("GSK_RENDERER", "cairo")
log = open(os.path.join(tmp, "drdesk.log"), "w")
# The window serves the customer portal itself: on a free port (never the
# default 8088, which another DR Desk or `drdeskctl serve` may hold).
app_proc = subprocess.Popen([DRDESK, "--db", db, "--listen", "127.0.0.1:0"], env=env, stdout=log, stderr=log)
try:
    app = find_app()
    if app is None:
        bail("drdesk did not show up on the accessibility bus")
    window = find(app, role="frame", timeout=15)
    tap(window is not None, "the window is on the accessibility bus")

    # The overview's portal indicator names the address; the portal answers there.
    portal = find(app, description="Customer portal state")
    running = portal is not None and wait_for(
        lambda: "running" in (portal.name or "") and "http://127.0.0.1:" in portal.name, 15)
    health = None
    if running:
        import re
        import urllib.request
        url = re.search(r"http://127\.0\.0\.1:\d+/", portal.name).group(0)
        try:
            opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
            health = opener.open(url + "healthz", timeout=5).read()
        except Exception as e:
            health = repr(e)
    tap(bool(running) and health == b"ok", "the window serves the customer portal",
        "%r, /healthz %r" % (portal and portal.name, health))

    # Start Event… → the dialog
    start = find(app, contains="Start Event", role="push button")
    if start is None:
        bail("no Start Event button")
    if not wait_for(lambda: start.getState().contains(pyatspi.STATE_SENSITIVE), 20):
        bail("Start Event never became available (database not opened?)")

    def open_dialog():
        d = pyatspi.Registry.getDesktop(0)
        for i in range(app.childCount):
            top = app.getChildAtIndex(i)
            if top is not None and top.name == "Start Event":
                return top
        return None
    dialog = None
    for attempt in range(3):
        click(start)
        dialog = wait_for(open_dialog, 8)
        if dialog is not None:
            break
        time.sleep(0.3)
    tap(dialog is not None, "Start Event opens the dialog")
    if dialog is None:
        bail("no dialog")

    # Fill in the name like a person: focus the field, replace its text.
    name_entry = find(dialog, contains="Event name")
    if name_entry is None:
        bail("no name field")
    try:
        name_entry.queryComponent().grabFocus()
    except Exception:
        pass   # GTK 4.8 does not implement it; the dialog focuses the name itself
    time.sleep(0.5)
    subprocess.run(["xdotool", "key", "--clearmodifiers", "ctrl+a"], check=True)
    subprocess.run(["xdotool", "type", "--delay", "20", EVENT_NAME], check=True)
    time.sleep(0.5)
    summary = find(dialog, description="Customers who will be asked")
    asked = wait_for(lambda: str(N_CUSTOMERS) in summary.name and summary.name, 10)
    tap(bool(asked), "the dialog says how many customers will be asked", repr(summary.name))
    start_button = find(dialog, contains="Start", role="push button")
    time.sleep(0.3)
    click(start_button)

    # The overview shows every targeted customer as "no response".
    none_label = find(app, description="No response count")
    got = wait_for(lambda: none_label.name == str(N_CUSTOMERS), 10)
    tap(bool(got), "overview shows %d no response" % N_CUSTOMERS,
        "label says %r" % none_label.name)

    events = list(csv.DictReader(io.StringIO(ctl("event", "list", "--format", "csv"))))
    ev = [e for e in events if e["name"] == EVENT_NAME]
    if not ev:
        bail("event not in drdeskctl event list: %r" % events)
    event_id = ev[0]["id"]

    # Responses view on screen, so its rows are realised.
    show_page("Responses")
    counts_label = find(app, description="Response counts")

    # Two answers from outside, through another process.
    ctl("answer", event_id, "1", "accept")
    ctl("answer", event_id, "2", "deny")
    t0 = time.monotonic()
    accepted = find(app, description="Accepted count")
    denied = find(app, description="Denied count")
    ok = wait_for(lambda: accepted.name == "1" and denied.name == "1" and
                  none_label.name == str(N_CUSTOMERS - 2), 1.0)
    dt = time.monotonic() - t0
    tap(bool(ok), "overview counts follow outside answers within a second",
        "%.0f ms; accepted %s denied %s none %s" % (dt * 1000, accepted.name, denied.name,
                                                     none_label.name))
    ok = wait_for(lambda: "1 accepted" in counts_label.name and "1 denied" in counts_label.name,
                  1.0 - min(dt, 1.0) + 0.2)
    table = find(app, name="Responses", role="table") or find(app, name="Responses", role="tree table")
    cell = table and find(table, name="Accepted", into_lists=True, timeout=2)
    tap(bool(ok) and cell is not None, "the responses table shows the answers",
        repr(counts_label.name))

    # End the event, confirming.
    show_page("DR Timeline")
    end_button = find(app, contains="End Event", role="push button")
    wait_for(lambda: end_button.getState().contains(pyatspi.STATE_SENSITIVE), 5)
    click(end_button)
    confirm = wait_for(lambda: [n for n in walk(app) if n.getRoleName() == "push button"
                                and "End Event" in n.name and "…" not in n.name] or None, 10)
    if not confirm:
        bail("no confirmation")
    click(confirm[0])
    timeline = find(app, name="DR timeline")
    # (the window's settler may have moved it on to settling already)
    ended = wait_for(lambda: any("%s: %s" % (EVENT_NAME, st) in (timeline.description or "")
                                 for st in ("Ended", "Settling", "Settled")), 5)
    tap(bool(ended), "the timeline shows the event ended", repr(timeline.description))
    selected = find(app, description="Selected event")
    # The window runs the settler: an ended event moves on to settling
    # (and settled) by itself.
    tap(selected is not None and any(s in selected.name for s in ("Ended", "Settling", "Settled")),
        "the selected event reads Ended (or Settling: settlement started)",
        repr(selected and selected.name))
finally:
    app_proc.terminate()
    try:
        app_proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        app_proc.kill()
    log.close()

sys.exit(0 if all(results) and len(results) == 9 else 1)
