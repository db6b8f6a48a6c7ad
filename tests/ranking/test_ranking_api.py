"""The public API: shapes, dtypes, zero positives, bad input, backward scaling, sanity of values."""
import pytest
import torch

from brs_detr.ranking import ap_loss, rank_sort_loss
from ranking_reference import fast_loss, synthetic_logits

DEVICES = ["cpu"] + (["cuda"] if torch.cuda.is_available() else [])
DTYPES = [torch.float16, torch.bfloat16, torch.float32, torch.float64]


@pytest.mark.parametrize("bucketed", [True, False])
@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("dtype", DTYPES)
def test_zero_positives_give_zero_loss_and_gradient(dtype, device, bucketed):
    for shape in [(0,), (50,), (2, 3, 4)]:
        x = torch.randn(shape, device=device).to(dtype).requires_grad_()
        targets = torch.zeros(shape, device=device, dtype=dtype)
        ranking, sorting = rank_sort_loss(x, targets, bucketed=bucketed)
        (ranking + sorting + ap_loss(x, targets, bucketed=bucketed)).backward()
        assert ranking.item() == 0 and sorting.item() == 0
        assert x.grad.dtype == dtype and x.grad.shape == x.shape
        assert not x.grad.any() and not torch.isnan(x.grad).any()


@pytest.mark.parametrize("bucketed", [True, False])
@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("dtype", DTYPES)
def test_dtype_shape_and_device_round_trip(dtype, device, bucketed):
    logits, targets = synthetic_logits(240, 5, seed=2)
    x = logits.reshape(4, 6, 10).to(device=device, dtype=dtype).requires_grad_()
    t = targets.reshape(4, 6, 10).to(device=device, dtype=dtype)
    ranking, sorting = rank_sort_loss(x, t, bucketed=bucketed)
    (ranking + sorting).backward()
    assert ranking.dtype == sorting.dtype == dtype and ranking.device == x.device
    assert ranking.dim() == 0 and sorting.dim() == 0
    assert x.grad.dtype == dtype and x.grad.shape == (4, 6, 10) and x.grad.device == x.device
    # Same numbers as the float64 computation of the flat problem, up to the input's precision.
    expected = fast_loss(logits.to(dtype).double(), targets.to(dtype).double(), 0.5,
                         bucketed=bucketed)
    torch.testing.assert_close(x.grad.double().cpu().flatten(), expected[2] + expected[3],
                               rtol=1e-2, atol=1e-3 if dtype == torch.bfloat16 else 2e-4)
    assert abs(ranking.double().item() - expected[0].item()) < 1e-2


@pytest.mark.parametrize("bucketed", [True, False])
def test_backward_scales_each_output_by_its_incoming_gradient(bucketed):
    logits, targets = synthetic_logits(500, 4, seed=4)
    _, _, ranking_grad, sorting_grad = fast_loss(logits, targets, 0.5, bucketed=bucketed)
    assert ranking_grad.abs().sum() > 0 and sorting_grad.abs().sum() > 0
    x = logits.clone().requires_grad_()
    ranking, sorting = rank_sort_loss(x, targets, bucketed=bucketed)
    (2.0 * ranking - 3.0 * sorting).backward()
    torch.testing.assert_close(x.grad, 2.0 * ranking_grad - 3.0 * sorting_grad)


@pytest.mark.parametrize("bucketed", [True, False])
def test_ap_loss_is_rank_sort_without_sorting(bucketed):
    logits, targets = synthetic_logits(500, 4, seed=6)
    rs = fast_loss(logits, targets, 1.0, with_sorting=True, bucketed=bucketed)
    ap = fast_loss(logits, targets, 1.0, with_sorting=False, bucketed=bucketed)
    torch.testing.assert_close(ap[0], rs[0])
    torch.testing.assert_close(ap[2], rs[2])
    assert not ap[3].any()


def test_default_deltas_are_those_of_rs_and_ap_loss():
    logits, targets = synthetic_logits(300, 5, seed=8)
    assert rank_sort_loss(logits, targets)[0] == rank_sort_loss(logits, targets, delta=0.5)[0]
    assert ap_loss(logits, targets) == ap_loss(logits, targets, delta=1.0)
    assert ap_loss(logits, targets) != ap_loss(logits, targets, delta=0.5)


def test_small_example_by_hand():
    """Two positives (IoU 0.9 at 0, IoU 0.3 at 2) and one negative at 1, delta 0.5.

    H(1) = 1, H(0) = 0.5. Positive at 2: rank^+ = 0.5, N_FP = 0, no error. Positive at 0:
    rank^+ = 1.5, N_FP = 1, l_R = 1 / 2.5 = 0.4; l_S = (0.5 * 0.1 + 0.7) / 1.5 = 0.5, target 0.1,
    so a sorting error of 0.4 is pushed onto the positive at 2 (its only missorted positive).
    """
    logits = torch.tensor([0.0, 1.0, 2.0], dtype=torch.float64, requires_grad=True)
    targets = torch.tensor([0.9, 0.0, 0.3], dtype=torch.float64)
    for bucketed in (True, False):
        logits.grad = None
        ranking, sorting = rank_sort_loss(logits, targets, 0.5, bucketed)
        (ranking + sorting).backward()
        torch.testing.assert_close(ranking, torch.tensor(0.2, dtype=torch.float64))
        torch.testing.assert_close(sorting, torch.tensor(0.2, dtype=torch.float64))
        torch.testing.assert_close(logits.grad, torch.tensor([-0.4, 0.2, 0.2], dtype=torch.float64))


@pytest.mark.parametrize("fn", [rank_sort_loss, ap_loss])
def test_bad_input_raises_value_error_naming_it(fn):
    x = torch.zeros(4)
    t = torch.tensor([0.0, 0.5, 0.0, 1.0])
    with pytest.raises(ValueError, match="same shape"):
        fn(x, t[:3])
    with pytest.raises(ValueError, match="NaN or Inf"):
        fn(torch.tensor([0.0, float("nan"), 0.0, 0.0]), t)
    with pytest.raises(ValueError, match="NaN or Inf"):
        fn(torch.tensor([0.0, float("inf"), 0.0, 0.0]), t)
    for bad in (1.5, -0.1, float("nan")):
        with pytest.raises(ValueError, match=r"targets must lie in \[0, 1\]"):
            fn(x, torch.tensor([0.0, bad, 0.0, 1.0]))
    with pytest.raises(ValueError, match="delta"):
        fn(x, t, delta=-0.1)
    with pytest.raises(ValueError, match="logits must be float"):
        fn(torch.zeros(4, dtype=torch.int64), t)
    with pytest.raises(ValueError, match="must be tensors"):
        fn([0.0, 1.0, 2.0, 3.0], t)


@pytest.mark.parametrize("bucketed", [True, False])
def test_finite_difference_sanity(bucketed):
    """Where the loss is smooth: (a) it is invariant to shifting every logit, and so is the update
    (its components sum to 0); (b) for a single positive, a small step along -grad lowers it
    (every pairwise relation moves in the right direction), by about step * |grad|^2 * slope > 0."""
    logits, targets = synthetic_logits(400, 5, seed=9)
    x = logits.clone().requires_grad_()
    ranking, sorting = rank_sort_loss(x, targets, bucketed=bucketed)
    (ranking + sorting).backward()
    shifted = rank_sort_loss(logits + 1e-3, targets, bucketed=bucketed)
    torch.testing.assert_close(sum(shifted), ranking + sorting, rtol=0, atol=1e-12)
    assert abs(float(x.grad.sum())) < 1e-12

    gen = torch.Generator().manual_seed(0)
    logits = torch.cat((torch.zeros(1), torch.rand(50, generator=gen, dtype=torch.float64) * 0.8 - 0.4))
    targets = torch.zeros(51, dtype=torch.float64)
    targets[0] = 0.8  # every negative in the linear part of H: the loss is smooth here
    x = logits.clone().requires_grad_()
    loss = ap_loss(x, targets, delta=1.0, bucketed=bucketed)
    loss.backward()
    step = 1e-3
    lower = ap_loss(logits - step * x.grad, targets, delta=1.0, bucketed=bucketed)
    assert lower < loss
    # Along -grad each H(x_ij) moves by step * (g_i - g_j) / (2 delta): predicted first-order drop.
    grad = x.grad
    d_fp = float(((grad[0] - grad[1:]) * step / 2.0).sum())
    fp = float(torch.clamp((logits[1:] - logits[0]) / 2.0 + 0.5, 0, 1).sum())
    predicted_drop = -0.5 / (0.5 + fp) ** 2 * d_fp
    assert predicted_drop > 0
    assert abs((loss - lower).item() - predicted_drop) < 1e-3 * predicted_drop
