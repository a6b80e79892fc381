"""What a training run costs in compute, utilisation and money, under stated assumptions.

Every function is pure and takes its inputs explicitly, so a notebook shows where each number comes from
and the tests can check hand-computed cases.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

HOURS_PER_YEAR = 8760


def training_flops(active_params: float, tokens: float, flops_per_param_token: float = 6.0) -> float:
    """Approximate training compute: 6 x active parameters x tokens (2 for the forward pass, 4 for the
    backward). It ignores attention's own FLOPs, extra modules and recomputation, so it is a floor."""
    return flops_per_param_token * active_params * tokens


def implied_utilisation(flops, gpu_hours, peak_tflops):
    """The share of the GPUs' peak throughput the stated GPU-hours imply (model FLOPs utilisation)."""
    return np.asarray(flops) / (np.asarray(gpu_hours) * 3600.0 * np.asarray(peak_tflops) * 1e12)


def rental_cost(gpu_hours, price_per_gpu_hour):
    return np.asarray(gpu_hours) * np.asarray(price_per_gpu_hour)


@dataclass(frozen=True)
class Ownership:
    """Cost of running on GPUs one owns, for the hours of the run."""
    hardware: float  # the run's share of the servers' purchase price, straight-line over their life
    energy: float  # electricity for the GPUs' power draw times the data centre's PUE

    @property
    def total(self) -> float:
        return self.hardware + self.energy


def ownership_cost(gpu_hours, server_price_per_gpu, amortisation_years, gpu_power_kw, pue, price_per_kwh):
    """Hardware: purchase price spread evenly over ``amortisation_years`` of round-the-clock use, charged
    for the GPU-hours of the run. Energy: GPU power x PUE x hours x electricity price. Works on arrays."""
    hours = np.asarray(gpu_hours, dtype=float)
    hardware = hours * np.asarray(server_price_per_gpu) / (np.asarray(amortisation_years) * HOURS_PER_YEAR)
    energy = hours * np.asarray(gpu_power_kw) * np.asarray(pue) * np.asarray(price_per_kwh)
    return hardware, energy


def monte_carlo(draws: int, seed: int, ranges: dict[str, tuple[float, float]], model):
    """Draw every input uniformly from its [low, high] range (vectorised) and evaluate ``model`` once on the
    arrays. Returns the inputs drawn and the model's output array."""
    if draws < 1:
        raise ValueError("draws must be at least 1")
    rng = np.random.default_rng(seed)
    sample = {name: rng.uniform(lo, hi, draws) for name, (lo, hi) in sorted(ranges.items())}
    return sample, np.asarray(model(**sample))


def tornado(model, base: dict[str, float], ranges: dict[str, tuple[float, float]]):
    """One input at a time at its low and high end, the others at base: (name, low result, high result),
    widest swing first."""
    rows = []
    for name, (lo, hi) in ranges.items():
        low = float(model(**{**base, name: lo}))
        high = float(model(**{**base, name: hi}))
        rows.append((name, low, high))
    return sorted(rows, key=lambda r: abs(r[2] - r[1]), reverse=True)


def _bn(x: float) -> str:
    """Money in a reading, '1.6 billion USD': no dollar sign, so two amounts cannot turn into mathematics."""
    from . import fmt

    return fmt.quantity(x, "USD")


def budget_readings(spends: dict[str, tuple[float, float]], cutoffs: dict[float, str], chosen: tuple[str, float],
                    why: str):
    """Rate 'built without billions' under every reading of what was spent and every cut-off for 'billions'.

    ``spends`` maps a reading (what counts as the budget) to its evidence range [low, high] in USD;
    ``cutoffs`` maps a cut-off in USD to the reason it is a candidate; ``chosen`` names the reading and cut-off
    taken, ``why`` says why. The claim holds for a reading when the spending is below the cut-off
    (``claims.rate_number`` with ``lt``). Returns the chosen rating and every reading as ``evidence.Reading``, so
    the verdict shows what each alternative would give instead of silently taking one."""
    from . import claims
    from .evidence import Reading

    if chosen[0] not in spends or chosen[1] not in cutoffs:
        raise ValueError(f"chosen reading {chosen} is not among the readings and cut-offs given")
    readings, picked = [], None
    for name, (low, high) in spends.items():
        for cut, cut_why in cutoffs.items():
            rating = claims.rate_number(cut, low, high, comparator="lt")
            text = (f"{name}: {_bn(low)}" + (f" to {_bn(high)}" if high != low else "")
                    + f", against a cut-off of {_bn(cut)} ({cut_why})")
            is_chosen = (name, cut) == chosen
            readings.append(Reading(text, rating.label, chosen=is_chosen, why=why if is_chosen else ""))
            if is_chosen:
                picked = rating
    return picked, readings
