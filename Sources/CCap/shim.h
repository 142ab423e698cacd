// libcap: capability sets of a process (SandboxSecurity).
#include <sys/capability.h>
