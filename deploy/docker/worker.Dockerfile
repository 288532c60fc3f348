# syntax=docker/dockerfile:1
# GPU worker image: CUDA 12 runtime + cuDNN 9 with onnxruntime-node's CUDA execution provider,
# runs as uid 10001. linux/amd64 only: onnxruntime-node ships its CUDA build for linux/x64 alone.
# Build from the repository root:
#   docker build -f deploy/docker/worker.Dockerfile -t atelier-worker .

# Build on the official Node image (npm, no CUDA needed to compile).
FROM --platform=linux/amd64 node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json tsconfig.base.json ./
# The workspace packages (libs/*, apps/*) must be in place for npm ci to link them.
COPY apps apps
COPY libs libs
# onnxruntime-node's postinstall (script/install.js) downloads the CUDA execution provider
# (libonnxruntime_providers_{cuda,shared,tensorrt}.so from NuGet Microsoft.ML.OnnxRuntime.Gpu.Linux).
# It reads its flag from ONNXRUNTIME_NODE_INSTALL, then npm_config_onnxruntime_node_install (what
# `npm ci --onnxruntime-node-install=cuda12` sets), then its own argv; only `skip` turns the
# download off (the repository's .npmrc, not copied here, sets ignore-scripts=true so that local
# installs never run the script at all). In 1.30 `cuda12` itself falls
# through parseInstallFlag as "unspecified", which on linux/x64 means the same thing: install the
# cuda12 manifest unless its files are already there. The environment variable wins over any
# .npmrc, and the `test -f` fails the build if the libraries did not arrive.
ENV ONNXRUNTIME_NODE_INSTALL=cuda12
RUN npm ci --no-audit --no-fund --onnxruntime-node-install=cuda12 \
  && test -f node_modules/onnxruntime-node/bin/napi-v6/linux/x64/libonnxruntime_providers_cuda.so
# tsc -b on the worker's production project builds it and the production projects of the packages
# it references, nothing else: no tests, no testing helpers. /out gathers what the image runs.
RUN npx tsc -b apps/worker/tsconfig.json \
  && npm prune --omit=dev --no-audit --no-fund \
  && test -f node_modules/onnxruntime-node/bin/napi-v6/linux/x64/libonnxruntime_providers_cuda.so \
  && mkdir -p /out && cp -a package.json node_modules /out/ \
  && for pkg in libs/* apps/*; do if [ -d "$pkg/dist" ]; then mkdir -p "/out/$pkg" && cp -a "$pkg/package.json" "$pkg/dist" "/out/$pkg/"; fi; done \
  && find /out/libs /out/apps \( -name '*.d.ts' -o -name '*.d.ts.map' -o -name '*.tsbuildinfo' \) -delete \
  && mkdir -p /out/libs/diffusion && cp -a libs/diffusion/assets /out/libs/diffusion/assets \
  && test -z "$(find /out/libs /out/apps -name '*.test.js' -o -path '*/testing/*' | head -1)"

FROM --platform=linux/amd64 nvidia/cuda:12.8.1-cudnn-runtime-ubuntu24.04
# Node.js from the build stage's image (same version as the one that installed the modules).
COPY --from=build /usr/local/bin/node /usr/local/bin/node
ENV NODE_ENV=production HOST=0.0.0.0 EXECUTION_PROVIDER=cuda METRICS_PORT=9464 MODELS_DIR=/models DATA_DIR=/data
WORKDIR /app
COPY --from=build /out ./
RUN groupadd --gid 10001 atelier \
  && useradd --uid 10001 --gid 10001 --no-create-home --shell /usr/sbin/nologin atelier \
  && mkdir -p /models /data && chown 10001:10001 /models /data
USER 10001:10001
EXPOSE 9464
HEALTHCHECK --interval=15s --timeout=5s --start-period=600s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + process.env.METRICS_PORT + '/healthz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
# On SIGTERM the worker stops taking jobs, lets the running ones finish for up to
# WORKER_SHUTDOWN_DEADLINE_MS, hands the rest back to the queue and exits 0: give the container at
# least that long to stop (docker-compose.yml: stop_grace_period; Kubernetes:
# terminationGracePeriodSeconds).
STOPSIGNAL SIGTERM
CMD ["node", "apps/worker/dist/main.js"]
