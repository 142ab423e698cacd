// Placeholder: scripts/make-starters generates this starter from Sources/sb-ipc.
print("lab03-ipc-starter: not generated yet")
