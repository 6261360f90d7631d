#!/usr/bin/env bash
# Runs the container tests (test/container): the real Dockerfile built and run with podman, and
# the load balancer config in front of two gateways. On machines without a container registry,
# ../shared/container provides a local base image and the podman settings that work there; this
# script uses them when they are beside the repository.
set -euo pipefail
cd "$(dirname "$0")/.."

podman_env=../shared/container/podman-env.sh
if [ -f "$podman_env" ]; then
  # shellcheck source=/dev/null
  source "$podman_env"
elif [ -z "${CONTAINERS_CONF:-}" ]; then
  # A clone elsewhere gets the settings that script makes: no default ulimits (a raised nofile
  # limit is refused here, so every container would fail to start), cgroupfs and runc, and the
  # docker image format, which keeps HEALTHCHECK.
  conf=${TMPDIR:-/tmp}/chat-gateway-containers.conf
  printf '[containers]\ndefault_ulimits = []\n[engine]\ncgroup_manager = "cgroupfs"\nruntime = "runc"\n' > "$conf"
  export CONTAINERS_CONF=$conf BUILDAH_FORMAT=docker
fi

# The load balancer test runs Debian's nginx binary. It is unpacked from the package rather than
# installed, so no nginx service is started on the machine.
if [ -z "${NGINX_BIN:-}" ] && ! command -v nginx >/dev/null 2>&1 && command -v apt-get >/dev/null 2>&1; then
  nginx_dir=${TMPDIR:-/tmp}/chat-gateway-nginx
  if [ ! -x "$nginx_dir/root/usr/sbin/nginx" ]; then
    mkdir -p "$nginx_dir"
    (cd "$nginx_dir" && { apt-get download nginx >/dev/null 2>&1 || { apt-get update -qq >/dev/null 2>&1 && apt-get download nginx >/dev/null 2>&1; }; } \
      && dpkg -x nginx_*.deb root) || echo "could not fetch Debian's nginx package; the load balancer test will say so"
  fi
  [ -x "$nginx_dir/root/usr/sbin/nginx" ] && export NGINX_BIN="$nginx_dir/root/usr/sbin/nginx"
fi

export CONTAINER_TESTS=1 TEST_RESULTS_NAME=${TEST_RESULTS_NAME:-container}
exec node --experimental-vm-modules node_modules/jest/bin/jest.js --runInBand test/container "$@"
