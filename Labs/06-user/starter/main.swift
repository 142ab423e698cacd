// Placeholder: scripts/make-starters generates this starter from Sources/sb-user.
print("lab06-starter: not generated yet")
