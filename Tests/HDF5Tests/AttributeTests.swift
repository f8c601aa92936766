import XCTest
@testable import HDF5

final class AttributeTests: XCTestCase {
    func testNumericAttributesRoundTripOnGroupsAndDatasets() throws {
        let scratch = Scratch()
        let root = try File.create(scratch.path("a.h5")).root
        let dataset = try root.createDataset("d", shape: [1], values: [Float(0)])
        for node in [root as Node, dataset] {
            try node.setAttribute("f", Float(1.5))
            try node.setAttribute("d", [1e-5, 2.0])
            try node.setAttribute("i", Int32(-4))
            try node.setAttribute("l", [Int64.max, Int64.min])
            try node.setAttribute("u", [UInt8(255)])
            try node.setAttribute("empty", [Double]())
            XCTAssertEqual(try node.attribute("f", as: Float.self), 1.5)
            XCTAssertEqual(try node.attributeArray("d", as: Double.self), [1e-5, 2.0])
            XCTAssertEqual(try node.attribute("i", as: Int32.self), -4)
            XCTAssertEqual(try node.attributeArray("l", as: Int64.self), [Int64.max, Int64.min])
            XCTAssertEqual(try node.attribute("u", as: UInt8.self), 255)
            XCTAssertEqual(try node.attributeArray("empty", as: Double.self), [])
            XCTAssertEqual(try node.attributeNames, ["d", "empty", "f", "i", "l", "u"])
        }
    }

    func testStringAttributesInEveryFormRoundTrip() throws {
        let scratch = Scratch()
        let root = try File.create(scratch.path("a.h5")).root
        let forms: [StringForm] = [.variable(utf8: true), .variable(utf8: false), .fixed(utf8: true), .fixed(utf8: false)]
        for (index, form) in forms.enumerated() {
            try root.setAttribute("one\(index)", "conv2d/kernel:0", form: form)
            try root.setAttribute("many\(index)", ["stage1", "ünï", ""], form: form)
            try root.setAttribute("none\(index)", [String](), form: form)
            XCTAssertEqual(try root.stringAttribute("one\(index)"), "conv2d/kernel:0")
            XCTAssertEqual(try root.stringArrayAttribute("many\(index)"), ["stage1", "ünï", ""])
            XCTAssertEqual(try root.stringArrayAttribute("none\(index)"), [])
        }
    }

    func testReplacingAndRemovingAttributes() throws {
        let scratch = Scratch()
        let root = try File.create(scratch.path("a.h5")).root
        try root.setAttribute("x", Int64(1))
        try root.setAttribute("x", "now a string")
        XCTAssertEqual(try root.stringAttribute("x"), "now a string")
        try root.removeAttribute("x")
        XCTAssertFalse(root.hasAttribute("x"))
        assertHDF5Error(.missing) { try root.removeAttribute("x") }
    }

    func testWrongAttributeTypesAndMissingAttributesAreErrors() throws {
        let scratch = Scratch()
        let root = try File.create(scratch.path("a.h5")).root
        try root.setAttribute("n", [Float(1), 2])
        try root.setAttribute("s", "text")
        assertHDF5Error(.wrongType) { try root.attribute("s", as: Float.self) }
        assertHDF5Error(.wrongType) { try root.attributeArray("n", as: Double.self) }
        assertHDF5Error(.wrongType) { try root.stringAttribute("n") }
        assertHDF5Error(.wrongShape) { try root.attribute("n", as: Float.self) }
        let missing = assertHDF5Error(.missing) { try root.attribute("nope", as: Float.self) }
        XCTAssertEqual(missing?.object, "/@nope")
        XCTAssertEqual(try root.attributeArray("n", as: Double.self, converting: true), [1, 2])
    }
}
