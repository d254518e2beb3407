"""gunicorn's settings for the web container (`gunicorn -c config/gunicorn.conf.py`).

Read from the environment so an operator tunes a host without a new image; a bad value
stops gunicorn at start rather than running with a guess.
"""

import os


def _env_int(name: str, default: int, minimum: int = 1) -> int:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise SystemExit(f"{name} must be a whole number, not {raw!r}") from None
    if value < minimum:
        raise SystemExit(f"{name} must be at least {minimum}, not {value}")
    return value


def _cores() -> int:
    # The cores this process may run on (a cpuset limit counts); os.cpu_count() would
    # report every core of the host, which in a container is not ours.
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:
        return os.cpu_count() or 1


# Inside the container; who may reach it is decided by the published port and the proxy.
bind = os.environ.get("GUNICORN_BIND", "0.0.0.0:8000")  # noqa: S104 - container-internal

# Slow phone uploads (inspection photos over a county's mobile network) would hold a sync
# worker, the whole process, for as long as the body trickles in; with threads one upload
# holds one thread and the worker goes on serving the others.
worker_class = "gthread"
threads = _env_int("GUNICORN_THREADS", 4)

# gunicorn's rule of thumb (2 × cores + 1) by default, capped: every thread keeps its own
# PostgreSQL connection (DATABASE_CONN_MAX_AGE), so a big host would otherwise open more
# connections than the server's max_connections (100 by default) leaves for the other
# hosts and the Celery worker. workers × threads is this host's share; an explicit
# GUNICORN_WORKERS is the operator's own count and is taken as given.
MAX_DEFAULT_WORKERS = 8
workers = _env_int("GUNICORN_WORKERS", min(2 * _cores() + 1, MAX_DEFAULT_WORKERS))

# With threads the worker's main loop keeps beating while requests run, so this catches a
# stuck process (one that stopped answering the arbiter), not a slow page.
timeout = _env_int("GUNICORN_TIMEOUT", 60)
# On a deploy or `docker compose stop` the requests in flight (an upload, a ledger) get
# this long to finish; compose's stop_grace_period for web is longer, so Docker does not
# kill them first.
graceful_timeout = _env_int("GUNICORN_GRACEFUL_TIMEOUT", 30)

# A worker is replaced after this many requests, so memory that large imports, photos and
# PDFs leave fragmented is given back; the jitter keeps the workers from restarting together.
# 0 turns it off.
max_requests = _env_int("GUNICORN_MAX_REQUESTS", 1000, minimum=0)
max_requests_jitter = _env_int("GUNICORN_MAX_REQUESTS_JITTER", 100, minimum=0)

# Which proxy headers to believe is decided once, by the app (settings:
# PROXY_SETS_X_FORWARDED_PROTO for the scheme, TRUSTED_PROXIES for the client address).
# gunicorn believes none of them itself, so a client cannot claim https through a second,
# differently configured rule.
forwarded_allow_ips = ""

# The app's RequestLogMiddleware writes one JSON line per request (id, user id, path
# without the query string, status, duration); gunicorn's access log would repeat each
# request, query string included. Errors and worker restarts still go to stderr.
accesslog = None
errorlog = "-"
loglevel = os.environ.get("LOG_LEVEL", "info").lower()

# The heartbeat file lives in memory: on a container's overlay /tmp a slow disk write can
# make a healthy worker look dead.
worker_tmp_dir = "/dev/shm"  # noqa: S108 - gunicorn's heartbeat file, not data

# No runtime control socket (gunicornc): the worker count comes from the environment and a
# restart, and a socket that can change it is one more thing to guard; in the image the
# home folder it would go in is not writable anyway.
control_socket_disable = True
