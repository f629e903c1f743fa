#!/usr/bin/env bash
# Local Apache Kafka (KRaft, single node) and Redis for development, tests and the demo.
#   scripts/services.sh up|down|status|env|clean
# When KAFKA_BOOTSTRAP_SERVERS / REDIS_URL are set, those services are used and nothing starts.
# State (jars, data, logs, pids) lives in .state/ (git-ignored).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
STATE="${DRIFTMEND_SERVICES_STATE:-$ROOT/.state}"
KAFKA_PORT="${DRIFTMEND_KAFKA_PORT:-9092}"
CONTROLLER_PORT="${DRIFTMEND_KAFKA_CONTROLLER_PORT:-9093}"
REDIS_PORT="${DRIFTMEND_REDIS_PORT:-6379}"
KDIR="$STATE/kafka"
RDIR="$STATE/redis"
WAIT="${DRIFTMEND_SERVICES_TIMEOUT:-120}"

say() { printf '[services] %s\n' "$*"; }
die() { printf '[services] error: %s\n' "$*" >&2; exit 1; }

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
pid_alive() { [ -f "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null; }

host_port() {  # "h1:p1,h2:p2" or "redis://[:pw@]h:p/0" -> "h p" of the first
  local s="${1#*://}"; s="${s##*@}"; s="${s%%,*}"; s="${s%%/*}"
  printf '%s %s\n' "${s%:*}" "${s##*:}"
}

wait_tcp() {  # host port name
  local deadline=$((SECONDS + WAIT))
  until (exec 3<>"/dev/tcp/$1/$2") 2>/dev/null; do
    [ $SECONDS -lt $deadline ] || return 1
    sleep 0.5
  done
}

kafka_jars() {
  if [ ! -f "$KDIR/libs/.complete" ]; then
    command -v mvn >/dev/null || die "Maven is needed to fetch Kafka's jars (apt-get install -y maven)"
    command -v java >/dev/null || die "Java 17+ is needed to run Kafka (apt-get install -y openjdk-17-jre-headless)"
    say "fetching Apache Kafka jars with Maven"
    rm -rf "$KDIR/libs"
    mvn -q -B -f "$ROOT/infra/kafka/pom.xml" dependency:copy-dependencies \
      -DoutputDirectory="$KDIR/libs" >"$KDIR/maven.log" 2>&1 || { tail -30 "$KDIR/maven.log"; die "Maven could not fetch Kafka"; }
    touch "$KDIR/libs/.complete"
  fi
}

kafka_java() { java -Xms256m -Xmx1g -XX:+UseG1GC -Dlog4j2.configurationFile="$KDIR/log4j2.yaml" -cp "$KDIR/libs/*" "$@"; }

kafka_healthy() {
  port_open "$KAFKA_PORT" && kafka_java org.apache.kafka.tools.BrokerApiVersionsCommand \
    --bootstrap-server "127.0.0.1:$KAFKA_PORT" >/dev/null 2>&1
}

kafka_up() {
  mkdir -p "$KDIR"
  if pid_alive "$KDIR/kafka.pid" && port_open "$KAFKA_PORT"; then say "Kafka already running on 127.0.0.1:$KAFKA_PORT"; return; fi
  if port_open "$KAFKA_PORT"; then die "port $KAFKA_PORT is taken by another process; set KAFKA_BOOTSTRAP_SERVERS to use it, or DRIFTMEND_KAFKA_PORT to move ours"; fi
  kafka_jars
  cat >"$KDIR/log4j2.yaml" <<YAML
Configuration:
  Appenders:
    Console: {name: STDOUT, PatternLayout: {Pattern: "[%d] %p %m (%c)%n"}}
  Loggers:
    Root: {level: INFO, AppenderRef: [{ref: STDOUT}]}
    Logger: [{name: kafka, level: WARN}, {name: org.apache.kafka, level: WARN}, {name: kafka.server.KafkaServer, level: INFO}]
YAML
  sed -e "s#@KAFKA_PORT@#$KAFKA_PORT#g" -e "s#@CONTROLLER_PORT@#$CONTROLLER_PORT#g" \
      -e "s#@DATA_DIR@#$KDIR/data#g" "$ROOT/infra/kafka/server.properties" >"$KDIR/server.properties"
  if [ ! -f "$KDIR/data/meta.properties" ]; then
    say "formatting Kafka storage (KRaft)"
    [ -f "$KDIR/cluster.id" ] || kafka_java kafka.tools.StorageTool random-uuid >"$KDIR/cluster.id"
    kafka_java kafka.tools.StorageTool format --standalone -t "$(cat "$KDIR/cluster.id")" \
      -c "$KDIR/server.properties" >"$KDIR/format.log" 2>&1 || { cat "$KDIR/format.log"; die "formatting Kafka storage failed"; }
  fi
  say "starting Kafka on 127.0.0.1:$KAFKA_PORT"
  nohup java -Xms256m -Xmx1g -XX:+UseG1GC -Dlog4j2.configurationFile="$KDIR/log4j2.yaml" \
    -cp "$KDIR/libs/*" kafka.Kafka "$KDIR/server.properties" >"$KDIR/server.log" 2>&1 &
  echo $! >"$KDIR/kafka.pid"
}

redis_up() {
  mkdir -p "$RDIR"
  if pid_alive "$RDIR/redis.pid" && port_open "$REDIS_PORT"; then say "Redis already running on 127.0.0.1:$REDIS_PORT"; return; fi
  if port_open "$REDIS_PORT"; then die "port $REDIS_PORT is taken by another process; set REDIS_URL to use it, or DRIFTMEND_REDIS_PORT to move ours"; fi
  if ! command -v redis-server >/dev/null; then
    say "installing redis-server from Debian's packages"
    [ "$(id -u)" = 0 ] || die "redis-server is missing: apt-get install -y redis-server (as root)"
    apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq redis-server >/dev/null \
      || die "could not install redis-server"
  fi
  say "starting Redis on 127.0.0.1:$REDIS_PORT"
  redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --daemonize yes --dir "$RDIR" \
    --pidfile "$RDIR/redis.pid" --logfile "$RDIR/redis.log" --save '' --appendonly no
}

up() {
  mkdir -p "$STATE"
  if [ -z "${REDIS_URL:-}" ]; then redis_up; fi
  if [ -z "${KAFKA_BOOTSTRAP_SERVERS:-}" ]; then kafka_up; fi
  if [ -n "${REDIS_URL:-}" ]; then
    read -r h p < <(host_port "$REDIS_URL"); wait_tcp "$h" "$p" || die "Redis at $REDIS_URL does not answer"
    say "using Redis at $h:$p"
  else
    local deadline=$((SECONDS + WAIT))
    until [ "$(redis-cli -p "$REDIS_PORT" ping 2>/dev/null)" = PONG ]; do
      [ $SECONDS -lt $deadline ] || { tail -30 "$RDIR/redis.log"; die "Redis did not become healthy"; }
      sleep 0.3
    done
  fi
  if [ -n "${KAFKA_BOOTSTRAP_SERVERS:-}" ]; then
    read -r h p < <(host_port "$KAFKA_BOOTSTRAP_SERVERS"); wait_tcp "$h" "$p" || die "Kafka at $KAFKA_BOOTSTRAP_SERVERS does not answer"
    say "using Kafka at $KAFKA_BOOTSTRAP_SERVERS"
  else
    local deadline=$((SECONDS + WAIT))
    until kafka_healthy; do
      pid_alive "$KDIR/kafka.pid" || { tail -40 "$KDIR/server.log"; die "Kafka exited during start-up"; }
      [ $SECONDS -lt $deadline ] || { tail -40 "$KDIR/server.log"; die "Kafka did not become healthy in ${WAIT}s"; }
      sleep 1
    done
  fi
  say "healthy"
}

stop_pid() {  # pidfile name
  pid_alive "$1" || { rm -f "$1"; return 0; }
  local pid; pid="$(cat "$1")"
  say "stopping $2 (pid $pid)"
  kill "$pid" 2>/dev/null || true
  for _ in $(seq 1 40); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
  kill -9 "$pid" 2>/dev/null || true
  rm -f "$1"
}

down() {
  stop_pid "$KDIR/kafka.pid" Kafka
  stop_pid "$RDIR/redis.pid" Redis
}

status() {
  if [ -n "${KAFKA_BOOTSTRAP_SERVERS:-}" ]; then echo "kafka: external $KAFKA_BOOTSTRAP_SERVERS"
  elif pid_alive "$KDIR/kafka.pid"; then echo "kafka: running (pid $(cat "$KDIR/kafka.pid")) on 127.0.0.1:$KAFKA_PORT"
  else echo "kafka: stopped"; fi
  if [ -n "${REDIS_URL:-}" ]; then echo "redis: external"
  elif pid_alive "$RDIR/redis.pid"; then echo "redis: running (pid $(cat "$RDIR/redis.pid")) on 127.0.0.1:$REDIS_PORT"
  else echo "redis: stopped"; fi
}

env_lines() {
  echo "export KAFKA_BOOTSTRAP_SERVERS=${KAFKA_BOOTSTRAP_SERVERS:-127.0.0.1:$KAFKA_PORT}"
  echo "export REDIS_URL=${REDIS_URL:-redis://127.0.0.1:$REDIS_PORT/0}"
}

clean() { down; rm -rf "$KDIR/data" "$KDIR/cluster.id" "$RDIR"; say "state removed"; }

case "${1:-}" in
  up) up ;;
  down) down ;;
  status) status ;;
  env) env_lines ;;
  clean) clean ;;
  *) echo "usage: $0 up|down|status|env|clean" >&2; exit 2 ;;
esac
