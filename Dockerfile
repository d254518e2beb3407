# Image for docker-compose.yml (migrate, web, worker and beat share it).
# bookworm named: the bare python:3.11-slim tag moved to Debian trixie (Aug 2025), which
# has no postgresql-client-15.
FROM python:3.11-slim-bookworm
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /app

# bookworm's postgresql-client-15 is the client of the server's major version
# (docker-compose.yml runs postgres:15; change both together): `manage.py backup` finds
# pg_dump in /usr/lib/postgresql/15/bin and refuses another major, so it runs in here.
# fonts-noto-cjk puts Noto Serif/Sans CJK SC in /usr/share/fonts/opentype/noto/, which
# reporting/documents_summary.py finds through fontconfig's fc-list for the summary PDF;
# fontconfig is named because fonts-noto-cjk does not pull it in, and without fc-list
# the PDF link is hidden.
RUN apt-get update \
    && apt-get install -y --no-install-recommends postgresql-client-15 fontconfig fonts-noto-cjk \
    && rm -rf /var/lib/apt/lists/*

# Exactly the locked versions, each file checked against its hash (requirements/lock.txt,
# `make lock`). The project itself is not installed: it runs from /app (manage.py).
COPY requirements/lock.txt requirements/lock.txt
RUN pip install --no-cache-dir --require-hashes -r requirements/lock.txt

# .dockerignore keeps secrets (.env, var/), uploads and the developer's venv out of here.
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
