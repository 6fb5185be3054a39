#!/bin/sh
# The dashboard's runtime configuration from the environment, run by the nginx image's entrypoint
# before nginx starts. Written under /tmp (an emptyDir in the chart): the root file system is read-only.
#   USERFORGE_API_URL       the API base URL the browser calls (config.js; empty: the page's own origin)
#   USERFORGE_API_UPSTREAM  http://host:port this nginx passes the API's paths to (empty: none)
set -eu
dir=${USERFORGE_RUNTIME_DIR:-/tmp/userforge}
mkdir -p "$dir"

url=$(printf '%s' "${USERFORGE_API_URL:-}" | sed -e 's/\\/\\\\/g' -e 's/"/\\"/g')
printf 'window.USERFORGE_CONFIG = { apiUrl: "%s" || window.location.origin };\n' "$url" > "$dir/config.js"

upstream=${USERFORGE_API_UPSTREAM:-}
if [ -z "$upstream" ]; then
  : > "$dir/api-proxy.conf"
  exit 0
fi
# Only scheme://host[:port]: a path would change how nginx maps the URI, and anything else could
# inject configuration.
case "$upstream" in
  http://*|https://*) address=${upstream#*://} ;;
  *) address= ;;
esac
case "$address" in
  ''|*[!A-Za-z0-9.:-]*)
    echo "USERFORGE_API_UPSTREAM must be http://host:port (no path), not: $upstream" >&2
    exit 1 ;;
esac

# A static upstream: nginx resolves the name once, when it starts (a variable would need a resolver
# and a fully qualified name). The chart's API Service exists before this pod starts (one release)
# and keeps its ClusterIP for its lifetime, so that one resolution stays right.
location() {
  printf 'location %s {\n' "$1"
  printf '  proxy_pass %s;\n' "$upstream"
  printf '  proxy_http_version 1.1;\n'
  printf '  proxy_set_header Connection "";\n'
  printf '  proxy_set_header Host $http_host;\n'
  printf '  proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;\n'
  printf '  proxy_set_header X-Forwarded-Proto $scheme;\n'
  printf '%s' "${2:-}"
  printf '}\n'
}
{
  echo "# Written by 40-userforge-config.sh from USERFORGE_API_UPSTREAM=$upstream"
  location /v1/
  # Server-Sent Events: each event passed on as it arrives (no buffering), and a quiet stream kept
  # open for an hour instead of nginx's 60 s; EventSource reconnects by itself.
  location '= /v1/events' '  proxy_buffering off;
  proxy_cache off;
  proxy_read_timeout 3600s;
  proxy_send_timeout 3600s;
'
  location '= /openapi.json'
  # The dashboard's connection indicator asks the API, as through the Ingress.
  location '= /healthz'
} > "$dir/api-proxy.conf"
