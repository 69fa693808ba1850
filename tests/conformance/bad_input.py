#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Runs the bad-input table against a running mockapi, one TAP line a row.

Usage: bad_input.py TABLE HOST PORT CA_FILE TOKEN_FILE MOCKAPI_PID

Every row is one request over verified TLS (http.client + the cluster CA);
the answer's status code, Status reason and message must be the row's.
After the table: /readyz still answers "ok" and the process is alive.
"""
import http.client
import json
import os
import ssl
import sys


def gen_body(spec):
    kind, _, arg = spec.partition(":")
    if kind == "big":
        pad = b" " * (3 * 1024 * 1024 + 1 - 2)
        return b"{" + pad + b"}"
    if kind == "deep-array":
        n = int(arg)
        return b"[" * n + b"]" * n
    if kind == "deep-object":
        n = int(arg)
        return (b'{"metadata":{"name":"deep"},"a":' + b'{"a":' * n + b"1" +
                b"}" * n + b"}")
    if kind == "deep-patch":
        n = int(arg)
        return b'{"metadata":' + b'{"a":' * n + b"1" + b"}" * n + b"}"
    if kind == "sa-name":
        return json.dumps({"metadata": {"name": "a" * int(arg)}}).encode()
    raise ValueError("unknown generator " + spec)


def body_of(spec):
    if spec == "-":
        return None
    if spec.startswith("json:"):
        return spec[5:].encode()
    if spec.startswith("hex:"):
        return bytes.fromhex(spec[4:])
    if spec.startswith("gen:"):
        return gen_body(spec[4:])
    raise ValueError("unknown body " + spec)


def request(host, port, ctx, method, path, headers, body):
    conn = http.client.HTTPSConnection(host, port, context=ctx, timeout=20)
    try:
        try:
            conn.request(method, path, body=body, headers=headers)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the server may answer (413) before reading it all
        resp = conn.getresponse()
        return resp.status, resp.getheader("Content-Type") or "", resp.read()
    finally:
        conn.close()


def check(row, status, ctype, data):
    """Returns a list of mismatch lines (empty when the row holds)."""
    want_code, want_reason, want_msg = int(row[6]), row[7], row[8]
    bad = []
    if status != want_code:
        bad.append("code: expected %d, actual %d" % (want_code, status))
    if want_reason == "text":
        if not ctype.startswith("text/plain"):
            bad.append("content type: expected text/plain, actual %r" % ctype)
        got_reason, got_msg = "text", data.decode("utf-8", "replace")
        if got_msg.endswith("\n"):
            got_msg = got_msg[:-1]
    else:
        try:
            st = json.loads(data)
        except ValueError:
            return bad + ["body is not JSON: %r" % data[:300]]
        if st.get("kind") != "Status" or st.get("code") != want_code:
            bad.append("not a Status with code %d: %r" % (want_code, st))
        got_reason, got_msg = st.get("reason", ""), st.get("message", "")
    if got_reason != want_reason:
        bad.append("reason: expected %r, actual %r" % (want_reason, got_reason))
    if want_msg == "-":
        pass
    elif want_msg.startswith("~"):
        if want_msg[1:] not in got_msg:
            bad.append("message: expected to contain %r" % want_msg[1:])
            bad.append("message: actual %r" % got_msg[:600])
    elif got_msg != want_msg:
        bad.append("message: expected %r" % want_msg)
        bad.append("message: actual   %r" % got_msg[:600])
    return bad


def main():
    table, host, port, ca, token_file, pid = sys.argv[1:7]
    port, pid = int(port), int(pid)
    ctx = ssl.create_default_context(cafile=ca)
    with open(token_file) as f:
        token = f.read().strip()
    rows = []
    with open(table) as f:
        for line in f:
            line = line.rstrip("\n")
            if not line or line.startswith("#"):
                continue
            cols = line.split("\t")
            if len(cols) != 9:
                print("Bail out! bad row (%d columns): %s" % (len(cols), line))
                return 1
            rows.append(cols)
    n = 0
    failed = 0
    for row in rows:
        name, auth, method, path, ctype = row[:5]
        headers = {"Accept": "application/json"}
        if auth == "admin":
            headers["Authorization"] = "Bearer " + token
        elif auth == "bad":
            headers["Authorization"] = "Bearer not-a-valid-token"
        if ctype != "-":
            headers["Content-Type"] = ctype
        n += 1
        try:
            got = request(host, port, ctx, method, path, headers,
                          body_of(row[5]))
            bad = check(row, *got)
        except (OSError, http.client.HTTPException, ValueError) as e:
            bad = ["request failed: %r" % e]
        if bad:
            failed += 1
            print("not ok %d - %s (%s %s)" % (n, name, method, path[:80]))
            for b in bad:
                print("# " + b)
        else:
            print("ok %d - %s" % (n, name))
        sys.stdout.flush()
    n += 1
    try:
        got = request(host, port, ctx, "GET", "/readyz", {}, None)
        fine = got[0] == 200 and got[2] == b"ok"
    except (OSError, http.client.HTTPException) as e:
        got, fine = repr(e), False
    print("%s %d - /readyz still answers after the table" %
          ("ok" if fine else "not ok", n))
    if not fine:
        failed += 1
        print("# actual: %r" % (got,))
    n += 1
    try:
        os.kill(pid, 0)
        print("ok %d - mockapi still running" % n)
    except OSError:
        failed += 1
        print("not ok %d - mockapi still running" % n)
    print("1..%d" % n)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
