// Placeholder: scripts/make-starters generates this starter from Sources/sb-cgroup.
print("lab08-starter: not generated yet")
