"""The painter's motifs, one module per family; each function draws one motif onto a canvas.

`ink.Ink` is the shared pen: shapes drawn with Pillow into a colour and an alpha layer, laid
over the float canvas once (fast, antialiased by a slight blur). Motif modules: `terrain`
(mountains, hills, ground, dunes, rivers, roads, waterfalls), `water` (seas and lakes, boats),
`flora` (flowers by kind, trees by season, forests, haystacks), `buildings` (villages,
churches, streets, windmills, bridges), `weather` (rain, snow, fog), `figures` and `abstract`.
"""
