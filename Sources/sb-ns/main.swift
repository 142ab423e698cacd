// sb-ns: being written (issue 3). Placeholder so the package builds.
print("sb-ns: not written yet")
