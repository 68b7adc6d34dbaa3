import COpenBLAS
import Foundation

/// Debian's OpenBLAS 0.3.21 does not recognise recent CPUs and falls back to slow generic
/// kernels; and its thread team, started when the library loads, keeps a core busy
/// yielding although the engine runs OpenBLAS on one thread (`EngineThreads`): measured
/// here, a single-particle fit used 1.66 cores with it and 0.99 without, in the same time.
/// OpenBLAS reads OPENBLAS_CORETYPE and OPENBLAS_NUM_THREADS when it loads, before `main`,
/// so the process re-executes itself once with whichever of them is unset: a core type the
/// CPU supports, and one thread.
public enum OpenBLASSetup {
    public static func reexecIfNeeded() {
        let env = ProcessInfo.processInfo.environment
        guard env["PPL_NO_REEXEC"] == nil else { return }
        var changed = false
        if env["OPENBLAS_CORETYPE"] == nil, let core = coreType() {
            setenv("OPENBLAS_CORETYPE", core, 1)
            changed = true
        }
        if env["OPENBLAS_NUM_THREADS"] == nil {
            setenv("OPENBLAS_NUM_THREADS", "1", 1)
            changed = true
        }
        guard changed else { return }
        setenv("PPL_NO_REEXEC", "1", 1)
        var argv = CommandLine.arguments.map { strdup($0) }
        argv.append(nil)
        execv("/proc/self/exe", argv)
        // execv returns only on failure: carry on with the generic kernels and the threads.
    }

    /// The OpenBLAS core type for this CPU's instruction sets, if it has AVX2 at least.
    static func coreType() -> String? {
        guard let cpu = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8),
              let flags = cpu.split(separator: "\n").first(where: { $0.hasPrefix("flags") }) else { return nil }
        let set = Set(flags.split(separator: " "))
        if set.contains("avx512f") && set.contains("avx512dq") && set.contains("avx512vl") { return "SkylakeX" }
        if set.contains("avx2") && set.contains("fma") { return "Haswell" }
        return nil
    }

    /// The kernel set OpenBLAS chose, e.g. "SkylakeX".
    public static var coreName: String {
        guard let p = openblas_get_corename() else { return "unknown" }
        return String(cString: p)
    }
}
