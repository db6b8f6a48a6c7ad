"""The smoothed Heaviside step of the ranking losses (thesis Eq. 3.2)."""
import torch


def smoothed_step_(x: torch.Tensor, delta: float) -> torch.Tensor:
    """Apply H of Eq. 3.2 to the difference transforms ``x`` in place and return ``x``.

    H(x) = 0 below -delta, 1 above delta and ``x / (2 delta) + 0.5`` in between, so H(0) = 0.5:
    a positive compared with itself counts half, as in the published RS Loss. ``delta = 0`` is the
    limit of Eq. 3.2 (the hard step of Eq. 3.43) with the same H(0) = 0.5; so is any delta too
    small for ``x``'s dtype to hold 2 * delta.
    """
    if 2 * delta >= torch.finfo(x.dtype).tiny:
        return x.div_(2 * delta).add_(0.5).clamp_(0.0, 1.0)
    return x.sign_().add_(1.0).mul_(0.5)


def pairwise_step(columns: torch.Tensor, rows: torch.Tensor, delta: float) -> torch.Tensor:
    """The matrix ``H(columns[j] - rows[i])``: row i holds x_ij = s_j - s_i of Eq. 3.1, smoothed."""
    return smoothed_step_(columns[None, :] - rows[:, None], delta)
