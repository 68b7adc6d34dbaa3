import CLITestSupport
import Foundation
import PPLDriver
import XCTest

/// `ppl images`: grids of image rows as PNG files.
final class ImageGridTests: XCTestCase {
    func testTheGridPlacesEachImageAndItsPixels() throws {
        var grid = ImageGrid(height: 1, width: 2)
        try grid.add("a", values: [0, 1, 0.5, 0.25], rows: nil)
        try grid.add("b", values: [1, 1, 0, 0], rows: nil)
        let (bytes, w, h) = grid.pixels()
        // Two rows of two columns of 1×2 images, 2-pixel gaps: 2·2 + 3·2 wide, 2·1 + 3·2 high.
        XCTAssertEqual(w, 10)
        XCTAssertEqual(h, 8)
        func at(_ x: Int, _ y: Int) -> UInt8 { bytes[y * w + x] }
        XCTAssertEqual([at(2, 2), at(3, 2)], [0, 255])
        XCTAssertEqual([at(2, 5), at(3, 5)], [128, 64])
        XCTAssertEqual([at(6, 2), at(7, 2), at(6, 5), at(7, 5)], [255, 255, 0, 0])
        XCTAssertEqual(at(0, 0), 128)
        XCTAssertThrowsError(try grid.add("c", values: [0, 1], rows: nil)) { e in
            XCTAssertTrue("\(e)".contains("'c' has 1 rows of images and 'a' 2"), "\(e)")
        }
        var one = ImageGrid(height: 1, width: 1)
        XCTAssertThrowsError(try one.add("x", values: [0.5, 1.5], rows: nil)) { e in
            XCTAssertTrue("\(e)".contains("'x' has the value 1.5, outside [0, 1]"), "\(e)")
        }
    }

    /// A model of binary 2×2 images; `ppl images` of its data and of a param's mean.
    func testTheCommandWritesAPNGOfDataAndQuantities() throws {
        let d = try CLI.temporaryFolder("ppl-images")
        try """
            data N: int<lower=1>
            data X: array[N, 4] int<lower=0, upper=1>
            param p: vector<lower=0, upper=1>[4]
            for n in 1:N {
              X[n] ~ bernoulli(p)
            }
            generate {
              let q = rep_vector(1, N) * p'
            }

            """.write(toFile: d + "/m.ppl", atomically: true, encoding: .utf8)
        try #"{"N": 5, "X": [[1, 0, 0, 1], [1, 1, 0, 1], [1, 0, 0, 1], [0, 0, 0, 1], [1, 0, 1, 1]]}"#
            .write(toFile: d + "/m.data.json", atomically: true, encoding: .utf8)
        let fit = try CLI.run(["fit", "m.ppl", "--quiet", "--runs", "1", "--save", "fit.json"], in: d)
        XCTAssertEqual(fit.status, 0, fit.stderr)
        let r = try CLI.run(["images", "fit.json", "--show", "X,q", "--shape", "2x2", "--out", "g.png"], in: d)
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertEqual(r.stdout, "g.png: X, q, 5 images of 2x2 each (quantities: means over 20 draws)\n")
        let png = try [UInt8](Data(contentsOf: URL(fileURLWithPath: d + "/g.png")))
        XCTAssertEqual(Array(png.prefix(8)), [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A])
        // IHDR: width 2·2 + 3·2 = 10, height 5·2 + 6·2 = 22, 8-bit gray.
        func u32(_ at: Int) -> Int { png[at..<(at + 4)].reduce(0) { $0 << 8 | Int($1) } }
        XCTAssertEqual(Array(png[12..<16]), Array("IHDR".utf8))
        XCTAssertEqual([u32(16), u32(20), Int(png[24]), Int(png[25])], [10, 22, 8, 0])
        let bad = try CLI.run(["images", "fit.json", "--show", "X,r", "--shape", "2x2", "--out", "h.png"], in: d)
        XCTAssertEqual(bad.status, 65)
        XCTAssertTrue(bad.stderr.contains("'r' is neither data nor a quantity of"), bad.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: d + "/h.png"))
        let shape = try CLI.run(["images", "fit.json", "--show", "X", "--shape", "2by2", "--out", "h.png"], in: d)
        XCTAssertEqual(shape.status, 65)
        XCTAssertTrue(shape.stderr.contains("--shape 2by2: expected HxW"), shape.stderr)
    }
}
