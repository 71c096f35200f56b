#!/bin/sh
# Entrypoint of the fpnode image: reads the admin token from the file FP_ADMIN_TOKEN_FILE
# names (a compose/Docker secret, /run/secrets/fp_admin_token) into FP_ADMIN_TOKEN, the
# variable the profiles' wiring.admin.token_env names, and the ingress API keys from
# FP_INGEST_API_KEYS_FILE (one a line) into FP_INGEST_API_KEYS (comma-separated; the first is
# also WSP's FP_WSP_API_KEY), then runs the command (fpnode ...). The secrets never appear in
# the image, the compose file or `docker inspect`.
set -eu
if [ -n "${FP_ADMIN_TOKEN_FILE:-}" ] && [ -z "${FP_ADMIN_TOKEN:-}" ]; then
  if [ ! -r "$FP_ADMIN_TOKEN_FILE" ]; then
    echo "fpnode-entrypoint: cannot read the admin token file $FP_ADMIN_TOKEN_FILE" \
      "(see compose/README.md: create compose/secrets/fp_admin_token, mode 0644)" >&2
    exit 1
  fi
  FP_ADMIN_TOKEN=$(cat "$FP_ADMIN_TOKEN_FILE")
  export FP_ADMIN_TOKEN
fi
if [ -n "${FP_INGEST_API_KEYS_FILE:-}" ] && [ -z "${FP_INGEST_API_KEYS:-}" ]; then
  if [ ! -r "$FP_INGEST_API_KEYS_FILE" ]; then
    echo "fpnode-entrypoint: cannot read the ingress API keys file $FP_INGEST_API_KEYS_FILE" \
      "(see compose/README.md: create compose/secrets/fp_ingest_api_keys, mode 0644)" >&2
    exit 1
  fi
  FP_INGEST_API_KEYS=$(grep -v '^[[:space:]]*\(#\|$\)' "$FP_INGEST_API_KEYS_FILE" | paste -sd, -)
  export FP_INGEST_API_KEYS
  if [ -z "${FP_WSP_API_KEY:-}" ]; then
    FP_WSP_API_KEY=${FP_INGEST_API_KEYS%%,*}
    export FP_WSP_API_KEY
  fi
fi
exec "$@"
