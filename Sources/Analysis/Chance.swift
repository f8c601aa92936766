import Foundation

/// The error of a network that guesses, and whether a measured error is clearly better. Damage
/// is a share of the way from the intact error to chance, so it has no scale for a network that
/// does no better than chance on the images at hand: wrong labels or wrong preprocessing, most
/// often. `lesion eval` and every experiment command warn, and the verdict leaves such a
/// network's lesions unjudged.
public enum Chance {
    /// 1 − 1/classes: the expected error of a uniform guess.
    public static func error(classes: Int) -> Double { 1 - 1 / Double(max(classes, 1)) }

    /// Whether `error`, measured on `images` images, is below chance by more than two standard
    /// errors of a guessing network's error there (2.7 points on 500 CIFAR-10 images); by
    /// anything when the count is unknown.
    public static func isBeaten(by error: Double, classes: Int, images: Int?) -> Bool {
        let chance = Chance.error(classes: classes)
        let noise = images.map { 2 * (chance * (1 - chance) / Double(max($0, 1))).squareRoot() } ?? 0
        return chance - error > noise
    }

    /// The numbers behind a warning, "error 91.00%, chance 90.00%, 500 images", when `error`
    /// does not beat chance; nil when it does.
    public static func unbeaten(error: Double, classes: Int, images: Int?) -> String? {
        guard !isBeaten(by: error, classes: classes, images: images) else { return nil }
        return String(format: "error %.2f%%, chance %.2f%%", error * 100, Chance.error(classes: classes) * 100)
            + (images.map { ", \($0) image" + ($0 == 1 ? "" : "s") } ?? "")
    }

    /// What to tell a user whose network is not better than chance.
    public static let advice = "check the dataset's labels and the model's preprocessing (lesion info shows it)"
}
