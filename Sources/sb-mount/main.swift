// sb-mount: being written (issue 3). Placeholder so the package builds.
print("sb-mount: not written yet")
