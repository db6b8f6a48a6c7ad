"""Prefix-sum sums of smoothed steps equal the plain pairwise sums (brute force)."""
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from brs_detr.ranking.step import pairwise_step
from brs_detr.ranking.step_sums import keyed_step_sums, step_sums

grid_values = st.lists(st.integers(-12, 12).map(lambda k: k * 0.25), min_size=1, max_size=70)


@settings(max_examples=150, deadline=None, database=None)
@given(points=grid_values, queries=grid_values, keys=st.data(),
       delta=st.sampled_from([0.0, 1e-300, 0.1, 0.25, 0.5, 1.0, 3.0]))
def test_step_sums_equal_brute_force(points, queries, keys, delta):
    s = torch.tensor(points, dtype=torch.float64)
    q = torch.tensor(queries, dtype=torch.float64)
    key_values = st.integers(0, 3)
    point_keys = torch.tensor(keys.draw(st.lists(key_values, min_size=len(points),
                                                 max_size=len(points))), dtype=torch.float64)
    query_keys = torch.tensor(keys.draw(st.lists(key_values, min_size=len(queries),
                                                 max_size=len(queries))), dtype=torch.float64)
    weights = torch.rand(2, len(points), dtype=torch.float64)
    h = pairwise_step(s, q, delta)  # h[i, a] = H(s_a - q_i)
    torch.testing.assert_close(step_sums(s, weights, q, delta), (h @ weights.T).T,
                               rtol=1e-12, atol=1e-12)
    keyed = h * (point_keys[None, :] < query_keys[:, None])
    torch.testing.assert_close(keyed_step_sums(s, point_keys, weights, q, query_keys, delta),
                               (keyed @ weights.T).T, rtol=1e-12, atol=1e-12)
