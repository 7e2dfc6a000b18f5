# syntax=docker/dockerfile:1

# One image for every Boxoffice process; the command picks which one runs (docker-compose.yml):
#   node dist/api/main.js          the HTTP API (default)
#   node dist/worker/main.js       the Temporal worker (reservation sagas and their activities)
#   node dist/worker/projection.js the projection (booking outbox -> read model, change notifications)
#   node dist/scripts/migrate.js   migrations (owner DATABASE_URL); dist/scripts/seed.js for demo data
# Node 22: Node 20 is past its end of life. The tests run on Node >= 20.19 (package.json engines).
ARG NODE_IMAGE=node:22-bookworm-slim

# ---- build: all dependencies, TypeScript -> dist/, the page web/src -> dist/web/app.js ----
FROM ${NODE_IMAGE} AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
# .dockerignore keeps node_modules, dist, .data, .git and other local state out of this copy.
COPY . .
RUN npm run build

# ---- runtime: production dependencies and compiled output only ----
FROM ${NODE_IMAGE} AS runtime
# No --enable-source-maps: it costs the worker several ms of CPU a booking (docs/performance.md).
ENV NODE_ENV=production
WORKDIR /app
# package.json also carries "type": "module", which the compiled ESM in dist/ needs.
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force
COPY --from=build /app/dist ./dist
# dist/db/migrate.js reads ../../db/migrations (= /app/db/migrations); tsc does not copy SQL.
COPY --from=build /app/db/migrations ./db/migrations
# dist/api/web.js serves ../../web/public (= /app/web/public) and the page's bundle, dist/web (copied above).
COPY --from=build /app/web/public ./web/public
# Files stay root-owned and read-only to the process; it writes nothing to disk.
USER node
EXPOSE 3000
CMD ["node", "dist/api/main.js"]
