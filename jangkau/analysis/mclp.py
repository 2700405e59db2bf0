"""The maximal covering location problem, solved exactly where it can be, with a bound always.

Given demand points with weights (people), candidate sites, which candidates
reach which demand points, and a number of sites to open, choose the sites
that bring the most weight within reach. This is the maximal covering
location problem (Church and ReVelle, 1974). It is solved as a mixed-integer
programme with HiGHS (through :func:`scipy.optimize.milp`): binary ``x_j``
per candidate, continuous ``0 <= y_i <= 1`` per demand point,
``y_i <= sum_j a_ij x_j``, at most ``p`` sites (optionally at most ``p_g``
per group of candidates), maximise ``sum_i w_i y_i``.

Every answer carries an upper bound on the weight any choice could reach:
HiGHS's dual bound when it ran, else the linear-programming relaxation. When
HiGHS cannot prove optimality within the time budget, the best of its
incumbent and a greedy choice improved by single swaps is returned, so
``batas_atas - terlayani`` is always a true (possibly pessimistic) measure of
how far from optimal the answer may be.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.optimize
import scipy.sparse

# Relative tolerance under which a solution counts as proven optimal.
OPTIMALITY_TOLERANCE = 1e-6


@dataclass(frozen=True)
class CoverSolution:
    """Sites chosen for one maximal covering problem.

    Attributes
    ----------
    chosen
        Indices of the chosen candidates, in the order they add most (the
        first adds the most on its own, each next one the most given those
        before it).
    covered
        Weight of the demand within reach of the chosen sites.
    upper_bound
        No choice of sites under the same budget reaches more than this.
    proven_optimal
        True when ``covered`` equals ``upper_bound`` within tolerance.
    method
        ``"milp"`` (HiGHS, proven or not) or ``"greedy+tukar"`` (greedy with swaps).
    """

    chosen: np.ndarray
    covered: float
    upper_bound: float
    proven_optimal: bool
    method: str

    @property
    def gap(self) -> float:
        """Share of the upper bound the chosen sites may fall short by (0 when proven optimal)."""
        if self.upper_bound <= 0:
            return 0.0
        return max(0.0, (self.upper_bound - self.covered) / self.upper_bound)


def merge_equal_rows(
    reach: scipy.sparse.csr_matrix, weight: np.ndarray
) -> tuple[scipy.sparse.csr_matrix, np.ndarray]:
    """Return the problem with demand points reached by no candidate dropped and equal rows merged.

    Demand points reached by exactly the same candidates behave as one point
    carrying their summed weight: the optimum and every bound stay the same,
    and the programme gets far smaller on dense grids.
    """
    reach = scipy.sparse.csr_matrix(reach)
    reach.sort_indices()
    keys: dict[bytes, int] = {}
    row_of = np.empty(reach.shape[0], dtype=np.int64)
    for row in range(reach.shape[0]):
        key = reach.indices[reach.indptr[row] : reach.indptr[row + 1]].tobytes()
        row_of[row] = keys.setdefault(key, len(keys))
    merged_weight = np.bincount(row_of, weights=weight, minlength=len(keys))
    first = np.unique(row_of, return_index=True)[1]
    merged = reach[first]
    reached = np.diff(merged.indptr) > 0
    return merged[reached], merged_weight[reached]


def covered_weight(reach: scipy.sparse.csr_matrix, weight: np.ndarray, chosen: np.ndarray) -> float:
    """Return the weight of demand points reached by at least one chosen candidate."""
    if len(chosen) == 0:
        return 0.0
    hit = np.asarray(reach[:, chosen].sum(axis=1)).ravel() > 0
    return float(weight[hit].sum())


def _budget_rows(
    n_candidates: int, p: int, group: np.ndarray | None, group_budget: np.ndarray | None
) -> tuple[scipy.sparse.csr_matrix, np.ndarray]:
    """Return the budget constraint rows (total, then one per group) and their upper limits."""
    rows = [scipy.sparse.csr_matrix(np.ones((1, n_candidates)))]
    limits = [float(p)]
    if group is not None and group_budget is not None:
        indicator = scipy.sparse.csr_matrix(
            (np.ones(n_candidates), (group, np.arange(n_candidates))),
            shape=(len(group_budget), n_candidates),
        )
        rows.append(indicator)
        limits.extend(np.asarray(group_budget, dtype=float).tolist())
    return scipy.sparse.vstack(rows).tocsr(), np.asarray(limits)


def _programme(
    reach: scipy.sparse.csr_matrix,
    weight: np.ndarray,
    p: int,
    group: np.ndarray | None,
    group_budget: np.ndarray | None,
) -> tuple[np.ndarray, list[scipy.optimize.LinearConstraint], scipy.optimize.Bounds]:
    """Return objective, constraints and bounds over ``[x (candidates), y (demand)]``."""
    n_demand, n_candidates = reach.shape
    objective = np.concatenate([np.zeros(n_candidates), -np.asarray(weight, dtype=float)])
    # y_i - sum_j a_ij x_j <= 0
    link = scipy.sparse.hstack([-reach.astype(float), scipy.sparse.identity(n_demand)]).tocsr()
    budget, limits = _budget_rows(n_candidates, p, group, group_budget)
    budget = scipy.sparse.hstack(
        [budget, scipy.sparse.csr_matrix((budget.shape[0], n_demand))]
    ).tocsr()
    constraints = [
        scipy.optimize.LinearConstraint(link, -np.inf, 0.0),
        scipy.optimize.LinearConstraint(budget, -np.inf, limits),
    ]
    bounds = scipy.optimize.Bounds(
        np.zeros(n_candidates + n_demand), np.ones(n_candidates + n_demand)
    )
    return objective, constraints, bounds


def relaxation_bound(
    reach: scipy.sparse.csr_matrix,
    weight: np.ndarray,
    p: int,
    *,
    group: np.ndarray | None = None,
    group_budget: np.ndarray | None = None,
) -> float:
    """Return the linear-programming relaxation's optimum: an upper bound on any choice."""
    objective, constraints, bounds = _programme(reach, weight, p, group, group_budget)
    result = scipy.optimize.milp(objective, constraints=constraints, bounds=bounds)
    if result.x is None:
        return float(np.sum(weight))
    return float(-result.fun)


def greedy_with_swaps(
    reach: scipy.sparse.csr_matrix,
    weight: np.ndarray,
    p: int,
    *,
    group: np.ndarray | None = None,
    group_budget: np.ndarray | None = None,
    max_rounds: int = 20,
) -> np.ndarray:
    """Return a greedy choice of up to ``p`` candidates, improved by single swaps.

    A swap replaces one chosen candidate by one not chosen (within the same
    group budget) when that reaches more weight; rounds repeat until no swap
    helps or ``max_rounds`` is reached.
    """
    n_demand, n_candidates = reach.shape
    by_candidate = reach.tocsc()
    weight = np.asarray(weight, dtype=float)
    used = np.zeros(len(group_budget), dtype=int) if group_budget is not None else None

    def allowed(candidate: int, freed: int | None = None) -> bool:
        if used is None:
            return True
        spare = group_budget[group[candidate]] - used[group[candidate]]
        if freed is not None and group[freed] == group[candidate]:
            spare += 1
        return spare > 0

    count = np.zeros(n_demand, dtype=int)
    chosen: list[int] = []
    for _ in range(p):
        uncovered_weight = np.where(count == 0, weight, 0.0)
        gains = by_candidate.T @ uncovered_weight
        gains[chosen] = -1.0
        order = np.argsort(-gains, kind="stable")
        pick = next((int(c) for c in order if gains[c] > 0 and allowed(int(c))), None)
        if pick is None:
            break
        chosen.append(pick)
        count[by_candidate.indices[by_candidate.indptr[pick] : by_candidate.indptr[pick + 1]]] += 1
        if used is not None:
            used[group[pick]] += 1
    current = covered_weight(reach, weight, np.array(chosen, dtype=int))
    for _ in range(max_rounds):
        improved = False
        for position, out in enumerate(list(chosen)):
            rest = np.array([c for c in chosen if c != out], dtype=int)
            base_count = (
                np.asarray(reach[:, rest].sum(axis=1)).ravel() if len(rest) else np.zeros(n_demand)
            )
            open_weight = np.where(base_count == 0, weight, 0.0)
            gains = by_candidate.T @ open_weight
            gains[chosen] = -1.0
            best = int(np.argmax(gains))
            value = covered_weight(reach, weight, rest) + gains[best]
            if value > current + 1e-9 and allowed(best, freed=out):
                if used is not None:
                    used[group[out]] -= 1
                    used[group[best]] += 1
                chosen[position] = best
                current = value
                improved = True
        if not improved:
            break
    return np.array(chosen, dtype=int)


def order_by_gain(
    reach: scipy.sparse.csr_matrix, weight: np.ndarray, chosen: np.ndarray
) -> np.ndarray:
    """Return the chosen candidates ordered so that each adds the most given those before it."""
    remaining = list(np.asarray(chosen, dtype=int))
    ordered: list[int] = []
    count = np.zeros(reach.shape[0], dtype=int)
    by_candidate = reach.tocsc()
    while remaining:
        open_weight = np.where(count == 0, weight, 0.0)
        gains = [open_weight[by_candidate[:, c].indices].sum() for c in remaining]
        best = remaining.pop(int(np.argmax(gains)))
        ordered.append(best)
        count[by_candidate[:, best].indices] += 1
    return np.array(ordered, dtype=int)


def solve_max_cover(
    reach: scipy.sparse.csr_matrix,
    weight: np.ndarray,
    p: int,
    *,
    group: np.ndarray | None = None,
    group_budget: np.ndarray | None = None,
    time_limit_s: float = 20.0,
) -> CoverSolution:
    """Choose up to ``p`` candidates that bring the most demand weight within reach.

    Parameters
    ----------
    reach
        Demand × candidate matrix, nonzero where the candidate reaches the
        demand point. Demand already within reach of existing facilities
        should be left out (or given weight 0).
    weight
        Weight (people) per demand point.
    p
        At most this many sites in all.
    group, group_budget
        Optional: the group of each candidate (0-based) and at most how many
        sites each group may get.
    time_limit_s
        Time HiGHS may take; past it, the best answer found so far is kept
        and the bound says how good it is.

    Returns
    -------
    CoverSolution
    """
    reach, weight = merge_equal_rows(reach, np.asarray(weight, dtype=float))
    n_demand, n_candidates = reach.shape
    if p <= 0 or n_candidates == 0 or n_demand == 0 or weight.sum() <= 0:
        return CoverSolution(np.array([], dtype=int), 0.0, 0.0, True, "milp")
    objective, constraints, bounds = _programme(reach, weight, p, group, group_budget)
    integrality = np.concatenate([np.ones(n_candidates), np.zeros(n_demand)])
    result = scipy.optimize.milp(
        objective,
        constraints=constraints,
        bounds=bounds,
        integrality=integrality,
        options={"time_limit": float(time_limit_s), "mip_rel_gap": 0.0, "disp": False},
    )
    candidates: list[tuple[float, np.ndarray, str]] = []
    bound = None
    if result.x is not None:
        picked = np.flatnonzero(result.x[:n_candidates] > 0.5)
        candidates.append((covered_weight(reach, weight, picked), picked, "milp"))
        dual = getattr(result, "mip_dual_bound", None)
        if dual is not None and np.isfinite(dual):
            bound = float(-dual)
    if result.status != 0:
        swapped = greedy_with_swaps(reach, weight, p, group=group, group_budget=group_budget)
        candidates.append((covered_weight(reach, weight, swapped), swapped, "greedy+tukar"))
    if bound is None:
        bound = relaxation_bound(reach, weight, p, group=group, group_budget=group_budget)
    covered, picked, method = max(candidates, key=lambda item: item[0])
    bound = max(bound, covered)
    proven = result.status == 0 or bound - covered <= OPTIMALITY_TOLERANCE * max(bound, 1.0)
    if result.status == 0:
        bound = covered
    return CoverSolution(order_by_gain(reach, weight, picked), covered, bound, proven, method)


def solve_grouped(
    reach: scipy.sparse.csr_matrix,
    weight: np.ndarray,
    group: np.ndarray,
    group_budget: np.ndarray,
    *,
    total: int | None = None,
    time_limit_s: float = 10.0,
    joint_limit: int = 400,
) -> CoverSolution:
    """Choose sites when each group of candidates (a kecamatan) has its own number of sites.

    Small problems (at most ``joint_limit`` candidates) are solved jointly
    and exactly. Larger ones are solved group by group, exactly within each
    group, with demand already reached by the other groups' sites taken out;
    two passes (the second re-chooses each group given all the others), so
    sites on both sides of a border see each other. The upper bound is the
    smaller of HiGHS's bound for the joint problem (when it ran) and the sum
    of each group's best on its own, which no joint choice can exceed: every
    person a joint choice reaches is reached by one group's sites.

    Parameters
    ----------
    reach, weight
        As for :func:`solve_max_cover`.
    group, group_budget
        The group (0-based) of each candidate, and how many sites each group gets.
    total
        At most this many sites in all (a budget); by default the sum of the groups'.
    time_limit_s
        Time HiGHS may take on the joint problem.
    joint_limit
        Most candidates for which the joint problem is tried.
    """
    reach, weight = merge_equal_rows(reach, np.asarray(weight, dtype=float))
    group_budget = np.asarray(group_budget, dtype=int)
    total = int(group_budget.sum()) if total is None else int(total)
    if total <= 0 or reach.shape[0] == 0 or reach.shape[1] == 0:
        return CoverSolution(np.array([], dtype=int), 0.0, 0.0, True, "milp")
    if reach.shape[1] <= joint_limit:
        joint = solve_max_cover(
            reach,
            weight,
            total,
            group=group,
            group_budget=group_budget,
            time_limit_s=time_limit_s,
        )
        if joint.proven_optimal:
            return joint
    by_candidate = reach.tocsc()
    members = [np.flatnonzero(group == g) for g in range(len(group_budget))]
    alone = np.zeros(len(group_budget))
    for g, candidates in enumerate(members):
        if group_budget[g] > 0 and len(candidates):
            alone[g] = solve_max_cover(
                reach[:, candidates], weight, int(group_budget[g]), time_limit_s=time_limit_s
            ).covered
    picks: list[np.ndarray] = [np.array([], dtype=int) for _ in members]
    # Groups with the most to gain choose first; a budget below the groups' sum goes to them.
    order = np.argsort(-alone, kind="stable")
    remaining = total
    for _ in range(2):
        for g in order:
            others = np.concatenate([picks[h] for h in range(len(members)) if h != g])
            taken = (
                np.asarray(by_candidate[:, others].sum(axis=1)).ravel() > 0
                if len(others)
                else np.zeros(reach.shape[0], dtype=bool)
            )
            allowed = min(int(group_budget[g]), remaining + len(picks[g]))
            if allowed <= 0 or len(members[g]) == 0:
                continue
            local = solve_max_cover(
                reach[:, members[g]],
                np.where(taken, 0.0, weight),
                allowed,
                time_limit_s=time_limit_s,
            )
            remaining += len(picks[g]) - len(local.chosen)
            picks[g] = members[g][local.chosen]
    chosen = np.concatenate(picks) if picks else np.array([], dtype=int)
    covered = covered_weight(reach, weight, chosen)
    method = "per kecamatan, 2 putaran"
    bound = float(alone.sum())
    if reach.shape[1] <= joint_limit:
        bound = min(bound, joint.upper_bound)
        if joint.covered > covered:
            chosen, covered, method = joint.chosen, joint.covered, joint.method
    bound = max(bound, covered)
    proven = bound - covered <= OPTIMALITY_TOLERANCE * max(bound, 1.0)
    return CoverSolution(order_by_gain(reach, weight, chosen), covered, bound, proven, method)
