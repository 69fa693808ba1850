#!/bin/sh
# The seed's in-cluster example: call the API server from inside a pod with
# the pod's ServiceAccount token, exactly as the kubelet mounts it.
# Run it in a pod (or in mockapi's in-cluster namespace, see
# tests/conformance/incluster.sh).

# Path to ServiceAccount token
SERVICEACCOUNT=/var/run/secrets/kubernetes.io/serviceaccount
TOKEN=$(cat ${SERVICEACCOUNT}/token)
CACERT=${SERVICEACCOUNT}/ca.crt
NAMESPACE=$(cat ${SERVICEACCOUNT}/namespace)

# Kubernetes API server address
APISERVER=https://${KUBERNETES_SERVICE_HOST}:${KUBERNETES_SERVICE_PORT}

# Make API request
curl --cacert ${CACERT} \
  -H "Authorization: Bearer ${TOKEN}" \
  ${APISERVER}/api/v1/namespaces/${NAMESPACE}/pods
