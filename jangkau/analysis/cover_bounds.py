"""Upper bounds for the maximal covering problem: what no choice of sites can beat.

All bounds are for the problem of :mod:`jangkau.analysis.mclp`: choose at
most ``p`` candidates (at most ``p_g`` in group ``g``) to maximise the weight
of demand points reached by at least one chosen candidate.

The Lagrangian bound (Galvão and ReVelle 1996, "A Lagrangean heuristic for
the maximal covering location problem", EJOR 88) relaxes the constraints
``y_i <= sum_j a_ij x_j`` with multipliers ``0 <= lambda_i <= w_i``::

    L(lambda) = sum_i max(0, w_i - lambda_i) + max_x sum_j c_j x_j,   c_j = sum_i a_ij lambda_i

where the inner maximum runs over the budget constraints only: a group cap
and a total cap form a laminar matroid, so taking the largest ``c_j`` in
turn while caps allow is optimal. Every ``lambda`` gives a true upper bound
(weak duality), whatever the step sizes; subgradient steps only make it
tighter, towards the linear-programming bound. ``lambda = w`` gives the
singleton bound (the best sum of what each site reaches alone), so the
Lagrangian bound is never weaker than it. Every inner choice ``x`` is also a
feasible choice of sites, so the search yields a solution as it goes.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse


def budget_groups(
    n_candidates: int, p: int, group: np.ndarray | None, group_budget: np.ndarray | None
) -> tuple[np.ndarray, np.ndarray]:
    """Return ``(group, group_budget)`` as integer arrays; one group capped at ``p`` when not given."""
    if group is None or group_budget is None:
        return np.zeros(n_candidates, dtype=int), np.array([p], dtype=int)
    return np.asarray(group, dtype=int), np.asarray(group_budget, dtype=int)


def budget_choice(
    value: np.ndarray, group: np.ndarray, group_budget: np.ndarray, p: int
) -> np.ndarray:
    """Return the candidates maximising the summed ``value`` (>= 0) within group caps and ``p``.

    Greedy by value is optimal on this laminar matroid: the best ``p_g`` of
    each group, then the best ``p`` of those.
    """
    # Descending value (values are >= 0, so the positive ones come first), then grouped by
    # a stable radix sort of small group numbers: as np.lexsort((-value, group)) but
    # several times faster. The ties keep the order this sort gives them: the bound's
    # search depends on it, so it must not change.
    order = np.argsort(-value)
    order = order[: np.count_nonzero(value > 0)]
    if len(group_budget) == 1:
        # Already in descending order: the stable sort below would leave it as it is.
        return order[: min(int(group_budget[0]), p)]
    order = order[np.argsort(group[order].astype(np.int16), kind="stable")]
    ordered_group = group[order]
    size = np.bincount(ordered_group, minlength=len(group_budget))
    rank = np.arange(len(order)) - (np.cumsum(size) - size)[ordered_group]
    kept = order[rank < group_budget[ordered_group]]
    return kept[np.argsort(-value[kept], kind="stable")][:p]


def column_rows(by_candidate: scipy.sparse.csc_matrix, columns: np.ndarray) -> np.ndarray:
    """Return the row indices of the given columns of a CSC matrix, concatenated."""
    start = by_candidate.indptr[columns]
    length = by_candidate.indptr[columns + 1] - start
    offset = np.arange(length.sum()) - np.repeat(np.cumsum(length) - length, length)
    return by_candidate.indices[np.repeat(start, length) + offset]


@dataclass(frozen=True)
class LagrangianResult:
    """The best bound found, and the best feasible choice met on the way (with its weight).

    ``value`` and ``relaxed`` are the candidate values ``c`` and the inner
    choice at the multipliers that gave ``lagrangian`` (the bound before it
    is capped by the total weight): :func:`excluded_candidates` uses them.
    """

    bound: float
    chosen: np.ndarray
    covered: float
    iterations: int
    lagrangian: float
    value: np.ndarray
    relaxed: np.ndarray


def lagrangian_bound(
    reach: scipy.sparse.csr_matrix,
    weight: np.ndarray,
    p: int,
    *,
    group: np.ndarray | None = None,
    group_budget: np.ndarray | None = None,
    lower: float = 0.0,
    max_iterations: int = 150,
    tolerance: float = 1e-6,
) -> LagrangianResult:
    """Return a Lagrangian upper bound on the weight any choice of sites can reach.

    Parameters
    ----------
    reach
        Demand × candidate matrix (nonzero: the candidate reaches the point).
    weight
        Weight per demand point.
    p, group, group_budget
        At most ``p`` sites, at most ``group_budget[g]`` in group ``g``.
    lower
        The weight a known choice reaches: the steps aim at it, and the
        search stops once the bound is within ``tolerance`` of it.
    max_iterations
        Subgradient steps at most (a count, so answers repeat).
    tolerance
        Relative distance between bound and ``lower`` at which to stop.
    """
    weight = np.asarray(weight, dtype=float)
    n_demand, n_candidates = reach.shape
    by_candidate = scipy.sparse.csc_matrix(reach)
    by_candidate.data = np.ones_like(by_candidate.data, dtype=float)
    by_demand = by_candidate.T.tocsr()  # candidates × demand, for c = A^T lambda
    group, group_budget = budget_groups(n_candidates, p, group, group_budget)
    total = float(weight.sum())
    best, best_chosen, best_covered = np.inf, np.array([], dtype=int), 0.0
    best_value, best_relaxed = np.zeros(n_candidates), np.array([], dtype=int)
    multiplier = weight.copy()
    # A multiplier moves only where its slope (below) is not zero: at points reached by the
    # inner choice or open (multiplier below weight), a few in a hundred. Elsewhere
    # multiplier - scale * 0 is the multiplier itself (never -0.0: it starts at the weight,
    # and the clip returns +0.0), within [0, weight], so the clip keeps it. Only those points
    # are stepped; with a negative (or -0.0) weight, every point is, as the formula reads.
    every_point = np.arange(n_demand) if np.signbit(weight).any() else None
    # Multipliers never exceed the weights; a difference of floats is positive
    # exactly where the first is larger.
    is_open = np.subtract(weight, multiplier) > 0
    open_rows = np.flatnonzero(is_open)
    step_scale, since_better, steps = 2.0, 0, 0
    for steps in range(1, max_iterations + 1):  # noqa: B007 (the count is returned)
        value = by_demand @ multiplier
        chosen = budget_choice(value, group, group_budget, p)
        # The open points' slack in point order: the same sum as over the slack's positive part.
        slack = weight[open_rows] - multiplier[open_rows]
        bound = float(np.sum(slack) + value[chosen].sum())
        hits = np.bincount(column_rows(by_candidate, chosen), minlength=n_demand)
        reached = hits > 0
        covered = float(weight[reached].sum())
        if covered > best_covered:
            best_chosen, best_covered = chosen, covered
        target = max(lower, best_covered)
        if bound < best * (1 - 1e-9):
            best, since_better = bound, 0
            best_value, best_relaxed = value, chosen
        else:
            since_better += 1
            if since_better >= 5:
                step_scale, since_better = step_scale / 2, 0
        if best - target <= tolerance * max(best, 1.0) or step_scale < 0.02:
            break
        # d L / d lambda_i = hits_i - y_i: lower multipliers where a point is claimed but not
        # reached, raise them where it is reached more than once. Not zero only at points
        # reached or open.
        moving = np.flatnonzero(reached | is_open) if every_point is None else every_point
        # Whole numbers, held as floats: their sum of squares is exact in any order, and
        # scale * slope is what it was with integers (they are converted before multiplying).
        # (Not np.dot: on floats it calls BLAS, whose threads cost more than the sum.)
        slope = (hits[moving] - is_open[moving]).astype(float)
        norm = float(np.square(slope).sum())
        if norm == 0:
            break
        limit = weight[moving]
        stepped = np.clip(
            multiplier[moving] - slope * (step_scale * (bound - target) / norm), 0.0, limit
        )
        multiplier[moving] = stepped
        now_open = (limit - stepped) > 0
        is_open[moving] = now_open
        open_rows = moving[now_open]  # only a point that moved can be open
    return LagrangianResult(
        min(best, total), best_chosen, best_covered, steps, best, best_value, best_relaxed
    )


def excluded_candidates(
    result: LagrangianResult,
    group: np.ndarray,
    group_budget: np.ndarray,
    p: int,
    incumbent: float,
) -> np.ndarray:
    """Return, per candidate, True when no choice containing it can reach more than ``incumbent``.

    Forcing candidate ``j`` into the inner choice at the same multipliers
    gives an upper bound on every choice containing ``j``: the Lagrangian
    plus ``c_j`` minus the smallest value it must displace (of its own group
    when that group is full, else of the whole choice when ``p`` are chosen,
    else nothing; the exchange rule of a matroid). Where that bound is below
    ``incumbent``, ``j`` can be left out of the search for something better.
    """
    value, relaxed = result.value, result.relaxed
    n_groups = len(group_budget)
    count = np.bincount(group[relaxed], minlength=n_groups)
    smallest_in_group = np.full(n_groups, np.inf)
    np.minimum.at(smallest_in_group, group[relaxed], value[relaxed])
    smallest = value[relaxed].min() if len(relaxed) else 0.0
    group_full = count >= group_budget
    displaced = np.where(
        group_full[group], smallest_in_group[group], smallest if len(relaxed) >= p else 0.0
    )
    forced = result.lagrangian + value - displaced
    forced[relaxed] = result.lagrangian
    return forced < incumbent - 1e-9 * max(abs(incumbent), 1.0)


def singleton_bound(
    reach: scipy.sparse.csr_matrix,
    weight: np.ndarray,
    p: int,
    *,
    group: np.ndarray | None = None,
    group_budget: np.ndarray | None = None,
) -> float:
    """Return an upper bound from each candidate's reach on its own.

    Sites together never reach more than the sum of what each reaches alone
    (coverage is submodular), so the best sum of single-site figures within
    the budgets bounds every choice; so does the total weight.
    """
    weight = np.asarray(weight, dtype=float)
    alone = scipy.sparse.csc_matrix(reach).T @ weight
    group, group_budget = budget_groups(len(alone), p, group, group_budget)
    chosen = budget_choice(alone, group, group_budget, p)
    return float(min(alone[chosen].sum(), weight.sum()))
