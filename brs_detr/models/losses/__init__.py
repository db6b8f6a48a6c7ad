"""Ranking losses for mmdet heads and the steps heads use to feed them (thesis Sec. 3.5)."""
from .ap_loss import APLoss
from .flat_ranking_problem import flat_ranking_problem
from .rank_based_head_loss import check_rank_based_head, rank_based_head_losses
from .rank_sort_loss import RankSortLoss
from .ranking_loss import RankingLoss
from .self_balance import max_score_weights, self_balance, self_balance_weight

__all__ = [
    'APLoss', 'RankSortLoss', 'RankingLoss', 'check_rank_based_head', 'flat_ranking_problem',
    'rank_based_head_losses', 'max_score_weights', 'self_balance', 'self_balance_weight'
]
