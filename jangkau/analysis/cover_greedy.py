"""Feasible choices for the maximal covering problem: greedy with single swaps, ordered by gain.

The problem is that of :mod:`jangkau.analysis.mclp` (which re-exports these
functions): at most ``p`` candidates, at most ``p_g`` in group ``g``, to
bring the most demand weight within reach. A swap is taken only when it
raises the weight reached, so the swaps never make the greedy choice worse.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse

from jangkau.analysis.cover_bounds import budget_groups


def candidate_rows(by_candidate: scipy.sparse.csc_matrix, candidate: int) -> np.ndarray:
    """Return the demand rows one candidate reaches (one column of a CSC matrix)."""
    return by_candidate.indices[by_candidate.indptr[candidate] : by_candidate.indptr[candidate + 1]]


def greedy_with_swaps(
    reach: scipy.sparse.csr_matrix,
    weight: np.ndarray,
    p: int,
    *,
    group: np.ndarray | None = None,
    group_budget: np.ndarray | None = None,
    max_rounds: int = 10,
) -> np.ndarray:
    """Return a greedy choice of up to ``p`` candidates, improved by single swaps.

    A swap replaces one chosen candidate by one not chosen (keeping within the
    group budgets) when that reaches more weight; rounds repeat until no swap
    helps or ``max_rounds`` is reached.
    """
    by_candidate = scipy.sparse.csc_matrix(reach)
    gains_of = by_candidate.T.tocsr()  # candidates × demand: gains are one product
    weight = np.asarray(weight, dtype=float)
    group, limit = budget_groups(by_candidate.shape[1], p, group, group_budget)
    used = np.zeros(len(limit), dtype=int)
    count = np.zeros(by_candidate.shape[0], dtype=np.int64)
    chosen: list[int] = []

    def rows(candidate: int) -> np.ndarray:
        return candidate_rows(by_candidate, candidate)

    for _ in range(p):
        gains = gains_of @ np.where(count == 0, weight, 0.0)
        gains[chosen] = -1.0
        gains[used[group] >= limit[group]] = -1.0
        best = int(np.argmax(gains))
        if gains[best] <= 0:
            break
        chosen.append(best)
        count[rows(best)] += 1
        used[group[best]] += 1
    for _ in range(max_rounds):
        improved = False
        for position in range(len(chosen)):
            out = chosen[position]
            count[rows(out)] -= 1
            open_weight = np.where(count == 0, weight, 0.0)
            loss = open_weight[rows(out)].sum()
            gains = gains_of @ open_weight
            gains[chosen] = -1.0
            spare = limit[group] - used[group]
            spare[group == group[out]] += 1
            gains[spare <= 0] = -1.0
            best = int(np.argmax(gains))
            if gains[best] > loss + 1e-9:
                chosen[position] = best
                used[group[out]] -= 1
                used[group[best]] += 1
                count[rows(best)] += 1
                improved = True
            else:
                count[rows(out)] += 1
        if not improved:
            break
    return np.array(chosen, dtype=int)


def order_by_gain(
    reach: scipy.sparse.csr_matrix, weight: np.ndarray, chosen: np.ndarray
) -> np.ndarray:
    """Return the chosen candidates ordered so that each adds the most given those before it."""
    remaining = list(np.asarray(chosen, dtype=int))
    ordered: list[int] = []
    by_candidate = scipy.sparse.csc_matrix(reach)
    rows = {c: candidate_rows(by_candidate, c) for c in remaining}
    open_weight = np.asarray(weight, dtype=float).copy()
    while remaining:
        gains = [open_weight[rows[c]].sum() for c in remaining]
        best = remaining.pop(int(np.argmax(gains)))
        ordered.append(best)
        open_weight[rows[best]] = 0.0
    return np.array(ordered, dtype=int)
