#!/usr/bin/env bash
# Installs every Debian package pgkv needs to build, test and benchmark.
# Idempotent: when everything is present it only runs dpkg-query and exits.
set -euo pipefail

PKGS=(
  build-essential cmake pkg-config git ca-certificates
  clang-format
  libpg-query-dev libprotobuf-c-dev protobuf-c-compiler
  libevent-dev libssl-dev openssl
  librocksdb-dev libgmp-dev libicu-dev libjansson-dev tzdata
  libcriterion-dev libpq-dev
  postgresql-15 postgresql-client-15
  python3 python3-psycopg haproxy curl procps
)

missing=()
for p in "${PKGS[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi

echo "install-deps: installing ${missing[*]}"
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
# The postgresql package would create and start a cluster of its own; the
# project starts its own reference servers, so keep the default one out.
if [ ! -e /etc/postgresql-common/createcluster.conf ]; then
  $SUDO mkdir -p /etc/postgresql-common
  echo "create_main_cluster = false" | $SUDO tee /etc/postgresql-common/createcluster.conf >/dev/null
fi
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
