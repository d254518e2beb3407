# Image for docker-compose.yml (web, worker and beat share it).
FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1
WORKDIR /app
COPY pyproject.toml ./
RUN pip install --no-cache-dir -e .
COPY . .
# Static files are collected into the image, so the web container needs no write access.
# Build-only values: collectstatic touches no data; the running containers get the real keys.
RUN SECRET_KEY=build-only DATABASE_URL=sqlite:////tmp/build.sqlite3 \
    STAFF_ID_KEYS=$(python -c 'import base64; print(base64.urlsafe_b64encode(bytes(32)).decode())') \
    STAFF_ID_HASH_KEY=build-only-not-a-real-key-0000000000 \
    python manage.py collectstatic --noinput
RUN useradd --system --home /app anquan && mkdir -p /app/media && chown anquan /app/media
USER anquan
EXPOSE 8000
