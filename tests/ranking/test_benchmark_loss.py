"""tools/benchmark_loss.py runs end to end on small sizes and writes its table, CSV, JSON and plot."""
import csv
import json
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def test_benchmark_writes_table_csv_json_and_plot(tmp_path):
    out = tmp_path / "bench"
    result = subprocess.run(
        [sys.executable, str(REPO / "tools" / "benchmark_loss.py"), "--sizes", "2000", "20000",
         "--percents", "1", "5", "--repeats", "2", "--time-cap", "1e-4", "--threads", "1",
         "--out", str(out)],
        capture_output=True, text=True, check=True, cwd=tmp_path)
    assert "RS/BRS" in result.stdout and "BRS/focal" in result.stdout
    rows = list(csv.DictReader(open(out / "benchmark_loss.csv")))
    assert [(r["L"], r["m%"]) for r in rows] == [("2000", "1.0"), ("2000", "5.0"),
                                                  ("20000", "1.0"), ("20000", "5.0")]
    assert all(float(r[name]) > 0 for r in rows for name in ("BAP", "BRS", "sort", "focal"))
    # The first unbucketed cell runs; later ones are extrapolated past the tiny cap and skipped.
    assert float(rows[0]["RS"]) > 0 and rows[-1]["RS"] == ""
    meta = json.loads((out / "benchmark_loss.json").read_text())
    assert any(line.startswith("RS L=20000 m=5.0%") for line in meta["skipped"])
    assert "skipped: RS L=20000 m=5.0%" in result.stdout
    assert (out / "benchmark_loss.png").stat().st_size > 1000
