#!/usr/bin/env bash
# Bring up what the Docker sandbox needs, skipping whatever is already there: the engine and debootstrap
# (Debian packages, as root), a running dockerd, and the sandbox image (built offline by `rest-em sandbox build`).
# REST_EM_RUNTIMES=runsc also installs gVisor and registers it with dockerd (scripts/runsc-up.sh).
set -euo pipefail

if ! command -v dockerd >/dev/null 2>&1 || ! command -v debootstrap >/dev/null 2>&1; then
    if [ "$(id -u)" -ne 0 ]; then
        echo "docker-up: install docker.io and debootstrap (needs root), then rerun" >&2
        exit 1
    fi
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq docker.io debootstrap >/dev/null
fi
if ! timeout 20 docker info >/dev/null 2>&1; then
    nohup dockerd >/tmp/rest-em-dockerd.log 2>&1 &
    for _ in $(seq 1 60); do timeout 10 docker info >/dev/null 2>&1 && break; sleep 1; done
    timeout 20 docker info >/dev/null 2>&1 || { echo "docker-up: dockerd did not start; see /tmp/rest-em-dockerd.log" >&2; exit 1; }
fi
case ",${REST_EM_RUNTIMES:-}," in
    *,runsc,*) bash "$(dirname "$0")/runsc-up.sh" ;;
esac
rest-em sandbox build
