# syntax=docker/dockerfile:1
# API image: Debian slim, production dependencies only, runs as uid 1000 (the image's `node`
# user; numeric so Kubernetes' runAsNonRoot can verify it). Build from the repository root:
#   docker build -f deploy/docker/api.Dockerfile -t atelier-api .
# api.Dockerfile.dockerignore keeps node_modules, dist, models and local state out of the context.
# Only the API's production packages are compiled and copied (tsc -b apps/api/tsconfig.json).
FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json tsconfig.base.json ./
# The workspace packages (libs/*, apps/*) must be in place for npm ci to link them.
COPY apps apps
COPY libs libs
# No CUDA libraries for onnxruntime-node: the API never runs a model. script/install.js reads
# ONNXRUNTIME_NODE_INSTALL before anything else (the repository's .npmrc, not copied here, turns
# every dependency install script off).
ENV ONNXRUNTIME_NODE_INSTALL=skip
RUN npm ci --no-audit --no-fund
# tsc -b on the app's production project builds it and the production projects of the packages it
# references, nothing else: no tests, no testing helpers. /out gathers what the image runs: the
# manifests, each built package's dist/ (without declarations and build info), the assets.
RUN npx tsc -b apps/api/tsconfig.json \
  && npm prune --omit=dev --no-audit --no-fund \
  && mkdir -p /out && cp -a package.json node_modules /out/ \
  && for pkg in libs/* apps/*; do if [ -d "$pkg/dist" ]; then mkdir -p "/out/$pkg" && cp -a "$pkg/package.json" "$pkg/dist" "/out/$pkg/"; fi; done \
  && find /out/libs /out/apps \( -name '*.d.ts' -o -name '*.d.ts.map' -o -name '*.tsbuildinfo' \) -delete \
  && cp -a apps/api/console /out/apps/api/console \
  && mkdir -p /out/libs/diffusion && cp -a libs/diffusion/assets /out/libs/diffusion/assets \
  && test -z "$(find /out/libs /out/apps -name '*.test.js' -o -path '*/testing/*' | head -1)"

FROM node:20-bookworm-slim
ENV NODE_ENV=production HOST=0.0.0.0 PORT=8080 DATA_DIR=/data
WORKDIR /app
# Code and dependencies stay owned by root (read-only to the app); only DATA_DIR is writable.
COPY --from=build /out ./
RUN mkdir -p /data && chown 1000:1000 /data
USER 1000:1000
EXPOSE 8080
HEALTHCHECK --interval=15s --timeout=5s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + process.env.PORT + '/healthz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
CMD ["node", "apps/api/dist/main.js"]
