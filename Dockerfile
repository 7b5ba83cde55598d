# tributary image: the same steps as the README's install (scripts/install-deps.sh, scripts/build.sh).
FROM debian:12 AS build
WORKDIR /src
COPY scripts/install-deps.sh scripts/install-deps.sh
RUN scripts/install-deps.sh --build-only
COPY . .
RUN BUILD_DIR=/build BUILD_TYPE=Release scripts/build.sh -DTRIBUTARY_TESTS=OFF \
 && cmake --install /build --prefix /opt/tributary

# Runtime: the shared libraries of the binary (scripts/check-image.sh replays this stage in a
# clean Debian 12 root, from this list, and fails naming any library left unresolved).
FROM debian:12-slim
RUN apt-get update -q \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
      librdkafka1 libpq5 libmariadb3 libyaml-cpp0.7 libprometheus-cpp-core1.0 libssl3 \
      ca-certificates \
 && rm -rf /var/lib/apt/lists/* \
 && groupadd --system --gid 65532 tributary \
 && useradd --system --uid 65532 --gid 65532 --home-dir /var/lib/tributary --create-home tributary
COPY --from=build /opt/tributary/bin/tributary /usr/local/bin/tributary
COPY config/tributary.yaml /etc/tributary/tributary.yaml
# Numeric, so Kubernetes' runAsNonRoot can verify it (deploy/kubernetes runs as 65532 too).
USER 65532:65532
VOLUME /var/lib/tributary
EXPOSE 9187
# GET /healthz at the config's http.listen (the image has no curl): exit 0 on 200, 1 otherwise.
# A run with its own config file or http.listen: override it (docs/docker.md).
HEALTHCHECK --interval=30s --timeout=10s --start-period=30s --retries=3 \
  CMD ["/usr/local/bin/tributary", "health", "--config", "/etc/tributary/tributary.yaml"]
ENTRYPOINT ["/usr/local/bin/tributary"]
CMD ["run", "--config", "/etc/tributary/tributary.yaml"]
