// libarchive, read by the layer applier (SandboxImage) and reported by sb-doctor.
#include <archive.h>
#include <archive_entry.h>
