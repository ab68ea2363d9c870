# Production image: the page workers (gunicorn, WSGI: `scripts/serve.sh web`), the WebSocket process
# (uvicorn, ASGI: `scripts/serve.sh ws`; config/serve.py says why apart, scripts/serve.sh why not
# daphne) and the job worker (manage.py db_worker) run from this same image; see docker-compose.yml.
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    DJANGO_SETTINGS_MODULE=config.settings \
    DATA_DIR=/data

# weasyprint needs pango (with harfbuzz) and real fonts: without fonts it crashes. DejaVu
# covers Vietnamese. gettext provides msgfmt for the translations.
RUN apt-get update \
    && apt-get install -y --no-install-recommends \
        libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz0b libffi8 \
        fonts-dejavu-core shared-mime-info gettext \
    && rm -rf /var/lib/apt/lists/*

WORKDIR /app

# Dependencies first, pinned by the lock, so that code changes reuse this layer.
# The project itself is no package ([tool.setuptools] packages = []): this installs its
# runtime dependencies only (no dev extras).
COPY pyproject.toml constraints.txt ./
RUN pip install -c constraints.txt .

COPY . .

# Static files (hashed, compressed, served by whitenoise) and compiled translations.
# viewflow's wheel carries a node_modules copy of a font CSS whose fonts are missing, which
# fails the hashing storage; viewflow itself uses viewflow/fonts/roboto/, so skip that copy.
# The dummy SECRET_KEY, AUDIT_CHAIN_KEY and DATABASE_URL keep settings from demanding a key or starting the
# embedded database; nothing here connects to a database.
RUN export SECRET_KEY=build-only-not-secret AUDIT_CHAIN_KEY=build-only-not-secret-build-only-not-secret \
    DATABASE_URL=postgres://build@127.0.0.1:5432/build \
    && python manage.py collectstatic --noinput --ignore '*/node_modules/*' \
    && if find locale -name '*.po' | grep -q .; then python manage.py compilemessages; fi

RUN useradd --system --uid 10001 --home-dir /app civreg \
    && mkdir -p /data/files \
    && chown -R civreg:civreg /data
USER civreg
VOLUME ["/data"]

EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=10s --start-period=60s --retries=3 \
    CMD ["python", "scripts/healthcheck.py"]

# Client address and scheme come from the TLS proxy in front (FORWARDED_ALLOW_IPS: the proxies trusted).
ENV HOST=0.0.0.0 PORT=8000 FORWARDED_ALLOW_IPS=*
# Alone (without compose): pages and WebSockets on one port, as `make run` serves them.
CMD ["sh", "-c", "python manage.py migrate --noinput && exec scripts/serve.sh all"]
