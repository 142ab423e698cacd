#!/usr/bin/env python3
# Tests/BrokenImplementations/lab11_unpack.py — a second, independent lab 11
# image unpacker (python3, stdlib only), with mistakes you can switch on.
#
# Why it exists: `sb-grade 11 --impl PATH` runs `PATH unpack IMAGE DEST` and
# checks the tree it leaves. A check is only worth its points if it fails for
# the reason its hint names, so the project keeps implementations that are
# right except for one thing. With LAB11_MISTAKE unset this one is correct
# (its tree of the fixture image lists exactly like umoci's); set it to one of
# the names in MISTAKES and it makes that single, classic mistake.
#
# What "unpack" does, in order:
#   1. index.json -> the "latest" (or only) manifest, through an index to the
#      linux/amd64 one -> config -> layers. Every blob's size and sha256 are
#      checked against its descriptor before the blob is used.
#   2. Each layer, bottom first, is decompressed into an unnamed temporary
#      file; the sha256 of the tar must equal the config's rootfs.diff_ids.
#   3. Its entries are applied inside DEST. Names are cleaned lexically; each
#      parent is opened one component at a time with O_NOFOLLOW, and a symlink
#      on the way is resolved here with DEST as "/" (what openat2's
#      RESOLVE_IN_ROOT does in the kernel); the last component is never
#      followed. Owner before mode (chown clears setuid); directories get
#      their metadata after the layer's last entry. Whiteouts delete only what
#      lower layers made.
# On any refusal it prints "lab11: error: ...", removes what it wrote (DEST
# itself if it created it) and exits 1.
#
# Usage: lab11_unpack.py unpack [--max-entries N] IMAGE DEST

import argparse, errno, gzip, hashlib, json, os, re, shutil, stat, sys, tarfile, tempfile, zlib

MISTAKES = {
    "no-whiteouts": ".wh.NAME entries are written as ordinary files; nothing is deleted",
    "no-opaque": ".wh..wh..opq is ignored; lower contents of the directory stay",
    "opaque-order": "an opaque marker also deletes what this layer wrote before it",
    "follow-symlinks": "parents are opened by joining paths, so a symlink on the way is followed anywhere",
    "absolute-names": "an absolute name is written at that path on the host",
    "dotdot": "names are joined and normpath'ed, so '../x' lands beside DEST",
    "hardlink-outside": "a hardlink target is used as given, so it may name a host file",
    "no-digests": "no digest, size or diff_id is checked",
    "mode-before-owner": "chmod before chown, so chown clears the setuid bit",
    "no-metadata": "owners, modes and times are not applied",
}
MISTAKE = os.environ.get("LAB11_MISTAKE", "")
INDEXES = {"application/vnd.oci.image.index.v1+json", "application/vnd.docker.distribution.manifest.list.v2+json"}
MANIFESTS = {"application/vnd.oci.image.manifest.v1+json", "application/vnd.docker.distribution.manifest.v2+json"}
CONFIGS = {"application/vnd.oci.image.config.v1+json", "application/vnd.docker.container.image.v1+json"}
LAYERS = {f"application/vnd.oci.image.layer.{kind}v1.tar{compression}"
          for kind in ("", "nondistributable.") for compression in ("", "+gzip", "+zstd")}
LAYERS |= {"application/vnd.docker.image.rootfs.diff.tar", "application/vnd.docker.image.rootfs.diff.tar.gzip",
           "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip"}
DIR_FLAGS = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC
PATH_MAX = 4096  # bytes, with the terminating NUL
MAX_LINKS = 40  # the kernel's limit on symlinks followed in one lookup
OPAQUE = b".wh..wh..opq"
SKIPPED_XATTRS = ("security.selinux", "trusted.overlay.")  # the host's business, not the image's
CHUNK = 1 << 20
TYPE_NAMES = {tarfile.SYMTYPE: "symlink", tarfile.LNKTYPE: "hardlink", tarfile.FIFOTYPE: "fifo",
              tarfile.CHRTYPE: "char device", tarfile.BLKTYPE: "block device"}


class Refusal(Exception):
    """The image or a layer is refused; the message says why."""


def mistake(name):
    return MISTAKE == name


def show(raw):
    """A name for messages: readable, one line, not endless."""
    text = raw.decode("utf-8", "backslashreplace")
    return text if len(text) <= 80 else text[:77] + "..."


# ---- 1. the image: index -> manifest -> config -> layers, every blob checked


def verify_blob(image, descriptor):
    """Return the path of the descriptor's blob after checking its size and sha256."""
    digest = str(descriptor.get("digest"))
    if not re.fullmatch(r"sha256:[0-9a-f]{64}", digest):  # this also keeps "../" out of the path
        raise Refusal(f"descriptor digest {digest!r} is not sha256:<64 hex digits>")
    path, size, sha = os.path.join(image, "blobs", "sha256", digest[7:]), 0, hashlib.sha256()
    if not os.path.lexists(path):
        raise Refusal(f"blob {digest} is missing: no file {path}")
    with open(path, "rb") as blob:  # any other problem (a directory, no permission) says so itself
        while chunk := blob.read(CHUNK):
            size += len(chunk)
            sha.update(chunk)
    if not mistake("no-digests") and size != descriptor.get("size"):
        raise Refusal(f"blob {digest} has {size} bytes but its descriptor says {descriptor.get('size')}")
    if not mistake("no-digests") and "sha256:" + sha.hexdigest() != digest:
        raise Refusal(f"blob {digest} hashes to sha256:{sha.hexdigest()}: it was corrupted or altered")
    return path


def read_json(image, descriptor, allowed, what):
    """Check that a descriptor has one of the allowed media types, verify its blob and parse it."""
    if descriptor.get("mediaType") not in allowed:
        raise Refusal(f"the {what} descriptor has media type {descriptor.get('mediaType')!r}, not a {what} type")
    with open(verify_blob(image, descriptor), "rb") as blob:
        try:
            return json.load(blob)
        except ValueError as error:
            raise Refusal(f"the {what} {descriptor['digest']} is not valid JSON: {error}") from None


def resolve_image(image):
    """Follow index.json to the image's (layer descriptor, diff_id) pairs, bottom layer first."""
    if not os.path.lexists(os.path.join(image, "oci-layout")):
        raise Refusal(f"{image} is not an OCI image layout: it has no oci-layout file (or cannot be read)")
    with open(os.path.join(image, "index.json"), "rb") as file:
        try:
            entries = json.load(file).get("manifests") or []
        except ValueError as error:
            raise Refusal(f"{image}/index.json is not valid JSON: {error}") from None
    tagged = [d for d in entries if (d.get("annotations") or {}).get("org.opencontainers.image.ref.name") == "latest"]
    if not tagged and len(entries) != 1:
        raise Refusal(f"{image}/index.json has {len(entries)} entries and none is tagged 'latest'")
    descriptor = (tagged or entries)[0]
    if descriptor.get("mediaType") in INDEXES:
        platforms = read_json(image, descriptor, INDEXES, "index").get("manifests") or []
        amd64 = [d for d in platforms if (d.get("platform") or {}).get("os") == "linux"
                 and d["platform"].get("architecture") == "amd64"]
        if not amd64:
            raise Refusal(f"the index {descriptor['digest']} has no linux/amd64 manifest")
        descriptor = amd64[0]
    manifest = read_json(image, descriptor, MANIFESTS, "manifest")
    config = read_json(image, manifest.get("config") or {}, CONFIGS, "config")
    layers, diff_ids = manifest.get("layers") or [], (config.get("rootfs") or {}).get("diff_ids") or []
    if len(layers) != len(diff_ids):
        raise Refusal(f"the manifest has {len(layers)} layers but config rootfs.diff_ids has {len(diff_ids)}")
    return list(zip(layers, diff_ids))


def decompress_layer(image, descriptor, diff_id):
    """Verify a layer blob, decompress it into an unnamed temporary file and check its diff_id there."""
    media, digest = descriptor.get("mediaType"), descriptor.get("digest")
    if media not in LAYERS:
        raise Refusal(f"layer {digest} has media type {media!r}, not a layer type")
    if media.endswith("zstd"):
        raise Refusal(f"layer {digest} is zstd-compressed, which python's stdlib cannot read")
    path, out, sha = verify_blob(image, descriptor), tempfile.TemporaryFile(), hashlib.sha256()
    with open(path, "rb") as raw:
        source = gzip.GzipFile(fileobj=raw) if media.endswith("gzip") else raw
        try:
            while chunk := source.read(CHUNK):
                sha.update(chunk)
                out.write(chunk)
        except (EOFError, zlib.error, gzip.BadGzipFile) as error:
            raise Refusal(f"layer {digest} does not decompress: {error}") from None
    if not mistake("no-digests") and "sha256:" + sha.hexdigest() != diff_id:
        raise Refusal(f"layer {digest} decompresses to sha256:{sha.hexdigest()}, but rootfs.diff_ids says {diff_id}")
    out.seek(0)
    return out


# ---- 2. paths: clean names, open parents without leaving DEST


def clean(name, what="entry"):
    """Split a tar name into components: drop "" and ".", pop on ".."; refuse climbing above the root."""
    parts = []
    for part in name.split(b"/"):
        if part == b"..":
            if not parts:
                raise Refusal(f'{what} "{show(name)}" climbs out of the root with ".."')
            parts.pop()
        elif part not in (b"", b"."):
            parts.append(part)
    if len(b"/".join(parts)) + 1 > PATH_MAX:
        raise Refusal(f'{what} "{show(name)}" is {len(name)} bytes long, over PATH_MAX ({PATH_MAX})')
    return parts


def remove(parent, leaf):
    """Remove leaf in parent whatever it is: a directory recursively, a symlink itself, never its target."""
    try:
        is_dir = stat.S_ISDIR(os.lstat(leaf, dir_fd=parent).st_mode)
    except FileNotFoundError:
        return
    if is_dir:
        shutil.rmtree(leaf, dir_fd=parent)  # fd-based: it never follows a symlink inside
    else:
        os.unlink(leaf, dir_fd=parent)


class Unpacker:
    def __init__(self, dest, max_entries):
        self.dest, self.max_entries, self.privileged = dest, max_entries, os.geteuid() == 0
        self.root = os.open(dest, DIR_FLAGS)
        self.host = os.open(b"/", DIR_FLAGS)  # used only by the absolute-names and dotdot mistakes
        if not self.privileged:
            print("lab11: warning: not root: owners are not set and device nodes are skipped", file=sys.stderr)

    def locate(self, name):
        """Where an entry goes: (the directory its components start from, the components)."""
        if mistake("absolute-names") and name.startswith(b"/"):
            return self.host, clean(name)  # the mistake: "/etc/x" means the host's /etc/x
        if mistake("dotdot"):  # the mistake: join, normalise, and trust the result
            joined = os.path.normpath(os.path.join(self.dest, name.lstrip(b"/")))
            if not joined.startswith(self.dest + b"/") and joined != self.dest:
                return self.host, clean(joined)
        return self.root, clean(name)

    def open_dir(self, base, parts, create):
        """Open the directory at parts under base without leaving base; create missing ones (0755) if asked.

        A symlink on the way is read and resolved here: an absolute target
        restarts at base and ".." stops at base, like openat2(RESOLVE_IN_ROOT)."""
        if mistake("follow-symlinks") and base == self.root:
            path = os.path.join(self.dest, *parts)  # the mistake: the kernel follows each symlink, anywhere
            if create:
                os.makedirs(path, 0o755, exist_ok=True)
            return os.open(path, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
        stack, todo, links = [os.dup(base)], list(reversed(parts)), 0
        try:
            while todo:
                part = todo.pop()
                if part == b"..":
                    if len(stack) > 1:
                        os.close(stack.pop())
                    continue
                if part in (b"", b"."):
                    continue
                try:
                    stack.append(os.open(part, DIR_FLAGS, dir_fd=stack[-1]))
                    continue
                except FileNotFoundError:
                    if not create:
                        raise
                    os.mkdir(part, 0o755, dir_fd=stack[-1])
                    todo.append(part)
                    continue
                except NotADirectoryError:  # a file, or a symlink that O_NOFOLLOW did not follow
                    if not stat.S_ISLNK(os.lstat(part, dir_fd=stack[-1]).st_mode):
                        raise
                links += 1
                if links > MAX_LINKS:
                    raise OSError(errno.ELOOP, "more than 40 symlinks while resolving a parent inside the root")
                target = os.readlink(part, dir_fd=stack[-1])
                if target.startswith(b"/"):
                    while len(stack) > 1:
                        os.close(stack.pop())
                todo.extend(reversed(target.split(b"/")))
            return stack.pop()
        finally:
            for fd in stack:
                os.close(fd)

    # ---- 3. layers and entries

    def apply_layer(self, tar):
        """Apply one layer: its entries, then opaque directories, then directory metadata, deepest first."""
        self.written, self.opaque, self.directories = set(), [], []
        for count, member in enumerate(tar, start=1):
            if count > self.max_entries:
                raise Refusal(f"the layer has more than {self.max_entries} entries (--max-entries)")
            name = os.fsencode(member.name)  # surrogateescape gives back the archive's exact bytes
            try:
                self.apply_entry(tar, member, name)
            except OSError as error:
                raise Refusal(f'entry "{show(name)}": {error.strerror or error}') from None
        tar.fileobj.seek(tar.offset)  # tarfile stops quietly at a header it cannot parse: look
        while chunk := tar.fileobj.read(CHUNK):
            if chunk.strip(b"\0"):
                raise Refusal(f"unreadable tar header at byte {tar.offset}, after the last entry read")
        for parts in self.opaque:
            self.clear(parts, keep=self.written)
        for base, parts, member in sorted(self.directories, key=lambda d: -len(d[1])):
            try:
                parent, leaf = self.open_dir(base, parts[:-1], create=False), parts[-1] if parts else b"."
            except (FileNotFoundError, NotADirectoryError):
                continue
            try:
                if stat.S_ISDIR(os.lstat(leaf, dir_fd=parent).st_mode):  # else replaced later in the layer
                    self.set_metadata(member, parent, leaf)
            finally:
                os.close(parent)

    def apply_entry(self, tar, member, name):
        if member.size < 0:
            raise Refusal(f'entry "{show(name)}" has a negative size: a corrupt header')
        base, parts = self.locate(name)
        if parts and parts[-1].startswith(b".wh."):
            return self.whiteout(tar, member, base, parts, name)
        if not parts and not member.isdir():
            kind = TYPE_NAMES.get(member.type, "file")
            raise Refusal(f'entry "{show(name)}" would turn the root directory into a {kind}')
        if parts:
            parent = self.open_dir(base, parts[:-1], create=True)
            try:
                self.make(tar, member, name, parent, parts[-1])
            finally:
                os.close(parent)
        if member.isdir():
            self.directories.append((base, parts, member))
        self.written.update(tuple(parts[:i]) for i in range(1, len(parts) + 1))

    def make(self, tar, member, name, parent, leaf):
        """Create leaf in parent as the entry says, replacing what is there, never following leaf."""
        if not (member.isreg() or member.isdir() or member.islnk() or member.issym() or member.isdev()):
            raise Refusal(f'entry "{show(name)}" has tar type {member.type!r}, which a layer may not contain')
        if member.isdir():
            try:
                keep = stat.S_ISDIR(os.lstat(leaf, dir_fd=parent).st_mode)  # a directory stays, a symlink goes
            except FileNotFoundError:
                keep = False
            if not keep:
                remove(parent, leaf)
                os.mkdir(leaf, 0o755, dir_fd=parent)
            return  # its metadata comes after the layer's last entry
        if member.islnk():
            return self.hardlink(member, name, parent, leaf)
        if (member.ischr() or member.isblk()) and not self.privileged:
            print(f'lab11: warning: skipped device "{show(name)}": mknod needs root', file=sys.stderr)
            return
        remove(parent, leaf)
        if member.isreg():
            flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC
            with os.fdopen(os.open(leaf, flags, 0o600, dir_fd=parent), "wb") as out:
                shutil.copyfileobj(tar.extractfile(member), out, CHUNK)
        elif member.issym():
            os.symlink(os.fsencode(member.linkname), leaf, dir_fd=parent)
        elif member.isfifo():
            os.mkfifo(leaf, 0o600, dir_fd=parent)
        else:
            kind = stat.S_IFCHR if member.ischr() else stat.S_IFBLK
            os.mknod(leaf, kind | 0o600, os.makedev(member.devmajor, member.devminor), dir_fd=parent)
        self.set_metadata(member, parent, leaf)

    def hardlink(self, member, name, parent, leaf):
        """Link leaf to an entry already inside DEST. A hard link shares its target's inode and metadata."""
        target = os.fsencode(member.linkname)
        if mistake("hardlink-outside"):  # the mistake: the target path is taken as it is
            remove(parent, leaf)
            return os.link(os.path.join(self.dest, target), leaf, dst_dir_fd=parent, follow_symlinks=False)
        parts = clean(target, f'hardlink "{show(name)}" target')
        try:
            source = self.open_dir(self.root, parts[:-1], create=False)
        except (FileNotFoundError, NotADirectoryError):
            source = None
        try:
            if not parts or source is None or not os.path.lexists(b"/proc/self/fd/%d/%s" % (source, parts[-1])):
                raise Refusal(f'hardlink "{show(name)}" points at "{show(target)}", which is not in the image')
            remove(parent, leaf)  # follow_symlinks=False: a link to a symlink links the symlink itself
            os.link(parts[-1], leaf, src_dir_fd=source, dst_dir_fd=parent, follow_symlinks=False)
        finally:
            if source is not None:
                os.close(source)

    def whiteout(self, tar, member, base, parts, name):
        """.wh.NAME deletes NAME from lower layers; .wh..wh..opq hides its directory's lower contents."""
        leaf, directory = parts[-1], parts[:-1]
        if leaf == OPAQUE:
            if mistake("opaque-order"):  # the mistake: clear at the marker, taking this layer's earlier entries
                self.clear(directory, keep=set())
            elif not mistake("no-opaque"):
                self.opaque.append(directory)  # cleared after the layer's last entry
            return
        victim = leaf[4:]
        if leaf.startswith(b".wh..wh.") or tuple(directory) + (victim,) in self.written:
            return  # other AUFS bookkeeping names; or a path this layer made (whiteouts hide lower layers only)
        if victim in (b"", b".", b"..") and not mistake("no-whiteouts"):
            raise Refusal(f'whiteout "{show(name)}" names "{show(victim)}", not one entry')
        try:
            parent = self.open_dir(base, directory, create=False)
        except (FileNotFoundError, NotADirectoryError):
            return  # nothing there to delete (e.g. under a path this layer made a file)
        try:
            if mistake("no-whiteouts"):  # the mistake: the marker becomes a file
                self.make(tar, member, name, parent, leaf)
                self.written.add(tuple(parts))
            else:
                remove(parent, victim)
        finally:
            os.close(parent)

    def clear(self, parts, keep):
        """Remove what is in directory parts except the paths in keep; look inside kept directories."""
        try:
            fd = self.open_dir(self.root, parts, create=False)
        except (FileNotFoundError, NotADirectoryError):
            return
        try:
            for child in map(os.fsencode, os.listdir(fd)):
                if tuple(parts) + (child,) not in keep:
                    remove(fd, child)
                elif stat.S_ISDIR(os.lstat(child, dir_fd=fd).st_mode):
                    self.clear(parts + [child], keep)
        finally:
            os.close(fd)

    def set_metadata(self, member, parent, leaf):
        """Owner, mode, xattrs, then times of leaf in parent, never following a symlink at leaf.

        Owner first: chown(2) clears setuid, setgid and security.capability."""
        at, apply = {"dir_fd": parent, "follow_symlinks": False}, not mistake("no-metadata")
        chmod = apply and not member.issym()  # symlinks have no mode; other leaves are no symlink to follow
        if chmod and mistake("mode-before-owner"):
            os.chmod(leaf, member.mode & 0o7777, dir_fd=parent)
        if apply and self.privileged:
            os.chown(leaf, member.uid, member.gid, **at)
        if chmod and not mistake("mode-before-owner"):
            os.chmod(leaf, member.mode & 0o7777, dir_fd=parent)
        for key, value in member.pax_headers.items():  # PAX records SCHILY.xattr.NAME=VALUE, GNU tar's form
            attribute = key[len("SCHILY.xattr."):]
            if not key.startswith("SCHILY.xattr.") or attribute.startswith(SKIPPED_XATTRS):
                continue
            if not self.privileged and attribute.startswith(("security.", "trusted.")):
                print(f'lab11: warning: skipped xattr {attribute} of "{show(leaf)}": it needs root', file=sys.stderr)
            else:
                os.setxattr(b"/proc/self/fd/%d/%s" % (parent, leaf), attribute,
                            value.encode("utf-8", "surrogateescape"), follow_symlinks=False)  # /proc: no dir_fd form
        if apply:
            atime = float(member.pax_headers.get("atime", member.mtime))
            os.utime(leaf, ns=(int(atime * 1e9), int(member.mtime * 1e9)), **at)


def main(argv):
    parser = argparse.ArgumentParser(
        prog="lab11_unpack.py", formatter_class=argparse.RawDescriptionHelpFormatter,
        description="Unpack an OCI image layout into DEST, safely, or with one deliberate mistake.",
        epilog="LAB11_MISTAKE selects a mistake (unset: correct):\n"
        + "\n".join(f"  {name:18} {what}" for name, what in MISTAKES.items()))
    unpack = parser.add_subparsers(dest="command", required=True).add_parser("unpack", help="unpack IMAGE into DEST")
    unpack.add_argument("image", help="an OCI image layout directory (oci-layout, index.json, blobs/)")
    unpack.add_argument("dest", help="the root filesystem's directory: new, or empty")
    unpack.add_argument("--max-entries", type=int, default=500_000, help="refuse a layer with more entries")
    args = parser.parse_args(argv)
    if MISTAKE and MISTAKE not in MISTAKES:
        parser.error(f"LAB11_MISTAKE={MISTAKE!r} is not one of: {', '.join(MISTAKES)}")
    os.umask(0)  # modes come from the image, not from our umask
    dest = os.fsencode(os.path.abspath(args.dest))
    try:
        os.mkdir(dest, 0o755)
        created = True
    except FileExistsError:
        created = False
        if os.path.islink(dest) or not os.path.isdir(dest) or os.listdir(dest):
            print(f"lab11: error: {args.dest} exists and is not an empty directory", file=sys.stderr)
            return 1
    except OSError as error:
        print(f"lab11: error: cannot create {args.dest}: {error.strerror}", file=sys.stderr)
        return 1
    try:
        layers = resolve_image(args.image)
        unpacker = Unpacker(dest, args.max_entries)
        for number, (descriptor, diff_id) in enumerate(layers, start=1):
            with decompress_layer(args.image, descriptor, diff_id) as layer:
                if os.fstat(layer.fileno()).st_size == 0:
                    continue  # a zero-byte tar: an empty layer
                try:
                    with tarfile.open(fileobj=layer, mode="r:", encoding="utf-8", errors="surrogateescape") as tar:
                        unpacker.apply_layer(tar)
                except (Refusal, tarfile.TarError) as error:
                    what = "not a readable tar: " if isinstance(error, tarfile.TarError) else ""
                    raise Refusal(f"layer {number} ({descriptor['digest'][:19]}): {what}{error}") from None
        print(f"lab11: unpacked {len(layers)} layers into {args.dest}" + (f" (mistake: {MISTAKE})" if MISTAKE else ""))
        return 0
    except Exception as error:  # besides ours: OSError, and JSON of the wrong shape (a list for an object)
        detail = error if isinstance(error, (Refusal, OSError)) else f"{type(error).__name__}: {error}"
        print(f"lab11: error: {detail}", file=sys.stderr)
    except BaseException:  # Ctrl-C: clean up too
        discard(dest, created)
        raise
    discard(dest, created)
    return 1


def discard(dest, created):
    """Undo a failed unpack: remove DEST if we created it, else empty it again."""
    if created:
        shutil.rmtree(dest, ignore_errors=True)
        return
    fd = os.open(dest, DIR_FLAGS)
    for child in os.listdir(fd):
        remove(fd, os.fsencode(child))
    os.close(fd)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
