import SandboxMounts
import Testing

/// SandboxMounts' pure parts: no mount is made here.
@Suite("SandboxMounts without privilege")
struct MountsUnitTests {
    static let sample = """
        22 1 254:0 / / rw,relatime shared:1 - ext4 /dev/vda rw
        63 22 0:41 / /mnt/my\\040disk rw,nosuid master:7 - tmpfs my\\011tmp rw,size=1024k
        64 22 0:42 /sub /srv/back\\134slash ro shared:3 master:2 - tmpfs tmpfs rw
        65 22 0:43 / /proc rw,nosuid,nodev,noexec - proc proc rw
        not a mountinfo line
        """

    @Test("MountInfo.parse reads every well-formed line and unescapes octal escapes")
    func parse() {
        let entries = MountInfo.parse(MountsUnitTests.sample)
        #expect(entries.count == 4)
        #expect(entries.map(\.mountPoint) == ["/", "/mnt/my disk", "/srv/back\\slash", "/proc"])
        #expect(entries[1].source == "my\ttmp")
        #expect(entries[2].root == "/sub")
        #expect(entries[2].options == "ro")
        #expect(entries[3].type == "proc")
        #expect(entries[1].parentID == 22)
    }

    @Test("propagation comes from the optional fields: shared:N, master:N, or none")
    func propagation() {
        let entries = MountInfo.parse(MountsUnitTests.sample)
        #expect(entries[0].propagation == .shared)
        #expect(entries[1].propagation == .slave)
        #expect(entries[2].propagation == .shared)  // shared and a slave at once: it still passes mounts on
        #expect(entries[3].propagation == .private)
    }

    @Test("MountFlags describe themselves with the man page's names")
    func flagNames() {
        #expect(MountFlags([.recursive, .private]).description == "MS_REC|MS_PRIVATE")
        #expect(MountFlags([.bind, .remount, .readOnly]).description == "MS_RDONLY|MS_REMOUNT|MS_BIND")
        #expect(MountFlags([]).description == "0")
    }

    @Test("mount(2) calls are narrated with their real arguments")
    func describeCall() {
        let text = Mounts.describe(source: "proc", target: "/proc", type: "proc", flags: [.noSuid], data: nil)
        #expect(text == "mount(\"proc\", \"/proc\", \"proc\", MS_NOSUID, NULL)")
    }

    @Test("device numbers round-trip through makedev's layout")
    func deviceNumbers() {
        for (major, minor) in [(1, 3), (5, 0), (136, 2), (4095, 255), (259, 70_000)] as [(UInt32, UInt32)] {
            let number = ContainerFilesystems.deviceNumber(major: major, minor: minor)
            let split = ContainerFilesystems.split(UInt64(number))
            #expect(split.major == major && split.minor == minor)
        }
        #expect(ContainerFilesystems.deviceNumber(major: 1, minor: 3) == 0x103)
    }

    @Test("a container's /dev holds the six devices, five links and pts")
    func devEntries() {
        #expect(ContainerFilesystems.devEntries.count == 12)
        #expect(ContainerFilesystems.devEntries.contains("pts"))
        #expect(!ContainerFilesystems.devEntries.contains("sda"))
    }
}
