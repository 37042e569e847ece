"""The word-driven scene plan: what each word of the prompt makes the painter do.

`understand` (MiniLM) finds the broad subject, mood and time; the plan reads the prompt
word by word against the painter's own lexicon (`LEXICON`): motifs (sunflowers, a village,
a road...), time of day, season, weather, mood, named colours and the noun each colours
("red roofs", "blue circles"), and shapes. Every word gets a line saying what it did, and
the words no rule used are listed as `could_not_use`. The plan is a pure function of the
prompt (and the SceneSpec made from it), so the same prompt and seed paint the same pixels.
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass, field
from typing import Any

from studiolo.capabilities.painter.understand import SceneSpec
from studiolo.features.vocab import STOPWORDS

RGB = tuple[float, float, float]

COLOURS: dict[str, RGB] = {
    "red": (0.85, 0.16, 0.12), "crimson": (0.72, 0.08, 0.18), "scarlet": (0.9, 0.15, 0.1),
    "orange": (0.97, 0.52, 0.1), "yellow": (0.98, 0.85, 0.15), "golden": (0.93, 0.72, 0.25),
    "gold": (0.93, 0.72, 0.25), "green": (0.22, 0.62, 0.25), "blue": (0.12, 0.32, 0.85),
    "turquoise": (0.15, 0.7, 0.72), "purple": (0.5, 0.2, 0.65), "violet": (0.55, 0.3, 0.8),
    "pink": (0.97, 0.62, 0.74), "white": (0.96, 0.95, 0.92), "black": (0.06, 0.06, 0.07),
    "grey": (0.52, 0.54, 0.56), "gray": (0.52, 0.54, 0.56), "brown": (0.45, 0.3, 0.16),
}

# word -> (kind, value). Kinds: motif, time, season, weather, mood, shape, abstract, modifier.
_L: dict[str, tuple[str, str]] = {}


def _add(kind: str, value: str, words: str) -> None:
    for w in words.split(","):
        _L[w.strip()] = (kind, value)


_add("motif", "sunflowers", "sunflower, sunflowers")
_add("motif", "poppies", "poppy, poppies")
_add("motif", "tulips", "tulip, tulips")
_add("motif", "lavender", "lavender, provence")
_add("motif", "blossom", "blossom, blossoms, blossoming, cherry, orchard, sakura")
_add("motif", "flowers", "flower, flowers, roses, bloom, wildflowers, meadow, meadows")
_add("motif", "garden", "garden, gardens, park, path")
_add("motif", "village", "village, villages, cottage, cottages, house, houses, hamlet, farmhouse, roofs, "
     "rooftops, town")
_add("motif", "church", "church, spire, steeple, chapel")
_add("motif", "chimneys", "chimney, chimneys, smoking, smoke")
_add("motif", "windows", "window, windows, lit")
_add("motif", "city", "city, skyline, metropolis, skyscrapers, towers, downtown")
_add("motif", "street", "street, streets, avenue, boulevard, alley, lane")
_add("motif", "road", "road, roads, highway, track")
_add("motif", "bridge", "bridge, bridges")
_add("motif", "windmill", "windmill, windmills, mill")
_add("motif", "sailboat", "sailboat, sailboats, sailing, yacht, yachts, sails")
_add("motif", "fishing boat", "fishing, trawler")
_add("motif", "rowing boat", "rowing, rowboat, canoe, punt, dinghy")
_add("motif", "ship", "ship, ships, steamer, galleon, liner")
_add("motif", "boat", "boat, boats, harbour, harbor")
_add("motif", "dunes", "dune, dunes, desert, sahara, sand")
_add("motif", "river", "river, rivers, stream, creek, brook, canal, winding")
_add("motif", "waterfall", "waterfall, waterfalls, cascade, falls")
_add("motif", "lake", "lake, pond, loch, lagoon")
_add("motif", "sea", "sea, ocean, seascape, waves, surf, beach, coast, shore, bay")
_add("motif", "field", "field, fields, wheat, farmland, countryside, prairie, pasture, plain")
_add("motif", "haystacks", "haystack, haystacks, hay, haybales")
_add("motif", "tree", "tree, oak, willow, cypress")
_add("motif", "forest", "forest, forests, woods, woodland, trees, grove, pine, pines")
_add("motif", "mountains", "mountain, mountains, peak, peaks, alps, summit, cliffs")
_add("motif", "hills", "hill, hills, valley, slopes, rolling")
_add("motif", "lighthouse", "lighthouse, beacon")
_add("motif", "figures", "figure, figures, person, people, man, woman, wanderer, walker, walking, child, "
     "couple, traveller, traveler, lady, crowd")
_add("motif", "sun", "sun, sunshine, sunny, sunlight")
_add("motif", "moon", "moon, moonlight, moonlit, crescent")
_add("motif", "stars", "star, stars, starry, galaxy")
_add("time", "dawn", "dawn, sunrise, daybreak, morning")
_add("time", "noon", "noon, midday, day, daytime, afternoon")
_add("time", "dusk", "dusk, sunset, evening, twilight, sundown")
_add("time", "night", "night, nighttime, midnight, nocturne")
_add("season", "spring", "spring, springtime")
_add("season", "summer", "summer, summertime")
_add("season", "autumn", "autumn, fall, autumnal, leaves")
_add("season", "winter", "winter, wintry")
_add("weather", "rain", "rain, rainy, raining, shower, showers, drizzle, wet")
_add("weather", "snow", "snow, snowy, snowing, snowfall, snowflakes")
_add("weather", "fog", "fog, foggy, mist, misty, haze, hazy")
_add("weather", "storm", "storm, stormy, tempest, thunder, thunderstorm, gale")
_add("weather", "cloudy", "cloud, clouds, cloudy, overcast")
_add("weather", "clear", "clear, cloudless")
_add("mood", "joyful", "joyful, joy, happy, cheerful, festive, lively, playful")
_add("mood", "melancholy", "melancholy, melancholic, sad, lonely, gloomy, sombre, somber, sorrowful")
_add("mood", "calm", "calm, peaceful, quiet, serene, still, tranquil, gentle")
_add("mood", "mysterious", "mysterious, eerie, ghostly")
_add("mood", "dramatic", "dramatic, majestic, epic")
_add("shape", "circle", "circle, circles, round, dots, discs, disks")
_add("shape", "line", "line, lines, stripes, strokes")
_add("shape", "square", "square, squares, rectangles, blocks")
_add("shape", "triangle", "triangle, triangles")
_add("abstract", "abstract", "abstract, abstraction, composition, geometric, shapes")
_add("modifier", "setting", "setting, rising")
_add("modifier", "heavy", "heavy, falling")
_add("modifier", "straight", "long, straight")
_add("modifier", "stone", "stone")
_add("modifier", "country", "country, rural")
_add("modifier", "full", "full")
_add("modifier", "lone", "lone, single, solitary")
_add("modifier", "rows", "rows, row")
_add("modifier", "sky", "sky, skies")
_add("modifier", "golden", "golden")

LEXICON: dict[str, tuple[str, str]] = dict(_L)
# Names that a colour word may bind to (the next noun): motif names, plus parts of a scene.
_PARTS = {"sky": "sky", "skies": "sky", "roofs": "roofs", "roof": "roofs", "rooftops": "roofs",
          "leaves": "foliage", "foliage": "foliage", "sea": "water", "lake": "water", "water": "water",
          "river": "water", "field": "ground", "fields": "ground", "dunes": "ground", "sand": "ground",
          "hills": "ground", "meadow": "ground", "grass": "ground"}
_SPEC_MOTIFS = {"sea": "sea", "lake": "lake", "river": "river", "mountains": "mountains", "hills": "hills",
                "field": "field", "forest": "forest", "tree": "tree", "desert": "dunes", "city": "city",
                "stars": "stars", "moon": "moon", "sun": "sun", "flowers": "flowers", "figure": "figures",
                "lighthouse": "lighthouse", "boat": "boat"}
_SPEC_MOODS = {"stormy": "storm", "mysterious": "fog"}
BOATS = ("sailboat", "fishing boat", "rowing boat", "ship", "boat")


@dataclass
class Plan:
    """What the painter will paint, and for each prompt word what it did."""

    motifs: list[str] = field(default_factory=list)
    time: str = "noon"
    season: str = "summer"
    weather: str = "clear"
    mood: str = "calm"
    abstract: bool = False
    colours: dict[str, list[str]] = field(default_factory=dict)  # part/motif/shape -> colour names
    shapes: list[str] = field(default_factory=list)
    modifiers: list[str] = field(default_factory=list)
    words: list[dict[str, str]] = field(default_factory=list)
    could_not_use: list[str] = field(default_factory=list)

    def has(self, *names: str) -> bool:
        return any(n in self.motifs for n in names)

    def colour(self, part: str) -> RGB | None:
        names = self.colours.get(part)
        return COLOURS[names[0]] if names else None

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON for the recipe. Colours are a list of {part, colours}: every string that came
        from the prompt is a value, never a key, so a private recipe's scrubber finds it."""
        out = dataclasses.asdict(self)
        out["colours"] = [{"part": k, "colours": list(v)} for k, v in self.colours.items()]
        return out


def _tokens(prompt: str) -> list[str]:
    return re.findall(r"[a-z][a-z'\-]*", prompt.lower().replace("’", "'"))


def _did(kind: str, value: str, word: str) -> str:
    return {
        "motif": f"painted {value}",
        "time": f"time of day: {value}",
        "season": f"season: {value}",
        "weather": f"weather: {value}",
        "mood": f"mood: {value} (palette and rhythm)",
        "shape": f"shapes: {value}s",
        "abstract": "an abstract composition instead of a landscape",
    }.get(kind, word)


def knows(prompt: str) -> bool:
    """Whether any word of `prompt` is in the painter's own lexicon (motif, colour, shape...)."""
    return any(t in LEXICON or t in COLOURS for t in _tokens(prompt))


def read_prompt(prompt: str, cache_dir=None) -> SceneSpec:
    """`understand` (MiniLM), or for a prompt it cannot place but the lexicon can, a lexical SceneSpec."""
    from studiolo.capabilities.painter.understand import understand
    from studiolo.core.errors import InvalidArgument

    try:
        return understand(prompt, cache_dir=cache_dir)
    except InvalidArgument:
        if not (isinstance(prompt, str) and knows(prompt)):
            raise
        return lexical_spec(prompt)


def lexical_spec(prompt: str) -> SceneSpec:
    """A SceneSpec for a prompt MiniLM could not place but the lexicon can ("haystacks")."""
    from studiolo.capabilities.painter.understand import Choice

    tokens = _tokens(prompt)
    known = tuple(dict.fromkeys(t for t in tokens if t in LEXICON or t in COLOURS))
    default = Choice("calm", 0.0, "default")
    return SceneSpec(prompt=prompt, subjects=(), setting=Choice("countryside", 0.0, "default"), mood=default,
                     time_of_day=Choice("noon", 0.0, "default"), palette=Choice("natural", 0.0, "default"),
                     style_words=(), used_words=known,
                     ignored_words=tuple(t for t in tokens if t not in known and t not in STOPWORDS))


def plan_scene(spec: SceneSpec) -> Plan:
    """The plan for `spec.prompt`: the lexicon first, then what MiniLM understood for the rest."""
    tokens = _tokens(spec.prompt)
    plan = Plan()
    seen: dict[str, str] = {}  # kind -> value set by a word
    used: set[int] = set()
    for i, tok in enumerate(tokens):
        if tok in COLOURS:
            target, j = None, i + 1
            while j < len(tokens) and j <= i + 4:  # "blue circles", "green and purple circles"
                nxt = tokens[j]
                if nxt in COLOURS or nxt == "and":
                    j += 1
                    continue
                if nxt in _PARTS:
                    target = _PARTS[nxt]
                elif LEXICON.get(nxt, ("",))[0] in ("motif", "shape"):
                    target = LEXICON[nxt][1]
                break
            target = target or "scene"
            plan.colours.setdefault(target, []).append(tok)
            plan.words.append({"word": tok, "did": f"coloured the {target} {tok}"})
            used.add(i)
            continue
        if tok not in LEXICON:
            continue
        kind, value = LEXICON[tok]
        used.add(i)
        if kind == "motif":
            if value not in plan.motifs:
                plan.motifs.append(value)
            plan.words.append({"word": tok, "did": _did(kind, value, tok)})
        elif kind in ("time", "season", "weather", "mood"):
            if kind in seen and seen[kind] != value:
                plan.words.append({"word": tok, "did": f"{kind} already {seen[kind]!r}; kept that"})
                continue
            seen[kind] = value
            setattr(plan, kind, value)
            plan.words.append({"word": tok, "did": _did(kind, value, tok)})
        elif kind == "shape":
            if value not in plan.shapes:
                plan.shapes.append(value)
            plan.words.append({"word": tok, "did": _did(kind, value, tok)})
        elif kind == "abstract":
            plan.abstract = True
            plan.words.append({"word": tok, "did": _did(kind, value, tok)})
        else:
            plan.modifiers.append(value)
            plan.words.append({"word": tok, "did": _modifier_did(value, tokens)})
    _from_spec(plan, spec, seen, tokens, used)
    _implied(plan, seen)
    plan.could_not_use = [t for i, t in enumerate(tokens) if i not in used and t not in STOPWORDS
                          and t not in spec.used_words and t != "and"]
    return plan


def _modifier_did(value: str, tokens: list[str]) -> str:
    return {
        "setting": "the sun sits low and warm on the horizon",
        "heavy": "more and larger falling drops or flakes",
        "straight": "a straight road running to the horizon",
        "stone": "a stone arch",
        "country": "a country lane: unpaved, with wheel ruts",
        "full": "a full disc",
        "lone": "a single one, standing alone",
        "rows": "planted in rows converging on the horizon",
        "sky": "the sky (takes the colour named before it)",
        "golden": "a golden light on the land",
    }[value]


def _from_spec(plan: Plan, spec: SceneSpec, seen: dict[str, str], tokens: list[str], used: set[int]) -> None:
    """Words the lexicon does not list but MiniLM placed ("tempest", "meadowland")."""
    for c in spec.subjects:
        motif = _SPEC_MOTIFS.get(c.name)
        if c.name in ("flow", "geometry") and c.score > 0 and not plan.motifs:
            if not plan.abstract:
                plan.abstract = True
                plan.words.append({"word": c.name, "did": f"an abstract composition ({c.why})"})
        elif motif and motif not in plan.motifs and c.score > 0 and not _covered(motif, plan):
            plan.motifs.append(motif)
            plan.words.append({"word": c.why, "did": f"painted {motif}"})
    if "mood" not in seen and spec.mood.score > 0 and not _lexical_word(spec.mood.why):
        name = spec.mood.name
        if name in _SPEC_MOODS and "weather" not in seen:
            plan.weather = _SPEC_MOODS[name]
            seen["weather"] = plan.weather
            plan.words.append({"word": spec.mood.why, "did": f"weather: {plan.weather}"})
        elif name in ("joyful", "melancholy", "calm", "dramatic", "mysterious"):
            plan.mood = name
            seen["mood"] = name
            plan.words.append({"word": spec.mood.why, "did": f"mood: {name} (palette and rhythm)"})
        elif name in ("energetic", "dreamy"):
            plan.mood = "joyful" if name == "energetic" else "calm"
            seen["mood"] = plan.mood
            plan.words.append({"word": spec.mood.why, "did": f"mood: {plan.mood}"})
    if "time" not in seen and spec.time_of_day.score > 0 and not _lexical_word(spec.time_of_day.why):
        plan.time = spec.time_of_day.name
        seen["time"] = plan.time
        plan.words.append({"word": spec.time_of_day.why, "did": f"time of day: {plan.time}"})


def _lexical_word(why: str) -> bool:
    """True when MiniLM's choice came from a word the lexicon already read (and placed)."""
    m = re.fullmatch(r"the word '(.+)'", why)
    return bool(m) and (m.group(1) in LEXICON or m.group(1) in COLOURS)


def _covered(motif: str, plan: Plan) -> bool:
    if motif == "boat":
        return plan.has(*BOATS)
    if motif == "flowers":
        return plan.has("sunflowers", "poppies", "tulips", "lavender", "blossom", "garden")
    if motif == "city":
        return plan.has("village", "street")
    if motif == "field":
        return plan.has("lavender", "sunflowers", "poppies", "tulips", "haystacks")
    return False


def _implied(plan: Plan, seen: dict[str, str]) -> None:
    """What one word implies for the others, each written down as a default."""
    def note(what: str) -> None:
        plan.words.append({"word": "(default)", "did": what})

    if "setting" in plan.modifiers and plan.has("sun") and "time" not in seen:
        plan.time, seen["time"] = "dusk", "dusk"
        note("a setting sun: dusk")
    if plan.has("stars", "moon") and "time" not in seen:
        plan.time, seen["time"] = "night", "night"
        note("stars or a moon: night")
    if plan.has("windows") and not plan.has("village", "city", "street"):
        plan.motifs.append("village")
    if plan.has("church", "chimneys") and not plan.has("village", "city", "street"):
        plan.motifs.append("village")
    if plan.has("fishing boat", "rowing boat", "sailboat", "ship", "boat") and not plan.has("sea", "lake", "river"):
        plan.motifs.append("sea")
        note("a boat floats on a sea")
    if plan.has("lighthouse") and not plan.has("sea"):
        plan.motifs.append("sea")
        note("a lighthouse stands by the sea")
    if plan.has("bridge", "waterfall") and not plan.has("river", "lake", "sea"):
        plan.motifs.append("river")
        note("a bridge or a waterfall needs a river")
    if "season" not in seen:
        if plan.weather == "snow":
            plan.season = "winter"
            note("snow: winter")
        elif plan.has("blossom", "tulips"):
            plan.season = "spring"
            note("blossom and tulips: spring")
    if plan.season == "winter" and plan.weather != "snow" and not plan.abstract:
        note("winter: snow lies on the ground")
    if plan.weather == "storm" and plan.mood == "calm" and "mood" not in seen:
        plan.mood = "dramatic"
    if plan.shapes and not plan.motifs:
        plan.abstract = True
    if plan.abstract and plan.motifs and not plan.shapes:
        plan.abstract = False  # "an abstract forest": paint the forest
    if not plan.motifs and not plan.abstract:
        plan.motifs += ["field", "hills"]
        note("nothing to stand in the scene: an open landscape")
