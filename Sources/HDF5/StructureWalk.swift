/// A walk over everything a reader of the file could touch: every group's member list, every
/// attribute's value, every dataset's type and shape, and the values of datasets up to a size.
///
/// libhdf5 1.10 is not safe on damaged files: make fuzz found files on which it loops forever or
/// crashes reading a variable-length string attribute (its global heap) or a group's densely
/// stored member list (fuzz/README.md). No check on our side can foresee those, so whoever opens
/// a file it did not write can walk it first somewhere that may die: `lesion` does it in a child
/// process (`File.checkBeforeOpening`). The walk goes through the same calls the readers make.
extension File {
    /// Walks the whole file. Datasets holding more than `dataLimitBytes` are not read: their
    /// values are read in slabs by whoever needs them.
    public func walkStructure(dataLimitBytes: Int = 1 << 26) throws {
        var budget = StructureBudget()
        try walk(try root, depth: 0, budget: &budget, dataLimitBytes: dataLimitBytes)
    }

    private func walk(_ group: Group, depth: Int, budget: inout StructureBudget, dataLimitBytes: Int) throws {
        try readAttributes(of: group)
        // A hard link back to an ancestor makes a cycle; real files are a few levels deep.
        guard depth < StructureBudget.maximumDepth else { return }
        for member in try group.members() {
            guard budget.spend() else { return }
            switch member.kind {
            case .group:
                try walk(try group.group(member.name), depth: depth + 1, budget: &budget, dataLimitBytes: dataLimitBytes)
            case .dataset:
                let dataset = try group.dataset(member.name)
                try readAttributes(of: dataset)
                try read(dataset, limitBytes: dataLimitBytes)
            case .namedType, .other:
                continue
            }
        }
    }

    private func readAttributes(of node: Node) throws {
        for name in try node.attributeNames {
            switch try node.attributeType(name) {
            case .string: _ = try node.stringArrayAttribute(name)
            case .float, .integer: _ = try node.attributeArray(name, as: Double.self, converting: true)
            case .other: continue
            }
        }
    }

    private func read(_ dataset: Dataset, limitBytes: Int) throws {
        let count = try dataset.shape.reduce(1, *)
        // Which numeric datasets are read is counted in 8-byte elements.
        let numbersFit = count <= limitBytes / MemoryLayout<Double>.stride
        switch try dataset.storedType {
        case .string:
            if count <= limitBytes / 16 { _ = try dataset.readStrings() }
        // Read as the readers read them, floats as Float: through Double the walk converted
        // and held twice the bytes, 0.10-0.11 s for ResNet-50's weights at the start of every
        // command, now 0.05-0.06 s.
        case .float:
            if numbersFit { _ = try dataset.read(as: Float.self, converting: true) }
        case .integer:
            if numbersFit { _ = try dataset.read(as: Int64.self, converting: true) }
        case .other:
            return
        }
    }
}

/// How many objects a walk visits at most, so that a damaged file cannot make it endless.
private struct StructureBudget {
    static let maximumDepth = 32
    private var objectsLeft = 1_000_000

    mutating func spend() -> Bool {
        objectsLeft -= 1
        return objectsLeft >= 0
    }
}
