"""The RoI 'sampler' of RS-R-CNN: every proposal, plus the ground-truth boxes as proposals."""
import torch
from torch import Tensor

from mmdet.models.task_modules.assigners import AssignResult
from mmdet.models.task_modules.samplers import BaseSampler
from mmdet.registry import TASK_UTILS


@TASK_UTILS.register_module()
class AllProposalsSampler(BaseSampler):
    """Keeps every positive and every negative proposal: no sampling (thesis Sec. 4.4), as a
    ranking loss needs none. Like mmdet's ``RandomSampler`` it can add the ground-truth boxes as
    extra proposals, which the authors' RS / BRS R-CNN configs do (they write
    ``RandomSampler(num=1e10, add_gt_as_proposals=True)``, which keeps everything, in index order);
    ``PseudoSampler`` is the same without the ground-truth proposals.

    Args:
        add_gt_as_proposals (bool): add each image's ground-truth boxes as proposals. Default True.
    """

    def __init__(self, add_gt_as_proposals: bool = True, **kwargs) -> None:
        super().__init__(num=0, pos_fraction=0.0, neg_pos_ub=-1,
                         add_gt_as_proposals=add_gt_as_proposals)

    def _sample_pos(self, assign_result: AssignResult, num_expected: int, **kwargs) -> Tensor:
        return torch.nonzero(assign_result.gt_inds > 0, as_tuple=False).squeeze(-1)

    def _sample_neg(self, assign_result: AssignResult, num_expected: int, **kwargs) -> Tensor:
        return torch.nonzero(assign_result.gt_inds == 0, as_tuple=False).squeeze(-1)
