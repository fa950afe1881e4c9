"""How `toon train` trains: the settings, their defaults and their checks, without TensorFlow
(the command line reads its defaults here before anything heavy loads)."""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

from core.vocabulary import NONFACE, OTHER
from model import ARCHS, OPTIMIZERS
from model.data import SPLIT_SEED


@dataclass(frozen=True)
class TrainSettings:
    arch: str = "toon"
    optimizer: str | None = None  # None: adam for toon, sgd for seed
    epochs: int | None = None  # None: 30 for toon, 50 for seed (the method's)
    classes: tuple[str, ...] | None = None  # None: every emotion folder, sorted
    seed: int = SPLIT_SEED
    batch_size: int = 32
    augment: bool | None = None  # None: on for toon, off for seed (the method had none)
    run: int = 0  # weights are initialised (and batches shuffled) from seed + run
    init: str | None = None  # a model folder to start from instead of random weights
    oversample: tuple[tuple[str, int], ...] = ()  # (folder, n): its training images n times
    learning_rate: float | None = None  # None: the optimizer's own (see arch.optimizer)
    # the cast the character head names, besides "other"; None: the start's, else DEFAULT_CAST
    characters: tuple[str, ...] | None = None

    def resolved(self) -> TrainSettings:
        if self.arch not in ARCHS:
            raise ValueError(f"unknown architecture {self.arch!r}; choose one of: seed, toon")
        toon = self.arch == "toon"
        s = replace(
            self,
            optimizer=self.optimizer or ("adam" if toon else "sgd"),
            epochs=(30 if toon else 50) if self.epochs is None else self.epochs,
            augment=toon if self.augment is None else self.augment,
        )
        if s.optimizer not in OPTIMIZERS:
            raise ValueError(
                f"unknown optimizer {s.optimizer!r}; choose one of: {', '.join(OPTIMIZERS)}"
            )
        if s.epochs < 1 or s.batch_size < 1:
            raise ValueError("--epochs and --batch-size must be at least 1")
        if s.learning_rate is not None and not 0 < s.learning_rate < math.inf:
            raise ValueError(f"--learning-rate must be above 0, got {s.learning_rate}")
        if any(n < 1 for _, n in s.oversample):
            raise ValueError("--oversample needs FOLDER=N with N at least 1")
        if s.characters is not None and not toon:
            raise ValueError(
                "--characters needs --arch toon (the seed network has no character head)"
            )
        if s.characters is not None:
            reserved = {OTHER, NONFACE} & set(s.characters)
            if reserved or len(set(s.characters)) != len(s.characters) or not s.characters:
                raise ValueError(
                    f"--characters needs distinct names other than {OTHER} and {NONFACE}, "
                    f"got {','.join(s.characters)}"
                )
        return s
