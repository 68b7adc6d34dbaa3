import CPNG
import Foundation
import PPLInference
import PPLSyntax

/// A grid of grayscale images as a PNG file: rows of a data value or of a quantity's
/// posterior mean (each row of H·W values in [0, 1], row-major, one image), side by side.
public struct ImageGrid {
    public let height: Int, width: Int
    /// One column of images per value shown; each the same number of rows.
    public private(set) var columns: [(name: String, images: [[Double]])] = []

    public init(height: Int, width: Int) {
        (self.height, self.width) = (height, width)
    }

    /// `--shape HxW`: positive sizes whose product is at most 2^24 pixels.
    public init(shape text: String) throws(PPLError) {
        let parts = text.lowercased().split(separator: "x", omittingEmptySubsequences: false)
        guard parts.count == 2, let h = Int(parts[0]), let w = Int(parts[1]), h >= 1, w >= 1, h <= 4096, w <= 4096 else {
            throw .user("--shape \(text): expected HxW, the height and width of an image in pixels (as 28x28), each from 1 to 4096")
        }
        self.init(height: h, width: w)
    }

    /// Adds the rows of `name`: its values (rows × H·W, row-major) cut into images.
    public mutating func add(_ name: String, values: [Double], rows limit: Int?) throws(PPLError) {
        let pixels = height * width
        guard !values.isEmpty, values.count % pixels == 0 else {
            throw .user("'\(name)' has \(values.count) values, not rows of \(height)x\(width) = \(pixels) pixels")
        }
        let rows = min(values.count / pixels, limit ?? .max)
        if let first = columns.first, first.images.count != rows {
            throw .user("'\(name)' has \(rows) rows of images and '\(first.name)' \(first.images.count): the columns of a grid "
                        + "show the same rows")
        }
        if let bad = values.prefix(rows * pixels).first(where: { !($0 >= 0 && $0 <= 1) }) {
            throw .user("'\(name)' has the value \(FitReports.number(bad)), outside [0, 1]: show pixels (as probabilities, "
                        + "inv_logit of logits) or binary data")
        }
        columns.append((name, (0..<rows).map { Array(values[($0 * pixels)..<(($0 + 1) * pixels)]) }))
    }

    static let gap = 2

    /// Images across and down: one value shown, its images in a near-square block;
    /// several, a row per image, a column per value.
    var cells: (across: Int, down: Int) {
        let count = columns.first?.images.count ?? 0
        guard columns.count == 1 else { return (columns.count, count) }
        let across = max(1, Int(Double(count).squareRoot().rounded(.up)))
        return (across, (count + across - 1) / across)
    }

    /// The grid's width and height in pixels.
    public var size: (width: Int, height: Int) {
        let (across, down) = cells
        return (across * width + (across + 1) * Self.gap, down * height + (down + 1) * Self.gap)
    }

    /// The grid as 8-bit gray pixels, with 2-pixel mid-gray gaps between the images.
    public func pixels() -> (bytes: [UInt8], width: Int, height: Int) {
        let gap = Self.gap
        let (across, _) = cells
        let (w, h) = size
        var bytes = [UInt8](repeating: 128, count: w * h)
        func place(_ image: [Double], _ cell: Int, _ line: Int) {
            let x0 = gap + cell * (width + gap), y0 = gap + line * (height + gap)
            for y in 0..<height {
                for x in 0..<width { bytes[(y0 + y) * w + x0 + x] = UInt8((image[y * width + x] * 255).rounded()) }
            }
        }
        for (c, column) in columns.enumerated() {
            for (r, image) in column.images.enumerated() {
                if columns.count == 1 { place(image, r % across, r / across) } else { place(image, c, r) }
            }
        }
        return (bytes, w, h)
    }

    /// The grid as a PNG file's bytes; one of more than 2²⁸ pixels (256 MB) is refused.
    public func png() throws(PPLError) -> [UInt8] {
        let (gw, gh) = size
        guard gw.multipliedReportingOverflow(by: gh).partialValue <= 1 << 28, gw <= 1 << 28, gh <= 1 << 28 else {
            throw .user("a grid of \(gw)x\(gh) pixels is too large for a picture; show fewer rows (--rows)")
        }
        let (bytes, w, h) = pixels()
        var out: UnsafeMutablePointer<UInt8>?
        var size = 0
        guard bytes.withUnsafeBufferPointer({ ppl_png_encode_gray($0.baseAddress, Int32(w), Int32(h), &out, &size) }) == 0,
              let out else {
            throw PPLError(InternalError("libpng could not encode a \(w)x\(h) image"), otherwise: .internal)
        }
        defer { free(out) }
        return Array(UnsafeBufferPointer(start: out, count: size))
    }

    /// The mean over the first `count` draws of each component of `name` in `draws`, in
    /// order (one draw: that draw, as a sample from the prior is shown); nil if it has none.
    public static func means(of name: String, in draws: PosteriorDraws, first count: Int) -> [Double]? {
        let columns = draws.names.indices.filter { FitReports.paramName(draws.names[$0]) == name }
        let rows = draws.rows.prefix(count)
        guard !columns.isEmpty, !rows.isEmpty else { return nil }
        let n = Double(rows.count)
        return columns.map { j in rows.reduce(0) { $0 + $1[j] } / n }
    }
}
