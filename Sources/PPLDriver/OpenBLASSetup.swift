import COpenBLAS
import Foundation

/// Debian's OpenBLAS 0.3.21 does not recognise recent CPUs and falls back to slow generic
/// kernels. It reads OPENBLAS_CORETYPE when the library loads, before `main`, so the
/// process re-executes itself once with the variable set to a core type the CPU supports.
public enum OpenBLASSetup {
    public static func reexecIfNeeded() {
        let env = ProcessInfo.processInfo.environment
        guard env["OPENBLAS_CORETYPE"] == nil, env["PPL_NO_REEXEC"] == nil,
              let cpu = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8),
              let flags = cpu.split(separator: "\n").first(where: { $0.hasPrefix("flags") }) else { return }
        let set = Set(flags.split(separator: " "))
        let core: String
        if set.contains("avx512f") && set.contains("avx512dq") && set.contains("avx512vl") {
            core = "SkylakeX"
        } else if set.contains("avx2") && set.contains("fma") {
            core = "Haswell"
        } else {
            return
        }
        setenv("OPENBLAS_CORETYPE", core, 1)
        setenv("PPL_NO_REEXEC", "1", 1)
        var argv = CommandLine.arguments.map { strdup($0) }
        argv.append(nil)
        execv("/proc/self/exe", argv)
        // execv returns only on failure: carry on with the generic kernels.
    }

    /// The kernel set OpenBLAS chose, e.g. "SkylakeX".
    public static var coreName: String {
        guard let p = openblas_get_corename() else { return "unknown" }
        return String(cString: p)
    }
}
