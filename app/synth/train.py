"""Training: fit the codecs, encode, run Adam on the negative ELBO within a budget, calibrate."""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from contextlib import nullcontext
from dataclasses import dataclass
from typing import Any

import torch
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

from app.errors import ModelError
from app.schema.model import Schema
from app.synth.calibrate import calibrate
from app.synth.columns import bounded_sample
from app.synth.copies import record_hashes
from app.synth.model import Architecture, TabularVAE, torch_threads
from app.synth.synthesizer import Synthesizer
from app.synth.transform import MAX_CATEGORIES, Codec, columns_of, encode, fit_codec


@dataclass(frozen=True)
class TrainConfig:
    epochs: int = 300
    budget_seconds: float | None = 45.0  # stop after this long, whatever the epochs
    batch_size: int = 500
    latent: int = 32
    hidden: int = 128
    learning_rate: float = 1e-3
    beta: float = 0.5  # weight of the KL term
    max_rows: int = 50_000
    max_categories: int = MAX_CATEGORIES
    threads: int = 2
    device: str | None = None  # None: CUDA when present, else CPU
    dp_epsilon: float | None = None  # set: DP-SGD (opacus) spending at most this epsilon
    dp_delta: float = 1e-5
    dp_max_grad_norm: float = 1.0


def pick_device(wanted: str | None) -> torch.device:
    if wanted:
        return torch.device(wanted)
    return torch.device("cuda" if torch.cuda.is_available() else "cpu")


def train_synthesizer(
    schema: Schema,
    records: Sequence[Mapping[str, Any]],
    config: TrainConfig | None = None,
    seed: int = 0,
    progress: bool = False,
    warm_start: TabularVAE | None = None,
) -> Synthesizer:
    """Train a synthesizer on ``records``; ``warm_start``: begin from that model's weights
    when its layout (columns and heads) is the new one's (a fine-tune), else from scratch."""
    cfg = config or TrainConfig()
    if not records:
        raise ModelError("no records to train on")
    if cfg.epochs < 1:
        raise ModelError("train for at least one epoch")
    rows = bounded_sample(records, cfg.max_rows, seed)
    columns = columns_of(rows, schema.names)
    codecs: tuple[Codec, ...] = tuple(
        fit_codec(spec, columns[spec.name], cfg.max_categories) for spec in schema.fields
    )
    data = encode(codecs, columns, seed)
    arch = Architecture(
        continuous=data.cont.shape[1],
        segments=tuple(s.slots for c in codecs for s in c.segments),
        latent=cfg.latent,
        hidden=cfg.hidden,
    )
    device = pick_device(cfg.device)
    with torch_threads(cfg.threads):
        with torch.random.fork_rng(devices=[]):  # seeded initial weights, global state kept
            torch.manual_seed(seed)
            model = TabularVAE(arch).to(device)
        warm = warm_start is not None and warm_start.arch == arch and cfg.dp_epsilon is None
        if warm:
            assert warm_start is not None
            model.load_state_dict(warm_start.state_dict())
        privacy: dict[str, float] | None = None
        if cfg.dp_epsilon is not None:
            from app.synth.dp import fit_private

            epochs, loss, seconds, privacy = fit_private(model, data, cfg, seed, device)
        else:
            epochs, loss, seconds = _fit(model, data, cfg, seed, device, progress)
        model.eval()
        calibration = calibrate(model, codecs, seed)
    info = {
        "seed": seed,
        "warm_start": warm,
        "rows": len(rows),
        "epochs": epochs,
        "seconds": round(seconds, 3),
        "loss": round(loss, 5),
        "device": str(device),
        "config": {k: v for k, v in cfg.__dict__.items() if k != "device"},
        "trained_at_ms": int(time.time() * 1000),
    }
    if privacy is not None:
        info["privacy"] = privacy
    memory = record_hashes(codecs, rows)
    return Synthesizer(schema, codecs, model.cpu(), calibration, info, memory)


def _fit(
    model: TabularVAE,
    data: Any,
    cfg: TrainConfig,
    seed: int,
    device: torch.device,
    progress: bool,
) -> tuple[int, float, float]:
    cont = torch.as_tensor(data.cont, device=device)
    present = torch.as_tensor(data.present, device=device).float()
    slots = torch.as_tensor(data.slots, device=device)
    n = len(cont)
    gen = torch.Generator(device=device).manual_seed(seed)
    cpu_gen = torch.Generator().manual_seed(seed)
    opt = torch.optim.Adam(model.parameters(), lr=cfg.learning_rate, weight_decay=1e-5)
    batch = min(cfg.batch_size, n)
    start = time.monotonic()
    deadline = start + cfg.budget_seconds if cfg.budget_seconds else float("inf")
    bar = (
        Progress(
            TextColumn("training"),
            BarColumn(),
            TextColumn("epoch {task.completed:.0f}/{task.total:.0f} loss {task.fields[loss]:.3f}"),
            TimeElapsedColumn(),
            transient=True,
        )
        if progress
        else None
    )
    epoch, loss = 0, float("nan")
    with bar if bar is not None else nullcontext():
        task = bar.add_task("train", total=cfg.epochs, loss=loss) if bar is not None else None
        model.train()
        while epoch < cfg.epochs and time.monotonic() < deadline:
            order = torch.randperm(n, generator=cpu_gen).to(device)
            total = 0.0
            for i in range(0, n - batch + 1, batch):
                idx = order[i : i + batch]
                value = model.loss(cont[idx], present[idx], slots[idx], gen, cfg.beta)
                opt.zero_grad(set_to_none=True)
                value.backward()  # type: ignore[no-untyped-call]
                opt.step()
                total += float(value.detach()) * len(idx)
            epoch += 1
            loss = total / max(n - n % batch, 1)
            if bar is not None and task is not None:
                bar.update(task, completed=epoch, loss=loss)
    return epoch, loss, time.monotonic() - start
