"""gunicorn's settings for `make serve` (README, "Serving in production").

Environment:
    BIND              where to listen, e.g. 0.0.0.0:8000 or unix:/run/ledger.sock
                      (default 127.0.0.1:$PORT, for a proxy on the same machine)
    PORT              the port when BIND is not given (default 8000)
    WEB_CONCURRENCY   worker processes (default 2 per CPU + 1, gunicorn's own advice)
    GUNICORN_TIMEOUT  seconds a request may take before its worker is replaced (default 120)
"""

import os

bind = os.environ.get("BIND") or f"127.0.0.1:{os.environ.get('PORT') or '8000'}"

# The CPUs this process may use (a container's share, not the host's count).
workers = int(os.environ.get("WEB_CONCURRENCY") or 2 * len(os.sched_getaffinity(0)) + 1)
worker_class = "sync"
# Sync workers expect a buffering proxy in front (nginx, Caddy): a slow reader then costs the
# proxy a buffer, not a worker. An export streams every row in one request: a million line
# items took 5 s in `make bench`, so ten million would take about a minute; a worker gets two
# before it is presumed stuck and replaced.
timeout = int(os.environ.get("GUNICORN_TIMEOUT") or 120)
# On SIGTERM (a deploy), requests in flight get this long to finish.
graceful_timeout = 30
keepalive = 5
# A worker is replaced after this many requests (jittered so they do not all go at once):
# whatever a long-lived process accumulates is bounded.
max_requests = 2000
max_requests_jitter = 200

# Logs to the standard streams, for systemd's journal or the container runtime.
accesslog = "-"
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOG_LEVEL", "info")
access_log_format = '%(h)s "%(r)s" %(s)s %(b)s %(M)sms "%(f)s" "%(a)s"'

# gunicorn 27's control socket is one path per user ($HOME/.gunicorn/gunicorn.ctl): a second
# instance on the same machine (a bench, a test) would take it over. Signals do the same work.
control_socket_disable = True
