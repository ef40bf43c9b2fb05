# The leadq image: `docker compose up --scale worker=N` runs N workers in one consumer
# group, and the gateway service runs `leadq ingest` from it. Configuration comes from
# LEADQ_* environment variables only.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /app
COPY pyproject.toml README.md ./
COPY leadq ./leadq
COPY schemas ./schemas
COPY streams ./streams
COPY agents ./agents
COPY gateway ./gateway
COPY cli ./cli
COPY rules ./rules
RUN pip install . \
    && useradd --create-home --uid 10001 leadq

USER leadq
ENV LEADQ_RULES_PATH=/app/rules/example.yaml \
    LEADQ_DATA_DIR=/tmp/leadq \
    LEADQ_WEB_HOST=0.0.0.0
EXPOSE 6066 8088
# SIGTERM lets Faust finish in-flight batches and commit before exiting.
STOPSIGNAL SIGTERM
CMD ["leadq", "worker"]
