"""Property-based tests over random sizes, ties, deltas and dtypes."""
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from ranking_reference import fast_loss, reference_loss

DTYPES = [torch.float16, torch.bfloat16, torch.float32, torch.float64]
# Gradient tolerances per dtype: the loss computes in >= float32 and rounds the gradient once.
GRAD_TOL = {torch.float16: (2e-3, 1e-5), torch.bfloat16: (1e-2, 1e-4),
            torch.float32: (1e-5, 1e-7), torch.float64: (1e-10, 1e-13)}
LOSS_TOL = {torch.float16: (2e-3, 1e-3), torch.bfloat16: (1e-2, 8e-3),
            torch.float32: (1e-5, 1e-6), torch.float64: (1e-10, 1e-13)}


@st.composite
def ranking_problems(draw):
    """Logits on a quarter grid (frequent ties of every kind), IoUs from a few levels or uniform."""
    num_pos = draw(st.integers(1, 12))
    num_neg = draw(st.integers(0, 40))
    grid = st.integers(-12, 12).map(lambda k: k * 0.25)
    logits = draw(st.lists(grid, min_size=num_pos + num_neg, max_size=num_pos + num_neg))
    iou = st.one_of(st.sampled_from([0.25, 0.5, 1.0]), st.floats(0.01, 1.0))
    ious = draw(st.lists(iou, min_size=num_pos, max_size=num_pos))
    order = draw(st.permutations(range(num_pos + num_neg)))
    targets = [0.0] * (num_pos + num_neg)
    for k, iou_k in zip(order[:num_pos], ious):
        targets[k] = iou_k
    dtype = draw(st.sampled_from(DTYPES))
    return torch.tensor(logits, dtype=dtype), torch.tensor(targets, dtype=dtype)


@settings(max_examples=150, deadline=None, database=None)
@given(problem=ranking_problems(), delta=st.sampled_from([0.0, 0.25, 0.5, 1.0]),
       bucketed=st.booleans(), with_sorting=st.booleans())
def test_equals_reference_in_every_dtype(problem, delta, bucketed, with_sorting):
    logits, targets = problem
    x = logits.clone().requires_grad_()
    from brs_detr.ranking import ap_loss, rank_sort_loss
    out = (rank_sort_loss(x, targets, delta, bucketed) if with_sorting
           else (ap_loss(x, targets, delta, bucketed),))
    sum(out).backward()
    assert x.grad.dtype == logits.dtype and x.grad.shape == logits.shape
    assert all(o.dtype == logits.dtype and o.dim() == 0 for o in out)

    ranking, sorting, ranking_grad, sorting_grad = reference_loss(
        logits, targets, delta, with_sorting, bucketed)
    expected_grad = torch.tensor(ranking_grad, dtype=torch.float64) + torch.tensor(
        sorting_grad, dtype=torch.float64)
    rtol, atol = GRAD_TOL[logits.dtype]
    torch.testing.assert_close(x.grad.double(), expected_grad, rtol=rtol, atol=atol)
    rtol, atol = LOSS_TOL[logits.dtype]
    torch.testing.assert_close(out[0].double(), torch.tensor(ranking, dtype=torch.float64),
                               rtol=rtol, atol=atol)
    if with_sorting:
        torch.testing.assert_close(out[1].double(), torch.tensor(sorting, dtype=torch.float64),
                                   rtol=rtol, atol=atol)


@settings(max_examples=100, deadline=None, database=None)
@given(problem=ranking_problems(), delta=st.sampled_from([0.0, 0.25, 0.5]),
       bucketed=st.booleans())
def test_identity_update_gradients_sum_to_zero(problem, delta, bucketed):
    """Eq. 3.9: every primary term L_ij enters s_j's gradient with + and s_i's with -."""
    logits, targets = problem
    logits, targets = logits.double(), targets.double()
    ranking, sorting, ranking_grad, sorting_grad = fast_loss(logits, targets, delta, True, bucketed)
    assert 0 <= ranking <= 1 and sorting >= -1e-12
    assert abs(float(ranking_grad.sum())) < 1e-12 and abs(float(sorting_grad.sum())) < 1e-12
    assert not torch.isnan(ranking_grad).any() and not torch.isnan(sorting_grad).any()
    assert (ranking_grad[targets > 0] <= 0).all() and (ranking_grad[targets == 0] >= 0).all()
    trivial = (targets == 0) & (logits < logits[targets > 0].min() - delta)
    assert not ranking_grad[trivial].any()


@settings(max_examples=100, deadline=None, database=None)
@given(pos=st.lists(st.integers(-10, 10), min_size=1, max_size=15),
       neg=st.lists(st.integers(-10, 10), max_size=60),
       ious=st.lists(st.sampled_from([0.2, 0.5, 0.9, 1.0]), min_size=15, max_size=15),
       delta=st.floats(0.0, 0.99), dtype=st.sampled_from([torch.float32, torch.float64]),
       with_sorting=st.booleans())
def test_theorem_on_random_separated_logits(pos, neg, ious, delta, dtype, with_sorting):
    """Sec. 3.4: positives on even, negatives on odd integers, so none is within delta < 1."""
    logits = torch.tensor([2 * p for p in pos] + [2 * n + 1 for n in neg], dtype=dtype)
    targets = torch.tensor(ious[:len(pos)] + [0.0] * len(neg), dtype=dtype)
    bucketed = fast_loss(logits, targets, delta, with_sorting, bucketed=True)
    unbucketed = fast_loss(logits, targets, delta, with_sorting, bucketed=False)
    tol = dict(rtol=1e-12, atol=1e-14) if dtype == torch.float64 else dict(rtol=1e-6, atol=1e-7)
    for b, u in zip(bucketed, unbucketed):
        torch.testing.assert_close(b, u, **tol)
