import Foundation

/// Pictures of paths: for each image kept by `lesion grads --save-images`, the image, then where
/// on it the gradient of short, middle and long paths falls. Each heat map is the per-pixel norm
/// (over channels) of Σ c_k over the lengths of its third of 0…n; a row shares one colour scale,
/// so the three maps show how much each group of paths carries, not only where.
enum PathPictures {
    static let panel = 96.0
    /// Larger images are averaged into at most this many cells a side, to keep the page small.
    static let maxCells = 32

    static func html(_ networks: [StudyResults.NetworkResults]) -> String {
        let withImages = networks.filter { !$0.savedImages.isEmpty }
        guard !withImages.isEmpty else { return "" }
        var html = "<h2>Pictures of paths</h2>\n<p class=\"criteria\">Where on the image the input gradient of short, "
            + "middle and long paths falls (the norm over channels of the summed gradient of all paths in each third "
            + "of the lengths; one colour scale per row, dark = large). An ensemble of shallow networks is trained "
            + "through its short paths, so the first map should hold most of it.</p>\n"
        for network in withImages {
            let lengths = network.savedImages[0].gradients.count
            let groups = thirds(lengths)
            html += "<h3>\(escape(network.name))</h3>\n<table class=\"pictures\"><tr><th>image</th>"
            for (name, range) in zip(["short", "middle", "long"], groups) {
                html += "<th>\(name) paths, \(range.lowerBound)–\(range.upperBound) blocks</th>"
            }
            html += "</tr>\n"
            for saved in network.savedImages {
                let maps = groups.map { heat(saved, lengths: $0) }
                let scale = maps.flatMap { $0 }.max() ?? 1
                html += "<tr><td>\(svgImage(saved))<br><small>label \(saved.label)</small></td>"
                for map in maps {
                    let share = map.reduce(0, +) / max(maps.flatMap { $0 }.reduce(0, +), 1e-30)
                    html += "<td>\(svgHeat(map, saved, scale: scale))<br><small>\(String(format: "%.0f%%", share * 100)) of the row's sum</small></td>"
                }
                html += "</tr>\n"
            }
            html += "</table>\n"
        }
        return html
    }

    /// 0…n−1 cut into three ranges as equal as can be.
    static func thirds(_ count: Int) -> [ClosedRange<Int>] {
        let cuts = [0, count / 3, (2 * count) / 3, count]
        return (0..<3).map { cuts[$0]...max(cuts[$0], cuts[$0 + 1] - 1) }
    }

    /// Per pixel, ‖Σ_{k in lengths} c_k‖ over channels, in cells of at most maxCells a side.
    static func heat(_ saved: StudyResults.SavedImage, lengths: ClosedRange<Int>) -> [Double] {
        let (c, h, w) = (saved.channels, saved.height, saved.width)
        var pixel = [Double](repeating: 0, count: h * w)
        for channel in 0..<c {
            for p in 0..<(h * w) {
                var sum = 0.0
                for k in lengths where k < saved.gradients.count { sum += Double(saved.gradients[k][channel * h * w + p]) }
                pixel[p] += sum * sum
            }
        }
        return pooled(pixel.map { $0.squareRoot() }, height: h, width: w)
    }

    static func cells(_ size: Int) -> Int { min(size, maxCells) }

    static func pooled(_ values: [Double], height h: Int, width w: Int) -> [Double] {
        let (ch, cw) = (cells(h), cells(w))
        var out = [Double](repeating: 0, count: ch * cw), counts = out
        for y in 0..<h { for x in 0..<w {
            let cell = (y * ch / h) * cw + x * cw / w
            out[cell] += values[y * w + x]
            counts[cell] += 1
        } }
        return zip(out, counts).map { $0 / max($1, 1) }
    }

    static func svgImage(_ saved: StudyResults.SavedImage) -> String {
        let (c, h, w) = (saved.channels, saved.height, saved.width)
        let planes = (0..<min(c, 3)).map { k in pooled(saved.image[(k * h * w)..<((k + 1) * h * w)].map(Double.init), height: h, width: w) }
        let all = planes.flatMap { $0 }
        let (low, high) = (all.min() ?? 0, all.max() ?? 1)
        return grid(height: cells(h), width: cells(w)) { i in
            let v = planes.map { Int((($0[i] - low) / max(high - low, 1e-30) * 255).rounded()) }
            return v.count == 3 ? String(format: "#%02x%02x%02x", v[0], v[1], v[2]) : String(format: "#%02x%02x%02x", v[0], v[0], v[0])
        }
    }

    static func svgHeat(_ map: [Double], _ saved: StudyResults.SavedImage, scale: Double) -> String {
        grid(height: cells(saved.height), width: cells(saved.width)) { SVGHeatMap.color(map[$0] / max(scale, 1e-30)) }
    }

    static func grid(height: Int, width: Int, fill: (Int) -> String) -> String {
        let size = panel / Double(max(height, width))
        var svg = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(Int(panel))\" height=\"\(Int(panel))\" shape-rendering=\"crispEdges\">"
        for y in 0..<height { for x in 0..<width {
            svg += "<rect x=\"\(String(format: "%.2f", Double(x) * size))\" y=\"\(String(format: "%.2f", Double(y) * size))\" "
                + "width=\"\(String(format: "%.2f", size))\" height=\"\(String(format: "%.2f", size))\" fill=\"\(fill(y * width + x))\"/>"
        } }
        return svg + "</svg>"
    }
}
