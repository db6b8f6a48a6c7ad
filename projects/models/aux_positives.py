"""What an auxiliary head hands to the query head: its assigned anchors/proposals (Sec. 3.5)."""
from typing import List, NamedTuple, Optional

from torch import Tensor


class AuxPositives(NamedTuple):
    """One aux head's assignment result for every image of the batch (lists over images).

    The query head keeps up to ``max_pos_coords`` positives per image as extra positive queries
    and pads with negatives from the same lists (the one-to-many branch of Eq. 3.54).

    Attributes:
        priors: (n_i, 4) anchors or proposals, (x1, y1, x2, y2) in input-image pixels.
        labels: (n_i,) assigned class, ``num_classes`` for a negative.
        targets: (n_i, 4) assigned ground-truth box in pixels (ignored for negatives).
        feats: (n_i, dims) a feature per prior (e.g. the mean RoI feature), or ``None`` when
            the priors lie on the feature pyramid's grid (a fixed number per location, level
            by level) and the query head should read the features there.
    """

    priors: List[Tensor]
    labels: List[Tensor]
    targets: List[Tensor]
    feats: Optional[List[Tensor]] = None
