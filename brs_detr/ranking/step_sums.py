"""Sums of smoothed steps over sorted values: the pairwise sums of Eq. 3.12 - 3.18 without pairs.

For points (s_a, w_a) and a query q, ``sum_a w_a H(s_a - q)`` (H of Eq. 3.2) splits into the points
above q + delta (H = 1), those equal to q (H = 1/2) and those strictly inside the band around q
(H linear in s_a), so prefix sums of w and w s over the sorted points answer it with four binary
searches. Prefix sums are taken in float64; only points strictly inside a band carry rounding,
about 1e-16 * sum |w s| / delta in absolute terms. A condition on a second key
(``key_a < key_q``) is handled by divide and conquer over the keys, batched level by level, in
O(n log^2 n) time and O(n) memory.
"""
import torch


def _step_slope(delta: float) -> float:
    """1 / (2 delta), and 0 for a delta too small for float64 (the hard step, H(0) = 0.5)."""
    return 0.5 / delta if 2 * delta >= torch.finfo(torch.float64).tiny else 0.0


def _sums_in_sorted(sorted_s, cum_w, cum_ws, queries, delta, slope):
    """sum_a w_a H(s_a - q) per query, for points sorted along the last dim.

    ``sorted_s``: (B, n) ascending; ``cum_w``, ``cum_ws``: (k, B, n + 1) exclusive prefix sums of
    w and w * s in that order; ``queries``: (B, m). Returns (k, B, m). Points equal to the query
    count exactly 1/2; only the points strictly inside the band use the linear part of H, so an
    empty side of the band contributes an exact 0 whatever delta.
    """
    k, m = cum_w.shape[0], queries.shape[-1]
    lower = torch.searchsorted(sorted_s, torch.cat((queries - delta, queries), -1), right=False)
    upper = torch.searchsorted(sorted_s, torch.cat((queries, queries + delta), -1), right=True)
    below, below_equal = lower[..., :m], lower[..., m:]
    above_equal, above = upper[..., :m], upper[..., m:]
    shape = (k,) + tuple(queries.shape)

    def gather(cum, index):
        return cum.gather(-1, index.unsqueeze(0).expand(shape))

    w_above = gather(cum_w, above)
    equal_w = gather(cum_w, above_equal) - gather(cum_w, below_equal)
    side_w = (w_above - gather(cum_w, below)) - equal_w
    side_ws = ((gather(cum_ws, above) - gather(cum_ws, below))
               - (gather(cum_ws, above_equal) - gather(cum_ws, below_equal)))
    return (cum_w[..., -1:] - w_above) + 0.5 * (equal_w + side_w) + slope * (
        side_ws - queries * side_w)


def _exclusive_cumsum(x):
    return torch.nn.functional.pad(x.cumsum(-1), (1, 0))


def step_sums(points: torch.Tensor, weights: torch.Tensor, queries: torch.Tensor,
              delta: float) -> torch.Tensor:
    """(k, m) float64: ``sum_a weights[:, a] H(points[a] - queries[i])``."""
    points = points.double()
    weights = weights.double()
    sorted_s, order = torch.sort(points)
    w = weights[:, order]
    cum_w = _exclusive_cumsum(w)[:, None, :]
    cum_ws = _exclusive_cumsum(w * sorted_s)[:, None, :]
    return _sums_in_sorted(sorted_s[None], cum_w, cum_ws, queries.double()[None], delta,
                           _step_slope(delta))[:, 0]


def keyed_step_sums(points: torch.Tensor, point_keys: torch.Tensor, weights: torch.Tensor,
                    queries: torch.Tensor, query_keys: torch.Tensor, delta: float) -> torch.Tensor:
    """(k, m) float64: ``sum_a weights[:, a] H(points[a] - queries[i]) [point_keys[a] < query_keys[i]]``.

    Points and queries are merged in ascending key order (a query before the points of equal key,
    so those do not count); at each level of the divide and conquer, every query in a right half
    collects the points of its left half, which all have smaller keys.
    """
    k, num_points, num_queries = weights.shape[0], points.numel(), queries.numel()
    device = points.device
    is_point = torch.cat((torch.ones(num_points, dtype=torch.bool, device=device),
                          torch.zeros(num_queries, dtype=torch.bool, device=device)))
    keys = torch.cat((point_keys, query_keys)).double()
    by_kind = torch.sort(is_point.to(torch.uint8), stable=True).indices  # queries first
    order = by_kind[torch.sort(keys[by_kind], stable=True).indices]
    total = num_points + num_queries
    length = 1 << max(0, (total - 1).bit_length())

    inf = torch.tensor(float("inf"), dtype=torch.float64, device=device)
    values = torch.cat((points, queries)).double()
    seq_s = torch.full((length,), inf, dtype=torch.float64, device=device)
    seq_s[:total] = torch.where(is_point[order], values[order], inf)
    seq_q = torch.zeros(length, dtype=torch.float64, device=device)
    seq_q[:total] = torch.where(is_point[order], 0.0, values[order])
    all_w = torch.cat((weights.double(), weights.new_zeros(k, num_queries, dtype=torch.float64)), 1)
    seq_w = torch.zeros(k, length, dtype=torch.float64, device=device)
    seq_w[:, :total] = all_w[:, order]
    seq_ws = seq_w * torch.where(torch.isinf(seq_s), 0.0, seq_s)
    result = torch.zeros(k, length, dtype=torch.float64, device=device)

    slope = _step_slope(delta)
    half = 1
    while half < length:
        blocks = length // (2 * half)
        left_s = seq_s.view(blocks, 2, half)[:, 0]
        sorted_s, perm = torch.sort(left_s, dim=-1)
        perm = perm.unsqueeze(0).expand(k, blocks, half)
        cum_w = _exclusive_cumsum(seq_w.view(k, blocks, 2, half)[:, :, 0].gather(-1, perm))
        cum_ws = _exclusive_cumsum(seq_ws.view(k, blocks, 2, half)[:, :, 0].gather(-1, perm))
        right_q = seq_q.view(blocks, 2, half)[:, 1]
        result.view(k, blocks, 2, half)[:, :, 1] += _sums_in_sorted(
            sorted_s, cum_w, cum_ws, right_q, delta, slope)
        half *= 2

    query_slot = torch.empty(num_queries, dtype=torch.int64, device=device)
    is_query_in_seq = order >= num_points
    query_slot[order[is_query_in_seq] - num_points] = is_query_in_seq.nonzero().squeeze(1)
    return result[:, query_slot]
