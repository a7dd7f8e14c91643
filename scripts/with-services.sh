#!/usr/bin/env bash
# Runs a command (the test suite, the bench) with the backing services the cluster stores need:
# a throwaway PostgreSQL and a throwaway single-node Ceph cluster with the RADOS Gateway, both on
# 127.0.0.1 in a temp dir, stopped again when the command ends.
#
#   scripts/with-services.sh CMD [ARG…]
#
# A service whose variables are already set (COFFER_TEST_POSTGRES_URL; COFFER_TEST_S3_ENDPOINT
# with AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY) is used as it is. The Debian packages must be
# installed (.ci/run does it): postgresql, ceph-mon ceph-osd radosgw ceph-common.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
[ $# -ge 1 ] || { echo "usage: $0 CMD [ARG…]" >&2; exit 2; }

dir=$(mktemp -d /tmp/coffer-services-XXXXXX)
# The postgres user runs the database under this directory: it must be able to enter it.
chmod 755 "$dir"
started=()
cleanup() {
  for s in "${started[@]}"; do "$here/$s.sh" stop "$dir/$s" >/dev/null 2>&1 || true; done
  rm -rf "$dir"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

missing() {
  echo "with-services.sh: $1 is not installed; on Debian: apt-get install -y $2" >&2
  echo "  (or point the tests at running services: see README, 'Tests')" >&2
  exit 1
}

if [ -z "${COFFER_TEST_POSTGRES_URL:-}" ]; then
  ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || missing PostgreSQL postgresql
  started+=(postgres)
  mkdir -m 755 "$dir/postgres"
  url=$("$here/postgres.sh" start "$dir/postgres")
  export "${url?}"

fi
if [ -z "${COFFER_TEST_S3_ENDPOINT:-}" ]; then
  command -v radosgw >/dev/null 2>&1 || missing "Ceph's RADOS Gateway" "--no-install-recommends ceph-mon ceph-osd radosgw ceph-common"
  started+=(ceph-rgw)
  vars=$("$here/ceph-rgw.sh" start "$dir/ceph-rgw")
  while IFS= read -r line; do
    [ -n "$line" ] && export "${line?}"
  done <<< "$vars"

fi
echo "with-services.sh: PostgreSQL at ${COFFER_TEST_POSTGRES_URL}, S3 (Ceph RGW) at ${COFFER_TEST_S3_ENDPOINT}" >&2
# Not exec: the trap must stop the services when the command ends.
"$@"
