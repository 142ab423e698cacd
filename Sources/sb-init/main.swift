// sb-init: being written (issue 3). Placeholder so the package builds.
print("sb-init: not written yet")
