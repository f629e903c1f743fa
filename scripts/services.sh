#!/usr/bin/env bash
# Local Apache Kafka (4.x, KRaft, one node) and Redis for development, tests and the demo.
#
#   scripts/services.sh up       start what is not running, then wait until both answer
#   scripts/services.sh down     stop the Kafka and Redis this checkout started (state is kept)
#   scripts/services.sh status   one line per service
#   scripts/services.sh env      `export KAFKA_BOOTSTRAP_SERVERS=...` and `export REDIS_URL=...`
#   scripts/services.sh clean    down, then delete Kafka's data and Redis' state (jars are kept)
#   scripts/services.sh jars     fetch Kafka's jars (and Java) only; prints the folder that holds them
#
# With KAFKA_BOOTSTRAP_SERVERS / REDIS_URL set, that service is only waited for, never started
# or stopped. Kafka's jars come from Maven Central through infra/kafka/pom.xml; Redis from
# Debian's packages (installed when missing, as is Java 17 / Maven). Everything else lives in
# .state/ (git-ignored): jars, data, logs, pid files.
#
# Settings (environment): DRIFTMEND_KAFKA_PORT (9092), DRIFTMEND_KAFKA_CONTROLLER_PORT (9093),
# DRIFTMEND_REDIS_PORT (6379), DRIFTMEND_SERVICES_TIMEOUT (90 s), DRIFTMEND_SERVICES_STATE (.state),
# DRIFTMEND_KAFKA_HEAP ("-Xms256m -Xmx1g").
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
STATE="${DRIFTMEND_SERVICES_STATE:-$ROOT/.state}"
KAFKA_PORT="${DRIFTMEND_KAFKA_PORT:-9092}"
CONTROLLER_PORT="${DRIFTMEND_KAFKA_CONTROLLER_PORT:-9093}"
REDIS_PORT="${DRIFTMEND_REDIS_PORT:-6379}"
WAIT="${DRIFTMEND_SERVICES_TIMEOUT:-90}"
KAFKA_HEAP="${DRIFTMEND_KAFKA_HEAP:--Xms256m -Xmx1g}"
KDIR="$STATE/kafka"
RDIR="$STATE/redis"
POM="$ROOT/infra/kafka/pom.xml"
PY="$(command -v python3.11 || command -v python3 || true)"

say() { printf '[services] %s\n' "$*"; }
die() { printf '[services] error: %s\n' "$*" >&2; exit 1; }

# ---------------------------------------------------------------- probes

# probe kafka|redis HOST PORT: exit 0 when the service answers its own protocol there.
# Kafka: an ApiVersions request (v0, which every broker version accepts); a KRaft broker opens
# its client listener last in start-up, once it has caught up with the metadata and is unfenced.
# Redis: PING (a -NOAUTH answer from a password-protected server counts as answering).
probe() {
  "$PY" - "$@" <<'PY'
import socket, struct, sys
kind, host, port = sys.argv[1], sys.argv[2].strip("[]"), int(sys.argv[3])
ok = False
try:
    with socket.create_connection((host, port), timeout=2) as s:
        s.settimeout(5)
        if kind == "kafka":
            client = b"driftmend-probe"
            req = struct.pack(">hhih", 18, 0, 4242, len(client)) + client
            s.sendall(struct.pack(">i", len(req)) + req)
            f = s.makefile("rb")
            size = struct.unpack(">i", f.read(4))[0]
            resp = f.read(size)
            corr, err, n = struct.unpack(">ihi", resp[:10])
            ok = corr == 4242 and err == 0 and n > 0
        else:
            s.sendall(b"PING\r\n")
            ok = s.makefile("rb").readline().startswith((b"+PONG", b"-NOAUTH"))
except (OSError, struct.error, ValueError):
    ok = False
sys.exit(0 if ok else 1)
PY
}

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# "h1:p1,h2:p2" (Kafka) or "redis://[user:pw@]host:port/0" -> "host port" lines
endpoints() {
  local s="${1#*://}" item
  s="${s##*@}"; s="${s%%/*}"; s="${s%%\?*}"
  IFS=',' read -r -a items <<<"$s"
  for item in "${items[@]}"; do
    item="${item// /}"
    [ -n "$item" ] || continue
    if [[ "$item" == *:* ]]; then printf '%s %s\n' "${item%:*}" "${item##*:}"; else printf '%s %s\n' "$item" "$2"; fi
  done
}

external_answers() {  # kafka|redis VALUE DEFAULT_PORT
  local h p
  while read -r h p; do probe "$1" "$h" "$p" && return 0; done < <(endpoints "$2" "$3")
  return 1
}

# ---------------------------------------------------------------- processes

# alive PID: a running process (a zombie that init has not reaped yet does not count)
alive() {
  local st
  st="$(sed -n 's/^.*) \([A-Za-z]\).*/\1/p' "/proc/$1/stat" 2>/dev/null)"
  [ -n "$st" ] && [ "$st" != Z ] && [ "$st" != X ]
}

# ours NAME: the pid file names a live process that really is our Kafka / Redis
ours() {
  local pidfile pid
  case "$1" in
    kafka) pidfile="$KDIR/kafka.pid" ;;
    redis) pidfile="$RDIR/redis.pid" ;;
  esac
  [ -s "$pidfile" ] || return 1
  pid="$(cat "$pidfile")"
  alive "$pid" || return 1
  case "$1" in
    kafka) tr '\0' ' ' <"/proc/$pid/cmdline" | grep -qF "kafka.Kafka $KDIR/server.properties" ;;
    redis) [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = redis-server ] ;;
  esac
}

close_fds() {  # in a subshell that is about to exec a daemon: close every descriptor above 2
  local fd
  for fd in "/proc/$BASHPID/fd/"*; do
    fd="${fd##*/}"
    if [ "$fd" -gt 2 ] && [ "$fd" -lt 255 ]; then eval "exec $fd>&-" 2>/dev/null || true; fi
  done
}

stop_pidfile() {  # PIDFILE NAME
  local pidfile="$1" pid
  pid="$(cat "$pidfile")"
  say "stopping $2 (pid $pid)"
  kill -TERM "$pid" 2>/dev/null || true
  for _ in $(seq 1 80); do
    alive "$pid" || break
    sleep 0.25
  done
  if alive "$pid"; then
    say "$2 did not stop in 20 s: killing it"
    kill -KILL "$pid" 2>/dev/null || true
    sleep 0.5
  fi
  rm -f "$pidfile"
}

# ---------------------------------------------------------------- installs

APT_UPDATED=
apt_install() {  # PACKAGE...
  [ "$(id -u)" = 0 ] || die "missing $*: install it (apt-get install -y $*) and run this again"
  command -v apt-get >/dev/null || die "missing $* (and no apt-get to install it)"
  mkdir -p "$STATE"
  say "installing $* from Debian's packages"
  if [ -z "$APT_UPDATED" ]; then
    apt-get update -qq >"$STATE/apt.log" 2>&1 || { tail -30 "$STATE/apt.log"; die "apt-get update failed"; }
    APT_UPDATED=1
  fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >>"$STATE/apt.log" 2>&1 \
    || { tail -30 "$STATE/apt.log"; die "could not install $*"; }
}

java_major() {
  java -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java\.specification\.version = \([0-9]*\).*/\1/p'
}

need_java() {
  if ! command -v java >/dev/null || [ "$(java_major)" -lt 17 ] 2>/dev/null; then
    apt_install openjdk-17-jre-headless
    [ "$(java_major)" -ge 17 ] 2>/dev/null || die "Kafka 4 needs Java 17 or newer on PATH (java -version: $(java_major))"
  fi
}

need_maven() { command -v mvn >/dev/null || apt_install maven; }

need_promtool() {  # checks the Prometheus alert rules in the tests; the server is not wanted
  command -v promtool >/dev/null && return 0
  apt_install prometheus
  command -v systemctl >/dev/null && systemctl disable --now prometheus >/dev/null 2>&1 || true
  pkill -x prometheus 2>/dev/null || true
}

need_redis() {
  command -v redis-server >/dev/null && command -v redis-cli >/dev/null && return 0
  apt_install redis-server
  # without systemd Debian's package does not start its own server; if it did, stop it: ours runs
  # with our own settings and state
  if probe redis 127.0.0.1 "$REDIS_PORT" && [ -x /etc/init.d/redis-server ]; then
    /etc/init.d/redis-server stop >/dev/null 2>&1 || true
  fi
}

# ---------------------------------------------------------------- Kafka

kafka_version() { sed -n 's:.*<kafka.version>\(.*\)</kafka.version>.*:\1:p' "$POM"; }
libs_version() {  # the version of the jars in .state/kafka/libs (what runs)
  local jar
  for jar in "$KDIR"/libs/kafka_2.13-*.jar; do jar="${jar##*/kafka_2.13-}"; echo "${jar%.jar}"; return; done
}

kjava() {  # the broker's classpath for the short-lived tools (small heap)
  java -Xmx256m -Dlog4j2.configurationFile="$ROOT/infra/kafka/log4j2.properties" -cp "$KDIR/libs/*" "$@"
}

kafka_jars() {  # fetched once per version of the pom
  local want
  want="$(sha256sum "$POM" | cut -c1-16)"
  [ "$(cat "$KDIR/libs/.complete" 2>/dev/null)" = "$want" ] && return 0
  need_maven
  say "fetching Apache Kafka $(kafka_version) with Maven"
  mkdir -p "$KDIR"  # also when the services run elsewhere (KAFKA_BOOTSTRAP_SERVERS)
  rm -rf "$KDIR/libs.part"
  mvn -q -B -Dstyle.color=never -f "$POM" dependency:copy-dependencies \
    -DoutputDirectory="$KDIR/libs.part" >"$KDIR/maven.log" 2>&1 \
    || { tail -30 "$KDIR/maven.log"; die "Maven could not fetch Kafka's jars (log: $KDIR/maven.log)"; }
  rm -rf "$KDIR/libs"
  mv "$KDIR/libs.part" "$KDIR/libs"
  echo "$want" >"$KDIR/libs/.complete"
}

kafka_start() {
  mkdir -p "$KDIR"
  if ours kafka; then
    say "Kafka already running (pid $(cat "$KDIR/kafka.pid")) on 127.0.0.1:$KAFKA_PORT"
    return 0
  fi
  rm -f "$KDIR/kafka.pid"
  if port_open "$KAFKA_PORT"; then
    if probe kafka 127.0.0.1 "$KAFKA_PORT"; then
      say "a Kafka this checkout did not start answers on 127.0.0.1:$KAFKA_PORT: using it"
      return 0
    fi
    die "port $KAFKA_PORT is taken by something that is not Kafka; set DRIFTMEND_KAFKA_PORT to move ours (or KAFKA_BOOTSTRAP_SERVERS to use another broker)"
  fi
  port_open "$CONTROLLER_PORT" && die "Kafka's controller port $CONTROLLER_PORT is taken; set DRIFTMEND_KAFKA_CONTROLLER_PORT"
  need_java
  kafka_jars
  sed -e "s#@KAFKA_PORT@#$KAFKA_PORT#g" -e "s#@CONTROLLER_PORT@#$CONTROLLER_PORT#g" \
      -e "s#@DATA_DIR@#$KDIR/data#g" "$ROOT/infra/kafka/server.properties" >"$KDIR/server.properties"
  if [ ! -f "$KDIR/data/meta.properties" ]; then
    say "formatting Kafka's storage (KRaft, cluster id in $KDIR/cluster.id)"
    [ -s "$KDIR/cluster.id" ] || kjava kafka.tools.StorageTool random-uuid >"$KDIR/cluster.id"
    kjava kafka.tools.StorageTool format --standalone -t "$(cat "$KDIR/cluster.id")" \
      -c "$KDIR/server.properties" >"$KDIR/format.log" 2>&1 \
      || { tail -30 "$KDIR/format.log"; die "formatting Kafka's storage failed"; }
  fi
  [ -f "$KDIR/server.log" ] && mv -f "$KDIR/server.log" "$KDIR/server.log.1"
  say "starting Apache Kafka $(libs_version) on 127.0.0.1:$KAFKA_PORT"
  # own session and none of our open files (the lock, a caller's pipes): a Ctrl-C in the
  # terminal or the end of `make` does not take the broker along, and nothing waits for it
  (
    close_fds
    # shellcheck disable=SC2086  # KAFKA_HEAP is a list of JVM options
    exec setsid nohup java $KAFKA_HEAP -XX:+UseG1GC -XX:MaxGCPauseMillis=20 -XX:InitiatingHeapOccupancyPercent=35 \
      -Djava.awt.headless=true -Dlog4j2.configurationFile="$ROOT/infra/kafka/log4j2.properties" \
      -cp "$KDIR/libs/*" kafka.Kafka "$KDIR/server.properties" </dev/null >"$KDIR/server.log" 2>&1
  ) &
  echo $! >"$KDIR/kafka.pid"
}

kafka_wait() {
  local deadline=$((SECONDS + WAIT)) t0=$SECONDS
  until probe kafka 127.0.0.1 "$KAFKA_PORT"; do
    if [ -s "$KDIR/kafka.pid" ] && ! alive "$(cat "$KDIR/kafka.pid")"; then
      tail -30 "$KDIR/server.log" >&2 || true
      die "Kafka exited during start-up (log: $KDIR/server.log)"
    fi
    if [ $SECONDS -ge $deadline ]; then
      tail -30 "$KDIR/server.log" >&2 || true
      die "Kafka did not answer on 127.0.0.1:$KAFKA_PORT within ${WAIT}s (log: $KDIR/server.log)"
    fi
    sleep 0.5
  done
  say "Kafka ready on 127.0.0.1:$KAFKA_PORT ($((SECONDS - t0)) s)"
}

# ---------------------------------------------------------------- Redis

redis_start() {
  mkdir -p "$RDIR"
  if ours redis; then
    say "Redis already running (pid $(cat "$RDIR/redis.pid")) on 127.0.0.1:$REDIS_PORT"
    return 0
  fi
  rm -f "$RDIR/redis.pid"
  if port_open "$REDIS_PORT"; then
    if probe redis 127.0.0.1 "$REDIS_PORT"; then
      say "a Redis this checkout did not start answers on 127.0.0.1:$REDIS_PORT: using it"
      return 0
    fi
    die "port $REDIS_PORT is taken by something that is not Redis; set DRIFTMEND_REDIS_PORT to move ours (or REDIS_URL to use another server)"
  fi
  need_redis
  say "starting Redis on 127.0.0.1:$REDIS_PORT"
  ( close_fds
    exec redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --daemonize yes --dir "$RDIR" \
      --pidfile "$RDIR/redis.pid" --logfile "$RDIR/redis.log" --save '' --appendonly no </dev/null
  ) || { tail -30 "$RDIR/redis.log" >&2 || true; die "redis-server did not start"; }
}

redis_wait() {
  local deadline=$((SECONDS + WAIT))
  until [ "$(redis-cli -h 127.0.0.1 -p "$REDIS_PORT" ping 2>/dev/null)" = PONG ]; do
    if [ -s "$RDIR/redis.pid" ] && ! ours redis; then
      tail -30 "$RDIR/redis.log" >&2 || true
      die "Redis exited during start-up (log: $RDIR/redis.log)"
    fi
    if [ $SECONDS -ge $deadline ]; then
      tail -30 "$RDIR/redis.log" >&2 || true
      die "Redis did not answer PING on 127.0.0.1:$REDIS_PORT within ${WAIT}s (log: $RDIR/redis.log)"
    fi
    sleep 0.2
  done
  say "Redis ready on 127.0.0.1:$REDIS_PORT"
}

wait_external() {  # kafka|redis VALUE DEFAULT_PORT
  local deadline=$((SECONDS + WAIT))
  until external_answers "$1" "$2" "$3"; do
    [ $SECONDS -lt $deadline ] || die "$1 at $2 does not answer (waited ${WAIT}s)"
    sleep 1
  done
  say "using $1 at $2"
}

# ---------------------------------------------------------------- commands

lock() {  # one up/down/clean at a time per state folder
  mkdir -p "$STATE"
  exec 9>"$STATE/.services.lock"
  flock 9
}

cmd_up() {
  [ -n "$PY" ] || die "python3 is needed"
  lock
  # start both, then wait for both: Redis is ready while the JVM is still starting
  [ -n "${REDIS_URL:-}" ] || redis_start
  [ -n "${KAFKA_BOOTSTRAP_SERVERS:-}" ] || kafka_start
  if [ -n "${REDIS_URL:-}" ]; then wait_external redis "$REDIS_URL" 6379; else redis_wait; fi
  if [ -n "${KAFKA_BOOTSTRAP_SERVERS:-}" ]; then wait_external kafka "$KAFKA_BOOTSTRAP_SERVERS" 9092; else kafka_wait; fi
}

cmd_down() {
  lock
  if ours kafka; then stop_pidfile "$KDIR/kafka.pid" Kafka; else rm -f "$KDIR/kafka.pid"; say "Kafka: none of ours running"; fi
  if ours redis; then stop_pidfile "$RDIR/redis.pid" Redis; else rm -f "$RDIR/redis.pid"; say "Redis: none of ours running"; fi
}

cmd_stop() {  # kafka|redis: stop one of ours (fault tests); `up` starts it again
  lock
  case "${1:-}" in
    kafka) ours kafka && stop_pidfile "$KDIR/kafka.pid" Kafka ;;
    redis) ours redis && stop_pidfile "$RDIR/redis.pid" Redis ;;
    *) die "stop kafka|redis" ;;
  esac
}

cmd_status() {
  local health
  if [ -n "${KAFKA_BOOTSTRAP_SERVERS:-}" ]; then
    external_answers kafka "$KAFKA_BOOTSTRAP_SERVERS" 9092 && health=answering || health="NOT answering"
    echo "kafka: external $KAFKA_BOOTSTRAP_SERVERS, $health"
  else
    probe kafka 127.0.0.1 "$KAFKA_PORT" && health=answering || health="NOT answering"
    if ours kafka; then echo "kafka: running (pid $(cat "$KDIR/kafka.pid"), Apache Kafka $(libs_version)) on 127.0.0.1:$KAFKA_PORT, $health"
    elif [ "$health" = answering ]; then echo "kafka: not ours, but a broker answers on 127.0.0.1:$KAFKA_PORT"
    else echo "kafka: stopped"; fi
  fi
  if [ -n "${REDIS_URL:-}" ]; then
    external_answers redis "$REDIS_URL" 6379 && health=answering || health="NOT answering"
    echo "redis: external, $health"
  else
    probe redis 127.0.0.1 "$REDIS_PORT" && health=answering || health="NOT answering"
    if ours redis; then echo "redis: running (pid $(cat "$RDIR/redis.pid")) on 127.0.0.1:$REDIS_PORT, $health"
    elif [ "$health" = answering ]; then echo "redis: not ours, but a server answers on 127.0.0.1:$REDIS_PORT"
    else echo "redis: stopped"; fi
  fi
}

cmd_tools() { lock; need_promtool; }

cmd_jars() { lock; need_java; kafka_jars; echo "$KDIR/libs"; }

cmd_env() {
  printf 'export KAFKA_BOOTSTRAP_SERVERS=%q\n' "${KAFKA_BOOTSTRAP_SERVERS:-127.0.0.1:$KAFKA_PORT}"
  printf 'export REDIS_URL=%q\n' "${REDIS_URL:-redis://127.0.0.1:$REDIS_PORT/0}"
}

cmd_clean() {
  cmd_down
  rm -rf "$KDIR/data" "$KDIR/cluster.id" "$KDIR/server.log" "$KDIR/server.log.1" "$KDIR/format.log" "$RDIR"
  say "Kafka's data and Redis' state removed (jars kept in $KDIR/libs)"
}

case "${1:-}" in
  up) cmd_up ;;
  down) cmd_down ;;
  status) cmd_status ;;
  env) cmd_env ;;
  tools) cmd_tools ;;
  jars) cmd_jars ;;
  stop) cmd_stop "${2:-}" ;;
  clean) cmd_clean ;;
  *) echo "usage: $0 up|down|status|env|clean|tools|stop kafka|redis" >&2; exit 2 ;;
esac
