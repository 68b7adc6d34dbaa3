import Foundation

/// Runs work on a thread with a large stack. The parser and checker recurse over the
/// syntax tree; their depth limits are generous, and this keeps them far from the end
/// of the stack on any input.
enum LargeStack {
    static let size = 512 << 20

    final class Box<T>: @unchecked Sendable {
        var value: T?
    }

    static func run<T>(_ work: @escaping () -> T) -> T {
        let box = Box<T>()
        let done = DispatchSemaphore(value: 0)
        nonisolated(unsafe) let job = work
        let thread = Thread {
            box.value = job()
            done.signal()
        }
        thread.stackSize = size
        thread.start()
        done.wait()
        return box.value!
    }
}
