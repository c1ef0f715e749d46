# syntax=docker/dockerfile:1
# One recipe for every service image, built with the repository root as its context:
#   docker build --build-arg SERVICE=gateway -t media-vault/gateway .
# SERVICE names a directory of services/. Ports and settings come from the environment the
# manifests give (PORT, HEALTH_PORT, DATA_DIR, ...), so nothing here differs per service except
# the workspace that is built and the system packages it needs.
ARG NODE_IMAGE=node:24-bookworm-slim

# The package manifests, the lockfile and the dependency patches alone. A source edit re-runs this
# stage, but its output stays byte-identical, so the dependency layers below are rebuilt only when
# a manifest or a patch changes.
FROM ${NODE_IMAGE} AS manifests
WORKDIR /src
COPY . .
RUN mkdir /manifests \
    && find . -name node_modules -prune -o -name package.json -exec cp --parents -t /manifests {} + \
    && cp package-lock.json /manifests/ \
    && cp -r patches /manifests/

# Bundles the service into dist/main.js (workspace packages inlined) with the dev toolchain, and
# gathers what the runtime copies: dist/ and, for a service that owns tables, its migrations,
# which it reads as dist/../drizzle; the gateway also serves the built console from dist/console.
FROM ${NODE_IMAGE} AS build
ARG SERVICE
WORKDIR /src
COPY --from=manifests /manifests/ ./
RUN --mount=type=cache,target=/root/.npm npm ci --no-audit --no-fund
COPY . .
RUN test -d "services/${SERVICE}" \
      || { echo "--build-arg SERVICE must name a directory of services/" >&2; exit 1; } \
    && npm run build --workspace "@media-vault/${SERVICE}" \
    && mkdir -p "/out/services/${SERVICE}" \
    && cp -r "services/${SERVICE}/dist" "/out/services/${SERVICE}/" \
    && if [ "${SERVICE}" = gateway ]; then \
         npm run build --workspace @media-vault/console \
         && cp -r packages/console/dist "/out/services/gateway/dist/console"; \
       fi \
    && if [ -d "services/${SERVICE}/drizzle" ]; then \
         cp -r "services/${SERVICE}/drizzle" "/out/services/${SERVICE}/"; \
       fi

FROM ${NODE_IMAGE} AS runtime
ARG SERVICE
# ffmpeg and ffprobe from Debian for the services that run them; Debian ships their security
# fixes. Versions are not pinned: a Debian point release drops the old package, and the pin
# would break the build, not protect it.
# hadolint ignore=DL3008
RUN case "${SERVICE}" in \
      media-worker|agent) \
        apt-get update \
        && apt-get install -y --no-install-recommends ffmpeg \
        && rm -rf /var/lib/apt/lists/* ;; \
    esac
ENV NODE_ENV=production
WORKDIR /app
# Only this workspace's production dependencies. --omit=dev also leaves out the root
# devDependencies, the `node` package among them: the base image brings Node 24 itself. The
# workspace packages are bundled into dist/main.js; npm links them, but they hold only package.json.
# No install scripts run: none of these packages needs one, and the root's postinstall applies
# patches/ with patch-package, a dev tool; the patched packages are bundled, patched, in the build.
COPY --from=manifests /manifests/ ./
RUN --mount=type=cache,target=/root/.npm \
    npm ci --omit=dev --ignore-scripts --workspace "@media-vault/${SERVICE}" --no-audit --no-fund
COPY --from=build /out/ ./
# One entry point whatever the service: Node resolves the link, so the bundle finds its
# dependencies and migrations from where it really lies. No --enable-source-maps: main.js turns
# source maps on for the service's own bundle, where the flag would also parse every dependency's.
RUN ln -s "services/${SERVICE}/dist/main.js" main.js

# A fixed numeric user, so Kubernetes can check runAsNonRoot without reading the image. The
# application stays owned by root and read-only to it: the root filesystem can be mounted
# read-only, with /tmp and DATA_DIR (/data) as the only writable paths.
RUN groupadd --system --gid 10001 app \
    && useradd --system --uid 10001 --gid app --no-create-home --shell /usr/sbin/nologin app \
    && mkdir /data \
    && chown 10001:10001 /data
USER 10001:10001
ENV DATA_DIR=/data
CMD ["node", "main.js"]
