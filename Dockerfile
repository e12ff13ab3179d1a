# Flightlog: the HTTP service, built from this source tree.
#
#   docker build -t flightlog .
#   docker run -e MONGODB_URI=mongodb://... -p 8080:8080 flightlog
#
# The image has no embedded database: MONGODB_URI must name a MongoDB
# replica set. deploy/compose.yaml runs one, two services and a proxy.

FROM python:3.11-slim AS build

WORKDIR /src
COPY pyproject.toml ./
COPY events ./events
COPY projections ./projections
COPY service ./service
COPY seed ./seed
RUN pip install --no-cache-dir --no-compile --prefix=/install .


FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    FLIGHTLOG_HOST=0.0.0.0 \
    FLIGHTLOG_PORT=8080 \
    FLIGHTLOG_LOG_FORMAT=json

RUN groupadd --system --gid 10001 flightlog \
    && useradd --system --uid 10001 --gid flightlog --no-create-home \
       --home-dir /nonexistent --shell /usr/sbin/nologin flightlog

COPY --from=build /install /usr/local

WORKDIR /app
USER 10001:10001
EXPOSE 8080

HEALTHCHECK --interval=10s --timeout=3s --start-period=10s --retries=3 \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8080/healthz', timeout=2)"]

ENTRYPOINT ["flightlog"]
CMD ["serve", "--host", "0.0.0.0", "--port", "8080"]
