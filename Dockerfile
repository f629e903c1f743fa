# The driftmend worker image (CPU only). Installed in place (-e) so topics/ and schemas/
# stay beside the package.
FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1
WORKDIR /opt/driftmend
COPY pyproject.toml README.md ./
COPY app ./app
COPY topics ./topics
COPY schemas ./schemas
RUN pip install -e . && useradd --create-home driftmend && mkdir -p /var/lib/driftmend \
    && chown driftmend /var/lib/driftmend
USER driftmend
ENV DRIFTMEND_STATE_DIR=/var/lib/driftmend \
    DRIFTMEND_TOPICS_DIR=/opt/driftmend/topics \
    DRIFTMEND_SCHEMAS_DIR=/opt/driftmend/schemas
EXPOSE 9108
ENTRYPOINT ["driftmend"]
CMD ["--help"]
