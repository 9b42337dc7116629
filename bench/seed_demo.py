"""Time a full `seed_demo` into a fresh temporary SQLite database.

    .venv/bin/python -m bench.seed_demo [--households N]

Migrates an empty database in a temporary LINLI_DATA_DIR (./var and DATABASE_URL are not
touched), loads the demo community and prints one JSON object on its last line:
{"seconds": ..., "households": ..., "residents": ..., ...}.
"""

import argparse
import json
import os
import tempfile
import time


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--households", type=int, default=None)
    options = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="linli-bench-seed-") as data_dir:
        os.environ["LINLI_DATA_DIR"] = data_dir
        os.environ.pop("DATABASE_URL", None)
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "linli.settings")
        import django

        django.setup()
        from django.core.management import call_command

        from linli.demo import engine
        from linli.demo.services import demo_seed
        from linli.residents.models import Resident, Verification

        call_command("migrate", verbosity=0)
        households = options.households or engine.FULL_HOUSEHOLDS
        started = time.perf_counter()
        summary = demo_seed(households=households)
        seconds = time.perf_counter() - started
        result = {
            "benchmark": "seed_demo",
            "seconds": round(seconds, 2),
            "households": summary["households"],
            "residents": Resident.objects.count(),
            "buildings": summary["buildings"],
            "verified": Verification.objects.count(),
            "residents_per_second": round(summary["residents"] / seconds),
        }
        from django.db import connections

        connections.close_all()
    print(json.dumps(result))


if __name__ == "__main__":
    main()
