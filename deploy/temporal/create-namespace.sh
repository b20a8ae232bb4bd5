#!/bin/sh
# Creates the namespace with its retention, or brings an existing one's retention to the setting,
# once the server answers its health check. Safe to repeat.
#
# Reads TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE (default) and TEMPORAL_NAMESPACE_RETENTION (720h).
set -eu

namespace="${TEMPORAL_NAMESPACE:-default}"
retention="${TEMPORAL_NAMESPACE_RETENTION:-720h}"
attempts="${NAMESPACE_ATTEMPTS:-60}"

n=0
until temporal operator cluster health >/dev/null 2>&1; do
  n=$((n + 1))
  if [ "$n" -ge "$attempts" ]; then
    echo "Temporal at ${TEMPORAL_ADDRESS:-?} is not healthy after $attempts tries" >&2
    exit 1
  fi
  echo "waiting for the Temporal server..."
  sleep 2
done

if temporal operator namespace describe --namespace "$namespace" >/dev/null 2>&1; then
  temporal operator namespace update --namespace "$namespace" --retention "$retention"
  echo "namespace '$namespace' exists; retention set to $retention"
else
  temporal operator namespace create --namespace "$namespace" --retention "$retention"
  echo "namespace '$namespace' created with retention $retention"
fi
