#!/bin/sh
# Entrypoint of the fpnode image: reads the admin token from the file FP_ADMIN_TOKEN_FILE
# names (a compose/Docker secret, /run/secrets/fp_admin_token) into FP_ADMIN_TOKEN, the
# variable the profiles' wiring.admin.token_env names, then runs the command (fpnode ...).
# The token never appears in the image, the compose file or `docker inspect`.
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
exec "$@"
