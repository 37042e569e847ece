"""What `verify` makes of c2pa's validation results: every status code in one table.

c2pa-python reports its findings as C2PA status codes (C2PA 2.x, section 15;
CAWG identity 1.x, section 7), spread over several places of the manifest
store: `validation_results.activeManifest.failure` for the file's own manifest,
`validation_results.ingredientDeltas[].validationDeltas.failure` for what
changed in an ingredient since it was signed into the file, and each
ingredient's own `validation_results` (or the older flat `validation_status`)
for what was wrong with it when it was added. `classify` puts each failure in
one class; the worst class found is the verdict.

The verdicts and their exit statuses (`studiolo verify --help`, the `--json`
output and the README say the same, from `VERDICTS`):

====  ==================  ====================================================
exit  status              meaning
====  ==================  ====================================================
0     intact              signature and hash binding hold: the file is as
                          signed (``signer.trusted`` says whether a trust list
                          here vouches for the signer)
1     tampered            changed after signing: a hash or the claim signature
                          no longer matches, or the manifest is damaged
2     none                no content credentials in the file
2     remote              only a pointer to a remote manifest, not fetched
                          (this studio never goes online)
2     unverifiable        credentials there, but not checkable here (a hash
                          binding the library rejects, an unsupported algorithm)
3     (error)             FILE cannot be read as an image
4     untrusted           the file is as signed, but the signing credential
                          does not hold: certificate expired, revoked or not
                          valid, a bad time stamp, or a CAWG identity assertion
                          whose credential is untrusted or does not verify
5     ingredient_invalid  the file is as signed, but an ingredient's own
                          credentials are broken (its signature or hashes)
====  ==================  ====================================================
"""

from __future__ import annotations

from typing import Any

# status -> (exit status, what it means). Severity, for several failures: `worst`.
VERDICTS: dict[str, tuple[int, str]] = {
    "intact": (0, "the file is as signed (signer.trusted: on a trust list here or not)"),
    "tampered": (1, ("changed after signing: a hash or the claim signature no longer matches, "
                    "or the manifest is damaged")),
    "none": (2, "no content credentials in the file"),
    "remote": (2, ("only a pointer to a remote manifest, which was not fetched "
                  "(this studio never goes online)")),
    "unverifiable": (2, ("credentials there, but they cannot be checked here "
                        "(a hash binding the library rejects, an unsupported algorithm)")),
    "untrusted": (4, ("the file is as signed, but the signing credential does not hold "
                     "(expired, revoked or invalid certificate, bad time stamp, "
                     "or an untrusted or failing CAWG identity)")),
    "ingredient_invalid": (5, ("the file is as signed, but an ingredient's own credentials "
                              "are broken")),
}
UNREADABLE_EXIT = 3  # FILE cannot be read as an image (an error, not a verdict)

INFO = "info"  # says who signed, not whether it holds: shown in `signer`, never a verdict

# (code prefix, words the explanation must hold or "", class): the first match wins;
# a code matching no row is "tampered", as c2pa calls it a failure.
CODE_CLASSES: tuple[tuple[str, str, str], ...] = (
    # Whether a trust list here knows the signer: `signer.trusted`, not a failure.
    ("signingCredential.untrusted", "", INFO),
    ("signingCredential.ocsp.skipped", "", INFO),
    ("signingCredential.ocsp.inaccessible", "", INFO),
    ("signingCredential.ocsp.unknown", "", INFO),
    ("timeStamp.untrusted", "", INFO),
    ("algorithm.deprecated", "", INFO),
    # The signer's credential does not hold; what was signed is unchanged.
    ("signingCredential.expired", "", "untrusted"),
    ("signingCredential.invalid", "", "untrusted"),
    ("signingCredential.ocsp.revoked", "", "untrusted"),
    ("claimSignature.outsideValidity", "", "untrusted"),
    ("timeStamp.", "", "untrusted"),
    ("cawg.", "", "untrusted"),  # identity assertions: cawg.x509.*, cawg.ica.*, cawg.identity.*
    # Cannot be checked here.
    ("assertion.dataHash.mismatch", "exclusion", "unverifiable"),  # exclusion range rejected
    ("assertion.dataHash.mismatch", "bad parameter", "unverifiable"),
    ("assertion.dataHash.mismatch", "remote data hash", "unverifiable"),
    ("assertion.dataHash.malformed", "", "unverifiable"),
    ("manifest.inaccessible", "", "unverifiable"),
    ("assertion.inaccessible", "", "unverifiable"),
    ("algorithm.unsupported", "", "unverifiable"),
    # An ingredient's manifest, as recorded in this one, does not validate.
    ("ingredient.", "", "ingredient_invalid"),
    # Everything else: assertion.dataHash/bmffHash/boxesHash/collectionHash.mismatch,
    # assertion.hashedURI.mismatch, claimSignature.mismatch/missing, claim.*, ... -> tampered.
)
_RANK = ("intact", "ingredient_invalid", "untrusted", "unverifiable", "tampered")


def classify(code: str, explanation: str = "") -> str:
    """The class of one c2pa failure: INFO or a status of `VERDICTS`."""
    words = (explanation or "").lower()
    for prefix, needle, kind in CODE_CLASSES:
        if code.startswith(prefix) and needle in words:
            return kind
    return "tampered"


def worst(kinds: list[str]) -> str:
    """The verdict for a set of classes: the most severe of them, "intact" for none."""
    found = [k for k in kinds if k in _RANK]
    return max(found, key=_RANK.index) if found else "intact"


def exit_code(status: str) -> int:
    return VERDICTS[status][0]


# -- where the failures are --------------------------------------------------------
def _obj(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _items(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _text(value: Any, limit: int = 300) -> str:
    if not isinstance(value, str):
        return ""
    return value if len(value) <= limit else value[: limit - 3] + "..."


def failures_of(results: Any, flat: Any = None) -> list[tuple[str, str]]:
    """(code, explanation) of a `validation_results` object's active-manifest failures,
    or of an older reader's flat `validation_status` list when there is no such object."""
    items = _obj(_obj(results).get("activeManifest")).get("failure")
    if items is None:
        items = flat
    return [(_text(_obj(i).get("code"), 120), _text(_obj(i).get("explanation")))
            for i in _items(items)[:200]]


def delta_failures(results: Any) -> list[tuple[str, str]]:
    """(code, explanation) of every failure in `validation_results.ingredientDeltas`."""
    out: list[tuple[str, str]] = []
    for delta in _items(_obj(results).get("ingredientDeltas"))[:200]:
        for item in _items(_obj(_obj(delta).get("validationDeltas")).get("failure"))[:200]:
            out.append((_text(_obj(item).get("code"), 120), _text(_obj(item).get("explanation"))))
    return out
