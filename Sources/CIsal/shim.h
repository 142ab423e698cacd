// Intel's ISA-L inflate (igzip): gzip decompression about four times as fast
// as zlib on x86-64, used by the layer reader for tar+gzip layers.
#include <isa-l/igzip_lib.h>
