// Placeholder: scripts/make-starters generates this starter from Sources/sb-timens.
print("lab02-timens-starter: not generated yet")
