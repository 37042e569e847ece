"""Every error studiolo raises on purpose.

A `StudioloError` is a mistake the person can fix: its message is one
sentence that says what was wrong, what was received and what to do. The CLI
prints it without a traceback and exits non-zero; the web API returns it as
JSON. Anything else that escapes is a bug.
"""

from __future__ import annotations


class StudioloError(Exception):
    """Base of every error a person can act on."""

    exit_code = 1


class InvalidArgument(StudioloError, ValueError):
    """An argument has a value the operation cannot use (names the argument and echoes it)."""


class ImageError(StudioloError, ValueError):
    """An image file cannot be read safely: not an image, truncated, too large, unknown format."""


class UnsafePath(StudioloError, ValueError):
    """A path would escape the studio folder."""


class ModelError(StudioloError):
    """A model cannot be used."""


class ModelNotFound(ModelError, LookupError):
    """A model reference names nothing local or cached; the message says where we looked."""


class UnsafeModelFile(ModelError, ValueError):
    """A weights file is not what it claims to be (a pickle posing as safetensors, say)."""


class UnknownName(StudioloError, KeyError):
    """A name (engine, scheduler, style, artwork id) is not known; the message lists known ones."""

    def __init__(self, kind: str, name: str, known: list[str] | tuple[str, ...] = ()) -> None:
        self.kind, self.name, self.known = kind, name, list(known)
        super().__init__(kind, name)

    def __str__(self) -> str:
        text = f"Unknown {self.kind} {self.name!r}."
        if self.known:
            shown = ", ".join(repr(k) for k in self.known[:40])
            more = f" and {len(self.known) - 40} more" if len(self.known) > 40 else ""
            text += f" Known: {shown}{more}."
        return text


class MetadataError(StudioloError, ValueError):
    """Embedded metadata (infotext, workflow JSON) cannot be understood."""


class CatalogError(StudioloError):
    """The catalog cannot do what was asked (missing record, broken store)."""


class JobFailed(StudioloError):
    """A job ended with an error; the message carries the job's error text."""


class ConsentRefused(StudioloError):
    """A request or a training image uses work whose owner did not consent (names the policy)."""


# -- warnings: the work went on, but the person should know ----------------------------


class StudioloWarning(UserWarning):
    """Base of the warnings studiolo gives on purpose (the CLI shows each as one line)."""


class TasteWarning(StudioloWarning):
    """A taste profile was used that has too few ratings to be trusted much."""
