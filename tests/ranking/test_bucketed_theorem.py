"""Theorem of Sec. 3.4: with no positive-negative pair of logits within delta, bucketed gradients
(BAP, BRS) equal the unbucketed ones (AP, RS).

Negatives are never compared with each other and the sorting error is not bucketed, so ties among
negatives or among positives keep the theorem true; the cases below use them on purpose.
"""
import pytest
import torch

from ranking_reference import fast_loss, synthetic_logits


def assert_bucketed_equals_unbucketed(logits, targets, delta, with_sorting, rtol=1e-12, atol=1e-14):
    bucketed = fast_loss(logits, targets, delta, with_sorting, bucketed=True)
    unbucketed = fast_loss(logits, targets, delta, with_sorting, bucketed=False)
    for name, b, u in zip(("ranking", "sorting", "ranking_grad", "sorting_grad"), bucketed, unbucketed):
        torch.testing.assert_close(b, u, rtol=rtol, atol=atol, msg=lambda m: f"{name}: {m}")


def positive_negative_gaps(logits, targets):
    """Distance of every negative to its nearest positive."""
    pos = torch.sort(logits[targets > 0]).values
    neg = logits[targets == 0]
    idx = torch.searchsorted(pos, neg).clamp(max=pos.numel() - 1)
    return torch.minimum((neg - pos[idx]).abs(), (neg - pos[(idx - 1).clamp(min=0)]).abs())


@pytest.mark.parametrize("with_sorting", [True, False])
@pytest.mark.parametrize("num_logits,percent", [(1000, 5), (10000, 0.1), (10000, 1), (20000, 2)])
def test_theorem_on_synthetic_data(num_logits, percent, with_sorting):
    """Sec. 4.1.1 data with delta below half the smallest positive-negative gap."""
    logits, targets = synthetic_logits(num_logits, percent, seed=num_logits + int(percent * 10))
    delta = 0.45 * float(positive_negative_gaps(logits, targets).min())
    assert delta > 0
    assert_bucketed_equals_unbucketed(logits, targets, delta, with_sorting)


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
@pytest.mark.parametrize("with_sorting", [True, False])
@pytest.mark.parametrize("num_logits", [30000, 150000])
def test_theorem_at_default_delta_with_separated_negatives(num_logits, with_sorting, dtype):
    """Sec. 4.1.1 data at delta = 0.5, dropping the negatives within delta of a positive.

    1,500 positives exceed the bucketed loss' dense limit: its prefix-sum path is checked too."""
    logits, targets = synthetic_logits(num_logits, 1, seed=1)
    keep = targets > 0
    keep[targets == 0] = positive_negative_gaps(logits, targets) > 0.5
    logits, targets = logits[keep].to(dtype), targets[keep].to(dtype)
    assert (targets == 0).sum() > 1000  # enough negatives survive, above and between positives
    tol = dict(rtol=1e-9, atol=1e-12) if dtype == torch.float64 else dict(rtol=1e-5, atol=1e-7)
    assert_bucketed_equals_unbucketed(logits, targets, 0.5, with_sorting, **tol)


def case(pos_logits, pos_ious, neg_logits):
    logits = torch.tensor(list(neg_logits) + list(pos_logits), dtype=torch.float64)
    targets = torch.tensor([0.0] * len(neg_logits) + list(pos_ious), dtype=torch.float64)
    return logits, targets


ADVERSARIAL = {
    "ties_among_negatives_and_positives": case(
        [0.0, 0.0, 2.0, 2.0, 4.0], [0.3, 0.9, 0.5, 0.5, 1.0], [1.0] * 7 + [3.0] * 5 + [6.0] * 3),
    "single_positive": case([0.0], [0.7], [-0.3, 1.0, 1.0, 2.5, 5.0]),
    "single_negative": case([0.0, 2.0, -1.5], [0.2, 0.6, 0.9], [1.0]),
    "single_positive_single_negative": case([0.0], [0.5], [3.0]),
    "all_positives_above_negatives": case([5.0, 6.0, 7.0], [0.4, 0.8, 0.1], [1.0, 2.0, 3.0, 3.0]),
    "all_positives_below_negatives": case([-5.0, -4.0, -3.0], [0.4, 0.8, 0.1], [1.0, 2.0, 3.0]),
    "one_bucket_in_the_middle": case([-2.0, -1.0, 3.0, 4.0], [0.5, 0.6, 0.7, 0.8],
                                     [1.0, 1.2, 0.8, 1.0, 1.0]),
    "many_equal_ious": case([0.0, 1.5, 3.0, 4.5, 6.0], [0.5] * 5, [0.7, 2.2, 2.4, 5.0, 8.0]),
    "all_ious_one": case([0.0, 1.5, 3.0], [1.0, 1.0, 1.0], [0.8, 2.2, 9.0]),
    "trivial_negatives_only": case([0.0, 1.0], [0.5, 0.9], [-3.0, -4.0, -10.0]),
}


@pytest.mark.parametrize("with_sorting", [True, False])
@pytest.mark.parametrize("name", sorted(ADVERSARIAL))
def test_theorem_on_adversarial_cases(name, with_sorting):
    logits, targets = ADVERSARIAL[name]
    assert_bucketed_equals_unbucketed(logits, targets, 0.25, with_sorting)


def test_adversarial_cases_have_the_expected_errors():
    """Spot checks that the cases above are what their names say (and non-trivial where needed)."""
    above = fast_loss(*ADVERSARIAL["all_positives_above_negatives"], 0.25)
    assert above[0] == 0 and not above[2][:4].any()  # no ranking error, no gradient on negatives
    below = fast_loss(*ADVERSARIAL["all_positives_below_negatives"], 0.25)
    # Lowest positive: 3 negatives above, rank^+ = 2.5  ->  3 / 5.5; mean over the three positives.
    torch.testing.assert_close(below[0], torch.tensor((3 / 3.5 + 3 / 4.5 + 3 / 5.5) / 3,
                                                      dtype=torch.float64))
    equal = fast_loss(*ADVERSARIAL["many_equal_ious"], 0.25)
    assert equal[1] == 0 and not equal[3].any()  # equal IoUs: nothing to sort
    trivial = fast_loss(*ADVERSARIAL["trivial_negatives_only"], 0.25)
    assert trivial[0] == 0 and not trivial[2][:3].any()
