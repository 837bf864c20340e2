# syntax=docker/dockerfile:1
# The ingester: Kafka → ClickHouse micro-batches, and the migrations it runs at start-up.
#   docker build -f deploy/docker/ingester.Dockerfile -t tidemark/ingester .   (from the repository root)
# The migrations keep their repository layout: src/migrate.ts finds them at ../../../clickhouse/,
# that is /app/clickhouse/ beside /app/packages/ingester/. Node runs the TypeScript sources with
# its own type stripping (docs/deploy.md "Images").
ARG NODE_IMAGE=node:24.21.0-bookworm-slim

FROM ${NODE_IMAGE} AS build
RUN npm install --global pnpm@12.4.2
WORKDIR /src
COPY . .
RUN --mount=type=cache,id=tidemark-pnpm,target=/root/.local/share/pnpm/store \
    bash deploy/docker/assemble.sh ingester /out

FROM ${NODE_IMAGE}
WORKDIR /app/packages/ingester
COPY deploy/docker/healthcheck.mjs /app/healthcheck.mjs
COPY clickhouse/ /app/clickhouse/
COPY --from=build /out /app
USER node
EXPOSE 8082
HEALTHCHECK --interval=10s --timeout=5s --start-period=60s --retries=3 CMD ["node", "/app/healthcheck.mjs", "http://127.0.0.1:8082/healthz"]
CMD ["node", "src/main.ts"]
