"""Can a device run a model, and how fast at best? A roofline view of decoding.

Generating one token reads every active weight once, so decoding speed is bounded by memory bandwidth
divided by the bytes of active weights; reading the prompt is bounded by compute (about 2 FLOPs per
active parameter per token). Both are upper bounds: real runs also read the KV cache, lose time to
kernels and scheduling, and rarely reach peak bandwidth (the ``efficiency`` factor).
"""

from __future__ import annotations


def weights_gb(params_billion: float, bits_per_weight: float) -> float:
    """Memory for the weights, in GB (10^9 bytes)."""
    if bits_per_weight <= 0:
        raise ValueError("bits_per_weight must be positive")
    return params_billion * bits_per_weight / 8.0


def kv_cache_gb(context_tokens: int, layers: int, *, kv_heads: int | None = None, head_dim: int | None = None,
                latent_dim: int | None = None, bytes_per_value: float = 2.0) -> float:
    """KV cache for one sequence of ``context_tokens``, in GB.

    Standard attention keeps a key and a value per KV head: 2 x layers x kv_heads x head_dim values per
    token. DeepSeek's multi-head latent attention keeps one compressed latent per layer instead
    (``latent_dim`` = kv_lora_rank + rope head dim)."""
    if latent_dim is not None:
        per_token = layers * latent_dim
    elif kv_heads is not None and head_dim is not None:
        per_token = 2 * layers * kv_heads * head_dim
    else:
        raise ValueError("give kv_heads and head_dim, or latent_dim")
    return context_tokens * per_token * bytes_per_value / 1e9


def memory_needed_gb(params_billion: float, bits_per_weight: float, kv_gb: float) -> float:
    return weights_gb(params_billion, bits_per_weight) + kv_gb


def fits(memory_gb: float, needed_gb: float) -> bool:
    """Strictly less: a model that would fill the whole memory leaves nothing for the system to run on."""
    return needed_gb < memory_gb


def decode_tokens_per_s(bandwidth_gbs: float, active_params_billion: float, bits_per_weight: float,
                        efficiency: float = 1.0) -> float:
    """Upper bound on generated tokens per second: usable bandwidth / bytes of active weights per token."""
    if not 0 < efficiency <= 1:
        raise ValueError("efficiency must be in (0, 1]")
    return bandwidth_gbs * efficiency / weights_gb(active_params_billion, bits_per_weight)


def prefill_tokens_per_s(compute_tflops: float, active_params_billion: float) -> float:
    """Upper bound on prompt tokens per second: peak FLOP/s / (2 x active parameters)."""
    return compute_tflops * 1e12 / (2.0 * active_params_billion * 1e9)


def joules_per_token(power_w: float, tokens_per_s: float) -> float:
    return power_w / tokens_per_s
