"""LoRA training on a person's own pictures (kohya-compatible files the diffusion
capability loads with `--lora` or `<lora:name:weight>`)."""

from __future__ import annotations

from typing import Any

from studiolo.hookspecs import hookimpl


@hookimpl
def register_commands(cli: Any) -> None:
    from studiolo.capabilities.lora.cli import train_lora_command

    cli.commands["train"].add_command(train_lora_command)
