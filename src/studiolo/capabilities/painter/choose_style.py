"""Pick the built-in painting whose manner fits the scene best.

Each painting is described as "title, by artist: what that artist painted and
how" (short notes written here per artist); MiniLM compares that with the
prompt plus the scene's words. A style word or an artist's name in the prompt
wins outright: "in the style of Van Gogh" gets a Van Gogh.
"""

from __future__ import annotations

import threading
import unicodedata
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from studiolo.capabilities.painter.understand import SceneSpec

_ARTIST_NOTES = {
    "Vincent van Gogh": "post-impressionist swirling brushstrokes, starry night skies, wheat fields, cypresses, sunflowers",
    "Claude Monet": "impressionist light on water, sunrise over the sea, lilies, reflections, mist",
    "Alfred Sisley": "impressionist rivers, floods, calm water and skies",
    "Camille Pissarro": "impressionist city boulevards, villages and winter roofs",
    "Berthe Morisot": "soft impressionist summer days, gardens and figures",
    "Georges Seurat": "pointillist dots of colour, parks and river banks",
    "Katsushika Hokusai": "Japanese ukiyo-e woodblock, great waves, sea and mountains",
    "J. M. W. Turner": "romantic stormy seas, sunsets, golden light and ships",
    "Paul Cézanne": "post-impressionist mountains, pines and solid planes of colour",
    "Paul Gauguin": "vivid tropical colour, figures and flat shapes",
    "Gustav Klimt": "art nouveau gold ornament and pattern",
    "Edgar Degas": "dancers and interiors in pastel",
    "Pierre-Auguste Renoir": "joyful impressionist figures in dappled light",
    "Rembrandt van Rijn": "dark dramatic chiaroscuro portraits",
    "Johannes Vermeer": "quiet interiors with soft window light",
    "Jean-François Millet": "peasants in golden fields at dusk",
    "James McNeill Whistler": "grey and black tonal calm, nocturnes",
    "Hieronymus Bosch": "fantastic dreamlike gardens full of figures",
    "Théodore Géricault": "romantic drama at sea, shipwreck and storm",
    "Eugène Delacroix": "romantic drama, crowds and smoke",
    "Gustave Caillebotte": "rainy city streets",
    "Édouard Manet": "modern life, bold blacks",
    # The world collection (data/make_paintings.py: artworks-world).
    "Utagawa Hiroshige": "Japanese ukiyo-e woodblock print, sudden rain over a bridge and river",
    "Kitagawa Utamaro": "Japanese ukiyo-e woodblock portrait of a woman, night rain, fine lines",
    "Utagawa Kunisada": "Japanese ukiyo-e woodblock memorial portrait of a seated figure",
    "Sesshū Tōyō": "Japanese ink wash landscape, winter mountains, bold dark brush strokes",
    "Tawaraya Sōtatsu": "Japanese gold-leaf folding screens, gods of wind and thunder in clouds",
    "Tomioka Tessai": "Japanese literati ink painting, snowy Mount Fuji on a folding screen",
    "Fan Kuan": "Chinese ink landscape, towering mountains, waterfalls, streams and travellers",
    "Emperor Huizong of Song": "Chinese court ink painting, winter landscape, snow, bare trees",
    "Ma Yuan": "Chinese Song ink painting, peasants dancing home, misty cliffs and willows",
    "Jeong Seon": "Korean true-view ink landscape, rocky mountain after rain, pines and mist",
    "Kim Hong-do": "Korean genre painting in ink, villagers wrestling, dancing, at school",
    "Raja Ravi Varma": "Indian oil painting of epic and mythological scenes, rich colour, rivers",
    "Osman Hamdi Bey": "Ottoman interiors, a scholar, merchants, musicians, tiles and carpets",
    "Unidentified Egyptian artist": "ancient Egyptian papyrus, flat painted figures, gods, hieroglyphs",
    "Artemisia Gentileschi": "Baroque drama, dark chiaroscuro figures in candlelight",
    "Élisabeth Vigée Le Brun": "elegant court portrait of a mother and children in a palace",
    "Judith Leyster": "Dutch Golden Age candlelit interior, figures at night",
    "Sofonisba Anguissola": "Renaissance portrait of children with a dog",
    "Rosa Bonheur": "realist oxen ploughing a field in the countryside",
    "Fidelia Bridges": "delicate watercolour of city rooftops",
    "Frances Flora Bond Palmer": "American river scene, steamboats racing on the Mississippi at night",
}

# Artists named in a prompt by surname (or common short name) -> the artist field.
_ALIASES = {"gogh": "Vincent van Gogh", "vangogh": "Vincent van Gogh", "monet": "Claude Monet",
            "hokusai": "Katsushika Hokusai", "turner": "J. M. W. Turner", "seurat": "Georges Seurat",
            "cezanne": "Paul Cézanne", "gauguin": "Paul Gauguin", "klimt": "Gustav Klimt",
            "sisley": "Alfred Sisley", "pissarro": "Camille Pissarro", "renoir": "Pierre-Auguste Renoir",
            "rembrandt": "Rembrandt van Rijn", "vermeer": "Johannes Vermeer", "millet": "Jean-François Millet",
            "whistler": "James McNeill Whistler", "degas": "Edgar Degas", "morisot": "Berthe Morisot",
            "hiroshige": "Utagawa Hiroshige", "utamaro": "Kitagawa Utamaro", "sesshu": "Sesshū Tōyō",
            "sotatsu": "Tawaraya Sōtatsu", "tessai": "Tomioka Tessai", "varma": "Raja Ravi Varma",
            "gentileschi": "Artemisia Gentileschi", "artemisia": "Artemisia Gentileschi",
            "leyster": "Judith Leyster", "anguissola": "Sofonisba Anguissola",
            "bonheur": "Rosa Bonheur", "kunisada": "Utagawa Kunisada"}

# A style word with no artist named -> the artist who best stands for it.
_STYLE_ARTISTS = {"impressionist": "Claude Monet", "pointillist": "Georges Seurat",
                  "post-impressionist": "Vincent van Gogh", "ukiyo-e": "Katsushika Hokusai",
                  "romantic": "J. M. W. Turner", "art nouveau": "Gustav Klimt", "expressionist": "Vincent van Gogh"}

# Subjects that a family of paintings suits best (issue 22): the ink landscapes of the world
# collection for mountains and mist, ukiyo-e for waves and rain. (test, artists, why)
INK = ("Fan Kuan", "Jeong Seon", "Sesshū Tōyō", "Emperor Huizong of Song", "Ma Yuan", "Tomioka Tessai")
_SUBJECT_RULES = (
    (lambda p: p.has("mountains", "waterfall") and (p.weather == "fog" or p.mood == "mysterious"), INK,
     "an ink landscape for mountains and mist"),
    (lambda p: p.has("mountains", "waterfall") and p.season == "winter" and not p.has("village"), INK,
     "an ink landscape for snowy mountains"),
    (lambda p: p.has("forest") and p.weather == "fog", INK, "an ink landscape for a misty forest"),
    (lambda p: p.has("sea") and p.weather == "storm", ("Katsushika Hokusai", "Utagawa Hiroshige"),
     "ukiyo-e for waves in a storm"),
    (lambda p: p.weather == "rain" and not p.has("street"), ("Utagawa Hiroshige", "Kitagawa Utamaro"),
     "ukiyo-e for rain"),
    (lambda p: p.weather == "rain" and p.has("street"), ("Gustave Caillebotte", "Utagawa Hiroshige"),
     "a rainy street: Caillebotte's or Hiroshige's rain"),
)

_lock = threading.Lock()
_cache: dict[str, object] = {}


@dataclass(frozen=True)
class StyleChoice:
    id: str
    title: str
    artist: str
    year: str
    similarity: float
    why: str


def _plain(text: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFKD", text.lower()) if not unicodedata.combining(c))


def _paintings(cache_dir: Path | None = None) -> tuple[list, np.ndarray]:
    from studiolo.features.styles import list_styles
    from studiolo.features.text import embed_cached

    with _lock:
        if "styles" not in _cache:
            styles = [s for s in list_styles() if s.kind == "painting"]
            texts = [f"{s.title}, by {s.artist}: {_ARTIST_NOTES.get(s.artist, 'a painting')}" for s in styles]
            _cache["styles"] = (styles, embed_cached(texts, cache_dir, "painter-styles"))
        return _cache["styles"]  # type: ignore[return-value]


def choose_style(spec: SceneSpec, cache_dir: Path | None = None) -> StyleChoice:
    """The built-in painting to paint `spec` with, and the similarity that picked it.

    `cache_dir`: where the paintings' text embeddings may be kept between runs.
    """
    styles, vectors = _paintings(cache_dir)
    from studiolo.features.text import get_encoder

    scene = f"{spec.prompt}. {spec.mood.name} {spec.time_of_day.name} {' '.join(spec.subject_names)}"
    sims = vectors @ get_encoder().encode([scene])[0]
    prompt = _plain(spec.prompt).replace("van gogh", "gogh")
    wanted = {artist for key, artist in _ALIASES.items() if key in prompt.split() or key in prompt.replace(" ", "").split()}
    why = "closest painting to the scene (MiniLM cosine)"
    if not wanted:
        wanted = {_STYLE_ARTISTS[c.name] for c in spec.style_words if c.name in _STYLE_ARTISTS}
        why = "the style word(s) " + ", ".join(repr(c.name) for c in spec.style_words) if wanted else why
    else:
        why = f"the prompt names {sorted(wanted)}"
    if not wanted:
        from studiolo.capabilities.painter.plan import plan_scene

        plan = plan_scene(spec)
        for test, artists, reason in _SUBJECT_RULES:
            if test(plan):
                wanted, why = set(artists), f"{reason} (closest of them by MiniLM cosine)"
                break
    candidates = [i for i, s in enumerate(styles) if s.artist in wanted] or list(range(len(styles)))
    if not wanted:  # a day scene is not painted with a night painting's dark strokes
        from studiolo.capabilities.painter.plan import plan_scene

        if plan_scene(spec).time != "night":
            candidates = [i for i in candidates if "night" not in styles[i].title.lower()] or candidates
    best = max(candidates, key=lambda i: float(sims[i]))
    s = styles[best]
    return StyleChoice(s.id, s.title, s.artist, s.year, round(float(sims[best]), 3), why)
