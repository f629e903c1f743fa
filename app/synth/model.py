"""The VAE: MLP encoder and decoder over normal scores plus one-hot slots.

The decoder outputs a mean per continuous column (with a learned per-column spread) and
logits per segment. Sampling draws each segment from its softmax, with per-segment logit
biases (the calibration and controlled drift adjust those), always from a caller's
``torch.Generator``, never from global random state.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass

import torch
from torch import nn
from torch.nn import functional as F  # noqa: N812

GENERATE_ROWS = 4_096  # rows per decoder pass when sampling


@dataclass(frozen=True)
class Architecture:
    continuous: int  # columns of normal scores
    segments: tuple[int, ...]  # slots per softmax head
    latent: int = 32
    hidden: int = 128

    @property
    def width(self) -> int:
        return self.continuous + sum(self.segments)

    def to_dict(self) -> dict[str, object]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, object]) -> Architecture:
        segs = data["segments"]
        assert isinstance(segs, list)
        return cls(
            continuous=int(str(data["continuous"])),
            segments=tuple(int(s) for s in segs),
            latent=int(str(data["latent"])),
            hidden=int(str(data["hidden"])),
        )


def _mlp(d_in: int, hidden: int, d_out: int) -> nn.Sequential:
    return nn.Sequential(
        nn.Linear(d_in, hidden),
        nn.ReLU(inplace=True),
        nn.Linear(hidden, hidden),
        nn.ReLU(inplace=True),
        nn.Linear(hidden, d_out),
    )


class TabularVAE(nn.Module):
    def __init__(self, arch: Architecture) -> None:
        super().__init__()
        self.arch = arch
        self.encoder = _mlp(arch.width, arch.hidden, 2 * arch.latent)
        self.decoder = _mlp(arch.latent, arch.hidden, arch.width)
        self.log_sigma = nn.Parameter(torch.full((arch.continuous,), -1.0))

    def inputs(self, cont: torch.Tensor, slots: torch.Tensor) -> torch.Tensor:
        parts = [cont] + [
            F.one_hot(slots[:, j], k).to(cont.dtype) for j, k in enumerate(self.arch.segments)
        ]
        return torch.cat(parts, dim=1)

    def loss(
        self,
        cont: torch.Tensor,
        present: torch.Tensor,
        slots: torch.Tensor,
        generator: torch.Generator,
        beta: float = 1.0,
    ) -> torch.Tensor:
        """Negative ELBO per row: Gaussian NLL (real values only) + cross-entropy + beta * KL."""
        h = self.encoder(self.inputs(cont, slots))
        mu, logvar = h.chunk(2, dim=1)
        logvar = logvar.clamp(-10, 10)
        noise = torch.randn(mu.shape, generator=generator, device=mu.device)
        out = self.decoder(mu + noise * torch.exp(0.5 * logvar))
        c = self.arch.continuous
        sigma = torch.exp(self.log_sigma)
        nll = ((cont - out[:, :c]) ** 2 / (2 * sigma**2) + self.log_sigma) * present
        rec = nll.sum(dim=1)
        at = c
        for j, k in enumerate(self.arch.segments):
            rec = rec + F.cross_entropy(out[:, at : at + k], slots[:, j], reduction="none")
            at += k
        kl = -0.5 * (1 + logvar - mu**2 - logvar.exp()).sum(dim=1)
        total: torch.Tensor = (rec + beta * kl).mean()
        return total

    @torch.no_grad()
    def generate(
        self, n: int, generator: torch.Generator, biases: Sequence[torch.Tensor] | None = None
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """``n`` rows: continuous draws (n, C) and slot indices (n, S). Drawn in chunks of
        ``GENERATE_ROWS``: a chunk's activations stay in the CPU's cache (a third faster than
        one large batch on this project's 2-core machine)."""
        if n <= GENERATE_ROWS:
            return self._generate(n, generator, biases)
        parts = [
            self._generate(min(GENERATE_ROWS, n - i), generator, biases)
            for i in range(0, n, GENERATE_ROWS)
        ]
        return torch.cat([c for c, _ in parts]), torch.cat([s for _, s in parts])

    def _generate(
        self, n: int, generator: torch.Generator, biases: Sequence[torch.Tensor] | None
    ) -> tuple[torch.Tensor, torch.Tensor]:
        device = self.log_sigma.device
        z = torch.randn((n, self.arch.latent), generator=generator, device=device)
        out = self.decoder(z)
        c = self.arch.continuous
        cont = out[:, :c] + torch.exp(self.log_sigma) * torch.randn(
            (n, c), generator=generator, device=device
        )
        logits = out[:, c:]
        if biases is not None and len(biases):
            logits += torch.cat(list(biases)).to(logits.dtype)
        # inverse CDF: one uniform per segment (a noise value per logit costs 15x more)
        u = torch.rand((n, len(self.arch.segments)), generator=generator, device=device)
        slots = torch.empty((n, len(self.arch.segments)), dtype=torch.int64, device=device)
        for j, seg in enumerate(torch.split(logits, list(self.arch.segments), dim=1)):
            if seg.shape[1] == 2:
                slots[:, j] = torch.sigmoid(seg[:, 1] - seg[:, 0]) > u[:, j]
                continue
            cum = (seg - seg.amax(dim=1, keepdim=True)).exp_().cumsum_(dim=1)
            at = torch.searchsorted(cum, (u[:, j : j + 1] * cum[:, -1:]).contiguous())
            slots[:, j] = at.squeeze(1).clamp_(max=seg.shape[1] - 1)
        return cont, slots

    @torch.no_grad()
    def segment_logits(self, n: int, generator: torch.Generator) -> list[torch.Tensor]:
        """Raw logits per segment for ``n`` prior draws (to fit the slot biases on)."""
        z = torch.randn((n, self.arch.latent), generator=generator, device=self.log_sigma.device)
        out = self.decoder(z)[:, self.arch.continuous :]
        return list(torch.split(out, list(self.arch.segments), dim=1))


def fit_biases(
    logits: Sequence[torch.Tensor], targets: Sequence[torch.Tensor], iterations: int = 30
) -> list[torch.Tensor]:
    """Per-segment logit offsets whose mean softmax matches the target shares (IPF).

    With ``E = exp(logits - rowmax)`` and ``w = exp(bias)``, the mean softmax is
    ``w * E.T @ (1 / (E @ w)) / n``: two matrix-vector products per iteration instead of a
    softmax over every row (the same fixed point, several times faster)."""
    out = []
    for lg, p in zip(logits, targets, strict=True):
        # E and the products in float32 (half the memory traffic), the weights in float64
        e = (lg.float() - lg.float().amax(dim=1, keepdim=True)).exp_()
        p64 = p.double().to(lg.device)
        zero = p64 <= 0
        w = torch.ones(lg.shape[1], dtype=torch.float64, device=lg.device).masked_fill(zero, 0.0)
        inv_n = 1.0 / max(lg.shape[0], 1)
        for _ in range(iterations):
            w32 = w.float()
            row = (e @ w32).clamp_min(1e-30)
            mean = w * (e.T @ row.reciprocal()).double() * inv_n
            step = torch.log(p64.clamp_min(1e-12) / mean.clamp_min(1e-30)).masked_fill(zero, 0.0)
            w = w * step.clamp(-30.0, 30.0).exp()
            w = w / w.max()  # scale-free: keep the weights in float32's range
            if float(step.abs().max()) < 1e-4:
                break
        bias = torch.log(w.clamp_min(1e-300))
        out.append(bias.masked_fill(zero, -1e4).float())
    return out


@contextmanager
def torch_threads(n: int) -> Iterator[None]:
    """Use ``n`` intra-op threads inside the block (restored after: it is process state)."""
    before = torch.get_num_threads()
    torch.set_num_threads(max(1, n))
    try:
        yield
    finally:
        torch.set_num_threads(before)
