import Foundation
import FreightCore
import FreightEngine
import FreightTestSupport
import Testing

/// The dashboard in a real terminal (tmux), on real registries. Serialized: these measure
/// time and bandwidth, and tmux sessions compete for two cores.
@Suite("Dashboard in tmux", .serialized, .budget(minutes: 6))
struct DashboardTests {
    /// A source registry with `tags` images of two random layers each, and an empty destination.
    struct Registries {
        let source: TestRegistry
        let destination: TestRegistry
        let repository = "team/app"
        let tags: [String]
        /// The images, as an OCI layout: a test can push more of them.
        let layout: String
        private let work = TemporaryDirectory("dashboard-images")

        init(tags count: Int, layerSize: Int) throws {
            source = try TestRegistry.start()
            destination = try TestRegistry.start()
            self.layout = work.file("layout")
            let layout = try LayoutBuilder(path: self.layout, seed: UInt64(count * 1000 + layerSize))
            tags = (0..<count).map { "1.\($0)" }
            for tag in tags { try layout.tag(layout.simpleImage(layerCount: 2, layerSize: layerSize, label: tag), tag) }
            for tag in tags { try Fixtures.push(layout: layout.path, tag: tag, to: "\(source.host)/\(repository):\(tag)") }
        }

        /// Every tag at the destination has the source's manifest digest; returns how many there are.
        func verifyDestination() throws -> Int {
            guard let copied = try? Skopeo.tags("\(destination.host)/\(repository)") else { return 0 }
            for tag in copied {
                #expect(try Skopeo.digest("\(destination.host)/\(repository):\(tag)") == Skopeo.digest("\(source.host)/\(repository):\(tag)"),
                        "\(tag) differs at the destination")
            }
            return copied.count
        }
    }

    /// A UTF-8, 256-colour terminal with its own state and config directories.
    static func environment(_ home: TemporaryDirectory, _ overrides: [String: String?] = [:]) -> [String: String?] {
        var environment: [String: String?] = [
            "HOME": home.path, "XDG_STATE_HOME": home.file("state"), "XDG_CONFIG_HOME": home.file("config"),
            "LANG": "C.UTF-8", "LC_ALL": nil, "LC_CTYPE": nil, "TERM": "xterm-256color", "NO_COLOR": nil,
            "NCURSES_NO_UTF8_ACS": "1",
        ]
        for (key, value) in overrides { environment[key] = value }
        return environment
    }

    static func copy(_ source: String, _ destination: String, _ extra: [String] = []) -> [String] {
        [Paths.binary, "copy", "--all-tags", source, destination, "--ui", "tui", "--jobs", "1"] + extra
    }

    static func hasBoxDrawing(_ text: String) -> Bool {
        text.unicodeScalars.contains { (0x2500...0x259F).contains($0.value) }
    }

    /// SGR sequences in raw terminal output that set a colour (foreground or background).
    static func colourEscapes(_ raw: Data) -> [String] {
        let text = String(decoding: raw, as: UTF8.self)
        guard let pattern = try? NSRegularExpression(pattern: "\u{1B}\\[([0-9;]*)m") else { return [] }
        return pattern.matches(in: text, range: NSRange(text.startIndex..., in: text)).compactMap { match in
            let parameters = (text as NSString).substring(with: match.range(at: 1)).split(separator: ";").compactMap { Int($0) }
            let colour = parameters.contains { (30...49).contains($0) || (90...107).contains($0) }
            return colour ? (text as NSString).substring(with: match.range) : nil
        }
    }

    @Test("a copy shows the repository and its progress; q with work left stops, exits 3, keeps what finished")
    func quitMidRun() throws {
        let registries = try Registries(tags: 8, layerSize: 384 * 1024)
        let proxy = try SlowProxy(upstream: registries.source.host, rate: 300_000)
        let home = TemporaryDirectory("dashboard-home")
        let session = try TmuxSession(width: 120, height: 40, command: Self.copy("\(proxy.host)/\(registries.repository)",
                                                                                  "\(registries.destination.host)/\(registries.repository)"),
                                      environment: Self.environment(home))
        let screen = try session.waitForScreen("a repository copying with a percentage") { screen in
            screen.contains("team/app") && screen.contains("RUNNING") && screen.contains("copying")
                && screen.range(of: #"[1-9][0-9]?% "#, options: .regularExpression) != nil
        }
        #expect(Self.hasBoxDrawing(screen))
        #expect(screen.contains("Repositories") && screen.contains("Tags of") && screen.contains("Events"))
        try session.send("q")
        #expect(try session.waitForExit() == 3)
        let after = session.capture()
        #expect(after.contains("interrupted:"), "the summary is printed after the dashboard closes:\n\(after)")
        #expect(try registries.verifyDestination() < registries.tags.count)

        let logs = home.file("state/freightliner/logs")
        let directoryMode = try FileManager.default.attributesOfItem(atPath: logs)[.posixPermissions] as? Int
        let fileMode = try FileManager.default.attributesOfItem(atPath: logs + "/dashboard.log")[.posixPermissions] as? Int
        #expect(directoryMode == 0o700)
        #expect(fileMode == 0o600)
        let log = try String(contentsOfFile: logs + "/dashboard.log", encoding: .utf8)
        #expect(log.contains("stopping: quit from the dashboard"))
    }

    @Test("--ui auto on a terminal is the dashboard; a sync quit with q exits 3 with a checkpoint; freightliner dashboard + r finishes it")
    func quitThenResumeFromDashboard() throws {
        let registries = try Registries(tags: 6, layerSize: 96 * 1024)
        let proxy = try SlowProxy(upstream: registries.source.host, rate: 400_000)
        let home = TemporaryDirectory("dashboard-home")
        let runs = home.file("runs")
        let sync = try TmuxSession(width: 120, height: 40,
                                   command: [Paths.binary, "sync", proxy.host, "\(registries.destination.host)/mirror", "--ui", "auto",
                                             "--jobs", "1", "--run-id", "quit-me", "--checkpoint-dir", runs],
                                   environment: Self.environment(home))
        try sync.waitForScreen("the sync copying") { $0.contains("team/app") && $0.contains("copying") }
        try sync.send("q")
        #expect(try sync.waitForExit() == 3)
        let show = try CLI.run(["checkpoints", "show", "quit-me", "--checkpoint-dir", runs])
        #expect(show.status == 0, "\(show.output)")
        #expect(show.stdout.contains("state:       interrupted"), "\(show.stdout)")

        let dashboard = try TmuxSession(width: 120, height: 40, command: [Paths.binary, "dashboard", "--checkpoint-dir", runs],
                                        environment: Self.environment(home))
        try dashboard.waitForScreen("the interrupted run") { $0.contains("quit-me") && $0.contains("interrupted") }
        try dashboard.send("r")
        try dashboard.waitForScreen("the resumed run completed", timeout: 120) { $0.contains("COMPLETED") }
        try dashboard.send("q")
        let status = try dashboard.waitForExit()
        #expect(status == 0, "\(dashboard.capture())")
        for tag in registries.tags {
            #expect(try Skopeo.digest("\(registries.destination.host)/mirror/\(registries.repository):\(tag)")
                    == Skopeo.digest("\(registries.source.host)/\(registries.repository):\(tag)"), "\(tag)")
        }
        let done = try CLI.run(["checkpoints", "show", "quit-me", "--checkpoint-dir", runs])
        #expect(done.stdout.contains("state:       completed"), "\(done.stdout)")
    }

    @Test("the final state stays on screen until q, then exit 0; --exit-on-complete leaves by itself")
    func finalState() throws {
        let registries = try Registries(tags: 3, layerSize: 8 * 1024)
        let home = TemporaryDirectory("dashboard-home")
        let session = try TmuxSession(width: 80, height: 24, command: Self.copy("\(registries.source.host)/\(registries.repository)",
                                                                                 "\(registries.destination.host)/\(registries.repository)"),
                                      environment: Self.environment(home))
        try session.waitForScreen("COMPLETED") { $0.contains("COMPLETED") && $0.contains("tags 3/3") }
        // Not a wait: that nothing happens for a while (the dashboard does not leave by itself)
        // is what is tested, and only time can show it.
        usleep(1_500_000)
        #expect(session.status == nil, "the dashboard left without q")
        #expect(session.capture().contains("COMPLETED"))
        try session.send("q")
        #expect(try session.waitForExit() == 0)
        #expect(try registries.verifyDestination() == 3)

        let again = try TmuxSession(width: 80, height: 24, command: Self.copy("\(registries.source.host)/\(registries.repository)",
                                                                               "\(registries.destination.host)/other", ["--exit-on-complete"]),
                                    environment: Self.environment(home))
        #expect(try again.waitForExit() == 0)
        #expect(again.capture().contains("completed: 3 tags"))
    }

    @Test("NO_COLOR=1 LANG=C TERM=vt100: ASCII lines and no colour; a 256-colour UTF-8 terminal gets both; 16 and 8 colours mapped down")
    func plainTerminal() throws {
        let registries = try Registries(tags: 2, layerSize: 4 * 1024)
        let home = TemporaryDirectory("dashboard-home")
        func run(_ overrides: [String: String?], destination: String) throws -> (screen: String, raw: Data) {
            let session = try TmuxSession(width: 100, height: 30, command: Self.copy("\(registries.source.host)/\(registries.repository)",
                                                                                      "\(registries.destination.host)/\(destination)"),
                                          environment: Self.environment(home, overrides))
            try session.record(to: session.directory.file("raw"))
            try session.send("t", "t")  // let a theme change repaint with colours, if any
            let screen = try session.waitForScreen("the finished run") { $0.contains("COMPLETED") && $0.contains("Repositories") }
            try session.send("q")
            #expect(try session.waitForExit() == 0)
            return (screen, FileManager.default.contents(atPath: session.directory.file("raw")) ?? Data())
        }

        let rich = try run([:], destination: "rich")
        #expect(Self.hasBoxDrawing(rich.screen))
        #expect(!Self.colourEscapes(rich.raw).isEmpty, "a 256-colour terminal shows colour")

        let plain = try run(["NO_COLOR": "1", "LANG": "C", "TERM": "vt100"], destination: "plain")
        #expect(!Self.hasBoxDrawing(plain.screen), "box drawing in LANG=C:\n\(plain.screen)")
        #expect(plain.screen.contains("+ Repositories") && plain.screen.contains("|"))
        #expect(plain.raw.allSatisfy { $0 < 0x80 }, "non-ASCII bytes written with LANG=C")
        #expect(Self.colourEscapes(plain.raw).isEmpty, "colour with NO_COLOR: \(Self.colourEscapes(plain.raw).prefix(5))")

        // 16- and 8-colour terminals: the theme is mapped down, never sent as 256-colour codes.
        for (term, destination) in [("xterm-16color", "sixteen"), ("xterm", "eight")] {
            let few = try run(["TERM": term], destination: destination)
            let escapes = Self.colourEscapes(few.raw)
            #expect(Self.hasBoxDrawing(few.screen))
            #expect(!escapes.isEmpty, "TERM=\(term) shows colour")
            #expect(!escapes.contains { $0.contains("38;5;") || $0.contains("48;5;") }, "256-colour codes on TERM=\(term): \(escapes.prefix(5))")
        }

        let noColour = try run(["NO_COLOR": "1"], destination: "nocolour")
        #expect(Self.hasBoxDrawing(noColour.screen))
        #expect(Self.colourEscapes(noColour.raw).isEmpty, "colour with NO_COLOR: \(Self.colourEscapes(noColour.raw).prefix(5))")
    }

    @Test("resizing mid-run, down to too small and back, does not crash; Ctrl-C then stops like q")
    func resize() throws {
        let registries = try Registries(tags: 6, layerSize: 256 * 1024)
        let proxy = try SlowProxy(upstream: registries.source.host, rate: 250_000)
        let home = TemporaryDirectory("dashboard-home")
        let session = try TmuxSession(width: 120, height: 40, command: Self.copy("\(proxy.host)/\(registries.repository)",
                                                                                  "\(registries.destination.host)/\(registries.repository)"),
                                      environment: Self.environment(home))
        try session.waitForScreen("the run") { $0.contains("RUNNING") }
        try session.resize(width: 70, height: 20)
        try session.waitForScreen("the layout at 70x20") { screen in
            let lines = screen.split(separator: "\n")
            return screen.contains("Repositories") && lines.allSatisfy { $0.count <= 70 } && lines.contains { $0.hasPrefix("└") && $0.count == 70 }
        }
        try session.resize(width: 40, height: 10)
        try session.waitForScreen("the too-small screen") { $0.contains("terminal too small: 40×10") && $0.contains("need 60×18") }
        try session.resize(width: 100, height: 30)
        try session.waitForScreen("the layout at 100x30") { screen in
            screen.contains("Repositories") && screen.split(separator: "\n").contains { $0.hasPrefix("└") && $0.count == 100 }
        }
        // Ctrl-C is the same as q: stop, let transfers finish, exit 3 while work remains.
        try session.send("C-c")
        let status = try session.waitForExit()
        #expect(status == 3 || status == 0, "exit status \(status)")
        #expect(session.capture().contains(status == 3 ? "interrupted:" : "completed:"))
    }

    @Test("an unknown TERM falls back to vt100 and says so; TERM=dumb gets plain lines")
    func unknownTerminal() throws {
        let registries = try Registries(tags: 2, layerSize: 4 * 1024)
        let home = TemporaryDirectory("dashboard-home")
        let bogus = try TmuxSession(width: 100, height: 30, command: Self.copy("\(registries.source.host)/\(registries.repository)",
                                                                                "\(registries.destination.host)/bogus"),
                                    environment: Self.environment(home, ["TERM": "bogus-terminal-xyz"]))
        try bogus.waitForScreen("the dashboard drawn as vt100") { $0.contains("COMPLETED") && $0.contains("Repositories") }
        try bogus.send("q")
        #expect(try bogus.waitForExit() == 0)
        let log = try String(contentsOfFile: home.file("state/freightliner/logs/dashboard.log"), encoding: .utf8)
        #expect(log.contains("TERM=bogus-terminal-xyz is not in the terminfo database (or cannot place the cursor); drawing as vt100"))
        #expect(log.contains("dashboard on TERM=vt100"))

        let dumb = try TmuxSession(width: 100, height: 30, command: Self.copy("\(registries.source.host)/\(registries.repository)",
                                                                              "\(registries.destination.host)/dumb"),
                                   environment: Self.environment(home, ["TERM": "dumb"]))
        #expect(try dumb.waitForExit() == 0)
        let screen = dumb.capture()
        #expect(screen.contains("no dashboard (TERM=dumb cannot place the cursor); plain output instead"))
        #expect(screen.contains("completed: 2 tags"))
    }

    @Test("--ui auto prints plain lines when stdout is not a terminal; --ui tui says why it cannot")
    func notATerminal() throws {
        let registries = try Registries(tags: 1, layerSize: 4 * 1024)
        let home = TemporaryDirectory("dashboard-home")
        let environment = ["HOME": home.path, "XDG_STATE_HOME": home.file("state"), "TERM": "xterm-256color"]
        let auto = try CLI.run(["copy", "--all-tags", "\(registries.source.host)/\(registries.repository)",
                                "\(registries.destination.host)/auto"], environment: environment)
        #expect(auto.status == 0)
        #expect(auto.stdout.contains("completed: 1 tags"))
        #expect(!auto.output.contains("\u{1B}"))
        let tui = try CLI.run(["copy", "--all-tags", "\(registries.source.host)/\(registries.repository)",
                               "\(registries.destination.host)/tui", "--ui", "tui"], environment: environment)
        #expect(tui.status == 0)
        #expect(tui.stderr.contains("no dashboard (standard output is not a terminal); plain output instead"))
        let badTheme = try CLI.run(["copy", "--all-tags", "\(registries.source.host)/\(registries.repository)",
                                    "\(registries.destination.host)/theme", "--theme", "no-such-theme"], environment: environment)
        #expect(badTheme.status != 0)
        #expect(badTheme.stderr.contains("theme \"no-such-theme\" not found"))
        #expect(badTheme.stderr.contains("high-contrast"))
    }

    @Test("freightliner dashboard lists saved runs, how far and when, and damaged ones")
    func savedRuns() async throws {
        let runs = TemporaryDirectory("dashboard-runs")
        let store = CheckpointStore(directory: runs.path)
        let runID = "20250101-000000-0000beef"
        let writer = try CheckpointWriter(store: store, runID: runID)
        let settings = RunSettings(source: try RegistryPrefix(parsing: "127.0.0.1:1/src"),
                                   destination: try RegistryPrefix(parsing: "127.0.0.1:2/dst"), jobs: 2)
        var record = RunRecord(runID: runID, createdAt: Date(timeIntervalSinceNow: -600), source: "127.0.0.1:1/src",
                               destination: "127.0.0.1:2/dst", settings: settings,
                               repositories: [RepositoryRecord(source: "src/app", destination: "dst/app",
                                                               tags: ["1", "2", "3"].map { TagRecord(job: TagJob(source: $0, destination: $0)) })])
        record.repositories[0].tags[0].state = .copied
        record.repositories[0].tags[0].digest = Digest.sha256(of: Array("m".utf8))
        record.state = .interrupted
        try await writer.snapshot(record)
        await writer.close()
        let damaged = runs.file("20250102-000000-0000dead")
        try FileManager.default.createDirectory(atPath: damaged, withIntermediateDirectories: true)
        try Data("not a checkpoint".utf8).write(to: URL(fileURLWithPath: damaged + "/checkpoint"))

        let home = TemporaryDirectory("dashboard-home")
        let session = try TmuxSession(width: 120, height: 40, command: [Paths.binary, "dashboard", "--checkpoint-dir", runs.path],
                                      environment: Self.environment(home))
        let screen = try session.waitForScreen("the saved runs") {
            $0.contains(runID) && $0.contains("20250102-000000-0000dead") && $0.contains("damaged")
        }
        #expect(screen.contains("interrupted"))
        #expect(screen.contains("1/3"))
        #expect(screen.contains("127.0.0.1:1/src"))
        #expect(screen.contains("dst/app"))
        try session.send("j")
        try session.waitForScreen("the damaged run's problem") { $0.contains("cannot be read") }
        try session.send("q")
        #expect(try session.waitForExit() == 0)
    }

    @Test("a steady run: bytes per second to the terminal and CPU used, measured")
    func bandwidthAndCPU() throws {
        let registries = try Registries(tags: 8, layerSize: 512 * 1024)
        let proxy = try SlowProxy(upstream: registries.source.host, rate: 300_000)
        let home = TemporaryDirectory("dashboard-home")
        let session = try TmuxSession(width: 120, height: 40, command: Self.copy("\(proxy.host)/\(registries.repository)",
                                                                                  "\(registries.destination.host)/\(registries.repository)"),
                                      environment: Self.environment(home))
        let raw = session.directory.file("raw")
        try session.record(to: raw)
        try session.waitForScreen("the run") { $0.contains("RUNNING") && $0.contains("copying") }
        // Not a wait: the measurement is of a steady run, so the first second's full repaints
        // (start, first tags) stay out of it.
        usleep(1_000_000)
        guard let pid = session.pid else {
            Issue.record("no pid")
            return
        }
        let start = (Date(), Self.fileSize(raw), Self.cpuTicks(pid: pid), Self.dashboardThreadTicks(pid: pid))
        // The measurement window itself.
        usleep(10_000_000)
        let end = (Date(), Self.fileSize(raw), Self.cpuTicks(pid: pid), Self.dashboardThreadTicks(pid: pid))
        #expect(session.status == nil, "the run ended before the measurement did; make it slower")
        try session.send("q")
        _ = try session.waitForExit()

        let seconds = end.0.timeIntervalSince(start.0)
        let ticksPerSecond = Double(sysconf(Int32(_SC_CLK_TCK)))
        let bytesPerSecond = Double(end.1 - start.1) / seconds
        let processCPU = Double(end.2 - start.2) / ticksPerSecond / seconds * 100
        let threadCPU = Double(end.3 - start.3) / ticksPerSecond / seconds * 100
        print("dashboard measurement: \(Int(bytesPerSecond)) bytes/s to the terminal, process CPU \(ByteFormat.formatted(processCPU, decimals: 1))%, "
              + "dashboard thread CPU \(ByteFormat.formatted(threadCPU, decimals: 1))% over \(ByteFormat.formatted(seconds, decimals: 1)) s")
        #expect(bytesPerSecond > 0, "nothing was drawn during a run")
        #expect(bytesPerSecond < 4000, "\(Int(bytesPerSecond)) bytes/s is too much for a slow link")
        #expect(end.3 > 0, "no thread named freightliner-ui in /proc/\(pid)/task")
        #expect(threadCPU < 10, "the dashboard thread used \(threadCPU)% CPU")
    }

    static func fileSize(_ path: String) -> Int {
        ((try? FileManager.default.attributesOfItem(atPath: path))?[.size] as? Int) ?? 0
    }

    /// utime + stime of a process or one of its threads, from /proc.
    static func cpuTicks(pid: Int32, task: String? = nil) -> Int {
        let path = task.map { "/proc/\(pid)/task/\($0)/stat" } ?? "/proc/\(pid)/stat"
        guard let stat = try? String(contentsOfFile: path, encoding: .utf8), let close = stat.lastIndex(of: ")") else { return 0 }
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        // After the command come state (field 3) ... utime is field 14, stime field 15.
        guard fields.count > 13, let user = Int(fields[11]), let system = Int(fields[12]) else { return 0 }
        return user + system
    }

    static func dashboardThreadTicks(pid: Int32) -> Int {
        let tasks = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/task")) ?? []
        for task in tasks {
            let name = (try? String(contentsOfFile: "/proc/\(pid)/task/\(task)/comm", encoding: .utf8)) ?? ""
            if name.hasPrefix("freightliner-ui") { return cpuTicks(pid: pid, task: task) }
        }
        return 0
    }

    @Test("serve shows each cycle in one dashboard with a countdown to the next; a tag pushed meanwhile appears; q stops serving, exit 0")
    func serveCycles() throws {
        let registries = try Registries(tags: 3, layerSize: 32 * 1024)
        let home = TemporaryDirectory("dashboard-home")
        let file = home.file("jobs.yaml")
        try Data("""
            version: 1
            jobs:
              - { name: apps, source: "\(registries.source.host)/team", destination: "\(registries.destination.host)/team" }
            """.utf8).write(to: URL(fileURLWithPath: file))
        let serve = try TmuxSession(width: 120, height: 40,
                                    command: [Paths.binary, "serve", file, "--every", "3s", "--checkpoint-dir", home.file("runs")],
                                    environment: Self.environment(home))
        let first = try serve.waitForScreen("the first cycle done, counting down") { screen in
            screen.contains("COMPLETED") && screen.contains("next cycle in") && screen.contains("apps/app")
        }
        #expect(first.contains("tags 3/3"), "\(first)")
        #expect(try registries.verifyDestination() == 3)
        let pushed = "2.0"
        try Fixtures.push(layout: registries.layout, tag: "1.0", to: "\(registries.source.host)/team/app:\(pushed)")
        let later = try serve.waitForScreen("a later cycle with the pushed tag") { screen in
            screen.contains("COMPLETED") && screen.contains("tags 4/4") && screen.contains("next cycle in")
        }
        let events = later.components(separatedBy: "Events").last ?? ""
        func runID(_ screen: String) -> String? {
            screen.range(of: #"run [0-9]{8}-[0-9]{6}-[0-9a-f]{8} started"#, options: .regularExpression).map { String(screen[$0]) }
        }
        #expect(runID(first) != nil && runID(later) != nil && runID(first) != runID(later), "each cycle is a run of its own:\n\(later)")
        let completed = try #require(events.range(of: "completed: 1 copied"), "\(later)")
        let countdown = try #require(events.range(of: "next cycle at", options: .backwards), "\(later)")
        #expect(completed.lowerBound < countdown.lowerBound, "the countdown is said after the cycle's end:\n\(later)")
        #expect(try registries.verifyDestination() == 4)
        try serve.send("q")
        #expect(try serve.waitForExit() == 0, "\(serve.capture())")
        #expect(serve.capture().contains("serve: stopped"), "\(serve.capture())")
    }
}
