#!/usr/bin/env bash
# The Kubernetes part of docs/distributed.md, checked without a cluster
# (nothing here runs Kubernetes): the doc shows the manifests and the
# Dockerfile of examples/kubernetes/ verbatim, and kubernetes.py checks the
# manifests against each other and the doc and runs their container
# commands here (see its docstring).
#
# Usage: tests/cluster/kubernetes.sh [CASCADE_BINARY]   (default: builds
# target/release/cascade). Needs Python 3 with PyYAML; installs Debian's
# python3-yaml where it is missing, and skips (exit 0, with the reason)
# only where that cannot be done.
set -euo pipefail
cd "$(dirname "$0")/../.."
# shellcheck source=tests/cluster/common.sh
. tests/cluster/common.sh

for f in examples/kubernetes/{Dockerfile,Dockerfile.dockerignore,stress-job.yaml,merge-job.yaml}; do
  doc_shows docs/distributed.md "$f"
done

python=
for p in python3 /usr/bin/python3; do
  if "$p" -c 'import yaml' 2>/dev/null; then python=$p; break; fi
done
if [[ -z $python ]]; then
  if [[ $(id -u) == 0 ]] && command -v apt-get >/dev/null &&
    DEBIAN_FRONTEND=noninteractive apt-get -y -q -o DPkg::Lock::Timeout=600 \
      install --no-install-recommends python3-yaml >/dev/null 2>&1; then
    python=/usr/bin/python3
  else
    echo "kubernetes: SKIPPED the manifest checks: no Python 3 with PyYAML, and apt-get could not install python3-yaml"
    exit 0
  fi
fi

bin=$(cascade_binary "$@")
exec "$python" tests/cluster/kubernetes.py "$bin"
