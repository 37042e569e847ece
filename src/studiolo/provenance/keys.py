"""The key and certificate chain that sign every artwork's C2PA manifest.

On first use the studio makes its own: a small local root CA and, issued by
it, a signing certificate with the profile C2PA asks of a claim signer
(ECDSA P-256 / ES256, X.509 v3, not a CA, key usage digitalSignature, extended
key usage id-kp-emailProtection and id-kp-documentSigning, subject and
authority key identifiers). The root's private key is thrown away as soon as
the signing certificate is issued, so nothing on disk can mint more
certificates; only the root certificate is kept, under `keys/trust/`, as the
anchor that lets this studio recognise its own signatures.

Files under `STUDIOLO_HOME/keys/`:

    signing-key.pem     the private key (PKCS#8 PEM, rights 0600)
    signing-chain.pem   the signing certificate first, then its issuers
    identity.json       {"source": "generated" | "own", ...}
    trust/*.pem         roots this studio trusts when it verifies (old ones kept,
                        so artworks signed before a key change still verify)

A person who has their own key (from a CA on the C2PA trust list, say)
replaces the studio's with `install_identity(settings, key_path, chain_path)`,
or by dropping the two PEM files in place of the studio's.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from studiolo.core.atomic import write_atomic
from studiolo.core.errors import InvalidArgument
from studiolo.core.settings import Settings

KEY_FILE = "signing-key.pem"
CHAIN_FILE = "signing-chain.pem"
IDENTITY_FILE = "identity.json"
TRUST_DIR = "trust"

ROOT_YEARS = 20
SIGNING_YEARS = 10
_DOCUMENT_SIGNING = x509.ObjectIdentifier("1.3.6.1.5.5.7.3.36")  # id-kp-documentSigning (RFC 9336)
_EC_ALGS = {"secp256r1": "es256", "secp384r1": "es384", "secp521r1": "es512"}


@dataclass(frozen=True)
class SigningIdentity:
    """Who signs: the private key, the chain (signing certificate first) and the C2PA algorithm."""

    key_pem: bytes
    chain_pem: bytes
    alg: str  # "es256", "es384", "es512", "ps256" or "ed25519"
    subject: str  # common name (or full name) of the signing certificate
    issuer: str
    source: str  # "generated" (made by this studio) or "own" (the person's)
    key_path: Path
    chain_path: Path
    anchors_pem: bytes  # roots under keys/trust/, to recognise this studio's own signatures


def keys_dir(settings: Settings) -> Path:
    return settings.home / "keys"


def signing_identity(settings: Settings) -> SigningIdentity:
    """The studio's signing identity, made on first use; the person's own once they install it."""
    folder = keys_dir(settings)
    key_path, chain_path = folder / KEY_FILE, folder / CHAIN_FILE
    if not (key_path.exists() and chain_path.exists()):
        with _lock(folder):
            if not (key_path.exists() and chain_path.exists()):
                _generate(folder, settings.person or "studiolo")
    return load_identity(key_path, chain_path, folder)


def load_identity(key_path: Path, chain_path: Path, folder: Path | None = None) -> SigningIdentity:
    """Read and check a key and chain pair; errors name the file and what is wrong with it."""
    key_pem = _read(key_path, "signing key")
    chain_pem = _read(chain_path, "certificate chain")
    key = _load_key(key_pem, key_path)
    chain = _load_chain(chain_pem, chain_path)
    leaf = chain[0]
    if _public_bytes(leaf.public_key()) != _public_bytes(key.public_key()):
        raise InvalidArgument(
            f"The signing key {key_path} does not belong to the first certificate in {chain_path} "
            f"({leaf.subject.rfc4514_string()}); put the signing certificate first in the chain."
        )
    now = dt.datetime.now(dt.UTC)
    if leaf.not_valid_after_utc < now:
        raise InvalidArgument(
            f"The signing certificate in {chain_path} expired on "
            f"{leaf.not_valid_after_utc:%Y-%m-%d}; install a new one with install_identity()."
        )
    source = "own"
    anchors = b""
    if folder is not None:
        source = _identity_source(folder)
        anchors = _anchors(folder / TRUST_DIR)
    return SigningIdentity(
        key_pem=key_pem, chain_pem=chain_pem, alg=_alg(key, key_path),
        subject=_name(leaf.subject), issuer=_name(leaf.issuer), source=source,
        key_path=key_path, chain_path=chain_path, anchors_pem=anchors,
    )


def trust_anchors(settings: Settings) -> bytes:
    """The roots this studio trusts (PEM), without making a key when there is none yet."""
    return _anchors(keys_dir(settings) / TRUST_DIR)


_ANCHORS: dict[Path, tuple[int, bytes]] = {}


def _anchors(folder: Path) -> bytes:
    """The PEM files of `folder`, read again only when the folder changes (roots are written
    by rename, and a root copied in is a new entry: both move the folder's mtime)."""
    try:
        stamp = folder.stat().st_mtime_ns
    except OSError:
        return b""
    seen = _ANCHORS.get(folder)
    if seen is not None and seen[0] == stamp:
        return seen[1]
    found = b"".join(p.read_bytes() for p in sorted(folder.glob("*.pem")))
    _ANCHORS[folder] = (stamp, found)
    return found


def install_identity(
    settings: Settings, key_path: str | Path, chain_path: str | Path
) -> SigningIdentity:
    """Replace the studio's signing key with the person's own (PEM key + PEM chain, leaf first).

    The pair is checked before anything is replaced. The chain's last
    certificate is added to `keys/trust/` when it is self-signed (a root),
    and the old roots stay there so older artworks still verify.
    """
    key_path, chain_path = Path(key_path).expanduser(), Path(chain_path).expanduser()
    checked = load_identity(key_path, chain_path)  # raises before we touch the studio's files
    folder = keys_dir(settings)
    with _lock(folder):
        _write(folder / KEY_FILE, checked.key_pem, private=True)
        _write(folder / CHAIN_FILE, checked.chain_pem)
        root = _load_chain(checked.chain_pem, chain_path)[-1]
        if root.issuer == root.subject:
            _add_anchor(folder, root)
        _write(folder / IDENTITY_FILE, json.dumps({"source": "own"}).encode())
    return load_identity(folder / KEY_FILE, folder / CHAIN_FILE, folder)


# -- making the studio's own ------------------------------------------------
def _generate(folder: Path, person: str) -> None:
    now = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=5)  # tolerate small clock skew
    root_key = ec.generate_private_key(ec.SECP256R1())
    root_name = _x509_name(f"studiolo local root ({person})")
    root_ski = x509.SubjectKeyIdentifier.from_public_key(root_key.public_key())
    root = (
        x509.CertificateBuilder()
        .subject_name(root_name).issuer_name(root_name)
        .public_key(root_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now).not_valid_after(now + dt.timedelta(days=365 * ROOT_YEARS))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(_key_usage(cert_sign=True), critical=True)
        .add_extension(root_ski, critical=False)
        .sign(root_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (
        x509.CertificateBuilder()
        .subject_name(_x509_name(f"{person} (studiolo)")).issuer_name(root_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now).not_valid_after(now + dt.timedelta(days=365 * SIGNING_YEARS))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(_key_usage(cert_sign=False), critical=True)
        .add_extension(
            x509.ExtendedKeyUsage([ExtendedKeyUsageOID.EMAIL_PROTECTION, _DOCUMENT_SIGNING]),
            critical=False,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(root_ski), critical=False
        )
        .sign(root_key, hashes.SHA256())
    )
    key_pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    chain_pem = cert.public_bytes(serialization.Encoding.PEM) + root.public_bytes(
        serialization.Encoding.PEM
    )
    _write(folder / KEY_FILE, key_pem, private=True)
    _write(folder / CHAIN_FILE, chain_pem)
    _add_anchor(folder, root)
    created = dt.datetime.now(dt.UTC).isoformat()
    _write(folder / IDENTITY_FILE, json.dumps({"source": "generated", "created": created}).encode())


def _x509_name(common_name: str) -> x509.Name:
    return x509.Name([
        x509.NameAttribute(NameOID.COMMON_NAME, common_name[:64]),
        x509.NameAttribute(NameOID.ORGANIZATION_NAME, "studiolo"),
    ])


def _key_usage(*, cert_sign: bool) -> x509.KeyUsage:
    return x509.KeyUsage(
        digital_signature=not cert_sign, content_commitment=False, key_encipherment=False,
        data_encipherment=False, key_agreement=False, key_cert_sign=cert_sign,
        crl_sign=cert_sign, encipher_only=False, decipher_only=False,
    )


def _add_anchor(folder: Path, root: x509.Certificate) -> None:
    fingerprint = root.fingerprint(hashes.SHA256()).hex()[:16]
    pem = root.public_bytes(serialization.Encoding.PEM)
    _write(folder / TRUST_DIR / f"root-{fingerprint}.pem", pem)


# -- reading --------------------------------------------------------------------
def _read(path: Path, what: str) -> bytes:
    if not path.is_file():
        raise InvalidArgument(f"The {what} file {path} does not exist.")
    return path.read_bytes()


def _load_key(pem: bytes, path: Path):  # type: ignore[no-untyped-def]
    try:
        return serialization.load_pem_private_key(pem, password=None)
    except TypeError:
        raise InvalidArgument(
            f"The signing key {path} is encrypted; give studiolo an unencrypted PEM key "
            "(keep it readable only by you)."
        ) from None
    except (ValueError, UnsupportedAlgorithm) as exc:
        raise InvalidArgument(f"The signing key {path} is not a PEM private key ({exc}).") from None


def _load_chain(pem: bytes, path: Path) -> list[x509.Certificate]:
    try:
        chain = x509.load_pem_x509_certificates(pem)
    except ValueError as exc:
        raise InvalidArgument(
            f"The certificate chain {path} is not PEM certificates ({exc})."
        ) from None
    if not chain:
        raise InvalidArgument(f"The certificate chain {path} holds no certificate.")
    return chain


def _alg(key, path: Path) -> str:  # type: ignore[no-untyped-def]
    if isinstance(key, ec.EllipticCurvePrivateKey) and key.curve.name in _EC_ALGS:
        return _EC_ALGS[key.curve.name]
    if isinstance(key, ed25519.Ed25519PrivateKey):
        return "ed25519"
    if isinstance(key, rsa.RSAPrivateKey):
        return "ps256"
    raise InvalidArgument(
        f"The signing key {path} is a {type(key).__name__}; C2PA signs with ECDSA P-256/384/521, "
        "RSA (PSS) or Ed25519."
    )


def _public_bytes(public_key) -> bytes:  # type: ignore[no-untyped-def]
    return public_key.public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def _name(name: x509.Name) -> str:
    common = name.get_attributes_for_oid(NameOID.COMMON_NAME)
    return str(common[0].value) if common else name.rfc4514_string()


def _identity_source(folder: Path) -> str:
    try:
        data = json.loads((folder / IDENTITY_FILE).read_text())
    except (OSError, ValueError):
        return "own"  # files dropped in by hand
    return "generated" if isinstance(data, dict) and data.get("source") == "generated" else "own"


# -- files --------------------------------------------------------------------
def _write(path: Path, data: bytes, *, private: bool = False) -> None:
    """Write to a temporary name and rename; a private file is created 0600, never wider."""
    write_atomic(path, data, private=private, fsync=True)


@contextlib.contextmanager
def _lock(folder: Path) -> Iterator[None]:
    """One process at a time makes or replaces the key (two would leave a mismatched pair)."""
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)  # only the owner lists the key folder
    try:
        import fcntl
    except ImportError:  # Windows: no flock; a race there is rare and caught by load_identity
        yield
        return
    with open(folder / ".lock", "w") as fp:
        fcntl.flock(fp, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fp, fcntl.LOCK_UN)

