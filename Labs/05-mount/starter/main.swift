// Placeholder: scripts/make-starters generates this starter from Sources/sb-mount.
print("lab05-starter: not generated yet")
