// sb-user: being written (issue 3). Placeholder so the package builds.
print("sb-user: not written yet")
