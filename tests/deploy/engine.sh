#!/usr/bin/env bash
# A Docker engine for tests/deploy, where the machine may have none running (this project's CI
# machine: Debian, no image registry reachable, no bridge network). Idempotent:
#   - an engine that answers is used as it is (a developer's Docker Desktop, a CI runner's);
#   - else Debian's docker.io and docker-compose are installed (as root) and dockerd is started
#     without a bridge network (the stacks use host networking, ports on 127.0.0.1);
#   - the Dockerfile's base image is pulled, or, where nothing can be pulled, a stand-in is built
#     from Debian's own packages (debootstrap of bookworm, Debian's Python 3.11 and pip).
set -euo pipefail
log() { echo "engine: $*" >&2; }
BASE=python:3.11.7-slim-bookworm
export DEBIAN_FRONTEND=noninteractive
if ! docker info >/dev/null 2>&1; then
  need=()
  command -v dockerd >/dev/null || need+=(docker.io)
  command -v docker-compose >/dev/null || need+=(docker-compose)
  command -v debootstrap >/dev/null || need+=(debootstrap)
  if [ ${#need[@]} -gt 0 ]; then
    [ "$(id -u)" = 0 ] || { log "install ${need[*]} (or start a Docker engine)"; exit 1; }
    log "installing ${need[*]}"
    apt-get install -y -q "${need[@]}" >/dev/null 2>&1 || { apt-get update -q >/dev/null; apt-get install -y -q "${need[@]}" >/dev/null; }
  fi
  log "starting dockerd (no bridge, no iptables)"
  (setsid dockerd --bridge=none --iptables=false --ip-masq=false >/var/log/dockerd-exequatur.log 2>&1 &)
  for _ in $(seq 1 60); do docker info >/dev/null 2>&1 && break; sleep 1; done
  docker info >/dev/null 2>&1 || { log "dockerd did not start: /var/log/dockerd-exequatur.log"; exit 1; }
fi
command -v docker-compose >/dev/null || docker compose version >/dev/null 2>&1 || { log "no Compose"; exit 1; }
if ! docker image inspect "$BASE" >/dev/null 2>&1 && ! timeout 60 docker pull -q "$BASE" >/dev/null 2>&1; then
  if ! docker image inspect local/bookworm:1 >/dev/null 2>&1; then
    mirror=$(grep -rhE '^URIs:' /etc/apt/sources.list.d/*.sources 2>/dev/null | awk '{print $2}' | grep -E '/debian/?$' | head -1)
    [ -n "$mirror" ] || mirror=$(grep -hE '^deb ' /etc/apt/sources.list 2>/dev/null | awk '{print $2}' | head -1)
    root=$(mktemp -d /var/tmp/bookworm.XXXX)
    log "debootstrap of bookworm from $mirror (about a minute)"
    debootstrap --variant=minbase bookworm "$root" "$mirror" >/var/log/debootstrap-exequatur.log 2>&1
    tar -C "$root" -c . | docker import - local/bookworm:1 >/dev/null
    rm -rf "$root"
  fi
  context=$(mktemp -d)
  cp /etc/ssl/certs/ca-certificates.crt "$context/machine-ca.crt"
  cat > "$context/Dockerfile" <<'DOCKERFILE'
FROM local/bookworm:1
RUN apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
      python3 python3-pip python3-venv python-is-python3 \
 && rm -rf /var/lib/apt/lists/* && rm -f /usr/lib/python3.11/EXTERNALLY-MANAGED
COPY machine-ca.crt /etc/ssl/machine-ca.crt
ENV PIP_CERT=/etc/ssl/machine-ca.crt SSL_CERT_FILE=/etc/ssl/machine-ca.crt
DOCKERFILE
  log "building a stand-in $BASE from Debian's packages"
  docker build -q --network host -t "$BASE" "$context" >/dev/null
  rm -rf "$context"
fi
log "ready: engine $(docker version --format '{{.Server.Version}}')"
