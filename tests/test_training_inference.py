"""techduel.training and techduel.inference against values worked out by hand."""

from __future__ import annotations

import numpy as np
import pytest

from techduel import inference, training


def test_training_flops_is_six_n_d():
    # DeepSeek-V3: 37e9 active parameters x 14.8e12 tokens x 6 = 3.2856e24 FLOP
    assert training.training_flops(37e9, 14.8e12) == pytest.approx(3.2856e24)


def test_implied_utilisation_by_hand():
    # 3.6e21 FLOP in 1,000 GPU-hours at 1 PFLOP/s peak: 3.6e21 / (1000 x 3600 x 1e15) = 1.0
    assert training.implied_utilisation(3.6e21, 1000, 1000) == pytest.approx(1.0)
    assert training.implied_utilisation(3.6e21, 2000, 1000) == pytest.approx(0.5)


def test_rental_and_ownership_by_hand():
    assert training.rental_cost(2_788_000, 2.0) == pytest.approx(5_576_000)  # the V3 report's own sum
    # 8,760 GPU-hours = one GPU for a year; $40,000 over 4 years -> $10,000; 1 kW x PUE 1.5 x 8760 h x $0.1
    hardware, energy = training.ownership_cost(8760, 40_000, 4, 1.0, 1.5, 0.1)
    assert hardware == pytest.approx(10_000) and energy == pytest.approx(1314)


def test_monte_carlo_is_seeded_vectorised_and_within_ranges():
    ranges = {"a": (1.0, 2.0), "b": (10.0, 20.0)}
    sample, out = training.monte_carlo(100_000, 7, ranges, lambda a, b: a * b)
    again, out2 = training.monte_carlo(100_000, 7, ranges, lambda a, b: a * b)
    assert out.shape == (100_000,) and np.array_equal(out, out2)
    assert 10.0 <= out.min() and out.max() <= 40.0
    assert np.mean(out) == pytest.approx(1.5 * 15, rel=0.01)  # independent uniforms: E[ab] = E[a]E[b]
    with pytest.raises(ValueError):
        training.monte_carlo(0, 1, ranges, lambda a, b: a)


def test_tornado_orders_by_swing():
    rows = training.tornado(lambda a, b: a + 10 * b, {"a": 1, "b": 1}, {"a": (0, 2), "b": (0, 2)})
    assert rows[0] == ("b", 1.0, 21.0) and rows[1] == ("a", 10.0, 12.0)


def test_memory_by_hand():
    assert inference.weights_gb(671, 8) == pytest.approx(671)  # FP8: one byte per weight
    assert inference.weights_gb(14, 4) == pytest.approx(7)
    # Llama-style 8B: 32 layers x 8 KV heads x 128 dims x 2 (K and V) x 2 bytes = 131,072 bytes per token
    assert inference.kv_cache_gb(8192, 32, kv_heads=8, head_dim=128) == pytest.approx(8192 * 131072 / 1e9)
    # MLA: 61 layers x (512 + 64) x 2 bytes = 70,272 bytes per token
    assert inference.kv_cache_gb(1000, 61, latent_dim=576) == pytest.approx(0.070272)
    with pytest.raises(ValueError):
        inference.kv_cache_gb(10, 2)


def test_roofline_bounds_by_hand():
    # 100 GB/s over 7 GB of active weights (14B at 4 bits) -> 14.29 tokens/s; half efficiency -> 7.14
    assert inference.decode_tokens_per_s(100, 14, 4) == pytest.approx(100 / 7)
    assert inference.decode_tokens_per_s(100, 14, 4, efficiency=0.5) == pytest.approx(50 / 7)
    # 1 TFLOP/s over 2 x 1e9 FLOP per token -> 500 tokens/s
    assert inference.prefill_tokens_per_s(1.0, 1.0) == pytest.approx(500)
    assert inference.joules_per_token(12.0, 1.2) == pytest.approx(10.0)
    assert inference.fits(16, 9.1) and not inference.fits(16, 131) and not inference.fits(16, 16)
    with pytest.raises(ValueError):
        inference.decode_tokens_per_s(100, 14, 4, efficiency=1.5)


def test_budget_readings_label_each_reading_and_cut_off():
    spends = {"final run": (5.576e6, 5.87e6), "hardware": (0.5e9, 1.6e9), "hardware and operations": (2.244e9, 2.544e9)}
    cutoffs = {1e9: "one billion", 2e9: "two billion"}
    rating, readings = training.budget_readings(spends, cutoffs, ("hardware", 1e9), "the company's money")
    labels = {(r.reading.split(":")[0], "two" in r.reading): r.label for r in readings}
    assert rating.label == "mixed"  # 0.5-1.6 billion straddles one billion
    assert labels[("final run", False)] == labels[("final run", True)] == "accurate"
    assert labels[("hardware", True)] == "accurate"  # all of it below two billion
    assert labels[("hardware and operations", False)] == "false"  # 2.244 billion misses one billion by 124 %
    assert labels[("hardware and operations", True)] == "mixed"  # misses two billion by 12 %
    assert [r.chosen for r in readings].count(True) == 1
    chosen = next(r for r in readings if r.chosen)
    assert chosen.why == "the company's money" and chosen.label == rating.label
    # money without a dollar sign, so a pair of them cannot turn into mathematics on the page
    assert chosen.reading.startswith("hardware: 500 million USD to 1.6 billion USD, against a cut-off of 1 billion USD")
    assert not any("$" in r.reading for r in readings)


def test_budget_readings_refuses_an_unknown_choice():
    with pytest.raises(ValueError, match="not among"):
        training.budget_readings({"final run": (1.0, 2.0)}, {1e9: "x"}, ("total", 1e9), "why")
