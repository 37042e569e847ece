"""A small personal generator: a GAN trained on one person's own pictures, then sampled.

`nets.py` is the network (imported by both the engine and the trainer, the nanoGPT
habit), `train.py` trains it, `engine.py` samples it.
"""

from __future__ import annotations

from typing import Any

from studiolo.hookspecs import hookimpl
from studiolo.provenance.contributions import CreditContribution


@hookimpl
def register_engines(register: Any) -> None:
    from studiolo.capabilities.generator.engine import GeneratorEngine

    register(GeneratorEngine())


@hookimpl
def register_commands(cli: Any) -> None:
    from studiolo.capabilities.generator.cli import sample, train_generator_command

    cli.add_command(sample)
    cli.commands["train"].add_command(train_generator_command)


@hookimpl
def register_credits(register: Any) -> None:
    register(CreditContribution(engine="generator", verbs={"sample": "Made"}))
