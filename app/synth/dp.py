"""Differentially private training (DP-SGD with opacus), optional: ``pip install
'driftmend[dp]'``.

The model is trained for a fixed number of epochs with Poisson-sampled batches, per-sample
gradients clipped to ``max_grad_norm`` and Gaussian noise calibrated by opacus so that the
whole run spends at most ``(epsilon, delta)``; the epsilon actually spent (less when the
time budget stops training early) is reported. The decoder's per-field noise scale
(``log_sigma``, a bare parameter opacus cannot clip per sample) stays fixed at its start
value in this mode.
"""

from __future__ import annotations

import time
import warnings
from typing import Any

import torch

from app.errors import ModelError
from app.synth.model import TabularVAE


def fit_private(
    model: TabularVAE,
    data: Any,
    cfg: Any,
    seed: int,
    device: torch.device,
) -> tuple[int, float, float, dict[str, float]]:
    """Train ``model`` in place; returns epochs, last loss, seconds and the privacy spent."""
    try:
        from opacus import PrivacyEngine
        from opacus.validators import ModuleValidator
    except ImportError as exc:
        raise ModelError(
            "differentially private training needs opacus: pip install 'driftmend[dp]'"
        ) from exc
    if cfg.dp_epsilon is None or cfg.dp_epsilon <= 0:
        raise ModelError("dp_epsilon must be a positive number")
    model.log_sigma.requires_grad_(False)
    for module in model.modules():  # opacus' hooks cannot follow in-place activations
        if hasattr(module, "inplace"):
            setattr(module, "inplace", False)  # noqa: B010
    errors = ModuleValidator.validate(model, strict=False)
    if errors:
        raise ModelError(f"the model cannot be trained privately: {errors[0]}")
    cont = torch.as_tensor(data.cont, device=device)
    present = torch.as_tensor(data.present, device=device).float()
    slots = torch.as_tensor(data.slots, device=device)
    n = len(cont)
    dataset = torch.utils.data.TensorDataset(cont, present, slots)
    loader = torch.utils.data.DataLoader(
        dataset,
        batch_size=min(cfg.batch_size, n),
        generator=torch.Generator().manual_seed(seed),
    )
    params = [p for p in model.parameters() if p.requires_grad]
    opt = torch.optim.Adam(params, lr=cfg.learning_rate)
    with warnings.catch_warnings():
        _quiet()
        return _run(model, opt, loader, cfg, seed, device, PrivacyEngine(secure_mode=False))


def _quiet() -> None:
    """opacus' and torch's notices about this (known, intended) set-up."""
    for message in ("Secure RNG turned off", "Optimal order is the", "Full backward hook"):
        warnings.filterwarnings("ignore", message=message)


def _run(
    model: TabularVAE,
    opt: torch.optim.Optimizer,
    loader: Any,
    cfg: Any,
    seed: int,
    device: torch.device,
    engine: Any,
) -> tuple[int, float, float, dict[str, float]]:
    private, opt, loader = engine.make_private_with_epsilon(
        module=model,
        optimizer=opt,
        data_loader=loader,
        target_epsilon=cfg.dp_epsilon,
        target_delta=cfg.dp_delta,
        epochs=cfg.epochs,
        max_grad_norm=cfg.dp_max_grad_norm,
        noise_generator=torch.Generator(device=device).manual_seed(seed + 1),
    )
    gen = torch.Generator(device=device).manual_seed(seed)
    start = time.monotonic()
    deadline = start + cfg.budget_seconds if cfg.budget_seconds else float("inf")
    epoch, loss = 0, float("nan")
    private.train()
    while epoch < cfg.epochs and time.monotonic() < deadline:
        total, rows = 0.0, 0
        for c, p, s in loader:
            if len(c) == 0:
                continue
            opt.zero_grad(set_to_none=True)
            value = private._module.loss(c, p, s, gen, cfg.beta)
            value.backward()
            opt.step()
            total += float(value.detach()) * len(c)
            rows += len(c)
        epoch += 1
        loss = total / max(rows, 1)
    spent = {
        "epsilon": float(engine.get_epsilon(cfg.dp_delta)),
        "delta": float(cfg.dp_delta),
        "target_epsilon": float(cfg.dp_epsilon),
        "max_grad_norm": float(cfg.dp_max_grad_norm),
        "noise_multiplier": float(getattr(opt, "noise_multiplier", 0.0)),
    }
    return epoch, loss, time.monotonic() - start, spent
