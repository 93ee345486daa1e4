"""The README's reading path points at the lines it names, so it cannot rot."""

import pathlib
import re
import subprocess
import sys

ROOT = pathlib.Path(__file__).resolve().parents[1]
ROW = re.compile(r"^\d+\. `(?P<path>[\w/]+\.py)` lines (?P<first>\d+)-(?P<last>\d+), "
                 r"(?:the module docstring|`(?P<kind>class|def) (?P<name>\w+)`)")


def readme_rows() -> list[re.Match]:
    text = (ROOT / "README.md").read_text()
    section = text[text.index("<!-- reading path"):text.index("<!-- end of reading path -->")]
    return [match for line in section.splitlines() if (match := ROW.match(line))]


def test_the_readme_holds_what_the_tool_makes():
    made = subprocess.run([sys.executable, "tools/reading_path.py"], cwd=ROOT, capture_output=True, text=True,
                          check=True).stdout.strip()
    assert made in (ROOT / "README.md").read_text(), "run: python3 tools/reading_path.py --write"


def test_each_range_starts_at_what_it_names_and_holds_all_of_it():
    rows = readme_rows()
    assert len(rows) >= 30
    for row in rows:
        lines = (ROOT / row["path"]).read_text().splitlines()
        first, last = int(row["first"]), int(row["last"])
        start = lines[first - 1]
        if row["name"] is None:
            assert start.startswith('"""') and lines[last - 1].rstrip().endswith('"""'), row.group(0)
            continue
        header = first  # decorators come first: the range includes them
        while lines[header - 1].lstrip().startswith("@"):
            header += 1
        assert re.match(rf"\s*{row['kind']} {row['name']}\b", lines[header - 1]), f"{row.group(0)}: line {header}"
        indent = len(start) - len(start.lstrip())
        after = next((line for line in lines[last:] if line.strip()), "")
        assert len(after) - len(after.lstrip()) <= indent, f"{row.group(0)}: the definition goes on after {last}"


def test_the_first_reading_is_an_afternoon_not_a_week():
    text = (ROOT / "README.md").read_text()
    total = int(re.search(r"\*\*First reading\*\* \((\d+) lines\)", text)[1])
    assert 550 <= total <= 850
