#!/bin/sh
# Registers custom search attributes on a Temporal namespace, once per deployment.
#
#   register-search-attributes.sh NAME=Type [NAME=Type ...]
#
# Type is the `temporal` CLI spelling: Keyword, Text, Int, Double, Bool, Datetime, KeywordList.
# Reads TEMPORAL_ADDRESS (host:port) and TEMPORAL_NAMESPACE (default: "default") from the environment.
#
# Safe to run again: an attribute that is already registered with the same type is left alone, one
# registered with a different type is an error (changing a type needs a new name, not a silent pass).
set -eu

namespace="${TEMPORAL_NAMESPACE:-default}"
attempts="${REGISTER_ATTEMPTS:-60}"
# After adding attributes, wait this long so every server role's cached view of the namespace
# includes them before the workers (which depend on this job finishing) start setting them.
settle="${REGISTER_SETTLE_SECONDS:-15}"

if [ "$#" -eq 0 ]; then
  echo "usage: $0 NAME=Type [NAME=Type ...]" >&2
  exit 64
fi

# The server may be up before the namespace is; wait until the namespace answers.
n=0
until temporal operator namespace describe --namespace "$namespace" >/dev/null 2>&1; do
  n=$((n + 1))
  if [ "$n" -ge "$attempts" ]; then
    echo "namespace '$namespace' is not reachable at ${TEMPORAL_ADDRESS:-?} after $attempts tries" >&2
    exit 1
  fi
  echo "waiting for namespace '$namespace'..."
  sleep 2
done

# Prints the registered type of $1 as listed by the CLI (empty when it is not registered).
registered_type() {
  temporal operator search-attribute list --namespace "$namespace" \
    | awk -v name="$1" '$1 == name { print $2; exit }'
}

# True when a listed type ($1, e.g. "Keyword" or "INDEXED_VALUE_TYPE_KEYWORD") is the wanted one ($2).
same_type() {
  listed=$(printf '%s' "$1" | tr '[:upper:]' '[:lower:]' | sed 's/^indexed_value_type_//; s/_//g')
  wanted=$(printf '%s' "$2" | tr '[:upper:]' '[:lower:]')
  [ "$listed" = "$wanted" ]
}

status=0
created=0
for pair in "$@"; do
  name="${pair%%=*}"
  type="${pair#*=}"
  if [ -z "$name" ] || [ "$name" = "$pair" ] || [ -z "$type" ]; then
    echo "bad argument '$pair': expected NAME=Type" >&2
    exit 64
  fi

  have=$(registered_type "$name")
  if [ -z "$have" ]; then
    if temporal operator search-attribute create --namespace "$namespace" --name "$name" --type "$type"; then
      echo "registered $name ($type)"
      created=$((created + 1))
      continue
    fi
    # Another run may have registered it in the meantime; look again before calling it a failure.
    have=$(registered_type "$name")
  fi

  if [ -z "$have" ]; then
    echo "could not register $name ($type)" >&2
    status=1
  elif same_type "$have" "$type"; then
    echo "$name is already registered as $type"
  else
    echo "$name is registered as $have, but the service needs $type" >&2
    status=1
  fi
done

if [ "$status" -eq 0 ] && [ "$created" -gt 0 ]; then
  echo "registered $created attribute(s); waiting ${settle}s for the server's caches to refresh"
  sleep "$settle"
fi
exit "$status"
