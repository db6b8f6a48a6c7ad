"""The fast losses equal the slow float64 loops of ranking_reference.py (Alg. 1 and Alg. 2)."""
import pytest
import torch

from brs_detr.ranking.bucketed_rank_sort import bucketed_rank_sort_update
from brs_detr.ranking.buckets import count_by_grid, count_by_sort
from ranking_reference import fast_loss, reference_loss, synthetic_logits


def assert_matches_reference(logits, targets, delta, with_sorting, bucketed, rtol, atol):
    ref = reference_loss(logits, targets, delta, with_sorting, bucketed)
    got = fast_loss(logits, targets, delta, with_sorting, bucketed)
    for name, r, g in zip(("ranking", "sorting", "ranking_grad", "sorting_grad"), ref, got):
        torch.testing.assert_close(g.reshape(-1), torch.tensor(r, dtype=torch.float64).reshape(-1),
                                   rtol=rtol, atol=atol, msg=lambda m: f"{name}: {m}")


def tied_grid_logits(seed, num_pos, ious, num_logits=400):
    """Logits on a 0.25 grid (many ties of every kind); positives' IoUs drawn from ``ious``."""
    gen = torch.Generator().manual_seed(seed)
    logits = torch.randint(-6, 7, (num_logits,), generator=gen).double() * 0.25
    targets = torch.zeros(num_logits, dtype=torch.float64)
    choices = torch.tensor(ious, dtype=torch.float64)
    targets[torch.randperm(num_logits, generator=gen)[:num_pos]] = choices[
        torch.randint(0, len(ious), (num_pos,), generator=gen)]
    return logits, targets


@pytest.mark.parametrize("bucketed", [True, False])
@pytest.mark.parametrize("with_sorting", [True, False])
@pytest.mark.parametrize("num_logits,percent", [(300, 2), (1000, 1), (500, 10), (200, 5)])
def test_float64_equals_reference_on_synthetic_data(num_logits, percent, with_sorting, bucketed):
    logits, targets = synthetic_logits(num_logits, percent, seed=num_logits + int(10 * percent))
    delta = 0.5 if with_sorting else 1.0
    assert_matches_reference(logits, targets, delta, with_sorting, bucketed, rtol=1e-10, atol=1e-13)


@pytest.mark.parametrize("bucketed", [True, False])
@pytest.mark.parametrize("delta", [0.0, 0.25, 0.5, 1.0])
def test_ties_everywhere_equal_reference(delta, bucketed):
    """Logits on a coarse grid: positive-negative, positive-positive and negative ties; equal IoUs."""
    logits, targets = tied_grid_logits(seed=7, num_pos=30, ious=[0.5, 0.7, 1.0])
    assert_matches_reference(logits, targets, delta, True, bucketed, rtol=1e-10, atol=1e-13)


@pytest.mark.parametrize("bucketed", [True, False])
@pytest.mark.parametrize("dtype", [torch.float32, torch.float16, torch.bfloat16])
def test_low_precision_inputs_match_float64_reference(dtype, bucketed):
    logits, targets = synthetic_logits(600, 5, seed=3, dtype=dtype)
    # The reference sees exactly the values the loss sees; only the returned gradient is rounded.
    tol = {torch.float32: (1e-5, 1e-7), torch.float16: (1e-3, 1e-6),
           torch.bfloat16: (8e-3, 1e-5)}[dtype]
    assert_matches_reference(logits, targets, 0.5, True, bucketed, rtol=tol[0], atol=tol[1])


@pytest.mark.parametrize("assign", ["search", "sort"])
@pytest.mark.parametrize("with_sorting", [True, False])
def test_bucket_assignments_agree(with_sorting, assign):
    """Grid (default), binary search and sort-all bucketing give the same loss, ties included."""
    gen = torch.Generator().manual_seed(11)
    logits = torch.randint(-20, 21, (5000,), generator=gen).double() * 0.1  # many ties
    targets = (torch.rand(5000, generator=gen, dtype=torch.float64) < 0.03) * torch.rand(
        5000, generator=gen, dtype=torch.float64)
    by_grid = bucketed_rank_sort_update(logits, targets, 0.5, with_sorting)
    other = bucketed_rank_sort_update(logits, targets, 0.5, with_sorting, assign=assign)
    for a, b in zip(by_grid, other):
        torch.testing.assert_close(a, b, rtol=0, atol=0)


@pytest.mark.parametrize("dtype", [torch.float16, torch.float32, torch.float64])
@pytest.mark.parametrize("layout", ["spread", "ties", "clustered", "one", "huge_values"])
def test_bucket_counters_equal_searchsorted(layout, dtype):
    """count_by_grid / count_by_sort equal torch.searchsorted(right=True), fallbacks included."""
    gen = torch.Generator().manual_seed(3)
    bounds = {"spread": torch.randn(300, generator=gen),
              "ties": torch.randint(-3, 4, (300,), generator=gen).float(),  # > GRID_MAX_PER_CELL
              "clustered": torch.cat((torch.randn(100, generator=gen) * 1e-4, torch.tensor([50.]))),
              "one": torch.tensor([0.25]),
              "huge_values": torch.randn(50, generator=gen) * 1e4}[layout]
    bounds = torch.sort(bounds.to(dtype)).values
    values = torch.cat((torch.randn(5000, generator=gen).to(dtype) * 3, bounds,
                        torch.tensor([-6e4, 6e4], dtype=dtype)))
    expected = torch.searchsorted(bounds, values, right=True)
    for counter in (count_by_grid, count_by_sort):
        assert torch.equal(counter(values, bounds).long(), expected), counter.__name__


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_chunked_pairwise_rows_equal_one_block(dtype):
    """The P x P work in blocks of a few rows (the large-P path) equals one block for all rows."""
    logits, targets = synthetic_logits(20000, 15, seed=5, dtype=dtype)  # 3,000 positives
    dense = dict(dense_max_positives=10**9)
    one_block = bucketed_rank_sort_update(logits, targets, 0.5, True, block_elements=1 << 30, **dense)
    chunked = bucketed_rank_sort_update(logits, targets, 0.5, True, block_elements=3 * 6001, **dense)
    # float32: the sorting error is a difference of two ratios <= 1, so its error is absolute.
    tol = dict(rtol=1e-5, atol=1e-6) if dtype == torch.float32 else dict(rtol=1e-11, atol=1e-14)
    for a, b in zip(one_block, chunked):
        torch.testing.assert_close(a, b, **tol)


def sorted_path_loss(logits, targets, delta, with_sorting):
    """The bucketed loss forced through the prefix-sum path, as (ranking, sorting, grads) / |P|."""
    update = bucketed_rank_sort_update(logits, targets, delta, with_sorting, dense_max_positives=0)
    num_pos = update.positive_index.numel()
    sorting_grad = torch.zeros_like(logits)
    sorting_grad[update.positive_index] = update.sorting_grad / num_pos
    return (update.ranking_errors.mean(), update.sorting_errors.mean(),
            update.ranking_grad / num_pos, sorting_grad)


@pytest.mark.parametrize("with_sorting", [True, False])
@pytest.mark.parametrize("delta", [0.0, 0.25, 0.5, 1.0])
def test_prefix_sum_path_equals_reference_with_ties(delta, with_sorting):
    logits, targets = tied_grid_logits(seed=13, num_pos=40, ious=[0.5, 0.7, 1.0, 0.25])
    ref = reference_loss(logits, targets, delta, with_sorting, bucketed=True)
    got = sorted_path_loss(logits, targets, delta, with_sorting)
    for r, g in zip(ref, got):
        torch.testing.assert_close(g, torch.tensor(r, dtype=torch.float64), rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
@pytest.mark.parametrize("with_sorting", [True, False])
def test_prefix_sum_path_equals_pairwise_path(with_sorting, dtype):
    """Beyond dense_max_positives the sums come from prefix sums: same numbers on 3,000 positives."""
    logits, targets = synthetic_logits(20000, 15, seed=5, dtype=dtype)
    dense = bucketed_rank_sort_update(logits, targets, 0.5, with_sorting, dense_max_positives=10**9)
    prefix = bucketed_rank_sort_update(logits, targets, 0.5, with_sorting, dense_max_positives=0)
    tol = dict(rtol=1e-5, atol=1e-6) if dtype == torch.float32 else dict(rtol=1e-9, atol=1e-11)
    for a, b in zip(dense, prefix):
        torch.testing.assert_close(a, b, **tol)


def _edge_case(name):
    gen = torch.Generator().manual_seed(0)
    randn = lambda n: torch.randn(n, generator=gen, dtype=torch.float64)  # noqa: E731
    ious = lambda n: torch.rand(n, generator=gen, dtype=torch.float64).clamp_min(0.01)  # noqa: E731
    zeros = lambda n: torch.zeros(n, dtype=torch.float64)  # noqa: E731
    if name == "no_negatives":
        return randn(3000), ious(3000)
    if name == "equal_positive_logits":
        return torch.cat((zeros(2000), randn(5000))), torch.cat((ious(2000), zeros(5000)))
    if name == "equal_ious":
        return randn(8000), torch.cat((torch.full((2000,), 0.5, dtype=torch.float64), zeros(6000)))
    if name == "only_trivial_negatives":
        return torch.cat((randn(2000) + 10, randn(6000) - 10)), torch.cat((ious(2000), zeros(6000)))
    logits = torch.randint(-5, 6, (8000,), generator=gen).double() * 0.5  # "ties_on_a_grid"
    return logits, (torch.rand(8000, generator=gen) < 0.3).double() * ious(8000)


@pytest.mark.parametrize("delta", [0.0, 0.5])
@pytest.mark.parametrize("name", ["no_negatives", "equal_positive_logits", "equal_ious",
                                  "only_trivial_negatives", "ties_on_a_grid"])
def test_prefix_sum_path_equals_pairwise_path_on_edge_cases(name, delta):
    logits, targets = _edge_case(name)
    dense = bucketed_rank_sort_update(logits, targets, delta, True, dense_max_positives=10**9)
    prefix = bucketed_rank_sort_update(logits, targets, delta, True, dense_max_positives=0)
    for a, b in zip(dense, prefix):
        assert not torch.isnan(b).any()
        torch.testing.assert_close(a, b, rtol=1e-9, atol=1e-10)
