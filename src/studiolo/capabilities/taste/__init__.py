"""Personal taste: learn what one person likes from the pairs they pick, and use it.

- `features`: what a picture looks like to taste (bundled EfficientNet-Lite0, the
  Magenta style vector, colour and composition statistics; CLIP or DINO when local).
- `cache`: features of stored artworks, kept in memory and on disk.
- `model`: Bradley-Terry with a Laplace posterior, active choice of the next pair,
  held-out accuracy.
- `profile`: a person's fitted profile in the catalog; `load_profile(studio,
  name).score_images(images)` scores any pictures.
- `codes`: a profile as a short shareable code ("stv1-...").

Nothing is imported here, so `import studiolo.capabilities.taste.steer` stays light.
"""
