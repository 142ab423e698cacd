// Placeholder: scripts/make-starters generates this starter from Sources/sb-ns.
print("lab02-starter: not generated yet")
