"""Distances on the globe and the round-trip time they impose on a fibre link.

The latency floor between a western data-centre cluster and an eastern city is set by geometry and the
speed of light in glass; routing detours and equipment add to it. Keeping each step a small pure function
lets a notebook show every term and a test check them by hand.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

EARTH_RADIUS_KM = 6371.0  # mean Earth radius; the spherical model is good to about 0.5 % for distances


def haversine_km(lat1, lon1, lat2, lon2, radius_km: float = EARTH_RADIUS_KM):
    """Great-circle distance in km between points given in degrees (works on arrays).

    The haversine form stays accurate for short distances, where the spherical law of cosines loses digits.
    """
    p1, p2 = np.radians(lat1), np.radians(lat2)
    dphi = p2 - p1
    dlam = np.radians(np.asarray(lon2) - np.asarray(lon1))
    h = np.sin(dphi / 2) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(dlam / 2) ** 2
    return 2 * radius_km * np.arcsin(np.sqrt(np.clip(h, 0.0, 1.0)))


def one_way_ms(distance_km, route_factor: float, fibre_km_per_ms: float):
    """Propagation delay one way: the fibre path (great-circle distance x route factor) over the speed of
    light in fibre. A route factor below 1 would beat the straight line, so it is refused."""
    if route_factor < 1:
        raise ValueError(f"route factor {route_factor} < 1: no cable is shorter than the great circle")
    if fibre_km_per_ms <= 0:
        raise ValueError("the speed of light in fibre must be positive")
    if not isinstance(distance_km, (pd.Series, pd.DataFrame)):  # keep a matrix's labels
        distance_km = np.asarray(distance_km, dtype=float)
    return distance_km * route_factor / fibre_km_per_ms


def round_trip_ms(distance_km, route_factor: float, fibre_km_per_ms: float, overhead_ms: float = 0.0):
    """Round-trip time: twice the one-way propagation delay plus a fixed overhead for the equipment on the
    path (switching, amplification, queuing), which does not grow with distance in this model."""
    if overhead_ms < 0:
        raise ValueError("overhead cannot be negative")
    return 2 * one_way_ms(distance_km, route_factor, fibre_km_per_ms) + overhead_ms


def distance_matrix(origins: pd.DataFrame, targets: pd.DataFrame, origin_key: str,
                    target_key: str) -> pd.DataFrame:
    """Great-circle km from every origin (rows) to every target (columns); both frames need lat and lon."""
    lat1 = origins["lat"].to_numpy(float)[:, None]
    lon1 = origins["lon"].to_numpy(float)[:, None]
    lat2 = targets["lat"].to_numpy(float)[None, :]
    lon2 = targets["lon"].to_numpy(float)[None, :]
    return pd.DataFrame(haversine_km(lat1, lon1, lat2, lon2),
                        index=pd.Index(origins[origin_key], name=origin_key),
                        columns=pd.Index(targets[target_key], name=target_key))


def fits(rtt_ms, budget_ms, direction: str = "round_trip"):
    """Whether the network delay fits a budget. A one-way budget (such as voice mouth-to-ear) is compared
    with half the round trip. A missing budget (None or NaN) means latency does not limit the workload:
    the answer is then None, never True, so an unbudgeted class is not counted as 'served'."""
    if budget_ms is None or (isinstance(budget_ms, float) and np.isnan(budget_ms)):
        return None
    if direction not in ("round_trip", "one_way"):
        raise ValueError(f"direction '{direction}' is not round_trip or one_way")
    delay = np.asarray(rtt_ms, dtype=float) / (2 if direction == "one_way" else 1)
    return delay <= budget_ms


def feasibility(rtt: pd.DataFrame, budgets: pd.DataFrame, scale: float = 1.0) -> pd.DataFrame:
    """Long table: every (origin, target, workload class) with its delay, its budget x ``scale`` and whether
    it fits. ``rtt`` is a matrix (origins x targets, ms); ``budgets`` has columns workload_class, budget_ms
    (NaN = unbudgeted) and direction. A smaller ``scale`` can only remove fits, never add them."""
    if scale <= 0:
        raise ValueError("budget scale must be positive")
    long = rtt.stack().rename("rtt_ms").reset_index()
    rows = []
    for _, b in budgets.iterrows():
        budget = b["budget_ms"] * scale if pd.notna(b["budget_ms"]) else None
        direction = b["direction"] if isinstance(b["direction"], str) else "round_trip"
        ok = fits(long["rtt_ms"].to_numpy(), budget, direction)
        part = long.assign(workload_class=b["workload_class"], budget_ms=budget, direction=direction,
                           fits=list(ok) if ok is not None else [None] * len(long))
        rows.append(part)
    return pd.concat(rows, ignore_index=True)
