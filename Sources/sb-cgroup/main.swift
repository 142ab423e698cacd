// sb-cgroup: being written (issue 4). Placeholder so the package builds.
print("sb-cgroup: not written yet")
