"""The elementary intervals of a window layout: every window edge and every target edge cut the
time axis, and each window or target is a run of consecutive intervals (pure numpy)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

import numpy as np

DAY_SECONDS = 86_400.0
# Edges of different windows closer than this are one moment: requests asked back to back (a
# nested set) land seconds apart, and the traffic of those seconds is below the rounding.
DEFAULT_SNAP_SECONDS = 300.0


def as_seconds(moments: Iterable[datetime | float | int] | np.ndarray) -> np.ndarray:
    """UTC epoch seconds (float64) of datetimes (naive ones are UTC) or numbers."""
    if isinstance(moments, np.ndarray) and moments.dtype.kind in "fiu":
        return moments.astype(np.float64)
    values = []
    for moment in moments:
        if isinstance(moment, datetime):
            aware = moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
            values.append(aware.timestamp())
        else:
            values.append(float(moment))
    return np.asarray(values, dtype=np.float64)


def snap(times: np.ndarray, tolerance: float) -> np.ndarray:
    """Each time replaced by the earliest of its cluster (times chained less than ``tolerance``
    apart), so that windows asked seconds apart share their edges."""
    if times.size == 0:
        return times.copy()
    order = np.argsort(times, kind="stable")
    ordered = times[order]
    starts_cluster = np.concatenate([[True], np.diff(ordered) > tolerance])
    representative = ordered[np.flatnonzero(starts_cluster)][np.cumsum(starts_cluster) - 1]
    snapped = np.empty_like(times)
    snapped[order] = representative
    return snapped


def snap_to(times: np.ndarray, nodes: np.ndarray, tolerance: float) -> np.ndarray:
    """``times`` moved onto the nearest of the sorted ``nodes`` when within ``tolerance``."""
    if nodes.size == 0 or times.size == 0:
        return times.copy()
    right = np.clip(np.searchsorted(nodes, times), 1, nodes.size - 1) if nodes.size > 1 else None
    if right is None:
        nearest = np.zeros(times.shape, dtype=np.int64)
    else:
        left = right - 1
        nearest = np.where(np.abs(nodes[left] - times) <= np.abs(nodes[right] - times), left, right)
    close = np.abs(nodes[nearest] - times) <= tolerance
    return np.where(close, nodes[nearest], times)


@dataclass(frozen=True)
class Partition:
    """Sorted ``nodes`` (m + 1 moments) cutting time into m elementary intervals; window ``i``
    covers intervals ``window_first[i]:window_stop[i]``, target ``k`` covers
    ``target_first[k]:target_stop[k]``."""

    nodes: np.ndarray
    window_first: np.ndarray
    window_stop: np.ndarray
    target_first: np.ndarray
    target_stop: np.ndarray

    @property
    def size(self) -> int:
        """The number of elementary intervals."""
        return max(0, self.nodes.size - 1)

    @property
    def lengths(self) -> np.ndarray:
        """Length of each elementary interval, in seconds."""
        return np.diff(self.nodes)

    @property
    def bandwidth(self) -> int:
        """The most intervals one window spans, minus one (the half-bandwidth of AᵀA)."""
        if self.window_first.size == 0:
            return 0
        return int(np.max(self.window_stop - self.window_first)) - 1

    def window_matrix(self) -> np.ndarray:
        """The dense 0/1 window-by-interval matrix (for tests and small systems)."""
        matrix = np.zeros((self.window_first.size, self.size))
        for row, (first, stop) in enumerate(zip(self.window_first, self.window_stop, strict=True)):
            matrix[row, first:stop] = 1.0
        return matrix


def build_partition(
    window_starts: np.ndarray,
    window_ends: np.ndarray,
    target_starts: np.ndarray,
    target_ends: np.ndarray,
    snap_seconds: float = DEFAULT_SNAP_SECONDS,
) -> Partition:
    """Cut time at every (snapped) window edge and every target edge; target edges within
    ``snap_seconds`` of a window edge are moved onto it."""
    if np.any(window_ends <= window_starts) or np.any(target_ends <= target_starts):
        raise ValueError("every window and target needs start < end")
    edges = snap(np.concatenate([window_starts, window_ends]), snap_seconds)
    n = window_starts.size
    window_nodes = np.unique(edges)
    targets = snap_to(np.concatenate([target_starts, target_ends]), window_nodes, snap_seconds)
    nodes = np.unique(np.concatenate([window_nodes, targets]))
    k = target_starts.size
    first_target = np.searchsorted(nodes, targets[:k])
    stop_target = np.searchsorted(nodes, targets[k:])
    if np.any(stop_target <= first_target):
        raise ValueError("a target is shorter than the snapping tolerance: widen it")
    return Partition(
        nodes=nodes,
        window_first=np.searchsorted(nodes, edges[:n]),
        window_stop=np.searchsorted(nodes, edges[n:]),
        target_first=first_target,
        target_stop=stop_target,
    )


def components(partition: Partition, rows: np.ndarray) -> np.ndarray:
    """Connected component of every node when each window in ``rows`` links its two edges.

    The value over ``[nodes[a], nodes[b])`` is determined by those windows exactly when nodes
    ``a`` and ``b`` share a component: a window fixes the difference of the cumulative total
    between its edges, and only a chain of such differences fixes another difference.
    """
    parent = np.arange(partition.nodes.size)

    def find(node: int) -> int:
        root = node
        while parent[root] != root:
            root = parent[root]
        while parent[node] != root:
            parent[node], node = root, parent[node]
        return root

    for row in np.flatnonzero(rows):
        a = find(int(partition.window_first[row]))
        b = find(int(partition.window_stop[row]))
        if a != b:
            parent[max(a, b)] = min(a, b)
    return np.array([find(node) for node in range(parent.size)])
