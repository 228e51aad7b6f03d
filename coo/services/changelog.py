"""版本说明: CHANGELOG.md parsed into releases, newest first (as the file is written)."""
from dataclasses import dataclass, field


@dataclass
class Release:
    title: str
    sections: list = field(default_factory=list)   # [(heading, [items])]


def releases(text: str) -> list[Release]:
    """Parse the Keep-a-Changelog subset we write: '## title', '### heading', '- item'."""
    out: list[Release] = []
    for line in text.splitlines():
        line = line.rstrip()
        if line.startswith("## "):
            out.append(Release(line[3:].strip()))
        elif line.startswith("### ") and out:
            out[-1].sections.append((line[4:].strip(), []))
        elif line.startswith("- ") and out:
            if not out[-1].sections:
                out[-1].sections.append(("", []))
            out[-1].sections[-1][1].append(line[2:].strip())
        elif line.startswith("  ") and out and out[-1].sections and out[-1].sections[-1][1]:
            items = out[-1].sections[-1][1]
            items[-1] = items[-1] + " " + line.strip()
    return out
