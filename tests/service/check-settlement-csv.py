#!/usr/bin/python3
# SPDX-License-Identifier: GPL-3.0-or-later
# Reads a settlement CSV export with Python's csv module and compares every
# field exactly with expected raw values (JSON written by test-settle:
# energies in Wh, answered_at in Unix seconds).
#   check-settlement-csv.py FILE.csv EXPECTED.json [--bom]
import csv
import datetime
import json
import sys

HEADER = ["event_id", "event_name", "customer_id", "customer_name", "kepco_customer_no",
          "answer", "answered_at", "baseline_kwh", "actual_kwh", "reduction_kwh",
          "outcome", "points"]
SEOUL = datetime.timezone(datetime.timedelta(hours=9))


def kwh(wh):
    if wh is None:
        return ""
    sign = "-" if wh < 0 else ""
    return "%s%d.%03d" % (sign, abs(wh) // 1000, abs(wh) % 1000)


def when(t):
    if t is None:
        return ""
    return datetime.datetime.fromtimestamp(t, SEOUL).isoformat()


def main():
    path, expected_path = sys.argv[1], sys.argv[2]
    want_bom = "--bom" in sys.argv[3:]
    with open(path, "rb") as f:
        raw = f.read()
    has_bom = raw.startswith(b"\xef\xbb\xbf")
    if has_bom != want_bom:
        print("BOM present: %s, wanted: %s" % (has_bom, want_bom))
        return 1
    raw.decode("utf-8")  # strict UTF-8
    if b"\r\n" not in raw:
        print("records must end in CRLF")
        return 1
    with open(path, newline="", encoding="utf-8-sig" if want_bom else "utf-8") as f:
        rows = list(csv.reader(f, strict=True))
    with open(expected_path, encoding="utf-8") as f:
        expected = json.load(f)
    if rows[0] != HEADER:
        print("bad header", rows[0])
        return 1
    body = rows[1:]
    if len(body) != len(expected):
        print("rows: %d, expected %d" % (len(body), len(expected)))
        return 1
    for got, e in zip(body, expected):
        want = [str(e[0]), e[1], str(e[2]), e[3], e[4], e[5], when(e[6]), kwh(e[7]), kwh(e[8]),
                kwh(e[9]), e[10], str(e[11])]
        if got != want:
            print("row differs:\n got  %r\n want %r" % (got, want))
            return 1
    print("ok: %d rows" % len(body))
    return 0


if __name__ == "__main__":
    sys.exit(main())
