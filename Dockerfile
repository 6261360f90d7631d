# Chat gateway image: TypeScript is compiled in a build stage; the runtime stage holds only
# dist/, the demo page and production dependencies, and runs as the unprivileged `node` user.
#
#   docker build -t chat-gateway .
#   docker run -p 3000:3000 chat-gateway            # SQLite in /app/data, no external service
#
# Builders without access to prebuilt native addons compile better-sqlite3 from source; when
# they also cannot download Node's headers, mount local ones and point node-gyp at them:
#   podman build --volume /usr/include/node:/usr/include/node:ro --build-arg npm_config_nodedir=/usr .

FROM node:20-bookworm-slim AS deps
WORKDIR /app
# Toolchain for native addons that have no prebuilt binary for this platform; it stays in this stage.
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 make g++ \
 && rm -rf /var/lib/apt/lists/*
ARG npm_config_nodedir
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund

FROM deps AS build
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npm run build

# Pruned from the full install, so native addons are compiled once for both stages.
FROM deps AS prod-deps
RUN npm prune --omit=dev --no-audit --no-fund

FROM node:20-bookworm-slim AS runtime
ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    PORT=3000
WORKDIR /app
# The default DATABASE_URL (sqlite:./data/chat.db) writes here; mount a volume to keep it.
RUN mkdir -p /app/data && chown node:node /app/data
COPY --from=prod-deps /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY package.json ./
COPY public ./public
USER node
EXPOSE 3000
# Liveness only: readiness (/health/ready) is for load balancers, a restart would not fix it.
HEALTHCHECK --interval=10s --timeout=3s --start-period=15s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 3000) + '/health').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
# node itself is PID 1 (no shell wrapper), so SIGTERM reaches Nest's shutdown hooks directly.
STOPSIGNAL SIGTERM
CMD ["node", "dist/main.js"]
