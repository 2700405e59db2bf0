"""The maximal covering solver against known optima: by hand, brute force, and spopt's own instance."""

import itertools
from importlib import resources

import numpy as np
import pandas as pd
import pytest
import scipy.sparse

from jangkau.analysis.cover_bounds import excluded_candidates, lagrangian_bound, singleton_bound
from jangkau.analysis.mclp import (
    greedy_with_swaps,
    relaxation_bound,
    solve_grouped,
    solve_max_cover,
)


def brute_force(reach: np.ndarray, weight: np.ndarray, p: int) -> float:
    best = 0.0
    for k in range(1, p + 1):
        for combo in itertools.combinations(range(reach.shape[1]), k):
            best = max(best, float(weight[reach[:, list(combo)].any(axis=1)].sum()))
    return best


def test_greedy_trap_is_solved_exactly():
    # Candidates 0 and 1 each reach three points (30), candidate 2 the last two (20). Greedy
    # takes 0 first and ends at 30 + 10 = 40; candidates 1 and 2 reach all five (50).
    reach = np.array(
        [
            [0, 1, 0],
            [1, 1, 0],
            [1, 1, 0],
            [1, 0, 1],
            [0, 0, 1],
        ],
        dtype=bool,
    )
    weight = np.full(5, 10.0)
    solution = solve_max_cover(scipy.sparse.csr_matrix(reach), weight, 2)
    assert solution.covered == pytest.approx(brute_force(reach, weight, 2))
    assert solution.proven_optimal and solution.gap == 0.0
    assert sorted(solution.chosen.tolist()) == [1, 2]


def test_random_instances_match_brute_force_and_bounds_hold():
    rng = np.random.default_rng(7)
    for _ in range(25):
        n_demand, n_candidates, p = rng.integers(5, 30), rng.integers(3, 9), rng.integers(1, 4)
        reach = rng.random((n_demand, n_candidates)) < 0.25
        weight = rng.integers(1, 100, n_demand).astype(float)
        optimum = brute_force(reach, weight, p)
        sparse = scipy.sparse.csr_matrix(reach)
        solution = solve_max_cover(sparse, weight, p)
        assert solution.covered == pytest.approx(optimum)
        assert len(solution.chosen) <= p
        # The bound from the relaxation is never below the optimum, the heuristic never above it.
        assert relaxation_bound(sparse, weight, p) >= optimum - 1e-6
        heuristic = greedy_with_swaps(sparse, weight, p)
        assert weight[reach[:, heuristic].any(axis=1)].sum() <= optimum + 1e-6


def test_group_budgets_are_respected():
    # Two groups of candidates; group 0 may take one site only, although its two candidates
    # would together reach the most.
    reach = np.zeros((6, 4), dtype=bool)
    reach[0:3, 0] = reach[3:6, 1] = True  # group 0: 30 each
    reach[0, 2] = reach[5, 3] = True  # group 1: 10 each
    weight = np.full(6, 10.0)
    group = np.array([0, 0, 1, 1])
    solution = solve_max_cover(
        scipy.sparse.csr_matrix(reach), weight, 2, group=group, group_budget=np.array([1, 2])
    )
    assert (group[solution.chosen] == 0).sum() <= 1
    # Best under the budget: one group-0 site (30) and the group-1 site on the other side (10).
    assert solution.covered == pytest.approx(40.0)


def _spopt_instance():
    data = resources.files("spopt").joinpath("tests", "test_locate", "data")
    distance = pd.read_csv(data / "SF_network_distance_candidateStore_16_censusTract_205_new.csv")
    demand = pd.read_csv(data / "SF_demand_205_centroid_uniform_weight.csv")
    matrix = distance.pivot_table(values="distance", index="DestinationName", columns="name")
    demand = demand.sort_values("NAME").reset_index(drop=True)
    return matrix.to_numpy(), demand["POP2000"].to_numpy(dtype=float)


def test_reaches_spopt_optimum_on_its_san_francisco_instance():
    pulp = pytest.importorskip("pulp")
    from spopt.locate import MCLP

    costs, weight = _spopt_instance()
    assert costs.shape == (205, 16)
    reference = MCLP.from_cost_matrix(costs, weight, 5000.0, 4)
    reference = reference.solve(pulp.PULP_CBC_CMD(msg=False))
    assert reference.problem.status == pulp.LpStatusOptimal
    optimum = float(pulp.value(reference.problem.objective))
    # spopt's own test states 89.756 % of the tracts covered at the optimum (21 of 205 not).
    assert reference.perc_cov == pytest.approx(89.75609756097561)

    solution = solve_max_cover(scipy.sparse.csr_matrix(costs <= 5000.0), weight, 4)
    assert solution.covered == pytest.approx(optimum)
    assert solution.proven_optimal
    assert solution.gap == 0.0
    covered_tracts = (costs[:, solution.chosen] <= 5000.0).any(axis=1).sum()
    assert covered_tracts == 205 - 21


def test_without_nodes_to_prove_the_bound_still_holds():
    costs, weight = _spopt_instance()
    reach = scipy.sparse.csr_matrix(costs <= 5000.0)
    exact = solve_max_cover(reach, weight, 4)
    rushed = solve_max_cover(reach, weight, 4, node_limit=0)
    assert len(rushed.chosen) <= 4
    assert rushed.covered == pytest.approx(
        weight[(costs[:, rushed.chosen] <= 5000.0).any(axis=1)].sum()
    )
    assert rushed.covered <= exact.covered + 1e-6 <= rushed.upper_bound + 1e-6
    assert rushed.gap == pytest.approx((rushed.upper_bound - rushed.covered) / rushed.upper_bound)


def brute_force_grouped(reach, weight, group, group_budget, p, first=False):
    """Best weight over every choice of at most ``p`` candidates within the group budgets.

    With ``first``, only choices that contain candidate 0.
    """
    best = 0.0
    for k in range(1, p + 1):
        for combo in itertools.combinations(range(reach.shape[1]), k):
            if first and 0 not in combo:
                continue
            if (np.bincount(group[list(combo)], minlength=len(group_budget)) > group_budget).any():
                continue
            best = max(best, float(weight[reach[:, list(combo)].any(axis=1)].sum()))
    return best


def test_lagrangian_bound_is_tight_where_the_singleton_bound_is_not():
    # Points A and B (10 each) are reached by candidates 0 and 1, C by 2, D by 3. Two sites:
    # the best reach 30 (0 with 2, or with 3). Each site alone: 20, 20, 10, 10, so the
    # singleton bound says 40; the linear relaxation (and so the Lagrangian) says 30.
    reach = np.zeros((4, 4), dtype=bool)
    reach[0:2, 0] = reach[0:2, 1] = True
    reach[2, 2] = reach[3, 3] = True
    weight = np.full(4, 10.0)
    sparse = scipy.sparse.csr_matrix(reach)
    assert singleton_bound(sparse, weight, 2) == pytest.approx(40.0)
    bound = lagrangian_bound(sparse, weight, 2, lower=30.0, max_iterations=200)
    assert 30.0 - 1e-9 <= bound.bound <= 30.0 + 1e-4
    # Without HiGHS the greedy choice and the bound together prove the optimum.
    solution = solve_grouped(sparse, weight, np.zeros(4, int), np.array([2]), node_limit=0)
    assert solution.covered == pytest.approx(30.0)
    assert solution.proven_optimal and solution.gap == 0.0


@pytest.mark.parametrize("seed", range(4))
def test_bounds_without_the_exact_solver_hold_against_brute_force(seed):
    rng = np.random.default_rng(seed)
    for _ in range(20):
        n_demand, n_candidates = int(rng.integers(6, 40)), int(rng.integers(3, 10))
        n_groups = int(rng.integers(1, 4))
        group = rng.integers(0, n_groups, n_candidates)
        group_budget = rng.integers(1, 3, n_groups)
        p = int(rng.integers(1, group_budget.sum() + 1))
        reach = rng.random((n_demand, n_candidates)) < rng.uniform(0.1, 0.4)
        weight = rng.integers(1, 100, n_demand).astype(float)
        optimum = brute_force_grouped(reach, weight, group, group_budget, p)
        sparse = scipy.sparse.csr_matrix(reach)
        bound = lagrangian_bound(
            sparse, weight, p, group=group, group_budget=group_budget, lower=0.0
        )
        assert bound.bound >= optimum - 1e-6
        assert (
            bound.bound
            <= singleton_bound(sparse, weight, p, group=group, group_budget=group_budget) + 1e-6
        )
        # Every choice met on the way is feasible and reaches what it says.
        chosen = bound.chosen
        assert len(chosen) <= p
        assert (np.bincount(group[chosen], minlength=n_groups) <= group_budget).all()
        assert bound.covered == pytest.approx(weight[reach[:, chosen].any(axis=1)].sum())
        # A candidate left out of the exact search cannot be part of anything better.
        incumbent = bound.covered
        excluded = excluded_candidates(bound, group, group_budget, p, incumbent)
        for j in np.flatnonzero(excluded):
            with_j = brute_force_grouped(
                reach[:, [j, *np.delete(np.arange(n_candidates), j)]],
                weight,
                np.r_[group[j], np.delete(group, j)],
                group_budget,
                p,
                first=True,
            )
            assert with_j <= incumbent + 1e-6
        exact = solve_grouped(sparse, weight, group, group_budget, total=p, node_limit=50)
        assert exact.covered == pytest.approx(optimum) and exact.proven_optimal
        rushed = solve_grouped(sparse, weight, group, group_budget, total=p, node_limit=0)
        assert rushed.covered <= optimum + 1e-6 <= rushed.upper_bound + 1e-6
        assert rushed.covered == pytest.approx(weight[reach[:, rushed.chosen].any(axis=1)].sum())
        if rushed.proven_optimal:
            assert rushed.covered == pytest.approx(optimum)


def test_budget_choice_takes_the_best_of_each_group_then_the_best_overall():
    from jangkau.analysis.cover_bounds import budget_choice

    # Group 0 (at most 2): values 9, 7, 5; group 1 (at most 1): 8, 6; group 2 (at most 2): 0, 0.
    value = np.array([5.0, 9.0, 8.0, 0.0, 7.0, 6.0, 0.0])
    group = np.array([0, 0, 1, 2, 0, 1, 2])
    budget = np.array([2, 1, 2])
    # Group winners: 9 and 7 (group 0), 8 (group 1); candidates worth nothing are never taken.
    assert budget_choice(value, group, budget, 5).tolist() == [1, 2, 4]
    assert budget_choice(value, group, budget, 2).tolist() == [1, 2]
    # One group: the best p, best first (the path that skips the grouping).
    assert budget_choice(value, np.zeros(7, dtype=int), np.array([4]), 3).tolist() == [1, 2, 4]
    assert budget_choice(value, np.zeros(7, dtype=int), np.array([2]), 3).tolist() == [1, 2]
    assert budget_choice(np.zeros(3), np.zeros(3, dtype=int), np.array([2]), 2).tolist() == []


def test_budget_choice_matches_a_sort_by_group_and_value():
    from jangkau.analysis.cover_bounds import budget_choice

    rng = np.random.default_rng(4)
    for groups in (1, 3, 12):
        for _ in range(30):
            n = int(rng.integers(1, 300))
            # Distinct values (and some zeros): the answer does not depend on how ties fall.
            value = rng.permutation(n).astype(float) * (rng.random(n) > 0.2)
            group = rng.integers(0, groups, n)
            budget = rng.integers(0, 4, groups)
            p = int(rng.integers(1, 10))
            kept = [
                j
                for g in range(groups)
                for j in sorted(
                    np.flatnonzero((group == g) & (value > 0)), key=lambda j: -value[j]
                )[: budget[g]]
            ]
            expected = sorted(kept, key=lambda j: -value[j])[:p]
            assert budget_choice(value, group, budget, p).tolist() == expected
