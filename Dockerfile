# mockpace: the 7pace Timetracker API emulator, serving the default data set on port 8765.
#
#   docker build -t mockpace .
#   docker run --rm -p 8765:8765 mockpace
#   # settings: every MOCKPACE_* variable (see the README), e.g.
#   docker run --rm -p 8765:8765 -e MOCKPACE_SEED=7 -e MOCKPACE_STRICT_CONTRACT=true mockpace
#   # persist the database across restarts in a volume:
#   docker run --rm -p 8765:8765 -v mockpace-data:/data -e MOCKPACE_DB=/data/mockpace.db mockpace
#   # the container listens on 0.0.0.0: protect the admin plane (every token, reset, import)
#   # with a key whenever others can reach the port (mockpace warns at start-up without one):
#   docker run --rm -p 8765:8765 -e MOCKPACE_ADMIN_KEY=change-me mockpace
#   # serve a fixture file instead of generated data:
#   docker run --rm -p 8765:8765 -v $PWD/my.yaml:/fixtures/my.yaml:ro \
#       -e MOCKPACE_FIXTURE=/fixtures/my.yaml mockpace
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /app
COPY pyproject.toml README.md ./
COPY mockpace ./mockpace
COPY fixtures ./fixtures
RUN pip install . \
    && useradd --create-home --uid 10001 --shell /usr/sbin/nologin mockpace \
    && mkdir -p /data \
    && chown mockpace:mockpace /data

USER mockpace

# MOCKPACE_DB=:memory: keeps the data in RAM (fresh on every start); set it to a file under
# /data (the volume) to keep it: an existing file is reused as it is (MOCKPACE_FRESH=true
# rebuilds it). MOCKPACE_ANCHOR_DATE pins the generated dates. MOCKPACE_ADMIN_KEY (unset here)
# guards the admin plane; the health check below sends it when set.
ENV MOCKPACE_HOST=0.0.0.0 \
    MOCKPACE_PORT=8765 \
    MOCKPACE_DB=:memory:
VOLUME ["/data"]
EXPOSE 8765

HEALTHCHECK --interval=15s --timeout=5s --start-period=90s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request as u; key = os.environ.get('MOCKPACE_ADMIN_KEY'); u.urlopen(u.Request('http://127.0.0.1:%s/_mockpace/health' % os.environ.get('MOCKPACE_PORT', '8765'), headers={'X-Mockpace-Admin-Key': key} if key else {}), timeout=4)"]

CMD ["mockpace", "serve", "--host", "0.0.0.0"]
