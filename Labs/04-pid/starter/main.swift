// Placeholder: scripts/make-starters generates this starter from Sources/sb-pid.
print("lab04-starter: not generated yet")
