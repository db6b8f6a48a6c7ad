"""Detections drawn with their scores as fractions (0.191), the scale of ``--score-thr``.

mmdet's ``DetLocalVisualizer`` writes ``person: 19.1`` (a percentage with one decimal) next to a
threshold given as a fraction; this subclass writes ``person: 0.191`` (the same precision).
"""
import re

from mmdet.registry import VISUALIZERS
from mmdet.visualization import DetLocalVisualizer

# Ranking losses order the scores rather than calibrate them: after the demo run a correct box
# scores about 0.1 to 0.2, below mmdet's drawing default of 0.3 (README, "Released checkpoints").
DEFAULT_SCORE_THR = 0.05

_PERCENT_LABEL = re.compile(r"^(.*): (\d+(?:\.\d+)?)$", re.S)


@VISUALIZERS.register_module()
class FractionScoreVisualizer(DetLocalVisualizer):
    """``DetLocalVisualizer`` whose box labels read ``class: 0.191``."""

    def draw_texts(self, texts, positions, *args, **kwargs):
        if isinstance(texts, str):
            match = _PERCENT_LABEL.match(texts)
            if match:
                texts = f"{match.group(1)}: {float(match.group(2)) / 100:.3f}"
        return super().draw_texts(texts, positions, *args, **kwargs)


def use_fraction_scores(cfg) -> None:
    """The config's ``DetLocalVisualizer`` becomes a :class:`FractionScoreVisualizer`."""
    visualizer = cfg.get("visualizer")
    if isinstance(visualizer, dict) and visualizer.get("type") == "DetLocalVisualizer":
        visualizer["type"] = "FractionScoreVisualizer"
