// sb-overlay: being written (issue 5). Placeholder so the package builds.
print("sb-overlay: not written yet")
