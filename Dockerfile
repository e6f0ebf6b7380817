# syntax=docker/dockerfile:1
#
# Tessera API image. The same image runs the CLI:
#   docker run --rm -e ... tessera node dist/apps/cli/apps/cli/src/main.js migrate
#
# Node >= 20.19 is required (require(esm), see package.json "engines"): the build fails
# early on an older base image.
ARG NODE_IMAGE=node:20-bookworm-slim

# ---- build: install everything, compile, then drop dev dependencies ----------------
FROM ${NODE_IMAGE} AS build
WORKDIR /app
ENV SCARF_ANALYTICS=false \
    NPM_CONFIG_UPDATE_NOTIFIER=false \
    NPM_CONFIG_FUND=false \
    NPM_CONFIG_AUDIT=false
RUN node -e "const [a,b]=process.versions.node.split('.').map(Number);if(a<20||(a===20&&b<19)){console.error('Node >= 20.19 required, this image has '+process.version);process.exit(1)}"
# The base image ships npm 10; npm 11 reads package.json "allowScripts" (which install
# scripts may run: argon2's prebuilt binding loader yes, analytics no).
RUN npm install -g npm@11 && npm --version

COPY package.json package-lock.json ./
RUN npm ci

COPY nest-cli.json tsconfig.json tsconfig.build.json ./
COPY apps ./apps
COPY libs ./libs
# nest build api && nest build cli -> dist/apps/api/... and dist/apps/cli/...
RUN npm run build
# Production has no use for dev tools, nor for the optional embedded-PostgreSQL binaries
# (NODE_ENV=production refuses to start without DATABASE_URL).
RUN npm prune --omit=dev --omit=optional

# ---- runtime: compiled code and production dependencies only, as a non-root user ----
FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    PORT=3000
WORKDIR /app
# Owned by root and read-only for the process user: the app never writes to its own files.
COPY --from=build /app/package.json ./package.json
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
# The base image's unprivileged `node` user, numerically so runAsNonRoot can verify it.
USER 1000:1000
EXPOSE 3000
# No curl in slim images: Node's fetch checks liveness.
HEALTHCHECK --interval=15s --timeout=5s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.PORT||3000)+'/health/live',{signal:AbortSignal.timeout(4000)}).then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
# main.ts handles SIGTERM (closes the server and connections) even as PID 1.
# --max-semi-space-size=32: twice the default young generation; scavenges were 12-18% of
# an API request's CPU at the default. Larger measured worse where it matters: 64 and 128
# pushed the /v1/me p99 at 50 connections to 22-29 ms (goal < 25 ms; 15-17 ms at 32), 256
# to 29-34 ms (bench/). The same flags as `npm start` (a test checks).
CMD ["node", "--max-semi-space-size=32", "dist/apps/api/apps/api/src/main.js"]
