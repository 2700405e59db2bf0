"""The maximal covering location problem, solved exactly where it can be, with a bound always.

Given demand points with weights (people), candidate sites, which candidates
reach which demand points, and a number of sites to open, choose the sites
that bring the most weight within reach. This is the maximal covering
location problem (Church and ReVelle, 1974). It is solved as a mixed-integer
programme with HiGHS (through :func:`scipy.optimize.milp`): binary ``x_j``
per candidate, continuous ``0 <= y_i <= 1`` per demand point,
``y_i <= sum_j a_ij x_j``, at most ``p`` sites (optionally at most ``p_g``
per group of candidates), maximise ``sum_i w_i y_i``.

Every answer carries an upper bound on the weight any choice could reach.
:func:`solve_grouped` (the proposals' solver) first takes a greedy choice
improved by single swaps and a Lagrangian bound
(:mod:`jangkau.analysis.cover_bounds`, never weaker than the singleton bound
and often equal to the linear-programming one); when they meet, the choice is
proven optimal without HiGHS. Otherwise the candidates the bound shows cannot
beat the choice are left out, and HiGHS solves what remains when it is small
enough (:data:`MAX_EXACT_NONZEROS`) within its node limit. The best choice
found is kept with the smallest bound, so ``batas_atas - terlayani`` is always
a true (possibly pessimistic) measure of how far from optimal the answer may be.
:func:`solve_max_cover` is HiGHS alone (with the Lagrangian bound when HiGHS
stops early).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.optimize
import scipy.sparse

from jangkau.analysis.cover_bounds import (  # noqa: F401 (singleton_bound: re-exported)
    excluded_candidates,
    lagrangian_bound,
    singleton_bound,
)
from jangkau.analysis.cover_greedy import greedy_with_swaps, order_by_gain

# Relative tolerance under which a solution counts as proven optimal.
OPTIMALITY_TOLERANCE = 1e-6
# Largest problem (nonzeros of the reach matrix, after merging equal demand rows and
# leaving out the candidates the bound excludes) given to HiGHS: its root cut rounds,
# which a node limit does not bound, took 14 s on one province problem of 11,000
# nonzeros and under 0.6 s on every one below 6,000. A size, not a time, so answers repeat.
MAX_EXACT_NONZEROS = 6_000
# Subgradient steps of the Lagrangian bound times the problem's nonzeros, at most: the
# bound's cost stays near a second on the largest kabupaten-wide problems.
BOUND_WORK = 1.0e7


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
    reach.sum_duplicates()
    reach.sort_indices()
    length = np.diff(reach.indptr)
    # Rows are grouped by a fingerprint (their length and a sum of random 64-bit column
    # keys, wrapping alike for equal rows), then each is compared column by column with
    # its group's first row: merging stays exact even if two rows shared a fingerprint.
    key = np.random.default_rng(0).integers(1, 2**62, size=reach.shape[1], dtype=np.int64)
    with np.errstate(over="ignore"):
        running = np.zeros(reach.nnz + 1, dtype=np.int64)
        np.cumsum(key[reach.indices], out=running[1:])
        fingerprint = running[reach.indptr[1:]] - running[reach.indptr[:-1]]
        fingerprint = fingerprint * np.int64(1_000_003) + length
    first, row_of = _first_and_rank(fingerprint)
    if not _same_as_leaders(reach, first[row_of]):
        row_of = _rows_by_content(reach)
        first = np.unique(row_of, return_index=True)[1]
    merged_weight = np.bincount(row_of, weights=weight, minlength=len(first))
    # Rows reached by some candidate, taken in one copy of the matrix.
    reached = length[first] > 0
    return reach[first[reached]], merged_weight[reached]


def _first_and_rank(key: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Return ``np.unique(key, return_index=True, return_inverse=True)[1:]``, sooner.

    The first position of each distinct key (in key order) and each position's
    key rank: an unstable sort suffices, the first position being the least
    of its run.
    """
    order = np.argsort(key)
    ordered = key[order]
    starts = np.empty(len(key), dtype=bool)
    starts[:1] = True
    np.not_equal(ordered[1:], ordered[:-1], out=starts[1:])
    rank = np.empty(len(key), dtype=np.intp)
    rank[order] = np.cumsum(starts) - 1
    return np.minimum.reduceat(order, np.flatnonzero(starts)), rank


def _same_as_leaders(reach: scipy.sparse.csr_matrix, leader: np.ndarray) -> bool:
    """Return True when every row has exactly the columns of its ``leader`` row.

    Only the rows led by another are compared (a leader matches itself).
    """
    length = np.diff(reach.indptr)
    follower = np.flatnonzero(leader != np.arange(len(leader)))
    if len(follower) == 0:
        return True
    size = length[follower]
    if (length[leader[follower]] != size).any():
        return False
    offset = np.arange(size.sum()) - np.repeat(np.cumsum(size) - size, size)
    mine = np.repeat(reach.indptr[follower], size) + offset
    theirs = np.repeat(reach.indptr[leader[follower]], size) + offset
    return bool((reach.indices[mine] == reach.indices[theirs]).all())


def _rows_by_content(reach: scipy.sparse.csr_matrix) -> np.ndarray:
    """Return a number per row, equal for rows with the same columns (the slow, sure way)."""
    keys: dict[bytes, int] = {}
    row_of = np.empty(reach.shape[0], dtype=np.int64)
    for row in range(reach.shape[0]):
        columns = reach.indices[reach.indptr[row] : reach.indptr[row + 1]].tobytes()
        row_of[row] = keys.setdefault(columns, len(keys))
    return row_of


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


def programme(
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
    objective, constraints, bounds = programme(reach, weight, p, group, group_budget)
    result = scipy.optimize.milp(objective, constraints=constraints, bounds=bounds)
    if result.x is None:
        return float(np.sum(weight))
    return float(-result.fun)


def solve_max_cover(
    reach: scipy.sparse.csr_matrix,
    weight: np.ndarray,
    p: int,
    *,
    group: np.ndarray | None = None,
    group_budget: np.ndarray | None = None,
    node_limit: int = 500,
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
    node_limit
        Branch-and-bound nodes HiGHS may explore; past it, the best answer
        found so far is kept and the bound says how good it is. A count of
        nodes, not a time, so that the answer does not depend on how busy
        the machine is.

    Returns
    -------
    CoverSolution
    """
    reach, weight = merge_equal_rows(reach, np.asarray(weight, dtype=float))
    return _solve_merged(reach, weight, p, group, group_budget, node_limit)


def _solve_merged(
    reach: scipy.sparse.csr_matrix,
    weight: np.ndarray,
    p: int,
    group: np.ndarray | None,
    group_budget: np.ndarray | None,
    node_limit: int,
) -> CoverSolution:
    """:func:`solve_max_cover` for a problem whose equal rows are already merged."""
    n_demand, n_candidates = reach.shape
    if p <= 0 or n_candidates == 0 or n_demand == 0 or weight.sum() <= 0:
        return CoverSolution(np.array([], dtype=int), 0.0, 0.0, True, "milp")
    objective, constraints, bounds = programme(reach, weight, p, group, group_budget)
    integrality = np.concatenate([np.ones(n_candidates), np.zeros(n_demand)])
    result = scipy.optimize.milp(
        objective,
        constraints=constraints,
        bounds=bounds,
        integrality=integrality,
        options={"node_limit": int(node_limit), "mip_rel_gap": 0.0, "disp": False},
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
        bound = lagrangian_bound(
            reach, weight, p, group=group, group_budget=group_budget, lower=candidates[-1][0]
        ).bound
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
    node_limit: int = 500,
    bound_work: float = BOUND_WORK,
) -> CoverSolution:
    """Choose sites when each group of candidates (a kecamatan) has its own number of sites.

    First a greedy choice improved by swaps, and a Lagrangian upper bound
    (:func:`jangkau.analysis.cover_bounds.lagrangian_bound`, whose search
    also meets feasible choices). When they meet, the choice is proven
    optimal. Otherwise problems up to :data:`MAX_EXACT_NONZEROS` go to HiGHS,
    which may explore ``node_limit`` branch-and-bound nodes (0: not tried);
    the best choice found is kept, with the smallest bound.

    Parameters
    ----------
    reach, weight
        As for :func:`solve_max_cover`.
    group, group_budget
        The group (0-based) of each candidate, and how many sites each group may get.
    total
        At most this many sites in all (a budget); by default the sum of the groups'.
    node_limit
        Branch-and-bound nodes HiGHS may explore (a count, for repeatable answers).
    bound_work
        Subgradient steps of the bound times nonzeros of the problem, at most
        (between 30 and 100 steps; a count, for repeatable answers).
    """
    reach, weight = merge_equal_rows(reach, np.asarray(weight, dtype=float))
    # By candidate once: the greedy, the bound and the ordering all read columns.
    reach = reach.tocsc()
    group_budget = np.asarray(group_budget, dtype=int)
    group = np.asarray(group, dtype=int)
    total = int(group_budget.sum()) if total is None else int(total)
    if total <= 0 or reach.shape[0] == 0 or reach.shape[1] == 0:
        return CoverSolution(np.array([], dtype=int), 0.0, 0.0, True, "milp")
    chosen = greedy_with_swaps(reach, weight, total, group=group, group_budget=group_budget)
    covered, method = covered_weight(reach, weight, chosen), "greedy+tukar"
    steps = int(np.clip(bound_work / max(reach.nnz, 1), 30, 100))
    relaxed = lagrangian_bound(
        reach,
        weight,
        total,
        group=group,
        group_budget=group_budget,
        lower=covered,
        max_iterations=steps,
    )
    bound = relaxed.bound
    if relaxed.covered > covered:
        chosen, covered, method = relaxed.chosen, relaxed.covered, "lagrange"

    def proven() -> bool:
        return bound - covered <= OPTIMALITY_TOLERANCE * max(bound, 1.0)

    if not proven() and node_limit > 0:
        # Candidates that cannot beat the incumbent at the bound's multipliers are left
        # out; the rest often make a problem HiGHS proves quickly.
        incumbent = covered
        keep = np.flatnonzero(~excluded_candidates(relaxed, group, group_budget, total, incumbent))
        sub_reach, sub_weight = merge_equal_rows(reach[:, keep], weight)
        if sub_reach.nnz <= MAX_EXACT_NONZEROS:
            exact = _solve_merged(
                sub_reach, sub_weight, total, group[keep], group_budget, node_limit
            )
            # A better choice uses only kept candidates, so this bounds every choice.
            bound = min(bound, max(exact.upper_bound, incumbent))
            if exact.covered > covered:
                chosen, covered, method = keep[exact.chosen], exact.covered, exact.method
    bound = max(bound, covered)
    return CoverSolution(order_by_gain(reach, weight, chosen), covered, bound, proven(), method)
