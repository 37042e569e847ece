"""`verify`'s verdicts beyond intact / tampered / none, each on a file the test makes with
c2pa-python: a broken ingredient, a remote manifest, an expired certificate, an untrusted
CAWG identity, a hash binding the library rejects; the exit statuses in `--help`; bounded
output for a huge EXIF UserComment."""

from __future__ import annotations

import datetime as dt
import io
import json
import struct
import time

import c2pa
import numpy as np
import pytest
from hypothesis import given
from hypothesis import settings as hsettings
from hypothesis import strategies as st
from PIL import Image
from test_c2pa import own_identity
from test_verify import CREDITS, RECIPE, build_png, chunks, edit_one_pixel, picture, run, signed_png

import studiolo.cli.provenance_cmds  # noqa: F401  (attaches `verify` to the group)
from studiolo.core.imagemeta import encode_png
from studiolo.core.settings import Settings
from studiolo.provenance.c2pa_manifest import remote_manifest_url, sign_png
from studiolo.provenance.c2pa_status import VERDICTS, classify
from studiolo.provenance.keys import signing_identity
from studiolo.provenance.verify import MAX_LINE, MAX_TEXT, summary_lines, verify_bytes

PHOTO = {
    "claim_generator_info": [{"name": "camera", "version": "1.0"}], "title": "photo",
    "assertions": [{"label": "c2pa.actions", "data": {"actions": [{
        "action": "c2pa.created",
        "digitalSourceType": "http://cv.iptc.org/newscodes/digitalsourcetype/digitalCapture"}]}}],
}
NO_THUMBNAIL = {"builder": {"thumbnail": {"enabled": False}}}


@pytest.fixture(scope="module")
def settings(tmp_path_factory) -> Settings:
    return Settings(home=tmp_path_factory.mktemp("studio"), database_url="sqlite://",
                    person="ana")


def sign_other(data: bytes, fmt: str, key_pem: bytes, chain_pem: bytes, alg: str,
               *, remote: str | None = None) -> bytes:
    """`data` signed by c2pa-python as another tool would; with `remote`, the manifest is
    not embedded and the file only carries its address (XMP dcterms:provenance)."""
    out = io.BytesIO()
    info = c2pa.C2paSignerInfo(alg, chain_pem, key_pem, None)
    context = c2pa.Context(c2pa.Settings.from_dict(NO_THUMBNAIL))
    with c2pa.Signer.from_info(info) as signer, c2pa.Builder(PHOTO, context) as builder:
        if remote:
            builder.set_no_embed()
            builder.set_remote_url(remote)
        builder.sign(signer, fmt, io.BytesIO(data), out)
    return out.getvalue()


def break_signature(signed: bytes) -> bytes:
    """The PNG with one byte of its claim signature (the end of the caBX chunk) flipped."""
    parts = []
    for kind, body in chunks(signed):
        if kind == b"caBX":
            body = body[:-40] + bytes([body[-40] ^ 0xFF]) + body[-39:]
        parts.append((kind, body))
    return build_png(parts)


# -- each verdict -------------------------------------------------------------------
def test_an_ingredient_with_a_broken_signature_is_reported(settings):
    parent = break_signature(signed_png(settings))
    assert verify_bytes(parent, settings=settings).status == "tampered"
    child = sign_png(encode_png(picture(2)), recipe=RECIPE.replace(mode="img2img"),
                     credits=CREDITS, person="ana", settings=settings,
                     parents=[("ab" * 32, parent)])
    report = verify_bytes(child, settings=settings)
    assert report.status == "ingredient_invalid" and report.exit_code == 5
    assert report.signer["this_studio"] is True  # the file itself is as signed
    [ingredient] = report.ingredients
    assert "claimSignature.mismatch" in ingredient["problems"]
    assert any("claimSignature.mismatch" in p for p in report.problems), report.problems
    assert "an ingredient's own credentials are broken" in summary_lines(report)[0]


def test_a_remote_manifest_is_named_and_not_fetched(settings, studio_home, tmp_path, capsys):
    ident = signing_identity(settings)
    url = "https://example.org/manifests/photo.c2pa"
    data = sign_other(encode_png(picture(3)), "image/png", ident.key_pem, ident.chain_pem,
                      ident.alg, remote=url)
    assert remote_manifest_url(data) == url  # the file carries only the address
    report = verify_bytes(data, settings=settings)
    assert report.status == "remote" and report.exit_code == 2
    assert report.remote_manifest == url and report.signer is None
    verdict = summary_lines(report)[0]
    assert url in verdict and "not fetched" in verdict and "Changed" not in verdict
    path = tmp_path / "remote.png"
    path.write_bytes(data)
    code, out, _ = run(capsys, "verify", str(path), "--json")
    shown = json.loads(out)
    assert code == 2 and shown["status"] == "remote" and shown["remote_manifest"] == url
    assert shown["exit_meaning"] == VERDICTS["remote"][1]


def test_an_expired_certificate_is_untrusted_not_tampered(settings, tmp_path):
    start = dt.datetime.now(dt.UTC).replace(microsecond=0)
    key_path, chain_path, _ = own_identity(tmp_path, "Short Lived", start=start,
                                           lifetime=dt.timedelta(seconds=4))
    data = sign_other(encode_png(picture(4)), "image/png", key_path.read_bytes(),
                      chain_path.read_bytes(), "es384")
    time.sleep(max(0.0, (start + dt.timedelta(seconds=5) - dt.datetime.now(dt.UTC))
                   .total_seconds()))
    report = verify_bytes(data, settings=settings)
    assert report.status == "untrusted" and report.exit_code == 4, report.problems
    assert any(p.startswith("signingCredential.expired") for p in report.problems)
    assert report.signer["name"] == "Short Lived" and report.generator == "camera 1.0"
    assert summary_lines(report)[0].startswith("Signed and unchanged, but the signing credential")


def test_an_untrusted_cawg_identity_is_untrusted_not_tampered(settings, tmp_path):
    """The claim is signed by this studio's key; the CAWG X.509 identity assertion by a
    person's own CA that no CAWG trust list here holds."""
    ident = signing_identity(settings)
    key_path, chain_path, _ = own_identity(tmp_path, "Ana Lima (identity)")
    config = {**NO_THUMBNAIL,
              "signer": {"local": {"alg": ident.alg, "sign_cert": ident.chain_pem.decode(),
                                   "private_key": ident.key_pem.decode()}},
              "cawg_x509_signer": {"local": {"alg": "es384",
                                             "sign_cert": chain_path.read_text(),
                                             "private_key": key_path.read_text()}}}
    out = io.BytesIO()
    with c2pa.Builder(PHOTO, c2pa.Context(c2pa.Settings.from_dict(config))) as builder:
        # c2pa-python 0.38 knows only of a signer passed to its Context, not of one its
        # settings describe (which is what adds the CAWG identity): say there is one.
        builder._has_context_signer = True
        builder.sign("image/png", io.BytesIO(encode_png(picture(5))), out)
    report = verify_bytes(out.getvalue(), settings=settings)
    assert report.status == "untrusted" and report.exit_code == 4, report.problems
    assert any(p.startswith("cawg.") for p in report.problems), report.problems
    assert report.signer["this_studio"] is True  # the claim signer itself is trusted here


def jfif(thumbnail_side: int) -> bytes:
    """An APP0 JFIF segment with a black RGB thumbnail of that side (0: none)."""
    body = (b"JFIF\x00\x01\x02\x00\x00\x01\x00\x01" + bytes([thumbnail_side] * 2)
            + bytes(3 * thumbnail_side * thumbnail_side))
    return b"\xff\xe0" + struct.pack(">H", len(body) + 2) + body


def replace_app0(jpeg: bytes, segment: bytes) -> bytes:
    assert jpeg[2:4] == b"\xff\xe0"
    length = struct.unpack(">H", jpeg[4:6])[0]
    return jpeg[:2] + segment + jpeg[4 + length:]


def test_a_hash_binding_the_library_rejects_is_unverifiable(settings):
    """A JPEG signed with a big JFIF thumbnail before its manifest, then the thumbnail
    dropped: the manifest's exclusion range now runs past the end of the file, which
    c2pa refuses to hash (it cannot say what changed), unlike a pixel edit (tampered)."""
    ident = signing_identity(settings)
    buf = io.BytesIO()
    picture(6).save(buf, "JPEG", quality=80)
    jpeg = replace_app0(buf.getvalue(), jfif(140))
    signed = sign_other(jpeg, "image/jpeg", ident.key_pem, ident.chain_pem, ident.alg)
    assert verify_bytes(signed, settings=settings).status == "intact"
    report = verify_bytes(replace_app0(signed, jfif(0)), settings=settings)
    assert report.status == "unverifiable" and report.exit_code == 2, report.problems
    assert any("exclusion" in p for p in report.problems)
    assert "cannot be checked" in summary_lines(report)[0]
    edited = verify_bytes(edit_one_pixel(signed_png(settings)), settings=settings)
    assert edited.status == "tampered" and edited.exit_code == 1
    # A chunk slipped in before the manifest moves it (exclusion misplaced) and changes the
    # hashed bytes: c2pa says both, and the change wins.
    parts = chunks(signed_png(settings))
    parts.insert([k for k, _ in parts].index(b"caBX"), (b"tEXt", b"Comment\x00slipped in"))
    moved = verify_bytes(build_png(parts), settings=settings)
    assert moved.status == "tampered" and any("exclusion" in p for p in moved.problems)


def test_status_codes_map_to_one_class_each():
    assert classify("assertion.dataHash.mismatch", "hash verification( Hashes do not match )") \
        == "tampered"
    assert classify("assertion.dataHash.mismatch",
                    "error: bad parameter: The exclusion range exceed the data length") \
        == "unverifiable"
    assert classify("claimSignature.mismatch") == "tampered"
    assert classify("signingCredential.expired") == "untrusted"
    assert classify("cawg.x509.credential.untrusted") == "untrusted"
    assert classify("signingCredential.untrusted") == "info"  # shown as signer.trusted
    assert classify("ingredient.claimSignature.mismatch") == "ingredient_invalid"
    assert classify("manifest.inaccessible") == "unverifiable"
    assert classify("something.new") == "tampered"


def test_help_documents_every_exit_status(capsys):
    code, out, _ = run(capsys, "verify", "--help")
    assert code == 0
    table = " ".join(out.split())
    for status, (exit_code, _) in VERDICTS.items():
        assert f"{exit_code} {status} " in table, status
    assert "3 (error) FILE cannot be read as an image" in table


# -- bounded output ---------------------------------------------------------------------
def jpeg_with_user_comment(comment: bytes) -> bytes:
    exif = Image.Exif()
    exif.get_ifd(0x8769)[0x9286] = comment
    buf = io.BytesIO()
    Image.fromarray(np.full((48, 64, 3), 120, np.uint8)).save(buf, "JPEG", exif=exif.tobytes())
    return buf.getvalue()


def test_a_huge_or_blank_user_comment_prints_a_bounded_report(studio_home, tmp_path, capsys):
    blank = tmp_path / "blank.jpg"
    blank.write_bytes(jpeg_with_user_comment(b"ASCII\x00\x00\x00" + b" " * 60000))
    code, out, _ = run(capsys, "verify", str(blank))
    assert code == 2 and out.startswith("No content credentials") and len(out) < 1000
    huge = tmp_path / "huge.jpg"
    words = b"a lighthouse at dusk, " * 2900  # 63 800 bytes: EXIF holds at most 64 KiB
    settings_line = b"\nSteps: 20, Sampler: Euler a, CFG scale: 7, Seed: 5, Size: 64x48"
    huge.write_bytes(jpeg_with_user_comment(b"ASCII\x00\x00\x00" + words + settings_line))
    code, out, _ = run(capsys, "verify", str(huge))
    assert code == 2 and all(len(line) <= MAX_LINE for line in out.splitlines())
    assert len(out) < 3 * MAX_LINE and "more characters)" in out
    assert 'prompt "a lighthouse at dusk, a lighthouse' in out  # what is shown is the start
    code, out, _ = run(capsys, "verify", str(huge), "--json")
    shown = json.loads(out)
    assert len(out) < 10 * MAX_TEXT and len(shown["infotext"]["parameters"]) <= MAX_TEXT


@hsettings(max_examples=200, deadline=None)
@given(st.binary(max_size=300), st.sampled_from([b'="', b">", b" = '", b""]), st.binary(max_size=40))
def test_remote_manifest_url_is_total(head, joint, tail):
    found = remote_manifest_url(head + b"dcterms:provenance" + joint + tail)
    assert found is None or (found.startswith(("http://", "https://")) and len(found) < 1100)
    url = remote_manifest_url(b'<rdf:Description dcterms:provenance="https://a.example/m.c2pa"/>')
    assert url == "https://a.example/m.c2pa"
    assert remote_manifest_url(b"<dcterms:provenance>http://b.example/x</dcterms:provenance>") \
        == "http://b.example/x"


# -- the watermark of an artwork made from an artwork --------------------------------
def test_a_stylised_artwork_carries_its_own_mark_not_its_parents(studio_home):
    """A real stylize (the offline style engine) of a painted artwork, its metadata then
    stripped: the watermark names the child, not the parent it was made from."""
    from studiolo.catalog.marks import marks_of
    from studiolo.core.imageio import open_image
    from studiolo.studio import Studio

    studio = Studio(load_entry_points=False)
    [parent] = studio.paint("a lighthouse on a cliff at dusk", seed=3, width=384, height=320)
    [child] = studio.stylize(parent.path, "The Starry Night")
    assert child.parents == (parent.id,)
    [child_mark] = marks_of(studio.catalog, child.id)
    assert child_mark != marks_of(studio.catalog, parent.id)[0]
    for art in (parent, child):
        stripped = encode_png(open_image(art.path))  # pixels only: no text, no manifest
        report = verify_bytes(stripped, catalog=studio.catalog, settings=studio.settings)
        assert report.status == "none" and report.watermark["artwork"] == art.id, art.id
    assert report.watermark["mark"] == child_mark
