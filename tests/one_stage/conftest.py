"""The one-stage tests reuse the BRS-DETR tests' helpers (config diff, demo set, model builder)."""
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / 'brs_detr'))
