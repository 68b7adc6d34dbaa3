/// Levenshtein distance, for "did you mean" suggestions.
public func editDistance(_ a: String, _ b: String) -> Int {
    let x = Array(a.utf8), y = Array(b.utf8)
    if x.isEmpty { return y.count }
    if y.isEmpty { return x.count }
    var prev = Array(0...y.count)
    var cur = [Int](repeating: 0, count: y.count + 1)
    for i in 1...x.count {
        cur[0] = i
        for j in 1...y.count {
            let cost = x[i - 1] == y[j - 1] ? 0 : 1
            cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost)
        }
        swap(&prev, &cur)
    }
    return prev[y.count]
}

/// The Levenshtein distance if it is at most `limit`, else nil: only the band of cells
/// within `limit` of the diagonal can hold such a distance (Ukkonen 1985, "Algorithms for
/// approximate string matching"), so it takes O(limit · length) time, not length².
public func editDistance(_ a: String, _ b: String, atMost limit: Int) -> Int? {
    let x = Array(a.utf8), y = Array(b.utf8)
    let (n, m) = (x.count, y.count)
    guard abs(n - m) <= limit else { return nil }
    if n == 0 || m == 0 { return max(n, m) }
    // Cells outside the band count as beyond the limit.
    let beyond = limit + 1
    var prev = [Int](repeating: beyond, count: m + 2)
    for j in 0...min(m, limit) { prev[j] = j }
    var cur = [Int](repeating: beyond, count: m + 2)
    for i in 1...n {
        let lo = max(1, i - limit), hi = min(m, i + limit)
        cur[lo - 1] = lo == 1 ? i : beyond
        for j in lo...hi {
            let cost = x[i - 1] == y[j - 1] ? 0 : 1
            cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost, beyond)
        }
        cur[hi + 1] = beyond
        swap(&prev, &cur)
    }
    return prev[m] <= limit ? prev[m] : nil
}

/// The candidate nearest to `name`, if it is near enough to be a likely typo.
public func closest(to name: String, in candidates: some Sequence<String>) -> String? {
    var best: (String, Int)?
    let lowered = name.lowercased()
    for c in candidates where c != name {
        let limit = max(1, min(3, (max(name.count, c.count) + 1) / 3))
        if let d = editDistance(lowered, c.lowercased(), atMost: limit), best == nil || d < best!.1 { best = (c, d) }
    }
    return best?.0
}
