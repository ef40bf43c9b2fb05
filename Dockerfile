# The leadq image: `docker compose up --scale worker=N` runs N workers in one consumer
# group, and the gateway service runs `leadq ingest` from it. Configuration comes from
# LEADQ_* environment variables only.
#
# Pinned: the Python the test suite runs on (3.11.7), and every Python package at the
# version the tests ran with (constraints.txt). The example rules are installed with the
# package (LEADQ_RULES_PATH defaults to them); docker-compose.yml mounts ./rules over
# /etc/leadq/rules instead, so edits there are picked up without a rebuild.
FROM python:3.11.7-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /app
COPY pyproject.toml README.md constraints.txt ./
COPY leadq ./leadq
COPY schemas ./schemas
COPY streams ./streams
COPY agents ./agents
COPY gateway ./gateway
COPY cli ./cli
COPY rules ./rules
RUN pip install --constraint constraints.txt . \
    && leadq --version \
    && cd / && leadq rules check \
    && useradd --create-home --uid 10001 leadq

USER leadq
# Inside the container the web servers listen on every interface so that compose can
# publish them; docker-compose.yml publishes them on the host's 127.0.0.1 only.
ENV LEADQ_DATA_DIR=/tmp/leadq \
    LEADQ_WEB_HOST=0.0.0.0
EXPOSE 6066 8088
# SIGTERM lets Faust finish in-flight batches and commit before exiting.
STOPSIGNAL SIGTERM
CMD ["leadq", "worker"]
