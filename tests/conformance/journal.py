#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Reads mockapi's request journal (GET /mock/v1/requests, paged with
?since=N) as the admin and prints one line per matching request:
"<code> <jti or -> <method> <path>". "dropped" entries are an error.

Usage: journal.py URL CA-FILE ADMIN-TOKEN-FILE USER PATH-PREFIX
"""
import json
import ssl
import sys
import urllib.request


def main(url, ca, token_file, user, prefix):
    ctx = ssl.create_default_context(cafile=ca)
    token = open(token_file).read().strip()
    since = 0
    for _ in range(10000):
        req = urllib.request.Request(
            f"{url}/mock/v1/requests?since={since}",
            headers={"Authorization": f"Bearer {token}"})
        with urllib.request.urlopen(req, context=ctx, timeout=10) as r:
            d = json.load(r)
        if d.get("dropped"):
            print(f"journal: {d['dropped']} entries dropped", file=sys.stderr)
            return 1
        items = d["requests"]
        if not items:
            return 0
        for e in items:
            if e.get("user") == user and e["path"].startswith(prefix):
                print(e["code"], e.get("jti") or "-", e["method"], e["path"])
        since = d["next"]
    return 1


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:6]))
