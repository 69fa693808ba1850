#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Runs the bad-input table against a running mockapi, one TAP line a row.

Usage: bad_input.py TABLE HOST PORT CA_FILE TOKEN_FILE MOCKAPI_PID

Every row is one request over verified TLS (http.client + the cluster CA);
the answer's status code, Status reason and message must be the row's, and
a 401 must be exactly kube-apiserver's 401 body. Token rows get their
tokens made at run time (token:GEN, see make_token: python's stdlib plus
the openssl CLI, signing with mockapi's own sa.key from the state dir next
to CA_FILE, or with fixtures/keys/rsa-2048-b, under mockapi's kid read
from /openid/v1/jwks) or from fixtures/tokens/*.jwt (file:NAME; signed by
keys mockapi does not trust).
After the table: /readyz still answers "ok", the process is alive and its
VmRSS (/proc/PID/status) is below RSS_LIMIT_KB.
"""
import base64
import hashlib
import hmac
import http.client
import json
import os
import ssl
import subprocess
import sys
import tempfile

# The memory bound after the whole table: 128 MB. mockapi idles at ~16 MB;
# parsing one 2 MB body of 1 000 000 numbers builds ~1 M cJSON nodes
# (~80 MB at peak) and glibc's arenas keep much of that peak after it is
# freed (measured 60-95 MB after the table). A leak of the two
# 1 M-element trees, or of the 3 MiB / 1 MiB inputs kept per request,
# goes over it.
RSS_LIMIT_KB = 128 * 1024
# Under AddressSanitizer/ThreadSanitizer (their runtime in /proc/PID/maps).
SANITIZER_RSS_LIMIT_KB = 1024 * 1024

UNAUTHORIZED_BODY = (b'{"kind":"Status","apiVersion":"v1","metadata":{},'
                     b'"status":"Failure","message":"Unauthorized",'
                     b'"reason":"Unauthorized","code":401}\n')


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
    if kind == "big-audiences":
        return (b'{"spec":{"audiences":[' + b",".join([b"1"] * int(arg)) +
                b"]}}")
    if kind == "big-review":
        return (b'{"spec":{"token":"x","audiences":[' +
                b",".join([b"1"] * int(arg)) + b"]}}")
    raise ValueError("unknown generator " + spec)


# ---- tokens made at run time ----

def b64u(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def b64u_json(obj):
    return b64u(json.dumps(obj, separators=(",", ":")).encode())


class Forge:
    """Makes forged tokens: mockapi's kid and issuer, openssl for RSA."""

    def __init__(self, host, port, ctx, admin, state_dir):
        self.state_dir = state_dir
        self.fixtures = os.environ.get("MOCKAPI_FIXTURES", "")
        st, _, data = request(host, port, ctx, "GET", "/openid/v1/jwks",
                              [("Authorization", "Bearer " + admin)], None)
        if st != 200:
            raise RuntimeError("GET /openid/v1/jwks: %d" % st)
        self.kid = json.loads(data)["keys"][0]["kid"]
        st, _, data = request(host, port, ctx, "GET",
                              "/.well-known/openid-configuration",
                              [("Authorization", "Bearer " + admin)], None)
        self.issuer = json.loads(data)["issuer"]
        # A real token (for the kid swap): TokenRequest as the admin.
        st, _, data = request(
            host, port, ctx, "POST",
            "/api/v1/namespaces/default/serviceaccounts/default/token",
            [("Authorization", "Bearer " + admin),
             ("Content-Type", "application/json")],
            b'{"spec":{"expirationSeconds":3600}}')
        if st != 201:
            raise RuntimeError("TokenRequest: %d" % st)
        self.real = json.loads(data)["status"]["token"]
        self.claims = json.loads(base64.urlsafe_b64decode(
            self.real.split(".")[1] + "==="))

    def header(self, alg="RS256", kid=None):
        return {"alg": alg, "kid": self.kid if kid is None else kid}

    def rsa_sign(self, key_file, signing_input):
        with tempfile.NamedTemporaryFile() as f:
            f.write(signing_input.encode())
            f.flush()
            return subprocess.run(
                ["openssl", "dgst", "-sha256", "-sign", key_file, f.name],
                check=True, stdout=subprocess.PIPE).stdout

    def signed(self, header_part, payload_part, key_file):
        si = header_part + "." + payload_part
        return si + "." + b64u(self.rsa_sign(key_file, si))

    def own_key(self):
        return os.path.join(self.state_dir, "sa.key")

    def make(self, gen):
        c = dict(self.claims)
        if gen == "alg-none":
            return b64u_json(self.header("none")) + "." + b64u_json(c) + "."
        if gen == "hs256-pubkey":
            pub = subprocess.run(
                ["openssl", "pkey", "-in", self.own_key(), "-pubout"],
                check=True, stdout=subprocess.PIPE).stdout
            si = b64u_json(self.header("HS256")) + "." + b64u_json(c)
            mac = hmac.new(pub, si.encode(), hashlib.sha256).digest()
            return si + "." + b64u(mac)
        if gen == "kid-swap":
            # the real token with its header's kid replaced
            h = json.loads(base64.urlsafe_b64decode(
                self.real.split(".")[0] + "==="))
            h["kid"] = "PYBaKlXonGMvLDoLNzBsdterDNz9jAuyd1gyFTPMvTw"
            parts = self.real.split(".")
            return b64u_json(h) + "." + parts[1] + "." + parts[2]
        if gen == "other-key":
            # mockapi's kid, signed by fixtures/keys/rsa-2048-b
            return self.signed(b64u_json(self.header()), b64u_json(c),
                               os.path.join(self.fixtures, "keys",
                                            "rsa-2048-b.pkcs8.pem"))
        if gen == "exp-string":
            c["exp"] = str(c["exp"])
            return self.signed(b64u_json(self.header()), b64u_json(c),
                               self.own_key())
        if gen == "dup-claims":
            body = json.dumps(c, separators=(",", ":"))
            body = body[:-1] + ',"sub":"system:serviceaccount:kube-system:x"}'
            return self.signed(b64u_json(self.header()), b64u(body.encode()),
                               self.own_key())
        if gen == "resigned-good":
            # control: the same path as the forgeries, nothing forged
            return self.signed(b64u_json(self.header()), b64u_json(c),
                               self.own_key())
        if gen == "1mib":
            return self.real + "A" * (1024 * 1024 - len(self.real))
        if gen.startswith("file:"):
            with open(os.path.join(self.fixtures, "tokens", gen[5:])) as f:
                return f.read().strip()
        raise ValueError("unknown token generator " + gen)


def auth_headers(spec, admin, forge):
    """The Authorization (and extra) headers of a row's auth column:
    admin | none | bad | raw:VALUE | dup:A,B | token:GEN, each optionally
    followed by +pad:N (an X-Pad header of N bytes) or +utf8 (a header
    with non-ASCII UTF-8 bytes)."""
    base, _, extra = spec.partition("+")
    simple = {"admin": admin, "bad": "not-a-valid-token"}
    hs = []
    if base in simple:
        hs.append(("Authorization", "Bearer " + simple[base]))
    elif base.startswith("raw:"):
        hs.append(("Authorization", base[4:]))
    elif base.startswith("dup:"):
        for who in base[4:].split(","):
            hs.append(("Authorization", "Bearer " + simple[who]))
    elif base.startswith("token:"):
        hs.append(("Authorization", "Bearer " + forge.make(base[6:])))
    elif base != "none":
        raise ValueError("unknown auth " + spec)
    if extra.startswith("pad:"):
        hs.append(("X-Pad", "p" * int(extra[4:])))
    elif extra == "utf8":
        hs.append(("X-Note", "h\u00e9llo \u00fcnic\u00f8de \u2713"))
    elif extra:
        raise ValueError("unknown auth extra " + spec)
    return hs


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
    """headers: a list of (name, value); a name may repeat. Values are
    sent as UTF-8 bytes."""
    conn = http.client.HTTPSConnection(host, port, context=ctx, timeout=20)
    try:
        try:
            conn.putrequest(method, path, skip_accept_encoding=True)
            for k, v in headers:
                conn.putheader(k, v.encode("utf-8"))
            if body is not None:
                conn.putheader("Content-Length", str(len(body)))
            conn.endheaders(body)
        except (BrokenPipeError, ConnectionResetError, ssl.SSLEOFError):
            pass  # the server may answer (413, 431) before reading it all
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
    if want_code == 401 and data != UNAUTHORIZED_BODY:
        bad.append("401 body: expected %r" % UNAUTHORIZED_BODY)
        bad.append("401 body: actual   %r" % data[:300])
    if want_code < 300 and want_reason == "-":
        return bad  # a success: only the code is the row's claim
    if want_reason == "html":
        # libmicrohttpd's own page (no Content-Type), before mockapi runs
        got_reason, got_msg = "html", data.decode("utf-8", "replace")
    elif want_reason == "text":
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
    forge = Forge(host, port, ctx, token, os.path.dirname(ca))
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
        n += 1
        try:
            headers = [("Accept", "application/json")]
            headers += auth_headers(auth, token, forge)
            if ctype != "-":
                headers.append(("Content-Type", ctype))
            got = request(host, port, ctx, method, path, headers,
                          body_of(row[5]))
            bad = check(row, *got)
        except (OSError, http.client.HTTPException, ValueError,
                subprocess.CalledProcessError) as e:
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
        got = request(host, port, ctx, "GET", "/readyz", [], None)
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
    n += 1
    rss = 0
    limit, why = RSS_LIMIT_KB, ""
    try:
        with open("/proc/%d/maps" % pid) as f:
            if any(x in f.read() for x in ("libasan", "libtsan")):
                # shadow memory and the quarantine: not mockapi's own
                limit, why = SANITIZER_RSS_LIMIT_KB, " (sanitizer build)"
    except OSError:
        pass
    try:
        with open("/proc/%d/status" % pid) as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    rss = int(line.split()[1])
    except OSError:
        pass
    verdict = "ok" if 0 < rss < limit else "not ok"
    if verdict != "ok":
        failed += 1
    print("%s %d - VmRSS %d kB < %d kB after the table%s" %
          (verdict, n, rss, limit, why))
    print("1..%d" % n)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
