#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""A long-running in-cluster program with the official Python client
(Debian's python3-kubernetes 22.6, unmodified): load_incluster_config()
once, then list the pods of its namespace every INTERVAL real seconds for
SECONDS real seconds. The client itself re-reads the projected token file
when 60 real seconds have passed since its last read (reference 8.4);
nothing here touches the token. Prints one line per call and a summary
"calls N failed F pods A B"; exits 1 if any call failed.

Usage: python_long.py SECONDS INTERVAL   (run it through incluster.sh;
tests/conformance/test_python_long.sh explains the timing)
"""
import sys
import time

from kubernetes import client, config

NS_FILE = "/var/run/secrets/kubernetes.io/serviceaccount/namespace"


def main(seconds, interval):
    config.load_incluster_config()
    v1 = client.CoreV1Api()
    with open(NS_FILE) as f:
        namespace = f.read().strip()
    end = time.monotonic() + seconds
    calls = failed = 0
    names = []
    while True:
        try:
            pods = v1.list_namespaced_pod(namespace)
            names = sorted(p.metadata.name for p in pods.items)
            print(f"call {calls}: ok {' '.join(names)}", flush=True)
        except Exception as e:  # ApiException, urllib3 errors: all count
            failed += 1
            print(f"call {calls}: FAILED {getattr(e, 'status', '')} "
                  f"{getattr(e, 'reason', e)}", flush=True)
        calls += 1
        if time.monotonic() + interval > end:
            break
        time.sleep(interval)
    print(f"calls {calls} failed {failed} pods {' '.join(names)}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(float(sys.argv[1]), float(sys.argv[2])))
