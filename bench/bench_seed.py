"""The district seed on PostgreSQL, end to end, against PostgreSQL's own COPY of the same rows.

`seed_district_residents_per_s`: residents per second for `manage.py seed --scale district`
(generation, encryption, hashing and writing through COPY; process start-up included).
Baseline: the same residents copied out and COPYed into an identical, identically indexed table.
"""

from __future__ import annotations

import io
import time

import psycopg

from bench.common import drop_database, line, manage, scratch_database

DB = "gh_bench_seed"


def main() -> None:
    url = scratch_database(DB)
    try:
        manage("migrate", "-v", "0", database_url=url)
        started = time.perf_counter()
        manage("seed", "--scale", "district", "--no-accounts", database_url=url, capture=True)
        seed_seconds = time.perf_counter() - started
        with psycopg.connect(url, autocommit=True) as conn:
            rows = conn.execute("SELECT count(*) FROM people_resident").fetchone()
            assert rows is not None
            residents = int(rows[0])
            buffer = io.BytesIO()
            with conn.cursor().copy("COPY people_resident TO STDOUT") as out:
                for block in out:
                    buffer.write(block)
            conn.execute("CREATE TABLE bench_resident_copy (LIKE people_resident INCLUDING ALL)")
            data = buffer.getvalue()
            started = time.perf_counter()
            with conn.cursor().copy("COPY bench_resident_copy FROM STDIN") as into:
                into.write(data)
            copy_seconds = time.perf_counter() - started
        seed_rate, copy_rate = residents / seed_seconds, residents / copy_seconds
        line("seed_district_residents_per_s", seed_rate, "rows/s", seed_rate / copy_rate, "copy")
        line("seed_district_total_s", seed_seconds, "s")
    finally:
        drop_database(DB)


if __name__ == "__main__":
    main()
