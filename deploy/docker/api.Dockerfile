# syntax=docker/dockerfile:1
# API image: Debian slim, production dependencies only, runs as uid 1000 (the image's `node`
# user; numeric so Kubernetes' runAsNonRoot can verify it). Build from the repository root:
#   docker build -f deploy/docker/api.Dockerfile -t atelier-api .
# api.Dockerfile.dockerignore keeps node_modules, dist, models and local state out of the context.
FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
# No CUDA libraries for onnxruntime-node: the API never runs a model. script/install.js reads
# ONNXRUNTIME_NODE_INSTALL before anything else (the repository's .npmrc, not copied here, turns
# every dependency install script off).
ENV ONNXRUNTIME_NODE_INSTALL=skip
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY apps apps
COPY libs libs
RUN npx tsc -p tsconfig.build.json \
  && find dist -name '*.test.js' -delete -o -name '*.test.js.map' -delete \
  && npm prune --omit=dev --no-audit --no-fund

FROM node:20-bookworm-slim
ENV NODE_ENV=production HOST=0.0.0.0 PORT=8080 DATA_DIR=/data
WORKDIR /app
# Code and dependencies stay owned by root (read-only to the app); only DATA_DIR is writable.
COPY --from=build /app/package.json ./
COPY --from=build /app/node_modules node_modules
COPY --from=build /app/dist dist
COPY --from=build /app/apps/api/console apps/api/console
COPY --from=build /app/libs/diffusion/assets libs/diffusion/assets
RUN mkdir -p /data && chown 1000:1000 /data
USER 1000:1000
EXPOSE 8080
HEALTHCHECK --interval=15s --timeout=5s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + process.env.PORT + '/healthz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
CMD ["node", "dist/apps/api/src/main.js"]
