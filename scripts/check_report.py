#!/usr/bin/env python3
"""The report as a real browser draws it: headless Chromium at two widths.

Fails when any two text boxes of a figure overlap, when text runs outside its figure, or when a
legend covers the plot area. The boxes are the browser's own (getBoundingClientRect, which
includes rotation), measured by a script injected into a copy of the page; the report itself
has no scripts. Then saves full-page screenshots.

    scripts/check_report.py report.html --shots docs/          # docs/report-800.png, -1400.png
    scripts/check_report.py --self-test                        # the check finds what it must
"""
import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

WIDTHS = (800, 1400)

# Runs after layout; writes its findings into <pre id="unravel-check"> for --dump-dom to carry out.
CHECK = r"""
<script>
window.addEventListener('load', () => {
  const problems = [];
  const overlap = (a, b, slack) => Math.min(a.right, b.right) - Math.max(a.left, b.left) > slack
                                && Math.min(a.bottom, b.bottom) - Math.max(a.top, b.top) > slack;
  document.querySelectorAll('figure').forEach(figure => {
    const name = figure.id || 'figure';
    const svg = figure.querySelector('svg');
    if (!svg) return;
    const box = svg.getBoundingClientRect();
    const texts = [...svg.querySelectorAll('text')].filter(t => t.textContent.trim() !== '');
    const rects = texts.map(t => t.getBoundingClientRect());
    for (let i = 0; i < texts.length; i++) {
      const r = rects[i];
      if (r.left < box.left - 0.5 || r.right > box.right + 0.5 || r.top < box.top - 0.5 || r.bottom > box.bottom + 0.5)
        problems.push(`${name}: '${texts[i].textContent}' runs outside the figure`);
      for (let j = i + 1; j < texts.length; j++)
        if (overlap(r, rects[j], 0.5))
          problems.push(`${name}: '${texts[i].textContent}' overlaps '${texts[j].textContent}'`);
    }
    const plot = svg.querySelector('rect.plot'), legend = svg.querySelector('g.legend');
    if (plot && legend && legend.childElementCount > 0 && overlap(plot.getBoundingClientRect(), legend.getBoundingClientRect(), 0.5))
      problems.push(`${name}: the legend covers the plot`);
    if (!plot) problems.push(`${name}: no plot area (rect.plot)`);
  });
  const out = document.createElement('pre');
  out.id = 'unravel-check';
  out.textContent = JSON.stringify({problems, height: document.documentElement.scrollHeight,
                                    figures: document.querySelectorAll('figure svg').length});
  document.body.appendChild(out);
});
</script>
"""


def chromium():
    for name in ("chromium", "chromium-browser", "google-chrome"):
        path = shutil.which(name)
        if path:
            return path
    sys.exit("check_report: Chromium is not installed (make test-report installs it as root)")


def run(browser, *arguments):
    command = [browser, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", *arguments]
    return subprocess.run(command, capture_output=True, text=True, timeout=180)


def measure(browser, page, width):
    with tempfile.TemporaryDirectory() as folder:
        copy = os.path.join(folder, "checked.html")
        with open(page, encoding="utf-8") as source:
            html = source.read()
        with open(copy, "w", encoding="utf-8") as target:
            target.write(html.replace("</body>", CHECK + "</body>"))
        done = run(browser, f"--window-size={width},1000", "--virtual-time-budget=5000", "--dump-dom", "file://" + copy)
    found = re.search(r'<pre id="unravel-check">(.*?)</pre>', done.stdout, re.S)
    if not found:
        sys.exit(f"check_report: Chromium gave no measurements at {width} px:\n{done.stderr[-2000:]}")
    return json.loads(found.group(1).replace("&quot;", '"').replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&"))


# A figure with every fault the check looks for: two labels on top of each other, a label past
# the right edge and a legend inside the plot area.
BROKEN = """<!DOCTYPE html><html><body><figure id="broken">
<svg xmlns="http://www.w3.org/2000/svg" width="300" height="200" font-family="sans-serif" font-size="11">
<rect class="plot" x="40" y="20" width="240" height="140" fill="none"/>
<text x="50" y="100">0.01</text><text x="52" y="101">0.01</text>
<text x="270" y="190">a label cut off at the edge</text>
<g class="legend"><rect x="200" y="30" width="10" height="10"/><text x="214" y="39">net</text></g>
</svg></figure></body></html>"""


def self_test(browser):
    with tempfile.TemporaryDirectory() as folder:
        page = os.path.join(folder, "broken.html")
        with open(page, "w", encoding="utf-8") as out:
            out.write(BROKEN)
        problems = measure(browser, page, 800)["problems"]
    wanted = ["'0.01' overlaps '0.01'", "runs outside the figure", "the legend covers the plot"]
    missing = [w for w in wanted if not any(w in p for p in problems)]
    if missing:
        sys.exit(f"check_report: the self-test page's faults were not all found: missing {missing}; found {problems}")
    print(f"check_report: self-test: found all {len(wanted)} planted faults")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("page", nargs="?", help="report.html")
    parser.add_argument("--shots", help="folder for report-<width>.png")
    parser.add_argument("--self-test", action="store_true", help="check a page with planted faults, and fail unless all are found")
    arguments = parser.parse_args()
    browser = chromium()
    if arguments.self_test:
        return self_test(browser)
    if not arguments.page:
        parser.error("give report.html, or --self-test")
    failed = False
    for width in WIDTHS:
        found = measure(browser, arguments.page, width)
        if found["figures"] == 0:
            print(f"check_report: {width} px: the page has no figures", file=sys.stderr)
            failed = True
        for problem in found["problems"]:
            print(f"check_report: {width} px: {problem}", file=sys.stderr)
            failed = True
        print(f"check_report: {width} px: {found['figures']} figures, {len(found['problems'])} problems, page {found['height']} px tall")
        if arguments.shots:
            os.makedirs(arguments.shots, exist_ok=True)
            shot = os.path.abspath(os.path.join(arguments.shots, f"report-{width}.png"))
            run(browser, f"--window-size={width},{found['height']}", f"--screenshot={shot}",
                "file://" + os.path.abspath(arguments.page))
            if not os.path.exists(shot):
                sys.exit(f"check_report: Chromium wrote no screenshot {shot}")
            print(f"check_report: wrote {shot}")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
