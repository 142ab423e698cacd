// Placeholder: scripts/make-starters generates this starter from Sources/sb-net.
print("lab07-starter: not generated yet")
