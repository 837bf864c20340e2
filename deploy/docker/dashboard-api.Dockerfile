# syntax=docker/dockerfile:1
# The dashboard API: the Stats API (SPEC §6), its SSE stream and the live dashboard page.
#   docker build -f deploy/docker/dashboard-api.Dockerfile -t tidemark/dashboard-api .   (from the repository root)
# Without API_TOKEN it serves on 127.0.0.1 only, whatever HOST says: set both in a container.
# Node runs the TypeScript sources with its own type stripping (docs/deploy.md "Images").
ARG NODE_IMAGE=node:24.21.0-bookworm-slim

FROM ${NODE_IMAGE} AS build
RUN npm install --global pnpm@12.4.2
WORKDIR /src
COPY . .
RUN --mount=type=cache,id=tidemark-pnpm,target=/root/.local/share/pnpm/store \
    bash deploy/docker/assemble.sh dashboard-api /out

FROM ${NODE_IMAGE}
WORKDIR /app/packages/dashboard-api
COPY deploy/docker/healthcheck.mjs /app/healthcheck.mjs
COPY --from=build /out /app
USER node
EXPOSE 8081
HEALTHCHECK --interval=10s --timeout=5s --start-period=30s --retries=3 CMD ["node", "/app/healthcheck.mjs", "http://127.0.0.1:8081/healthz"]
CMD ["node", "src/main.ts"]
