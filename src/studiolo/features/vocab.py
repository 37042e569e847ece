"""What the painter knows how to paint: concepts with trigger words and a description.

Trigger words are matched lexically (exact words and phrases, simple plurals);
the description is embedded with MiniLM so a prompt word that is not listed
("tempest", "meadowland") can still land on the nearest concept.
"""

from __future__ import annotations

from dataclasses import dataclass

CATEGORIES = ("subject", "setting", "mood", "time", "palette", "style")


@dataclass(frozen=True)
class Concept:
    category: str
    name: str
    words: tuple[str, ...]
    description: str


def _c(category: str, name: str, words: str, description: str) -> Concept:
    return Concept(category, name, tuple(w.strip() for w in words.split(",") if w.strip()), description)


CONCEPTS: tuple[Concept, ...] = (
    # -- subjects ---------------------------------------------------------------
    _c("subject", "sea", "sea, ocean, seascape, waves, wave, surf, tide, marine, bay, water",
       "the sea, ocean waves and open water"),
    _c("subject", "lake", "lake, pond, loch, lagoon, reflection, reflections",
       "a still lake with reflections"),
    _c("subject", "river", "river, stream, creek, brook, canal", "a river winding through land"),
    _c("subject", "mountains", "mountain, mountains, peak, peaks, alps, summit, range, cliffs, volcano",
       "mountains, rocky peaks and ridges"),
    _c("subject", "hills", "hill, hills, valley, slopes, rolling, downs", "rolling green hills and a valley"),
    _c("subject", "field", "field, fields, meadow, meadows, wheat, grass, grassland, farmland, prairie, "
       "countryside, landscape, pasture, plain, plains", "a meadow or wheat field in open countryside"),
    _c("subject", "forest", "forest, woods, woodland, trees, pines, jungle, grove", "a forest of trees"),
    _c("subject", "tree", "tree, oak, willow, cypress", "a single tree"),
    _c("subject", "desert", "desert, dunes, dune, sand, sahara", "desert sand dunes under a hot sky"),
    _c("subject", "snow", "snow, snowy, winter, ice, frozen, glacier", "snow and ice in winter"),
    _c("subject", "city", "city, town, village, skyline, buildings, street, streets, houses, rooftops, urban",
       "a city skyline with buildings and windows"),
    _c("subject", "stars", "stars, starry, star, galaxy, milky way, cosmos, constellation, night sky, space",
       "a starry night sky full of stars"),
    _c("subject", "moon", "moon, moonlight, moonlit, full moon, crescent", "the moon glowing in the sky"),
    _c("subject", "sun", "sun, sunshine, sunny, sunlight, sunbeam", "the bright sun in the sky"),
    _c("subject", "clouds", "cloud, clouds, cloudy, sky, skies, overcast", "clouds drifting across the sky"),
    _c("subject", "flowers", "flower, flowers, garden, poppies, tulips, roses, blossom, blossoms, lilies, "
       "sunflowers, bloom", "a garden of colourful flowers"),
    _c("subject", "figure", "figure, person, man, woman, girl, boy, child, wanderer, walker, people, "
       "traveler, traveller, couple, lady", "a lone human figure standing"),
    _c("subject", "lighthouse", "lighthouse, beacon", "a lighthouse on the coast"),
    _c("subject", "boat", "boat, boats, ship, ships, sail, sailboat, yacht, fishing boat, harbor, harbour",
       "a sailing boat on the water"),
    _c("subject", "flow", "abstract, abstraction, flow, swirl, swirls, swirling, currents, energy, motion, "
       "rhythm, composition", "an abstract composition of flowing lines and colour"),
    _c("subject", "geometry", "geometric, geometry, shapes, circles, squares, triangles, lines, grid, "
       "cubes", "geometric shapes, circles and squares"),
    # -- settings ---------------------------------------------------------------
    _c("setting", "coast", "coast, shore, beach, seaside, coastline, harbor, harbour",
       "a coast where land meets the sea"),
    _c("setting", "countryside", "countryside, rural, farm, pastoral, village", "quiet rural countryside"),
    _c("setting", "wilderness", "wilderness, wild, alpine, highlands, remote", "remote wild nature"),
    _c("setting", "urban", "urban, downtown, metropolis", "a busy city"),
    _c("setting", "cosmos", "cosmos, universe, space, heavens", "outer space and the heavens"),
    _c("setting", "garden", "garden, park, orchard", "a garden or park"),
    _c("setting", "dream", "dream, dreamscape, imaginary, surreal, fantasy", "a surreal dream world"),
    # -- moods ------------------------------------------------------------------
    _c("mood", "calm", "calm, still, stillness, quiet, serene, serenity, peaceful, peace, tranquil, "
       "tranquility, gentle, silent, silence, soft", "calm, peaceful and still"),
    _c("mood", "stormy", "stormy, storm, storms, tempest, thunder, lightning, rough, wild, turbulent, "
       "rain, rainy, windy", "a violent storm with wind and dark clouds"),
    _c("mood", "melancholy", "melancholy, melancholic, sad, sadness, sorrow, lonely, lone, loneliness, "
       "solitude, alone, grief, wistful, gloomy, somber, sombre", "sad, lonely and melancholy"),
    _c("mood", "joyful", "joyful, joy, happy, happiness, cheerful, bright, festive, playful, lively",
       "happy, joyful and cheerful"),
    _c("mood", "mysterious", "mysterious, mystery, eerie, misty, mist, fog, foggy, haze, hazy, ghostly",
       "mysterious, foggy and eerie"),
    _c("mood", "dramatic", "dramatic, epic, majestic, sublime, grand, powerful", "dramatic and majestic"),
    _c("mood", "dreamy", "dreamy, dreamlike, ethereal, magical, enchanted, whimsical", "dreamy and ethereal"),
    _c("mood", "energetic", "energetic, energy, vibrant, dynamic, chaotic, explosive, restless", "energetic and chaotic"),
    # -- time of day ------------------------------------------------------------
    _c("time", "dawn", "dawn, sunrise, daybreak, morning, early", "sunrise at dawn, early morning light"),
    _c("time", "noon", "noon, midday, day, daytime, daylight, afternoon, summer",
       "bright midday under a blue sky"),
    _c("time", "dusk", "dusk, sunset, evening, twilight, sundown, golden hour",
       "sunset at dusk with an orange sky"),
    _c("time", "night", "night, nighttime, midnight, nocturne, nocturnal, dark, darkness, moonlit, starry",
       "night time darkness"),
    # -- palettes ---------------------------------------------------------------
    _c("palette", "warm", "warm, red, orange, fiery, fire, autumn, autumnal, crimson", "warm red and orange colours"),
    _c("palette", "cool", "cool, cold, blue, icy, teal, cyan, turquoise", "cool blue colours"),
    _c("palette", "golden", "golden, gold, amber, honey, yellow", "golden yellow light"),
    _c("palette", "pastel", "pastel, pale, soft pink, pink, lavender, delicate", "soft pastel colours"),
    _c("palette", "monochrome", "monochrome, black and white, grayscale, greyscale, grey, gray, sepia, ink",
       "black and white monochrome"),
    _c("palette", "vivid", "vivid, colorful, colourful, saturated, rainbow, neon, psychedelic",
       "vivid saturated colours"),
    _c("palette", "earthy", "earthy, brown, ochre, rustic, earth", "earthy brown and ochre tones"),
    _c("palette", "green", "green, emerald, verdant, lush, spring", "lush green colours"),
    _c("palette", "purple", "purple, violet, magenta, indigo", "purple and violet colours"),
    # -- style words --------------------------------------------------------------
    _c("style", "impressionist", "impressionist, impressionism, monet, renoir, plein air",
       "impressionist painting of light and water"),
    _c("style", "pointillist", "pointillist, pointillism, dots, seurat, signac", "pointillist painting made of dots"),
    _c("style", "post-impressionist", "post-impressionist, van gogh, gogh, vincent, swirling brushstrokes, "
       "cezanne, gauguin", "post-impressionist swirling brushstrokes"),
    _c("style", "expressionist", "expressionist, expressionism, munch, scream, kirchner",
       "expressionist painting of emotion"),
    _c("style", "ukiyo-e", "ukiyo-e, ukiyoe, woodblock, japanese, hokusai, hiroshige, great wave",
       "Japanese ukiyo-e woodblock print"),
    _c("style", "cubist", "cubist, cubism, picasso, braque", "cubist fragmented planes"),
    _c("style", "abstract", "kandinsky, mondrian, pollock, abstract expressionism, modernist",
       "abstract modern art"),
    _c("style", "romantic", "romantic, romanticism, turner, friedrich, constable", "romantic landscape painting"),
    _c("style", "art nouveau", "art nouveau, klimt, mucha, ornamental", "art nouveau gold ornament"),
    _c("style", "mosaic", "mosaic, stained glass, tiles", "mosaic of tiles"),
    _c("style", "sketch", "sketch, drawing, pencil, charcoal", "a pencil sketch drawing"),
    _c("style", "watercolor", "watercolor, watercolour, wash", "a soft watercolour painting"),
)


# Words too common to mean anything for a picture.
STOPWORDS = frozenset(
    ["a", "an", "the", "of", "in", "on", "at", "by", "with", "and", "or", "under", "over", "above", "below", "into", "onto", "from", "to", "for", "near", "beside", "behind", "across", "through", "during", "its", "it", "is", "are", "was", "be", "this", "that", "these", "those", "some", "very", "painting", "paint", "picture", "image", "artwork", "art", "scene", "view", "style", "styled", "like", "in", "the", "style", "my", "our", "your", "their", "his", "her", "there", "here", "as", "out", "up", "down", "off", "about", "after", "before", "between", "while", "just", "only", "one", "two", "three", "many", "few", "of", "some", "more", "most", "much", "beautiful", "lovely", "nice", "pretty", "made", "make", "create", "draw", "showing", "shows"]
)

EXAMPLES = ("a calm sea at dusk", "mountains at dawn", "a starry night over a village", "a melancholy field")
