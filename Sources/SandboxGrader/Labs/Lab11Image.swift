import SandboxCore

#if canImport(Glibc)
    import Glibc
#endif

/// Lab 11: an OCI image unpacker that applies layers safely.
///
/// Contract: `IMPL unpack IMAGE DEST` unpacks the OCI image layout IMAGE (the
/// index.json entry tagged `latest`, or the only one) into DEST, which does
/// not exist yet: every layer in order, whiteouts and opaque directories
/// applied, every digest, size and diff_id checked. It exits 0, or non-zero
/// with an error on stderr when it refuses an image, leaving nothing behind.
///
/// The checks use the fixture scripts/make-images builds (its tree must equal
/// `umoci unpack`'s), the hostile corpus of scripts/make-hostile-images, and a
/// one-layer image the grader writes itself; every run is jailed (`UnpackRun`).
enum Lab11 {
    static let lab = Lab(
        number: "11", slug: "11-image", title: "OCI images: digests, layers, whiteouts, a safe unpacker",
        reference: "sb-image", contract: "IMPL unpack IMAGE DEST",
        checks: [runs, tree, whiteouts, opaque, dotdot, symlinks, hardlinks, digests],
        starterSources: ["Sources/sb-image"], needsRootfs: false)

    static let runs = Check(
        id: "11.runs", title: "unpacks the fixture image (6 layers) and exits 0", points: 10,
        hint: "IMPL unpack IMAGE DEST: read IMAGE/index.json, take the manifest tagged latest, read its config,"
            + " then apply each layer (tar+gzip) in order into DEST."
    ) { context in
        let inputs = try ImageInputs.find()
        return try UnpackScratch.with { scratch in
            let run = try scratch.unpack(context, inputs.fixture)
            guard run.result.status == .exited(0), Sys.exists(scratch.destination + "/etc/hostname") else {
                return .fail(
                    "DEST/etc/hostname \(Sys.exists(scratch.destination + "/etc/hostname") ? "exists" : "is missing"); \(summary(run.result))"
                )
            }
            return .pass("exit 0, DEST/etc/hostname from layer 1 is there")
        }
    }

    static let tree = Check(
        id: "11.tree", title: "the tree equals umoci's: types, modes, owners, contents, links, xattrs", points: 20,
        dependsOn: ["11.runs"],
        hint: "compare `python3 scripts/tree-listing DEST --exclude-root-meta` with"
            + " .sandboxlabs/images/fixture.oracle.listing: chown before chmod (chown clears setuid), keep"
            + " hardlinks as links, set xattrs, and never follow a symlink in the last component."
    ) { context in
        let inputs = try ImageInputs.find()
        return try UnpackScratch.with { scratch in
            let run = try scratch.unpack(context, inputs.fixture)
            guard run.result.status == .exited(0) else { return .fail(summary(run.result)) }
            let ours = try inputs.listing(scratch.destination).split(separator: "\n").map(String.init)
            let oracle = try ProcFile.read(inputs.oracle).split(separator: "\n").map(String.init)
            let missing = oracle.filter { !Set(ours).contains($0) }
            let extra = ours.filter { !Set(oracle).contains($0) }
            guard missing.isEmpty && extra.isEmpty else {
                let shown = (missing.prefix(3).map { "expected: " + $0 } + extra.prefix(3).map { "got:      " + $0 })
                return .fail(
                    "\(missing.count) of umoci's lines missing, \(extra.count) extra; " + shown.joined(separator: " | ")
                )
            }
            return .pass("\(ours.count) entries, identical to umoci unpack")
        }
    }

    static let whiteouts = Check(
        id: "11.whiteouts", title: "whiteouts delete what lower layers made; no .wh. file is left", points: 15,
        dependsOn: ["11.runs"],
        hint: "an entry DIR/.wh.NAME is an instruction, not a file: remove DIR/NAME (a whole tree if it is a"
            + " directory, a symlink itself, never its target) and write nothing for the .wh. entry."
    ) { context in
        let inputs = try ImageInputs.find()
        return try UnpackScratch.with { scratch in
            let run = try scratch.unpack(context, inputs.fixture)
            let gone = ["files/hello.txt", "doomed-dir", "files/deleted-in-layer-4", "dir-deleted-in-layer-4"]
            let present = gone.filter { Sys.exists(scratch.destination + "/" + $0) }
            let listing = try inputs.listing(scratch.destination)
            let markers = listing.split(separator: "\n").filter { $0.contains(".wh.") }.map {
                String($0.prefix { $0 != "\t" })
            }
            guard run.result.status == .exited(0), present.isEmpty, markers.isEmpty else {
                return .fail(
                    "still there: \((present + markers).prefix(6).joined(separator: ", ")); \(summary(run.result))")
            }
            return .pass("4 whited-out paths are gone and no .wh. name was written")
        }
    }

    static let opaque = Check(
        id: "11.opaque", title: "an opaque directory hides lower content, wherever its marker is in the tar",
        points: 10, dependsOn: ["11.runs"],
        hint: "DIR/.wh..wh..opq means: remove everything lower layers put in DIR, but keep what THIS layer"
            + " wrote there, even the entries that came before the marker in the tar (image-spec layer.md)."
    ) { context in
        let inputs = try ImageInputs.find()
        return try UnpackScratch.with { scratch in
            let run = try scratch.unpack(context, inputs.fixture)
            let names = ((try? directoryNames(scratch.destination + "/recreated")) ?? []).sorted()
            guard run.result.status == .exited(0), names == ["after", "before-marker"] else {
                return .fail("recreated/ holds \(names), expected [after, before-marker]; \(summary(run.result))")
            }
            return .pass("recreated/ holds only layer 6's after/ and before-marker")
        }
    }

    static let dotdot = Check(
        id: "11.dotdot", title: "names with \"..\" that climb out, and whiteouts of \"..\", are refused",
        points: 10, dependsOn: ["11.runs"],
        hint: "clean each name lexically (split at /, drop \".\" and \"\", pop on \"..\") and refuse the layer when"
            + " \"..\" would climb above DEST; a whiteout .wh.. or .wh... names \"..\": refuse it too."
    ) { context in
        let inputs = try ImageInputs.find()
        for name in [
            "dotdot-file", "dotdot-nested", "whiteout-dotdot-top", "whiteout-dotdot", "whiteout-dotdot-nested",
        ] {
            let verdict = try UnpackScratch.with { scratch in
                let run = try scratch.unpack(context, inputs.hostile(name))
                let escapes = scratch.escapes(run)
                guard escapes.isEmpty, run.result.status != .exited(0) else {
                    return .fail(
                        "\(name): \(escapes.isEmpty ? "not refused" : "wrote " + escapes.joined(separator: " ")); \(summary(run.result))"
                    )
                }
                return .pass("")
            }
            if case .fail = verdict { return verdict }
        }
        return .pass("5 hostile layers refused, nothing written beside DEST")
    }

    static let symlinks = Check(
        id: "11.symlinks", title: "a symlink in an entry's path never leads a write out of DEST", points: 15,
        dependsOn: ["11.runs"],
        hint: "open each parent inside DEST: openat2(RESOLVE_IN_ROOT) resolves symlinks as if DEST were /, or walk"
            + " the components with O_NOFOLLOW; an absolute name is relative to DEST, never to the host's /."
    ) { context in
        let inputs = try ImageInputs.find()
        let cases = ["symlink-then-file", "symlink-dotdot-then-file", "symlink-parent-outside", "absolute-path"]
        for name in cases {
            let verdict = try UnpackScratch.with { scratch in
                let run = try scratch.unpack(context, inputs.hostile(name))
                let escapes = scratch.escapes(run)
                guard escapes.isEmpty else {
                    return .fail(
                        "\(name): wrote outside DEST: \(escapes.prefix(4).joined(separator: " ")); \(summary(run.result))"
                    )
                }
                return .pass("")
            }
            if case .fail = verdict { return verdict }
        }
        return .pass("\(cases.count) hostile layers: nothing written under /etc, /tmp or beside DEST")
    }

    static let hardlinks = Check(
        id: "11.hardlinks", title: "a hardlink may only point at a file inside DEST", points: 10,
        dependsOn: ["11.runs"],
        hint: "clean the hardlink's target like an entry name and link to DEST/TARGET: an absolute target"
            + " /var/tmp/x means DEST/var/tmp/x. Linking the host's file would hand the container the host's inode."
    ) { context in
        try UnpackScratch.with { scratch in
            let secret = scratch.root + "/secret"
            try ProcFile.write(secret, "host data\n", create: true)
            let image = scratch.root + "/image"
            try TinyImage.write([.file("ok", "fine\n"), .hardlink("stolen", target: secret)], to: image)
            let run = try scratch.unpack(context, image)
            var info = stat()
            _ = lstat(secret, &info)
            guard info.st_nlink == 1, scratch.escapes(run).isEmpty else {
                return .fail("the host file \(secret) now has \(info.st_nlink) links; \(summary(run.result))")
            }
            return .pass("the hardlink to \(secret) did not reach the host file (\(run.result.status))")
        }
    }

    static let digests = Check(
        id: "11.digests", title: "a blob that does not match its digest, size or diff_id is refused", points: 10,
        dependsOn: ["11.runs"],
        hint: "hash every blob (sha256) while reading it and compare with its descriptor's digest and size; hash"
            + " each layer's uncompressed tar and compare with the config's rootfs.diff_ids."
    ) { context in
        let inputs = try ImageInputs.find()
        for name in ["digest-mismatch", "size-mismatch", "diffid-mismatch"] {
            let verdict = try UnpackScratch.with { scratch in
                let run = try scratch.unpack(context, inputs.hostile(name))
                guard run.result.status != .exited(0) else { return .fail("\(name) was unpacked without a complaint") }
                guard !Sys.exists(scratch.destination) || ((try? directoryNames(scratch.destination)) ?? []).isEmpty
                else { return .fail("\(name): refused, but DEST was left with files in it") }
                return .pass("")
            }
            if case .fail = verdict { return verdict }
        }
        return .pass("digest, size and diff_id mismatches refused, DEST left empty")
    }
}
