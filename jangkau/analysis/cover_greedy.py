"""Feasible choices for the maximal covering problem: greedy with single swaps, ordered by gain.

The problem is that of :mod:`jangkau.analysis.mclp` (which re-exports these
functions): at most ``p`` candidates, at most ``p_g`` in group ``g``, to
bring the most demand weight within reach. A swap is taken only when it
raises the weight reached, so the swaps never make the greedy choice worse.

A candidate's gain is the weight of the open (not yet reached) demand it
reaches: its entry of ``A^T @ open_weight``. The open weight is kept up to
date point by point as candidates are counted in and out, and the product is
taken again only when a move opened or closed some point. (Updating gains by
subtraction would not give the same floats: rounding.) Picking out the rows
of just the candidates a move touched costs more, in scipy's row indexing,
than the whole product on these problems.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse

from jangkau.analysis.cover_bounds import budget_groups


def candidate_rows(by_candidate: scipy.sparse.csc_matrix, candidate: int) -> np.ndarray:
    """Return the demand rows one candidate reaches (one column of a CSC matrix)."""
    return by_candidate.indices[by_candidate.indptr[candidate] : by_candidate.indptr[candidate + 1]]


class _OpenDemand:
    """How often each demand point is reached, its open weight, and every candidate's gain on it.

    ``open_weight`` is ``weight`` where no counted candidate reaches a point,
    else 0.0 (what ``np.where(count == 0, weight, 0.0)`` gives), kept up to
    date point by point.
    """

    def __init__(self, reach: scipy.sparse.spmatrix, weight: np.ndarray) -> None:
        self.by_candidate = scipy.sparse.csc_matrix(reach)
        self.gains_of = self.by_candidate.T.tocsr()  # candidates × demand: gains are one product
        self.weight = weight
        self.count = np.zeros(self.by_candidate.shape[0], dtype=np.int64)
        self.open_weight = weight.copy()

    def rows(self, candidate: int) -> np.ndarray:
        """Return the demand rows ``candidate`` reaches."""
        return candidate_rows(self.by_candidate, candidate)

    def add(self, candidate: int) -> np.ndarray:
        """Count ``candidate``'s rows as reached once more; return the rows that closed."""
        rows = self.rows(candidate)
        self.count[rows] += 1
        closed = rows[self.count[rows] == 1]
        self.open_weight[closed] = 0.0
        return closed

    def remove(self, candidate: int) -> np.ndarray:
        """Count ``candidate``'s rows as reached once less; return the rows that opened."""
        rows = self.rows(candidate)
        self.count[rows] -= 1
        opened = rows[self.count[rows] == 0]
        self.open_weight[opened] = self.weight[opened]
        return opened

    def gains(self) -> np.ndarray:
        """Return every candidate's gain: the open weight it reaches."""
        return self.gains_of @ self.open_weight

    def updated(self, gain: np.ndarray, changed: np.ndarray) -> np.ndarray:
        """Return ``gain`` (of an earlier open weight) after the ``changed`` rows opened or closed."""
        return gain if len(changed) == 0 else self.gains()


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
    weight = np.asarray(weight, dtype=float)
    demand = _OpenDemand(reach, weight)
    group, limit = budget_groups(demand.by_candidate.shape[1], p, group, group_budget)
    used = np.zeros(len(limit), dtype=int)
    chosen, gain = _greedy(demand, group, limit, used, p)
    # A position tried without a swap since the last swap would give no swap again (the
    # same choice, the same open weight): it is not tried again until a swap changes them.
    swaps, tried = 0, [-1] * len(chosen)
    for _ in range(max_rounds):
        improved = False
        for position in range(len(chosen)):
            if tried[position] == swaps:
                continue
            out = chosen[position]
            trial = demand.updated(gain, demand.remove(out))
            loss = demand.open_weight[demand.rows(out)].sum()
            gains = trial.copy()
            gains[chosen] = -1.0
            spare = limit - used
            spare[group[out]] += 1
            gains[(spare <= 0)[group]] = -1.0
            best = int(np.argmax(gains))
            if gains[best] > loss + 1e-9:
                chosen[position] = best
                used[group[out]] -= 1
                used[group[best]] += 1
                gain = demand.updated(trial, demand.add(best))
                improved, swaps = True, swaps + 1
            else:
                demand.add(out)  # closes again exactly the rows its removal opened
                tried[position] = swaps
        if not improved:
            break
    return np.array(chosen, dtype=int)


def _greedy(
    demand: _OpenDemand, group: np.ndarray, limit: np.ndarray, used: np.ndarray, p: int
) -> tuple[list[int], np.ndarray]:
    """Add up to ``p`` candidates, each time the first of largest gain whose group has room.

    Returns the candidates and every candidate's gain once they are added.
    """
    chosen: list[int] = []
    gain = demand.gains()
    for _ in range(p):
        gains = gain.copy()
        gains[chosen] = -1.0
        gains[(used >= limit)[group]] = -1.0
        best = int(np.argmax(gains))
        if gains[best] <= 0:
            break
        chosen.append(best)
        used[group[best]] += 1
        gain = demand.updated(gain, demand.add(best))
    return chosen, gain


def order_by_gain(
    reach: scipy.sparse.csr_matrix, weight: np.ndarray, chosen: np.ndarray
) -> np.ndarray:
    """Return the chosen candidates ordered so that each adds the most given those before it.

    A candidate's gain changes only when one sharing a demand point with it
    is taken; the others keep the sum already made over the same values.
    """
    chosen = np.asarray(chosen, dtype=int)
    by_candidate = scipy.sparse.csc_matrix(reach)
    rows = [candidate_rows(by_candidate, c) for c in chosen]
    pattern = scipy.sparse.csc_matrix(
        (
            np.ones(sum(len(r) for r in rows)),
            np.concatenate([[], *rows]).astype(np.int64),
            np.concatenate([[0], np.cumsum([len(r) for r in rows])]).astype(np.int64),
        ),
        shape=(by_candidate.shape[0], len(chosen)),
    )
    shares = (pattern.T @ pattern).toarray() > 0
    open_weight = np.asarray(weight, dtype=float).copy()
    gains = np.array([open_weight[r].sum() for r in rows])
    remaining = list(range(len(chosen)))
    ordered: list[int] = []
    while remaining:
        best = remaining.pop(int(np.argmax(gains[remaining])))
        ordered.append(int(chosen[best]))
        open_weight[rows[best]] = 0.0
        for other in remaining:
            if shares[best, other]:
                gains[other] = open_weight[rows[other]].sum()
    return np.array(ordered, dtype=int)
