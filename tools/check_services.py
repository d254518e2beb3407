"""Checks that PostgreSQL and Redis answer before the suite runs; says how to start them.

Exit status 1 when one is missing: the tests use the real services and never skip.
"""

import os
import sys

import psycopg
import redis

database_url = os.environ["DATABASE_URL"]
redis_url = os.environ["REDIS_URL"]
missing = []

try:
    # Connect to the server's maintenance database: the test database is made by pytest.
    with psycopg.connect(database_url.rsplit("/", 1)[0] + "/postgres", connect_timeout=3):
        pass
except psycopg.Error as exc:
    missing.append(
        f"PostgreSQL at {database_url} refused the connection ({str(exc).strip().splitlines()[0]}). "
        "If it is not running, start it with: "
        "pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start "
        "(or docker compose up -d postgres), or set DATABASE_URL."
    )

try:
    redis.Redis.from_url(redis_url, socket_connect_timeout=3).ping()
except redis.RedisError as exc:
    missing.append(
        f"Redis at {redis_url} did not answer ({exc}). If it is not running, start it with: "
        "redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save '' --appendonly no "
        "(or docker compose up -d redis), or set REDIS_URL."
    )

for line in missing:
    print(line, file=sys.stderr)
sys.exit(1 if missing else 0)
