# syntax=docker/dockerfile:1
#
# listgate container image: the compiled gateway and its production dependencies on a distroless
# Node.js 20 base (no shell, no package manager), running as the unprivileged user 65532.
#
#   docker build -t listgate:0.1.0 .
#   docker run --rm listgate:0.1.0 --help
#
# The default command serves with the configuration the Kubernetes manifests mount
# (deploy/: ConfigMap listgate-config at /etc/listgate/config/listgate.yaml). For reproducible builds
# pin the base images by digest (FROM node:20-bookworm-slim@sha256:…).

# 1. Compile the TypeScript sources (dev dependencies are needed here only).
FROM node:20-bookworm-slim AS build
WORKDIR /src
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund --ignore-scripts
COPY tsconfig.json ./
COPY src ./src
RUN npx tsc -p tsconfig.json

# 2. Production dependencies only, from the lockfile.
FROM node:20-bookworm-slim AS deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund --ignore-scripts && npm cache clean --force

# 3. The runtime: node, the compiled gateway, its dependencies. Nothing else.
FROM gcr.io/distroless/nodejs20-debian12:nonroot AS runtime
WORKDIR /app
ENV NODE_ENV=production
COPY --from=deps /app/node_modules ./node_modules
COPY --from=build /src/dist/src ./dist/src
# "type": "module": the compiled files are ES modules.
COPY package.json ./
USER 65532:65532
EXPOSE 8443 8081
ENTRYPOINT ["/nodejs/bin/node", "dist/src/cli.js"]
CMD ["serve", "--config", "/etc/listgate/config/listgate.yaml"]
