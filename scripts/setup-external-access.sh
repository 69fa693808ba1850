#!/bin/sh
# The seed's external-access example: give a program outside the cluster a
# ServiceAccount with read-only access and a kubeconfig context that uses a
# 24-hour token. Changed from the seed only in its first lines, which start
# from the kubeconfig mockapi wrote (KUBECONFIG, default ./.mockapi/kubeconfig)
# instead of a real cluster's.
set -e

export KUBECONFIG="${KUBECONFIG:-$PWD/.mockapi/kubeconfig}"
CLUSTER_NAME=$(kubectl config view --minify -o jsonpath='{.clusters[0].name}')

# Create service account
kubectl create serviceaccount external-access -n default

# Grant it read-only access with the built-in view role
kubectl create rolebinding external-access-view \
  --clusterrole=view \
  --serviceaccount=default:external-access \
  -n default

# Create a token valid for 24 hours
TOKEN=$(kubectl create token external-access -n default --duration=24h)

# Add credentials and a context that uses them
kubectl config set-credentials external-access --token="$TOKEN"
kubectl config set-context external-access \
  --cluster="$CLUSTER_NAME" \
  --user=external-access \
  --namespace=default
kubectl config use-context external-access

echo "Context external-access is ready: kubectl get pods"
