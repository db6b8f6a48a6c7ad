"""Buckets of negatives between consecutive positives and their prototypes (thesis Eq. 3.19).

With boundaries ``[min(pos) - delta, sorted positive logits...]``, the number of boundaries at or
below a negative's logit identifies its bucket: 0 for a trivial negative (below min(pos) - delta,
Alg. 1 line 2), else 1 + the number of positives scoring at most as high as it, i.e. the set of
positives scoring strictly higher (Eq. 3.19). Three ways to count, giving identical ids:
``grid`` (default, fastest: a uniform grid over the boundaries' range, O(N) for spread logits),
``search`` (binary search among the P + 1 sorted boundaries, O(N log P)) and ``sort`` (one sort of
all logits with the boundaries, O(N log N), as Alg. 2 lines 1-2 describe).
"""
import torch

#: Grid cells per boundary, and the most boundaries one cell may hold before ``grid`` falls back
#: to ``search`` (many tied or tightly clustered positives).
GRID_CELLS_PER_BOUNDARY = 16
GRID_MAX_PER_CELL = 8


def count_by_search(values: torch.Tensor, boundaries: torch.Tensor) -> torch.Tensor:
    """For each value, how many of the ascending ``boundaries`` are <= it (int32)."""
    return torch.searchsorted(boundaries, values, right=True, out_int32=True)


def count_by_sort(values: torch.Tensor, boundaries: torch.Tensor) -> torch.Tensor:
    """As :func:`count_by_search`, from one stable sort of the values with the boundaries."""
    num_bounds = boundaries.numel()
    # Boundaries first: a stable ascending sort puts a boundary before every value it ties.
    order = torch.sort(torch.cat((boundaries, values)), stable=True).indices
    is_bound = order < num_bounds
    counts = torch.empty_like(values, dtype=torch.int32)
    counts[order[~is_bound] - num_bounds] = is_bound.cumsum(0, dtype=torch.int32)[~is_bound]
    return counts


def count_by_grid(values: torch.Tensor, boundaries: torch.Tensor) -> torch.Tensor:
    """As :func:`count_by_search`, by a uniform grid over [boundaries[0], boundaries[-1]].

    Values and boundaries go through the same monotone map to a cell, so a boundary in an earlier
    (later) cell than a value is below (above) it; only the few boundaries sharing the value's
    cell are compared. Falls back to :func:`count_by_search` when a cell holds more than
    GRID_MAX_PER_CELL boundaries.
    """
    num_bounds = boundaries.numel()
    cells = min(1 << 22, GRID_CELLS_PER_BOUNDARY * num_bounds)
    exact = torch.promote_types(values.dtype, torch.float32)  # holds every cell index exactly
    low = boundaries[0].to(exact)
    # Kept on the device (no synchronisation); a zero or too small span puts every boundary in
    # cell 0, where the per-cell comparisons below (or the fallback) still count exactly.
    scale = cells / (boundaries[-1].to(exact) - low)
    scale = torch.where(torch.isfinite(scale), scale, torch.zeros_like(scale))

    def cell_of(x):
        return (x.to(exact) - low).mul_(scale).clamp_(0, cells - 1).to(torch.int32)

    bound_cells = cell_of(boundaries)
    per_cell = torch.bincount(bound_cells, minlength=cells)
    most = int(per_cell.max())
    if most > GRID_MAX_PER_CELL:
        return count_by_search(values, boundaries)
    before_cell = torch.nn.functional.pad(per_cell.cumsum(0), (1, 0)).to(torch.int32)
    slot = torch.arange(num_bounds, dtype=torch.int32, device=values.device) - before_cell[
        bound_cells]
    in_cell = torch.full((most, cells), float("inf"), dtype=values.dtype, device=values.device)
    in_cell[slot.long(), bound_cells.long()] = boundaries
    value_cells = cell_of(values)
    counts = before_cell.index_select(0, value_cells)
    for row in in_cell:
        counts += row.index_select(0, value_cells) <= values
    return counts


BUCKET_COUNTERS = {"grid": count_by_grid, "search": count_by_search, "sort": count_by_sort}


def bucket_ids(logits: torch.Tensor, positive_index: torch.Tensor, sorted_pos_logits: torch.Tensor,
               delta: float, assign: str = "grid") -> torch.Tensor:
    """Bucket id of every element (int32): 0 for positives and trivial negatives, else 1 + the
    number of positives whose logit is <= the negative's."""
    boundaries = torch.cat((sorted_pos_logits[:1] - delta, sorted_pos_logits))
    return BUCKET_COUNTERS[assign](logits, boundaries).index_fill_(0, positive_index, 0)


def bucket_prototypes(logits: torch.Tensor, ids: torch.Tensor, num_pos: int):
    """Sizes b_j and prototypes (mean logits, Sec. 3.3) of the P + 1 buckets, ids 1 .. P + 1.

    An empty bucket has size 0 (and prototype 0), so it adds nothing wherever it is weighted by
    its size; keeping it spares asking the device which buckets are occupied (a synchronisation).
    Bucket sums are accumulated in float64 so that a prototype of millions of negatives keeps the
    precision of the compute dtype.
    """
    sizes = torch.bincount(ids, minlength=num_pos + 2)[1:]
    sums = torch.bincount(ids, weights=logits.double(), minlength=num_pos + 2)[1:]
    prototypes = (sums / sizes.clamp(min=1)).to(logits.dtype)
    return sizes.to(logits.dtype), prototypes
