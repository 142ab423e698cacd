// sb-ipc: being written (issue 3). Placeholder so the package builds.
print("sb-ipc: not written yet")
