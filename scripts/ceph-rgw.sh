#!/usr/bin/env bash
# A throwaway single-node Ceph cluster with the RADOS Gateway, for the S3 blob store's tests.
#
#   scripts/ceph-rgw.sh start DIR   starts mon + memstore OSD + radosgw under DIR (all on
#                                   127.0.0.1), creates an S3 user and prints, on stdout only:
#                                     COFFER_TEST_S3_ENDPOINT=http://127.0.0.1:PORT
#                                     AWS_ACCESS_KEY_ID=...
#                                     AWS_SECRET_ACCESS_KEY=...
#                                     AWS_REGION=us-east-1
#                                   (also saved as DIR/env), then exits 0 leaving the daemons up.
#   scripts/ceph-rgw.sh stop DIR    stops them by PID file; safe to call twice.
#
# Needs the Debian packages ceph-mon ceph-osd radosgw ceph-common (this script installs nothing)
# and node with the repo's node_modules (@aws-sdk/client-s3) for the readiness check.
# Everything but the lines above goes to stderr or to DIR/log. Data lives in the OSD's memory.
set -euo pipefail

ACCESS_KEY=COFFERTESTACCESSKEY1
SECRET_KEY=coffer-test-secret-key-not-for-production
REGION=us-east-1
RGW_NAME=client.rgw.coffer
REPO=$(cd "$(dirname "$0")/.." && pwd)

log() { echo "ceph-rgw: $*" >&2; }
die() { log "$*"; exit 1; }

usage() { die "usage: $0 start|stop DIR"; }

# Seconds since the start, for the log line.
elapsed() { awk -v a="$1" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f", b - a }'; }

# Ports the kernel says are free right now, one per line (there is a small race until the
# daemons bind them; a taken radosgw port is caught by the PID-file check below).
free_ports() {
  node -e '
    const net = require("net");
    const n = Number(process.argv[1]);
    const servers = Array.from({ length: n }, () => net.createServer());
    Promise.all(servers.map((s) => new Promise((r) => s.listen(0, "127.0.0.1", r)))).then(() => {
      console.log(servers.map((s) => s.address().port).join("\n"));
      servers.forEach((s) => s.close());
    });' "$1"
}

# True while PID runs one of this cluster's daemons (its command line names our ceph.conf), so a
# recycled PID of some other process is never signalled; a zombie counts as gone.
ours() {
  local pid=$1
  [ -r "/proc/$pid/cmdline" ] || return 1
  [ "$(awk '{print $3}' "/proc/$pid/stat" 2>/dev/null)" != Z ] || return 1
  tr '\0' ' ' <"/proc/$pid/cmdline" | grep -qF -- "$CONF"
}

stop_daemon() {
  local pidfile=$1 pid _
  [ -s "$pidfile" ] || return 0
  pid=$(cat "$pidfile")
  if ours "$pid"; then
    kill -TERM "$pid" 2>/dev/null || true
    # SIGTERM can take ~5 s (the OSD tears down its store); a throwaway cluster need not wait longer.
    for _ in $(seq 50); do ours "$pid" || break; sleep 0.1; done
    if ours "$pid"; then
      log "$(basename "$pidfile" .pid) ($pid) still runs 5 s after SIGTERM; sending SIGKILL"
      kill -KILL "$pid" 2>/dev/null || true
      for _ in $(seq 20); do ours "$pid" || break; sleep 0.1; done
    fi
  fi
  rm -f "$pidfile"
}

stop_all() {
  # radosgw first (a client of the others), then the OSD, then the mon.
  stop_daemon "$DIR/run/ceph-$RGW_NAME.pid"
  stop_daemon "$DIR/run/ceph-osd.0.pid"
  stop_daemon "$DIR/run/ceph-mon.a.pid"
}

ceph_() { ceph -c "$CONF" --connect-timeout 20 "$@"; }

write_conf() {
  local mon_port=$1 rgw_port=$2 port_min=$3 fsid=$4
  cat >"$CONF" <<EOF
[global]
fsid = $fsid
# msgr v2 only, on loopback: nothing listens on another interface or on the v1 port.
mon host = [v2:127.0.0.1:$mon_port]
ms bind msgr1 = false
# The OSD's messengers bind in a private range below the kernel's ephemeral ports.
ms bind port min = $port_min
ms bind port max = $((port_min + 99))
public addr = 127.0.0.1
# A throwaway cluster on loopback: no cephx, so no keyrings to create and distribute.
auth cluster required = none
auth service required = none
auth client required = none
keyring = $DIR/keyring
# Everything the daemons write stays inside DIR.
run dir = $DIR/run
pid file = $DIR/run/\$cluster-\$name.pid
log file = $DIR/log/\$cluster-\$name.log
mon cluster log file = $DIR/log/\$cluster.log
crash dir = $DIR/crash
# One OSD: pools of size 1, few PGs, no autoscaler (it lives in the mgr, which we do not run),
# CRUSH choosing among OSDs rather than hosts.
osd pool default size = 1
osd pool default min size = 1
osd pool default pg num = 8
osd pool default pgp num = 8
osd pool default pg autoscale mode = off
osd crush chooseleaf type = 0
mon allow pool size one = true
mon max pg per osd = 1000
# The temp dir's file system may be nearly full; the mon must not refuse to run for that.
mon data avail crit = 0
# Fail within seconds, not the default 300 s, when a client cannot reach the mon.
client mount timeout = 20

[mon]
mon data = $DIR/mon/\$cluster-\$id
admin socket = $DIR/run/\$cluster-\$name.asok
# Commit paxos proposals at once: creating the RGW pools otherwise takes ~9 s more.
paxos propose interval = 0.05

[osd]
osd data = $DIR/osd/\$cluster-\$id
admin socket = $DIR/run/\$cluster-\$name.asok
# Without these the OSD listens on 0.0.0.0.
public addr = 127.0.0.1
cluster addr = 127.0.0.1
# Data in the OSD's RAM: fastest to create and to start, gone with the cluster.
osd objectstore = memstore
memstore device bytes = $((2 * 1024 * 1024 * 1024))

[$RGW_NAME]
rgw data = $DIR/rgw
admin socket = $DIR/run/\$cluster-\$name.asok
# Without tcp_nodelay small sequential GETs take ~47 ms each (Nagle + delayed ACK).
rgw frontends = beast endpoint=127.0.0.1:$rgw_port tcp_nodelay=1
# With auth none, radosgw's default mon mode ("secure crc") never connects and hangs.
ms mon client mode = crc
rgw init timeout = 60
# Reclaim the data of deleted objects within seconds, not hours: the OSD's store is 2 GiB of RAM
# and test runs write and delete hundreds of MiB each.
rgw gc obj min wait = 10
rgw gc processor period = 10
EOF
}

# Polls a signed ListBuckets with the printed credentials until RGW answers. Each try has its
# own timeout (something else on the port may accept and never answer), and the poll gives up
# as soon as radosgw (PID $2) is gone: it logs "failed to bind" and exits when the port is taken.
wait_s3() {
  # shellcheck disable=SC2016 # the single-quoted text is JavaScript, not shell
  (cd "$REPO" && node --no-warnings -e '
    const { readFileSync } = require("fs");
    const { S3Client, ListBucketsCommand } = require("@aws-sdk/client-s3");
    const [endpoint, pid, accessKeyId, secretAccessKey, region] = process.argv.slice(1);
    const client = new S3Client({ endpoint, region, forcePathStyle: true, maxAttempts: 1, credentials: { accessKeyId, secretAccessKey } });
    const alive = () => { try { return readFileSync(`/proc/${pid}/stat`, "utf8").split(" ")[2] !== "Z"; } catch { return false; } };
    const deadline = Date.now() + 60_000;
    let last;
    (async () => {
      while (Date.now() < deadline && alive()) {
        try { await client.send(new ListBucketsCommand({}), { abortSignal: AbortSignal.timeout(2000) }); process.exit(0); }
        catch (err) { last = err; await new Promise((r) => setTimeout(r, 100)); }
      }
      const why = alive() ? "no answer within 60 s" : `radosgw (${pid}) exited`;
      console.error(`no signed ListBuckets answer from ${endpoint}: ${why}; last error: ${last ? last.name + ": " + last.message : "none"}`);
      process.exit(1);
    })();' "$1" "$2" "$ACCESS_KEY" "$SECRET_KEY" "$REGION")
}

on_failed_start() {
  local rc=$?
  [ "$rc" -ne 0 ] || return 0
  log "start failed; logs in $DIR/log"
  tail -n 20 "$DIR"/log/*.log >&2 2>/dev/null || true
  stop_all
}

start() {
  local t0 ports mon_port rgw_port port_min fsid osd_uuid osd_id up rgw_pid attempt
  t0=$EPOCHREALTIME
  for bin in monmaptool ceph-mon ceph-osd ceph radosgw radosgw-admin node; do
    command -v "$bin" >/dev/null || die "$bin not found: install ceph-mon ceph-osd radosgw ceph-common (and node)"
  done
  [ -d "$REPO/node_modules/@aws-sdk/client-s3" ] || die "$REPO/node_modules/@aws-sdk/client-s3 missing: run npm ci first"
  if [ -e "$DIR/ceph.conf" ]; then
    die "$DIR already holds a cluster; run '$0 stop $DIR' and remove it, or use another DIR"
  fi
  mkdir -p "$DIR"/{run,log,crash,mon,osd/ceph-0,rgw}
  # From here on, a failure stops whatever already started and shows the logs' tails.
  trap on_failed_start EXIT

  mapfile -t ports < <(free_ports 2)
  mon_port=${ports[0]}
  rgw_port=${ports[1]}
  port_min=$((10000 + RANDOM % 200 * 100))
  fsid=$(cat /proc/sys/kernel/random/uuid)
  write_conf "$mon_port" "$rgw_port" "$port_min" "$fsid"

  monmaptool --create --fsid "$fsid" --addv a "[v2:127.0.0.1:$mon_port]" "$DIR/monmap" >"$DIR/log/monmaptool.log" 2>&1
  ceph-mon -c "$CONF" -i a --mkfs --monmap "$DIR/monmap" >"$DIR/log/mkfs-mon.log" 2>&1
  ceph-mon -c "$CONF" -i a >>"$DIR/log/mkfs-mon.log" 2>&1

  # `osd new` waits for the mon's quorum itself (the CLI retries until its connect timeout).
  osd_uuid=$(cat /proc/sys/kernel/random/uuid)
  osd_id=$(ceph_ osd new "$osd_uuid" 2>>"$DIR/log/ceph-cli.log")
  [ "$osd_id" = 0 ] || die "expected OSD id 0, got '$osd_id'"
  ceph-osd -c "$CONF" -i 0 --mkfs --osd-uuid "$osd_uuid" >"$DIR/log/mkfs-osd.log" 2>&1
  ceph-osd -c "$CONF" -i 0 >>"$DIR/log/mkfs-osd.log" 2>&1

  up=0
  for _ in $(seq 100); do
    up=$(ceph_ osd stat -f json 2>>"$DIR/log/ceph-cli.log" | node -e 'let s="";process.stdin.on("data",(d)=>s+=d).on("end",()=>console.log(JSON.parse(s).num_up_osds))') || up=0
    [ "$up" = 1 ] && break
    sleep 0.1
  done
  [ "$up" = 1 ] || die "the OSD did not come up"

  # Creates the RGW pools (hence after the OSD is up) and the user with the fixed keys.
  radosgw-admin -c "$CONF" -n "$RGW_NAME" user create --uid coffer-test --display-name "Coffer tests" \
    --access-key "$ACCESS_KEY" --secret "$SECRET_KEY" >"$DIR/log/radosgw-admin.log" 2>&1

  # radosgw forks and its parent exits 0 even when the port is taken: the PID file and the
  # process behind it tell whether the gateway really runs. Another process may take the port
  # between free_ports and radosgw's bind: then try again on another one.
  for attempt in 1 2 3; do
    rm -f "$DIR/run/ceph-$RGW_NAME.pid"
    radosgw -c "$CONF" -n "$RGW_NAME" >>"$DIR/log/radosgw-start.log" 2>&1
    for _ in $(seq 50); do [ -s "$DIR/run/ceph-$RGW_NAME.pid" ] && break; sleep 0.1; done
    [ -s "$DIR/run/ceph-$RGW_NAME.pid" ] || die "radosgw wrote no PID file"
    rgw_pid=$(cat "$DIR/run/ceph-$RGW_NAME.pid")
    # An answer from another server on a taken port does not count, hence the second check.
    if wait_s3 "http://127.0.0.1:$rgw_port" "$rgw_pid" && ours "$rgw_pid"; then break; fi
    if [ "$attempt" = 3 ] || ! grep -q "failed to bind address 127.0.0.1:$rgw_port" "$DIR/log/ceph-$RGW_NAME.log"; then
      die "RGW did not come up on 127.0.0.1:$rgw_port"
    fi
    stop_daemon "$DIR/run/ceph-$RGW_NAME.pid"
    log "port $rgw_port was taken; trying another"
    rgw_port=$(free_ports 1)
    sed -i "s/^rgw frontends = beast endpoint=127.0.0.1:[0-9]*/rgw frontends = beast endpoint=127.0.0.1:$rgw_port/" "$CONF"
  done
  trap - EXIT

  printf '%s\n' "COFFER_TEST_S3_ENDPOINT=http://127.0.0.1:$rgw_port" "AWS_ACCESS_KEY_ID=$ACCESS_KEY" \
    "AWS_SECRET_ACCESS_KEY=$SECRET_KEY" "AWS_REGION=$REGION" | tee "$DIR/env"
  log "up in $(elapsed "$t0") s: RGW on 127.0.0.1:$rgw_port, logs in $DIR/log; stop with: $0 stop $DIR"
}

[ $# -eq 2 ] || usage
DIR=$2
case $DIR in /*) ;; *) DIR=$(pwd)/$DIR ;; esac
CONF=$DIR/ceph.conf
case $1 in
  start) start ;;
  stop) stop_all; log "stopped (if it was running) the cluster in $DIR" ;;
  *) usage ;;
esac
