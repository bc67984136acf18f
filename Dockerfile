# Multi-stage build: compile TypeScript, then run the built server as a non-root user against REDIS_URL.
FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
# npm ci runs the `prepare` script, which builds the web console from console/.
COPY console ./console
# The live-results client is a workspace of the root package (the console bundles it).
COPY client ./client
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
COPY plugins ./plugins
COPY openapi ./openapi
RUN npm run build && npm prune --omit=dev

FROM node:20-bookworm-slim
# Listening on every interface, so API keys are required unless REQUIRE_API_KEYS=false is passed.
ENV NODE_ENV=production HOST=0.0.0.0 PORT=8080 REQUIRE_API_KEYS=true
WORKDIR /app
COPY --from=build /app/package.json ./
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY --from=build /app/openapi ./openapi
COPY --from=build /app/console/build ./console/build
# The Redis Functions are read at start-up from src/redis/functions.
COPY --from=build /app/src/redis/functions ./src/redis/functions
USER node
EXPOSE 8080
HEALTHCHECK --interval=10s --timeout=3s --start-period=10s --retries=3 \
  CMD node -e "fetch('http://127.0.0.1:'+(process.env.PORT||8080)+'/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"
# REDIS_URL must be set: the image has no redis-server of its own.
CMD ["node", "--import", "./dist/src/telemetry/preload.js", "dist/src/server.js"]
