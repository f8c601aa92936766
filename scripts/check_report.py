#!/usr/bin/env python3
"""The report as a real browser draws it: headless Chromium at two widths.

Fails when any two text boxes of a figure overlap, when text runs outside its figure, or when a
legend covers the plot area. The boxes are the browser's own (getBoundingClientRect, which
includes rotation), measured by a script injected into a copy of the page; the report itself
has no scripts. Then saves full-page screenshots.

    scripts/check_report.py report.html --shots docs/          # docs/report-800.png, -1400.png
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


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("page", help="report.html")
    parser.add_argument("--shots", help="folder for report-<width>.png")
    arguments = parser.parse_args()
    browser = chromium()
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
