// sb-enter: being written (issue 3). Placeholder so the package builds.
print("sb-enter: not written yet")
