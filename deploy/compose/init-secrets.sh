#!/bin/sh
# Writes the secret files docker-compose.yml mounts (compose `secrets:`), once: an existing file is
# never overwritten, so re-running it is safe and a rotation is a deliberate edit of one file.
#
#   deploy/compose/init-secrets.sh [DIR]      # DIR defaults to ./secrets (next to docker-compose.yml)
#
# Each value is random and different; the service refuses a missing, reused or weak key. Keep a copy
# of master_key and blind_index_key (and every retired key) in your secret store: losing them loses
# the data they protect. Needs openssl.
set -eu

dir="${1:-$(dirname "$0")/../../secrets}"
# The directory is the host's protection (0700). The files are 0644: compose (without swarm) mounts a
# file secret with its host mode, and each container reads it as its own non-root user.
mkdir -p "$dir"
chmod 700 "$dir"
umask 022

write() { # NAME VALUE
  if [ -e "$dir/$1" ]; then
    echo "kept    $dir/$1"
  else
    printf '%s' "$2" >"$dir/$1"
    echo "wrote   $dir/$1"
  fi
}
read_back() { cat "$dir/$1"; }

write jwt_secret "$(openssl rand -base64 48 | tr -d '\n')"
write master_key "$(openssl rand -base64 32)"
write blind_index_key "$(openssl rand -base64 32)"
write codec_key "$(openssl rand -base64 32)"
write audit_key "$(openssl rand -base64 32)"
# Retired keys (id:base64,...) during a rotation: empty until then (docs/operations.md#keys).
write master_old_keys ""
write codec_old_keys ""
write audit_old_keys ""
# Signs outbound notifications; used only when NOTIFY_WEBHOOK_URL is set.
write notify_webhook_secret "$(openssl rand -hex 32)"
# Hex passwords: they go inside URLs.
write app_db_owner_password "$(openssl rand -hex 24)"
write app_db_password "$(openssl rand -hex 24)"
write temporal_db_password "$(openssl rand -hex 24)"
write grafana_admin_password "$(openssl rand -hex 16)"
# The URLs the service reads (DATABASE_URL_FILE, DATABASE_MIGRATION_URL_FILE): the service's DML-only
# role, which the migrate job creates with this password, and the owner role, for migrations only.
write database_url "postgres://lead_api:$(read_back app_db_password)@app-db:5432/leads"
write database_migration_url "postgres://leads_owner:$(read_back app_db_owner_password)@app-db:5432/leads"
