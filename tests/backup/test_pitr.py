"""Point-in-time recovery on PostgreSQL: bin/pitr-drill on a cluster of its own (port 5434)."""

import os
import shutil
import subprocess
from pathlib import Path

from tests.engines import engine_unavailable

ROOT = Path(__file__).resolve().parent.parent.parent


def test_recovery_to_the_moment_before_a_bulk_delete_brings_every_record_back(postgres_only):
    if os.geteuid() != 0 or not shutil.which("pg_createcluster"):
        engine_unavailable(
            "The PITR drill makes a PostgreSQL cluster: it needs root and pg_createcluster."
        )
    drill = subprocess.run(
        [ROOT / "bin" / "pitr-drill"], capture_output=True, text=True, timeout=300
    )
    assert drill.returncode == 0, drill.stdout + drill.stderr
    assert "records left: 0" in drill.stdout
    assert "all 1500 records are back" in drill.stdout
    clusters = subprocess.run(["pg_lsclusters", "--no-header"], capture_output=True, text=True)
    assert "pitr_drill" not in clusters.stdout
