# Image for docker-compose.yml (web, worker and beat share it).
FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1
WORKDIR /app
COPY pyproject.toml ./
RUN pip install --no-cache-dir -e .
COPY . .
# Static files are collected into the image, so the web container needs no write access.
RUN SECRET_KEY=build-only DATABASE_URL=sqlite:////tmp/build.sqlite3 python manage.py collectstatic --noinput
RUN useradd --system --home /app anquan && mkdir -p /app/media && chown anquan /app/media
USER anquan
EXPOSE 8000
