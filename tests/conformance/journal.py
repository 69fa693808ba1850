#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Reads mockapi's request journal or token events as the admin
(GET /mock/v1/requests or /mock/v1/events, paged with ?since=N) and prints
every entry as one JSON line. Entries lost to the ring ("dropped") are an
error (exit 1).

Usage: journal.py URL CA-FILE ADMIN-TOKEN-FILE requests|events
"""
import json
import ssl
import sys
import urllib.request


def fetch(url, ca, token_file, kind):
    ctx = ssl.create_default_context(cafile=ca)
    token = open(token_file).read().strip()
    since, out = 0, []
    for _ in range(100000):
        req = urllib.request.Request(
            f"{url}/mock/v1/{kind}?since={since}",
            headers={"Authorization": f"Bearer {token}"})
        with urllib.request.urlopen(req, context=ctx, timeout=10) as r:
            d = json.load(r)
        if d.get("dropped"):
            raise RuntimeError(f"{d['dropped']} {kind} entries dropped")
        items = d[kind]
        if not items:
            return out
        out.extend(items)
        since = d["next"]
    raise RuntimeError("journal: too many pages")


if __name__ == "__main__":
    for e in fetch(*sys.argv[1:5]):
        print(json.dumps(e))
