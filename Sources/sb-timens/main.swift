// sb-timens: being written (issue 3). Placeholder so the package builds.
print("sb-timens: not written yet")
