"""Cited passages located in their source document, for highlighting."""

from dataclasses import dataclass, field


@dataclass
class Segment:
    text: str
    citations: list = field(default_factory=list)

    @property
    def cited(self):
        return bool(self.citations)


def highlight(text, citations):
    """Split text into plain and cited segments, in order.

    Each passage is found at its first occurrence; passages that overlap are merged
    into one highlighted segment carrying all their citations. A passage not found
    (the file changed) is left out rather than guessed at.
    """
    spans = []
    for citation in citations:
        start = text.find(citation.passage) if citation.passage else -1
        if start >= 0:
            spans.append([start, start + len(citation.passage), [citation]])
    spans.sort(key=lambda span: (span[0], -span[1]))
    merged = []
    for start, end, cited in spans:
        if merged and start < merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
            merged[-1][2].extend(cited)
        else:
            merged.append([start, end, list(cited)])
    segments, position = [], 0
    for start, end, cited in merged:
        if start > position:
            segments.append(Segment(text[position:start]))
        segments.append(Segment(text[start:end], cited))
        position = end
    if position < len(text):
        segments.append(Segment(text[position:]))
    return segments
