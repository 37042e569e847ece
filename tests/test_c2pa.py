"""C2PA content credentials: the key, the manifest as c2pa-python reads it back, privacy."""

from __future__ import annotations

import datetime as dt
import io
import json
import os
import stat

import c2pa
import numpy as np
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from PIL import Image

from studiolo.core.errors import InvalidArgument
from studiolo.core.imageio import sha256_bytes
from studiolo.core.imagemeta import encode_jpeg, encode_png, read_text_chunks
from studiolo.core.settings import Settings
from studiolo.core.types import Credit, Recipe
from studiolo.provenance.c2pa_manifest import (
    CREATED_SOURCE,
    EDITED_SOURCE,
    private_recipe,
    read_manifest,
    sign_png,
)
from studiolo.provenance.infotext import infotext_to_recipe, recipe_to_infotext
from studiolo.provenance.keys import install_identity, signing_identity, trust_anchors

RECIPE = Recipe(engine="painter", prompt="a red fox in snow", negative_prompt="blurry", seed=7,
                steps=4, width=64, height=48, model="painter-v1")
CREDITS = (
    Credit(name="ana", kind="person", role="prompt_author", share=0.5, evidence="made the request"),
    Credit(name="Vincent van Gogh", kind="artist", role="style_source", share=0.5,
           evidence="built-in style The Starry Night (1889)", ref="starry-night"),
)


@pytest.fixture
def settings(tmp_path) -> Settings:
    return Settings(home=tmp_path / "studio", database_url="sqlite://", person="ana")


def picture(seed: int, size: tuple[int, int] = (64, 48)) -> Image.Image:
    rng = np.random.default_rng(seed)
    return Image.fromarray(rng.integers(0, 256, (size[1], size[0], 3), dtype=np.uint8))


def artwork_png(recipe: Recipe = RECIPE, seed: int = 1) -> bytes:
    return encode_png(picture(seed), {"parameters": recipe_to_infotext(recipe)})


def sign(png: bytes, settings: Settings, **kw) -> bytes:
    return sign_png(png, recipe=kw.pop("recipe", RECIPE), credits=CREDITS, person="ana",
                    settings=settings, **kw)


def pem_key(key, encryption=None) -> bytes:
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             encryption or serialization.NoEncryption())


def reader_store(data: bytes, anchors: bytes = b"") -> dict:
    """The manifest store as c2pa-python's own Reader reports it."""
    config = {"trust": {"user_anchors": anchors.decode()}} if anchors else {}
    with c2pa.Reader("image/png", io.BytesIO(data), context=c2pa.Context.from_dict(config)) as r:
        return json.loads(r.json())


def active(store: dict) -> dict:
    return store["manifests"][store["active_manifest"]]


def assertions(manifest: dict) -> dict:
    return {a["label"]: a["data"] for a in manifest["assertions"]}


# -- the key ------------------------------------------------------------------
def test_key_made_on_first_use_with_c2pa_profile_and_0600(settings):
    assert not (settings.home / "keys").exists()
    ident = signing_identity(settings)
    assert (ident.alg, ident.source, ident.subject) == ("es256", "generated", "ana (studiolo)")
    assert stat.S_IMODE(os.stat(ident.key_path).st_mode) == 0o600
    assert stat.S_IMODE(os.stat(ident.key_path.parent).st_mode) == 0o700
    leaf, root = x509.load_pem_x509_certificates(ident.chain_pem)
    assert isinstance(leaf.public_key(), ec.EllipticCurvePublicKey)
    assert leaf.public_key().curve.name == "secp256r1"
    assert leaf.issuer == root.subject and root.issuer == root.subject
    usage = leaf.extensions.get_extension_for_class(x509.KeyUsage).value
    assert usage.digital_signature and not usage.key_cert_sign
    assert not leaf.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    eku = leaf.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    assert ExtendedKeyUsageOID.EMAIL_PROTECTION in eku
    leaf.extensions.get_extension_for_class(x509.AuthorityKeyIdentifier)
    # The root's private key is not kept: only the signing key is a secret on disk.
    keys = sorted(p.name for p in (settings.home / "keys").rglob("*.pem"))
    assert [k for k in keys if "key" in k] == ["signing-key.pem"]
    assert trust_anchors(settings) == root.public_bytes(serialization.Encoding.PEM)
    # The second use reads the same key back instead of making another.
    assert signing_identity(settings).key_pem == ident.key_pem


def own_identity(folder, name: str = "Ana Lima", *, start: dt.datetime | None = None,
                 lifetime: dt.timedelta = dt.timedelta(days=30)):
    """A person's own CA and P-384 signing certificate, as a real CA would issue them,
    valid from `start` (a minute ago) for `lifetime`."""
    folder.mkdir(parents=True, exist_ok=True)
    now = start or dt.datetime.now(dt.UTC) - dt.timedelta(minutes=1)
    ca_key, key = ec.generate_private_key(ec.SECP384R1()), ec.generate_private_key(ec.SECP384R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Lima Family CA")])
    ski = x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key())
    ca = (x509.CertificateBuilder().subject_name(ca_name).issuer_name(ca_name)
          .public_key(ca_key.public_key()).serial_number(x509.random_serial_number())
          .not_valid_before(now).not_valid_after(now + lifetime)
          .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
          .add_extension(x509.KeyUsage(*[False] * 5, True, True, False, False), critical=True)
          .add_extension(ski, critical=False).sign(ca_key, hashes.SHA384()))
    cert = (x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)]))
            .issuer_name(ca_name).public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now).not_valid_after(now + lifetime)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.KeyUsage(True, *[False] * 8), critical=True)
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.EMAIL_PROTECTION]), False)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), False)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(ski),
                           critical=False)
            .sign(ca_key, hashes.SHA384()))
    key_path, chain_path = folder / "own-key.pem", folder / "own-chain.pem"
    key_path.write_bytes(pem_key(key))
    chain_path.write_bytes(b"".join(c.public_bytes(serialization.Encoding.PEM) for c in (cert, ca)))
    return key_path, chain_path, key


def test_own_key_replaces_the_studios_and_old_artworks_still_verify(settings, tmp_path):
    before = sign(artwork_png(), settings)
    key_path, chain_path, _ = own_identity(tmp_path)
    ident = install_identity(settings, key_path, chain_path)
    assert ident.source == "own" and ident.alg == "es384" and ident.subject == "Ana Lima"
    assert signing_identity(settings).key_pem == key_path.read_bytes()
    assert stat.S_IMODE(os.stat(settings.home / "keys" / "signing-key.pem").st_mode) == 0o600
    after = sign(artwork_png(), settings)
    anchors = trust_anchors(settings)
    new, old = reader_store(after, anchors), reader_store(before, anchors)
    assert active(new)["signature_info"]["common_name"] == "Ana Lima"
    assert active(old)["signature_info"]["common_name"] == "ana (studiolo)"
    assert new["validation_state"] == old["validation_state"] == "Trusted"


def test_install_identity_refuses_a_bad_pair_and_keeps_the_studios(settings, tmp_path):
    original = signing_identity(settings).key_pem
    key_path, chain_path, _ = own_identity(tmp_path)
    _, other_chain, key = own_identity(tmp_path / "other")
    with pytest.raises(InvalidArgument, match="does not belong to the first certificate"):
        install_identity(settings, key_path, other_chain)
    encrypted = tmp_path / "locked.pem"
    encrypted.write_bytes(pem_key(key, serialization.BestAvailableEncryption(b"pw")))
    with pytest.raises(InvalidArgument, match="is encrypted"):
        install_identity(settings, encrypted, chain_path)
    with pytest.raises(InvalidArgument, match="not PEM certificates|holds no certificate"):
        install_identity(settings, key_path, key_path)
    with pytest.raises(InvalidArgument, match="does not exist"):
        install_identity(settings, tmp_path / "missing.pem", chain_path)
    assert signing_identity(settings).key_pem == original


# -- the manifest ---------------------------------------------------------------
def test_new_artwork_manifest_read_back_by_reader(settings):
    png = artwork_png()
    signed = sign(png, settings)
    store = reader_store(signed, trust_anchors(settings))
    assert store["validation_state"] == "Trusted"
    manifest = active(store)
    assert manifest["claim_generator_info"][0]["name"] == "studiolo"
    assert manifest["signature_info"]["common_name"] == "ana (studiolo)"
    assert manifest.get("ingredients", []) == []
    data = assertions(manifest)
    [created] = data["c2pa.actions.v2"]["actions"]
    assert created["action"] == "c2pa.created" and created["digitalSourceType"] == CREATED_SOURCE
    assert data["org.studiolo.credits"]["credits"] == [
        {"name": c.name, "kind": c.kind, "role": c.role, "share": c.share, "evidence": c.evidence,
         "ref": c.ref} for c in CREDITS
    ]
    assert Recipe.from_dict(data["org.studiolo.recipe"]["recipe"]) == RECIPE
    assert data["org.studiolo.recipe"]["prompt_in_file"] is True
    uses = data["c2pa.training-mining"]["entries"]
    assert set(uses) == {"c2pa.ai_generative_training", "c2pa.ai_inference", "c2pa.ai_training",
                         "c2pa.data_mining"}
    assert {v["use"] for v in uses.values()} == {"notAllowed"}
    assert {v["use"] for v in data["cawg.training-mining"]["entries"].values()} == {"notAllowed"}
    # Signing adds the manifest and changes nothing else: pixels and text chunks as written.
    assert read_text_chunks(signed) == read_text_chunks(png)
    assert infotext_to_recipe(read_text_chunks(signed)["parameters"]) == RECIPE
    assert np.array_equal(np.asarray(Image.open(io.BytesIO(signed))), np.asarray(picture(1)))
    assert read_manifest(signed, anchors_pem=trust_anchors(settings)) == store
    assert read_manifest(png) is None


def test_edited_artwork_has_parents_style_and_reference_ingredients(settings):
    parent = sign(artwork_png(seed=2), settings)
    second = sign(artwork_png(seed=3), settings)
    style = encode_jpeg(picture(4), quality=90)
    bmp = io.BytesIO()
    picture(5).save(bmp, format="BMP")  # a format C2PA has no reader for: carried as PNG
    edit = RECIPE.replace(mode="img2img", strength=0.5)
    ids = [sha256_bytes(parent), sha256_bytes(second)]
    signed = sign(
        artwork_png(edit, seed=6), settings, recipe=edit,
        parents=[(ids[0], parent), (ids[1], second)],
        ingredients=[("style", style, "The Starry Night"), ("reference", bmp.getvalue(), "pose"),
                     ("style2", encode_png(picture(7)), "")],
    )
    store = reader_store(signed, trust_anchors(settings))
    assert store["validation_state"] == "Trusted", store.get("validation_status")
    manifest = active(store)
    actions = assertions(manifest)["c2pa.actions.v2"]["actions"]
    assert [a["action"] for a in actions] == ["c2pa.opened", "c2pa.edited", "c2pa.placed"]
    assert actions[1]["digitalSourceType"] == EDITED_SOURCE
    got = [(i["title"], i["relationship"], i["instance_id"]) for i in manifest["ingredients"]]
    assert got == [
        (f"artwork {ids[0][:12]}", "parentOf", f"studiolo:artwork:{ids[0]}"),
        (f"artwork {ids[1][:12]}", "componentOf", f"studiolo:artwork:{ids[1]}"),
        ("The Starry Night", "componentOf", f"sha256:{sha256_bytes(style)}"),
        ("pose", "componentOf", f"sha256:{sha256_bytes(bmp.getvalue())}"),
        ("style2 image", "componentOf", f"sha256:{sha256_bytes(encode_png(picture(7)))}"),
    ]
    formats = [i["format"] for i in manifest["ingredients"]]
    assert formats == ["image/png", "image/png", "image/jpeg", "image/png", "image/png"]
    # The parents' own manifests travel with them: the chain of edits can be checked.
    parent_labels = {i.get("active_manifest") for i in manifest["ingredients"][:2]}
    assert None not in parent_labels and parent_labels <= set(store["manifests"])
    assert active(reader_store(parent))["label"] in parent_labels


def test_init_image_is_the_parent_when_no_artwork_is(settings):
    photo = encode_jpeg(picture(9), quality=85)
    edit = RECIPE.replace(mode="img2img", strength=0.4)
    signed = sign(artwork_png(edit), settings, recipe=edit,
                  ingredients=[("init", photo, "holiday.jpg")])
    manifest = active(reader_store(signed))
    assert [a["action"] for a in assertions(manifest)["c2pa.actions.v2"]["actions"]] == [
        "c2pa.opened", "c2pa.edited"]
    [ingredient] = manifest["ingredients"]
    assert (ingredient["title"], ingredient["relationship"]) == ("holiday.jpg", "parentOf")


# -- privacy and the person's choices ---------------------------------------------
def test_private_prompt_is_in_neither_infotext_nor_manifest(settings):
    private = Settings(**{**settings.__dict__, "prompt_in_file": False})
    png = artwork_png(private_recipe(RECIPE))
    signed = sign(png, private)
    assert b"red fox" not in signed and b"blurry" not in signed
    text = read_text_chunks(signed)["parameters"]
    assert infotext_to_recipe(text) == RECIPE.replace(prompt="", negative_prompt="")
    data = assertions(active(reader_store(signed, trust_anchors(settings))))
    assert data["org.studiolo.recipe"]["prompt_in_file"] is False
    assert data["org.studiolo.recipe"]["recipe"]["prompt"] == ""
    assert data["org.studiolo.recipe"]["recipe"]["seed"] == RECIPE.seed
    # Writing the prompt into the file by mistake is caught before signing.
    short = RECIPE.replace(prompt="a", negative_prompt="")  # "a" is in "Karras": no false alarm
    assert b"caBX" in sign(artwork_png(private_recipe(short)), private, recipe=short)
    with pytest.raises(InvalidArgument, match="carries the prompt in its `parameters`"):
        sign(artwork_png(), private)
    # A per-artwork choice overrides the studio's, both ways.
    shown = sign(artwork_png(), private,
                     include_prompt=True)
    assert b"red fox" in shown
    hidden = sign(png, settings,
                      include_prompt=False)
    assert b"red fox" not in hidden


def test_training_mining_choice_from_settings_and_per_artwork(settings):
    def uses(data: bytes) -> set[str]:
        entries = assertions(active(reader_store(data)))["c2pa.training-mining"]["entries"]
        return {v["use"] for v in entries.values()}

    allowed = Settings(**{**settings.__dict__, "training_mining": "allowed"})
    assert uses(sign(artwork_png(), allowed)) == {"allowed"}
    assert uses(sign(artwork_png(), allowed, training_mining="constrained")) == {"constrained"}
    with pytest.raises(InvalidArgument, match="`training_mining` must be one of"):
        sign(artwork_png(), settings,
                 training_mining="maybe")


def test_settings_read_privacy_choices_from_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("STUDIOLO_PROMPT_IN_FILE", "0")
    monkeypatch.setenv("STUDIOLO_TRAINING_MINING", "allowed")
    s = Settings.from_env(tmp_path)
    assert s.prompt_in_file is False and s.training_mining == "allowed"
    monkeypatch.setenv("STUDIOLO_PROMPT_IN_FILE", "perhaps")
    with pytest.raises(InvalidArgument, match="STUDIOLO_PROMPT_IN_FILE"):
        Settings.from_env(tmp_path)
    monkeypatch.delenv("STUDIOLO_PROMPT_IN_FILE")
    monkeypatch.delenv("STUDIOLO_TRAINING_MINING")
    s = Settings.from_env(tmp_path)
    assert s.prompt_in_file is True and s.training_mining == "notAllowed"


def test_sign_png_bad_input_errors(settings):
    with pytest.raises(InvalidArgument, match="`png_bytes` must be the bytes of a PNG"):
        sign(encode_jpeg(picture(1)), settings)
    with pytest.raises(InvalidArgument, match="`png_bytes` must be the bytes of a PNG"):
        sign("not bytes", settings)  # type: ignore[arg-type]
    with pytest.raises(InvalidArgument, match=r"`ingredients\[0\]` must be \(role"):
        sign(artwork_png(), settings,
                 ingredients=[("mood", b"x", "t")])
    with pytest.raises(InvalidArgument, match=r"`parents\[0\]` must be \(artwork id"):
        sign(artwork_png(), settings,
                 parents=[("abc",)])  # type: ignore[list-item]
    with pytest.raises(InvalidArgument, match="`data` must be non-empty bytes"):
        read_manifest(b"")
