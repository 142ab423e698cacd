// sb-net: being written (issue 3). Placeholder so the package builds.
print("sb-net: not written yet")
