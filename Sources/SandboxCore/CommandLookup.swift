// Finding the command a tool will run, and the exit status when it cannot.

extension Sys {
    /// Finds `command` on `$PATH` as execvp(3) would, or throws the error
    /// execve(2) would give for it: ENOENT.
    ///
    /// Tools call it before they change anything, so a mistyped command ends
    /// with status 127 and no namespace, mount or cgroup made for nothing.
    public static func resolveCommand(_ command: String) throws(SyscallError) -> String {
        guard let path = resolveExecutable(command, searchPath: getenv("PATH")) else {
            throw SyscallError(call: "execve", path: command, errno: .noSuchFileOrDirectory)
        }
        return path
    }
}

extension SyscallError {
    /// The status a shell gives a command that could not run: 127 when it was
    /// not found, 126 when it was found but could not be executed (POSIX,
    /// Shell Command Language, 2.8.2). Every sb-* tool exits the same way.
    public var commandExitStatus: Int32 { errno == .noSuchFileOrDirectory ? 127 : 126 }
}
