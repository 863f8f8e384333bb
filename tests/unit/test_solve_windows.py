"""The window solver on small systems with known answers: determined, under-determined,
inconsistent (rounding), a solution that would go negative; exactness by connectivity, masks,
snapping, shapes, target periods and the banded algebra against dense numpy."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import numpy as np
import pytest
from scipy.optimize import nnls

from ingestion.solve import (
    ESTIMATE,
    EXACT,
    FLAT_DAY,
    NONE,
    Flat,
    Reference,
    WeekProfile,
    best_covering,
    calendar_days,
    fetch_periods,
    solve,
    solve_with_shape,
    weekday_factors,
)
from ingestion.solve.banded import BandCholesky, gram_band, nonnegative_solve
from ingestion.solve.incremental import DEFAULT_BLOCKS, affected_targets, solve_blocks
from ingestion.solve.partition import build_partition, components, snap

DAY = 86_400.0
T0 = datetime(2026, 3, 2, tzinfo=UTC).timestamp()  # a Monday


def days(*pairs: tuple[float, float]) -> np.ndarray:
    """Intervals given in days from T0."""
    return np.array([(T0 + a * DAY, T0 + b * DAY) for a, b in pairs])


def column(*values: float) -> np.ndarray:
    return np.array(values, dtype=float)[:, None]


# ------------------------------------------------------------------ determined


def test_one_day_windows_give_their_own_days_exactly():
    windows = days((0, 1), (1, 2), (2, 3))
    solution = solve(windows, column(10, 20, 30), windows)
    assert solution.kind[:, 0].tolist() == [EXACT] * 3
    np.testing.assert_allclose(solution.value[:, 0], [10, 20, 30], atol=1e-4)
    assert np.all(solution.error[:, 0] == 0)


def test_nested_windows_asked_at_one_moment_give_three_exact_days():
    windows = days((2, 3), (1, 3), (0, 3))
    solution = solve(windows, column(30, 50, 60), days((0, 1), (1, 2), (2, 3)))
    assert solution.kind[:, 0].tolist() == [EXACT] * 3
    np.testing.assert_allclose(solution.value[:, 0], [10, 20, 30], atol=1e-4)


def test_nested_windows_asked_seconds_apart_are_snapped_onto_one_moment():
    windows = days((2, 3), (1, 3), (0, 3)) + np.array([[0, 0], [4, 4], [9, 9]])
    solution = solve(windows, column(30, 50, 60), days((0, 1), (1, 2), (2, 3)))
    assert solution.kind[:, 0].tolist() == [EXACT] * 3
    np.testing.assert_allclose(solution.value[:, 0], [10, 20, 30], atol=1e-4)


def test_a_chain_of_overlapping_windows_pins_the_days_when_it_links_their_edges():
    # two one-day windows then 3-day windows a day apart: each new day is a difference
    windows = days((0, 1), (1, 2), (0, 3), (1, 4), (2, 5))
    truth = np.array([5.0, 7.0, 11.0, 13.0, 17.0])
    values = np.array([5, 7, 23, 31, 41], dtype=float)[:, None]
    targets = days(*[(k, k + 1) for k in range(5)])
    solution = solve(windows, values, targets)
    assert solution.kind[:, 0].tolist() == [EXACT] * 5
    np.testing.assert_allclose(solution.value[:, 0], truth, atol=1e-4)


def test_exactness_is_connectivity_of_window_edges():
    windows = days((0, 3), (1, 4), (2, 5))
    partition = build_partition(windows[:, 0], windows[:, 1], windows[:1, 0], windows[:1, 1])
    component = components(partition, np.ones(3, dtype=bool))
    # each window links its own two edges and nothing else
    assert len(set(component.tolist())) == 3


# ------------------------------------------------------------------ under-determined


def test_a_single_three_day_window_is_split_evenly_and_stated_as_estimates():
    solution = solve_with_shape(days((0, 3)), column(300), days((0, 1), (1, 2), (2, 3)), Flat())
    assert solution.kind[:, 0].tolist() == [ESTIMATE] * 3
    np.testing.assert_allclose(solution.value[:, 0], [100, 100, 100], rtol=1e-3)
    np.testing.assert_allclose(solution.value[:, 0].sum(), 300, rtol=1e-6)
    assert np.all(solution.error[:, 0] > 0)


def test_consecutive_three_day_windows_alone_leave_the_days_undetermined():
    windows = days(*[(k, k + 3) for k in range(10)])
    truth = np.full(12, 100.0)
    values = np.array([truth[k : k + 3].sum() for k in range(10)])[:, None]
    solution = solve(windows, values, days(*[(k, k + 1) for k in range(12)]))
    assert set(solution.kind[:, 0].tolist()) == {ESTIMATE}
    np.testing.assert_allclose(solution.value[:, 0], truth, rtol=1e-3)


def test_windows_that_fix_the_sum_and_not_the_split_state_an_error_that_shrinks_with_data():
    few = solve_with_shape(days((0, 2)), column(200), days((0, 1)), Flat())
    more = solve_with_shape(days((0, 2), (1, 2)), column(200, 100), days((0, 1)), Flat())
    assert few.kind[0, 0] == ESTIMATE and few.error[0, 0] > 0
    assert more.kind[0, 0] == EXACT and more.error[0, 0] == 0


def test_a_target_no_window_touches_has_no_value():
    solution = solve(days((0, 1)), column(10), days((0, 1), (5, 6)))
    assert solution.kind[:, 0].tolist() == [EXACT, NONE]
    assert np.isnan(solution.value[1, 0]) and np.isnan(solution.error[1, 0])


# ------------------------------------------------------------------ inconsistent (rounding)


def test_inconsistent_windows_are_fitted_by_least_squares_and_stay_exact():
    # the 2-day window says 31 but its days say 10 and 20: rounding of inputs
    windows = days((0, 1), (1, 2), (0, 2))
    solution = solve(windows, column(10, 20, 31), days((0, 1), (1, 2), (0, 2)), rounding=0.5)
    assert solution.kind[:, 0].tolist() == [EXACT] * 3
    np.testing.assert_allclose(
        solution.value[:, 0], [10 + 1 / 3, 20 + 1 / 3, 30 + 2 / 3], atol=1e-3
    )
    assert np.all(solution.error[:, 0] > 0) and np.all(solution.error[:, 0] <= 1.0 + 1e-9)


def test_exactness_does_not_depend_on_the_values():
    windows = days((0, 1), (1, 3), (0, 3))
    targets = days((0, 1), (1, 2), (1, 3))
    kinds = [
        solve(windows, column(*v), targets).kind[:, 0].tolist() for v in [(1, 2, 3), (7, 0, 9)]
    ]
    assert kinds[0] == kinds[1] == [EXACT, ESTIMATE, EXACT]


# ------------------------------------------------------------------ non-negative


def test_a_solution_that_would_go_negative_is_held_at_zero_and_still_fits():
    # day 1 must be 0: the 2-day window holds only day 0's 50; unconstrained smoothing
    # would push day 1 below zero to follow the neighbours
    windows = days((0, 2), (0, 1), (2, 4), (3, 4))
    values = column(50, 50, 100, 0)
    solution = solve_with_shape(windows, values, days(*[(k, k + 1) for k in range(4)]), Flat())
    assert np.all(solution.intervals >= 0)
    np.testing.assert_allclose(solution.value[:, 0], [50, 0, 100, 0], atol=1e-3)


def test_sparse_counts_stay_non_negative_and_fit_their_windows():
    rng = np.random.default_rng(3)
    truth = rng.poisson(0.4, size=40).astype(float)
    windows = days(*[(k, k + 3) for k in range(38)], (0, 1), (1, 2))
    values = np.array([truth[int(a) : int(b)].sum() for a, b in (windows - T0) / DAY])[:, None]
    solution = solve(windows, values, days(*[(k, k + 1) for k in range(40)]))
    assert np.all(solution.value[:, 0] >= 0)
    fitted = [solution.value[int(a) : int(b), 0].sum() for a, b in (windows - T0) / DAY]
    np.testing.assert_allclose(fitted, values[:, 0], atol=1e-3)


def test_nonnegative_solve_matches_scipy_nnls_on_a_least_squares_problem():
    rng = np.random.default_rng(1)
    size, width = 12, 3
    matrix = np.zeros((20, size))
    for row in range(20):
        first = rng.integers(0, size - width)
        matrix[row, first : first + width] = rng.uniform(0.5, 1.5, size=width)
    target = rng.normal(size=20)
    expected, _ = nnls(matrix, target)
    normal = matrix.T @ matrix + 1e-9 * np.eye(size)
    band = np.array([np.concatenate([np.diag(normal, -d), np.zeros(d)]) for d in range(width)])
    start = BandCholesky(band).solve(matrix.T @ target)
    got = nonnegative_solve(band, matrix.T @ target, start, np.ones(size, dtype=bool))
    np.testing.assert_allclose(got, expected, atol=1e-6)


# ------------------------------------------------------------------ many series, masks


def test_series_solved_together_equal_series_solved_alone():
    windows = days((0, 3), (1, 4), (2, 5), (0, 1), (4, 5))
    values = np.array([[30, 3], [33, 6], [36, 0], [9, 1], [13, 0]], dtype=float)
    targets = days(*[(k, k + 1) for k in range(5)])
    together = solve(windows, values, targets, shape=Flat())
    for s in range(2):
        alone = solve(windows, values[:, [s]], targets, shape=Flat())
        np.testing.assert_allclose(together.value[:, s], alone.value[:, 0], atol=1e-6)


def test_a_masked_snapshot_gives_no_equation_to_the_series_absent_from_it():
    windows = days((0, 1), (1, 2))
    values = np.array([[10, 5], [0, 0]], dtype=float)  # day 1: a truncated block
    mask = np.array([[True, True], [True, False]])
    solution = solve(windows, values, windows, mask=mask)
    assert solution.kind[1].tolist() == [EXACT, NONE]
    assert solution.value[1, 0] == pytest.approx(0, abs=1e-4)


# ------------------------------------------------------------------ partition, targets


def test_snap_joins_edges_chained_closer_than_the_tolerance():
    times = np.array([100.0, 0.0, 250.0, 1000.0])
    assert snap(times, 300).tolist() == [0.0, 0.0, 0.0, 1000.0]


def test_fetch_periods_cut_gaps_into_24_hours_counted_back_from_the_later_fetch():
    fetches = [T0 + k * DAY + 600 for k in (3, 4, 7)]
    windows = np.array([(f - 3 * DAY if k == 0 else f - DAY, f) for k, f in enumerate(fetches)])
    periods = (fetch_periods(windows) - T0 - 600) / DAY
    assert periods.tolist() == [[0, 1], [1, 2], [2, 3], [3, 4], [4, 5], [5, 6], [6, 7]]


def test_fetch_periods_of_a_jittered_schedule_are_one_per_fetch():
    fetches = T0 + DAY * np.arange(3, 8) + np.array([0, 3600, 600, 4000, 100])
    windows = np.column_stack([fetches - 3 * DAY, fetches])
    periods = fetch_periods(windows)
    assert np.all(np.isin(periods[2:, 1], fetches))
    assert np.all(np.abs(np.diff(periods[2:], axis=1) - DAY) < 4000)


def test_calendar_days_follow_the_zone_including_dst():
    zone = ZoneInfo("Europe/Paris")
    dates, bounds = calendar_days(date(2026, 3, 28), date(2026, 3, 30), zone)
    assert np.diff(bounds, axis=1)[:, 0].tolist() == [DAY, DAY - 3600, DAY]
    assert dates[1] == date(2026, 3, 29)


def test_best_covering_gives_each_date_the_period_that_covers_it_most():
    start = datetime(2026, 3, 2, 7, tzinfo=UTC)
    periods = np.array([((start + timedelta(days=k)).timestamp(),) * 2 for k in range(3)])
    periods[:, 0] -= DAY
    dates, _ = calendar_days(date(2026, 3, 1), date(2026, 3, 4))
    choice = best_covering(periods, dates)
    assert choice.period.tolist() == [0, 1, 2, -1]
    assert choice.day_coverage[0] == pytest.approx(17 / 24)


# ------------------------------------------------------------------ shapes


def test_week_profile_masses_add_up_and_follow_the_hours():
    hours = tuple(1.0 if 8 <= h < 20 else 0.25 for h in range(24))
    profile = WeekProfile(hours)
    whole = profile.mass(np.array([T0]), np.array([T0 + 7 * DAY]))
    assert whole[0] == pytest.approx(7.0)
    night = profile.mass(np.array([T0]), np.array([T0 + 3600]))[0]
    noon = profile.mass(np.array([T0 + 12 * 3600]), np.array([T0 + 13 * 3600]))[0]
    assert noon == pytest.approx(4 * night)


def test_weekday_factors_find_a_weekend_dip():
    nodes = T0 + DAY * np.arange(29)
    masses = np.tile([10, 10, 10, 10, 10, 5, 5], 4).astype(float)
    factors = weekday_factors(nodes, masses, FLAT_DAY)
    np.testing.assert_allclose(factors / factors[0], [1, 1, 1, 1, 1, 0.5, 0.5], atol=1e-9)


def test_a_reference_shape_splits_a_window_as_the_related_series_does():
    reference = Reference(T0 + DAY * np.arange(3.0), np.array([30.0, 10.0]))
    split = solve_with_shape(days((0, 2)), column(8), days((0, 1), (1, 2)), reference)
    np.testing.assert_allclose(split.value[:, 0], [6, 2], rtol=1e-3)


def test_gram_band_is_the_normal_matrix_of_the_window_matrix():
    windows = days((0, 3), (1, 2), (2, 5), (0, 1))
    partition = build_partition(windows[:, 0], windows[:, 1], windows[:1, 0], windows[:1, 1])
    dense = partition.window_matrix()
    scale = np.arange(1, partition.size + 1, dtype=float)
    weights = np.ones(4)
    band = gram_band(
        partition.window_first, partition.window_stop, weights, scale, partition.bandwidth
    )
    expected = (dense * scale).T @ (dense * scale)
    for d in range(band.shape[0]):
        np.testing.assert_allclose(band[d, : partition.size - d], np.diag(expected, -d))


# ------------------------------------------------------------------ incremental blocks


def _nightly_layout(nights: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    ends = T0 + DAY * np.arange(3, 3 + nights) + rng.uniform(0, 4000, size=nights)
    windows = np.column_stack([ends - 3 * DAY, ends])
    rate = 100 + 20 * np.sin(np.arange(nights + 3) / 3)
    values = np.array([[rate[k : k + 3].sum(), rate[k : k + 3].sum() / 10] for k in range(nights)])
    return windows, values


def test_a_new_snapshot_changes_only_the_targets_of_the_blocks_it_reaches():
    windows, _ = _nightly_layout(60)
    periods = fetch_periods(windows)
    changed = affected_targets(periods, windows[-1:])
    assert changed[-1] and not changed[: periods.shape[0] // 2].any()
    ends = periods[changed, 1]
    reach = DEFAULT_BLOCKS.stride_days + DEFAULT_BLOCKS.lookahead_days
    assert ends.min() > windows[-1, 1] - (reach + DEFAULT_BLOCKS.stride_days) * DAY


def test_blocks_solved_day_by_day_equal_a_full_refresh():
    windows, values = _nightly_layout(50)
    periods = fetch_periods(windows)
    full = solve_blocks(windows, values, periods)
    state = solve_blocks(windows[:40], values[:40], fetch_periods(windows[:40]))
    for night in range(40, 50):
        upto = slice(0, night + 1)
        targets = fetch_periods(windows[upto])
        touched = np.unique(
            DEFAULT_BLOCKS.block_of(targets[affected_targets(targets, windows[[night]]), 1])
        )
        state = solve_blocks(windows[upto], values[upto], targets, only=touched, previous=state)
    np.testing.assert_allclose(state.value, full.value, rtol=1e-9, atol=1e-9)
    np.testing.assert_array_equal(state.kind, full.kind)


def test_no_snapshot_at_all_gives_no_value_and_a_wrong_shape_says_so():
    solution = solve(np.zeros((0, 2)), np.zeros((0, 2)), days((0, 1)))
    assert solution.kind.tolist() == [[NONE, NONE]]
    with pytest.raises(ValueError, match="one row per window"):
        solve(days((0, 1)), np.zeros((2, 1)), days((0, 1)))
