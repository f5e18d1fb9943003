# syntax=docker/dockerfile:1
#
# Kokoro TTS host. Two stages: build (all deps, tsc) and runtime (production deps only,
# non-root). The model is not in the image unless you bake it:
#
#   docker build -t kokoro-host .                                  # mount the model at run time:
#   docker run -p 8880:8880 -v "$PWD/models/kokoro:/app/models/kokoro:ro" kokoro-host
#
#   docker build --build-arg BAKE_MODEL=1 -t kokoro-host .          # bakes models/kokoro/*.onnx from the build context
#
# KOKORO_MODEL picks a file explicitly (default: models/kokoro/model_quantized.onnx, then model.onnx).
# The synthetic test model (npm run model:synthetic) needs devDependencies and is not built here.
#
# The newer onnxruntime (README: The onnxruntime; 1.9-2.2x faster on the genuine model) is fetched
# and prepared at build time by the project's own downloader, pinned by SHA-256. A build with no
# route to PyPI's files still succeeds, with a warning: the image then runs on onnxruntime-node's
# bundled 1.30 and says so in its start-up log and /readyz. --build-arg FETCH_RUNTIME=0 skips it.

ARG NODE_IMAGE=node:20-bookworm-slim

FROM ${NODE_IMAGE} AS build
WORKDIR /app
COPY package.json package-lock.json .npmrc ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
COPY workers ./workers
COPY models ./models
RUN npx tsc -p tsconfig.build.json
ARG FETCH_RUNTIME=1
RUN mkdir -p .cache/onnxruntime \
  && if [ "$FETCH_RUNTIME" = "1" ]; then npm run runtime:fetch \
       || echo "WARNING: no newer onnxruntime; the image runs on the bundled 1.30" >&2; fi
ARG BAKE_MODEL=0
RUN mkdir -p models/kokoro \
  && if [ "$BAKE_MODEL" != "1" ]; then rm -f models/kokoro/*.onnx; fi \
  && if [ "$BAKE_MODEL" = "1" ] && ! ls models/kokoro/*.onnx >/dev/null 2>&1; then \
       echo "BAKE_MODEL=1 but models/kokoro/ has no .onnx file in the build context" >&2; exit 1; fi

FROM ${NODE_IMAGE} AS runtime
# MALLOC_ARENA_MAX=2: glibc gives every thread its own malloc arena and keeps what it frees;
# with onnxruntime's allocations in worker threads that are replaced after faults, RSS kept
# climbing for minutes (303 -> 513 MiB in a 10-minute soak) instead of 282 -> 406 MiB and
# flat, at the same throughput (bench/RESULTS.md).
ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    PORT=8880 \
    MALLOC_ARENA_MAX=2
WORKDIR /app
COPY package.json package-lock.json .npmrc ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force
COPY --from=build /app/dist ./dist
COPY --from=build /app/.cache/onnxruntime ./.cache/onnxruntime
# The playground page (GET /), read at start; KOKORO_WEB=0 skips it.
COPY web ./web
COPY --from=build --chown=node:node /app/models/kokoro ./models/kokoro
USER node
EXPOSE 8880
STOPSIGNAL SIGTERM
# Readiness, not liveness: a host whose workers are stuck reports unhealthy. No curl in the image.
HEALTHCHECK --interval=15s --timeout=5s --start-period=120s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.PORT||8880)+'/readyz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
CMD ["node", "dist/src/server.js"]
