# GPU worker image: CUDA 12 runtime + cuDNN 9, onnxruntime-node with the CUDA execution provider.
FROM nvidia/cuda:12.8.1-cudnn-runtime-ubuntu24.04 AS base
RUN apt-get update && apt-get install -y --no-install-recommends curl ca-certificates \
  && curl -fsSL https://deb.nodesource.com/setup_20.x | bash - \
  && apt-get install -y --no-install-recommends nodejs && rm -rf /var/lib/apt/lists/*

FROM base AS build
WORKDIR /app
COPY package.json package-lock.json ./
# The project's .npmrc skips the CUDA download for CPU-only development; here we want it.
ENV npm_config_onnxruntime_node_install=cuda12
RUN npm ci --no-audit --no-fund --onnxruntime-node-install=cuda12 \
  && node node_modules/onnxruntime-node/script/install.js
COPY tsconfig.json tsconfig.build.json ./
COPY apps apps
COPY libs libs
COPY test test
COPY bench bench
RUN npm run build && npm prune --omit=dev

FROM base
ENV NODE_ENV=production EXECUTION_PROVIDER=cuda METRICS_PORT=9464 MODELS_DIR=/models DATA_DIR=/data
WORKDIR /app
COPY --from=build /app/package.json ./
COPY --from=build /app/node_modules node_modules
COPY --from=build /app/dist dist
COPY --from=build /app/libs/diffusion/assets libs/diffusion/assets
RUN useradd --create-home atelier && mkdir -p /models /data && chown atelier /models /data
USER atelier
EXPOSE 9464
# Long enough for the longest job; the worker hands back whatever is still running after it.
STOPSIGNAL SIGTERM
CMD ["node", "dist/apps/worker/src/main.js"]
