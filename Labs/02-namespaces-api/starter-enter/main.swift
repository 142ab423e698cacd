// Placeholder: scripts/make-starters generates this starter from Sources/sb-enter.
print("lab02-enter-starter: not generated yet")
