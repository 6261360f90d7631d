#!/usr/bin/env bash
# Runs the container test (test/container) with podman. On machines without a container registry,
# ../shared/container provides a local base image and the podman settings that work there; this
# script uses them when they are beside the repository.
set -euo pipefail
cd "$(dirname "$0")/.."
podman_env=../shared/container/podman-env.sh
if [ -f "$podman_env" ]; then
  # shellcheck source=/dev/null
  source "$podman_env"
fi
export CONTAINER_TESTS=1 TEST_RESULTS_NAME=${TEST_RESULTS_NAME:-container}
exec node --experimental-vm-modules node_modules/jest/bin/jest.js --runInBand test/container "$@"
