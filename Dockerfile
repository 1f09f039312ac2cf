# One image, many roles: gateway, worker, beat, flower, migrate (see docker-compose.yml).
FROM python:3.11-slim
ENV PYTHONUNBUFFERED=1 PIP_DISABLE_PIP_VERSION_CHECK=1 LEADOPS_VAR_DIR=/var/lib/leadops
WORKDIR /app
COPY pyproject.toml README.md ./
COPY api_gateway ./api_gateway
COPY workers ./workers
COPY tasks ./tasks
COPY ops ./ops
COPY beat_schedule.py ./
RUN pip install --no-cache-dir . && useradd --system --create-home leadops \
    && mkdir -p /var/lib/leadops && chown leadops /var/lib/leadops
USER leadops
ENTRYPOINT ["leadops"]
CMD ["doctor"]
