"""The DeepSeek notebooks respond to their parameters the way their models say they must."""

from __future__ import annotations

import json

import pytest

from conftest import build_of, cli


def results(root, stem, done):
    """What the run ``done`` recorded (a run with overrides writes to build/overrides/<hash>/)."""
    return json.loads((build_of(done, root) / "results.json").read_text())[stem]


def test_training_cost_scales_with_rental_price_and_precision(scratch):
    stem = "01_deepseek_training_cost"
    first = cli("run", stem, "--no-site", "--no-robustness", env_root=scratch)
    assert first.returncode == 0
    base = results(scratch, stem, first)
    done = cli("run", stem, "--no-site", "-p", "rental_price=4", "-p", "precision=bf16", env_root=scratch)
    assert done.returncode == 0, done.stderr
    new = results(scratch, stem, done)
    # rental cost is GPU-hours x price: doubling the price doubles it; ownership does not depend on it
    assert new["final_run_rental_usd"]["value"] == pytest.approx(2 * base["final_run_rental_usd"]["value"])
    assert new["final_run_ownership_usd"] == base["final_run_ownership_usd"]
    # measured against the BF16 peak (half the FP8 one) the same work implies about twice the utilisation
    ratio = new["implied_utilisation"]["value"] / base["implied_utilisation"]["value"]
    assert ratio == pytest.approx(base["peak_tflops_used"]["value"] / new["peak_tflops_used"]["value"], rel=1e-3)


def test_ownership_cost_falls_with_longer_amortisation(scratch):
    stem = "01_deepseek_training_cost"
    runs = {}
    for years in ("2", "8"):
        done = cli("run", stem, "--no-site", "-p", f"amortisation_years={years}", env_root=scratch)
        assert done.returncode == 0
        runs[years] = results(scratch, stem, done)["final_run_ownership_usd"]["value"]
    assert runs["8"] < runs["2"]


def test_small_hardware_bound_follows_bits_and_efficiency(scratch):
    stem = "02_deepseek_on_small_hardware"
    first = cli("run", stem, "--no-site", "--no-robustness", env_root=scratch)
    assert first.returncode == 0
    base = results(scratch, stem, first)
    done = cli("run", stem, "--no-site", "-p", "bits_per_weight=8", "-p", "bandwidth_efficiency=0.5",
               env_root=scratch)
    assert done.returncode == 0, done.stderr
    new = results(scratch, stem, done)
    # twice the bytes per weight and half the usable bandwidth: a quarter of the tokens per second
    assert new["decode_bound_tokens_per_s"]["value"] == pytest.approx(base["decode_bound_tokens_per_s"]["value"] / 4)
    assert new["memory_needed_gb"]["value"] > base["memory_needed_gb"]["value"]


def test_full_r1_does_not_fit_a_pi(scratch):
    stem = "02_deepseek_on_small_hardware"
    done = cli("run", stem, "--no-site", "-p", "model=deepseek-r1", "-p", "bits_per_weight=1.58", env_root=scratch)
    assert done.returncode == 0, done.stderr
    assert results(scratch, stem, done)["fits_on_device"]["value"] is False
