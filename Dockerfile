# The Kavosh app image: CPU-only PyTorch, the Elasticsearch and UI extras; runs the Streamlit UI on port 8501.
#   docker build -t kavosh .
#   docker run -p 8501:8501 -e KAVOSH_ES_URL=http://host.docker.internal:9200 kavosh
FROM python:3.11-slim

ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    STREAMLIT_SERVER_HEADLESS=true \
    STREAMLIT_BROWSER_GATHER_USAGE_STATS=false

WORKDIR /app

# CPU wheels first (the default index would pull several GB of CUDA libraries); this layer outlives code changes.
RUN pip install --index-url https://download.pytorch.org/whl/cpu torch

# The same wheel that scripts/check_wheel.sh checks: each layer folder installs as kavosh.<folder>.
COPY pyproject.toml setup.py README.md ./
COPY text ./text
COPY embedding ./embedding
COPY store ./store
COPY indexer ./indexer
COPY qa ./qa
COPY service ./service
COPY evaluation ./evaluation
COPY ui ./ui
RUN pip install ".[ui,es]"

RUN useradd --create-home --uid 1000 kavosh && mkdir -p /data && chown kavosh /data
USER kavosh

EXPOSE 8501
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s \
    CMD python -c "import urllib.request; urllib.request.urlopen('http://localhost:8501/_stcore/health')"
CMD ["kavosh", "ui", "--port", "8501"]
