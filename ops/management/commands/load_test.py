"""Deadline day under load: gunicorn as in production, Locust against 127.0.0.1 only.

    python manage.py load_test --officers 200 --reviewers 20 --duration 120

Seeds the scenario (ops/load/seed.py), starts gunicorn on a loopback port, runs Locust
headless for a bounded time, then runs the trivial endpoint alone on the same server for
the ceiling, and prints p50/p95/p99, errors and throughput of both. Needs the `load` extra
(`pip install -e ".[load]"`; `make load` does it).
"""

from __future__ import annotations

import csv
import json
import os
import secrets
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from inspections.models import Inspection
from ops.load.seed import load_plan_create
from progress.tasks import refresh_kept_figures


def _wait_for_port(port: int, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.2)
    raise CommandError(f"gunicorn 未在 {seconds:.0f} 秒内启动（端口 {port}）")


def _think(value: str) -> tuple[float, float] | None:
    """`--think 20,40` → (20.0, 40.0); empty → None (the compressed scenario)."""
    if not value:
        return None
    try:
        low, high = (float(x) for x in value.split(","))
    except ValueError:
        raise CommandError("--think 应为两个秒数，如 20,40") from None
    if not 0 <= low <= high <= 600:
        raise CommandError("--think 的秒数须满足 0 ≤ 最小值 ≤ 最大值 ≤ 600")
    return low, high


def _stats(prefix: Path) -> list[dict]:
    with open(f"{prefix}_stats.csv", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


class Command(BaseCommand):
    help = "截止日负载测试：gunicorn + Locust（仅 127.0.0.1，人数与时长有界）"

    def add_arguments(self, parser):
        parser.add_argument("--officers", type=int, default=200)
        parser.add_argument("--reviewers", type=int, default=20)
        parser.add_argument("--duration", type=int, default=120, help="秒，最多 900")
        parser.add_argument("--spawn-rate", type=float, default=10)
        parser.add_argument("--ceiling-duration", type=int, default=20)
        parser.add_argument("--port", type=int, default=8765)
        parser.add_argument("--workers", type=int, default=(os.cpu_count() or 1) * 2 + 1)
        parser.add_argument("--out", default="var/load")
        parser.add_argument(
            "--think",
            default="",
            help="如 20,40：检查人员逐个板块保存，其间停留的秒数范围；不填则一次提交全部答案（压缩场景）",
        )
        parser.add_argument(
            "--trivial-path", default="/healthz", help="上限对照的简单接口（同一服务器）"
        )
        parser.add_argument(
            "--cold",
            action="store_true",
            help="不预先生成看板统计副本（生产环境中由定时任务每 5 分钟刷新）",
        )

    def handle(self, *args, **o):
        if not 1 <= o["duration"] <= 900 or not 1 <= o["officers"] <= 2000:
            raise CommandError("时长须在 1–900 秒之间，人数须在 1–2000 之间")
        _think(o["think"])
        locust = shutil.which("locust", path=str(Path(sys.executable).parent))
        if locust is None:
            raise CommandError('未安装 Locust：请先运行 pip install -e ".[load]"（或 make load）')
        out = Path(o["out"])
        out.mkdir(parents=True, exist_ok=True)
        # A fresh password per run: the load users never keep a known one.
        plan = load_plan_create(officers=o["officers"], password=secrets.token_urlsafe(16))
        plan_file = out / "plan.json"
        plan_file.write_text(json.dumps(plan, ensure_ascii=False), encoding="utf-8")
        if not o["cold"]:
            # As in production, where the beat adds up the dashboards' kept copies every 5
            # minutes: the run starts with them in place, not with every officer arriving
            # at once adding up the whole province (--cold measures that).
            refresh_kept_figures()
        env = {
            **os.environ,
            "DEBUG": "0",
            "ALLOWED_HOSTS": "127.0.0.1",
            "LOAD_PLAN": str(plan_file),
            "LOAD_OFFICER_WEIGHT": str(o["officers"]),
            "LOAD_REVIEWER_WEIGHT": str(max(o["reviewers"], 1)),
            "PYTHONPATH": str(settings.BASE_DIR),
            "LOAD_TRIVIAL_PATH": o["trivial_path"],
            "LOAD_THINK": o["think"],
        }
        host = f"http://127.0.0.1:{o['port']}"
        before = Inspection.objects.filter(status=Inspection.Status.SUBMITTED).count()
        server_log = open(out / "gunicorn.log", "w", encoding="utf-8")  # noqa: SIM115 - closed below
        server = subprocess.Popen(  # noqa: S603 - fixed argv, loopback only
            [
                sys.executable, "-m", "gunicorn", "config.wsgi",
                "--bind", f"127.0.0.1:{o['port']}", "--workers", str(o["workers"]),
                "--access-logfile", "-" if o["verbosity"] > 2 else "/dev/null",
                "--log-level", "warning", "--preload",
            ],
            cwd=settings.BASE_DIR, env=env, stdout=server_log, stderr=server_log,
        )  # fmt: skip
        try:
            _wait_for_port(o["port"])
            users = o["officers"] + o["reviewers"]
            self._locust(locust, env, host, out / "scenario", users, o["spawn_rate"],
                         o["duration"], ["CountyOfficer", "Reviewer"])  # fmt: skip
            after = Inspection.objects.filter(status=Inspection.Status.SUBMITTED).count()
            self._locust(locust, env, host, out / "ceiling", 50, 50, o["ceiling_duration"],
                         ["Ceiling"])  # fmt: skip
        finally:
            server.terminate()
            server.wait(timeout=30)
            server_log.close()
        self._report(out, submitted=after - before, workers=o["workers"])

    def _locust(self, locust, env, host, prefix, users, rate, seconds, classes):
        locustfile = Path(__file__).resolve().parents[2] / "load" / "locustfile.py"
        with open(f"{prefix}.log", "w", encoding="utf-8") as log:
            subprocess.run(  # noqa: S603 - fixed argv, loopback only
                [
                    locust, "-f", str(locustfile), "--headless", "--host", host,
                    "-u", str(users), "-r", str(rate), "-t", f"{seconds}s",
                    "--csv", str(prefix), "--only-summary", "--loglevel", "WARNING",
                    "--stop-timeout", "30", *classes,
                ],
                env=env, check=False, stdout=log, stderr=log,
            )  # fmt: skip

    def _report(self, out: Path, *, submitted: int, workers: int) -> None:
        rows = [r for r in _stats(out / "scenario") if r["Name"] != "Aggregated"]
        total = next(r for r in _stats(out / "scenario") if r["Name"] == "Aggregated")
        ceiling = next(r for r in _stats(out / "ceiling") if r["Name"] == "Aggregated")
        line = "{:<42} {:>7} {:>6} {:>7} {:>7} {:>7} {:>8}"
        self.stdout.write(
            line.format("请求", "次数", "失败", "p50 ms", "p95 ms", "p99 ms", "次/秒")
        )
        for r in [*rows, total]:
            self.stdout.write(
                line.format(
                    r["Name"][:42],
                    r["Request Count"],
                    r["Failure Count"],
                    r["50%"],
                    r["95%"],
                    r["99%"],
                    f"{float(r['Requests/s']):.1f}",
                )  # fmt: skip
            )
        self.stdout.write(
            line.format(
                "上限：简单接口（同一服务器）",
                ceiling["Request Count"],
                ceiling["Failure Count"],
                ceiling["50%"],
                ceiling["95%"],
                ceiling["99%"],
                f"{float(ceiling['Requests/s']):.1f}",
            )  # fmt: skip
        )
        self.stdout.write(f"gunicorn 进程数 {workers}；本次提交检查记录 {submitted} 份")
