import PPLDriver
import PPLEngine
import PPLIR
import XCTest

final class EngineTests: XCTestCase {
    func testPlaceholder() {}
}
