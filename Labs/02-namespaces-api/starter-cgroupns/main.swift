// Placeholder: scripts/make-starters generates this starter from Sources/sb-cgroupns.
print("lab02-cgroupns-starter: not generated yet")
