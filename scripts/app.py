#!/usr/bin/python3
# The seed's Python example: an in-cluster program that lists the pods of
# its namespace with the official client (Debian's python3-kubernetes),
# which re-reads the projected token file every minute.
from kubernetes import client, config

config.load_incluster_config()
v1 = client.CoreV1Api()

with open("/var/run/secrets/kubernetes.io/serviceaccount/namespace") as f:
    namespace = f.read().strip()

pods = v1.list_namespaced_pod(namespace)
for pod in pods.items:
    print(f"{pod.metadata.name}\t{pod.status.phase}")
