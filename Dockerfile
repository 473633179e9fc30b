# One image for the four services: `docker build -t fangxin .`, then run
#   python -m services.intake | services.workflow | services.projections | services.console
# Configuration is FANGXIN_* environment only (docs/operations.md, docs/deployment.md).
# The source tree is kept as it is in the repository: the services read their data files
# (contracts/*.json, services/workflow/rules/) relative to their own modules.
FROM python:3.11-slim-bookworm AS build
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /app
COPY pyproject.toml README.md ./
COPY contracts contracts
COPY services services
COPY fangxin fangxin
RUN python -m venv /opt/venv && /opt/venv/bin/pip install --no-compile .

FROM python:3.11-slim-bookworm
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    FANGXIN_HTTP_HOST=0.0.0.0 \
    FANGXIN_PERSISTENCE=postgres \
    FANGXIN_LOG_JSON=true
RUN useradd --system --uid 10001 --home-dir /app --shell /usr/sbin/nologin fangxin
COPY --from=build /opt/venv /opt/venv
COPY --chown=root:root contracts /app/contracts
COPY --chown=root:root services /app/services
COPY --chown=root:root fangxin /app/fangxin
COPY --chown=root:root deploy/local/producers.json /app/deploy/local/producers.json
WORKDIR /app
USER 10001
EXPOSE 8001 8002 8003 8004
ENTRYPOINT ["python", "-m"]
CMD ["services.intake"]
