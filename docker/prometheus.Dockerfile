# Prometheus for the compose stack's `monitoring` profile, from Debian's `prometheus` package, so
# it builds from the Debian base image alone: no registry image to pull. Standard syntax only
# (the classic builder builds it). Config and alert rules: docker/prometheus/.
FROM debian:bookworm-slim
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends prometheus \
 && rm -rf /var/lib/apt/lists/* \
 && mkdir -p /prometheus && chown prometheus:prometheus /prometheus
COPY docker/prometheus/prometheus.yml docker/prometheus/alerts.yml /etc/prometheus/
USER prometheus
VOLUME ["/prometheus"]
EXPOSE 9090
ENTRYPOINT ["/usr/bin/prometheus"]
CMD ["--config.file=/etc/prometheus/prometheus.yml", "--storage.tsdb.path=/prometheus", \
     "--storage.tsdb.retention.time=15d", "--web.listen-address=:9090", \
     "--web.console.libraries=/usr/share/prometheus/console_libraries", \
     "--web.console.templates=/usr/share/prometheus/consoles"]
