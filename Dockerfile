# tributary image: the same steps as the README's install (scripts/install-deps.sh, scripts/build.sh).
FROM debian:12 AS build
WORKDIR /src
COPY scripts/install-deps.sh scripts/install-deps.sh
RUN scripts/install-deps.sh --build-only
COPY . .
RUN BUILD_DIR=/build BUILD_TYPE=Release scripts/build.sh -DTRIBUTARY_TESTS=OFF \
 && cmake --install /build --prefix /opt/tributary

FROM debian:12-slim
RUN apt-get update -q \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
      librdkafka1 libpq5 libmariadb3 libyaml-cpp0.7 libprometheus-cpp-core1.0 ca-certificates \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --home-dir /var/lib/tributary --create-home tributary
COPY --from=build /opt/tributary/bin/tributary /usr/local/bin/tributary
COPY config/tributary.yaml /etc/tributary/tributary.yaml
USER tributary
VOLUME /var/lib/tributary
EXPOSE 9187
ENTRYPOINT ["/usr/local/bin/tributary"]
CMD ["run", "--config", "/etc/tributary/tributary.yaml"]
