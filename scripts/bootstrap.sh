#!/usr/bin/env bash
# Installs what userforge needs on a fresh Debian machine, and nothing twice.
#   bash scripts/bootstrap.sh --platform   what the local platform runs (scripts/up.sh): Debian's Redis,
#                                          Prometheus and PostgreSQL, npm dependencies, the cached Kafka
#                                          jars and FerretDB binary. No Kubernetes, Helm, skaffold or images.
#   bash scripts/bootstrap.sh              everything the full test suite tests (scripts/test.sh): the
#                                          above, then Kubernetes, Helm, skaffold, the fuzzer, and as root
#                                          kind and the images.
# The commands that need the Kubernetes parts (`npm run kind:up`, `skaffold`, `stack:up -- --kube`)
# build them on first use too.
set -euo pipefail
cd "$(dirname "$0")/.."

say() { printf '[bootstrap] %s\n' "$*"; }
case "${1:-}" in
  --platform) platform_only=1 ;;
  "" | --all) platform_only=0 ;;
  *) say "error: unknown option ${1} (usage: bootstrap.sh [--platform|--all])"; exit 2 ;;
esac
started=$SECONDS
need() { command -v "$1" > /dev/null 2>&1 || { say "error: $1 is required: $2"; exit 1; }; }

need node "install Node.js 20.19 or newer"
need npm "install npm (it comes with Node.js)"
node -e 'const [a,b]=process.versions.node.split(".").map(Number); process.exit(a>20||(a===20&&b>=19)?0:1)' \
  || { say "error: Node.js 20.19+ is required, found $(node -v)"; exit 1; }
need java "install a JDK 17+ (Debian: openjdk-17-jdk-headless); Kafka runs on it"
need mvn "install Maven (Debian: maven); it fetches Kafka's jars"
need go "install Go 1.22+; it builds FerretDB and Kubernetes"

missing=()
command -v redis-server > /dev/null 2>&1 || missing+=(redis-server)
command -v prometheus > /dev/null 2>&1 || missing+=(prometheus)
ls /usr/lib/postgresql/*/bin/postgres > /dev/null 2>&1 || missing+=(postgresql)
if [ "$platform_only" -eq 0 ]; then
  need python3 "install Python 3 (Debian: python3); the API fuzzer (schemathesis) runs on it"
  # Headless Chromium for the dashboard's end-to-end tests (driven by playwright-core, never downloaded).
  command -v chromium > /dev/null 2>&1 || missing+=(chromium)
  # etcd for the Kubernetes control plane (`stack:up -- --kube`, and the tests); policy-rc.d below keeps a system etcd from starting.
  command -v etcd > /dev/null 2>&1 || missing+=(etcd-server)
  command -v openssl > /dev/null 2>&1 || missing+=(openssl)
  command -v nginx > /dev/null 2>&1 || [ -x /usr/sbin/nginx ] || missing+=(nginx-light)  # the dashboard's nginx config test
  # kind (`npm run kind:up`): its Docker engine runs on the machine's containerd and runc and writes
  # iptables rules (in a namespace of its own); gcc, buildah and busybox-static make the local pause,
  # busybox, CoreDNS and Traefik images (nothing is pulled). policy-rc.d below keeps a system
  # containerd from starting.
  command -v containerd > /dev/null 2>&1 || missing+=(containerd)
  command -v runc > /dev/null 2>&1 || missing+=(runc)
  command -v iptables > /dev/null 2>&1 || missing+=(iptables)
  command -v gcc > /dev/null 2>&1 || missing+=(gcc libc6-dev)
  command -v buildah > /dev/null 2>&1 || missing+=(buildah)
  command -v busybox > /dev/null 2>&1 || missing+=(busybox-static)
  # schemathesis (the API fuzzer of the test suite) runs in a Python virtual environment.
  python3 -m venv --help > /dev/null 2>&1 || missing+=(python3-venv)
  # The app images (`npm run images:build`) are built without a Docker engine or a registry: buildah
  # builds the Dockerfile (its native overlay driver works as root, so no fuse-overlayfs or uidmap),
  # debootstrap makes the local Debian bases it builds from, and the image tests start them with runc.
  command -v buildah > /dev/null 2>&1 || missing+=(buildah)
  command -v debootstrap > /dev/null 2>&1 || missing+=(debootstrap)
  command -v runc > /dev/null 2>&1 || missing+=(runc)
fi
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ] && ! command -v sudo > /dev/null 2>&1; then
    say "error: missing Debian packages: ${missing[*]} (run as root or install them yourself)"; exit 1
  fi
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO=sudo
  say "installing Debian packages: ${missing[*]}"
  $SUDO apt-get update -qq
  # Packages must not start system-wide daemons on the platform's ports.
  printf '#!/bin/sh\nexit 101\n' | $SUDO tee /usr/sbin/policy-rc.d > /dev/null && $SUDO chmod +x /usr/sbin/policy-rc.d
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" > /dev/null
  $SUDO rm -f /usr/sbin/policy-rc.d
  # Nor at the next boot: the stack runs its own etcd, on its own data directory.
  if [[ " ${missing[*]} " == *" etcd-server "* ]] && command -v systemctl > /dev/null 2>&1; then
    $SUDO systemctl disable etcd > /dev/null 2>&1 || true
  fi
  if [[ " ${missing[*]} " == *" containerd "* ]] && command -v systemctl > /dev/null 2>&1; then
    $SUDO systemctl disable containerd > /dev/null 2>&1 || true
  fi
fi

# npm ci only when the lockfile changed since the last install.
lock_hash=$(sha256sum package-lock.json | cut -d' ' -f1)
stamp=node_modules/.userforge-lock-hash
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$lock_hash" ]; then
  say "installing npm dependencies"
  npm ci --no-audit --no-fund --loglevel=error
  echo "$lock_hash" > "$stamp"
fi

npx --no-install tsx scripts/stack.ts provision
if [ "$platform_only" -eq 1 ]; then
  say "ready for the local platform in $((SECONDS - started)) s"
  exit 0
fi
# Kubernetes (built once from the Go module proxy: 10-18 minutes on 2 cores), Helm, helm-docs and Skaffold
# (about 7 minutes more on idle cores): CI's tests start a control plane, check the chart README and validate skaffold.yaml.
npx --no-install tsx scripts/stack.ts provision --kube
npx --no-install tsx scripts/fuzz/provision.ts
# The kind tests (test/kind) run as root (a Docker engine needs it): kind, the four app images
# (buildah) and the monitoring images with a Prometheus with Kubernetes discovery (Debian's has none)
# are built here once, not while other test files run.
if [ "$(id -u)" -eq 0 ]; then
  # kind (npm run kind:up): kind, kubeadm, etcd, kube-network-policies, local-path-provisioner, Debian's
  # Docker engine unpacked, Traefik's image (the ingress controller) and the node image with its pause,
  # busybox and CoreDNS images (cold, after the Kubernetes build: 14 min measured on busy cores, before
  # Traefik's build was part of it).
  npx --no-install tsx scripts/kind.ts provision
  npx --no-install tsx scripts/images.ts apps > /dev/null
  npx --no-install tsx scripts/images.ts servers > /dev/null
  npx --no-install tsx scripts/images.ts prometheus > /dev/null
  npx --no-install tsx scripts/images.ts monitoring > /dev/null   # the Prometheus Operator, its reloader and Prometheus as images for kind
fi
say "ready in $((SECONDS - started)) s"
