# syntax=docker/dockerfile:1
# One Dockerfile, one target per app:
#   docker build --target api       -t userforge/api .
#   docker build --target consumer  -t userforge/consumer .
#   docker build --target operator  -t userforge/operator .
#   docker build --target dashboard -t userforge/dashboard .
# buildah builds it too (`buildah bud --target api ...`); both base images are build arguments, so
# a locally made base can stand in where nothing can be pulled.

# Pinned; swap with --build-arg NODE_IMAGE=... (a digest, a mirror, a locally built base).
ARG NODE_IMAGE=node:20.19-bookworm-slim
# Unprivileged nginx (uid 101, port 8080, pid and temp files in /tmp) serves the dashboard.
ARG NGINX_IMAGE=nginxinc/nginx-unprivileged:1.28.0-alpine

# ---------------------------------------------------------------------------------------------
# The npm manifests alone, so the installs below are reused until a package.json or the lockfile
# changes. Add a line here when a workspace is added (test/chart/images.test.ts checks it).
FROM ${NODE_IMAGE} AS manifests
WORKDIR /src
COPY package.json package-lock.json ./
COPY packages/contracts/package.json packages/contracts/
COPY packages/platform/package.json packages/platform/
COPY packages/jobs/package.json packages/jobs/
COPY packages/users/package.json packages/users/
COPY services/api/package.json services/api/
COPY services/consumer/package.json services/consumer/
COPY operator/package.json operator/
COPY dashboard/package.json dashboard/
COPY tools/devstack/package.json tools/devstack/
COPY tools/testkit/package.json tools/testkit/

# Every dependency, dev included, for the builds. No install scripts: esbuild and swc ship their
# binaries as optional packages and need none.
FROM manifests AS deps
# Unset unless given: an npm registry mirror, and a CA file (mounted into the build) for a network
# behind a TLS-inspecting proxy; the proxy variables pass on their own.
ARG npm_config_registry
ARG NODE_EXTRA_CA_CERTS
RUN --mount=type=cache,target=/var/cache/npm npm ci --cache /var/cache/npm --ignore-scripts --no-audit --no-fund

# ---------------------------------------------------------------------------------------------
# The Node apps compiled to JavaScript: esbuild bundles each main.ts with the workspace packages
# (tsconfig.build.json maps @userforge/* to their sources) into one CommonJS file; npm packages
# stay external and come from the production node_modules below. No tsx or tsc at run time.
FROM deps AS build
COPY tsconfig.base.json tsconfig.build.json ./
COPY packages packages
COPY services services
COPY operator operator
# @kubernetes/client-node is the one npm package compiled in (the alias makes it a path, not a package):
# its kubeconfig module imports the whole generated API, and only esbuild's tree-shaking leaves
# that out (operator RSS 108 MB external, 79 MB compiled in; docs/operator.md). Its own
# dependencies stay external.
# userforge:bundle (test/chart/images.test.ts runs this very command and starts the bundles)
RUN npx esbuild api=services/api/src/main.ts consumer=services/consumer/src/main.ts operator=operator/src/main.ts --bundle --platform=node --target=node20 --format=cjs --packages=external --alias:@kubernetes/client-node=./node_modules/@kubernetes/client-node --tsconfig=tsconfig.build.json --outdir=dist --metafile=dist/meta.json --log-level=warning

# ---------------------------------------------------------------------------------------------
# The dashboard's static files (vite build into dashboard/dist).
FROM deps AS dashboard-build
COPY tsconfig.base.json ./
COPY packages/contracts packages/contracts
COPY dashboard dashboard
RUN NODE_ENV=production npm run build --workspace @userforge/dashboard

# ---------------------------------------------------------------------------------------------
# Production dependencies only, for the Node apps' workspaces (not the dashboard's React). The
# workspace packages themselves are inside the bundles, so their node_modules links go, and so do
# type declarations and source maps, which Node never loads (about a third of the bytes).
FROM manifests AS prod-deps
ARG npm_config_registry
ARG NODE_EXTRA_CA_CERTS
RUN --mount=type=cache,target=/var/cache/npm npm ci --cache /var/cache/npm --omit=dev --ignore-scripts --no-audit --no-fund \
      --workspace packages/contracts --workspace packages/platform --workspace packages/jobs \
      --workspace packages/users --workspace services/api --workspace services/consumer --workspace operator \
 && rm -rf node_modules/@userforge node_modules/@types node_modules/.package-lock.json \
 && find node_modules -type f \( -name '*.d.ts' -o -name '*.d.mts' -o -name '*.d.cts' -o -name '*.map' \) -delete
# Fail the build, not the pod, when a bundle imports a package that is not a production dependency.
COPY --from=build /src/dist/meta.json /tmp/meta.json
RUN node -e 'const m = require("/tmp/meta.json"); const missing = []; \
  for (const [out, o] of Object.entries(m.outputs)) for (const i of o.imports) \
    if (i.external && !i.path.startsWith("node:")) { try { require.resolve(i.path, { paths: ["/src"] }); } catch { missing.push(`${out} imports ${i.path}`); } } \
  if (missing.length) { console.error("not installed by npm ci --omit=dev (declare them in the workspace package.json):\n  " + [...new Set(missing)].join("\n  ")); process.exit(1); }'

# ---------------------------------------------------------------------------------------------
# What the three Node images share: the base, a system user and the production node_modules (one
# layer, identical in all three, so a registry and a node store it once).
FROM ${NODE_IMAGE} AS node-runtime
ENV NODE_ENV=production \
    # glibc makes up to 8 malloc arenas per core; 2 keeps RSS close to the V8 heap in containers.
    MALLOC_ARENA_MAX=2
# A named user (os.userInfo() throws for a uid without one); numeric USER so Kubernetes can verify runAsNonRoot.
RUN groupadd --system --gid 10001 userforge \
 && useradd --system --uid 10001 --gid 10001 --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin userforge
WORKDIR /app
# Owned by root and read-only to the app: the process cannot change its own code.
COPY --from=prod-deps /src/node_modules node_modules
USER 10001:10001
# The base image's entrypoint is a shell script; without it `node` is PID 1 and receives SIGTERM
# itself (the apps handle SIGTERM and SIGINT, and start no children to reap).
ENTRYPOINT []

FROM node-runtime AS api
COPY --from=build /src/dist/api.js dist/api.js
EXPOSE 9000
# The heap sized for streaming exports, as the local stack runs the API (tools/devstack/src/stack/apps.ts).
CMD ["node", "--heap-growing-percent=50", "--max-semi-space-size=8", "dist/api.js"]

FROM node-runtime AS consumer
COPY --from=build /src/dist/consumer.js dist/consumer.js
EXPOSE 9101
CMD ["node", "dist/consumer.js"]

FROM node-runtime AS operator
COPY --from=build /src/dist/operator.js dist/operator.js
EXPOSE 9300
CMD ["node", "dist/operator.js"]

# ---------------------------------------------------------------------------------------------
# The dashboard: nginx serves the built files; config.js is written from USERFORGE_API_URL when the
# container starts, so one image serves any API. Unset, the dashboard calls the origin it was loaded
# from: the chart's Ingress routes /v1 there, and so does this nginx itself when USERFORGE_API_UPSTREAM
# names the API (a port-forward to the dashboard alone then works). Both files are written to /tmp
# (an emptyDir under a read-only root filesystem) by dashboard/nginx/40-userforge-config.sh;
# /usr/share/nginx/html/config.js links to one, dashboard/nginx/default.conf includes the other.
FROM ${NGINX_IMAGE} AS dashboard
USER root
COPY --from=dashboard-build /src/dashboard/dist /usr/share/nginx/html
COPY dashboard/nginx/40-userforge-config.sh /docker-entrypoint.d/40-userforge-config.sh
COPY dashboard/nginx/default.conf /etc/nginx/conf.d/default.conf
RUN ln -sf /tmp/userforge/config.js /usr/share/nginx/html/config.js \
 && chmod 0755 /docker-entrypoint.d/40-userforge-config.sh \
 && chmod 0644 /etc/nginx/conf.d/default.conf
USER 101
EXPOSE 8080
