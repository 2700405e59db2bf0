"""The covering solver's shortcuts give bit for bit what its plain formulas give.

The published bound and the sites shown depend on every float and every tie,
so each shortcut (multipliers stepped only where they move, the open weight
kept point by point, swaps not tried again, order by gain summing only what
changed, row merging) is compared here with the plain formula written out
in this file, on problems full of ties (small whole weights, repeated columns).
"""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse

from jangkau.analysis import cover_bounds, cover_greedy, mclp


def instance(seed: int, n_demand: int, n_candidates: int, density: float, n_groups: int):
    """A random reach matrix with repeated columns and rows, small whole weights, groups."""
    rng = np.random.default_rng(seed)
    reach = scipy.sparse.random(
        n_demand, n_candidates, density=density, format="csc", random_state=rng
    )
    reach.data[:] = 1.0
    columns = reach.toarray()
    columns[:, 1::9] = columns[:, 0::9][:, : columns[:, 1::9].shape[1]]  # equal candidates
    columns[1::11] = columns[0::11][: columns[1::11].shape[0]]  # equal demand points
    weight = rng.integers(0, 4, n_demand).astype(float)
    group = rng.integers(0, n_groups, n_candidates)
    budget = rng.integers(1, 4, n_groups)
    return scipy.sparse.csc_matrix(columns), weight, group, budget


def plain_choice(value, group, budget, p):
    """The budget choice as defined: numpy's argsort of -value decides ties within a group."""
    order = np.argsort(-value)
    taken = np.zeros(len(budget), dtype=int)
    kept = []
    for j in order:
        if value[j] <= 0:
            break
        if taken[group[j]] < budget[group[j]]:
            taken[group[j]] += 1
            kept.append(j)
    place = {j: i for i, j in enumerate(kept)}
    kept.sort(key=lambda j: (-value[j], group[j], place[j]))
    return np.array(kept[:p], dtype=np.intp)


def plain_lagrangian(reach, weight, p, group, budget, lower, max_iterations):
    """The subgradient search over every demand point at every step, as first written."""
    by_candidate = scipy.sparse.csc_matrix(reach)
    by_candidate.data = np.ones_like(by_candidate.data, dtype=float)
    by_demand = by_candidate.T.tocsr()
    best, best_chosen, best_covered = np.inf, np.array([], dtype=int), 0.0
    best_value, best_relaxed = np.zeros(reach.shape[1]), np.array([], dtype=int)
    multiplier = weight.copy()
    step_scale, since_better, steps = 2.0, 0, 0
    for steps in range(1, max_iterations + 1):  # noqa: B007
        value = by_demand @ multiplier
        chosen = plain_choice(value, group, budget, p)
        slack = weight - multiplier
        open_part = slack > 0
        bound = float(np.sum(slack[open_part]) + value[chosen].sum())
        hits = np.rint(np.asarray(by_candidate[:, chosen].sum(axis=1)).ravel()).astype(np.int64)
        covered = float(weight[hits > 0].sum())
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
        if best - target <= 1e-6 * max(best, 1.0) or step_scale < 0.02:
            break
        slope = hits - open_part
        norm = float(np.dot(slope, slope))
        if norm == 0:
            break
        multiplier = np.clip(multiplier - step_scale * (bound - target) / norm * slope, 0.0, weight)
    return (
        min(best, float(weight.sum())),
        best_chosen,
        best_covered,
        steps,
        best,
        best_value,
        best_relaxed,
    )


def plain_greedy(reach, weight, p, group, limit, max_rounds=10):
    """Greedy then single swaps, every gain from the whole product."""
    by_candidate = scipy.sparse.csc_matrix(reach)
    gains_of = by_candidate.T.tocsr()
    used = np.zeros(len(limit), dtype=int)
    count = np.zeros(reach.shape[0], dtype=np.int64)
    chosen: list[int] = []

    def rows(c):
        return by_candidate.indices[by_candidate.indptr[c] : by_candidate.indptr[c + 1]]

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


def plain_order(reach, weight, chosen):
    """Each next candidate the one adding most, every gain summed afresh."""
    by_candidate = scipy.sparse.csc_matrix(reach)
    remaining, ordered = list(chosen), []
    open_weight = weight.copy()
    while remaining:
        gains = [
            open_weight[
                by_candidate.indices[by_candidate.indptr[c] : by_candidate.indptr[c + 1]]
            ].sum()
            for c in remaining
        ]
        best = remaining.pop(int(np.argmax(gains)))
        ordered.append(best)
        open_weight[
            by_candidate.indices[by_candidate.indptr[best] : by_candidate.indptr[best + 1]]
        ] = 0.0
    return np.array(ordered, dtype=int)


def same_bits(a, b) -> bool:
    a, b = np.asarray(a), np.asarray(b)
    return a.shape == b.shape and a.tobytes() == b.tobytes()


@pytest.mark.parametrize(("seed", "n_groups"), [(1, 1), (2, 5), (3, 14)])
def test_lagrangian_bound_is_bit_for_bit_the_plain_search(seed, n_groups):
    n_candidates = 1200
    reach, weight, group, budget = instance(seed, 1500, n_candidates, 0.004, n_groups)
    p = int(budget.sum()) if n_groups > 1 else 6
    budget = budget if n_groups > 1 else np.array([p])
    if seed == 2:
        weight[::5] = -0.0  # a signed zero: every point is stepped, as the formula reads
    result = cover_bounds.lagrangian_bound(
        reach, weight, p, group=group, group_budget=budget, lower=0.0, max_iterations=80
    )
    plain = plain_lagrangian(reach, weight, p, group, budget, 0.0, 80)
    fields = (result.bound, result.chosen, result.covered, result.iterations, result.lagrangian)
    for mine, theirs in zip(fields + (result.value, result.relaxed), plain, strict=True):
        assert same_bits(mine, theirs)
    assert result.iterations > 10


@pytest.mark.parametrize(("seed", "n_groups"), [(3, 4), (4, 1), (5, 4), (6, 1), (7, 4)])
def test_greedy_with_swaps_and_its_order_are_the_plain_ones(seed, n_groups):
    reach, weight, group, budget = instance(seed, 200, 80, 0.08, n_groups)
    p = int(budget.sum()) + 2 if n_groups > 1 else 7
    limit = budget if n_groups > 1 else np.array([p])
    kwargs = {"group": group, "group_budget": limit}
    chosen = cover_greedy.greedy_with_swaps(reach, weight, p, **kwargs)
    assert same_bits(chosen, plain_greedy(reach, weight, p, group, limit))
    # These problems were picked so that the swaps change the greedy choice.
    assert not same_bits(chosen, plain_greedy(reach, weight, p, group, limit, max_rounds=0))
    assert same_bits(
        cover_greedy.order_by_gain(reach, weight, chosen), plain_order(reach, weight, chosen)
    )
    # Data other than 1.0: gains are not summed one by one, but the answer is the same.
    scaled = reach.copy()
    scaled.data[:] = 2.0
    assert same_bits(
        cover_greedy.greedy_with_swaps(scaled, weight, p, **kwargs),
        plain_greedy(scaled, weight, p, group, limit),
    )


def test_merging_rows_finds_first_rows_and_ranks_as_unique_does_and_checks_leaders():
    key = np.array([7, 3, 7, 9, 3, 3, -2])
    first, rank = mclp._first_and_rank(key)
    assert first.tolist() == [6, 1, 0, 3]  # -2, 3, 7, 9: where each is first met
    assert rank.tolist() == [2, 1, 2, 3, 1, 1, 0]
    rows = scipy.sparse.csr_matrix(np.array([[1, 0, 1], [1, 0, 1], [0, 1, 1], [1, 1, 0]]))
    assert mclp._same_as_leaders(rows, np.array([0, 0, 2, 3]))
    # A fingerprint shared by rows that differ (same length, other columns) is caught.
    assert not mclp._same_as_leaders(rows, np.array([0, 0, 0, 3]))
    assert not mclp._same_as_leaders(rows, np.array([0, 0, 2, 2]))
    merged, weight = mclp.merge_equal_rows(rows, np.array([1.0, 2.0, 4.0, 8.0]))
    assert sorted(zip(map(tuple, merged.toarray().tolist()), weight.tolist(), strict=True)) == [
        ((0, 1, 1), 4.0),
        ((1, 0, 1), 3.0),
        ((1, 1, 0), 8.0),
    ]
