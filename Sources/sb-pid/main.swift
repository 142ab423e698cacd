// sb-pid: being written (issue 3). Placeholder so the package builds.
print("sb-pid: not written yet")
