# motu in a container. Two images from one file:
#
#   docker build -t motu:quickjs .                 # QuickJS only (the default, last stage)
#   docker build -t motu:v8 --target v8 .          # QuickJS and V8 (Debian's libnode)
#
# Both run as the unprivileged user `motu`, read their config from
# /etc/motu/motu.toml (mount a folder there: the config and the Workers'
# code), keep the state folder (D1, R2, the embedded KV) in the volume
# /var/lib/motu, listen on 8787 and serve /healthz, /readyz and /metrics on
# 9090. Set MOTU_CLUSTER__REDIS to run a node of a cluster (README, "Cluster").

# Debian's packages are not pinned to versions (hadolint DL3008): the stable
# release's security updates are what an image rebuilt later should get.

ARG RUST_IMAGE=rust:1-bookworm
ARG DEBIAN_IMAGE=debian:bookworm-slim

# ---- build: QuickJS only -------------------------------------------------
FROM ${RUST_IMAGE} AS build-quickjs
WORKDIR /src
COPY . .
RUN cargo build --release --locked --bin motu \
    && install -D -m 0755 target/release/motu /out/motu

# ---- build: with V8 --------------------------------------------------------
# V8 is the one inside Debian 12's libnode (see scripts/fetch-libnode.sh);
# in a container it is simply installed, and engines/v8/build.rs finds it
# under /usr. The shim it builds is loaded at run time from beside `motu`.
FROM ${RUST_IMAGE} AS build-v8
# hadolint ignore=DL3008
RUN apt-get update \
    && apt-get install -y --no-install-recommends libnode-dev g++ \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY . .
ENV MOTU_LIBNODE_PREFIX=/usr
RUN cargo build --release --locked --features v8 --bin motu \
    && install -D -m 0755 target/release/motu /out/motu \
    && find target/release -name libmotu_v8_shim.so -exec install -m 0644 {} /out/ \;

# ---- what both images share ---------------------------------------------
FROM ${DEBIAN_IMAGE} AS base
# ca-certificates: Workers' fetch() to https origins and rediss:// verify
# against the system's roots too.
# hadolint ignore=DL3008
RUN apt-get update \
    && apt-get install -y --no-install-recommends ca-certificates \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --uid 10001 --user-group --home-dir /var/lib/motu --no-create-home motu \
    && install -d -o motu -g motu -m 0700 /var/lib/motu \
    && install -d -m 0755 /etc/motu
ENV MOTU_SERVER__LISTEN=0.0.0.0:8787 \
    MOTU_SERVER__STATE_DIR=/var/lib/motu \
    MOTU_ADMIN__LISTEN=0.0.0.0:9090
VOLUME ["/var/lib/motu"]
EXPOSE 8787 9090
WORKDIR /etc/motu
ENTRYPOINT ["motu"]
CMD ["serve", "--config", "/etc/motu/motu.toml"]

# ---- image: QuickJS and V8 -------------------------------------------------
FROM base AS v8
# hadolint ignore=DL3008
RUN apt-get update \
    && apt-get install -y --no-install-recommends libnode108 \
    && rm -rf /var/lib/apt/lists/*
COPY --from=build-v8 /out/ /usr/local/bin/
USER 10001:10001

# ---- image: QuickJS only (the default) ---------------------------------------
FROM base AS quickjs
COPY --from=build-quickjs /out/motu /usr/local/bin/motu
USER 10001:10001
