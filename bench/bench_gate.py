"""Gate-check throughput and latency over HTTP against PostgreSQL, with the production server.

Makes its own database (gh_bench_gate) and port, seeds a small world with two weeks of earlier
checks at the gate (a district's event table is never empty), runs ANALYZE, starts the production web
server (granian with workers set for the machine, exactly as deployed: gatehouse.lib.server), and
drives it with wrk (Debian's `wrk`, a Lua script mixing pass scans, typed identity numbers and
plates) from the same machine:

    bench: gate_checks_per_s VALUE checks/s ratio=R vs bare_view     (50 concurrent clients)
    bench: gate_check_p99_ms VALUE ms                                 (20 concurrent clients)
    bench: pg_insert_per_s VALUE tx/s                                 (pgbench, 1-row INSERT, 50 clients)

The baseline is the same server and settings answering a bare view that does one indexed SELECT and
one INSERT (bench/urls_gate.py), measured in the same run. Pass tokens are single-use, so they are
signed just before each run, one per request; when a run outlasts them the Lua script wraps around
and the rest are deliberate replays (refused, and still stored). Everything is dropped at the end.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from gatehouse.lib.server import web_server_command

ROOT = Path(__file__).resolve().parent.parent
DB = "gh_bench_gate"
PG = "postgres://root@127.0.0.1:5432"
DURATION_S = int(os.environ.get("BENCH_GATE_SECONDS", "10"))
TOKENS_PER_RUN = 12_000
ROUNDS = int(os.environ.get("BENCH_GATE_ROUNDS", "3"))


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _env(extra: dict[str, str] | None = None) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        {
            "DATABASE_URL": f"{PG}/{DB}",
            "DJANGO_SETTINGS_MODULE": "bench.settings_gate",
            "GATEHOUSE_ENV_FILE": os.devnull,
            "GATEHOUSE_DEBUG": "0",
            "GATEHOUSE_LOG_LEVEL": "WARNING",
            "DB_CONN_MAX_AGE": "600",
            "PYTHONPATH": str(ROOT),
        }
    )
    env.setdefault("GATEHOUSE_SECRET_KEY", secrets.token_urlsafe(40))
    env.setdefault("GATEHOUSE_DATA_KEY", secrets.token_urlsafe(32))
    env.update(extra or {})
    return env


def _psql(sql: str, db: str = "postgres") -> None:
    subprocess.run(["psql", "-q", "-h", "127.0.0.1", "-U", "root", "-d", db, "-c", sql], check=True)


# --- inside Django (run as `python -m bench.bench_gate setup|tokens`) ---------------------------


def _django_setup(out: Path) -> None:
    import random

    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    call_command("migrate", verbosity=0, interactive=False)
    from gatehouse.accounts.services import api_token_issue, user_create
    from gatehouse.core.audit import SYSTEM
    from gatehouse.core.roles import Role
    from gatehouse.demo.seed import seed
    from gatehouse.lib.identity import identity_number_synthetic
    from gatehouse.people.models import Resident
    from gatehouse.people.services import identity_number_lookup_hash, resident_register, vehicle_register
    from gatehouse.places.models import Compound, CompoundClass, District, Gate

    seed(scale_name="tiny")
    compound = (
        Compound.objects.filter(compound_class=CompoundClass.COMMODITY_HOUSING, gates__status="open")
        .distinct()
        .order_by("name")
        .first()
    )
    assert compound is not None
    gate = Gate.objects.filter(compound=compound, status="open").order_by("name").first()
    assert gate is not None
    Gate.objects.filter(id=gate.id).update(has_vehicle_lane=True, opens_at=None, closes_at=None)
    district = District.objects.get()
    command = user_create(
        username="bench-command", password=None, role=Role.DISTRICT_COMMAND, district=district
    )
    staff = user_create(username="bench-gate", password=None, role=Role.GATE_STAFF, gate=gate)
    _, device_token = api_token_issue(scope=staff.scope, actor=SYSTEM, user=staff, name="bench")
    rng = random.Random(7)
    numbers = []
    for i in range(150):
        birth = dt.date(1950 + i % 50, 1 + i % 12, 1 + i % 27)
        number = identity_number_synthetic(rng, region="310101", birth_date=birth, male=i % 2 == 0)
        if Resident.objects.filter(id_number_hash=identity_number_lookup_hash(number)).exists():
            continue  # the seed drew the same synthetic number
        resident_register(
            scope=command.scope,
            actor=SYSTEM,
            compound=compound,
            building=str(1 + i % 8),
            room=f"{101 + i}",
            name=f"测试{i:03d}",
            id_number=number,
        )
        numbers.append(number)
    plates = []
    residents = list(Resident.objects.filter(compound=compound)[:40])
    for i, resident in enumerate(residents):
        plate = f"沪B{i:05d}"
        vehicle_register(scope=command.scope, actor=SYSTEM, household=resident.household, plate=plate)
        plates.append(plate)
    plates += [f"苏E{i:05d}" for i in range(20)]  # unknown vehicles: the visitor rule
    _history(gate, staff, list(Resident.objects.filter(compound=compound)), rng)
    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE TABLE bench_bare (id bigserial PRIMARY KEY, at timestamptz NOT NULL, gate_id uuid)"
        )
    out.write_text(
        json.dumps(
            {"gate_id": str(gate.id), "device_token": device_token, "id_numbers": numbers, "plates": plates}
        )
    )


HISTORY_DAYS = 14
HISTORY_CHECKS_PER_DAY = 4_000


def _history(gate: Any, staff: Any, residents: list[Any], rng: Any) -> None:
    """Two weeks of earlier checks at the gate: a district's event table is never empty, and its
    statistics (taken by ANALYZE below) decide the plans PostgreSQL keeps for prepared statements."""
    from django.utils import timezone

    from gatehouse.gate.models import GateEvent

    now = timezone.now()
    rows = []
    for i in range(HISTORY_DAYS * HISTORY_CHECKS_PER_DAY):
        at = now - dt.timedelta(days=1 + i // HISTORY_CHECKS_PER_DAY, seconds=rng.randint(0, 86_399))
        resident = residents[i % len(residents)]
        rows.append(
            GateEvent(
                gate_id=gate.id,
                compound_id=gate.compound_id,
                at=at,
                observed_at=at,
                direction="in" if i % 2 else "out",
                subject_kind="resident",
                subject_resident_id=resident.id,
                subject_label=resident.masked_name,
                colour=resident.health_colour,
                decision="let_in",
                reasons=[],
                temperature="normal",
                staff=staff,
                staff_label=staff.label,
                device="history",
                client_id=f"history-{i}",
                nonce=f"{rng.getrandbits(64):016x}",
            )
        )
    GateEvent.objects.bulk_create(rows, batch_size=5_000)


def _django_tokens(out: Path, count: int) -> None:
    import django

    django.setup()
    from gatehouse.passes.services import pass_token_for
    from gatehouse.people.models import Resident

    setup = json.loads(Path(os.environ["BENCH_SETUP"]).read_text())
    residents = list(Resident.objects.filter(compound__gates__id=setup["gate_id"], status="active"))
    tokens = [pass_token_for(residents[i % len(residents)]) for i in range(count)]
    out.write_text("\n".join(tokens) + "\n")


# --- wrk --------------------------------------------------------------------------------------

LUA = r"""
local gate, auth = os.getenv("BENCH_GATE"), os.getenv("BENCH_AUTH")
local tokens, ids, plates = {}, {}, {}
local function load(path, into)
  for line in io.lines(path) do if #line > 0 then into[#into + 1] = line end end
end
load(os.getenv("BENCH_TOKENS"), tokens)
load(os.getenv("BENCH_IDS"), ids)
load(os.getenv("BENCH_PLATES"), plates)
local threads, counter, nthreads = {}, 0, 1
function setup(thread) thread:set("tid", #threads) table.insert(threads, thread) end
function init(args) tid = tonumber(tid) or 0 nthreads = tonumber(os.getenv("BENCH_THREADS")) or 1 end
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer " .. auth
local function body(subject, value)
  counter = counter + 1
  return string.format('{"gate_id":"%s","client_id":"w%d-%d-%d","subject":"%s","value":"%s",'
    .. '"direction":"%s","temperature":"36.%d","device":"wrk"}',
    gate, tid, os.time(), counter, subject, value, (counter % 2 == 0) and "in" or "out", counter % 9)
end
local slot = 0
function request()
  slot = slot + 1
  local kind = slot % 10
  if os.getenv("BENCH_BARE") == "1" then return wrk.format(nil, "/bench/bare/", nil, body("visitor", "")) end
  if kind < 6 then
    local i = (tid + (math.floor(slot / 10) * 6 + kind) * nthreads) % #tokens + 1
    return wrk.format(nil, "/api/gate/checks", nil, body("token", tokens[i]))
  elseif kind < 8 then
    return wrk.format(nil, "/api/gate/checks", nil, body("id_number", ids[slot % #ids + 1]))
  else
    return wrk.format(nil, "/api/gate/checks", nil, body("plate", plates[slot % #plates + 1]))
  end
end
"""


def _wrk(port: int, connections: int, env: dict[str, str], bare: bool = False) -> dict[str, Any]:
    threads = 2
    cmd = [
        "wrk",
        f"-t{threads}",
        f"-c{connections}",
        f"-d{DURATION_S}s",
        "--latency",
        "-s",
        env["BENCH_LUA"],
        f"http://127.0.0.1:{port}",
    ]
    run_env = {**env, "BENCH_BARE": "1" if bare else "0", "BENCH_THREADS": str(threads)}
    out = subprocess.run(cmd, capture_output=True, text=True, env=run_env, check=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    p99 = re.search(r"99%\s+([\d.]+)(us|ms|s)", out)
    scale = {"us": 0.001, "ms": 1.0, "s": 1000.0}
    p99_ms = float(p99.group(1)) * scale[p99.group(2)] if p99 else float("nan")
    total = int(re.search(r"(\d+) requests in", out).group(1))  # type: ignore[union-attr]
    bad = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    errors = re.search(r"Socket errors: (.*)", out)
    return {
        "rps": rps,
        "p99_ms": p99_ms,
        "total": total,
        "non2xx": int(bad.group(1)) if bad else 0,
        "socket_errors": errors.group(1) if errors else "",
        "raw": out,
    }


def _pgbench() -> float:
    _psql(
        "CREATE TABLE IF NOT EXISTS pgbench_insert "
        "(id bigserial PRIMARY KEY, at timestamptz DEFAULT now(), v int)",
        DB,
    )
    with tempfile.NamedTemporaryFile("w", suffix=".sql", delete=False) as f:
        f.write("INSERT INTO pgbench_insert (v) VALUES (1);\n")
        script = f.name
    try:
        out = subprocess.run(
            [
                "pgbench",
                "-h",
                "127.0.0.1",
                "-U",
                "root",
                "-n",
                "-c",
                "50",
                "-j",
                "2",
                "-T",
                str(DURATION_S),
                "-f",
                script,
                DB,
            ],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
    finally:
        os.unlink(script)
    return float(re.search(r"tps = ([\d.]+)", out).group(1))  # type: ignore[union-attr]


def main() -> None:
    for tool in ("wrk", "pgbench", "psql"):
        if shutil.which(tool) is None:
            raise RuntimeError(f"{tool} is not installed (apt-get install -y wrk postgresql-client)")
    work = Path(tempfile.mkdtemp(prefix="gh-bench-gate-"))
    port = _port()
    _psql(f"DROP DATABASE IF EXISTS {DB}")
    _psql(f"CREATE DATABASE {DB}")
    server = None
    try:
        env = _env({"BENCH_SETUP": str(work / "setup.json")})
        py = sys.executable
        subprocess.run(
            [py, "-m", "bench.bench_gate", "setup", str(work / "setup.json")], env=env, check=True, cwd=ROOT
        )
        setup = json.loads((work / "setup.json").read_text())
        # A district's database has statistics; a freshly seeded one not until autovacuum gets to it.
        _psql("ANALYZE", DB)
        (work / "ids.txt").write_text("\n".join(setup["id_numbers"]) + "\n")
        (work / "plates.txt").write_text("\n".join(setup["plates"]) + "\n")
        (work / "check.lua").write_text(LUA)
        env.update(
            {
                "BENCH_GATE": setup["gate_id"],
                "BENCH_AUTH": setup["device_token"],
                "BENCH_IDS": str(work / "ids.txt"),
                "BENCH_PLATES": str(work / "plates.txt"),
                "BENCH_TOKENS": str(work / "tokens.txt"),
                "BENCH_LUA": str(work / "check.lua"),
            }
        )
        # The production server exactly as `make demo` and a deployment run it (gatehouse.lib.server);
        # BENCH_GATE_WORKERS overrides the number of processes.
        workers = int(os.environ["BENCH_GATE_WORKERS"]) if os.environ.get("BENCH_GATE_WORKERS") else None
        server = subprocess.Popen(
            web_server_command("bench.wsgi_gate:application", host="127.0.0.1", port=port, workers=workers),
            env=env,
            cwd=ROOT,
        )
        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                time.sleep(0.1)

        def tokens() -> None:
            subprocess.run(
                [py, "-m", "bench.bench_gate", "tokens", str(work / "tokens.txt"), str(TOKENS_PER_RUN)],
                env=env,
                check=True,
                cwd=ROOT,
            )

        tokens()
        _wrk(port, 20, env, bare=False)  # warm up: imports, connections, caches
        # Consecutive runs of the same code differ by ±15 % on this machine kind, so the bare view and
        # the checks alternate ROUNDS times and each figure is the median of its runs.
        bares, fulls, latencies = [], [], []
        for _round in range(ROUNDS):
            bares.append(_wrk(port, 50, env, bare=True))
            tokens()
            fulls.append(_wrk(port, 50, env))
        for _round in range(ROUNDS):
            tokens()
            latencies.append(_wrk(port, 20, env))
        pg = _pgbench()
        for name, runs in (("bare", bares), ("full", fulls), ("latency", latencies)):
            for run in runs:
                if run["non2xx"] or run["socket_errors"]:
                    print(
                        f"bench: note {name} non-2xx={run['non2xx']} socket_errors={run['socket_errors']!r}",
                        file=sys.stderr,
                    )
        bare_rps = statistics.median(r["rps"] for r in bares)
        full_rps = statistics.median(r["rps"] for r in fulls)
        p99_ms = statistics.median(r["p99_ms"] for r in latencies)
        print(
            "bench: note runs "
            f"checks/s {[round(r['rps']) for r in fulls]} bare/s {[round(r['rps']) for r in bares]} "
            f"p99 ms {[round(r['p99_ms'], 1) for r in latencies]}",
            file=sys.stderr,
        )
        ratio = full_rps / bare_rps
        print(f"bench: gate_checks_per_s {full_rps:.0f} checks/s ratio={ratio:.2f} vs bare_view")
        print(f"bench: gate_bare_view_per_s {bare_rps:.0f} req/s")
        print(f"bench: gate_check_p99_ms {p99_ms:.1f} ms")
        print(f"bench: pg_insert_per_s {pg:.0f} tx/s")
    finally:
        if server is not None:
            server.send_signal(signal.SIGTERM)
            try:
                server.wait(timeout=15)
            except subprocess.TimeoutExpired:
                server.kill()
        shutil.rmtree(work, ignore_errors=True)
        _psql(f"DROP DATABASE IF EXISTS {DB} WITH (FORCE)")


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "setup":
        _django_setup(Path(sys.argv[2]))
    elif len(sys.argv) > 1 and sys.argv[1] == "tokens":
        _django_tokens(Path(sys.argv[2]), int(sys.argv[3]))
    else:
        main()
