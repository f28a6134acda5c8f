"""Parameter-efficient fine-tuning baselines: which weights of a policy copy train, and how.

PGT tunes only the 512 floats of z. The paper's second version compares it not only with full
fine-tuning but with the usual parameter-efficient methods, trained with the same DPO loss on
the same round-1 data under the fixed z0:

- LoRA: every `nn.Linear` of the chosen modules (default: the FiLM generator and the action head,
  where z acts) gets a trainable low-rank update W + (alpha / r) B A, with B = 0 at the start, so
  the copy begins exactly at the base policy; the base weights stay frozen.
- BitFit: only the bias terms train (frame CNN, GRU, norm, FiLM, head; the goal encoder is unused
  under a fixed z0).

`PeftConfig` says what to train; `pgt_core.tuning.finetune_policy` is the one trainer for all of
them. When nothing before the FiLM layer trains (LoRA on film/head), the copy's frame features
equal the base policy's, so training runs on cached features like latent tuning does.
"""
from __future__ import annotations

import copy
import math
from dataclasses import dataclass
from typing import Literal

import torch
import torch.nn as nn

PeftMethod = Literal["full", "lora", "bitfit"]
PEFT_METHODS: tuple[str, ...] = ("full", "lora", "bitfit")
_LATE_MODULES = ("film", "head")  # modules after the z-free CNN + GRU


@dataclass(frozen=True)
class PeftConfig:
    method: PeftMethod = "full"
    rank: int = 8  # LoRA rank
    alpha: float = 16.0  # LoRA scale numerator: the update is (alpha / rank) B A
    targets: tuple[str, ...] = _LATE_MODULES  # LoRA: top-level modules whose Linear layers get adapters

    def __post_init__(self) -> None:
        if self.method not in PEFT_METHODS:
            raise ValueError(f"method must be one of {PEFT_METHODS}, got {self.method!r}")
        if self.rank < 1:
            raise ValueError("rank must be >= 1")


class LoRALinear(nn.Module):
    """A frozen `nn.Linear` plus a trainable low-rank update; B starts at zero (an exact copy at first)."""

    def __init__(self, base: nn.Linear, rank: int, alpha: float) -> None:
        super().__init__()
        self.base = base
        for p in self.base.parameters():
            p.requires_grad_(False)
        self.scale = alpha / rank
        self.lora_a = nn.Parameter(torch.empty(rank, base.in_features, device=base.weight.device))
        self.lora_b = nn.Parameter(torch.zeros(base.out_features, rank, device=base.weight.device))
        nn.init.kaiming_uniform_(self.lora_a, a=math.sqrt(5))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.base(x) + (x @ self.lora_a.t() @ self.lora_b.t()) * self.scale

    def merged(self) -> nn.Linear:
        """A plain `nn.Linear` computing the same function (for saving or fast inference)."""
        out = copy.deepcopy(self.base)
        with torch.no_grad():
            out.weight += self.scale * (self.lora_b @ self.lora_a)
        return out


def _add_lora(model: nn.Module, cfg: PeftConfig) -> None:
    for target in cfg.targets:
        module = getattr(model, target)
        for name, child in list(module.named_modules()):
            if name and isinstance(child, nn.Linear):
                parent = module.get_submodule(name.rpartition(".")[0]) if "." in name else module
                setattr(parent, name.rpartition(".")[2], LoRALinear(child, cfg.rank, cfg.alpha))
        if isinstance(module, nn.Linear):
            setattr(model, target, LoRALinear(module, cfg.rank, cfg.alpha))


def make_student(policy: nn.Module, cfg: PeftConfig) -> tuple[nn.Module, list[nn.Parameter], bool]:
    """A deep copy of `policy` prepared for `cfg`: (copy, its trainable parameters, features_frozen).

    features_frozen: nothing the frame features depend on trains, so features cached from `policy`
    stay valid for the copy.
    """
    student = copy.deepcopy(policy).eval()
    for p in student.parameters():
        p.requires_grad_(False)
    if cfg.method == "full":
        params = list(student.parameters())
    elif cfg.method == "lora":
        _add_lora(student, cfg)
        params = [p for n, p in student.named_parameters() if n.rsplit(".", 1)[-1] in ("lora_a", "lora_b")]
    else:
        params = [p for n, p in student.named_parameters()
                  if n.rsplit(".", 1)[-1].startswith("bias") and not n.startswith("goal_encoder.")]
    for p in params:
        p.requires_grad_(True)
    late = cfg.method == "lora" and all(t in _LATE_MODULES for t in cfg.targets)
    return student, params, late and getattr(policy, "z_enters_late", False)


def trainable_count(params: list[nn.Parameter]) -> int:
    return sum(p.numel() for p in params)


def merge_lora(model: nn.Module) -> nn.Module:
    """A copy of `model` with every `LoRALinear` folded into a plain `nn.Linear` (the base architecture again)."""
    out = copy.deepcopy(model)
    for name, child in list(out.named_modules()):
        if isinstance(child, LoRALinear):
            parent_name, _, leaf = name.rpartition(".")
            setattr(out.get_submodule(parent_name) if parent_name else out, leaf, child.merged())
    return out
