#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Helpers for scripts/bench (stdlib only, loopback only, bounded waits).

  startup ready   --runs N --cmd ARGV...      exec -> ready line, fresh dir
  startup request --runs N --state-dir D --port-file F --method M --path P
                  [--body FILE] [--token-file F] --cmd ARGV...
                                              exec -> first 2xx answer
  startup first200 --runs N --port P --scheme http|https --path P
                  [--rss] --cmd ARGV...       exec -> first 200 (WireMock)
  gen-fixtures N OUT                          a List of N pods in default
  free-port                                   print a free loopback port
  report RESULTS JSON [--smoke-check]         the Markdown table + JSON

Each startup run starts the command in its own process group, stops it
with SIGTERM to that group (SIGKILL after 5 s) and reaps it. Output is one
JSON object on stdout: {"median_ms", "runs_ms", ...} or {"error": "..."}.
"""
import http.client
import json
import os
import shutil
import signal
import socket
import ssl
import statistics
import subprocess
import sys
import tempfile
import time

TIMEOUT_S = 30.0


def stop_group(p):
    try:
        os.killpg(p.pid, signal.SIGTERM)
    except ProcessLookupError:
        pass
    try:
        p.wait(timeout=5)
    except subprocess.TimeoutExpired:
        try:
            os.killpg(p.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        p.wait(timeout=5)


def rss_tree_kb(pid):
    """VmRSS summed over pid and its descendants (kB)."""
    total = 0
    todo = [pid]
    seen = set()
    while todo:
        p = todo.pop()
        if p in seen:
            continue
        seen.add(p)
        try:
            with open('/proc/%d/status' % p) as f:
                for line in f:
                    if line.startswith('VmRSS:'):
                        total += int(line.split()[1])
            for t in os.listdir('/proc/%d/task' % p):
                with open('/proc/%d/task/%s/children' % (p, t)) as f:
                    todo += [int(c) for c in f.read().split()]
        except OSError:
            pass
    return total


def client_tls_context():
    """A TLS client context without the system CA bundle: the bench never
    verifies the server's certificate, and ssl.create_default_context()
    spends ~15 ms reading that bundle, which must not be counted as the
    server's start-up. Built once, before any clock starts."""
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    return ctx


_TLS_CTX = None


def one_request(scheme, port, method, path, body, headers):
    global _TLS_CTX
    if scheme == 'https':
        if _TLS_CTX is None:
            _TLS_CTX = client_tls_context()
        c = http.client.HTTPSConnection('127.0.0.1', port, timeout=5,
                                        context=_TLS_CTX)
    else:
        c = http.client.HTTPConnection('127.0.0.1', port, timeout=5)
    try:
        c.request(method, path, body=body, headers=headers)
        r = c.getresponse()
        r.read()
        return r.status
    finally:
        c.close()


def startup(args):
    global _TLS_CTX
    mode = args[0]
    opts = {'--runs': '20', '--method': 'GET', '--scheme': 'https'}
    i = 1
    flags = set()
    while i < len(args) and args[i] != '--cmd':
        if args[i] == '--rss':
            flags.add('rss')
            i += 1
            continue
        opts[args[i]] = args[i + 1]
        i += 2
    cmd = args[i + 1:]
    runs = int(opts['--runs'])
    res = []
    rss = []
    last_status = None
    if opts['--scheme'] == 'https':
        _TLS_CTX = client_tls_context()
    for _ in range(runs):
        tmp = None
        argv = list(cmd)
        if mode == 'ready':
            tmp = tempfile.mkdtemp(prefix='mapi-bench-fresh-')
            argv = [a.replace('@FRESH@', tmp) for a in argv]
        elif mode == 'request':
            try:
                os.unlink(opts['--port-file'])
            except FileNotFoundError:
                pass
        body = None
        headers = {}
        if opts.get('--body'):
            with open(opts['--body'], 'rb') as f:
                body = f.read()
            headers['Content-Type'] = 'application/json'
        if opts.get('--token-file'):
            with open(opts['--token-file']) as f:
                headers['Authorization'] = 'Bearer ' + f.read().strip()
        t0 = time.monotonic()
        p = subprocess.Popen(argv, stdout=subprocess.PIPE,
                             stderr=subprocess.DEVNULL,
                             start_new_session=True)
        t = None
        err = None
        try:
            if mode == 'ready':
                line = p.stdout.readline()
                if line.startswith(b'mockapi: serving'):
                    t = time.monotonic() - t0
                else:
                    err = 'no ready line (got %r)' % line[:80]
            else:
                port = int(opts['--port']) if '--port' in opts else None
                while time.monotonic() - t0 < TIMEOUT_S:
                    if p.poll() is not None:
                        err = 'exited with %d' % p.returncode
                        break
                    if port is None:
                        try:
                            with open(opts['--port-file']) as f:
                                port = int(f.read().strip())
                        except (OSError, ValueError):
                            time.sleep(0.0002)
                            continue
                    try:
                        st = one_request(opts['--scheme'], port,
                                         opts['--method'], opts['--path'],
                                         body, headers)
                    except (OSError, http.client.HTTPException):
                        time.sleep(0.001)
                        continue
                    last_status = st
                    if 200 <= st < 300:
                        t = time.monotonic() - t0
                        break
                    err = 'answered HTTP %d' % st
                    break
                else:
                    err = 'no answer within %ds' % TIMEOUT_S
            if t is not None and 'rss' in flags:
                rss.append(rss_tree_kb(p.pid))
        finally:
            stop_group(p)
            if tmp:
                shutil.rmtree(tmp, ignore_errors=True)
        if err:
            print(json.dumps({'error': err, 'status': last_status}))
            return 0
        res.append(t * 1000.0)
    out = {'median_ms': statistics.median(res),
           'runs_ms': [round(x, 3) for x in res],
           'min_ms': min(res), 'max_ms': max(res), 'runs': runs}
    if rss:
        out['rss_kb'] = statistics.median(rss)
    print(json.dumps(out))
    return 0


def gen_fixtures(n, out):
    items = []
    for i in range(n):
        name = 'bench-%05d' % i
        items.append({
            'apiVersion': 'v1', 'kind': 'Pod',
            'metadata': {'name': name, 'namespace': 'default',
                         'labels': {'app': 'bench', 'idx': str(i % 100)}},
            'spec': {'serviceAccountName': 'default',
                     'nodeName': 'node-1',
                     'containers': [{'name': 'app',
                                     'image': 'registry.k8s.io/pause:3.9',
                                     'resources': {'requests': {
                                         'cpu': '10m',
                                         'memory': '16Mi'}}}]},
            'status': {'phase': 'Running', 'podIP': '10.0.%d.%d' %
                       (i // 250, i % 250 + 1)},
        })
    with open(out, 'w') as f:
        json.dump({'apiVersion': 'v1', 'kind': 'List', 'items': items}, f)
    return 0


def free_port():
    s = socket.socket()
    s.bind(('127.0.0.1', 0))
    print(s.getsockname()[1])
    s.close()
    return 0


# ---- report ----

def fmt(v, unit):
    if v is None:
        return '-'
    if unit in ('req/s', 'sign/s', 'tokens/s'):
        return '{:,.0f} {}'.format(v, unit)
    if unit == 'ms':
        return '{:.1f} ms'.format(v) if v >= 10 else '{:.2f} ms'.format(v)
    if unit == 'MB':
        return '{:.1f} MB'.format(v)
    return '{:g} {}'.format(v, unit)


def report(results, out_json, smoke):
    rows = []
    with open(results) as f:
        for line in f:
            line = line.strip()
            if line:
                rows.append(json.loads(line))
    meta = {}
    figs = []
    for r in rows:
        if r.get('meta'):
            meta.update(r['meta'])
        else:
            figs.append(r)
    print('| figure | value | ceiling | ratio | target | holds? |')
    print('|---|---|---|---|---|---|')
    bad = []
    for r in figs:
        val = r.get('value')
        reason = r.get('reason')
        cval = r.get('ceiling')
        ratio = None
        holds = 'n/a'
        if val is not None:
            if r.get('ratio_of') == 'inverse' and cval:
                ratio = cval / val if val else None
            elif cval:
                ratio = val / cval
            tgt = r.get('target')
            if tgt:
                kind, lim = tgt
                if kind == 'ratio>=':
                    holds = 'yes' if ratio is not None and ratio >= lim \
                        else 'NO'
                elif kind == 'value<=':
                    holds = 'yes' if val <= lim else 'NO'
        if holds == 'yes' and r.get('errors') not in (None, '', '0'):
            holds = 'NO (errors)'
        r['ratio'] = ratio
        r['holds'] = holds
        if val is None and not reason:
            bad.append(r['id'])
        vtxt = fmt(val, r.get('unit')) if val is not None else \
            '**%s**' % reason
        if val is not None and r.get('extra'):
            vtxt += ' (%s)' % r['extra']
        ctxt = '-'
        if cval is not None:
            ctxt = '%s: %s' % (r.get('ceiling_name', 'ceiling'),
                               fmt(cval, r.get('ceiling_unit',
                                               r.get('unit'))))
        elif r.get('ceiling_name') and r.get('ceiling_reason'):
            ctxt = '%s: %s' % (r['ceiling_name'], r['ceiling_reason'])
        rtxt = '{:.2f}'.format(ratio) if ratio is not None else '-'
        print('| %s | %s | %s | %s | %s | %s |' % (
            r['figure'], vtxt, ctxt, rtxt, r.get('target_text', '-'),
            holds))
    print()
    for k in sorted(meta):
        print('- %s: %s' % (k, meta[k]))
    with open(out_json, 'w') as f:
        json.dump({'meta': meta, 'figures': figs}, f, indent=1)
    if smoke:
        if bad:
            print('bench-smoke: figures with neither a value nor a '
                  'reason: ' + ', '.join(bad), file=sys.stderr)
            return 1
        if not figs:
            print('bench-smoke: no figures', file=sys.stderr)
            return 1
    return 0


def main(argv):
    if len(argv) < 2:
        print(__doc__, file=sys.stderr)
        return 2
    cmd = argv[1]
    if cmd == 'startup':
        return startup(argv[2:])
    if cmd == 'gen-fixtures':
        return gen_fixtures(int(argv[2]), argv[3])
    if cmd == 'free-port':
        return free_port()
    if cmd == 'report':
        return report(argv[2], argv[3], '--smoke-check' in argv[4:])
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == '__main__':
    sys.exit(main(sys.argv))
