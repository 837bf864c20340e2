# syntax=docker/dockerfile:1
# The collector: the Events API (SPEC §4) and the built tracker scripts it serves.
#   docker build -f deploy/docker/collector.Dockerfile -t tidemark/collector .   (from the repository root)
# Node runs the TypeScript sources with its own type stripping, as `pnpm start` does (see
# docs/deploy.md "Images"); assemble.sh ships production dependencies only, so no chdb.
ARG NODE_IMAGE=node:24.21.0-bookworm-slim

FROM ${NODE_IMAGE} AS build
RUN npm install --global pnpm@12.4.2
WORKDIR /src
COPY . .
RUN --mount=type=cache,id=tidemark-pnpm,target=/root/.local/share/pnpm/store \
    pnpm install --frozen-lockfile --filter @tidemark/tracker \
 && pnpm --filter @tidemark/tracker build \
 && bash deploy/docker/assemble.sh collector /out \
 && test -s /out/packages/collector/node_modules/@tidemark/tracker/dist/script.js

FROM ${NODE_IMAGE}
WORKDIR /app/packages/collector
COPY deploy/docker/healthcheck.mjs /app/healthcheck.mjs
COPY --from=build /out /app
USER node
EXPOSE 8080
HEALTHCHECK --interval=10s --timeout=5s --start-period=30s --retries=3 CMD ["node", "/app/healthcheck.mjs", "http://127.0.0.1:8080/healthz"]
CMD ["node", "src/main.ts"]
